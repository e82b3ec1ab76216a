//! PEM and DER certificate files.
//!
//! A PEM file may hold certificates (a bundle becomes trusted certificate entries) or a
//! private key with its chain (one key pair entry, alias `mykey` as keytool's default). Keys
//! may be PKCS#8 (`PRIVATE KEY`) or traditional OpenSSL keys: PKCS#1 `RSA PRIVATE KEY` and
//! SEC1 `EC PRIVATE KEY` (P-256, P-384), which are converted to PKCS#8 as Java holds them.
//! A `.p7b` in PEM form (`PKCS7`) inside a bundle contributes its certificates.

use rustls_pki_types::CertificateDer;
use time::OffsetDateTime;

use super::entry::{Entry, EntryKind, KeyMaterial};
use super::error::ErrorKind;
use crate::cert::{CertInfo, pem_encode};
use crate::secret::PrivateKey;

/// keytool's default alias, used for the key pair of a PEM file.
pub(super) const KEY_PAIR_ALIAS: &str = "mykey";

pub(super) fn read_pem(bytes: &[u8]) -> Result<Vec<Entry>, ErrorKind> {
    let blocks = pem::parse_many(bytes).map_err(|e| ErrorKind::Malformed {
        reason: format!("PEM: {e}"),
    })?;
    let mut certs = Vec::new();
    let mut key = None;
    for block in blocks {
        match block.tag() {
            "CERTIFICATE" | "TRUSTED CERTIFICATE" | "X509 CERTIFICATE" => {
                let der = block.contents().to_vec();
                CertInfo::from_der(&der).map_err(|e| ErrorKind::Malformed {
                    reason: format!("PEM certificate: {e}"),
                })?;
                certs.push(CertificateDer::from(der));
            }
            "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY" => {
                if key.is_some() {
                    return Err(ErrorKind::Malformed {
                        reason: "more than one private key in one PEM file".into(),
                    });
                }
                key = Some(to_pkcs8(block.tag(), block.contents())?);
            }
            "PKCS7" => {
                certs.extend(super::pkcs7::read_chain(block.contents())?);
            }
            "ENCRYPTED PRIVATE KEY" => {
                return Err(ErrorKind::Unsupported {
                    what: "PEM block `ENCRYPTED PRIVATE KEY` (decrypt it first: \
                           `openssl pkcs8 -in KEY -out PLAIN`)"
                        .into(),
                });
            }
            other => {
                return Err(ErrorKind::Unsupported {
                    what: format!("PEM block `{other}`"),
                });
            }
        }
    }
    if let Some(key) = key {
        if certs.is_empty() {
            return Err(ErrorKind::Malformed {
                reason: "a private key without its certificate".into(),
            });
        }
        return Ok(vec![Entry {
            alias: KEY_PAIR_ALIAS.to_owned(),
            created: OffsetDateTime::UNIX_EPOCH,
            kind: EntryKind::KeyPair {
                key: KeyMaterial::plain(key),
                chain: certs,
            },
        }]);
    }
    if certs.is_empty() {
        return Err(ErrorKind::Malformed {
            reason: "no PEM certificate or key found".into(),
        });
    }
    Ok(trusted_entries(certs))
}

/// One trusted certificate entry per certificate, aliased after the CN; a repeated alias
/// gets `-2`, `-3`, ... (compared case-insensitively, as every format compares aliases).
///
/// Linear: the aliases taken are a set, and each base alias remembers the next suffix to try
/// (a PEM of thousands of copies of one certificate would otherwise rescan every alias per
/// candidate suffix).
pub(super) fn trusted_entries(certs: Vec<CertificateDer<'static>>) -> Vec<Entry> {
    use std::collections::{HashMap, HashSet};
    let mut entries: Vec<Entry> = Vec::with_capacity(certs.len());
    let mut taken: HashSet<String> = HashSet::with_capacity(certs.len());
    let mut next_suffix: HashMap<String, u64> = HashMap::new();
    for cert in certs {
        let mut entry = trusted_entry(cert);
        let base = entry.alias.to_lowercase();
        // The set only grows, so suffixes tried before for this base are taken still.
        let mut n = next_suffix.get(&base).copied().unwrap_or(1);
        loop {
            let candidate = if n == 1 {
                entry.alias.clone()
            } else {
                format!("{}-{n}", entry.alias)
            };
            if taken.insert(candidate.to_lowercase()) {
                entry.alias = candidate;
                break;
            }
            n += 1;
        }
        next_suffix.insert(base, n + 1);
        entries.push(entry);
    }
    entries
}

