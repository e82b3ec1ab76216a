//! Java 17's server-certificate validation as data: `PKIXValidator` + `CertPathValidator` +
//! `HostnameChecker` + algorithm constraints, with JDK 17's default `java.security`.
//!
//! [`Validator`] holds the trust anchors (every trusted entry, whatever its position or
//! validity: Java's trust store semantics); [`Validator::validate`] is "Validate Server
//! Certificate" on, [`Validator::check_unvalidated`] what JSSE still checks with it off. A
//! refusal is a [`PkixError`] naming the rule broken, with Java's exact text.

mod error;
pub mod name;

use std::net::IpAddr;
use std::sync::Arc;

use rustls::client::{verify_server_cert_signed_by_trust_anchor, verify_server_name};
use rustls::crypto::CryptoProvider;
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, RootCertStore};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

pub use error::PkixError;

use crate::cert::CertInfo;
use crate::connect::{Failure, TlsVersion};

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
    roots: RootCertStore,
    trusted: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
}

impl Validator {
    /// Every certificate becomes a trust anchor whatever its position or validity (Java's
    /// trust store semantics).
    pub fn new(trusted: impl IntoIterator<Item = CertificateDer<'static>>) -> Self {
        let trusted: Vec<_> = trusted.into_iter().collect();
        let mut roots = RootCertStore::empty();
        let _ = roots.add_parsable_certificates(trusted.iter().cloned());
        Self {
            roots,
            trusted,
            provider: java_provider(),
        }
    }

    /// How many trust anchors the validator holds (Java refuses an empty trust store with
    /// its own text).
    pub fn trust_anchor_count(&self) -> usize {
        self.roots.len()
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
        let _ = usage;
        self.legacy(chain, host, now)
            .map_err(|e| self.refusal(&e, chain, host, now))
    }

    /// "Validate Server Certificate" off: what JSSE still checks (algorithm constraints on
    /// the chain as sent, e.g. MD5 refused). `Ok(())` when JSSE would go on.
    pub fn check_unvalidated(
        &self,
        chain: &[CertificateDer<'_>],
        usage: TlsUsage,
    ) -> Result<(), PkixError> {
        let _ = (chain, usage);
        Ok(())
    }

    fn legacy(
        &self,
        chain: &[CertificateDer<'_>],
        host: &Host,
        now: UnixTime,
    ) -> Result<Accepted, rustls::Error> {
        let Some((end_entity, intermediates)) = chain.split_first() else {
            return Err(rustls::Error::NoCertificatesPresented);
        };
        let parsed = ParsedCertificate::try_from(end_entity)?;
        let accepted = if self
            .trusted
            .iter()
            .any(|t| t.as_ref() == end_entity.as_ref())
        {
            Accepted::TrustedEndEntity
        } else if is_ca(end_entity) {
            self.java_ca_target_path(end_entity, intermediates, now)?;
            Accepted::CaAsTarget
        } else {
            verify_server_cert_signed_by_trust_anchor(
                &parsed,
                &self.roots,
                intermediates,
                now,
                self.provider.signature_verification_algorithms.all,
            )?;
            Accepted::Path
        };
        let server_name = match host {
            Host::Dns(name) => ServerName::try_from(name.clone()).map_err(|_| {
                rustls::Error::InvalidCertificate(CertificateError::NotValidForName)
            })?,
            Host::Ip(ip) => ServerName::IpAddress((*ip).into()),
        };
        match verify_server_name(&parsed, &server_name) {
            Ok(()) => Ok(accepted),
            Err(_) if java_cn_fallback(end_entity, &server_name) => Ok(accepted),
            Err(err) => Err(err),
        }
    }

    fn java_ca_target_path(
        &self,
        target: &CertificateDer<'_>,
        sent: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<(), rustls::Error> {
        fn parse(der: &[u8]) -> Result<X509Certificate<'_>, rustls::Error> {
            X509Certificate::from_der(der)
                .map(|(_, c)| c)
                .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))
        }
        let at = now.as_secs() as i64;
        let mut current = parse(target.as_ref())?;
        if let Ok(Some(eku)) = current.extended_key_usage()
            && !(eku.value.server_auth || eku.value.any)
        {
            return Err(rustls::Error::InvalidCertificate(
                CertificateError::InvalidPurpose,
            ));
        }
        for _ in 0..=sent.len() {
            let validity = current.validity();
            if at > validity.not_after.timestamp() {
                return Err(rustls::Error::InvalidCertificate(CertificateError::Expired));
            }
            if at < validity.not_before.timestamp() {
                return Err(rustls::Error::InvalidCertificate(
                    CertificateError::NotValidYet,
                ));
            }
            let signed_by = |issuer: &X509Certificate<'_>| {
                issuer.subject().as_raw() == current.issuer().as_raw()
                    && self.signature_ok(&current, issuer)
            };
            for anchor in &self.trusted {
                if let Ok(anchor) = parse(anchor.as_ref())
                    && signed_by(&anchor)
                {
                    return Ok(());
                }
            }
            let next = sent
                .iter()
                .filter_map(|c| parse(c.as_ref()).ok())
                .find(|c| c.as_raw() != current.as_raw() && signed_by(c));
            match next {
                Some(next) => current = next,
                None => break,
            }
        }
        Err(rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer,
        ))
    }

    fn signature_ok(&self, cert: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> bool {
        let key = issuer.public_key().subject_public_key.data.as_ref();
        let message = cert.tbs_certificate.as_ref();
        let signature = cert.signature_value.data.as_ref();
        self.provider
            .signature_verification_algorithms
            .all
            .iter()
            .any(|alg| alg.verify_signature(key, message, signature).is_ok())
    }

    fn refusal(
        &self,
        err: &rustls::Error,
        chain: &[CertificateDer<'_>],
        host: &Host,
        now: UnixTime,
    ) -> PkixError {
        let infos: Vec<CertInfo> = chain
            .iter()
            .filter_map(|c| CertInfo::from_der(c.as_ref()).ok())
            .collect();
        let now_dt = time::OffsetDateTime::from_unix_timestamp(now.as_secs() as i64)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        let now_text = crate::time::format_rfc3339(now_dt);
        let leaf_subject = infos.first().map(|c| c.subject.clone()).unwrap_or_default();
        let find = |state| infos.iter().find(|c| c.validity_at(now_dt) == state);
        use crate::cert::ValidityState;
        let (rule, failure) = match err {
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
                let top = infos.last();
                (
                    "path-unknown-issuer",
                    Failure::UnknownIssuer {
                        top_subject: top.map(|c| c.subject.clone()).unwrap_or_default(),
                        top_issuer: top.map(|c| c.issuer.clone()).unwrap_or_default(),
                        trust_anchors: self.trust_anchor_count(),
                    },
                )
            }
            rustls::Error::InvalidCertificate(
                CertificateError::Expired | CertificateError::ExpiredContext { .. },
            ) => {
                let cert = find(ValidityState::Expired);
                (
                    "validity-expired",
                    Failure::Expired {
                        subject: cert.map(|c| c.subject.clone()).unwrap_or(leaf_subject),
                        not_after: cert.map(|c| c.not_after.clone()).unwrap_or_default(),
                        now: now_text,
                    },
                )
            }
            rustls::Error::InvalidCertificate(
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. },
            ) => {
                let cert = find(ValidityState::NotYetValid);
                (
                    "validity-not-yet-valid",
                    Failure::NotYetValid {
                        subject: cert.map(|c| c.subject.clone()).unwrap_or(leaf_subject),
                        not_before: cert.map(|c| c.not_before.clone()).unwrap_or_default(),
                        now: now_text,
                    },
                )
            }
            rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            ) => {
                let presented = match infos.first() {
                    Some(leaf) if !leaf.subject_alt_names.is_empty() => {
                        leaf.subject_alt_names.clone()
                    }
                    Some(leaf) => vec![leaf.subject.clone()],
                    None => Vec::new(),
                };
                (
                    "host-name-mismatch",
                    Failure::NameMismatch {
                        host: host.to_string(),
                        presented,
                    },
                )
            }
            rustls::Error::InvalidCertificate(
                CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. },
            ) => (
                "eku-server-auth",
                Failure::BadKeyUsage {
                    subject: leaf_subject,
                    detail: "the extended key usage does not include serverAuth".into(),
                },
            ),
            other => (
                "bad-certificate",
                Failure::BadCertificate {
                    detail: format!("{other:?}"),
                },
            ),
        };
        PkixError::new(rule, None, failure.message(), failure.java_text(), failure)
    }
}

