//! The container JKS and JCEKS share (`JavaKeyStore.engineLoad`/`engineStore`,
//! `JceKeyStore.engineLoad`/`engineStore`), big-endian throughout:
//!
//! ```text
//! magic u32 (FEEDFEED | CECECECE)   version u32 (1 | 2)   count u32
//! count x entry:
//!   tag u32   alias UTF   created i64 (ms since 1970)
//!   tag 1 (key pair):  len u32, EncryptedPrivateKeyInfo; chain count u32;
//!                      per certificate: [type UTF, v2 only] len u32, DER
//!   tag 2 (trusted):   [type UTF, v2 only] len u32, DER
//!   tag 3 (secret, JCEKS only): a Java object stream holding a SealedObject (no length)
//! SHA-1(password as UTF-16BE || "Mighty Aphrodite" || everything above)   20 bytes
//! ```
//!
//! `UTF` is `DataOutputStream.writeUTF`: a u16 byte length, then modified UTF-8 (NUL as
//! `C0 80`, supplementary characters as two 3-byte surrogates).

use sha1::{Digest, Sha1};

use super::sealed::{self, SealedObject};
use crate::keystore::entry::Format;
use crate::keystore::error::ErrorKind;
use crate::keystore::{JavaReadError, JavaReader, encode_modified_utf8};
use crate::secret::Password;

pub(super) const JKS_MAGIC: u32 = 0xfeed_feed;
pub(super) const JCEKS_MAGIC: u32 = 0xcece_cece;
const VERSION_1: u32 = 1;
const VERSION_2: u32 = 2;
const TAG_KEY_PAIR: u32 = 1;
const TAG_TRUSTED: u32 = 2;
const TAG_SECRET: u32 = 3;
const DIGEST_LEN: usize = 20;
/// The fewest bytes one entry can take (tag, empty alias, date, shortest body), used to
/// refuse a declared entry count before allocating for it.
const MIN_ENTRY_LEN: usize = 4 + 2 + 8 + 4;
/// The fewest bytes one chain certificate can take (a length).
const MIN_CERT_LEN: usize = 4;
/// The key Java mixes into the integrity digest, in `JavaKeyStore.getPreKeyedHash`.
const WHITENER: &[u8] = b"Mighty Aphrodite";
/// The only certificate type the JDK ever writes.
const X509: &str = "X.509";

/// One entry as the container holds it, before integrity is known and before any key work.
pub(super) struct RawEntry<'a> {
    pub(super) alias: String,
    pub(super) created_ms: i64,
    pub(super) body: RawBody<'a>,
}

pub(super) enum RawBody<'a> {
    KeyPair {
        blob: &'a [u8],
        chain: Vec<&'a [u8]>,
    },
    Trusted(&'a [u8]),
    Secret(SealedObject),
}

/// Parses the container structure of `bytes` (magic already detected as `format`) and checks
/// the integrity digest with the store password. Structure first, so a truncated file says
/// "truncated"; then the digest, before the caller does any key work.
pub(super) fn parse<'a>(
    bytes: &'a [u8],
    format: Format,
    store_password: &Password,
) -> Result<Vec<RawEntry<'a>>, ErrorKind> {
    let mut entries = Vec::new();
    let body_len = walk(
        bytes,
        format,
        |_| {},
        |entry| {
            entries.push(entry);
            Ok(())
        },
    )?;
    check_digest(bytes, body_len, store_password)?;
    Ok(entries)
}

