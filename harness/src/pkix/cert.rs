//! One certificate as the rules read it: everything owned, parsed once (x509-parser for the
//! structure, OpenSSL for the key and the signature).

use openssl::pkey::{PKey, Public};
use openssl::x509::X509;
use x509_parser::prelude::{FromDer, GeneralName, ParsedExtension, X509Certificate};

use super::name::{CanonicalName, canonical_text};
use crate::memo::Memo;

/// Extension OIDs (RFC 5280 and Netscape).
pub(crate) mod oid {
    pub(crate) const KEY_USAGE: &str = "2.5.29.15";
    pub(crate) const SUBJECT_ALT_NAME: &str = "2.5.29.17";
    pub(crate) const BASIC_CONSTRAINTS: &str = "2.5.29.19";
    pub(crate) const NAME_CONSTRAINTS: &str = "2.5.29.30";
    pub(crate) const CERTIFICATE_POLICIES: &str = "2.5.29.32";
    pub(crate) const POLICY_MAPPINGS: &str = "2.5.29.33";
    pub(crate) const POLICY_CONSTRAINTS: &str = "2.5.29.36";
    pub(crate) const EXTENDED_KEY_USAGE: &str = "2.5.29.37";
    pub(crate) const INHIBIT_ANY_POLICY: &str = "2.5.29.54";
    pub(crate) const NETSCAPE_CERT_TYPE: &str = "2.16.840.1.113730.1.1";
    pub(crate) const ANY_POLICY: &str = "2.5.29.32.0";
    pub(crate) const EKU_SERVER_AUTH: &str = "1.3.6.1.5.5.7.3.1";
    pub(crate) const EKU_ANY: &str = "2.5.29.37.0";
    /// Microsoft Server Gated Cryptography (JDK `EndEntityChecker.OID_EKU_MS_SGC`).
    pub(crate) const EKU_MS_SGC: &str = "1.3.6.1.4.1.311.10.3.3";
    /// Netscape Server Gated Cryptography (JDK `EndEntityChecker.OID_EKU_NS_SGC`).
    pub(crate) const EKU_NS_SGC: &str = "2.16.840.1.113730.4.1";
}

/// A name of a SAN or a name constraint, as the rules compare them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Name {
    Dns(String),
    Email(String),
    Uri(String),
    Ip(Vec<u8>),
    Dir(Vec<Vec<String>>),
    Other,
}

/// A name constraints extension.
#[derive(Clone, Debug, Default)]
pub(crate) struct NameConstraints {
    pub(crate) permitted: Option<Vec<Name>>,
    pub(crate) excluded: Option<Vec<Name>>,
}

/// One certificate, parsed.
#[derive(Clone, Debug)]
pub(crate) struct Cert {
    pub(crate) der: Vec<u8>,
    pub(crate) subject: CanonicalName,
    pub(crate) issuer: CanonicalName,
    /// The subject's RDNs, each a sorted list of canonical `oid=value` (directoryName
    /// constraints compare by RDN prefix).
    pub(crate) subject_rdns: Vec<Vec<String>>,
    /// The subject as Java's `X500Principal.toString()` prints it.
    pub(crate) subject_text: String,
    pub(crate) subject_is_empty: bool,
    /// 1, 2 or 3.
    pub(crate) version: u32,
    pub(crate) not_before: i64,
    pub(crate) not_after: i64,
    /// Basic constraints: (cA, pathLenConstraint), `None` when absent.
    pub(crate) basic_constraints: Option<(bool, Option<u32>)>,
    /// Key usage bits (x509-parser's flags: bit 0 digitalSignature .. bit 8 decipherOnly).
    pub(crate) key_usage: Option<u16>,
    /// Extended key usage OIDs.
    pub(crate) eku: Option<Vec<String>>,
    /// Netscape cert type bits (bit 0 = SSL client, bit 1 = SSL server, DER bit order).
    pub(crate) ns_cert_type: Option<Vec<bool>>,
    /// Subject alternative names; `None` when the extension is absent.
    pub(crate) san: Option<Vec<Name>>,
    /// Raw DNS SANs and IP SANs for host name matching.
    pub(crate) common_names: Vec<String>,
    pub(crate) emails_in_subject: Vec<String>,
    pub(crate) name_constraints: Option<NameConstraints>,
    /// Certificate policy OIDs; `None` when the extension is absent.
    pub(crate) policies: Option<Vec<String>>,
    pub(crate) require_explicit_policy: Option<u32>,
    pub(crate) inhibit_policy_mapping: Option<u32>,
    pub(crate) inhibit_any_policy: Option<u32>,
    pub(crate) has_policy_mappings: bool,
    /// Critical extension OIDs.
    pub(crate) critical: Vec<String>,
    /// The signature algorithm as Java names it (`SHA256withRSA`, `RSASSA-PSS`, ...).
    pub(crate) sig_alg: String,
    /// The key algorithm as Java names it (`RSA`, `EC`, `DSA`, `Ed25519`, `RSASSA-PSS`).
    pub(crate) key_alg: String,
    /// The key size in bits as Java's `KeyUtil.getKeySize` reports it.
    pub(crate) key_bits: u32,
    pub(crate) spki: Vec<u8>,
    pub(crate) key: Option<PKey<Public>>,
    x509: Option<X509>,
}

