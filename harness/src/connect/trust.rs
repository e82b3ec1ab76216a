//! Where trusted certificates and key pairs come from: a keystore file or the tenant.

use rustls_pki_types::CertificateDer;

use super::ConnectError;
use crate::keystore::{Keystore, Passwords};
use crate::secret::PrivateKey;
use crate::tenant::Tenant;

/// The trusted certificates and key pairs a connectivity test uses, by alias, in keystore
/// order. Build it from any keystore ([`TrustSource::from_keystore`]) or from the simulated
/// tenant ([`TrustSource::from_tenant`]).
#[derive(Clone, Debug, Default)]
pub struct TrustSource {
    /// A label for reports: the keystore file or the tenant directory.
    pub label: String,
    /// What kind of store the label names; the diagnosis words its fixes by it.
    pub origin: Origin,
    trusted: Vec<(String, CertificateDer<'static>)>,
    key_pairs: Vec<KeyPairSource>,
    other_aliases: Vec<String>,
    /// Key pair entries whose key did not unseal with the key password.
    locked_key_pairs: Vec<LockedKeyPair>,
    /// Every key pair alias (unsealed or locked) in keystore order.
    key_pair_order: Vec<String>,
    /// The keystore format, when read from one (Java's alias order depends on it).
    format: Option<crate::keystore::Format>,
    /// The Java-rules validator over `trusted`, built at the first test and shared by every
    /// later one (parsing trust anchors with OpenSSL 3.0 costs more than a handshake).
    validator: std::sync::OnceLock<std::sync::Arc<crate::pkix::Validator>>,
    /// The validator's verdicts (shared by clones; reset with the trusted entries).
    verdicts: super::engine::VerdictCache,
}

/// A key pair entry whose key does not unseal with the key password given (the keystore
/// password, for CPI and Java's key managers): Java's key manager cannot use it.
#[derive(Clone, Debug)]
pub struct LockedKeyPair {
    /// The alias.
    pub alias: String,
    /// The certificate chain, leaf first (readable without the key password).
    pub chain: Vec<CertificateDer<'static>>,
}

/// One key pair entry, unsealed.
#[derive(Clone, Debug)]
pub struct KeyPairSource {
    /// The alias.
    pub alias: String,
    /// The certificate chain, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// The private key (its `Debug` elides it).
    pub key: PrivateKey,
}

/// What kind of store a [`TrustSource`] was read from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Origin {
    /// A keystore file (or certificates given in code).
    #[default]
    KeystoreFile,
    /// The simulated tenant keystore: fixes are made in its Keystore Monitor.
    Tenant,
}

impl TrustSource {
    /// An empty source labelled `label`.
    pub fn new(label: &str) -> Self {
        Self {
            label: label.to_owned(),
            ..Self::default()
        }
    }

    /// Reads trusted certificate entries and key pair entries from a keystore, unsealing
    /// each key with its key password. Secret-key entries are remembered by alias only.
    pub fn from_keystore(
        store: &Keystore,
        passwords: &Passwords,
        label: &str,
    ) -> Result<Self, ConnectError> {
        let mut source = Self::new(label);
        source.format = Some(store.format());
        for entry in store.entries() {
            match &entry.kind {
                crate::keystore::EntryKind::TrustedCertificate(cert) => {
                    source.trusted.push((entry.alias.clone(), cert.clone()));
                }
                crate::keystore::EntryKind::KeyPair { key, chain } => {
                    source.key_pair_order.push(entry.alias.clone());
                    let key = match key.unlock(passwords.key_for(&entry.alias), &entry.alias) {
                        Ok(key) => key,
                        // Java's key manager cannot use it; the key manager decides what
                        // that means (see connect::key_manager).
                        Err(crate::keystore::ErrorKind::WrongKeyPassword { .. }) => {
                            source.locked_key_pairs.push(LockedKeyPair {
                                alias: entry.alias.clone(),
                                chain: chain.clone(),
                            });
                            continue;
                        }
                        Err(e) => {
                            return Err(ConnectError::KeyPair {
                                alias: entry.alias.clone(),
                                source: super::KeyPairError::Keystore(e),
                            });
                        }
                    };
                    let pair = KeyPairSource {
                        alias: entry.alias.clone(),
                        chain: chain.clone(),
                        key,
                    };
                    super::client_cert::check_key(&pair)?;
                    source.key_pairs.push(pair);
                }
                crate::keystore::EntryKind::SecretKey { .. } => {
                    source.other_aliases.push(entry.alias.clone());
                }
            }
        }
        Ok(source)
    }

