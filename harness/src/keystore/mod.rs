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
//! `java_io` is the leaf the JKS/JCEKS modules read with: Java's big-endian integers and
//! modified UTF-8 strings, as `java.io.DataInputStream` reads them, bounded.
//!
//! Certificate files read as keystores: a PEM bundle, a DER certificate and a `.p7b` give one
//! trusted certificate entry per certificate (a PEM key with its chain gives one key pair
//! entry). [`read_certificates`] gives the certificates themselves, chains leaf first, for
//! every format; [`encode_p7b`] writes a chain as `.p7b`.
//!
//! Foreign crate types stay inside this module; the rest of the harness sees only
//! [`Keystore`], [`Entry`] and rustls-pki-types' certificate type.

mod detect;
mod entry;
mod error;
mod java_io;
mod jks;
mod pem;
mod pkcs12;
mod pkcs7;
mod view;
mod work;

use std::path::Path;

use rustls_pki_types::CertificateDer;

pub use entry::{Entry, EntryKind, Format, KeyMaterial, Keystore, Passwords};
pub use error::{ErrorKind, KeystoreError};
pub(crate) use java_io::{JavaReadError, JavaReader, encode_modified_utf8};
pub use pem::{pem_certificates, read_private_key};
pub use pkcs12::{MAX_ITERATIONS as PKCS12_MAX_ITERATIONS, Pkcs12Profile};
pub use view::{EntryView, ListError, ViewKind, list_entries};
pub use work::MAX_KDF_WORK;

/// Which format `bytes` hold, from their content (magic numbers, PEM labels, the first DER
/// elements), never from a file name.
pub fn detect_format(bytes: &[u8]) -> Result<Format, ErrorKind> {
    detect::detect(bytes)
}

/// Every certificate a file holds, in an order people and TLS stacks expect: for a key
/// pair its chain leaf first, then trusted certificates; a `.p7b` as its chain leaf first
/// (restored from the sorted SET OF); a PEM bundle in file order; a DER file's one
/// certificate. `passwords` open JKS, JCEKS and PKCS#12 and are ignored for the other
/// formats. Duplicates are dropped.
pub fn read_certificates(
    path: &Path,
    passwords: &Passwords,
) -> Result<Vec<CertificateDer<'static>>, KeystoreError> {
    let source = path.display().to_string();
    let bytes = read_capped(path).map_err(|kind| KeystoreError::read(&source, kind))?;
    certificates_from_bytes(&bytes, passwords, &source)
}

/// [`read_certificates`] over bytes; `source` names the input in errors.
pub fn certificates_from_bytes(
    bytes: &[u8],
    passwords: &Passwords,
    source: &str,
) -> Result<Vec<CertificateDer<'static>>, KeystoreError> {
    let wrap = |kind| KeystoreError::read(source, kind);
    if detect::detect(bytes).map_err(wrap)? == Format::Pkcs7 {
        return pkcs7::read_chain(bytes).map_err(wrap);
    }
    let store = Keystore::from_bytes(bytes, passwords, source)?;
    let mut certs: Vec<CertificateDer<'static>> = Vec::new();
    let chains = store.key_pairs().flat_map(|(_, _, chain)| chain.iter());
    let trusted = store.trusted_certificates().map(|(_, cert)| cert);
    for cert in chains.chain(trusted) {
        if !certs.contains(cert) {
            certs.push(cert.clone());
        }
    }
    Ok(certs)
}

/// A certs-only `.p7b` holding `certs` (DER, or PEM `-----BEGIN PKCS7-----` when `pem`), as
/// Java's `CertPath.getEncoded("PKCS7")` writes it.
pub fn encode_p7b(certs: &[CertificateDer<'_>], pem: bool) -> Result<Vec<u8>, KeystoreError> {
    let der = pkcs7::encode(certs).map_err(|kind| KeystoreError::write("pkcs7", kind))?;
    Ok(if pem {
        pkcs7::to_pem(&der).into_bytes()
    } else {
        der
    })
}

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
            Format::Pkcs12 => pkcs12::write(self.entries(), passwords, Pkcs12Profile::Jdk17),
            Format::Pem => pem::write_pem(self.entries()),
            Format::Der => pem::write_der(self.entries()),
            Format::Pkcs7 => pkcs7::write(self.entries()),
        }
        .map_err(wrap)
    }

    /// [`Keystore::to_bytes`] with writer settings beyond the format (the JCEKS key-sealing
    /// iteration count). `WriteOptions::default()` writes exactly what `to_bytes` writes.
    pub fn to_bytes_with(
        &self,
        format: Format,
        passwords: &Passwords,
        options: &WriteOptions,
    ) -> Result<Vec<u8>, KeystoreError> {
        let wrap = |kind| KeystoreError::write(format.name(), kind);
        match format {
            Format::Jks | Format::Jceks => {
                options.check().map_err(wrap)?;
                let jks_options = jks::WriteOptions {
                    iterations: options.jceks_iterations,
                    salt_seed: options.salt_seed,
                    ..jks::WriteOptions::default()
                };
                jks::write_with(self.entries(), passwords, format, &jks_options).map_err(wrap)
            }
            _ => self.to_bytes(format, passwords),
        }
    }

    /// Encodes the keystore as PKCS#12 with the algorithms of `profile` (JDK 17's by
    /// default through [`Keystore::to_bytes`]; the legacy 3DES/SHA-1 form on request).
    pub fn to_pkcs12(
        &self,
        passwords: &Passwords,
        profile: Pkcs12Profile,
    ) -> Result<Vec<u8>, KeystoreError> {
        pkcs12::write(self.entries(), passwords, profile)
            .map_err(|kind| KeystoreError::write(Format::Pkcs12.name(), kind))
    }

    /// Writes the keystore to `path` in `format`, atomically (temp file, fsync, rename): a
    /// crash leaves the old file or the new one, never a mix.
    pub fn write_file(
        &self,
        path: &Path,
        format: Format,
        passwords: &Passwords,
    ) -> Result<(), KeystoreError> {
        self.write_file_with(path, format, passwords, &WriteOptions::default())
    }

    /// [`Keystore::write_file`] with writer settings beyond the format (see
    /// [`Keystore::to_bytes_with`]). The file is replaced atomically; an existing file keeps
    /// its mode, a new one holding private keys is created 0600 (Unix).
    pub fn write_file_with(
        &self,
        path: &Path,
        format: Format,
        passwords: &Passwords,
        options: &WriteOptions,
    ) -> Result<(), KeystoreError> {
        let bytes = self.to_bytes_with(format, passwords, options)?;
        // A rewritten file keeps its mode; a new one holding private keys is 0600.
        let mode = crate::file::existing_mode(path)
            .or_else(|| (self.key_pairs().next().is_some()).then_some(0o600));
        match mode {
            Some(mode) => crate::file::write_atomic_mode(path, &bytes, mode),
            None => crate::file::write_atomic(path, &bytes),
        }
        .map_err(|e| KeystoreError::write(&path.display().to_string(), ErrorKind::Io(e)))
    }
}

