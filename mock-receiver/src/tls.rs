//! The rustls server configuration of a receiver: chain, versions, client verifier, clock.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use harness::secret::PrivateKey;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::{ClientHello, ResolvesServerCert, ServerConfig, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::time_provider::TimeProvider;
use rustls::{
    AlertDescription, CertificateError, DigitallySignedStruct, DistinguishedName, Error,
    RootCertStore, SignatureScheme,
};
use rustls_pki_types::{CertificateDer, UnixTime};

use crate::error::ReceiverError;
use crate::spec::{CaNames, ClientAuthMode, ReceiverSpec, Rejection, TlsVersions};

tokio::task_local! {
    /// The client chain presented on the connection whose handshake is being polled: the
    /// verifier is shared by all connections, so it hands the chain over through the
    /// connection task, which journals it even when the handshake then fails.
    pub(crate) static PRESENTED: std::cell::RefCell<Vec<CertificateDer<'static>>>;
}

/// The one crypto provider of the workspace.
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// The receiver's clock for rustls: fixed (scenarios, tests: an expired client certificate is
/// reproducible), a simulated start running forward, or the wall clock.
#[derive(Debug)]
pub(crate) struct ClockTime(harness::time::Clock);

impl ClockTime {
    pub(crate) fn unix(&self) -> UnixTime {
        let secs = u64::try_from(self.0.now().unix_timestamp()).unwrap_or(0);
        UnixTime::since_unix_epoch(Duration::from_secs(secs))
    }
}

impl TimeProvider for ClockTime {
    fn current_time(&self) -> Option<UnixTime> {
        Some(self.unix())
    }
}

/// The server configuration for `spec`, and the client verifier (kept for the HTTP layer's
/// nginx-style second look at a certificate the handshake let through).
pub(crate) fn server_config(
    spec: &ReceiverSpec,
) -> Result<(Arc<ServerConfig>, Arc<ReceiverVerifier>), ReceiverError> {
    let provider = provider();
    let versions: &[&rustls::SupportedProtocolVersion] = match spec.versions {
        TlsVersions::Both => &[&rustls::version::TLS13, &rustls::version::TLS12],
        TlsVersions::Tls12Only => &[&rustls::version::TLS12],
        TlsVersions::Tls13Only => &[&rustls::version::TLS13],
    };
    let verifier = Arc::new(ReceiverVerifier::new(spec, provider.clone())?);
    let tls_error = |e: Error| ReceiverError::Tls {
        what: "the server configuration".into(),
        source: Some(Box::new(harness::decode::TlsError(e))),
    };
    let mut config = ServerConfig::builder_with_details(provider, Arc::new(ClockTime(spec.clock)))
        .with_protocol_versions(versions)
        .map_err(tls_error)?
        .with_client_cert_verifier(verifier.clone())
        .with_cert_resolver(Arc::new(FixedChain::new(spec)?));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((Arc::new(config), verifier))
}

/// Sends the configured chain exactly as given. `with_single_cert` would refuse the
/// reversed-chain profile (it checks the key against the first certificate), and a
/// misconfigured server is the point of that profile; bring-your-own files are checked for a
/// matching key when read.
#[derive(Debug)]
struct FixedChain(Arc<CertifiedKey>);

impl FixedChain {
    fn new(spec: &ReceiverSpec) -> Result<Self, ReceiverError> {
        let key = provider()
            .key_provider
            .load_private_key(spec.identity.key.to_rustls())
            .map_err(|e| ReceiverError::Tls {
                what: format!("server key of `{}`", spec.identity.label),
                source: Some(Box::new(harness::decode::TlsError(e))),
            })?;
        if spec.identity.chain.is_empty() {
            return Err(ReceiverError::Tls {
                what: format!("`{}` has no certificate", spec.identity.label),
                source: None,
            });
        }
        Ok(Self(Arc::new(CertifiedKey::new(
            spec.identity.chain.clone(),
            key,
        ))))
    }
}

