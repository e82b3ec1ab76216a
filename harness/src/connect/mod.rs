//! The TLS connectivity test, as CPI's "Connectivity Test (TLS)" runs it.
//!
//! [`run`] takes [`Options`] (host, port, "Validate Server Certificate Required",
//! "Authenticate with Client Certificate" with an alias or empty) and a [`TrustSource`] (the
//! tenant keystore or any keystore file), makes a real TLS handshake with rustls, sends
//! `GET /` and reads the answer, and returns an [`Outcome`]: reached or not, protocol and
//! cipher, the server chain exactly as sent, whether the server asked for a client
//! certificate and which CA names it sent, which alias was chosen and why, "Client
//! Certificate Used: YES/NO", the HTTP status, timings, and on failure a [`Failure`] with its
//! evidence and the text CPI (Java) shows for it. A failed test is an outcome, not an error:
//! `Err` means the test could not run (bad options, a key that does not load).
//!
//! # Validation semantics: Java's, where they differ from rustls-webpki's
//!
//! CPI runs on Java (JSSE, PKIX, HTTPS endpoint identification). The certificate decision is
//! [`crate::pkix::Validator`] (Java's rules as a table, [`crate::pkix::RULES`]);
//! [`ServerVerifier`] is its rustls adapter. Where it departs from rustls-webpki:
//!
//! | case | Java 17 | webpki alone | we simulate |
//! |---|---|---|---|
//! | intermediate alone as trust anchor | accepted | accepted | accepted |
//! | self-signed leaf imported as trusted certificate | accepted (exact match, validity not checked) | accepted when valid and not cA | Java: an end-entity certificate equal to a trusted entry is accepted without path or validity checks; the host name is still checked |
//! | host name only in the CN, no DNS SAN | accepted for a DNS host name (HostnameChecker falls back to the most specific CN) | refused | Java: CN fallback for DNS names when the certificate has no DNS SAN; never for IP addresses |
//! | expired trust anchor | accepted (PKIX does not check the anchor's validity) | accepted (anchors are names and keys) | accepted |
//! | empty trust store | `the trustAnchors parameter must be non-empty` | unknown issuer | class `unknown-issuer`, with Java's text for the empty store |
//!
//! The two rows where we depart from rustls-webpki are kept as data in [`JAVA_RULES`] (an API
//! test fails when the set of departures changes); every remaining difference measured
//! against the real JDK would be kept in [`DIVERGENCES`], each with its reason
//! (`tests/interop/connect_java.rs` fails when one appears or disappears; today there is none).
//!
//! # Gotchas
//!
//! - *Why send `GET /` at all?* Under TLS 1.3 the server judges the client certificate after
//!   the client's handshake is complete; a missing or refused certificate arrives as an alert
//!   on the first read. The test reports success only after it has heard back.
//! - *Which name is checked?* The host as typed (as Java's `HttpsURLConnection` does); an SNI
//!   override changes only what the client sends.

mod client_cert;
mod divergence;
mod download;
pub mod engine;
mod failure;
mod java_text;
mod key_manager;
mod options;
mod outcome;
mod run;
mod trust;
mod verifier;

pub use client_cert::{ChoiceReason, ClientCertReport, choose_alias};
pub use divergence::{DIVERGENCES, Divergence, JAVA_RULES};
pub use download::{add_sent_root, chain_pem, chain_zip, sent_root};
pub use failure::{Failure, FailureClass, Phase, UnknownFailureClass};
pub use key_manager::{
    CertificateRequestInfo, CheckResult, ClientKey, Drop, Dropped, KeyManagerKind, KeyPairFacts,
    Ranking, hash_map_order, hashtable_order, java_alias_order, key_types, rank,
};
pub use options::{ClientCertificate, Clock, Options, Policy, Target, TlsVersion, Validation};
pub use outcome::{ChainCert, Outcome, REPORT_VERSION, Timings};
pub use run::run;
pub use trust::{KeyPairSource, LockedKeyPair, Origin, TrustSource};
pub use verifier::ServerVerifier;

/// Why a connectivity test could not run (as opposed to ran and failed).
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The host or port is malformed.
    #[error("bad target `{text}`: {reason}")]
    BadTarget {
        /// What was given.
        text: String,
        /// What is wrong.
        reason: String,
    },
    /// The SNI override is not a valid DNS name.
    #[error("bad SNI name `{name}`: not a valid DNS name")]
    BadSni {
        /// What was given.
        name: String,
    },
    /// The named alias is not in the keystore.
    #[error("no entry with alias `{alias}` in the keystore")]
    UnknownAlias {
        /// The alias.
        alias: String,
    },
    /// A key pair of the keystore could not be used (wrong key password, unsupported key).
    #[error("cannot use key pair `{alias}`")]
    KeyPair {
        /// The alias.
        alias: String,
        /// What went wrong.
        #[source]
        source: KeyPairError,
    },
    /// The TLS version bounds leave no version.
    #[error("no TLS version between {min} and {max}")]
    NoVersion {
        /// The lower bound.
        min: TlsVersion,
        /// The upper bound.
        max: TlsVersion,
    },
    /// The server did not send its root, so there is none to add.
    #[error(
        "the server did not send its root (its chain ends at {top}); get the root from the receiver's owner"
    )]
    NoRootSent {
        /// The top of the chain as sent.
        top: String,
    },
    /// The root could not be added to the keystore.
    #[error("cannot add the root as `{alias}`")]
    AddRoot {
        /// The alias.
        alias: String,
        /// What the keystore said.
        #[source]
        source: crate::keystore::ErrorKind,
    },
    /// The tenant keystore could not be read or its keys not unsealed.
    #[error("cannot read the keystore of tenant `{dir}`")]
    Tenant {
        /// The tenant directory.
        dir: String,
        /// What the tenant said.
        #[source]
        source: Box<crate::tenant::TenantError>,
    },
    /// OpenSSL refused the client configuration (a system libssl without a cipher, group
    /// or signature scheme Java offers).
    #[error("cannot build the TLS configuration")]
    Config(#[source] openssl::error::ErrorStack),
}

/// Why a key pair entry cannot be used as a client certificate.
#[derive(Debug, thiserror::Error)]
pub enum KeyPairError {
    /// The key could not be unsealed (wrong key password, malformed or unsupported
    /// protection).
    #[error(transparent)]
    Keystore(crate::keystore::ErrorKind),
    /// The entry has no certificate.
    #[error("empty certificate chain")]
    EmptyChain,
    /// rustls cannot load the private key.
    #[error("unsupported private key")]
    UnsupportedKey(#[source] crate::decode::TlsError),
}