/// A private key PEM block as PKCS#8: PKCS#8 as is (checked), PKCS#1 and SEC1 converted.
fn to_pkcs8(tag: &str, der: &[u8]) -> Result<PrivateKey, ErrorKind> {
    use p256::pkcs8::EncodePrivateKey as _;
    let bad = |what: &str| ErrorKind::Malformed {
        reason: format!("PEM `{tag}`: not a valid {what}"),
    };
    let pkcs8 = match tag {
        "PRIVATE KEY" => {
            pkcs8_shape(der).ok_or_else(|| bad("PKCS#8 PrivateKeyInfo"))?;
            der.to_vec()
        }
        "RSA PRIVATE KEY" => {
            use rsa::pkcs1::DecodeRsaPrivateKey as _;
            let key =
                rsa::PrivateKey::from_pkcs1_der(der).map_err(|_| bad("PKCS#1 RSA private key"))?;
            key.to_pkcs8_der()
                .map_err(|_| bad("PKCS#1 RSA private key"))?
                .as_bytes()
                .to_vec()
        }
        _ => {
            if let Ok(key) = p256::SecretKey::from_sec1_der(der) {
                key.to_pkcs8_der()
                    .map_err(|_| bad("SEC1 EC private key"))?
                    .as_bytes()
                    .to_vec()
            } else if let Ok(key) = p384::SecretKey::from_sec1_der(der) {
                key.to_pkcs8_der()
                    .map_err(|_| bad("SEC1 EC private key"))?
                    .as_bytes()
                    .to_vec()
            } else {
                return Err(ErrorKind::Unsupported {
                    what: "PEM `EC PRIVATE KEY` (only P-256 and P-384 keys are converted)".into(),
                });
            }
        }
    };
    Ok(PrivateKey::from_pkcs8_der(pkcs8))
}

/// Whether `der` is shaped as a PKCS#8 PrivateKeyInfo (SEQUENCE, INTEGER version, ...).
fn pkcs8_shape(der: &[u8]) -> Option<()> {
    use der::Decode as _;
    let info = p256::pkcs8::PrivateKeyInfoRef::from_der(der).ok()?;
    let _ = info.algorithm;
    Some(())
}

pub(super) fn read_der(bytes: &[u8]) -> Result<Vec<Entry>, ErrorKind> {
    let (rest, _) = x509_parser::parse_x509_certificate(bytes).map_err(|e| match e {
        x509_parser::nom::Err::Incomplete(_) => ErrorKind::Truncated {
            reason: "DER certificate ends early".into(),
        },
        e => ErrorKind::Malformed {
            reason: format!("DER certificate: {e}"),
        },
    })?;
    if !rest.is_empty() {
        return Err(ErrorKind::Malformed {
            reason: format!("{} bytes after the DER certificate", rest.len()),
        });
    }
    Ok(vec![trusted_entry(CertificateDer::from(bytes.to_vec()))])
}

pub(super) fn write_pem(entries: &[Entry]) -> Result<Vec<u8>, ErrorKind> {
    let mut out = String::new();
    for entry in entries {
        match &entry.kind {
            EntryKind::TrustedCertificate(cert) => out.push_str(&pem_encode("CERTIFICATE", cert)),
            EntryKind::KeyPair { key, chain } => {
                let key = key.plain_key().ok_or_else(|| ErrorKind::CannotHold {
                    format: "pem",
                    what: format!("sealed key `{}` (unlock the keys first)", entry.alias),
                })?;
                out.push_str(&key.secret_pkcs8_pem());
                for cert in chain {
                    out.push_str(&pem_encode("CERTIFICATE", cert));
                }
            }
            EntryKind::SecretKey { .. } => {
                return Err(ErrorKind::CannotHold {
                    format: "pem",
                    what: format!("secret-key entry `{}`", entry.alias),
                });
            }
        }
    }
    Ok(out.into_bytes())
}

pub(super) fn write_der(entries: &[Entry]) -> Result<Vec<u8>, ErrorKind> {
    match entries {
        [entry] => match &entry.kind {
            EntryKind::TrustedCertificate(cert) => Ok(cert.to_vec()),
            _ => Err(ErrorKind::CannotHold {
                format: "der",
                what: format!("{} `{}`", entry.kind.type_name(), entry.alias),
            }),
        },
        _ => Err(ErrorKind::CannotHold {
            format: "der",
            what: format!("{} entries (exactly one certificate)", entries.len()),
        }),
    }
}

/// A trusted certificate entry aliased after its subject CN (lower-case, `-` for anything
/// but letters and digits), as users name them in KeyStore Explorer.
pub(super) fn trusted_entry(cert: CertificateDer<'static>) -> Entry {
    Entry {
        alias: alias_for(&cert),
        created: OffsetDateTime::UNIX_EPOCH,
        kind: EntryKind::TrustedCertificate(cert),
    }
}

pub(super) fn alias_for(cert: &CertificateDer<'_>) -> String {
    let subject = CertInfo::from_der(cert)
        .map(|i| i.subject)
        .unwrap_or_default();
    let cn = subject
        .split(", ")
        .find_map(|rdn| rdn.strip_prefix("CN="))
        .unwrap_or("cert");
    let slug: String = cn
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug = slug.trim_matches('-').to_owned();
    if slug.is_empty() {
        "cert".to_owned()
    } else {
        slug
    }
}