/// Checks the structure and the integrity digest of `bytes` without keeping anything, then
/// hands each entry to `each` in file order: a listing that holds one entry at a time.
/// `first` runs on every entry of the checking pass (before the digest is known), so a caller
/// can refuse the file before `each` has seen anything; `between` runs once, with the entry
/// count, after the digest matched and before the first `each`.
pub(super) fn visit<'a>(
    bytes: &'a [u8],
    format: Format,
    store_password: &Password,
    mut first: impl FnMut(&RawEntry<'a>) -> Result<(), ErrorKind>,
    between: impl FnOnce(usize) -> Result<(), ErrorKind>,
    each: impl FnMut(RawEntry<'a>) -> Result<(), ErrorKind>,
) -> Result<(), ErrorKind> {
    let mut count = 0;
    let body_len = walk(bytes, format, |n| count = n, |entry| first(&entry))?;
    check_digest(bytes, body_len, store_password)?;
    between(count)?;
    walk(bytes, format, |_| {}, each)?;
    Ok(())
}

/// Walks the container structure, handing each entry to `each` as it is read; returns the
/// length of the body (everything the digest covers). `on_count` hears the declared entry
/// count once it is known to fit the bytes.
fn walk<'a>(
    bytes: &'a [u8],
    format: Format,
    on_count: impl FnOnce(usize),
    mut each: impl FnMut(RawEntry<'a>) -> Result<(), ErrorKind>,
) -> Result<usize, ErrorKind> {
    let mut r = Reader {
        input: JavaReader::new(bytes),
    };
    let magic = r.u32("magic")?;
    let expected = match format {
        Format::Jks => JKS_MAGIC,
        _ => JCEKS_MAGIC,
    };
    if magic != expected {
        return Err(ErrorKind::UnknownFormat);
    }
    let version = r.u32("version")?;
    if version != VERSION_1 && version != VERSION_2 {
        return Err(ErrorKind::Unsupported {
            what: format!("{format} version {version} (expected 1 or 2)"),
        });
    }
    let count = r.count("entry count", MIN_ENTRY_LEN)?;
    on_count(count);
    for index in 0..count {
        let tag = r.u32("entry tag")?;
        let alias = r.utf("alias")?;
        let created_ms = r.i64("creation date")?;
        let body = match tag {
            TAG_KEY_PAIR => {
                let blob = r.block("protected key")?;
                let certs = r.count("certificate chain length", MIN_CERT_LEN)?;
                let mut chain = Vec::with_capacity(certs);
                for _ in 0..certs {
                    chain.push(r.certificate(version)?);
                }
                RawBody::KeyPair { blob, chain }
            }
            TAG_TRUSTED => RawBody::Trusted(r.certificate(version)?),
            TAG_SECRET if format == Format::Jceks => {
                let (object, used) =
                    sealed::parse_sealed_object(r.rest()).map_err(|e| entry_context(e, &alias))?;
                r.take(used, "sealed secret key")?;
                RawBody::Secret(object)
            }
            other => {
                return Err(ErrorKind::Malformed {
                    reason: format!(
                        "entry {index} (alias `{alias}`) has unknown tag {other} at byte {}",
                        r.pos()
                    ),
                });
            }
        };
        each(RawEntry {
            alias,
            created_ms,
            body,
        })?;
    }
    Ok(r.pos())
}

/// The trailer after `body_len` bytes must be exactly the integrity digest of the body under
/// the store password.
fn check_digest(bytes: &[u8], body_len: usize, store_password: &Password) -> Result<(), ErrorKind> {
    let trailer = bytes.get(body_len..).unwrap_or_default();
    if trailer.len() < DIGEST_LEN {
        return Err(ErrorKind::Truncated {
            reason: format!(
                "the integrity digest needs {DIGEST_LEN} bytes, {} remain",
                trailer.len()
            ),
        });
    }
    if trailer.len() > DIGEST_LEN {
        return Err(ErrorKind::Malformed {
            reason: format!(
                "{} bytes after the integrity digest",
                trailer.len() - DIGEST_LEN
            ),
        });
    }
    if integrity_digest(store_password, &bytes[..body_len])[..] != trailer[..] {
        return Err(ErrorKind::WrongPassword {
            integrity_only: true,
        });
    }
    Ok(())
}

fn entry_context(kind: ErrorKind, alias: &str) -> ErrorKind {
    match kind {
        ErrorKind::Malformed { reason } => ErrorKind::Malformed {
            reason: format!("entry `{alias}`: {reason}"),
        },
        ErrorKind::Truncated { reason } => ErrorKind::Truncated {
            reason: format!("entry `{alias}`: {reason}"),
        },
        other => other,
    }
}

/// `SHA-1(password UTF-16BE || "Mighty Aphrodite" || body)`.
pub(super) fn integrity_digest(password: &Password, body: &[u8]) -> [u8; DIGEST_LEN] {
    Sha1::new()
        .chain_update(super::protector::utf16be(password))
        .chain_update(WHITENER)
        .chain_update(body)
        .finalize()
        .into()
}

/// One entry to encode: the alias as stored, the date, and the body.
pub(super) struct OutEntry<'a> {
    pub(super) alias: String,
    pub(super) created_ms: i64,
    pub(super) body: OutBody<'a>,
}