/// Writer settings beyond the format. The default is what JDK 17 writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriteOptions {
    jceks_iterations: u32,
    salt_seed: Option<u64>,
}

impl Default for WriteOptions {
    fn default() -> Self {
        Self {
            jceks_iterations: Self::DEFAULT_JCEKS_ITERATIONS,
            salt_seed: None,
        }
    }
}

impl WriteOptions {
    /// JDK 17's PBEWithMD5AndTripleDES iteration count for JCEKS keys.
    pub const DEFAULT_JCEKS_ITERATIONS: u32 = jks::JCEKS_ITERATIONS;
    /// The largest count JDK 17 reads (`KeyProtector.MAX_ITERATION_COUNT`), and so the
    /// largest we write.
    pub const MAX_JCEKS_ITERATIONS: u32 = jks::MAX_JCEKS_ITERATIONS;

    /// The iteration count used to seal key pairs in JCEKS stores: Java's
    /// `jdk.jceks.iterationCount` security property (1 to 5,000,000; JDK 17 writes 200,000).
    /// A low count makes writing fast (tests) and the file weak: never for real keys. JKS
    /// has no iteration count and ignores it.
    pub fn jceks_iterations(mut self, count: u32) -> Self {
        self.jceks_iterations = count;
        self
    }

    /// Seeded key-sealing salts (JKS and JCEKS) instead of random ones: every key gets the
    /// salt drawn from `seed`, so the same key sealed under the same password gives the same
    /// bytes, and a process runs the JCEKS key derivation once per password (it is cached by
    /// password, salt and count). For reproducible test fixtures only (the scenario runner
    /// seeds it with the scenario's seed): keys sharing a password and a salt share their
    /// encryption key and IV, which a real keystore must not do.
    pub fn salt_seed(mut self, seed: u64) -> Self {
        self.salt_seed = Some(seed);
        self
    }

    /// The JCEKS iteration count these options write.
    pub fn jceks_iteration_count(&self) -> u32 {
        self.jceks_iterations
    }

    fn check(&self) -> Result<(), ErrorKind> {
        match self.jceks_iterations {
            0 => Err(ErrorKind::Unsupported {
                what: "JCEKS iteration count 0 (Java reads 1 to 5000000)".into(),
            }),
            n if n > Self::MAX_JCEKS_ITERATIONS => Err(ErrorKind::LimitExceeded {
                what: "JCEKS iteration count".into(),
                value: u64::from(n),
                limit: u64::from(Self::MAX_JCEKS_ITERATIONS),
            }),
            _ => Ok(()),
        }
    }
}

/// Largest keystore file read (CPI refuses uploads over 2 MB and stores over 6 MB; 64 MiB
/// leaves room for the 10,000-entry benchmark and refuses absurd inputs before reading).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Reads at most [`MAX_FILE_BYTES`] (+1) bytes, whatever size the file states (pipes,
/// `/dev/stdin` and devices state none).
fn read_capped(path: &Path) -> Result<Vec<u8>, ErrorKind> {
    crate::file::read_limited(path, MAX_FILE_BYTES).map_err(|e| match e {
        crate::file::ReadError::TooLarge { limit } => ErrorKind::LimitExceeded {
            what: "file size (bytes read)".into(),
            value: limit + 1,
            limit,
        },
        crate::file::ReadError::Io(e) => ErrorKind::Io(e),
        crate::file::ReadError::NotText => ErrorKind::Io(std::io::Error::other("not UTF-8 text")),
    })
}
