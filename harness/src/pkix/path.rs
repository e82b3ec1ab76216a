//! Java's `PKIXValidator.engineValidate` (which path, validated or built), the checkers of
//! `PKIXCertPathValidator` run over it in Java's order, and `EndEntityChecker` for a TLS
//! server.

use super::cert::{Cert, Name, NameConstraints, oid};
use super::{KeyExchange, TlsUsage};

/// A refusal before it becomes a `PkixError`: the rule, the certificate (position in the
/// list it was found in), and the values Java's text names.
#[derive(Clone, Debug)]
pub(crate) struct Refusal {
    pub(crate) rule: &'static str,
    /// Which certificate, as a reference into the certificates handed in.
    pub(crate) cert: Option<CertRef>,
    /// The text Java prints after the wrap (already filled in).
    pub(crate) text: String,
    /// More for people than Java says, when there is more.
    pub(crate) detail: Option<String>,
}

/// Where a certificate of a path comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CertRef {
    /// The server's chain, index as sent.
    Sent(usize),
    /// A trust anchor.
    Anchor(usize),
}

impl Refusal {
    /// A refusal whose text is the rule's Java text as it stands.
    pub(crate) fn for_rule(rule: &'static str) -> Self {
        let text = super::rules::rule(rule).map(|r| r.java).unwrap_or_default();
        Self::new(rule, None, text)
    }

    fn new(rule: &'static str, cert: Option<CertRef>, text: impl Into<String>) -> Self {
        Self {
            rule,
            cert,
            text: text.into(),
            detail: None,
        }
    }
}

/// `PKIXBuilderParameters`' default maxPathLength: at most 5 non-self-issued intermediates
/// between target and anchor when the path has to be built (JDK 17
/// `java/security/cert/PKIXBuilderParameters.java`).
pub(crate) const BUILDER_MAX_PATH_LENGTH: usize = 5;

/// How many partial paths the builder extends before it gives up (Java's builder has no
/// such limit but a chain is at most `jdk.tls.maxCertificateChainLength` (10) certificates;
/// this bounds a pathological chain of same-named certificates).
pub(crate) const BUILDER_BUDGET: usize = 2000;

/// The key sizes below which `jdk.certpath.disabledAlgorithms` refuses a key (JDK 17
/// `conf/security/java.security`: RSA keySize < 1024, DSA keySize < 1024, EC keySize < 224).
pub(crate) const MIN_KEY_BITS: &[(&str, u32)] = &[("RSA", 1024), ("DSA", 1024), ("EC", 224)];

/// The digests `jdk.certpath.disabledAlgorithms` disables outright (MD2, MD5; SHA1 only with
/// `jdkCA & usage TLSServer`, which needs a JDK cacerts root as anchor).
pub(crate) const DISABLED_DIGESTS: &[&str] = &["MD2", "MD5"];

/// One certificate of a path with where it came from.
#[derive(Clone, Copy)]
pub(crate) struct Link<'a> {
    pub(crate) cert: &'a Cert,
    pub(crate) at: CertRef,
}

/// The algorithm constraints of one certificate (`AlgorithmChecker` with
/// `DisabledAlgorithmConstraints.certPathConstraints()`): its signature algorithm's digest,
/// then its key size.
pub(crate) fn algorithm_check(link: Link<'_>) -> Result<(), Refusal> {
    let cert = link.cert;
    for digest in DISABLED_DIGESTS {
        if cert.sig_alg.starts_with(digest) {
            return Err(Refusal::new(
                "algorithm-disabled",
                Some(link.at),
                format!(
                    "Algorithm constraints check failed on signature algorithm: {}",
                    cert.sig_alg
                ),
            ));
        }
    }
    key_size_check(link)
}