pub(super) enum OutBody<'a> {
    KeyPair { blob: Vec<u8>, chain: Vec<&'a [u8]> },
    Trusted(&'a [u8]),
}

/// Encodes a version-2 store with its integrity digest.
pub(super) fn encode(
    entries: &[OutEntry<'_>],
    format: Format,
    store_password: &Password,
) -> Result<Vec<u8>, ErrorKind> {
    let mut out = Vec::new();
    let magic = match format {
        Format::Jks => JKS_MAGIC,
        _ => JCEKS_MAGIC,
    };
    out.extend_from_slice(&magic.to_be_bytes());
    out.extend_from_slice(&VERSION_2.to_be_bytes());
    put_u32(&mut out, entries.len(), "entry count")?;
    for entry in entries {
        match &entry.body {
            OutBody::KeyPair { blob, chain } => {
                out.extend_from_slice(&TAG_KEY_PAIR.to_be_bytes());
                put_utf(&mut out, &entry.alias)?;
                out.extend_from_slice(&entry.created_ms.to_be_bytes());
                put_u32(&mut out, blob.len(), "protected key length")?;
                out.extend_from_slice(blob);
                put_u32(&mut out, chain.len(), "chain length")?;
                for cert in chain {
                    put_certificate(&mut out, cert)?;
                }
            }
            OutBody::Trusted(cert) => {
                out.extend_from_slice(&TAG_TRUSTED.to_be_bytes());
                put_utf(&mut out, &entry.alias)?;
                out.extend_from_slice(&entry.created_ms.to_be_bytes());
                put_certificate(&mut out, cert)?;
            }
        }
    }
    let digest = integrity_digest(store_password, &out);
    out.extend_from_slice(&digest);
    Ok(out)
}

fn put_u32(out: &mut Vec<u8>, value: usize, what: &str) -> Result<(), ErrorKind> {
    // Java reads these as `int`: anything past i32::MAX would read back negative.
    let value = i32::try_from(value).map_err(|_| ErrorKind::LimitExceeded {
        what: what.into(),
        value: value as u64,
        limit: i32::MAX as u64,
    })?;
    out.extend_from_slice(&value.to_be_bytes());
    Ok(())
}

fn put_certificate(out: &mut Vec<u8>, der: &[u8]) -> Result<(), ErrorKind> {
    put_utf(out, X509)?;
    put_u32(out, der.len(), "certificate length")?;
    out.extend_from_slice(der);
    Ok(())
}

fn put_utf(out: &mut Vec<u8>, text: &str) -> Result<(), ErrorKind> {
    let encoded = encode_modified_utf8(text);
    let len = u16::try_from(encoded.len()).map_err(|_| ErrorKind::LimitExceeded {
        what: "alias length in modified UTF-8 bytes".into(),
        value: encoded.len() as u64,
        limit: u64::from(u16::MAX),
    })?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&encoded);
    Ok(())
}

/// The container's reads: [`JavaReader`] with the container's context in every error.
struct Reader<'a> {
    input: JavaReader<'a>,
}

/// A failed read of `what` as the container reports it.
fn read_error(what: &str, error: JavaReadError) -> ErrorKind {
    match error {
        JavaReadError::Short {
            at,
            needed,
            remaining,
        } => ErrorKind::Truncated {
            reason: format!("{what} at byte {at} needs {needed} bytes, {remaining} remain"),
        },
        JavaReadError::BadUtf { at } => ErrorKind::Malformed {
            reason: format!("{what} at byte {at} is not valid modified UTF-8"),
        },
    }
}

