//! The answer of a connectivity test.

use rustls_pki_types::CertificateDer;
use serde::Serialize;

use super::client_cert::ClientCertReport;
use super::failure::{Failure, FailureClass};
use super::options::{Target, Validation};
use crate::cert::CertInfo;

/// The version of the JSON report format; bump it when a field changes meaning.
///
/// 2: `group` and `signature_scheme` (what the OpenSSL client negotiated); `protocol` may be
/// `TLSv1` or `TLSv1.1` when a test enables them.
pub const REPORT_VERSION: u32 = 2;

/// What one connectivity test found. A failed test is an outcome too ([`Outcome::failure`]).
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    /// Host and port.
    pub target: Target,
    /// The address connected to, once resolved.
    pub address: Option<String>,
    /// The SNI name sent (none for IP hosts without an override).
    pub sni: Option<String>,
    /// The "now" validity was judged at (RFC 3339).
    pub now: String,
    /// Which clock `now` came from: `wall clock`, `simulated --now, running` or `fixed
    /// simulated now` ([`crate::time::Clock::label`]).
    pub clock: String,
    /// Whether server certificate validation was on.
    pub validation: Validation,
    /// Whether a TCP connection was made.
    pub reached: bool,
    /// The negotiated protocol in Java's names (`TLSv1.3`).
    pub protocol: Option<String>,
    /// The negotiated cipher suite in IANA/Java names.
    pub cipher: Option<String>,
    /// The key exchange group in TLS names (`x25519`, `secp256r1`, `ffdhe2048`; `dheN` for
    /// TLS 1.2 DHE with the server's own N-bit parameters).
    pub group: Option<String>,
    /// The scheme of the server's handshake signature in TLS names
    /// (`ecdsa_secp256r1_sha256`, `rsa_pss_rsae_sha256`); none with RSA key exchange.
    pub signature_scheme: Option<String>,
    /// The server's certificates exactly as sent, position 0 first; captured even when
    /// validation failed or was off.
    pub server_chain: Vec<ChainCert>,
    /// With validation off: what validation would have said.
    pub ignored_validation_failure: Option<Failure>,
    /// Whether the chain was accepted because the server's own certificate is itself a
    /// trusted entry (Java's rule, e.g. an imported self-signed certificate) rather than
    /// through a path to a trust anchor.
    pub trusted_end_entity: bool,
    /// The client-certificate part.
    pub client_certificate: ClientCertReport,
    /// The status of `GET /`, when the server answered HTTP.
    pub http_status: Option<u16>,
    /// Timings.
    pub timings: Timings,
    /// Why the test failed; `None` when it succeeded.
    pub failure: Option<Failure>,
}

impl Outcome {
    /// Whether the test succeeded.
    pub fn succeeded(&self) -> bool {
        self.failure.is_none()
    }

    /// The failure class id, or `"success"`.
    pub fn class(&self) -> &'static str {
        self.failure_class().map_or("success", FailureClass::id)
    }

    /// The failure's class; `None` when the test succeeded.
    pub fn failure_class(&self) -> Option<FailureClass> {
        self.failure.as_ref().map(Failure::class)
    }
}

/// One certificate of the server chain.
#[derive(Clone, Debug, Serialize)]
pub struct ChainCert {
    /// Its position as sent (0 = the server's own certificate).
    pub position: usize,
    /// Subject, issuer, validity, serial, SHA-256, key, SANs.
    #[serde(flatten)]
    pub info: CertInfo,
    /// The DER bytes.
    #[serde(skip)]
    pub der: CertificateDer<'static>,
}

/// How long each phase took, in milliseconds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Timings {
    /// Name resolution and TCP connect.
    pub connect_ms: Option<f64>,
    /// The TLS handshake.
    pub handshake_ms: Option<f64>,
    /// From sending `GET /` to the answer's status line.
    pub response_ms: Option<f64>,
    /// Everything.
    pub total_ms: f64,
}
