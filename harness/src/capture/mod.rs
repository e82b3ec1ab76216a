//! `harness capture`: record a real receiver once, reproduce it offline forever.
//!
//! [`probe`] makes a small, bounded number of connectivity tests against the receiver with
//! [`crate::connect::run`] (so the probes follow whatever client the harness has): the test
//! as asked for; one with validation off and no client certificate (the chain exactly as
//! sent, protocol, suite, CA names, the answer to a client without a certificate); one per
//! TLS version the client can offer; and, when the receiver asks for a client certificate,
//! one with a certificate from an issuer no receiver knows. That is 5 handshakes with the
//! rustls client (TLS 1.2 and 1.3), 7 with a client that offers 1.0 to 1.3.
//!
//! [`Capture::write`] turns the findings into a directory `scenarios run` runs offline:
//!
//! - `twin-chain.pem` and `twin-key.pem`: every certificate of the chain re-issued with
//!   seeded keys ([`twin`](Twins)), in the order sent, and the leaf twin's key;
//! - `twin-client-trust.pem` and `twin-ca-names.pem`: the receiver's client CAs (twins of the
//!   certificates the CA names name, synthesised where unknown), in CA-name order;
//! - `twin-keystore.p12`: the test's keystore mapped onto the twin (password `capture`,
//!   which is not the user's: every key in it is a seeded twin);
//! - `<name>.toml`: the scenario, whose description draws the real chain and says when and
//!   from where it was captured.
//!
//! Nothing secret is ever written: the real server's keys were never known, the keystore's
//! private keys are not copied (key pairs are re-issued twins), passwords are not written.

mod der;
mod probe;
mod rename;
mod twin;
mod write;

pub use probe::{Probes, Treatment, probe};
pub use twin::{TwinCert, Twins};
pub use write::{Capture, Written};

/// The password of the twin keystore (not the user's: its keys are seeded twins).
pub const TWIN_KEYSTORE_PASSWORD: &str = "capture";

/// Why a capture could not be written.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// A certificate could not be taken apart.
    #[error("malformed certificate: {what}")]
    Malformed {
        /// What is wrong.
        what: String,
    },
    /// A twin key or signature could not be made.
    #[error("cannot make a twin")]
    Pki(#[source] crate::pki::PkiError),
    /// The twin keystore could not be built or encoded.
    #[error("cannot build the twin keystore")]
    Keystore(#[source] Box<crate::keystore::KeystoreError>),
    /// An entry could not be put into the twin keystore.
    #[error("cannot put `{alias}` into the twin keystore")]
    Entry {
        /// The alias.
        alias: String,
        /// What the keystore said.
        #[source]
        source: crate::keystore::ErrorKind,
    },
    /// The output directory could not be written.
    #[error(transparent)]
    Output(#[from] crate::file::StageError),
    /// The receiver sent no certificate: there is nothing to twin.
    #[error("nothing to capture: {class}: {message}")]
    NothingSent {
        /// The failure class of the test.
        class: String,
        /// The failure in words.
        message: String,
    },
}
