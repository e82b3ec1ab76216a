//! Trust profiles: which certificate chain the receiver sends, and the server identity built
//! from it.
//!
//! With `ServerConfig::with_single_cert(chain, key)` rustls sends exactly the chain it is given,
//! so every row of DESIGN.md's trust table is just a different chain (crates.md §3.1).

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use harness::keystore::{EntryKind, Keystore, Passwords};
use harness::pki::{Issued, Pki, Role, Validity, World};
use harness::secret::{Password, PrivateKey};
use rustls_pki_types::CertificateDer;

use crate::error::ReceiverError;

/// Which chain the receiver sends in its Certificate message. Scenario files and the
/// command line spell it as [`TrustProfile::name`] does (`leaf-only`).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
#[value(rename_all = "kebab-case")]
pub enum TrustProfile {
    /// Leaf + intermediate + root: a client needs the root.
    FullChain,
    /// Leaf + intermediate (the usual, correct server configuration): a client needs the root.
    LeafIntermediate,
    /// The leaf alone: a client needs the intermediate (Java and rustls accept it alone as
    /// trust anchor; default OpenSSL wants the root too).
    LeafOnly,
    /// A self-signed leaf: a client needs that very certificate.
    SelfSigned,
    /// Intermediate before leaf (a misconfigured server): rustls, Java and OpenSSL all take
    /// the intermediate for the server certificate and fail (CA as end entity, host name).
    ReversedChain,
}

impl TrustProfile {
    /// Every profile, in the order of DESIGN.md's trust table.
    pub const ALL: [TrustProfile; 5] = [
        TrustProfile::FullChain,
        TrustProfile::LeafIntermediate,
        TrustProfile::LeafOnly,
        TrustProfile::SelfSigned,
        TrustProfile::ReversedChain,
    ];

    /// The profile's name on the command line (`full-chain`, `leaf-intermediate`, ...).
    pub fn name(self) -> &'static str {
        match self {
            TrustProfile::FullChain => "full-chain",
            TrustProfile::LeafIntermediate => "leaf-intermediate",
            TrustProfile::LeafOnly => "leaf-only",
            TrustProfile::SelfSigned => "self-signed",
            TrustProfile::ReversedChain => "reversed-chain",
        }
    }

    /// What a client must trust to succeed against this profile, in the trust table's words.
    pub fn client_must_trust(self) -> &'static str {
        match self {
            TrustProfile::FullChain | TrustProfile::LeafIntermediate => "receiver-root",
            TrustProfile::LeafOnly => {
                "receiver-intermediate (Java, rustls) or intermediate + root (OpenSSL)"
            }
            TrustProfile::SelfSigned => "server-self-signed itself",
            TrustProfile::ReversedChain => {
                "nothing helps: clients take the intermediate for the server certificate"
            }
        }
    }

    /// The chain this profile sends for `leaf`, leaf first unless the profile reverses it
    /// (`SelfSigned` sends the leaf and its issuers as `LeafIntermediate` does: use it with a
    /// self-signed leaf). Public so callers with their own leaves build the same chains.
    pub fn chain_for(self, leaf: &Issued) -> Vec<CertificateDer<'static>> {
        let full = leaf.full_chain();
        match self {
            TrustProfile::FullChain => full,
            TrustProfile::LeafIntermediate | TrustProfile::SelfSigned => leaf.chain(),
            TrustProfile::LeafOnly => vec![leaf.cert().clone()],
            TrustProfile::ReversedChain => {
                let mut chain = leaf.chain();
                chain.reverse();
                chain
            }
        }
    }
}

impl fmt::Display for TrustProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TrustProfile {
    type Err = ReceiverError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        TrustProfile::ALL
            .into_iter()
            .find(|p| p.name() == text)
            .ok_or_else(|| ReceiverError::UnknownProfile {
                name: text.to_owned(),
            })
    }
}