/// Why a certificate does not parse.
#[derive(Clone, Debug)]
pub(crate) struct ParseError(pub(crate) String);

impl Cert {
    /// Parses `der` as JDK 17's `X509CertImpl` does, once per process: the result is a pure
    /// function of the bytes, and the same certificates come back again and again (a suite's
    /// scenarios share their world, so the same trust anchors and chains are validated in
    /// each). OpenSSL 3.0 decodes a public key through its provider decoders, which cost
    /// about a quarter of a millisecond per certificate (`perf record` of `scenarios run`:
    /// a quarter of the suite's CPU went to `OSSL_DECODER_CTX_new_for_pkey`). At most
    /// [`Cert::MEMO_LIMIT`] certificates are kept (the oldest dropped first).
    pub(crate) fn parse(der: &[u8]) -> Result<Cert, ParseError> {
        static MEMO: Memo<Vec<u8>, Result<Cert, ParseError>> = Memo::new(Cert::MEMO_LIMIT);
        MEMO.get_or_try_insert(&der.to_vec(), || {
            Ok::<_, std::convert::Infallible>(Self::parse_uncached(der))
        })
        .unwrap_or_else(|never| match never {})
    }

    /// How many certificates [`Cert::parse`] remembers.
    const MEMO_LIMIT: usize = 1024;

