//! Java 17's server-certificate validation as data: `PKIXValidator` + `CertPathValidator` +
//! `HostnameChecker` + algorithm constraints, with JDK 17's default `java.security`.
//!
//! [`Validator`] holds the trust anchors (every trusted entry, whatever its position or
//! validity: Java's trust store semantics); [`Validator::validate`] is "Validate Server
//! Certificate" on, [`Validator::check_unvalidated`] what JSSE still checks with it off. A
//! refusal is a [`PkixError`] naming the rule broken ([`RULES`]: id, Java's exact text, what
//! it checks, where JDK 17 does it), with the full `SSLHandshakeException` message CPI shows
//! and the connectivity test's [`Failure`].
//!
//! # How Java decides, in order
//!
//! 1. The server's certificates parse as Java's `X509CertImpl` parses them, else "Failed to
//!    parse server certificates".
//! 2. `PKIXValidator.engineValidate`: a chain whose first certificate is trusted (the same
//!    certificate, or same name and key) is accepted at once ([`Accepted::TrustedEndEntity`],
//!    no other check). A chain sent in order (each subject the previous issuer, names compared
//!    in [`name`]'s canonical form) is validated as sent, cut at the first trusted
//!    certificate or ending under a trusted name whose key verifies it; anything else
//!    (out of order, duplicates, extras, a CA first) is built forward from the first
//!    certificate through the certificates sent (at most 5 intermediates,
//!    `PKIXBuilderParameters`' default), and any failure is "unable to find valid
//!    certification path to requested target".
//! 3. On the path, from the anchor down, per certificate: algorithm constraints, CA key
//!    usage, name constraints (of intermediates, never of the anchor), basic constraints and
//!    pathLenConstraint, policies, signature, validity, name chaining, unrecognized critical
//!    extensions. The anchor itself: its validity and name constraints are not applied; a v3
//!    anchor must be a CA (with keyCertSign when it has a key usage).
//! 4. `EndEntityChecker` on the target (not for a trusted end entity): key usage vs the key
//!    exchange, extended key usage (serverAuth, anyExtendedKeyUsage, the SGC EKUs), Netscape
//!    cert type.
//! 5. `HostnameChecker` on the target: IP hosts against IP SANs only; DNS hosts against DNS
//!    SANs, or without any, the most specific CN; `*` may stand for any part of any label.
//!
//! Measured against the real JDK 17 by `tests/interop/pkix_java.rs` (its own matrix: SHA-1,
//! MD5, RSA-512/1024, P-192, RSASSA-PSS, DSA, Ed25519, Ed448, v1, key usage vs key exchange,
//! path length, name constraints, critical extensions, policies, Netscape cert type, dates
//! before 1970, host names; and the x509-limbo corpus).

mod cert;
mod error;
mod host;
pub mod name;
mod path;
pub mod rules;

use std::net::IpAddr;

use rustls_pki_types::{CertificateDer, UnixTime};

pub(crate) use cert::java_sig_alg_name;
pub use error::PkixError;
pub use rules::{RULES, Rule, Wrap};

use crate::cert::CertInfo;
use crate::connect::{Failure, FailureClass, TlsVersion};
use cert::Cert;
use path::{CertRef, Link, Refusal};

/// Whether Java's `new SNIHostName(host)` takes `host` (HTTPS endpoint identification
/// refuses any other host name with "Illegal given domain name").
pub(crate) fn valid_sni_host(host: &str) -> bool {
    host::valid_sni(host)
}

/// The name the client connects to, as Java's HostnameChecker sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Host {
    /// A host name (`localhost`, `api.example.com`).
    Dns(String),
    /// An IP literal.
    Ip(IpAddr),
}

impl Host {
    /// An IP literal when `text` parses as one, a host name otherwise.
    pub fn parse(text: &str) -> Self {
        let bare = text.trim_start_matches('[').trim_end_matches(']');
        match bare.parse::<IpAddr>() {
            Ok(ip) => Host::Ip(ip),
            Err(_) => Host::Dns(text.to_owned()),
        }
    }
}

impl std::fmt::Display for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Host::Dns(name) => f.write_str(name),
            Host::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

/// What the handshake negotiated, for the rules that depend on it (key usage vs key
/// exchange, `jdk.tls.disabledAlgorithms`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlsUsage {
    /// The negotiated protocol version.
    pub version: TlsVersion,
    /// The negotiated key exchange.
    pub key_exchange: KeyExchange,
}

