//! Server certificate validation with Java's rules (see the module table in `connect`), and
//! the recording verifier that captures the chain as sent even when validation fails or is
//! off.

use std::sync::Arc;

use rustls::{CertificateError, Error, OtherError};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

pub(crate) use crate::pkix::Accepted;
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
