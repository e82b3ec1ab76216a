//! PEM and DER certificate files.
//!
//! A PEM file may hold certificates (a bundle becomes trusted certificate entries) or a
//! private key with its chain (one key pair entry, alias `mykey` as keytool's default). Keys
//! may be PKCS#8 (`PRIVATE KEY`) or traditional OpenSSL keys: PKCS#1 `RSA PRIVATE KEY` and
//! SEC1 `EC PRIVATE KEY` (P-256, P-384; after the `EC PARAMETERS` block `openssl ecparam
//! -genkey` writes first), which are converted to PKCS#8 as Java holds them. An encrypted
//! PKCS#8 key (`ENCRYPTED PRIVATE KEY`) is read by [`read_private_key`] with its password.
//! A `.p7b` in PEM form (`PKCS7`) inside a bundle contributes its certificates.

use rustls_pki_types::CertificateDer;
use time::OffsetDateTime;

use super::entry::{Entry, EntryKind, KeyMaterial};
use super::error::ErrorKind;
use crate::cert::{CertInfo, pem_encode};
use crate::decode::DecodeError;
use crate::secret::{Password, PrivateKey};

/// keytool's default alias, used for the key pair of a PEM file.
pub(super) const KEY_PAIR_ALIAS: &str = "mykey";

