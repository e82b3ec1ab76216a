//! Server certificate validation with Java's rules (see the module table in `connect`), and
//! the recording verifier that captures the chain as sent even when validation fails or is
//! off.

use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_cert_signed_by_trust_anchor, verify_server_name};
use rustls::crypto::CryptoProvider;
use rustls::server::ParsedCertificate;
use rustls::{DigitallySignedStruct, Error, RootCertStore, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

/// Validates a server chain as Java's PKIX validator plus HTTPS endpoint identification
/// would: rustls-webpki for the path, plus Java's trusted-end-entity rule and CN fallback.
#[derive(Debug)]
pub struct ServerVerifier {
    roots: RootCertStore,
    trusted: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
}

/// How a chain was accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accepted {
    /// A path from the end-entity certificate to a trust anchor.
    Path,
    /// The first certificate sent is a CA certificate (a chain sent out of order) and a path
    /// from it to a trust anchor exists: Java's PKIX validator takes it as the target and
    /// accepts that path (webpki refuses a CA as end entity). The host name is then checked
    /// against that CA certificate.
    CaAsTarget,
    /// The end-entity certificate itself is a trusted certificate entry (Java's rule; the
    /// validity window is not checked, as Java does not).
    TrustedEndEntity,
}

impl ServerVerifier {
    /// A verifier trusting `trusted` (each certificate becomes a trust anchor, whatever its
    /// position or validity: Java's trust store semantics).
    pub fn new(trusted: impl IntoIterator<Item = CertificateDer<'static>>) -> Self {
        let trusted: Vec<_> = trusted.into_iter().collect();
        let mut roots = RootCertStore::empty();
        // A trusted entry webpki cannot parse is skipped: Java would refuse to load such a
        // keystore, and our keystore readers already refuse undecodable certificates.
        let _ = roots.add_parsable_certificates(trusted.iter().cloned());
        Self {
            roots,
            trusted,
            provider: java_provider(),
        }
    }

    /// How many trust anchors the verifier holds (Java refuses an empty trust store with
    /// its own text).
    pub fn trust_anchor_count(&self) -> usize {
        self.roots.len()
    }

    /// Validates `end_entity` (with the server's other certificates as `intermediates`) for
    /// `host` at `now`.
    pub fn verify(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        host: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<Accepted, Error> {
        let parsed = ParsedCertificate::try_from(end_entity)?;
        let accepted = if self
            .trusted
            .iter()
            .any(|t| t.as_ref() == end_entity.as_ref())
        {
            // Java's PKIXValidator returns at once when chain[0] is a trusted certificate.
            Accepted::TrustedEndEntity
        } else if is_ca(end_entity) {
            // Java's PKIXValidator takes chain[0] as the target whatever its basic
            // constraints; webpki would refuse it as `CaUsedAsEndEntity` before anything else.
            self.java_ca_target_path(end_entity, intermediates, now)?;
            Accepted::CaAsTarget
        } else {
            verify_server_cert_signed_by_trust_anchor(
                &parsed,
                &self.roots,
                intermediates,
                now,
                self.provider.signature_verification_algorithms.all,
            )?;
            Accepted::Path
        };
        match verify_server_name(&parsed, host) {
            Ok(()) => Ok(accepted),
            Err(err) if java_cn_fallback(end_entity, host) => {
                let _ = err;
                Ok(accepted)
            }
            Err(err) => Err(err),
        }
    }
}

impl ServerVerifier {
    /// Java's path for a CA certificate sent first: up the issuers among the trust anchors
    /// and the other certificates sent, each signature checked, each certificate valid at
    /// `now` (a trusted certificate ends the path, as in Java, without its own check).
    fn java_ca_target_path(
        &self,
        target: &CertificateDer<'_>,
        sent: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<(), Error> {
        use rustls::CertificateError;
        fn parse(der: &[u8]) -> Result<X509Certificate<'_>, Error> {
            X509Certificate::from_der(der)
                .map(|(_, c)| c)
                .map_err(|_| Error::InvalidCertificate(CertificateError::BadEncoding))
        }
        let at = now.as_secs() as i64;
        let mut current = parse(target.as_ref())?;
        // JSSE's end-entity check for a TLS server reads the extended key usage, not the basic
        // constraints: serverAuth or anyExtendedKeyUsage when the extension is present.
        if let Ok(Some(eku)) = current.extended_key_usage()
            && !(eku.value.server_auth || eku.value.any)
        {
            return Err(Error::InvalidCertificate(CertificateError::InvalidPurpose));
        }
        // A path is at most every certificate sent plus one anchor long.
        for _ in 0..=sent.len() {
            let validity = current.validity();
            if at > validity.not_after.timestamp() {
                return Err(Error::InvalidCertificate(CertificateError::Expired));
            }
            if at < validity.not_before.timestamp() {
                return Err(Error::InvalidCertificate(CertificateError::NotValidYet));
            }
            let signed_by = |issuer: &X509Certificate<'_>| {
                issuer.subject().as_raw() == current.issuer().as_raw()
                    && self.signature_ok(&current, issuer)
            };
            for anchor in &self.trusted {
                if let Ok(anchor) = parse(anchor.as_ref())
                    && signed_by(&anchor)
                {
                    return Ok(());
                }
            }
            let next = sent
                .iter()
                .filter_map(|c| parse(c.as_ref()).ok())
                .find(|c| c.as_raw() != current.as_raw() && signed_by(c));
            match next {
                Some(next) => current = next,
                None => break,
            }
        }
        Err(Error::InvalidCertificate(CertificateError::UnknownIssuer))
    }

