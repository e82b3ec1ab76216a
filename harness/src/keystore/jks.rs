//! JKS and JCEKS: Sun's two proprietary keystore formats, read and written here.
//!
//! # Source of truth
//!
//! The formats have no specification besides OpenJDK's code, so each rule here names the class
//! it follows (JDK 17):
//!
//! - `sun.security.provider.JavaKeyStore` (`engineLoad`, `engineStore`, `getPreKeyedHash`):
//!   the JKS container (magic `FEEDFEED`) and its integrity digest, SHA-1 over the store
//!   password as UTF-16BE, the bytes of `"Mighty Aphrodite"` and the body
//!   ([`container`]);
//! - `com.sun.crypto.provider.JceKeyStore`: the same container with magic `CECECECE` plus
//!   tag 3, a secret key as a serialised `SealedObjectForKeyProtector` ([`sealed`]);
//! - `sun.security.provider.KeyProtector`: JKS's SHA-1 XOR key protector;
//!   `com.sun.crypto.provider.KeyProtector`, `PBEWithMD5AndTripleDESCipher` and
//!   `PBES1Core`: JCEKS's PBEWithMD5AndTripleDES, 200,000 iterations as JDK 17 writes them,
//!   including the equal-salt-halves rule ([`protector`]).
//!
//! `container` and `sealed` both read through [`super::JavaReader`] (`java.io.DataInputStream`:
//! big-endian integers, `readUTF`'s modified UTF-8), a leaf of the keystore module, so neither
//! imports the other's internals.
//!
//! # Why hand-written
//!
//! No crate reads JCEKS, and the one JKS crate (`jks` 0.3.3) aborts the process on a crafted
//! 35-byte file because declared lengths go straight into allocations
//! (`../shared/reference/crates.md` §3.3). Here every count and length is checked against
//! the bytes that remain before anything is allocated, iteration counts are capped at JDK
//! 17's own limit (5,000,000) before any round runs, and the Java-serialised secret keys are
//! read by a shape parser with a class allowlist, never by a general deserializer.
//!
//! # Behaviour
//!
//! - Reading checks the structure, then the integrity digest with the store password (a wrong
//!   password and a tampered body give the same [`ErrorKind::WrongPassword`] with
//!   `integrity_only: true`), and only then does key work.
//! - Key pair entries stay sealed ([`KeyMaterial::sealed`]) as `keytool -list` leaves them:
//!   unsealing costs 200,000 MD5 rounds per JCEKS key. Secret-key entries are opened with
//!   their key password at read time, because the key algorithm we report lies inside the
//!   sealed content; a wrong password there fails the read with
//!   [`ErrorKind::WrongKeyPassword`].
//! - Aliases are lower-cased as Java does; an alias twice in one file is an error (keytool
//!   silently keeps the last one).
//! - A key entry with an empty chain (keystore-go writes them) is read as a key pair with no
//!   certificates; keytool lists such an entry as `SecretKeyEntry`.
//! - Secret keys: the entry object may be JDK 17's `SealedObjectForKeyProtector` or a plain
//!   `javax.crypto.SealedObject` (as pyjks writes; JDK 17 itself refuses the latter). Another
//!   seal algorithm is [`ErrorKind::Unsupported`], another Java type
//!   [`ErrorKind::UnexpectedJavaType`].
//! - Writing always produces version 2. Plain keys are sealed with the target's protector
//!   and the key password ([`Passwords::key_for`]); keys still sealed in a scheme the target
//!   reads (JKS: the JKS protector; JCEKS: either) are copied byte for byte, so they keep the
//!   key password they were sealed with. Secret-key entries cannot be written: we keep only
//!   their algorithm.

mod container;
pub(super) mod der;
mod protector;
mod sealed;

use std::collections::HashSet;

use time::OffsetDateTime;

use super::entry::{Entry, EntryKind, Format, KeyMaterial, Passwords, SealScheme};
use super::error::ErrorKind;
use crate::secret::{Password, PrivateKey};
use container::{OutBody, OutEntry, RawBody};

pub(crate) use protector::{JCEKS_ITERATIONS, MAX_ITERATIONS as MAX_JCEKS_ITERATIONS};