impl<'a> Reader<'a> {
    fn pos(&self) -> usize {
        self.input.pos()
    }

    fn rest(&self) -> &'a [u8] {
        self.input.rest()
    }

    /// The next `n` bytes; a shortfall is [`ErrorKind::Truncated`], checked before slicing.
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], ErrorKind> {
        self.input.take(n).map_err(|e| read_error(what, e))
    }

    fn u32(&mut self, what: &str) -> Result<u32, ErrorKind> {
        self.input.u32().map_err(|e| read_error(what, e))
    }

    fn i64(&mut self, what: &str) -> Result<i64, ErrorKind> {
        self.input.i64().map_err(|e| read_error(what, e))
    }

    /// A count of items that take at least `min_len` bytes each, checked against what remains
    /// (less the digest) before anything is allocated for them.
    fn count(&mut self, what: &str, min_len: usize) -> Result<usize, ErrorKind> {
        let at = self.pos();
        let value = self.u32(what)?;
        let available = self.rest().len().saturating_sub(DIGEST_LEN);
        if value > i32::MAX as u32 {
            return Err(ErrorKind::Malformed {
                reason: format!("{what} at byte {at} is negative as a Java int"),
            });
        }
        let value = value as usize;
        if value > available / min_len {
            return Err(ErrorKind::Truncated {
                reason: format!(
                    "{what} at byte {at} declares {value}, but only {available} bytes follow"
                ),
            });
        }
        Ok(value)
    }

    /// A u32 length and that many bytes.
    fn block(&mut self, what: &str) -> Result<&'a [u8], ErrorKind> {
        let at = self.pos();
        let len = self.u32(what)?;
        if len > i32::MAX as u32 {
            return Err(ErrorKind::Malformed {
                reason: format!("{what} length at byte {at} is negative as a Java int"),
            });
        }
        self.take(len as usize, what)
    }

    fn utf(&mut self, what: &str) -> Result<String, ErrorKind> {
        self.input.utf().map_err(|e| read_error(what, e))
    }

    fn certificate(&mut self, version: u32) -> Result<&'a [u8], ErrorKind> {
        if version == VERSION_2 {
            let kind = self.utf("certificate type")?;
            if kind != X509 {
                return Err(ErrorKind::Unsupported {
                    what: format!("certificate type `{kind}` (only X.509)"),
                });
            }
        }
        let at = self.pos();
        let der = self.block("certificate")?;
        if !super::der::is_one_sequence(der) {
            return Err(ErrorKind::Malformed {
                reason: format!("certificate at byte {at} is not one DER SEQUENCE"),
            });
        }
        Ok(der)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absurd_entry_count_is_refused_before_allocating() {
        let mut bytes = JKS_MAGIC.to_be_bytes().to_vec();
        bytes.extend_from_slice(&2u32.to_be_bytes());
        bytes.extend_from_slice(&0x7fff_ffffu32.to_be_bytes());
        bytes.extend_from_slice(&[0; 20]);
        let err = parse(&bytes, Format::Jks, &Password::new("x"))
            .map(|_| ())
            .unwrap_err();
        assert!(matches!(err, ErrorKind::Truncated { .. }), "{err:?}");
    }

    #[test]
    fn empty_store_digest_matches_keytool() {
        // pyjks/jks/empty.jks has the empty password: magic, version 2, count 0, digest.
        let body = [0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2, 0, 0, 0, 0];
        let out = encode(&[], Format::Jks, &Password::new("")).unwrap();
        assert_eq!(&out[..12], &body);
        assert_eq!(out[12..], integrity_digest(&Password::new(""), &body));
        assert!(
            parse(&out, Format::Jks, &Password::new(""))
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            parse(&out, Format::Jks, &Password::new("x")).map(|_| ()),
            Err(ErrorKind::WrongPassword {
                integrity_only: true
            })
        ));
    }
}