/// The key exchange of the negotiated suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyExchange {
    /// TLS 1.3 (always a signature by the server key).
    Tls13,
    /// TLS 1.2 ECDHE_RSA / ECDHE_ECDSA.
    Ecdhe,
    /// TLS 1.2 DHE_RSA / DHE_DSS.
    Dhe,
    /// TLS 1.2 RSA key exchange (the server key encrypts the premaster secret).
    Rsa,
    /// Not known (no key usage rule applied).
    Unknown,
}

/// How a chain was accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accepted {
    /// A path from the end-entity certificate to a trust anchor.
    Path,
    /// The first certificate sent is a CA certificate (a chain sent out of order) and a path
    /// from it to a trust anchor exists: Java's PKIX validator takes it as the target and
    /// accepts that path. The host name is then checked against that CA certificate.
    CaAsTarget,
    /// The end-entity certificate itself is a trusted certificate entry (Java's rule; the
    /// validity window is not checked, as Java does not).
    TrustedEndEntity,
}

/// Java's trust manager for one trust store.
#[derive(Debug)]
pub struct Validator {
    anchors: Vec<Cert>,
}

impl Validator {
    /// Every certificate becomes a trust anchor whatever its position or validity (Java's
    /// trust store semantics). A certificate that does not decode is skipped (Java would not
    /// load such a keystore; our keystore readers refuse undecodable certificates).
    pub fn new(trusted: impl IntoIterator<Item = CertificateDer<'static>>) -> Self {
        let mut anchors: Vec<Cert> = Vec::new();
        for der in trusted {
            if let Ok(cert) = Cert::parse(der.as_ref())
                && !anchors.iter().any(|a| a.der == cert.der)
            {
                anchors.push(cert);
            }
        }
        Self { anchors }
    }

    /// How many trust anchors the validator holds (Java refuses an empty trust store with
    /// its own text).
    pub fn trust_anchor_count(&self) -> usize {
        self.anchors.len()
    }