/// Reads a JKS or JCEKS store (magic already detected as `format`).
pub(super) fn read(
    bytes: &[u8],
    passwords: &Passwords,
    format: Format,
) -> Result<Vec<Entry>, ErrorKind> {
    let raw = container::parse(bytes, format, &passwords.store)?;
    let mut entries: Vec<Entry> = Vec::with_capacity(raw.len());
    let mut seen = HashSet::with_capacity(raw.len());
    for item in raw {
        let (alias, created) = checked_header(format, &item)?;
        if !seen.insert(alias.clone()) {
            return Err(ErrorKind::DuplicateAlias { alias });
        }
        let kind = match item.body {
            RawBody::Trusted(der) => EntryKind::TrustedCertificate(der.to_vec().into()),
            RawBody::KeyPair { blob, chain } => EntryKind::KeyPair {
                key: KeyMaterial::sealed(checked_scheme(format, blob, &alias)?, blob.to_vec()),
                chain: chain.into_iter().map(|c| c.to_vec().into()).collect(),
            },
            RawBody::Secret(object) => EntryKind::SecretKey {
                algorithm: open_secret(&object, passwords.key_for(&alias), &alias)?,
            },
        };
        entries.push(Entry {
            alias,
            created,
            kind,
        });
    }
    Ok(entries)
}

/// The alias as stored (lower-cased) and the creation date of an entry, or why Java would not
/// load it.
fn checked_header(
    format: Format,
    item: &container::RawEntry<'_>,
) -> Result<(String, OffsetDateTime), ErrorKind> {
    let alias = format.stored_alias(&item.alias);
    let created =
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(item.created_ms) * 1_000_000)
            .map_err(|_| ErrorKind::Malformed {
                reason: format!(
                    "entry `{alias}`: creation date {} ms is out of range",
                    item.created_ms
                ),
            })?;
    Ok((alias, created))
}

/// The protection scheme of a sealed key blob, refused where the format cannot hold it.
fn checked_scheme(format: Format, blob: &[u8], alias: &str) -> Result<SealScheme, ErrorKind> {
    let scheme = protector::scheme_of(blob).map_err(|e| in_entry(e, alias))?;
    if !accepts(format, scheme) {
        return Err(ErrorKind::Unsupported {
            what: format!(
                "PBEWithMD5AndTripleDES-protected key `{alias}` in a JKS file \
                 (Java's JKS cannot recover it)"
            ),
        });
    }
    Ok(scheme)
}

