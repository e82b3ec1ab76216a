//! PKCS#12 (RFC 7292) through the `p12-keystore` crate.
//!
//! Reads what JDK 17's keytool writes (PBES2/PBKDF2-HmacSHA256/AES-256-CBC, HmacSHA256 MAC),
//! what `openssl pkcs12 -export` writes (with and without `-legacy`: PBE-SHA1-3DES / RC2-40,
//! SHA-1 MAC) and unencrypted-certificate variants. The crate decodes the bags; linking keys
//! to certificates, building chains and naming entries is done here, after Java's
//! `PKCS12KeyStore`:
//!
//! - a key bag and the certificate bag with the same `localKeyID` form a key pair entry; the
//!   chain follows issuer names through the other certificates of the file (so the CA
//!   certificates of an `openssl pkcs12 -export` file are chain members, not entries);
//! - a certificate bag with Java's trusted-key-usage attribute (OID 2.16.840.1.113894.746875.
//!   1.1) and no `localKeyID` is a trusted certificate entry; when the file holds no key at all,
//!   every certificate is one (an OpenSSL `-nokeys` trust bundle), as keytool lists it;
//! - the alias is the bag's `friendlyName`, kept in its case (Java compares it
//!   case-insensitively); without one, the certificate's CN.
//!
//! Writing produces the JDK 17 form by default ([`Pkcs12Profile::Jdk17`]) or the legacy form
//! ([`Pkcs12Profile::Legacy`]). The crate draws salts and IVs from the OS, so output is not
//! byte-deterministic: tests compare parsed content.
//!
//! Work caps: MAC and key-derivation iteration counts above [`MAX_ITERATIONS`] are refused
//! before any derivation (we check the MAC ourselves; the crate checks the rest with the
//! same bound), scrypt memory above 1 GiB by the crate; and the file's total work (the MAC
//! and every encrypted bag summed) above [`super::MAX_KDF_WORK`] (see `super::work`).

use der::Decode;
use p12_keystore::{
    Certificate, EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm, Pkcs12Archive,
    PrivateKeyChain,
};
use rustls_pki_types::CertificateDer;
use sha1::{Digest, Sha1};
use time::OffsetDateTime;

use super::entry::{Entry, EntryKind, KeyMaterial, Passwords};
use super::error::ErrorKind;
use crate::decode::DecodeError;
use crate::secret::PrivateKey;

/// Largest MAC or key-derivation iteration count read (the `p12-keystore` bound; keytool
/// writes 10,000, OpenSSL 2,048).
pub const MAX_ITERATIONS: u64 = 1_000_000;

/// Which PKCS#12 algorithms to write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Pkcs12Profile {
    /// JDK 17 keytool's defaults: PBES2 (PBKDF2-HmacSHA256, AES-256-CBC) for keys and
    /// certificates, HmacSHA256 MAC, 10,000 iterations.
    #[default]
    Jdk17,
    /// The form of JDK 8 and `openssl pkcs12 -legacy`: PBE-SHA1-3DES, SHA-1 MAC, 2,048
    /// iterations (for old consumers only).
    Legacy,
}

const OID_PBMAC1: &str = "1.2.840.113549.1.5.14";

pub(super) fn read(bytes: &[u8], passwords: &Passwords) -> Result<Vec<Entry>, ErrorKind> {
    let has_mac = precheck(bytes)?;
    let archive = Pkcs12Archive::from_pkcs12(bytes, passwords.store.secret_str())
        .map_err(|e| map_error(e, has_mac))?;
    link(archive)
}

pub(super) fn write(
    entries: &[Entry],
    passwords: &Passwords,
    profile: Pkcs12Profile,
) -> Result<Vec<u8>, ErrorKind> {
    let mut store = KeyStore::new();
    for entry in entries {
        let value = match &entry.kind {
            EntryKind::TrustedCertificate(cert) => KeyStoreEntry::Certificate(certificate(cert)?),
            EntryKind::KeyPair { key, chain } => {
                if chain.is_empty() {
                    return Err(ErrorKind::CannotHold {
                        format: "pkcs12",
                        what: format!("key pair `{}` without a certificate", entry.alias),
                    });
                }
                let key = key.unlock(passwords.key_for(&entry.alias), &entry.alias)?;
                let key =
                    p12_keystore::PrivateKey::from_der(key.secret_pkcs8_der()).map_err(|_| {
                        ErrorKind::Malformed {
                            reason: format!("the private key of `{}` is not PKCS#8", entry.alias),
                        }
                    })?;
                let certs = chain
                    .iter()
                    .map(certificate)
                    .collect::<Result<Vec<_>, _>>()?;
                KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(
                    local_key_id(&entry.alias, &chain[0]),
                    key,
                    certs,
                ))
            }
            EntryKind::SecretKey { .. } => {
                return Err(ErrorKind::CannotHold {
                    format: "pkcs12",
                    what: format!("secret-key entry `{}` (its key is never read)", entry.alias),
                });
            }
        };
        store.add_entry(&entry.alias, value);
    }
    let password = passwords.store.secret_str();
    let writer = match profile {
        Pkcs12Profile::Jdk17 => store.writer(password),
        Pkcs12Profile::Legacy => store
            .writer(password)
            .encryption_algorithm(EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc)
            .encryption_iterations(2048)
            .mac_algorithm(MacAlgorithm::HmacSha1)
            .mac_iterations(2048),
    };
    writer.write().map_err(|e| match e {
        p12_keystore::error::Error::DerError(e) => ErrorKind::Der {
            context: "cannot encode the PKCS#12 content (an alias outside the Basic \
                      Multilingual Plane?)"
                .into(),
            source: DecodeError::from_der(&e),
        },
        other => ErrorKind::Malformed {
            reason: format!("cannot encode PKCS#12: {}", p12_phrase(&other)),
        },
    })
}

