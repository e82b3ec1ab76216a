//! Server certificate validation with Java's rules (see the module table in `connect`), and
//! the recording verifier that captures the chain as sent even when validation fails or is
//! off.

use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, Error, OtherError, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

pub(crate) use crate::pkix::Accepted;
pub(crate) use crate::pkix::java_provider;
use crate::pkix::{Host, KeyExchange, PkixError, TlsUsage, Validator};

/// The rustls adapter over [`crate::pkix::Validator`]: Java's rules, with the refusal turned
/// into the nearest rustls error (the [`PkixError`] itself rides in
/// `CertificateError::Other` when no rustls error fits).
#[derive(Debug)]
pub struct ServerVerifier {
    validator: Validator,
}

impl ServerVerifier {
    /// A verifier trusting `trusted` (each certificate becomes a trust anchor, whatever its
    /// position or validity: Java's trust store semantics).
    pub fn new(trusted: impl IntoIterator<Item = CertificateDer<'static>>) -> Self {
        Self {
            validator: Validator::new(trusted),
        }
    }

    /// How many trust anchors the verifier holds (Java refuses an empty trust store with
    /// its own text).
    pub fn trust_anchor_count(&self) -> usize {
        self.validator.trust_anchor_count()
    }

    /// The Java-rules validator behind the adapter.
    pub fn validator(&self) -> &Validator {
        &self.validator
    }

    /// Validates `end_entity` (with the server's other certificates as `intermediates`) for
    /// `host` at `now`; the key exchange is not known to a rustls verifier, so the key usage
    /// rule that depends on it is not applied.
    pub fn verify(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        host: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<Accepted, Error> {
        let chain: Vec<CertificateDer<'_>> = std::iter::once(end_entity.clone())
            .chain(intermediates.iter().cloned())
            .collect();
        let host = match host {
            ServerName::IpAddress(ip) => Host::Ip(std::net::IpAddr::from(*ip)),
            other => Host::Dns(other.to_str().into_owned()),
        };
        let usage = TlsUsage {
            version: super::TlsVersion::Tls13,
            key_exchange: KeyExchange::Unknown,
        };
        self.validator
            .validate(&chain, &host, now, usage)
            .map_err(to_rustls)
    }
}

/// The nearest rustls error for a refusal (the connectivity test on rustls classifies it).
fn to_rustls(err: PkixError) -> Error {
    use super::FailureClass as C;
    Error::InvalidCertificate(match err.class() {
        C::UnknownIssuer => CertificateError::UnknownIssuer,
        C::Expired => CertificateError::Expired,
        C::NotYetValid => CertificateError::NotValidYet,
        C::NameMismatch => CertificateError::NotValidForName,
        C::BadKeyUsage => CertificateError::InvalidPurpose,
        _ => CertificateError::Other(OtherError(Arc::new(err))),
    })
}

/// What the recording verifier saw.
#[derive(Debug, Default)]
pub(crate) struct VerifyRecord {
    /// The server's certificates, exactly as sent.
    pub(crate) chain: Vec<CertificateDer<'static>>,
    /// What validation said (also when validation is off).
    pub(crate) error: Option<Error>,
    /// How the chain was accepted, when it was.
    pub(crate) accepted: Option<Accepted>,
}

/// The verifier installed in the rustls client: records, validates, and (validation off)
/// accepts anyway.
#[derive(Debug)]
pub(crate) struct RecordingVerifier {
    inner: ServerVerifier,
    host: ServerName<'static>,
    now: UnixTime,
    enforce: bool,
    pub(crate) record: Arc<Mutex<VerifyRecord>>,
}

impl RecordingVerifier {
    pub(crate) fn new(
        inner: ServerVerifier,
        host: ServerName<'static>,
        now: UnixTime,
        enforce: bool,
    ) -> Self {
        Self {
            inner,
            host,
            now,
            enforce,
            record: Arc::default(),
        }
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let result = self
            .inner
            .verify(end_entity, intermediates, &self.host, self.now);
        let mut record = self.record.lock().unwrap_or_else(|p| p.into_inner());
        record.chain = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.clone().into_owned())
            .collect();
        match result {
            Ok(accepted) => {
                record.accepted = Some(accepted);
                Ok(ServerCertVerified::assertion())
            }
            Err(err) => {
                record.error = Some(err.clone());
                if self.enforce {
                    Err(err)
                } else {
                    Ok(ServerCertVerified::assertion())
                }
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &java_provider().signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &java_provider().signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        java_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}
