//! The seeded test PKI: every certificate of the article's loop, reproducible from a seed.
//!
//! A [`World`] holds the receiver's root CA, intermediate CA and server certificate, a
//! self-signed server certificate, the tenant's client root, intermediate and client
//! certificate (plus a second sender's), an unrelated root, and the fault variants of
//! DESIGN.md's failure classes (expired, not yet valid, wrong host, CN only, wrong EKU, an
//! intermediate without cA=true, two intermediates). [`Role`] names each one.
//!
//! # Determinism
//!
//! The same seed and "now" give byte-identical keys **and certificates**:
//!
//! - every key derives from `SHA-256("harness-pki/v1" || seed || "key" || label)` through
//!   ChaCha20 (`rand_chacha`, pinned), so keys do not depend on the order of generation;
//! - ECDSA signs with RFC 6979 deterministic nonces through the `p256`/`p384` crates (pinned),
//!   not through ring/aws-lc-rs, whose ECDSA nonces are random; RSA signs PKCS#1 v1.5, which is
//!   deterministic, through rcgen's aws-lc-rs key pair; RSA keys come from the `rsa` crate
//!   (pinned) with the seeded RNG;
//! - serials derive from the seed and label; validity windows are placed around the
//!   simulated "now" ([`Validity`]), never around the wall clock.
//!
//! Tests can therefore compare certificate files byte for byte. Changing any pinned crate
//! version may change every key: the `pki` unit tests and the snapshot tests will say so.
//!
//! # Cost
//!
//! Seeded RSA key generation is slow (about 50 ms for 2048 bits), so RSA keys are cached per
//! (seed, label, type) for the life of the process, and the server and client fault variants
//! reuse the server's and client's key (a re-issued certificate), which keeps an RSA world at
//! 12 keys. Figures: `cargo bench -p harness --bench pki`.

mod builder;
mod export;
mod key;
mod pool;
mod world;

pub use builder::{CertSpec, Eku, Issued, Pki, Validity};
pub use export::{
    CLIENT_P12_ALIAS, CLIENT_P12_PASSWORD, IndexEntry, PkiIndex, index, write_dir, write_dir_with,
};
pub use key::{KeyPair, KeyType};
pub use world::{Role, World, WorldSpec};

/// Why a PKI could not be built or written.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// A key type name that is not one of ours.
    #[error("unknown key type `{name}` (expected one of: p256, p384, rsa2048, rsa3072, rsa4096)")]
    UnknownKeyType {
        /// The name given.
        name: String,
    },
    /// A role name that is not one of ours.
    #[error("unknown role `{name}`")]
    UnknownRole {
        /// The name given.
        name: String,
    },
    /// A host name that cannot go into a SAN.
    #[error("`{name}` is not a valid DNS name or IP address")]
    BadName {
        /// The name given.
        name: String,
    },
    /// Key generation or decoding failed.
    #[error("key generation failed: {0}")]
    Key(String),
    /// Signing a certificate failed.
    #[error("signing a certificate failed: {0}")]
    Sign(String),
    /// The output directory exists and holds files.
    #[error("output directory `{path}` exists and is not empty (pass --force to replace it)")]
    OutputNotEmpty {
        /// The directory.
        path: std::path::PathBuf,
    },
    /// Writing the output failed.
    #[error("cannot write `{path}`")]
    Write {
        /// The file or directory.
        path: std::path::PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}