/// Checks what the crate would check only after work: the outer structure, the MAC
/// algorithm (PBMAC1 is named rather than reported as "unsupported scheme") and the MAC
/// iteration count. Returns whether the file has a MAC.
fn precheck(bytes: &[u8]) -> Result<bool, ErrorKind> {
    let pfx = ::pkcs12::pfx::Pfx::from_der(bytes).map_err(der_error)?;
    if let Some(mac) = &pfx.mac_data {
        if mac.mac.algorithm.oid.to_string() == OID_PBMAC1 {
            return Err(ErrorKind::Unsupported {
                what: "PKCS#12 MAC algorithm PBMAC1 (RFC 9579)".into(),
            });
        }
        let iterations = u64::try_from(mac.iterations).unwrap_or(u64::MAX);
        if iterations > MAX_ITERATIONS {
            return Err(ErrorKind::LimitExceeded {
                what: "PKCS#12 MAC iteration count".into(),
                value: iterations,
                limit: MAX_ITERATIONS,
            });
        }
    }
    // The whole file's key derivations, before the first one (see `super::work`).
    let mac_work = pfx
        .mac_data
        .as_ref()
        .map_or(0, |mac| u64::try_from(mac.iterations).unwrap_or(0));
    super::work::check(
        mac_work.saturating_add(super::work::declared_kdf_work(bytes)),
        "PKCS#12",
    )?;
    Ok(pfx.mac_data.is_some())
}

/// Turns decoded bags into entries, as Java's `PKCS12KeyStore` does (see the module docs).
fn link(archive: Pkcs12Archive) -> Result<Vec<Entry>, ErrorKind> {
    let certs: Vec<CertificateDer<'static>> = archive
        .certs
        .iter()
        .map(|bag| CertificateDer::from(bag.cert.as_der().to_vec()))
        .collect();
    let mut used = vec![false; certs.len()];
    let mut entries = Vec::new();
    for key in &archive.keys {
        let leaf = key.local_key_id.as_ref().and_then(|id| {
            archive
                .certs
                .iter()
                .position(|c| c.local_key_id.as_deref() == Some(id.as_ref()))
        });
        let leaf = match (leaf, archive.keys.len(), archive.certs.len()) {
            (Some(i), _, _) => i,
            // One key and one certificate without IDs: they belong together.
            (None, 1, 1) => 0,
            _ => {
                return Err(ErrorKind::Malformed {
                    reason: format!(
                        "private key `{}` has no matching certificate (no localKeyID link)",
                        key.friendly_name.as_deref().unwrap_or("(unnamed)")
                    ),
                });
            }
        };
        let chain = chain_from(leaf, &certs, &archive, &mut used);
        let alias = key
            .friendly_name
            .clone()
            .or_else(|| archive.certs[leaf].friendly_name.clone())
            .unwrap_or_else(|| super::pem::alias_for(&certs[leaf]));
        entries.push(Entry {
            alias,
            created: OffsetDateTime::UNIX_EPOCH,
            kind: EntryKind::KeyPair {
                key: KeyMaterial::plain(PrivateKey::from_pkcs8_der(key.key.as_der().to_vec())),
                chain,
            },
        });
    }
    let keyless = archive.keys.is_empty();
    for (i, bag) in archive.certs.iter().enumerate() {
        let trusted = (bag.trusted && bag.local_key_id.is_none()) || (keyless && !used[i]);
        if !trusted {
            continue;
        }
        let alias = bag
            .friendly_name
            .clone()
            .unwrap_or_else(|| super::pem::alias_for(&certs[i]));
        entries.push(Entry {
            alias,
            created: OffsetDateTime::UNIX_EPOCH,
            kind: EntryKind::TrustedCertificate(certs[i].clone()),
        });
    }
    for secret in &archive.secrets {
        let alias = secret
            .friendly_name
            .clone()
            .unwrap_or_else(|| crate::cert::lower_hex(secret.key.local_key_id().as_ref()));
        entries.push(Entry {
            alias,
            created: OffsetDateTime::UNIX_EPOCH,
            kind: EntryKind::SecretKey {
                algorithm: secret_algorithm(secret.key.key_type()),
            },
        });
    }
    Ok(entries)
}