impl ResolvesServerCert for FixedChain {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// The receiver's client certificate verifier: webpki against the configured trust store at
/// the simulated "now", plus what webpki's own verifier cannot do: trust nothing (webpki
/// refuses an empty store with `NoRootAnchors`), advertise CA names that are not the trust
/// store's, and let an untrusted certificate through to the HTTP layer (nginx style).
#[derive(Debug)]
pub(crate) struct ReceiverVerifier {
    mode: ClientAuthMode,
    rejection: Rejection,
    inner: Option<Arc<dyn ClientCertVerifier>>,
    hints: Vec<DistinguishedName>,
    provider: Arc<CryptoProvider>,
    clock: ClockTime,
}

impl ReceiverVerifier {
    pub(crate) fn new(
        spec: &ReceiverSpec,
        provider: Arc<CryptoProvider>,
    ) -> Result<Self, ReceiverError> {
        let auth = &spec.client_auth;
        let mut roots = RootCertStore::empty();
        for cert in &auth.trust {
            roots.add(cert.clone()).map_err(|e| ReceiverError::Tls {
                what: "client trust store".into(),
                source: Some(Box::new(harness::decode::TlsError(e))),
            })?;
        }
        let inner = if roots.is_empty() {
            None
        } else {
            let built = WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots.clone()),
                provider.clone(),
            )
            .build()
            .map_err(|e| ReceiverError::Tls {
                what: "client trust store".into(),
                source: Some(Box::new(e)),
            })?;
            Some(built)
        };
        let hints = match &auth.ca_names {
            CaNames::TrustStore => roots.subjects(),
            CaNames::Empty => Vec::new(),
            CaNames::Subjects(certs) => certs
                .iter()
                .map(|c| {
                    harness::cert::subject_der(c)
                        .map(DistinguishedName::from)
                        .map_err(|e| ReceiverError::Tls {
                            what: "CA names".into(),
                            source: Some(Box::new(e)),
                        })
                })
                .collect::<Result<_, _>>()?,
        };
        Ok(Self {
            mode: auth.mode,
            rejection: auth.rejection,
            inner,
            hints,
            provider,
            clock: ClockTime(spec.clock),
        })
    }

    /// The CA names advertised, as text, for the journal.
    pub(crate) fn hint_names(&self) -> Vec<String> {
        if self.mode == ClientAuthMode::None {
            return Vec::new();
        }
        self.hints
            .iter()
            .map(|dn| harness::cert::name_text(dn.as_ref()))
            .collect()
    }

    /// Validates a chain the handshake let through (nginx style): `Err` says why it is not
    /// trusted.
    pub(crate) fn check(&self, chain: &[CertificateDer<'static>]) -> Result<(), String> {
        let Some((leaf, intermediates)) = chain.split_first() else {
            return Err("no certificate".into());
        };
        match &self.inner {
            None => Err("the receiver trusts no client certificate (empty trust store)".into()),
            Some(inner) => inner
                .verify_client_cert(leaf, intermediates, self.clock.unix())
                .map(|_| ())
                .map_err(|e| e.to_string()),
        }
    }
}

impl ClientCertVerifier for ReceiverVerifier {
    fn offer_client_auth(&self) -> bool {
        self.mode != ClientAuthMode::None
    }

    fn client_auth_mandatory(&self) -> bool {
        self.mode == ClientAuthMode::Required && self.rejection == Rejection::TlsAlert
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        let _ = PRESENTED.try_with(|slot| {
            let mut chain = vec![end_entity.clone().into_owned()];
            chain.extend(intermediates.iter().map(|c| c.clone().into_owned()));
            *slot.borrow_mut() = chain;
        });
        if self.rejection == Rejection::Http400 {
            // nginx completes the handshake and judges the certificate in HTTP.
            return Ok(ClientCertVerified::assertion());
        }
        match &self.inner {
            None => Err(Error::InvalidCertificate(CertificateError::UnknownIssuer)),
            Some(inner) => inner.verify_client_cert(end_entity, intermediates, now),
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
            &self.provider.signature_verification_algorithms,
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
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The alert rustls sends for a handshake error, where it sends one (a best reading of
/// rustls' mapping, for the journal).
pub(crate) fn alert_for(error: &Error) -> Option<AlertDescription> {
    match error {
        Error::InvalidCertificate(e) => Some(AlertDescription::from(e.clone())),
        // rustls sends certificate_required (RFC 8446) under TLS 1.2 too (server/tls12.rs).
        Error::NoCertificatesPresented => Some(AlertDescription::CertificateRequired),
        Error::InvalidMessage(m) => Some(AlertDescription::from(*m)),
        Error::PeerIncompatible(_) => Some(AlertDescription::HandshakeFailure),
        Error::PeerMisbehaved(_) => Some(AlertDescription::IllegalParameter),
        Error::DecryptError => Some(AlertDescription::DecryptError),
        _ => None,
    }
}

/// Whether `der` loads as a private key in our provider.
pub(crate) fn loads_as_key(der: &[u8]) -> bool {
    let key = rustls_pki_types::PrivateKeyDer::Pkcs8(der.to_vec().into());
    provider().key_provider.load_private_key(key).is_ok()
}

/// Checks that `key` is the private key of `chain[0]`.
pub(crate) fn check_key_matches(
    chain: &[CertificateDer<'static>],
    key: &PrivateKey,
    cert_path: &Path,
    key_path: &Path,
) -> Result<(), ReceiverError> {
    let provider = provider();
    let signing = provider
        .key_provider
        .load_private_key(key.to_rustls())
        .map_err(|e| ReceiverError::UnusableKey {
            path: key_path.to_owned(),
            source: harness::decode::TlsError(e),
        })?;
    let certified = CertifiedKey::new(chain.to_vec(), signing);
    match certified.keys_match() {
        Ok(()) => Ok(()),
        Err(Error::InconsistentKeys(_)) => Err(ReceiverError::KeyMismatch {
            cert: cert_path.to_owned(),
            key: key_path.to_owned(),
        }),
        // The key's public half could not be derived (some key types): rustls checks again
        // when the server configuration is built.
        Err(_) => Ok(()),
    }
}
