//! Certificates as people read them: subject, issuer, serial, validity, fingerprints, key.
//!
//! One display model for every layer (keystore listings, the PKI index, the connectivity
//! test's server chain, reports), decoded with x509-parser. Certificates stay DER
//! ([`CertificateDer`]) everywhere else; this module only describes them.

use rustls_pki_types::CertificateDer;
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use crate::decode::DecodeError;
use crate::time::format_rfc3339;

/// What a person wants to know about one certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertInfo {
    /// Subject DN, RFC 4514 style (`CN=..., O=...`).
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// Serial number, colon-separated hex as keytool and OpenSSL print it.
    pub serial: String,
    /// Start of validity, RFC 3339.
    pub not_before: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// SHA-256 over the DER, colon-separated upper-case hex (keytool's format).
    pub sha256: String,
    /// Key algorithm and size, e.g. `EC P-256` or `RSA 2048`.
    pub key: String,
    /// Signature algorithm, e.g. `ecdsa-with-SHA256`.
    pub signature_algorithm: String,
    /// Subject alternative names (`DNS:localhost`, `IP:127.0.0.1`).
    pub subject_alt_names: Vec<String>,
    /// Whether basicConstraints says cA=true.
    pub is_ca: bool,
    /// Whether subject and issuer are the same name.
    pub self_issued: bool,
    #[serde(skip)]
    not_before_at: i64,
    #[serde(skip)]
    not_after_at: i64,
}

impl CertInfo {
    /// Decodes a DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, CertError> {
        let (_, cert) = X509Certificate::from_der(der).map_err(CertError::from_x509)?;
        let key = match cert.public_key().parsed() {
            Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => format!("RSA {}", rsa.key_size()),
            Ok(x509_parser::public_key::PublicKey::EC(point)) => {
                let curve = cert
                    .public_key()
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.as_oid().ok())
                    .map(|oid| curve_name(&oid.to_id_string()))
                    .unwrap_or_else(|| format!("{} bits", point.key_size()));
                format!("EC {curve}")
            }
            Ok(x509_parser::public_key::PublicKey::DSA(_)) => "DSA".to_owned(),
            Ok(other) => format!("{} bits", other.key_size()),
            Err(_) => "unknown".to_owned(),
        };
        let subject_alt_names = match cert.subject_alternative_name() {
            Ok(Some(san)) => san
                .value
                .general_names
                .iter()
                .map(|name| match name {
                    GeneralName::DNSName(dns) => format!("DNS:{dns}"),
                    GeneralName::IPAddress(bytes) => format!("IP:{}", ip_text(bytes)),
                    other => other.to_string(),
                })
                .collect(),
            _ => Vec::new(),
        };
        let not_before = cert.validity().not_before.to_datetime();
        let not_after = cert.validity().not_after.to_datetime();
        let signature_algorithm = sig_name(&cert.signature_algorithm.algorithm.to_id_string());
        Ok(Self {
            subject: dn_text(cert.subject()),
            issuer: dn_text(cert.issuer()),
            serial: cert.raw_serial_as_string(),
            not_before: format_rfc3339(not_before),
            not_after: format_rfc3339(not_after),
            sha256: fingerprint_sha256(der),
            key,
            signature_algorithm,
            subject_alt_names,
            is_ca: cert.is_ca(),
            self_issued: cert.subject().as_raw() == cert.issuer().as_raw(),
            not_before_at: not_before.unix_timestamp(),
            not_after_at: not_after.unix_timestamp(),
        })
    }

    /// Whether the certificate is valid at `now` (inclusive bounds, as RFC 5280 §4.1.2.5).
    pub fn validity_at(&self, now: OffsetDateTime) -> ValidityState {
        let now = now.unix_timestamp();
        if now < self.not_before_at {
            ValidityState::NotYetValid
        } else if now > self.not_after_at {
            ValidityState::Expired
        } else {
            ValidityState::Valid
        }
    }

    /// End of validity as a time.
    pub fn not_after_time(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(self.not_after_at).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

/// A certificate's validity relative to a given "now".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValidityState {
    /// now < notBefore.
    NotYetValid,
    /// notBefore <= now <= notAfter.
    Valid,
    /// now > notAfter.
    Expired,
}

/// A certificate that could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    /// Not a DER X.509 certificate.
    #[error("not a valid X.509 certificate")]
    Malformed {
        /// What the decoder refused, in plain words.
        #[source]
        source: DecodeError,
    },
}