/// Whether `cert`'s key is below `jdk.certpath.disabledAlgorithms`' sizes.
pub(crate) fn key_too_small(cert: &Cert) -> bool {
    let key_alg = if cert.key_alg == "RSASSA-PSS" {
        "RSA"
    } else {
        cert.key_alg.as_str()
    };
    MIN_KEY_BITS
        .iter()
        .any(|(alg, min)| key_alg == *alg && cert.key_bits < *min)
}

/// JDK 17's checks of the trust anchor a path ends at (a v3 anchor must be a CA, with
/// keyCertSign when it has a key usage); measured with x509-limbo's
/// `rfc5280::root-missing-basic-constraints` and `rfc5280::root-inconsistent-ca-extensions`.
fn anchor_check(anchor: Link<'_>) -> Result<(), Refusal> {
    let cert = anchor.cert;
    if cert.version < 3 {
        return Ok(());
    }
    if !cert.basic_constraints.is_some_and(|(ca, _)| ca) {
        return Err(Refusal::new(
            "anchor-not-ca",
            Some(anchor.at),
            format!(
                "TrustAnchor with subject \"{}\" is not a CA certificate",
                cert.subject_text
            ),
        ));
    }
    if cert.ku_bit(5) == Some(false) {
        return Err(Refusal::new(
            "anchor-key-cert-sign",
            Some(anchor.at),
            format!(
                "TrustAnchor with subject \"{}\" does not have keyCertSign bit set in KeyUsage extension",
                cert.subject_text
            ),
        ));
    }
    Ok(())
}

pub(crate) fn key_size_check(link: Link<'_>) -> Result<(), Refusal> {
    let cert = link.cert;
    {
        if key_too_small(cert) {
            return Err(Refusal::new(
                "algorithm-key-size",
                Some(link.at),
                format!(
                    "Algorithm constraints check failed on keysize limits: {} {} bit key used with certificate: {}",
                    cert.key_alg, cert.key_bits, cert.subject_text
                ),
            ));
        }
    }
    Ok(())
}

