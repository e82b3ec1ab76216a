//! The receiver system of the article: a real HTTPS server on loopback for every trust
//! profile, client-authentication mode, user mapping and fault. A local badssl.com for CPI's
//! outbound case.
//!
//! | module | what it is |
//! |---|---|
//! | [`TrustProfile`], [`ServerVariant`], [`ServerIdentity`] | which chain is sent (profile.rs) |
//! | [`ReceiverSpec`], [`ClientAuth`], [`UserMap`], [`Fault`] | what a receiver is started from (spec.rs) |
//! | [`Receiver`], [`RunningReceiver`] | start, address, journal, graceful shutdown (receiver.rs) |
//! | [`Journal`] | what each connection did (journal.rs; also `GET /__admin/journal`) |
//! | [`catalogue`] | the endpoints of `serve --all`, each with its expected CPI outcome |
//! | [`Legacy`] | TLS 1.0/1.1, CBC, RSA key exchange, DHE, legacy keys: served by OpenSSL (legacy/) |
//!
//! Data flow: a [`harness::pki::World`] (or your own files) -> [`ServerIdentity`] ->
//! [`ReceiverSpec`] -> [`Receiver::start`] -> a rustls `ServerConfig` (tls.rs) -> per
//! connection: TLS handshake, or a fault (fault.rs) -> hyper HTTP/1.1 (http.rs) -> JSON answer
//! and a [`Journal`] record.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use harness::pki::{World, WorldSpec};
//! use mock_receiver::{Receiver, ReceiverSpec, TrustProfile};
//!
//! let world = World::generate(&WorldSpec::new(1))?;
//! let receiver = Receiver::start(ReceiverSpec::profile(&world, TrustProfile::LeafOnly)?).await?;
//! println!("listening on {}", receiver.addr());
//! receiver.shutdown().await?;
//! # Ok(()) }
//! ```
//!
//! # Questions
//!
//! - *Which clock validates client certificates?* The spec's [`ReceiverSpec::clock`]: fixed at
//!   its `now` by default (scenarios and tests stay deterministic); the `mock-receiver`
//!   command uses the wall clock, or `--now` as a start time that runs forward.
//! - *Why does a TLS 1.3 client "connect" and then fail?* Under TLS 1.3 the server judges the
//!   client certificate after the client's handshake has completed, so the client sees the
//!   alert on its first read (crates.md §5, pitfall 5).
//! - *Why a custom client verifier?* webpki's refuses an empty trust store (`NoRootAnchors`),
//!   always advertises its trust store's subjects, and cannot let an untrusted certificate
//!   through to an nginx-style HTTP 400.
//! - *Which alert does the journal record?* The one rustls' error maps to; rustls does not
//!   report what it sent, so `alert_sent` is a faithful reading of its mapping, not a capture.

pub mod catalogue;
mod error;
mod fault;
mod http;
mod journal;
mod legacy;
mod profile;
mod receiver;
mod spec;
mod tls;

pub use error::ReceiverError;
pub use journal::{ChainCertificate, ConnectionRecord, Journal, RequestRecord};
pub use legacy::{CipherPolicy, Legacy, LegacyServerKey, LegacyVersion, legacy_identity};
pub use profile::{ServerIdentity, ServerVariant, TrustProfile, read_certificates};
pub use receiver::{ConnectionLog, Receiver, RunningReceiver};
pub use spec::{
    CaNameMode, CaNames, CertMatcher, ClientAuth, ClientAuthMode, Fault, ReceiverSpec, Rejection,
    Timeouts, TlsVersions, UserMap,
};

/// The TLS alert registry lives in harness ([`harness::alert`]); re-exported for callers
/// that only know the receiver.
pub use harness::alert::{TlsAlert, alert_name};