/// The PKI's validity and name variants of the server certificate, applicable to any profile.
/// Scenario files (`certificate`) and the command line (`--variant`) spell it as
/// [`ServerVariant::name`] does.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
#[value(rename_all = "kebab-case")]
pub enum ServerVariant {
    /// A correct certificate.
    #[default]
    Valid,
    /// Expired at the simulated "now".
    Expired,
    /// Not yet valid at the simulated "now".
    NotYetValid,
    /// Issued for another host name (`wrong.host.invalid`).
    WrongHost,
    /// Host name in the CN only, no SAN (Java falls back to the CN; rustls never does).
    CnOnly,
    /// extendedKeyUsage emailProtection instead of serverAuth.
    WrongEku,
    /// Issued by an intermediate without the CA flag (basicConstraints cA=false): a chain
    /// no client accepts.
    UnderNotCa,
    /// Issued under two intermediates (root -> intermediate -> intermediate 2 -> leaf).
    TwoIntermediates,
}

impl ServerVariant {
    /// Every variant.
    pub const ALL: [ServerVariant; 8] = [
        ServerVariant::Valid,
        ServerVariant::Expired,
        ServerVariant::NotYetValid,
        ServerVariant::WrongHost,
        ServerVariant::CnOnly,
        ServerVariant::WrongEku,
        ServerVariant::UnderNotCa,
        ServerVariant::TwoIntermediates,
    ];

    /// The variant's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ServerVariant::Valid => "valid",
            ServerVariant::Expired => "expired",
            ServerVariant::NotYetValid => "not-yet-valid",
            ServerVariant::WrongHost => "wrong-host",
            ServerVariant::CnOnly => "cn-only",
            ServerVariant::WrongEku => "wrong-eku",
            ServerVariant::UnderNotCa => "under-not-ca",
            ServerVariant::TwoIntermediates => "two-intermediates",
        }
    }

    /// Whether the self-signed profile can send this variant (re-issued self-signed); the
    /// variants defined by their issuers cannot.
    pub fn is_self_signable(self) -> bool {
        !matches!(
            self,
            ServerVariant::UnderNotCa | ServerVariant::TwoIntermediates
        )
    }

    fn role(self) -> Role {
        match self {
            ServerVariant::Valid => Role::Server,
            ServerVariant::Expired => Role::ServerExpired,
            ServerVariant::NotYetValid => Role::ServerNotYetValid,
            ServerVariant::WrongHost => Role::ServerWrongHost,
            ServerVariant::CnOnly => Role::ServerCnOnly,
            ServerVariant::WrongEku => Role::ServerWrongEku,
            ServerVariant::UnderNotCa => Role::ServerUnderNotCa,
            ServerVariant::TwoIntermediates => Role::ServerTwoIntermediates,
        }
    }
}

impl fmt::Display for ServerVariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ServerVariant {
    type Err = ReceiverError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ServerVariant::ALL
            .into_iter()
            .find(|v| v.name() == text)
            .ok_or_else(|| ReceiverError::UnknownVariant {
                name: text.to_owned(),
            })
    }
}

/// The certificate chain and private key the receiver serves.
#[derive(Clone, Debug)]
pub struct ServerIdentity {
    /// What the identity is, for the journal and the CLI (`leaf-only/expired`, a file name).
    pub label: String,
    /// The chain exactly as sent on the wire.
    pub chain: Vec<CertificateDer<'static>>,
    /// The leaf's private key; `Debug` elides it.
    pub key: PrivateKey,
}

impl ServerIdentity {
    /// The identity of `profile` with `variant` from a seeded world. Variants of the
    /// self-signed profile are re-issued self-signed certificates under the same key.
    pub fn from_world(
        world: &World,
        profile: TrustProfile,
        variant: ServerVariant,
    ) -> Result<Self, ReceiverError> {
        let label = match variant {
            ServerVariant::Valid => profile.name().to_owned(),
            other => format!("{}/{}", profile.name(), other.name()),
        };
        if profile == TrustProfile::SelfSigned && !variant.is_self_signable() {
            return Err(ReceiverError::IncompatibleVariant {
                profile: profile.name(),
                variant: variant.name(),
            });
        }
        if profile == TrustProfile::SelfSigned && variant != ServerVariant::Valid {
            let leaf = self_signed_variant(world, variant)?;
            return Ok(Self {
                label,
                chain: vec![leaf.cert().clone()],
                key: leaf.key().private_key().clone(),
            });
        }
        let leaf = match profile {
            TrustProfile::SelfSigned => world.get(Role::ServerSelfSigned),
            _ => world.get(variant.role()),
        };
        Ok(Self {
            label,
            chain: profile.chain_for(leaf),
            key: leaf.key().private_key().clone(),
        })
    }