/// The chain of the certificate at `leaf`: it, then its issuers among the file's
/// non-trusted certificates (trusted entries are separate, as in Java), leaf first.
fn chain_from(
    leaf: usize,
    certs: &[CertificateDer<'static>],
    archive: &Pkcs12Archive,
    used: &mut [bool],
) -> Vec<CertificateDer<'static>> {
    let candidates: Vec<CertificateDer<'static>> = certs
        .iter()
        .enumerate()
        .filter(|(i, _)| *i == leaf || !archive.certs[*i].trusted)
        .map(|(_, c)| c.clone())
        .collect();
    let chain = crate::chain::order_from(&certs[leaf], &candidates);
    for cert in &chain {
        if let Some(i) = certs.iter().position(|c| c == cert) {
            used[i] = true;
        }
    }
    chain
}

/// Java's name for a secret key's algorithm (`SecretKey.getAlgorithm()`).
fn secret_algorithm(kind: p12_keystore::secret::SecretKeyType) -> String {
    use p12_keystore::secret::SecretKeyType as T;
    match kind {
        T::Aes | T::Aes128Cbc | T::Aes192Cbc | T::Aes256Cbc => "AES".into(),
        T::DesCbc => "DES".into(),
        T::DesEde3Cbc => "DESede".into(),
        T::Blowfish => "Blowfish".into(),
        T::Rc2Cbc => "RC2".into(),
        T::Rc4 => "RC4".into(),
        T::Camelia => "Camellia".into(),
        T::HmacSha1 => "HmacSHA1".into(),
        T::HmacSha224 => "HmacSHA224".into(),
        T::HmacSha256 => "HmacSHA256".into(),
        T::HmacSha384 => "HmacSHA384".into(),
        T::HmacSha512 => "HmacSHA512".into(),
        T::Unknown(oid) => oid.to_string(),
    }
}

fn certificate(cert: &CertificateDer<'_>) -> Result<Certificate, ErrorKind> {
    Certificate::from_der(cert).map_err(|e| match e {
        p12_keystore::error::Error::X509Error(e) => ErrorKind::Der {
            context: "malformed certificate".into(),
            source: DecodeError::from_x509_nom(&e),
        },
        other => ErrorKind::Malformed {
            reason: format!("certificate: {}", p12_phrase(&other)),
        },
    })
}

/// A stable `localKeyID` per entry (OpenSSL uses the certificate's SHA-1, keytool
/// `Time <millis>`; any unique octets link key and certificate).
fn local_key_id(alias: &str, leaf: &CertificateDer<'_>) -> Vec<u8> {
    let mut digest = Sha1::new();
    digest.update(alias.to_lowercase().as_bytes());
    digest.update(leaf.as_ref());
    digest.finalize().to_vec()
}

fn der_error(e: der::Error) -> ErrorKind {
    match DecodeError::from_der(&e) {
        DecodeError::Truncated { needed } => ErrorKind::Truncated {
            reason: match needed {
                Some(n) if n > 0 => format!("the PKCS#12 structure ends {n} bytes early"),
                _ => "the PKCS#12 structure ends early".into(),
            },
        },
        source => ErrorKind::Der {
            context: "malformed PKCS#12 structure".into(),
            source,
        },
    }
}

/// The p12-keystore errors not mapped to a kind of ours, in our words (its own texts are
/// capitalised, and its X.509 errors print `Debug`).
fn p12_phrase(e: &p12_keystore::error::Error) -> &'static str {
    use p12_keystore::error::Error as E;
    match e {
        E::IoError(_) => "input/output error",
        E::DerError(_) => "DER encoding",
        E::InvalidVersion => "invalid PFX version",
        E::UnsupportedContentType => "unsupported content type",
        E::UnsupportedCertificateType => "unsupported certificate type",
        E::X509Error(_) => "invalid certificate",
        E::InvalidLength => "invalid length",
        E::UnpadError => "bad padding",
        E::InvalidParameters => "invalid algorithm parameters",
        E::InvalidData => "invalid data",
        E::UnsupportedEncryptionScheme => "unsupported encryption scheme",
        E::UnsupportedMacAlgorithm => "unsupported MAC algorithm",
        E::Pkcs5Error(_) => "PKCS#5 decryption failed",
        E::MacError(_) => "MAC mismatch",
        E::InvalidPrivateKey => "invalid private key",
    }
}