    fn parse_uncached(der: &[u8]) -> Result<Cert, ParseError> {
        let (rest, c) = X509Certificate::from_der(der)
            .map_err(|e| ParseError(crate::decode::DecodeError::from_x509_nom(&e).to_string()))?;
        if !rest.is_empty() {
            return Err(ParseError("trailing bytes after the certificate".into()));
        }
        java_parse_checks(&c)?;
        let mut cert = Cert {
            der: der.to_vec(),
            subject: CanonicalName::from_text(canonical_text(c.subject())),
            issuer: CanonicalName::from_text(canonical_text(c.issuer())),
            subject_rdns: super::name::rdns(c.subject()),
            subject_text: super::name::java_text(c.subject()),
            subject_is_empty: c.subject().iter().next().is_none(),
            version: c.version().0 + 1,
            not_before: c.validity().not_before.timestamp(),
            not_after: c.validity().not_after.timestamp(),
            basic_constraints: None,
            key_usage: None,
            eku: None,
            ns_cert_type: None,
            san: None,
            common_names: c
                .subject()
                .iter_common_name()
                .filter_map(|cn| cn.as_str().ok().map(str::to_owned))
                .collect(),
            emails_in_subject: c
                .subject()
                .iter_email()
                .filter_map(|e| e.as_str().ok().map(str::to_owned))
                .collect(),
            name_constraints: None,
            policies: None,
            require_explicit_policy: None,
            inhibit_policy_mapping: None,
            inhibit_any_policy: None,
            has_policy_mappings: false,
            critical: Vec::new(),
            sig_alg: sig_alg_name(&c),
            key_alg: String::new(),
            key_bits: 0,
            spki: c.public_key().raw.to_vec(),
            key: None,
            x509: X509::from_der(der).ok(),
        };
        for ext in c.extensions() {
            let id = ext.oid.to_id_string();
            if ext.critical {
                cert.critical.push(id.clone());
            }
            match ext.parsed_extension() {
                ParsedExtension::BasicConstraints(b) => {
                    cert.basic_constraints = Some((b.ca, b.path_len_constraint))
                }
                ParsedExtension::KeyUsage(k) => cert.key_usage = Some(k.flags),
                ParsedExtension::ExtendedKeyUsage(e) => {
                    let mut oids = Vec::new();
                    if e.any {
                        oids.push(oid::EKU_ANY.to_owned());
                    }
                    if e.server_auth {
                        oids.push(oid::EKU_SERVER_AUTH.to_owned());
                    }
                    if e.client_auth {
                        oids.push("1.3.6.1.5.5.7.3.2".to_owned());
                    }
                    oids.extend(e.other.iter().map(|o| o.to_id_string()));
                    cert.eku = Some(oids);
                }
                ParsedExtension::SubjectAlternativeName(san) => {
                    cert.san = Some(san.general_names.iter().map(name_of).collect())
                }
                ParsedExtension::NameConstraints(nc) => {
                    let list = |l: &Option<Vec<x509_parser::extensions::GeneralSubtree<'_>>>| {
                        l.as_ref()
                            .map(|v| v.iter().map(|s| name_of(&s.base)).collect())
                    };
                    cert.name_constraints = Some(NameConstraints {
                        permitted: list(&nc.permitted_subtrees),
                        excluded: list(&nc.excluded_subtrees),
                    });
                }
                ParsedExtension::CertificatePolicies(p) => {
                    cert.policies = Some(p.iter().map(|i| i.policy_id.to_id_string()).collect())
                }
                ParsedExtension::PolicyConstraints(p) => {
                    cert.require_explicit_policy = p.require_explicit_policy;
                    cert.inhibit_policy_mapping = p.inhibit_policy_mapping;
                }
                ParsedExtension::InhibitAnyPolicy(p) => {
                    cert.inhibit_any_policy = Some(p.skip_certs)
                }
                ParsedExtension::PolicyMappings(_) => cert.has_policy_mappings = true,
                _ if id == oid::NETSCAPE_CERT_TYPE => {
                    cert.ns_cert_type = Some(bit_string_bits(ext.value))
                }
                _ => {}
            }
        }
        let key = cert.x509.as_ref().and_then(|x| x.public_key().ok());
        let (key_alg, key_bits) = key_facts(&c, key.as_ref());
        if key.is_none() && ["RSA", "EC", "DSA", "RSASSA-PSS"].contains(&key_alg.as_str()) {
            // `X509Key.parse`: "subject key, java.security.InvalidKeyException: ...".
            return Err(ParseError(format!("invalid {key_alg} subject public key")));
        }
        cert.key_alg = key_alg;
        cert.key_bits = key_bits;
        cert.key = key;
        Ok(cert)
    }

    /// Whether `issuer`'s key verifies this certificate's signature.
    pub(crate) fn signed_by(&self, issuer_key: Option<&PKey<Public>>) -> bool {
        match (&self.x509, issuer_key) {
            (Some(x509), Some(key)) => x509.verify(key).unwrap_or(false),
            _ => false,
        }
    }

    /// Java's `X509CertImpl.isSelfIssued`: subject equals issuer (canonical form).
    pub(crate) fn self_issued(&self) -> bool {
        self.subject == self.issuer
    }

    pub(crate) fn ku_bit(&self, bit: u16) -> Option<bool> {
        self.key_usage.map(|flags| flags & (1 << bit) != 0)
    }
}

