//! PKCS#7 certs-only (`.p7b`, RFC 5652 degenerate SignedData) through the `cms` crate.
//!
//! Written as Java's `CertPath.getEncoded("PKCS7")` writes it (byte-identical, crates.md
//! §3.4): version 1, no digest algorithms, content type id-data without content, the
//! certificates, no signer infos. The certificates are a DER SET OF, which sorts them: the
//! file order is not the chain order (for our chains it comes out root first). Readers
//! therefore restore the chain order, leaf first, by following issuer names
//! ([`crate::chain::order`]).
//!
//! Read as a keystore, a `.p7b` gives one trusted certificate entry per certificate, leaf
//! first; [`super::read_certificates`] gives the ordered chain itself.

use cms::cert::CertificateChoices;
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{CertificateSet, EncapsulatedContentInfo, SignedData, SignerInfos};
use const_oid::db::rfc5911::{ID_DATA, ID_SIGNED_DATA};
use der::asn1::SetOfVec;
use der::{Any, Decode, Encode};
use rustls_pki_types::CertificateDer;

use super::entry::{Entry, EntryKind};
use super::error::ErrorKind;
use crate::cert::CertInfo;
use crate::decode::DecodeError;

/// PEM label of a `.p7b` in text form (OpenSSL's `-outform PEM`, keytool `-printcert`).
pub(super) const PEM_LABEL: &str = "PKCS7";

/// Most certificates read from one `.p7b` (a chain is a handful; CA bundles a few hundred).
const MAX_CERTIFICATES: usize = 10_000;

pub(super) fn read(bytes: &[u8]) -> Result<Vec<Entry>, ErrorKind> {
    let certs = read_chain(bytes)?;
    Ok(super::pem::trusted_entries(certs))
}

/// The certificates of a `.p7b` (DER or PEM), leaf first.
pub(super) fn read_chain(bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, ErrorKind> {
    let der = if bytes.first() == Some(&0x30) {
        bytes.to_vec()
    } else {
        let block = pem::parse(bytes).map_err(|e| ErrorKind::Der {
            context: "malformed PEM PKCS#7".into(),
            source: DecodeError::from_pem(&e),
        })?;
        if block.tag() != PEM_LABEL {
            return Err(ErrorKind::Malformed {
                reason: format!(
                    "PEM block `{}` where `{PEM_LABEL}` was expected",
                    block.tag()
                ),
            });
        }
        block.into_contents()
    };
    let certs = decode(&der)?;
    if certs.is_empty() {
        return Ok(certs);
    }
    Ok(crate::chain::order(&certs))
}

pub(super) fn write(entries: &[Entry]) -> Result<Vec<u8>, ErrorKind> {
    let mut certs: Vec<CertificateDer<'static>> = Vec::new();
    for entry in entries {
        let add: Vec<CertificateDer<'static>> = match &entry.kind {
            EntryKind::TrustedCertificate(cert) => vec![cert.clone()],
            // A `.p7b` never holds keys: a key pair contributes its chain, as CPI's download.
            EntryKind::KeyPair { chain, .. } => chain.clone(),
            EntryKind::SecretKey { .. } => {
                return Err(ErrorKind::CannotHold {
                    format: "pkcs7",
                    what: format!("secret-key entry `{}`", entry.alias),
                });
            }
        };
        for cert in add {
            if !certs.contains(&cert) {
                certs.push(cert);
            }
        }
    }
    encode(&certs)
}

/// A certs-only `.p7b` (DER) holding `certs`.
pub(super) fn encode(certs: &[CertificateDer<'_>]) -> Result<Vec<u8>, ErrorKind> {
    let choices = certs
        .iter()
        .map(|c| {
            x509_cert::Certificate::from_der(c)
                .map(CertificateChoices::Certificate)
                .map_err(|e| ErrorKind::Der {
                    context: "malformed certificate".into(),
                    source: DecodeError::from_der(&e),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let encoding = |e: der::Error| ErrorKind::Der {
        context: "cannot encode the PKCS#7".into(),
        source: DecodeError::from_der(&e),
    };
    let signed = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::new(),
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: ID_DATA,
            econtent: None,
        },
        certificates: Some(CertificateSet(
            SetOfVec::try_from(choices).map_err(encoding)?,
        )),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::new()),
    };
    let info = ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(&signed).map_err(encoding)?,
    };
    info.to_der().map_err(encoding)
}

/// The `.p7b` as PEM (`-----BEGIN PKCS7-----`).
pub(super) fn to_pem(der: &[u8]) -> String {
    crate::cert::pem_encode(PEM_LABEL, der)
}

fn decode(der: &[u8]) -> Result<Vec<CertificateDer<'static>>, ErrorKind> {
    let malformed = |what: &str, e: der::Error| match DecodeError::from_der(&e) {
        DecodeError::Truncated { needed } => ErrorKind::Truncated {
            reason: match needed {
                Some(n) if n > 0 => format!("the PKCS#7 {what} ends {n} bytes early"),
                _ => format!("the PKCS#7 {what} ends early"),
            },
        },
        source => ErrorKind::Der {
            context: format!("malformed PKCS#7 {what}"),
            source,
        },
    };
    let info = ContentInfo::from_der(der).map_err(|e| malformed("ContentInfo", e))?;
    if info.content_type != ID_SIGNED_DATA {
        return Err(ErrorKind::Unsupported {
            what: format!(
                "PKCS#7 content type {} (a `.p7b` is signedData)",
                info.content_type
            ),
        });
    }
    let signed: SignedData = info
        .content
        .decode_as()
        .map_err(|e| malformed("SignedData", e))?;
    let Some(set) = signed.certificates else {
        return Ok(Vec::new());
    };
    if set.0.len() > MAX_CERTIFICATES {
        return Err(ErrorKind::LimitExceeded {
            what: "certificates in one PKCS#7".into(),
            value: set.0.len() as u64,
            limit: MAX_CERTIFICATES as u64,
        });
    }
    let mut certs = Vec::with_capacity(set.0.len());
    for choice in set.0.iter() {
        let CertificateChoices::Certificate(cert) = choice else {
            return Err(ErrorKind::Unsupported {
                what: "PKCS#7 certificate choice other than X.509".into(),
            });
        };
        let bytes = cert.to_der().map_err(|e| malformed("certificate", e))?;
        CertInfo::from_der(&bytes).map_err(|e| ErrorKind::Der {
            context: format!("malformed certificate {} of the PKCS#7", certs.len() + 1),
            source: e.into_decode(),
        })?;
        certs.push(CertificateDer::from(bytes));
    }
    Ok(certs)
}