    /// "Validate Server Certificate" on: the path (as Java builds it), every rule, then HTTPS
    /// endpoint identification of `host`.
    pub fn validate(
        &self,
        chain: &[CertificateDer<'_>],
        host: &Host,
        now: UnixTime,
        usage: TlsUsage,
    ) -> Result<Accepted, PkixError> {
        let cx = Context {
            chain,
            host: Some(host),
            now,
        };
        // JSSE parses the server's certificates before its trust manager sees them.
        let sent = parse_chain(chain).map_err(|r| self.error(&cx, r))?;
        if self.anchors.is_empty() {
            return Err(self.error(&cx, Refusal::for_rule("empty-trust-store")));
        }
        let links: Vec<Link<'_>> = sent
            .iter()
            .enumerate()
            .map(|(i, cert)| Link {
                cert,
                at: CertRef::Sent(i),
            })
            .collect();
        let at = now.as_secs() as i64;
        let accepted = self
            .engine_validate(&links, at)
            .map_err(|r| self.error(&cx, r))?;
        if accepted != Accepted::TrustedEndEntity {
            path::end_entity_check(links[0], usage).map_err(|r| self.error(&cx, r))?;
        }
        host::check(&sent[0], host).map_err(|rule| {
            let text = rules::rule(rule)
                .map(|r| r.java.replace("{host}", &host.to_string()))
                .unwrap_or_default();
            self.error(
                &cx,
                Refusal {
                    rule,
                    cert: Some(CertRef::Sent(0)),
                    text,
                    detail: None,
                },
            )
        })?;
        Ok(accepted)
    }

    /// "Validate Server Certificate" off: what JSSE still checks (algorithm constraints on
    /// the chain as sent, e.g. MD5 refused). `Ok(())` when JSSE would go on.
    pub fn check_unvalidated(
        &self,
        chain: &[CertificateDer<'_>],
        usage: TlsUsage,
    ) -> Result<(), PkixError> {
        let _ = usage;
        let cx = Context {
            chain,
            host: None,
            now: UnixTime::since_unix_epoch(std::time::Duration::ZERO),
        };
        let sent = parse_chain(chain).map_err(|r| self.error(&cx, r))?;
        for (i, cert) in sent.iter().enumerate().rev() {
            let link = Link {
                cert,
                at: CertRef::Sent(i),
            };
            if let Err(refusal) = path::algorithm_check(link) {
                return Err(self.error(
                    &cx,
                    Refusal {
                        rule: "unvalidated-algorithm-constraints",
                        cert: Some(CertRef::Sent(i)),
                        text: "Certificates do not conform to algorithm constraints".into(),
                        detail: Some(refusal.text),
                    },
                ));
            }
        }
        Ok(())
    }

    /// `PKIXValidator.engineValidate`: a chain sent in order under a trusted name is
    /// validated as sent; anything else is built.
    fn engine_validate(&self, links: &[Link<'_>], now: i64) -> Result<Accepted, Refusal> {
        let target_kind = if links[0].cert.basic_constraints.is_some_and(|(ca, _)| ca) {
            Accepted::CaAsTarget
        } else {
            Accepted::Path
        };
        let mut prev_issuer = None;
        for (i, link) in links.iter().enumerate() {
            if i != 0 && Some(&link.cert.subject) != prev_issuer {
                return self.build(links, now).map(|()| target_kind);
            }
            if self.is_trusted(link.cert) {
                if i == 0 {
                    return Ok(Accepted::TrustedEndEntity);
                }
                return self
                    .do_validate(&links[..i], now, &[])
                    .map(|()| target_kind);
            }
            prev_issuer = Some(&link.cert.issuer);
        }
        let last = links[links.len() - 1].cert;
        // `isSignatureValid(trustedSubjects.get(issuer), last)`: the anchors whose key
        // verifies the last certificate (their signature is then not verified again).
        let verified: Vec<usize> = self
            .anchors
            .iter()
            .enumerate()
            .filter(|(_, a)| a.subject == last.issuer && last.signed_by(a.key.as_ref()))
            .map(|(i, _)| i)
            .collect();
        if !verified.is_empty() {
            self.do_validate(links, now, &verified)
                .map(|()| target_kind)
        } else {
            self.build(links, now).map(|()| target_kind)
        }
    }

    /// Java's trusted-certificate test: the same certificate, or the same subject and key.
    fn is_trusted(&self, cert: &Cert) -> bool {
        self.anchors
            .iter()
            .any(|a| a.der == cert.der || (a.subject == cert.subject && a.spki == cert.spki))
    }

    /// `PKIXCertPathValidator`: each anchor named as the path's issuer is tried; the last
    /// failure is reported.
    fn do_validate(&self, path: &[Link<'_>], now: i64, verified: &[usize]) -> Result<(), Refusal> {
        let issuer = &path[path.len() - 1].cert.issuer;
        let mut last = None;
        for (i, anchor) in self.anchors.iter().enumerate() {
            if &anchor.subject != issuer {
                continue;
            }
            let anchor = Link {
                cert: anchor,
                at: CertRef::Anchor(i),
            };
            match path::validate_path(path, anchor, now, verified.contains(&i)) {
                Ok(()) => return Ok(()),
                Err(refusal) => last = Some(refusal),
            }
        }
        Err(last.unwrap_or_else(|| Refusal::for_rule("no-trust-anchor")))
    }

    /// `SunCertPathBuilder`: depth-first from the target through the certificates sent to a
    /// trust anchor; a candidate path that fails validation is dropped.
    fn build(&self, links: &[Link<'_>], now: i64) -> Result<(), Refusal> {
        let mut path = vec![links[0]];
        let mut budget = path::BUILDER_BUDGET;
        if self.search(&mut path, links, now, &mut budget) {
            Ok(())
        } else {
            Err(Refusal::for_rule("path-building"))
        }
    }

    fn search<'a>(
        &self,
        path: &mut Vec<Link<'a>>,
        pool: &[Link<'a>],
        now: i64,
        budget: &mut usize,
    ) -> bool {
        if *budget == 0 {
            return false;
        }
        *budget -= 1;
        let current = path[path.len() - 1].cert;
        for (i, anchor) in self.anchors.iter().enumerate() {
            if anchor.subject == current.issuer
                && current.signed_by(anchor.key.as_ref())
                && path::validate_path(
                    path,
                    Link {
                        cert: anchor,
                        at: CertRef::Anchor(i),
                    },
                    now,
                    true,
                )
                .is_ok()
            {
                return true;
            }
        }
        let intermediates = path[1..].iter().filter(|l| !l.cert.self_issued()).count();
        if intermediates >= path::BUILDER_MAX_PATH_LENGTH {
            return false;
        }
        for candidate in pool {
            if candidate.cert.subject == current.issuer
                && !path.iter().any(|l| l.cert.der == candidate.cert.der)
                && current.signed_by(candidate.cert.key.as_ref())
            {
                path.push(*candidate);
                if self.search(path, pool, now, budget) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }

    /// A refusal with everything a report needs.
    fn error(&self, cx: &Context<'_>, refusal: Refusal) -> PkixError {
        let rule = rules::rule(refusal.rule);
        let class = rule.map_or(FailureClass::BadCertificate, |r| r.class);
        let wrap = rule.map_or(Wrap::Handshake, |r| r.wrap);
        let java = format!("{}{}", rules::java_prefix(wrap), refusal.text);
        let der: Option<&[u8]> = match refusal.cert {
            Some(CertRef::Sent(i)) => cx.chain.get(i).map(|c| c.as_ref()),
            Some(CertRef::Anchor(i)) => self.anchors.get(i).map(|a| a.der.as_slice()),
            None => None,
        };
        let info = der.and_then(|d| CertInfo::from_der(d).ok());
        let infos: Vec<CertInfo> = cx
            .chain
            .iter()
            .filter_map(|c| CertInfo::from_der(c.as_ref()).ok())
            .collect();
        let now = time::OffsetDateTime::from_unix_timestamp(cx.now.as_secs() as i64)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        let now = crate::time::format_rfc3339(now);
        let subject = info.as_ref().map(|c| c.subject.clone()).unwrap_or_default();
        let failure = match class {
            FailureClass::UnknownIssuer => {
                let top = infos.last();
                Failure::UnknownIssuer {
                    top_subject: top.map(|c| c.subject.clone()).unwrap_or_default(),
                    top_issuer: top.map(|c| c.issuer.clone()).unwrap_or_default(),
                    trust_anchors: self.trust_anchor_count(),
                }
            }
            FailureClass::Expired => Failure::Expired {
                subject,
                not_after: info.map(|c| c.not_after).unwrap_or_default(),
                now,
            },
            FailureClass::NotYetValid => Failure::NotYetValid {
                subject,
                not_before: info.map(|c| c.not_before).unwrap_or_default(),
                now,
            },
            FailureClass::NameMismatch => Failure::NameMismatch {
                host: cx.host.map(Host::to_string).unwrap_or_default(),
                presented: match infos.first() {
                    Some(leaf) if !leaf.subject_alt_names.is_empty() => {
                        leaf.subject_alt_names.clone()
                    }
                    Some(leaf) => vec![leaf.subject.clone()],
                    None => Vec::new(),
                },
            },
            FailureClass::BadKeyUsage => Failure::BadKeyUsage {
                subject,
                detail: refusal.text.clone(),
                java: Some(java.clone()),
            },
            _ => Failure::BadCertificate {
                detail: refusal
                    .detail
                    .clone()
                    .unwrap_or_else(|| refusal.text.clone()),
                java: Some(java.clone()),
            },
        };
        let index = match refusal.cert {
            Some(CertRef::Sent(i)) => Some(i),
            _ => None,
        };
        let detail = match refusal.cert {
            Some(CertRef::Anchor(_)) => format!(
                "{} (trust anchor `{}`)",
                rule.map_or("", |r| r.checks),
                subject_of(der)
            ),
            _ => refusal
                .detail
                .clone()
                .unwrap_or_else(|| refusal.text.clone()),
        };
        PkixError::new(refusal.rule, index, detail, java, failure)
    }
}

fn subject_of(der: Option<&[u8]>) -> String {
    der.and_then(|d| CertInfo::from_der(d).ok())
        .map(|c| c.subject)
        .unwrap_or_default()
}

/// What an error report needs besides the refusal.
struct Context<'a> {
    chain: &'a [CertificateDer<'a>],
    host: Option<&'a Host>,
    now: UnixTime,
}

fn parse_chain(chain: &[CertificateDer<'_>]) -> Result<Vec<Cert>, Refusal> {
    if chain.is_empty() {
        return Err(Refusal {
            rule: "unparsable-certificate",
            cert: None,
            text: "Empty server certificate chain".into(),
            detail: None,
        });
    }
    chain
        .iter()
        .enumerate()
        .map(|(i, der)| {
            Cert::parse(der.as_ref()).map_err(|e| Refusal {
                rule: "unparsable-certificate",
                cert: Some(CertRef::Sent(i)),
                text: "Failed to parse server certificates".into(),
                detail: Some(format!(
                    "certificate {i} of the chain does not decode: {}",
                    e.0
                )),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