/// What `X509CertImpl` refuses while parsing (JDK 17 `sun/security/x509/X509CertImpl.java`,
/// `X509CertInfo.java`, `CertificateExtensions.java`, `X509Key.java`): such a certificate
/// never reaches the validator.
fn java_parse_checks(c: &X509Certificate<'_>) -> Result<(), ParseError> {
    let outer = &c.signature_algorithm;
    let inner = &c.tbs_certificate.signature;
    if outer.algorithm != inner.algorithm
        || outer.parameters.as_ref().map(|p| p.data) != inner.parameters.as_ref().map(|p| p.data)
    {
        return Err(ParseError("Signature algorithm mismatch".into()));
    }
    if c.issuer().iter().next().is_none() {
        return Err(ParseError(
            "Empty issuer DN not allowed in X509Certificates".into(),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for ext in c.extensions() {
        if !seen.insert(ext.oid.to_id_string()) {
            return Err(ParseError("Duplicate extensions not allowed".into()));
        }
        if ext.oid.to_id_string() == oid::SUBJECT_ALT_NAME
            && !ext.critical
            && c.subject().iter().next().is_none()
        {
            return Err(ParseError(
                "X.509 Certificate is incomplete: SubjectAlternativeName extension MUST be marked critical when subject field is empty".into(),
            ));
        }
    }
    let spki = c.public_key();
    if spki.algorithm.algorithm.to_id_string() == "1.2.840.10045.2.1"
        && spki
            .algorithm
            .parameters
            .as_ref()
            .is_none_or(|p| p.tag() != x509_parser::der_parser::asn1_rs::Tag::Oid)
    {
        return Err(ParseError("Only named ECParameters supported".into()));
    }
    Ok(())
}

fn name_of(name: &GeneralName<'_>) -> Name {
    match name {
        GeneralName::DNSName(d) => Name::Dns((*d).to_owned()),
        GeneralName::RFC822Name(e) => Name::Email((*e).to_owned()),
        GeneralName::URI(u) => Name::Uri((*u).to_owned()),
        GeneralName::IPAddress(ip) => Name::Ip(ip.to_vec()),
        GeneralName::DirectoryName(n) => Name::Dir(super::name::rdns(n)),
        _ => Name::Other,
    }
}

/// A DER BIT STRING's bits in DER order (bit 0 = the first byte's most significant bit).
fn bit_string_bits(der: &[u8]) -> Vec<bool> {
    // 03 len unused bytes...
    if der.len() < 3 || der[0] != 0x03 {
        return Vec::new();
    }
    let bytes = &der[3..];
    let mut bits = Vec::new();
    for byte in bytes {
        for i in 0..8 {
            bits.push(byte & (0x80 >> i) != 0);
        }
    }
    bits
}

/// Java's names for signature algorithms (`X509Certificate.getSigAlgName`).
fn sig_alg_name(c: &X509Certificate<'_>) -> String {
    java_sig_alg_name(&c.signature_algorithm.algorithm.to_id_string())
}

/// Java's name of a signature algorithm OID (`X509Certificate.getSigAlgName`); the dotted
/// OID itself for one Java has no name for.
pub(crate) fn java_sig_alg_name(oid: &str) -> String {
    match oid {
        "1.2.840.113549.1.1.2" => "MD2withRSA",
        "1.2.840.113549.1.1.4" => "MD5withRSA",
        "1.2.840.113549.1.1.5" => "SHA1withRSA",
        "1.2.840.113549.1.1.14" => "SHA224withRSA",
        "1.2.840.113549.1.1.11" => "SHA256withRSA",
        "1.2.840.113549.1.1.12" => "SHA384withRSA",
        "1.2.840.113549.1.1.13" => "SHA512withRSA",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        "1.2.840.10045.4.1" => "SHA1withECDSA",
        "1.2.840.10045.4.3.1" => "SHA224withECDSA",
        "1.2.840.10045.4.3.2" => "SHA256withECDSA",
        "1.2.840.10045.4.3.3" => "SHA384withECDSA",
        "1.2.840.10045.4.3.4" => "SHA512withECDSA",
        "1.2.840.10040.4.3" => "SHA1withDSA",
        "2.16.840.1.101.3.4.3.1" => "SHA224withDSA",
        "2.16.840.1.101.3.4.3.2" => "SHA256withDSA",
        "2.16.840.1.101.3.4.3.3" => "SHA384withDSA",
        "2.16.840.1.101.3.4.3.4" => "SHA512withDSA",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        other => return other.to_owned(),
    }
    .to_owned()
}

/// The key algorithm and size as Java reports them.
fn key_facts(c: &X509Certificate<'_>, key: Option<&PKey<Public>>) -> (String, u32) {
    let id = c.public_key().algorithm.algorithm.to_id_string();
    let alg = match id.as_str() {
        "1.2.840.113549.1.1.1" => "RSA",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        "1.2.840.10045.2.1" => "EC",
        "1.2.840.10040.4.1" => "DSA",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "1.3.101.110" => "X25519",
        "1.3.101.111" => "X448",
        other => other,
    };
    let bits = match alg {
        "Ed25519" | "X25519" => 255,
        "Ed448" | "X448" => 448,
        _ => key.map(|k| k.bits()).unwrap_or(0),
    };
    (alg.to_owned(), bits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::{Role, World, WorldSpec};

    #[test]
    fn the_memo_answers_as_a_fresh_parse_does() {
        let world = World::shared(&WorldSpec::new(1)).unwrap();
        let der = world.get(Role::Server).cert().as_ref();
        let fresh = Cert::parse_uncached(der).unwrap();
        for _ in 0..2 {
            let memo = Cert::parse(der).unwrap();
            assert_eq!(memo.der, fresh.der);
            assert_eq!(memo.subject_text, fresh.subject_text);
            assert_eq!(memo.spki, fresh.spki);
            assert!(memo.key.is_some());
        }
        // Refusals are remembered too, with the same reason.
        let mut bad = der.to_vec();
        bad.push(0);
        let first = Cert::parse(&bad).unwrap_err().0;
        assert_eq!(Cert::parse(&bad).unwrap_err().0, first);
        assert_eq!(first, "trailing bytes after the certificate");
    }
}