/// `PKIXCertPathValidator` over `path` (target first, the certificate under the anchor
/// last) with `anchor`, at `now`: the checkers in Java's order for each certificate from
/// the anchor down.
///
/// `first_signature_verified`: the caller has already verified the signature of the
/// certificate under the anchor with the anchor's key (not done twice).
pub(crate) fn validate_path(
    path: &[Link<'_>],
    anchor: Link<'_>,
    now: i64,
    first_signature_verified: bool,
) -> Result<(), Refusal> {
    let n = path.len();
    anchor_check(anchor)?;
    let mut prev = anchor.cert;
    let mut prev_key = anchor.cert.key.as_ref();
    let mut prev_subject = &anchor.cert.subject;
    let mut max_path_length = n as i64;
    let mut constraints: Vec<&NameConstraints> = Vec::new();
    let mut policy = PolicyState::new(n);
    for (k, link) in path.iter().rev().enumerate() {
        let k = k + 1; // Java's 1-based index from the anchor side.
        let cert = link.cert;
        let at = Some(link.at);
        let last = k == n;
        let mut unresolved: Vec<&str> = cert.critical.iter().map(String::as_str).collect();

        // AlgorithmChecker (certpath constraints): the signature algorithm, then the key
        // (measured: JDK 17 does not refuse a weak anchor key here).
        algorithm_check(*link)?;
        if key_too_small(prev) {
            return Err(Refusal::new(
                "algorithm-issuer-key",
                at,
                format!(
                    "Algorithm constraints check failed on signature algorithm: {}",
                    cert.sig_alg
                ),
            ));
        }

        // KeyChecker.
        if !last && cert.ku_bit(5) == Some(false) {
            return Err(Refusal::new(
                "ca-key-cert-sign",
                at,
                "CA key usage check failed: keyCertSign bit is not set",
            ));
        }
        unresolved.retain(|o| {
            ![
                oid::KEY_USAGE,
                oid::EXTENDED_KEY_USAGE,
                oid::SUBJECT_ALT_NAME,
            ]
            .contains(o)
        });

        // ConstraintsChecker: name constraints, then basic constraints.
        if !constraints.is_empty()
            && (last || !cert.self_issued())
            && !constraints.iter().all(|nc| nc_permits(nc, cert))
        {
            return Err(Refusal::new(
                "name-constraints",
                at,
                "name constraints check failed",
            ));
        }
        if let Some(nc) = &cert.name_constraints {
            constraints.push(nc);
        }
        if !last {
            let path_len: i64 = if cert.version < 3 {
                if k == 1 && cert.self_issued() {
                    i64::MAX
                } else {
                    -1
                }
            } else {
                match cert.basic_constraints {
                    Some((true, Some(len))) => i64::from(len),
                    Some((true, None)) => i64::MAX,
                    _ => -1,
                }
            };
            if path_len == -1 {
                return Err(Refusal::new(
                    "basic-constraints-not-ca",
                    at,
                    "basic constraints check failed: this is not a CA certificate",
                ));
            }
            if !cert.self_issued() {
                if max_path_length <= 0 {
                    return Err(Refusal::new(
                        "basic-constraints-path-len",
                        at,
                        "basic constraints check failed: pathLenConstraint violated - this cert must be the last cert in the certification path",
                    ));
                }
                max_path_length -= 1;
            }
            if path_len < max_path_length {
                max_path_length = path_len;
            }
        }
        unresolved.retain(|o| ![oid::BASIC_CONSTRAINTS, oid::NAME_CONSTRAINTS].contains(o));

        // PolicyChecker.
        policy.process(cert, last).map_err(|()| {
            Refusal::new(
                "policy-required",
                at,
                "non-null policy tree required and policy tree is null",
            )
        })?;
        unresolved.retain(|o| {
            ![
                oid::CERTIFICATE_POLICIES,
                oid::POLICY_MAPPINGS,
                oid::POLICY_CONSTRAINTS,
                oid::INHIBIT_ANY_POLICY,
            ]
            .contains(o)
        });

        // BasicChecker: signature, validity, name chaining.
        let already_verified = k == 1 && first_signature_verified;
        if !(already_verified || cert.signed_by(prev_key)) {
            return Err(Refusal::new("signature", at, "signature check failed"));
        }
        if now > cert.not_after {
            return Err(Refusal::new(
                "validity-expired",
                at,
                "validity check failed",
            ));
        }
        if now < cert.not_before {
            return Err(Refusal::new(
                "validity-not-yet-valid",
                at,
                "validity check failed",
            ));
        }
        if &cert.issuer != prev_subject {
            return Err(Refusal::new(
                "name-chaining",
                at,
                "subject/issuer name chaining check failed",
            ));
        }
        prev_key = cert.key.as_ref();
        prev_subject = &cert.subject;
        prev = cert;

        if !unresolved.is_empty() {
            return Err(Refusal::new(
                "unrecognized-critical-extension",
                at,
                "unrecognized critical extension(s)",
            ));
        }
    }
    Ok(())
}

/// `EndEntityChecker.checkTLSServer` on the target (not applied when the target itself is
/// trusted).
pub(crate) fn end_entity_check(link: Link<'_>, usage: TlsUsage) -> Result<(), Refusal> {
    let cert = link.cert;
    let at = Some(link.at);
    match usage.key_exchange {
        KeyExchange::Rsa if cert.ku_bit(2) == Some(false) => {
            return Err(Refusal::new(
                "ee-key-encipherment",
                at,
                "KeyUsage does not allow key encipherment",
            ));
        }
        KeyExchange::Ecdhe | KeyExchange::Dhe | KeyExchange::Tls13
            if cert.ku_bit(0) == Some(false) =>
        {
            return Err(Refusal::new(
                "ee-digital-signature",
                at,
                "KeyUsage does not allow digital signatures",
            ));
        }
        _ => {}
    }
    if let Some(eku) = &cert.eku
        && !eku.iter().any(|o| {
            [
                oid::EKU_SERVER_AUTH,
                oid::EKU_ANY,
                oid::EKU_MS_SGC,
                oid::EKU_NS_SGC,
            ]
            .contains(&o.as_str())
        })
    {
        return Err(Refusal::new(
            "ee-extended-key-usage",
            at,
            "Extended key usage does not permit use for TLS server authentication",
        ));
    }
    if let Some(bits) = &cert.ns_cert_type
        && !bits.get(1).copied().unwrap_or(false)
    {
        return Err(Refusal::new(
            "ee-netscape-cert-type",
            at,
            "Netscape cert type does not permit use for SSL server",
        ));
    }
    Ok(())
}

/// RFC 5280 policy processing reduced to what decides Java's verdict with its defaults
/// (initial policy anyPolicy, no explicit policy required, mapping and anyPolicy not
/// inhibited): whether the valid policy tree is empty when an explicit policy is required.
struct PolicyState {
    /// The valid policies (`None`: the tree is null); `anyPolicy` stands for every policy.
    valid: Option<Vec<String>>,
    explicit_policy: i64,
    inhibit_any_policy: i64,
}

impl PolicyState {
    fn new(n: usize) -> Self {
        Self {
            valid: Some(vec![oid::ANY_POLICY.to_owned()]),
            explicit_policy: n as i64 + 1,
            inhibit_any_policy: n as i64 + 1,
        }
    }

    fn process(&mut self, cert: &Cert, last: bool) -> Result<(), ()> {
        // (d), (e): the tree keeps the certificate's policies that the tree allows.
        self.valid = match (&self.valid, &cert.policies) {
            (Some(valid), Some(policies)) => {
                let any_allowed = self.inhibit_any_policy > 0 || (!last && cert.self_issued());
                let tree_any = valid.iter().any(|p| p == oid::ANY_POLICY);
                let mut next: Vec<String> = policies
                    .iter()
                    .filter(|p| p.as_str() != oid::ANY_POLICY)
                    .filter(|p| tree_any || valid.contains(p))
                    .cloned()
                    .collect();
                if policies.iter().any(|p| p == oid::ANY_POLICY) && any_allowed {
                    if tree_any {
                        next.push(oid::ANY_POLICY.to_owned());
                    } else {
                        next.extend(valid.iter().cloned());
                    }
                }
                next.sort();
                next.dedup();
                (!next.is_empty()).then_some(next)
            }
            _ => None,
        };
        if last {
            // `processPolicies` merges the target's own policy constraints before (f).
            if self.explicit_policy > 0 && !cert.self_issued() {
                self.explicit_policy -= 1;
            }
            if cert.require_explicit_policy == Some(0) {
                self.explicit_policy = 0;
            }
        }
        // (f), with the explicit-policy count as it stood before this certificate: JDK 17's
        // `checkPolicy` merges a CA's requireExplicitPolicy only after `processPolicies`,
        // so a CA whose requireExplicitPolicy is 0 is refused at the certificate below it
        // (after that certificate's name constraints check), not at itself.
        if self.explicit_policy == 0 && self.valid.is_none() {
            return Err(());
        }
        if !last {
            if !cert.self_issued() {
                if self.explicit_policy > 0 {
                    self.explicit_policy -= 1;
                }
                if self.inhibit_any_policy > 0 {
                    self.inhibit_any_policy -= 1;
                }
            }
            if let Some(require) = cert.require_explicit_policy
                && i64::from(require) < self.explicit_policy
            {
                self.explicit_policy = i64::from(require);
            }
            if let Some(skip) = cert.inhibit_any_policy
                && i64::from(skip) < self.inhibit_any_policy
            {
                self.inhibit_any_policy = i64::from(skip);
            }
        }
        Ok(())
    }
}

/// `NameConstraintsExtension.verify(X509Certificate)`.
fn nc_permits(nc: &NameConstraints, cert: &Cert) -> bool {
    let mut names: Vec<Name> = Vec::new();
    if !cert.subject_is_empty {
        names.push(Name::Dir(cert.subject_rdns.clone()));
    }
    let mut alt: Vec<Name> = match &cert.san {
        Some(san) => san.clone(),
        None => cert
            .emails_in_subject
            .iter()
            .cloned()
            .map(Name::Email)
            .collect(),
    };
    if let Some(cn) = cert.common_names.last() {
        if let Ok(ip) = cn.parse::<std::net::IpAddr>() {
            if !alt.iter().any(|n| matches!(n, Name::Ip(_))) {
                alt.push(Name::Ip(match ip {
                    std::net::IpAddr::V4(v) => v.octets().to_vec(),
                    std::net::IpAddr::V6(v) => v.octets().to_vec(),
                }));
            }
        } else if valid_dns_name(cn) && !alt.iter().any(|n| matches!(n, Name::Dns(_))) {
            alt.push(Name::Dns(cn.clone()));
        }
    }
    names.extend(alt);
    names.iter().all(|name| {
        let excluded = nc
            .excluded
            .iter()
            .flatten()
            .any(|c| same_type(c, name) && within(name, c));
        let permitted_of_type: Vec<&Name> = nc
            .permitted
            .iter()
            .flatten()
            .filter(|c| same_type(c, name))
            .collect();
        !excluded
            && (permitted_of_type.is_empty() || permitted_of_type.iter().any(|c| within(name, c)))
    })
}

fn valid_dns_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && l.as_bytes()[0].is_ascii_alphanumeric()
        })
}