fn map_error(e: p12_keystore::error::Error, has_mac: bool) -> ErrorKind {
    use p12_keystore::error::Error as E;
    match e {
        E::MacError(_) => ErrorKind::WrongPassword {
            integrity_only: false,
        },
        E::DerError(e) => der_error(e),
        E::InvalidVersion => ErrorKind::Unsupported {
            what: "PKCS#12 version (expected 3)".into(),
        },
        E::UnsupportedContentType => ErrorKind::Unsupported {
            what: "PKCS#12 content type (public-key privacy mode or enveloped data)".into(),
        },
        E::UnsupportedCertificateType => ErrorKind::Unsupported {
            what: "PKCS#12 certificate type (only X.509)".into(),
        },
        E::UnsupportedEncryptionScheme => ErrorKind::Unsupported {
            what: "PKCS#12 encryption or MAC algorithm".into(),
        },
        E::UnsupportedMacAlgorithm => ErrorKind::Unsupported {
            what: "PKCS#12 MAC algorithm".into(),
        },
        E::InvalidParameters => ErrorKind::Malformed {
            reason: format!(
                "PKCS#12 algorithm parameters missing or past the work caps (iteration counts \
                 above {MAX_ITERATIONS}, scrypt above 1 GiB)"
            ),
        },
        // Without a MAC, a wrong password shows only as a decryption that does not unpad;
        // with a verified MAC the store password is right, so a bag is under another one.
        E::UnpadError | E::Pkcs5Error(_) if !has_mac => ErrorKind::WrongPassword {
            integrity_only: false,
        },
        E::UnpadError | E::Pkcs5Error(_) => ErrorKind::Unsupported {
            what: "PKCS#12 bag encrypted under a password other than the store password".into(),
        },
        E::X509Error(e) => ErrorKind::Der {
            context: "malformed certificate in the PKCS#12 file".into(),
            source: DecodeError::from_x509_nom(&e),
        },
        E::InvalidPrivateKey => ErrorKind::Malformed {
            reason: "PKCS#12 private key is not PKCS#8".into(),
        },
        other => ErrorKind::Malformed {
            reason: format!("PKCS#12: {}", p12_phrase(&other)),
        },
    }
}

#[cfg(test)]
mod tests {
    use der::Encode;

    use super::*;
    use crate::secret::Password;

    fn written() -> Vec<u8> {
        let entry = Entry {
            alias: "k".into(),
            created: OffsetDateTime::UNIX_EPOCH,
            kind: EntryKind::TrustedCertificate(CertificateDer::from(
                crate::pki::World::generate(&crate::pki::WorldSpec::new(1))
                    .unwrap()
                    .get(crate::pki::Role::ReceiverRoot)
                    .cert()
                    .to_vec(),
            )),
        };
        write(
            &[entry],
            &Passwords::new(Password::new("pw")),
            Pkcs12Profile::Jdk17,
        )
        .unwrap()
    }

    #[test]
    fn absurd_mac_iterations_are_refused_before_any_derivation() {
        let mut pfx = ::pkcs12::pfx::Pfx::from_der(&written()).unwrap();
        let mac = pfx.mac_data.as_mut().unwrap();
        mac.iterations = i32::MAX;
        let bytes = pfx.to_der().unwrap();
        // LimitExceeded comes only from `precheck`, which runs before any derivation.
        let err = read(&bytes, &Passwords::new(Password::new("pw"))).unwrap_err();
        assert!(
            matches!(err, ErrorKind::LimitExceeded { value, .. } if value == i32::MAX as u64),
            "{err}"
        );
    }

    #[test]
    fn wrong_password_is_distinct_from_tampering() {
        let bytes = written();
        let wrong = read(&bytes, &Passwords::new(Password::new("nope"))).unwrap_err();
        assert!(matches!(
            wrong,
            ErrorKind::WrongPassword {
                integrity_only: false
            }
        ));
        let mut cut = bytes.clone();
        cut.truncate(bytes.len() - 10);
        assert!(matches!(
            read(&cut, &Passwords::new(Password::new("pw"))),
            Err(ErrorKind::Truncated { .. })
        ));
    }

    #[test]
    fn garbage_is_a_typed_error() {
        let passwords = Passwords::new("x".into());
        assert!(matches!(
            read(&[0x30, 0x82, 0x10, 0x00, 0x02], &passwords),
            Err(ErrorKind::Truncated { .. } | ErrorKind::Malformed { .. })
        ));
    }
}
