//! Java's key managers, engine-agnostic: which key pair answers a CertificateRequest.
//!
//! (Skeleton: today's first-fitting / random-fitting choice behind the agreed API.)

use rustls_pki_types::CertificateDer;
use serde::{Deserialize, Serialize};

use super::ConnectError;
use super::client_cert::{ChoiceReason, choose_alias};
use super::options::{ClientCertificate, Options, TlsVersion};
use super::trust::TrustSource;
use crate::secret::PrivateKey;

/// Which Java key manager chooses the client certificate.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum KeyManagerKind {
    /// JDK's default `KeyManagerFactory.getDefaultAlgorithm()`, "PKIX" (alias "NewSunX509",
    /// `sun.security.ssl.X509KeyManagerImpl`): ranks the fitting key pairs (valid now before
    /// expired or not yet valid, extended key usage clientAuth-compatible first) and takes
    /// the first of the best rank.
    #[default]
    Pkix,
    /// "SunX509" (`sun.security.ssl.SunX509KeyManagerImpl`): the first fitting key pair.
    #[serde(rename = "sunx509")]
    #[value(name = "sunx509")]
    SunX509,
}

impl KeyManagerKind {
    /// The name as written on the command line and in scenario files.
    pub fn id(self) -> &'static str {
        match self {
            KeyManagerKind::Pkix => "pkix",
            KeyManagerKind::SunX509 => "sunx509",
        }
    }
}

impl std::fmt::Display for KeyManagerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// What the server's CertificateRequest said, engine-independent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateRequestInfo {
    /// The CA names (`certificate_authorities`): DER `Name`s, outer SEQUENCE included, in
    /// order. Empty: any issuer fits.
    pub ca_names_der: Vec<Vec<u8>>,
    /// The IANA SignatureScheme codes the server accepts, in its order.
    pub signature_schemes: Vec<u16>,
    /// The negotiated protocol version.
    pub version: TlsVersion,
}

/// A key pair ready for any TLS engine: the chain (leaf first) and the PKCS#8 private key.
/// `Debug` elides the key ([`PrivateKey`]).
#[derive(Clone, Debug)]
pub struct ClientKey {
    /// The alias of the key pair entry.
    pub alias: String,
    /// The certificate chain, leaf first, as the keystore holds it.
    pub chain: Vec<CertificateDer<'static>>,
    /// The private key (PKCS#8 DER; never printed).
    pub pkcs8: PrivateKey,
}

/// One key pair entry as the key manager sees it.
#[derive(Clone, Debug)]
struct Entry {
    alias: String,
    chain: Vec<CertificateDer<'static>>,
    /// DER issuer names of the chain's certificates.
    issuers: Vec<Vec<u8>>,
    key: PrivateKey,
}

/// The key manager of one connectivity test: built before the handshake from [`Options`] and
/// the [`TrustSource`]; [`KeyManager::choose`] answers a CertificateRequest.
#[derive(Clone, Debug)]
pub(crate) struct KeyManager {
    configured: ClientCertificate,
    entries: Vec<Entry>,
}

impl KeyManager {
    /// The key manager `options` ask for, over the key pairs of `trust`.
    ///
    /// Refuses a named alias that is in no entry, and a key pair with an empty chain.
    pub(crate) fn new(
        options: &Options,
        trust: &TrustSource,
        _now: time::OffsetDateTime,
    ) -> Result<Self, ConnectError> {
        let key_pairs = match &options.client_certificate {
            ClientCertificate::Off => Vec::new(),
            ClientCertificate::Alias(alias) => {
                if !trust.has_alias(alias) {
                    return Err(ConnectError::UnknownAlias {
                        alias: alias.clone(),
                    });
                }
                trust.key_pair(alias).into_iter().cloned().collect()
            }
            ClientCertificate::Automatic(_) => trust.key_pairs().to_vec(),
        };
        let entries = key_pairs
            .into_iter()
            .map(|kp| {
                if kp.chain.is_empty() {
                    return Err(ConnectError::KeyPair {
                        alias: kp.alias.clone(),
                        source: super::KeyPairError::EmptyChain,
                    });
                }
                let issuers = kp
                    .chain
                    .iter()
                    .filter_map(|c| crate::cert::issuer_der(c.as_ref()).ok())
                    .collect();
                Ok(Entry {
                    alias: kp.alias,
                    chain: kp.chain,
                    issuers,
                    key: kp.key,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            configured: options.client_certificate.clone(),
            entries,
        })
    }

    /// Answers a CertificateRequest: the key to send, if any, and why.
    pub(crate) fn choose(
        &self,
        request: &CertificateRequestInfo,
    ) -> (Option<ClientKey>, ChoiceReason) {
        let usable: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| key_fits(&e.key, &request.signature_schemes))
            .collect();
        let views: Vec<(&str, &[Vec<u8>])> = usable
            .iter()
            .map(|e| (e.alias.as_str(), e.issuers.as_slice()))
            .collect();
        let names: Vec<&[u8]> = request.ca_names_der.iter().map(Vec::as_slice).collect();
        let (chosen, reason) = choose_alias(&self.configured, &views, &names);
        let key = chosen
            .as_deref()
            .and_then(|a| usable.iter().find(|e| e.alias == a))
            .map(|e| ClientKey {
                alias: e.alias.clone(),
                chain: e.chain.clone(),
                pkcs8: e.key.clone(),
            });
        (key, reason)
    }
}

/// Whether the key can sign with one of `schemes` (skeleton: rustls decides).
fn key_fits(key: &PrivateKey, schemes: &[u16]) -> bool {
    let schemes: Vec<rustls::SignatureScheme> = schemes
        .iter()
        .map(|&s| rustls::SignatureScheme::from(s))
        .collect();
    super::verifier::java_provider()
        .key_provider
        .load_private_key(key.to_rustls())
        .map(|k| k.choose_scheme(&schemes).is_some())
        .unwrap_or(false)
}

/// Whether a CA name of a CertificateRequest names the issuer `issuer` (both DER `Name`s).
pub(crate) fn same_name(ca_name: &[u8], issuer: &[u8]) -> bool {
    ca_name == issuer
}