    /// Reads the tenant keystore of `tenant`: its trusted certificate entries (SAP-owned
    /// roots included) and its key pair entries (the SAP-owned
    /// `sap_cloudintegrationcertificate` included), unsealed with the tenant's own password.
    /// The label is the tenant directory.
    pub fn from_tenant(tenant: &Tenant) -> Result<Self, ConnectError> {
        let label = tenant.dir().display().to_string();
        let store = tenant
            .unlocked_keystore()
            .map_err(|source| ConnectError::Tenant {
                dir: label.clone(),
                source: Box::new(source),
            })?;
        let mut source = Self::from_keystore(&store, &tenant.passwords(), &label)?;
        source.origin = Origin::Tenant;
        Ok(source)
    }

    /// The store as reports name it: "keystore `FILE`", "tenant keystore `DIR`", or
    /// "the keystore" when unlabelled.
    pub fn store_name(&self) -> String {
        match (self.origin, self.label.is_empty()) {
            (Origin::KeystoreFile, true) => "the keystore".to_owned(),
            (Origin::KeystoreFile, false) => format!("keystore `{}`", self.label),
            (Origin::Tenant, true) => "the tenant keystore".to_owned(),
            (Origin::Tenant, false) => format!("tenant keystore `{}`", self.label),
        }
    }

    /// Adds a trusted certificate entry.
    pub fn with_trusted(mut self, alias: &str, cert: CertificateDer<'static>) -> Self {
        self.trusted.push((alias.to_owned(), cert));
        self.validator = std::sync::OnceLock::new();
        self.verdicts = super::engine::VerdictCache::default();
        self
    }

    /// The engine's memo of validator verdicts.
    pub(crate) fn verdict_cache(&self) -> super::engine::VerdictCache {
        self.verdicts.clone()
    }

    /// The validator over the trusted entries (built once per source). As Java's PKIX
    /// `TrustManagerFactory.init(KeyStore)` (`KeyStores.getTrustedCerts`), the first
    /// certificate of every key pair entry is trusted too, locked or not.
    pub(crate) fn validator(&self) -> std::sync::Arc<crate::pkix::Validator> {
        self.validator
            .get_or_init(|| {
                let key_pair_leaves = self
                    .key_pairs
                    .iter()
                    .map(|k| &k.chain)
                    .chain(self.locked_key_pairs.iter().map(|k| &k.chain))
                    .filter_map(|chain| chain.first().cloned());
                std::sync::Arc::new(crate::pkix::Validator::new(
                    self.trusted
                        .iter()
                        .map(|(_, c)| c.clone())
                        .chain(key_pair_leaves),
                ))
            })
            .clone()
    }

    /// Adds a key pair entry.
    pub fn with_key_pair(
        mut self,
        alias: &str,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKey,
    ) -> Self {
        self.key_pairs.push(KeyPairSource {
            alias: alias.to_owned(),
            chain,
            key,
        });
        self.validator = std::sync::OnceLock::new();
        self.verdicts = super::engine::VerdictCache::default();
        self
    }

    /// Trusted certificate entries: (alias, certificate).
    pub fn trusted(&self) -> &[(String, CertificateDer<'static>)] {
        &self.trusted
    }

    /// Key pair entries.
    pub fn key_pairs(&self) -> &[KeyPairSource] {
        &self.key_pairs
    }

    /// The key pair under `alias` (case-insensitive, as Java compares aliases).
    pub fn key_pair(&self, alias: &str) -> Option<&KeyPairSource> {
        self.key_pairs
            .iter()
            .find(|k| k.alias.eq_ignore_ascii_case(alias))
    }

    /// Key pair entries whose key did not unseal with the key password.
    pub fn locked_key_pairs(&self) -> &[LockedKeyPair] {
        &self.locked_key_pairs
    }

    /// The keystore format, when read from a keystore.
    pub fn format(&self) -> Option<crate::keystore::Format> {
        self.format
    }

    /// The position of key pair `alias` in keystore order (entries added in code come after
    /// those read from a keystore, in the order added).
    pub(crate) fn key_pair_position(&self, alias: &str) -> usize {
        self.key_pair_order
            .iter()
            .position(|a| a == alias)
            .or_else(|| {
                self.key_pairs
                    .iter()
                    .position(|k| k.alias == alias)
                    .map(|p| self.key_pair_order.len() + p)
            })
            .unwrap_or(usize::MAX)
    }

    /// Whether any entry (of any kind) has `alias`.
    pub fn has_alias(&self, alias: &str) -> bool {
        self.key_pair(alias).is_some()
            || self
                .locked_key_pairs
                .iter()
                .any(|k| k.alias.eq_ignore_ascii_case(alias))
            || self
                .trusted
                .iter()
                .any(|(a, _)| a.eq_ignore_ascii_case(alias))
            || self
                .other_aliases
                .iter()
                .any(|a| a.eq_ignore_ascii_case(alias))
    }
}
