//! Keystores: JKS, JCEKS, PKCS#12, PEM, DER and PKCS#7 (`.p7b`), read and written through one
//! entry model.
//!
//! A [`Keystore`] holds [`Entry`]s by alias: trusted certificate entries, key pair entries
//! (private key + certificate chain) and, read only, secret-key entries. Formats are detected
//! from content, never from the file extension: a JCEKS file named `.jks` is the article's
//! normal case (KeyStore Explorer saves JCEKS under any name).
//!
//! | format | module | how |
//! |---|---|---|
//! | JKS, JCEKS | `jks` | written here: no crate reads JCEKS; see the module docs |
//! | PKCS#12 | `pkcs12` | the `p12-keystore` crate |
//! | PEM, DER | `pem` | `rustls-pki-types` + `pem` |
//! | PKCS#7 certs-only | `pkcs7` | the `cms` crate |
//!
//! Foreign crate types stay inside this module; the rest of the harness sees only
//! [`Keystore`], [`Entry`] and rustls-pki-types' certificate type.

mod detect;
mod entry;
mod error;
mod jks;
mod pem;
mod pkcs12;
mod pkcs7;

use std::path::Path;

pub use entry::{Entry, EntryKind, Format, KeyMaterial, Keystore, Passwords};
pub use error::{ErrorKind, KeystoreError};

impl Keystore {
    /// Reads a keystore of any supported format from bytes. `source` names the input in
    /// errors (a path, or e.g. `<upload>`).
    pub fn from_bytes(
        bytes: &[u8],
        passwords: &Passwords,
        source: &str,
    ) -> Result<Keystore, KeystoreError> {
        let wrap = |kind| KeystoreError::read(source, kind);
        let format = detect::detect(bytes).map_err(wrap)?;
        let entries = match format {
            Format::Jks | Format::Jceks => jks::read(bytes, passwords, format),
            Format::Pkcs12 => pkcs12::read(bytes, passwords),
            Format::Pem => pem::read_pem(bytes),
            Format::Der => pem::read_der(bytes),
            Format::Pkcs7 => pkcs7::read(bytes),
        }
        .map_err(wrap)?;
        Keystore::from_entries(format, entries).map_err(wrap)
    }

    /// Reads a keystore file of any supported format. The file is never modified.
    pub fn read_file(path: &Path, passwords: &Passwords) -> Result<Keystore, KeystoreError> {
        let source = path.display().to_string();
        let bytes = read_capped(path).map_err(|kind| KeystoreError::read(&source, kind))?;
        Self::from_bytes(&bytes, passwords, &source)
    }

    /// Encodes the keystore in `format`. Key pair entries are protected with their key
    /// password ([`Passwords::key_for`]); the store with the store password.
    pub fn to_bytes(
        &self,
        format: Format,
        passwords: &Passwords,
    ) -> Result<Vec<u8>, KeystoreError> {
        let wrap = |kind| KeystoreError::write(format.name(), kind);
        match format {
            Format::Jks | Format::Jceks => jks::write(self.entries(), passwords, format),
            Format::Pkcs12 => pkcs12::write(self.entries(), passwords),
            Format::Pem => pem::write_pem(self.entries()),
            Format::Der => pem::write_der(self.entries()),
            Format::Pkcs7 => pkcs7::write(self.entries()),
        }
        .map_err(wrap)
    }

    /// Writes the keystore to `path` in `format`, atomically (temp file, fsync, rename): a
    /// crash leaves the old file or the new one, never a mix.
    pub fn write_file(
        &self,
        path: &Path,
        format: Format,
        passwords: &Passwords,
    ) -> Result<(), KeystoreError> {
        let bytes = self.to_bytes(format, passwords)?;
        crate::file::write_atomic(path, &bytes)
            .map_err(|e| KeystoreError::write(&path.display().to_string(), ErrorKind::Io(e)))
    }
}

/// Largest keystore file read (CPI refuses uploads over 2 MB and stores over 6 MB; 64 MiB
/// leaves room for the 10,000-entry benchmark and refuses absurd inputs before reading).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

fn read_capped(path: &Path) -> Result<Vec<u8>, ErrorKind> {
    let meta = std::fs::metadata(path).map_err(ErrorKind::Io)?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(ErrorKind::LimitExceeded {
            what: "file size".into(),
            value: meta.len(),
            limit: MAX_FILE_BYTES,
        });
    }
    std::fs::read(path).map_err(ErrorKind::Io)
}