    /// Bring your own certificate: the leaf (or a whole chain) from `cert`, the key from `key`
    /// (or from a key pair entry in `cert` itself when `key` is `None`), extra chain
    /// certificates from `chain`. Any format the harness reads (PEM, DER, .p7b, keystores).
    pub fn from_files(
        cert: &Path,
        key: Option<&Path>,
        chain: Option<&Path>,
        password: &Password,
    ) -> Result<Self, ReceiverError> {
        let key = match key {
            Some(path) => Some((
                path,
                read_private_key(path, &Passwords::new(password.clone()))?,
            )),
            None => None,
        };
        Self::from_files_with_key(cert, key, chain, password)
    }

    /// [`ServerIdentity::from_files`] with the key already read (the command line reads
    /// `--key` itself, as openssl writes keys, encrypted ones with their own password):
    /// `key` is the key file and its key.
    pub fn from_files_with_key(
        cert: &Path,
        key: Option<(&Path, PrivateKey)>,
        chain: Option<&Path>,
        password: &Password,
    ) -> Result<Self, ReceiverError> {
        let passwords = Passwords::new(password.clone());
        let cert_store = read_store(cert, &passwords)?;
        let mut certs: Vec<CertificateDer<'static>> = Vec::new();
        let mut found_key: Option<PrivateKey> = None;
        for entry in cert_store.entries() {
            match &entry.kind {
                EntryKind::KeyPair { key, chain } => {
                    if found_key.is_none() {
                        let plain = key
                            .unlock(passwords.key_for(&entry.alias), &entry.alias)
                            .map_err(|source| ReceiverError::Key {
                                path: cert.to_owned(),
                                source,
                            })?;
                        found_key = Some(plain);
                        certs.extend(chain.iter().cloned());
                    }
                }
                EntryKind::TrustedCertificate(der) => certs.push(der.clone()),
                EntryKind::SecretKey { .. } => {}
            }
        }
        if certs.is_empty() {
            return Err(ReceiverError::BadFile {
                path: cert.to_owned(),
                reason: "holds no certificate",
            });
        }
        let key_file = key.as_ref().map_or(cert, |(path, _)| *path);
        if let Some((_, key)) = key {
            found_key = Some(key);
        }
        if let Some(chain_path) = chain {
            let store = read_store(chain_path, &passwords)?;
            certs.extend(
                store
                    .entries()
                    .iter()
                    .filter_map(|e| e.kind.certificate().cloned()),
            );
        }
        let key = found_key.ok_or_else(|| ReceiverError::MissingKey {
            path: cert.to_owned(),
        })?;
        crate::tls::check_key_matches(&certs, &key, cert, key_file)?;
        Ok(Self {
            label: cert.display().to_string(),
            chain: certs,
            key,
        })
    }
}

/// Reads every certificate of a trust file (PEM, DER, .p7b, keystore): trusted entries and
/// the chains of key pair entries.
pub fn read_certificates(
    path: &Path,
    password: &Password,
) -> Result<Vec<CertificateDer<'static>>, ReceiverError> {
    let store = read_store(path, &Passwords::new(password.clone()))?;
    let mut certs = Vec::new();
    for entry in store.entries() {
        match &entry.kind {
            EntryKind::TrustedCertificate(der) => certs.push(der.clone()),
            EntryKind::KeyPair { chain, .. } => certs.extend(chain.iter().cloned()),
            EntryKind::SecretKey { .. } => {}
        }
    }
    if certs.is_empty() {
        return Err(ReceiverError::BadFile {
            path: path.to_owned(),
            reason: "holds no certificate",
        });
    }
    Ok(certs)
}