pub(super) fn read_pem(bytes: &[u8]) -> Result<Vec<Entry>, ErrorKind> {
    let blocks = pem::parse_many(bytes).map_err(|e| ErrorKind::Der {
        context: "malformed PEM".into(),
        source: DecodeError::from_pem(&e),
    })?;
    let mut certs = Vec::new();
    let mut key = None;
    for block in blocks {
        match block.tag() {
            "CERTIFICATE" | "TRUSTED CERTIFICATE" | "X509 CERTIFICATE" => {
                let der = block.contents().to_vec();
                CertInfo::from_der(&der).map_err(|e| ErrorKind::Der {
                    context: format!("malformed certificate {} of the PEM file", certs.len() + 1),
                    source: e.into_decode(),
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
            // `openssl ecparam -genkey` writes the curve before the key; the SEC1 key names
            // its curve again, so the block carries nothing we need.
            "EC PARAMETERS" => {}
            "ENCRYPTED PRIVATE KEY" => {
                return Err(ErrorKind::Unsupported {
                    what: "PEM block `ENCRYPTED PRIVATE KEY` here: give the key as its own file \
                           with its password (--key-password-env or --key-password-file), or \
                           decrypt it first: `openssl pkcs8 -in KEY -out PLAIN`"
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

/// The PEM tags of private keys [`read_private_key`] reads.
const KEY_TAGS: &str =
    "`PRIVATE KEY`, `RSA PRIVATE KEY`, `EC PRIVATE KEY` or `ENCRYPTED PRIVATE KEY`";

/// Reads one private key as openssl writes it: PEM `PRIVATE KEY` (PKCS#8), `RSA PRIVATE
/// KEY` (PKCS#1), `EC PRIVATE KEY` (SEC1, P-256/P-384, with or without the `EC PARAMETERS`
/// block before it), `ENCRYPTED PRIVATE KEY` (PKCS#8 under PBES2: PBKDF2 or scrypt with
/// AES, openssl's default) with `password`, or the same structures as DER. Certificates in
/// the file are ignored (see [`pem_certificates`]). The error says what was found instead.
pub fn read_private_key(
    bytes: &[u8],
    password: Option<&Password>,
) -> Result<PrivateKey, ErrorKind> {
    let text_like = bytes.iter().take(64).all(|b| b.is_ascii());
    if !text_like || !bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        return der_private_key(bytes, password);
    }
    let blocks = pem::parse_many(bytes).map_err(|e| ErrorKind::Malformed {
        reason: format!("PEM: {e}"),
    })?;
    let mut found = None;
    let mut others = Vec::new();
    for block in &blocks {
        let key = match block.tag() {
            "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY" => {
                to_pkcs8(block.tag(), block.contents())?
            }
            "ENCRYPTED PRIVATE KEY" => decrypt_pkcs8(block.contents(), password)?,
            other => {
                others.push(other.to_owned());
                continue;
            }
        };
        if found.is_some() {
            return Err(ErrorKind::Malformed {
                reason: "more than one private key in one file".into(),
            });
        }
        found = Some(key);
    }
    found.ok_or_else(|| ErrorKind::Malformed {
        reason: if others.is_empty() {
            format!("no PEM block found (expected {KEY_TAGS})")
        } else {
            format!(
                "no private key: found PEM {} (expected {KEY_TAGS})",
                others
                    .iter()
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
    })
}

/// The certificates of a PEM file (`CERTIFICATE` blocks), ignoring every other block: the
/// chain beside a private key in one file.
pub fn pem_certificates(bytes: &[u8]) -> Vec<CertificateDer<'static>> {
    pem::parse_many(bytes)
        .map(|blocks| {
            blocks
                .iter()
                .filter(|b| {
                    matches!(
                        b.tag(),
                        "CERTIFICATE" | "TRUSTED CERTIFICATE" | "X509 CERTIFICATE"
                    )
                })
                .filter(|b| CertInfo::from_der(b.contents()).is_ok())
                .map(|b| CertificateDer::from(b.contents().to_vec()))
                .collect()
        })
        .unwrap_or_default()
}

fn der_private_key(der: &[u8], password: Option<&Password>) -> Result<PrivateKey, ErrorKind> {
    if pkcs8_shape(der).is_some() {
        return Ok(PrivateKey::from_pkcs8_der(der.to_vec()));
    }
    if encrypted_pkcs8(der).is_some() {
        return decrypt_pkcs8(der, password);
    }
    for tag in ["RSA PRIVATE KEY", "EC PRIVATE KEY"] {
        if let Ok(key) = to_pkcs8(tag, der) {
            return Ok(key);
        }
    }
    Err(ErrorKind::Malformed {
        reason: format!(
            "not a private key: neither PEM ({KEY_TAGS}) nor DER PKCS#8, PKCS#1 or SEC1"
        ),
    })
}

/// EncryptedPrivateKeyInfo (RFC 5958): the scheme and the encrypted PKCS#8.
#[derive(der::Sequence)]
struct EncryptedPrivateKeyInfo {
    scheme: pkcs5::EncryptionScheme,
    data: der::asn1::OctetString,
}

fn wrong_key_password() -> ErrorKind {
    ErrorKind::WrongKeyFilePassword
}

fn encrypted_pkcs8(der: &[u8]) -> Option<EncryptedPrivateKeyInfo> {
    use der::Decode as _;
    EncryptedPrivateKeyInfo::from_der(der).ok()
}

fn decrypt_pkcs8(der: &[u8], password: Option<&Password>) -> Result<PrivateKey, ErrorKind> {
    let info = encrypted_pkcs8(der).ok_or_else(|| ErrorKind::Unsupported {
        what: "this encrypted private key's scheme (PBES2 with PBKDF2 or scrypt and AES, \
               openssl's default, is read; re-encrypt with `openssl pkcs8 -topk8 -v2 aes-256-cbc`)"
            .into(),
    })?;
    let Some(password) = password else {
        return Err(ErrorKind::Malformed {
            reason: "an encrypted private key (`ENCRYPTED PRIVATE KEY`) and no key password: \
                     give --key-password-env VAR or --key-password-file FILE"
                .into(),
        });
    };
    let plain = info
        .scheme
        .decrypt(password.secret_str().as_bytes(), info.data.as_bytes())
        .map_err(|_| wrong_key_password())?;
    // A wrong password that happens to unpad cleanly still fails here.
    pkcs8_shape(&plain).ok_or_else(wrong_key_password)?;
    Ok(PrivateKey::from_pkcs8_der(plain))
}

/// Whether `der` is shaped as a PKCS#8 PrivateKeyInfo (SEQUENCE, INTEGER version, ...).
fn pkcs8_shape(der: &[u8]) -> Option<()> {
    use der::Decode as _;
    let info = p256::pkcs8::PrivateKeyInfoRef::from_der(der).ok()?;
    let _ = info.algorithm;
    Some(())
}

pub(super) fn read_der(bytes: &[u8]) -> Result<Vec<Entry>, ErrorKind> {
    let (rest, _) =
        x509_parser::parse_x509_certificate(bytes).map_err(
            |e| match DecodeError::from_x509_nom(&e) {
                DecodeError::Truncated { .. } => ErrorKind::Truncated {
                    reason: "DER certificate ends early".into(),
                },
                source => ErrorKind::Der {
                    context: "malformed DER certificate".into(),
                    source,
                },
            },
        )?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn p256_sec1() -> Vec<u8> {
        let key = p256::SecretKey::from_slice(&[7u8; 32]).unwrap();
        key.to_sec1_der().unwrap().to_vec()
    }

    #[test]
    fn sec1_after_ec_parameters_reads_as_pem_and_der() {
        let sec1 = p256_sec1();
        // prime256v1's OID, as `openssl ecparam -genkey` writes it before the key.
        let params = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
        let text = format!(
            "{}{}",
            pem_encode("EC PARAMETERS", &params),
            pem_encode("EC PRIVATE KEY", &sec1)
        );
        let from_pem = read_private_key(text.as_bytes(), None).unwrap();
        let from_der = read_private_key(&sec1, None).unwrap();
        assert_eq!(from_pem, from_der);
        assert!(pkcs8_shape(from_pem.secret_pkcs8_der()).is_some());
        // A bundle with a key and parameters but no certificate is a key pair without its
        // certificate, not an unsupported block.
        let err = read_pem(text.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("without its certificate"), "{err}");
    }

    #[test]
    fn a_file_without_a_key_says_what_it_found() {
        let text = pem_encode("CERTIFICATE REQUEST", b"\x30\x00");
        let err = read_private_key(text.as_bytes(), None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("found PEM `CERTIFICATE REQUEST`") && err.contains("RSA PRIVATE KEY"),
            "{err}"
        );
        let err = read_private_key(b"\x01\x02", None).unwrap_err().to_string();
        assert!(err.contains("not a private key"), "{err}");
    }
}