/// Whether a constraint and a name are of the same type (an IPv4 constraint does not
/// constrain an IPv6 name: Java's `IPAddressName.constrains` answers NAME_DIFF_TYPE).
fn same_type(c: &Name, name: &Name) -> bool {
    match (c, name) {
        (Name::Ip(c), Name::Ip(n)) => c.len() == n.len() * 2,
        _ => std::mem::discriminant(c) == std::mem::discriminant(name),
    }
}

/// Whether `name` lies within the constraint `c` (same type).
fn within(name: &Name, c: &Name) -> bool {
    match (name, c) {
        (Name::Dns(n), Name::Dns(c)) => dns_within(n, c),
        (Name::Email(n), Name::Email(c)) => {
            let n = n.to_ascii_lowercase();
            let c = c.to_ascii_lowercase();
            if c.contains('@') {
                n == c
            } else if let Some(domain) = c.strip_prefix('.') {
                n.rsplit_once('@')
                    .is_some_and(|(_, h)| h.ends_with(&format!(".{domain}")))
            } else {
                n.rsplit_once('@').is_some_and(|(_, h)| h == c)
            }
        }
        (Name::Uri(n), Name::Uri(c)) => {
            let host = n
                .split_once("://")
                .map(|(_, rest)| rest)
                .unwrap_or(n)
                .split(['/', ':', '?', '#'])
                .next()
                .unwrap_or("")
                .rsplit('@')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            let c = c.to_ascii_lowercase();
            match c.strip_prefix('.') {
                Some(domain) => host.ends_with(&format!(".{domain}")),
                None => host == c,
            }
        }
        (Name::Ip(n), Name::Ip(c)) => {
            c.len() == n.len() * 2
                && n.iter()
                    .zip(&c[..n.len()])
                    .zip(&c[n.len()..])
                    .all(|((a, b), m)| a & m == b & m)
        }
        (Name::Dir(n), Name::Dir(c)) => n.len() >= c.len() && n[..c.len()] == c[..],
        _ => false,
    }
}

fn dns_within(name: &str, constraint: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let c = constraint.to_ascii_lowercase();
    if c.is_empty() {
        return true;
    }
    n == c || n.ends_with(&format!(".{c}"))
}