/// A private key file: PKCS#8 PEM (`PRIVATE KEY`) or DER, or a keystore's first key pair.
fn read_private_key(path: &Path, passwords: &Passwords) -> Result<PrivateKey, ReceiverError> {
    use rustls_pki_types::pem::PemObject;
    let bytes =
        harness::file::read_limited(path, harness::keystore::MAX_FILE_BYTES).map_err(|e| {
            ReceiverError::Read {
                path: path.to_owned(),
                source: match e {
                    harness::file::ReadError::Io(source) => source,
                    other => std::io::Error::other(other.to_string()),
                },
            }
        })?;
    if let Ok(rustls_pki_types::PrivateKeyDer::Pkcs8(der)) =
        rustls_pki_types::PrivateKeyDer::from_pem_slice(&bytes)
    {
        return Ok(PrivateKey::from_pkcs8_der(der.secret_pkcs8_der().to_vec()));
    }
    if bytes.first() == Some(&0x30) && crate::tls::loads_as_key(&bytes) {
        return Ok(PrivateKey::from_pkcs8_der(bytes));
    }
    // Keys as openssl writes them (PKCS#1, SEC1 after `EC PARAMETERS`, DER); keystores
    // below. An encrypted key needs its own password: the command line's --key-password-*.
    let keystore = matches!(
        harness::keystore::detect_format(&bytes),
        Ok(harness::keystore::Format::Jks
            | harness::keystore::Format::Jceks
            | harness::keystore::Format::Pkcs12)
    );
    match harness::keystore::read_private_key(&bytes, None) {
        Ok(key) => return Ok(key),
        Err(source) if !keystore => {
            return Err(ReceiverError::KeyFile {
                path: path.to_owned(),
                source,
            });
        }
        Err(_) => {}
    }
    let store = read_store(path, passwords)?;
    let (alias, material, _) = store
        .key_pairs()
        .next()
        .ok_or_else(|| ReceiverError::BadFile {
            path: path.to_owned(),
            reason: "holds no PKCS#8 private key",
        })?;
    material
        .unlock(passwords.key_for(alias), alias)
        .map_err(|source| ReceiverError::Key {
            path: path.to_owned(),
            source,
        })
}

fn read_store(path: &Path, passwords: &Passwords) -> Result<Keystore, ReceiverError> {
    Keystore::read_file(path, passwords).map_err(|source| ReceiverError::Keystore {
        path: path.to_owned(),
        source: Box::new(source),
    })
}

fn self_signed_variant(world: &World, variant: ServerVariant) -> Result<Issued, ReceiverError> {
    let spec = world.spec();
    let pki = Pki::new(spec.seed, spec.now, spec.key_type);
    let label = format!("server-self-signed-{}", variant.name());
    let base = pki
        .self_signed_leaf(&label)
        .organization("Harness Receiver")
        .key_from("server-self-signed");
    let built = match variant {
        ServerVariant::Valid => base.names(&spec.server_names),
        ServerVariant::Expired => base.names(&spec.server_names).validity(Validity::Expired),
        ServerVariant::NotYetValid => base
            .names(&spec.server_names)
            .validity(Validity::NotYetValid),
        ServerVariant::WrongHost => base.names(["wrong.host.invalid"]),
        ServerVariant::CnOnly => base.names(&spec.server_names).cn_only(),
        ServerVariant::WrongEku => base
            .names(&spec.server_names)
            .eku(harness::pki::Eku::EmailProtection),
        ServerVariant::UnderNotCa | ServerVariant::TwoIntermediates => {
            return Err(ReceiverError::IncompatibleVariant {
                profile: TrustProfile::SelfSigned.name(),
                variant: variant.name(),
            });
        }
    };
    built.build().map_err(ReceiverError::Pki)
}