    fn signature_ok(&self, cert: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> bool {
        let key = issuer.public_key().subject_public_key.data.as_ref();
        let message = cert.tbs_certificate.as_ref();
        let signature = cert.signature_value.data.as_ref();
        self.provider
            .signature_verification_algorithms
            .all
            .iter()
            .any(|alg| alg.verify_signature(key, message, signature).is_ok())
    }
}

/// Whether a certificate says it is a CA (basicConstraints cA=TRUE).
fn is_ca(der: &CertificateDer<'_>) -> bool {
    X509Certificate::from_der(der.as_ref())
        .ok()
        .and_then(|(_, c)| c.basic_constraints().ok().flatten().map(|b| b.value.ca))
        .unwrap_or(false)
}

/// The crypto provider of every connectivity test: aws-lc-rs with the key exchange groups
/// JDK 17 offers by default (x25519, secp256r1, secp384r1). rustls would otherwise lead with
/// the X25519MLKEM768 hybrid, which no CPI tenant on Java 17 sends.
pub(crate) fn java_provider() -> Arc<CryptoProvider> {
    static PROVIDER: std::sync::OnceLock<Arc<CryptoProvider>> = std::sync::OnceLock::new();
    PROVIDER
        .get_or_init(|| {
            use rustls::crypto::aws_lc_rs::kx_group::{SECP256R1, SECP384R1, X25519};
            let mut provider = rustls::crypto::aws_lc_rs::default_provider();
            provider.kx_groups = vec![X25519, SECP256R1, SECP384R1];
            Arc::new(provider)
        })
        .clone()
}

/// Java's `HostnameChecker.matchDNS`: when a certificate has no DNS SAN, the most specific
/// CN is matched instead (never for IP addresses, which need an IP SAN).
fn java_cn_fallback(end_entity: &CertificateDer<'_>, host: &ServerName<'_>) -> bool {
    let ServerName::DnsName(dns) = host else {
        return false;
    };
    let Ok((_, cert)) = X509Certificate::from_der(end_entity.as_ref()) else {
        return false;
    };
    let has_dns_san = match cert.subject_alternative_name() {
        Ok(Some(san)) => san
            .value
            .general_names
            .iter()
            .any(|n| matches!(n, GeneralName::DNSName(_))),
        _ => false,
    };
    if has_dns_san {
        return false;
    }
    let Some(cn) = cert
        .subject()
        .iter_common_name()
        .last()
        .and_then(|cn| cn.as_str().ok())
    else {
        return false;
    };
    dns_matches(cn, dns.as_ref())
}

/// A presented name against a host: case-insensitive, with a wildcard only as the whole
/// leftmost label.
fn dns_matches(presented: &str, host: &str) -> bool {
    let presented = presented.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if let Some(rest) = presented.strip_prefix("*.") {
        return host
            .split_once('.')
            .is_some_and(|(label, tail)| !label.is_empty() && tail == rest && rest.contains('.'));
    }
    presented == host
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
            &self.inner.provider.signature_verification_algorithms,
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
            &self.inner.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner
            .provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_one_leftmost_label() {
        assert!(dns_matches("localhost", "LOCALHOST"));
        assert!(dns_matches("*.example.com", "a.example.com"));
        assert!(!dns_matches("*.example.com", "a.b.example.com"));
        assert!(!dns_matches("*.com", "example.com"));
        assert!(!dns_matches("example.com", "a.example.com"));
    }
}