/// Lists a JKS or JCEKS store one entry at a time: the structure, every entry's header and
/// key scheme, duplicate aliases and the integrity digest are checked first (so nothing is
/// handed out from a file [`read`] would refuse), then `each` sees every entry in file order,
/// borrowed from `bytes`. No key is unsealed, secret-key entries included (keytool's `-list`
/// needs no key password either). Memory beyond `bytes` is one entry plus 8 bytes per alias
/// (a hash, to find duplicates; a hash collision falls back to [`read`]'s exact check).
/// Returns the entry count first through `on_count`.
pub(super) fn visit(
    bytes: &[u8],
    store_password: &Password,
    format: Format,
    on_count: impl FnOnce(usize) -> Result<(), ErrorKind>,
    each: impl FnMut(super::view::EntryView<'_>) -> Result<(), ErrorKind>,
) -> Result<(), ErrorKind> {
    let hasher = std::hash::BuildHasherDefault::<std::hash::DefaultHasher>::default();
    visit_hashed(bytes, store_password, format, hasher, on_count, each)
}

/// [`visit`] with the alias hasher given (tests force collisions with a constant one).
fn visit_hashed(
    bytes: &[u8],
    store_password: &Password,
    format: Format,
    hasher: impl std::hash::BuildHasher,
    on_count: impl FnOnce(usize) -> Result<(), ErrorKind>,
    mut each: impl FnMut(super::view::EntryView<'_>) -> Result<(), ErrorKind>,
) -> Result<(), ErrorKind> {
    use std::cell::{Cell, RefCell};
    let hashes = RefCell::new(HashSet::new());
    let collision = Cell::new(false);
    container::visit(
        bytes,
        format,
        store_password,
        |item| {
            let (alias, _) = checked_header(format, item)?;
            if let RawBody::KeyPair { blob, .. } = &item.body {
                checked_scheme(format, blob, &alias)?;
            }
            if !hashes.borrow_mut().insert(hasher.hash_one(&alias)) {
                collision.set(true);
            }
            Ok(())
        },
        |count| {
            hashes.replace(HashSet::new());
            if collision.get() {
                // Two aliases share a hash: the exact check decides (an error when they are
                // equal).
                let mut seen = HashSet::with_capacity(count);
                for item in container::parse(bytes, format, store_password)? {
                    let alias = format.stored_alias(&item.alias);
                    if !seen.insert(alias.clone()) {
                        return Err(ErrorKind::DuplicateAlias { alias });
                    }
                }
            }
            on_count(count)
        },
        |item| {
            let (alias, created) = checked_header(format, &item)?;
            let kind = match item.body {
                RawBody::Trusted(der) => super::view::ViewKind::TrustedCertificate(der),
                RawBody::KeyPair { chain, .. } => super::view::ViewKind::KeyPair { chain },
                RawBody::Secret(_) => super::view::ViewKind::SecretKey,
            };
            each(super::view::EntryView {
                alias,
                created,
                kind,
            })
        },
    )
}

/// Writes a version-2 JKS or JCEKS store, sealing plain keys with 200,000 iterations (JCEKS).
pub(super) fn write(
    entries: &[Entry],
    passwords: &Passwords,
    format: Format,
) -> Result<Vec<u8>, ErrorKind> {
    write_with(entries, passwords, format, &WriteOptions::default())
}

/// Writer settings beyond the format; the defaults are what JDK 17 writes.
#[derive(Clone, Debug)]
pub(crate) struct WriteOptions {
    /// The PBEWithMD5AndTripleDES iteration count for keys sealed as JCEKS.
    pub(crate) iterations: u32,
    /// Fixed salts instead of random ones (byte-identical output, for tests).
    pub(crate) fixed_salt: Option<u8>,
    /// Salts drawn from this seed (see `keystore::WriteOptions::salt_seed`).
    pub(crate) salt_seed: Option<u64>,
}

impl Default for WriteOptions {
    fn default() -> Self {
        Self {
            iterations: JCEKS_ITERATIONS,
            fixed_salt: None,
            salt_seed: None,
        }
    }
}

/// [`fn@write`] with explicit options.
pub(crate) fn write_with(
    entries: &[Entry],
    passwords: &Passwords,
    format: Format,
    options: &WriteOptions,
) -> Result<Vec<u8>, ErrorKind> {
    if !matches!(format, Format::Jks | Format::Jceks) {
        return Err(ErrorKind::Unsupported {
            what: format!("{format} in the JKS/JCEKS writer"),
        });
    }
    let mut out: Vec<OutEntry<'_>> = Vec::with_capacity(entries.len());
    let mut seen = HashSet::with_capacity(entries.len());
    for entry in entries {
        let alias = format.stored_alias(&entry.alias);
        if alias.is_empty() {
            return Err(ErrorKind::Malformed {
                reason: "empty alias".into(),
            });
        }
        if !seen.insert(alias.clone()) {
            return Err(ErrorKind::DuplicateAlias { alias });
        }
        let nanos = entry.created.unix_timestamp_nanos();
        // Java's Date is whole milliseconds since 1970, rounded down.
        let created_ms =
            i64::try_from(nanos.div_euclid(1_000_000)).map_err(|_| ErrorKind::Malformed {
                reason: format!("entry `{alias}`: creation date out of range"),
            })?;
        let body = match &entry.kind {
            EntryKind::TrustedCertificate(cert) => OutBody::Trusted(cert.as_ref()),
            EntryKind::KeyPair { key, chain } => OutBody::KeyPair {
                blob: seal_for(key, passwords.key_for(&alias), &alias, format, options)?,
                chain: chain.iter().map(|c| c.as_ref()).collect(),
            },
            EntryKind::SecretKey { .. } => {
                return Err(ErrorKind::CannotHold {
                    format: format.name(),
                    what: format!(
                        "secret-key entry `{alias}` (secret keys are read and reported, never \
                         written)"
                    ),
                });
            }
        };
        out.push(OutEntry {
            alias,
            created_ms,
            body,
        });
    }
    container::encode(&out, format, &passwords.store)
}

/// Unseals a key sealed by either key protector; a wrong password is
/// [`ErrorKind::WrongPassword`] (the caller names the alias).
pub(super) fn unseal_work(scheme: SealScheme, blob: &[u8]) -> u64 {
    protector::unseal_work(scheme, blob)
}

pub(super) fn unseal(
    scheme: SealScheme,
    blob: &[u8],
    password: &Password,
) -> Result<PrivateKey, ErrorKind> {
    protector::unseal(scheme, blob, password)
}

/// Whether Java's `format` store can recover a key sealed in `scheme`: JCEKS's
/// `KeyProtector.recover` takes both OIDs, JKS's only its own.
fn accepts(format: Format, scheme: SealScheme) -> bool {
    match format {
        Format::Jks => scheme == SealScheme::JksKeyProtector,
        _ => true,
    }
}

fn scheme_format(scheme: SealScheme) -> &'static str {
    match scheme {
        SealScheme::JksKeyProtector => "jks",
        SealScheme::JceksPbeMd5TripleDes => "jceks",
    }
}

fn seal_for(
    key: &KeyMaterial,
    password: &Password,
    alias: &str,
    format: Format,
    options: &WriteOptions,
) -> Result<Vec<u8>, ErrorKind> {
    if let Some((scheme, blob)) = key.sealed_parts() {
        if accepts(format, scheme) {
            return Ok(blob.to_vec());
        }
        return Err(ErrorKind::KeyStillSealed {
            alias: alias.to_owned(),
            sealed_for: scheme_format(scheme),
            target: format.name(),
        });
    }
    let plain = key.plain_key().ok_or_else(|| ErrorKind::Malformed {
        reason: format!("key `{alias}` is neither plain nor sealed"),
    })?;
    match format {
        Format::Jks => Ok(protector::jks_seal(plain, password, salt(options)?)),
        _ => protector::pbe_seal(plain, password, salt(options)?, options.iterations)
            .map_err(|e| in_entry(e, alias)),
    }
}

fn salt<const N: usize>(options: &WriteOptions) -> Result<[u8; N], ErrorKind> {
    let mut salt = [0u8; N];
    if let Some(byte) = options.fixed_salt {
        salt.iter_mut()
            .enumerate()
            .for_each(|(i, b)| *b = byte.wrapping_add(i as u8));
    } else if let Some(seed) = options.salt_seed {
        use sha2::{Digest as _, Sha256};
        // From the seed alone: every key of a run sealed under one password shares one
        // derivation (the MD5 rounds are the cost; the alias would multiply them).
        let drawn = Sha256::new()
            .chain_update(b"harness keystore salt\0")
            .chain_update(seed.to_be_bytes())
            .finalize();
        salt.iter_mut().zip(drawn.iter()).for_each(|(b, d)| *b = *d);
    } else {
        rustls::crypto::aws_lc_rs::default_provider()
            .secure_random
            .fill(&mut salt)
            .map_err(|_| {
                ErrorKind::Io(std::io::Error::other("the system random generator failed"))
            })?;
    }
    Ok(salt)
}

/// Opens a secret-key entry: checks the seal algorithm, decrypts with the key password and
/// reads the key's algorithm from the one shape a secret key serialises to.
fn open_secret(
    object: &sealed::SealedObject,
    password: &Password,
    alias: &str,
) -> Result<String, ErrorKind> {
    for algorithm in [&object.seal_algorithm, &object.params_algorithm] {
        if algorithm != sealed::SEAL_ALGORITHM {
            return Err(ErrorKind::Unsupported {
                what: format!(
                    "seal algorithm `{algorithm}` of secret-key entry `{alias}` (only {})",
                    sealed::SEAL_ALGORITHM
                ),
            });
        }
    }
    let (salt, iterations) =
        der::parse_pbe_params(&object.encoded_params).map_err(|e| in_entry(e, alias))?;
    let wrong = || ErrorKind::WrongKeyPassword {
        alias: alias.to_owned(),
    };
    let plain = protector::pbe_decrypt(&object.encrypted_content, password, salt, iterations)
        .map_err(|e| match e {
            ErrorKind::WrongPassword { .. } => wrong(),
            other => in_entry(other, alias),
        })?;
    // Garbage from a wrong password that passed the padding check is not a Java stream; a
    // Java stream of another type is what the file really holds.
    if !plain.starts_with(&[0xac, 0xed, 0x00, 0x05]) {
        return Err(wrong());
    }
    sealed::parse_secret_key(&plain).map_err(|e| in_entry(e, alias))
}

fn in_entry(kind: ErrorKind, alias: &str) -> ErrorKind {
    match kind {
        ErrorKind::Malformed { reason } => ErrorKind::Malformed {
            reason: format!("entry `{alias}`: {reason}"),
        },
        ErrorKind::Unsupported { what } => ErrorKind::Unsupported {
            what: format!("{what} in entry `{alias}`"),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests;