impl CertError {
    /// What the decoder refused (for callers that say themselves which certificate failed).
    pub fn into_decode(self) -> DecodeError {
        match self {
            Self::Malformed { source } => source,
        }
    }

    fn from_x509(err: x509_parser::nom::Err<x509_parser::error::X509Error>) -> Self {
        Self::Malformed {
            source: DecodeError::from_x509_nom(&err),
        }
    }
}

/// SHA-256 over `der`, as keytool prints it: `AB:CD:...`.
pub fn fingerprint_sha256(der: &[u8]) -> String {
    colon_hex(&Sha256::digest(der))
}

/// Bytes as colon-separated upper-case hex.
pub fn colon_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, byte) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        out.push_str(&format!("{byte:02X}"));
    }
    out
}

/// Bytes as lower-case hex without separators (file names, aliases).
pub fn lower_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// PEM-encodes `der` under `label` with LF line endings.
pub fn pem_encode(label: &str, der: &[u8]) -> String {
    let config = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
    pem::encode_config(&pem::Pem::new(label, der.to_vec()), config)
}

/// PEM-encodes a list of certificates, in the order given.
pub fn certs_to_pem(certs: &[CertificateDer<'_>]) -> String {
    certs
        .iter()
        .map(|c| pem_encode("CERTIFICATE", c.as_ref()))
        .collect()
}

/// The raw DER subject name of a certificate (the form CertificateRequest CA names take).
pub fn subject_der(der: &[u8]) -> Result<Vec<u8>, CertError> {
    let (_, cert) = X509Certificate::from_der(der).map_err(CertError::from_x509)?;
    Ok(cert.subject().as_raw().to_vec())
}

/// The raw DER issuer name of a certificate.
pub fn issuer_der(der: &[u8]) -> Result<Vec<u8>, CertError> {
    let (_, cert) = X509Certificate::from_der(der).map_err(CertError::from_x509)?;
    Ok(cert.issuer().as_raw().to_vec())
}

/// A DER-encoded X.501 Name as text (`CN=..., O=...`), or hex when it does not decode.
pub fn name_text(name_der: &[u8]) -> String {
    match x509_parser::x509::X509Name::from_der(name_der) {
        Ok((_, name)) => dn_text(&name),
        Err(_) => colon_hex(name_der),
    }
}

/// A name as Java and CPI print it (RFC 4514: the most specific RDN, usually CN, first).
fn dn_text(name: &x509_parser::x509::X509Name<'_>) -> String {
    let rdns: Vec<String> = name
        .iter_rdn()
        .map(|rdn| {
            rdn.iter()
                .map(|atv| {
                    let key = x509_parser::objects::oid2abbrev(
                        atv.attr_type(),
                        x509_parser::objects::oid_registry(),
                    )
                    .map(str::to_owned)
                    .unwrap_or_else(|_| atv.attr_type().to_id_string());
                    let value = atv
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|_| colon_hex(atv.attr_value().data));
                    format!("{key}={value}")
                })
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect();
    rdns.into_iter().rev().collect::<Vec<_>>().join(", ")
}

fn curve_name(oid: &str) -> String {
    match oid {
        "1.2.840.10045.3.1.7" => "P-256".to_owned(),
        "1.3.132.0.34" => "P-384".to_owned(),
        "1.3.132.0.35" => "P-521".to_owned(),
        other => other.to_owned(),
    }
}

fn sig_name(oid: &str) -> String {
    match oid {
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "rsassa-pss",
        "2.16.840.1.101.3.4.3.2" => "dsa-with-SHA256",
        "1.2.840.10040.4.3" => "dsa-with-SHA1",
        "1.3.101.112" => "Ed25519",
        other => return other.to_owned(),
    }
    .to_owned()
}

fn ip_text(bytes: &[u8]) -> String {
    match bytes.len() {
        4 => std::net::Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]).to_string(),
        16 => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(bytes);
            std::net::Ipv6Addr::from(octets).to_string()
        }
        _ => colon_hex(bytes),
    }
}

/// The dotted text of an OID from its content octets (`1.2.840.113549.1.1.11`), for messages
/// and lookups; arcs longer than 32 bytes are cut (a malformed OID stays printable).
pub(crate) fn oid_text(oid: &[u8]) -> String {
    let mut arcs = Vec::new();
    let mut value: u64 = 0;
    for (i, b) in oid.iter().enumerate() {
        value = (value << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (value / 40).min(2);
                arcs.push(first);
                arcs.push(value - first * 40);
            } else {
                arcs.push(value);
            }
            value = 0;
        } else if i >= 32 {
            break;
        }
    }
    arcs.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}
