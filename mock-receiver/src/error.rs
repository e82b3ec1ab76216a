//! Why a receiver could not start or a file could not be used.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Why a receiver could not be built or started. Failed handshakes are not errors: they are
/// what the receiver is for, and the [`Journal`](crate::Journal) records them.
#[derive(Debug, thiserror::Error)]
pub enum ReceiverError {
    /// A profile name that is not one of ours.
    #[error(
        "unknown profile `{name}` (expected one of: full-chain, leaf-intermediate, leaf-only, \
         self-signed, reversed-chain)"
    )]
    UnknownProfile {
        /// The name given.
        name: String,
    },
    /// A server variant name that is not one of ours.
    #[error(
        "unknown variant `{name}` (expected one of: valid, expired, not-yet-valid, wrong-host, \
         cn-only, wrong-eku, under-not-ca, two-intermediates)"
    )]
    UnknownVariant {
        /// The name given.
        name: String,
    },
    /// A variant defined by its issuers asked of the self-signed profile.
    #[error("variant `{variant}` has an issuer; profile `{profile}` cannot send it")]
    IncompatibleVariant {
        /// The profile.
        profile: &'static str,
        /// The variant.
        variant: &'static str,
    },
    /// A fault name that is not one of ours.
    #[error("unknown fault `{name}` ({expected})")]
    UnknownFault {
        /// The name given.
        name: String,
        /// What is accepted.
        expected: &'static str,
    },
    /// The seeded PKI could not be generated.
    #[error("cannot generate the test PKI")]
    Pki(#[source] harness::pki::PkiError),
    /// A file that cannot be read at all.
    #[error("cannot read `{path}`")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A password file that cannot be read (missing, too large, not text).
    #[error("cannot read password file `{path}`")]
    PasswordFile {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: harness::file::ReadError,
    },
    /// A file that cannot be written.
    #[error("cannot write `{path}`")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A certificate or keystore file the harness cannot read.
    #[error("cannot use `{path}`")]
    Keystore {
        /// The file.
        path: PathBuf,
        /// What the keystore reader said (boxed: clippy's `result_large_err`).
        #[source]
        source: Box<harness::keystore::KeystoreError>,
    },
    /// A private key file (PKCS#8, PKCS#1, SEC1, DER) the harness cannot read.
    #[error("cannot use `{path}`")]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// What the key reader said (malformed, encrypted without a password).
        #[source]
        source: harness::keystore::ErrorKind,
    },
    /// A file that was read but does not hold what it should.
    #[error("cannot use `{path}`: {reason}")]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What is missing, in our words (a cause found by a lower layer is a source, as in
        /// [`ReceiverError::Key`]).
        reason: &'static str,
    },
    /// The private key of a keystore file could not be unsealed.
    #[error("cannot unseal the private key in `{path}`")]
    Key {
        /// The file.
        path: PathBuf,
        /// What the keystore said (wrong key password, unsupported protection).
        #[source]
        source: harness::keystore::ErrorKind,
    },
    /// A private key that rustls cannot load.
    #[error("`{path}` holds no private key rustls can use")]
    UnusableKey {
        /// The file.
        path: PathBuf,
        /// What rustls said.
        #[source]
        source: harness::decode::TlsError,
    },
    /// A certificate given without any private key.
    #[error("no private key for `{path}` (pass --key FILE, or a keystore holding a key pair)")]
    MissingKey {
        /// The certificate file.
        path: PathBuf,
    },
    /// The private key does not belong to the certificate.
    #[error("the private key in `{key}` does not match the certificate in `{cert}`")]
    KeyMismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },
    /// A TLS configuration that rustls refuses.
    #[error("invalid TLS configuration: {what}")]
    Tls {
        /// Which part: `server key of ...`, `client trust store`, `CA names`.
        what: String,
        /// What rustls (or the certificate decoder) said, when it said something.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The same certificate mapped to two users while one user per certificate is required.
    #[error(
        "certificate `{certificate}` is already mapped to user `{existing}`; cannot also map it \
         to `{user}` (one user per certificate)"
    )]
    CertificateAlreadyMapped {
        /// The certificate (fingerprint or subject).
        certificate: String,
        /// The user it is mapped to.
        existing: String,
        /// The second user.
        user: String,
    },
    /// A user mapping that cannot be parsed.
    #[error("invalid user mapping `{text}`: {reason}")]
    BadMapping {
        /// The text given.
        text: String,
        /// What is wrong, in our words.
        reason: &'static str,
    },
    /// The listen address cannot be bound (in use, not local, no permission).
    #[error("cannot listen on `{addr}`")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The receiver did not stop within its shutdown timeout.
    #[error("the receiver on `{addr}` did not shut down within {seconds:.1} s")]
    ShutdownTimeout {
        /// The receiver's address.
        addr: SocketAddr,
        /// The timeout.
        seconds: f64,
    },
}