/// Whether a certificate says it is a CA (basicConstraints cA=TRUE).
fn is_ca(der: &CertificateDer<'_>) -> bool {
    X509Certificate::from_der(der.as_ref())
        .ok()
        .and_then(|(_, c)| c.basic_constraints().ok().flatten().map(|b| b.value.ca))
        .unwrap_or(false)
}

/// Java's `HostnameChecker.matchDNS`: when a certificate has no DNS SAN, the most specific
/// CN is matched instead (never for IP addresses, which need an IP SAN).
fn java_cn_fallback(end_entity: &CertificateDer<'_>, host: &ServerName<'_>) -> bool {
    let ServerName::DnsName(dns) = host else {
        return false;
    };
    let Ok((_, cert)) = X509Certificate::from_der(end_entity.as_ref()) else {
        return false;
    };
    let has_dns_san = match cert.subject_alternative_name() {
        Ok(Some(san)) => san
            .value
            .general_names
            .iter()
            .any(|n| matches!(n, GeneralName::DNSName(_))),
        _ => false,
    };
    if has_dns_san {
        return false;
    }
    let Some(cn) = cert
        .subject()
        .iter_common_name()
        .last()
        .and_then(|cn| cn.as_str().ok())
    else {
        return false;
    };
    dns_matches(cn, dns.as_ref())
}

/// A presented name against a host: case-insensitive, with a wildcard only as the whole
/// leftmost label.
fn dns_matches(presented: &str, host: &str) -> bool {
    let presented = presented.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if let Some(rest) = presented.strip_prefix("*.") {
        return host
            .split_once('.')
            .is_some_and(|(label, tail)| !label.is_empty() && tail == rest && rest.contains('.'));
    }
    presented == host
}

/// The crypto provider of every connectivity test: aws-lc-rs with the key exchange groups
/// JDK 17 offers by default (x25519, secp256r1, secp384r1). rustls would otherwise lead with
/// the X25519MLKEM768 hybrid, which no CPI tenant on Java 17 sends.
pub(crate) fn java_provider() -> Arc<CryptoProvider> {
    static PROVIDER: std::sync::OnceLock<Arc<CryptoProvider>> = std::sync::OnceLock::new();
    PROVIDER
        .get_or_init(|| {
            use rustls::crypto::aws_lc_rs::kx_group::{SECP256R1, SECP384R1, X25519};
            let mut provider = rustls::crypto::aws_lc_rs::default_provider();
            provider.kx_groups = vec![X25519, SECP256R1, SECP384R1];
            Arc::new(provider)
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_one_leftmost_label() {
        assert!(dns_matches("localhost", "LOCALHOST"));
        assert!(dns_matches("*.example.com", "a.example.com"));
        assert!(!dns_matches("*.example.com", "a.b.example.com"));
        assert!(!dns_matches("*.com", "example.com"));
        assert!(!dns_matches("example.com", "a.example.com"));
    }
}
