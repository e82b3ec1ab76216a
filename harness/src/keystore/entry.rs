//! The one entry model every format reads into and writes from.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use rustls_pki_types::CertificateDer;
use serde::Serialize;
use time::OffsetDateTime;

use super::error::ErrorKind;
use crate::secret::{Password, PrivateKey};

/// A keystore or certificate file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Sun's JKS (magic `FEEDFEED`).
    Jks,
    /// SunJCE's JCEKS (magic `CECECECE`).
    Jceks,
    /// PKCS#12 (`.p12`, `.pfx`; keytool's default since JDK 9).
    Pkcs12,
    /// PEM text: certificates, private keys, bundles.
    Pem,
    /// One DER certificate (`.cer`, `.der`).
    Der,
    /// PKCS#7 certs-only (`.p7b`), DER or PEM.
    Pkcs7,
}

impl Format {
    /// The name keytool and our CLI use: `jks`, `jceks`, `pkcs12`, `pem`, `der`, `pkcs7`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Jks => "jks",
            Format::Jceks => "jceks",
            Format::Pkcs12 => "pkcs12",
            Format::Pem => "pem",
            Format::Der => "der",
            Format::Pkcs7 => "pkcs7",
        }
    }

    /// Whether the format holds key pairs protected by passwords (JKS, JCEKS, PKCS#12).
    pub fn is_keystore(self) -> bool {
        matches!(self, Format::Jks | Format::Jceks | Format::Pkcs12)
    }

    /// Java's alias rule: JKS and JCEKS store aliases lower-cased; PKCS#12 keeps the case but
    /// compares case-insensitively. Returns the alias as the format stores it.
    pub fn stored_alias(self, alias: &str) -> String {
        match self {
            Format::Jks | Format::Jceks => alias.to_lowercase(),
            _ => alias.to_owned(),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "jks" => Ok(Format::Jks),
            "jceks" => Ok(Format::Jceks),
            "pkcs12" | "p12" | "pfx" => Ok(Format::Pkcs12),
            "pem" => Ok(Format::Pem),
            "der" | "cer" => Ok(Format::Der),
            "pkcs7" | "p7b" => Ok(Format::Pkcs7),
            other => Err(format!(
                "unknown format `{other}` (expected jks, jceks, pkcs12, pem, der or pkcs7)"
            )),
        }
    }
}

/// Store password plus optional per-entry key passwords.
///
/// A key pair entry without its own password uses the store password, as keytool does.
#[derive(Clone, Debug)]
pub struct Passwords {
    /// The store password (integrity of JKS/JCEKS, MAC of PKCS#12).
    pub store: Password,
    /// Key passwords by alias, where they differ from the store password.
    pub keys: BTreeMap<String, Password>,
}

impl Passwords {
    /// The same password for the store and every key.
    pub fn new(store: Password) -> Self {
        Self {
            store,
            keys: BTreeMap::new(),
        }
    }

    /// Adds a key password for one alias.
    pub fn with_key(mut self, alias: &str, password: Password) -> Self {
        self.keys.insert(alias.to_lowercase(), password);
        self
    }

    /// The password protecting `alias`'s key (compared case-insensitively).
    pub fn key_for(&self, alias: &str) -> &Password {
        self.keys.get(&alias.to_lowercase()).unwrap_or(&self.store)
    }
}

/// One keystore entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The alias, as the format stores it.
    pub alias: String,
    /// Creation date (JKS/JCEKS store it to the millisecond; PKCS#12 and PEM have none, so
    /// readers set the Unix epoch and writers ignore it).
    pub created: OffsetDateTime,
    /// What the entry holds.
    pub kind: EntryKind,
}

/// What an entry holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// A trusted certificate entry (keytool's `trustedCertEntry`).
    TrustedCertificate(CertificateDer<'static>),
    /// A key pair entry (keytool's `PrivateKeyEntry`): the private key and its chain, leaf
    /// first.
    KeyPair {
        /// The private key, plain or still sealed with its key password; `Debug` elides it.
        key: KeyMaterial,
        /// The certificate chain, leaf first.
        chain: Vec<CertificateDer<'static>>,
    },
    /// A secret-key entry (JCEKS, PKCS#12): reported, never used.
    SecretKey {
        /// The key algorithm as the file names it (`AES`, `DESede`, ...).
        algorithm: String,
    },
}

impl EntryKind {
    /// keytool's name for the entry type.
    pub fn type_name(&self) -> &'static str {
        match self {
            EntryKind::TrustedCertificate(_) => "trustedCertEntry",
            EntryKind::KeyPair { .. } => "PrivateKeyEntry",
            EntryKind::SecretKey { .. } => "SecretKeyEntry",
        }
    }

    /// The entry's certificate: the trusted certificate, or the key pair's leaf.
    pub fn certificate(&self) -> Option<&CertificateDer<'static>> {
        match self {
            EntryKind::TrustedCertificate(cert) => Some(cert),
            EntryKind::KeyPair { chain, .. } => chain.first(),
            EntryKind::SecretKey { .. } => None,
        }
    }
}

/// Entries by alias, in insertion order, in one format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keystore {
    format: Format,
    entries: Vec<Entry>,
}

impl Keystore {
    /// An empty keystore of `format`.
    pub fn new(format: Format) -> Self {
        Self {
            format,
            entries: Vec::new(),
        }
    }

    /// A store of entries read from a file, checked as [`Keystore::insert`] checks each one
    /// (empty and repeated aliases refused, aliases stored as the format stores them), in one
    /// pass with a set: inserting 10,000 entries one by one compares each alias with every
    /// earlier one.
    pub(crate) fn from_entries(format: Format, entries: Vec<Entry>) -> Result<Self, ErrorKind> {
        let mut seen = HashSet::with_capacity(entries.len());
        let mut out = Vec::with_capacity(entries.len());
        for mut entry in entries {
            if entry.alias.is_empty() {
                return Err(ErrorKind::Malformed {
                    reason: "empty alias".into(),
                });
            }
            if !seen.insert(entry.alias.to_lowercase()) {
                return Err(ErrorKind::DuplicateAlias { alias: entry.alias });
            }
            entry.alias = format.stored_alias(&entry.alias);
            out.push(entry);
        }
        Ok(Self {
            format,
            entries: out,
        })
    }

    /// The format it was read from or created as.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Changes the format the store will be thought of as (aliases are re-cased for
    /// JKS/JCEKS). Fails when two aliases collide after lower-casing.
    pub fn convert(&self, format: Format) -> Result<Keystore, ErrorKind> {
        let mut out = Keystore::new(format);
        for entry in &self.entries {
            out.insert(entry.clone())?;
        }
        Ok(out)
    }

    /// The entries, in order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the store has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry under `alias` (compared case-insensitively, as Java does for every format).
    pub fn get(&self, alias: &str) -> Option<&Entry> {
        self.position(alias).map(|i| &self.entries[i])
    }

    /// Adds an entry. Its alias is stored as the format stores it; an alias that already
    /// exists (case-insensitively) is [`ErrorKind::DuplicateAlias`].
    pub fn insert(&mut self, mut entry: Entry) -> Result<(), ErrorKind> {
        if entry.alias.is_empty() {
            return Err(ErrorKind::Malformed {
                reason: "empty alias".into(),
            });
        }
        if self.position(&entry.alias).is_some() {
            return Err(ErrorKind::DuplicateAlias { alias: entry.alias });
        }
        entry.alias = self.format.stored_alias(&entry.alias);
        self.entries.push(entry);
        Ok(())
    }

    /// Adds or replaces the entry under the entry's alias; returns the replaced one.
    pub fn upsert(&mut self, mut entry: Entry) -> Option<Entry> {
        entry.alias = self.format.stored_alias(&entry.alias);
        match self.position(&entry.alias) {
            Some(i) => Some(std::mem::replace(&mut self.entries[i], entry)),
            None => {
                self.entries.push(entry);
                None
            }
        }
    }

    /// Removes and returns the entry under `alias`.
    pub fn remove(&mut self, alias: &str) -> Option<Entry> {
        self.position(alias).map(|i| self.entries.remove(i))
    }

    /// Renames an entry. Fails when `from` is absent or `to` exists.
    pub fn rename(&mut self, from: &str, to: &str) -> Result<(), ErrorKind> {
        let Some(i) = self.position(from) else {
            return Err(ErrorKind::NoSuchAlias {
                alias: from.to_owned(),
            });
        };
        if let Some(j) = self.position(to)
            && j != i
        {
            return Err(ErrorKind::DuplicateAlias {
                alias: to.to_owned(),
            });
        }
        self.entries[i].alias = self.format.stored_alias(to);
        Ok(())
    }

    /// Trusted certificate entries: (alias, certificate).
    pub fn trusted_certificates(&self) -> impl Iterator<Item = (&str, &CertificateDer<'static>)> {
        self.entries.iter().filter_map(|e| match &e.kind {
            EntryKind::TrustedCertificate(cert) => Some((e.alias.as_str(), cert)),
            _ => None,
        })
    }

    /// Key pair entries: (alias, key, chain leaf first).
    pub fn key_pairs(
        &self,
    ) -> impl Iterator<Item = (&str, &KeyMaterial, &[CertificateDer<'static>])> {
        self.entries.iter().filter_map(|e| match &e.kind {
            EntryKind::KeyPair { key, chain } => Some((e.alias.as_str(), key, chain.as_slice())),
            _ => None,
        })
    }

    /// Unseals every sealed key with its key password, so the store can be written in
    /// another format or with other passwords. Fails on the first wrong key password, and
    /// before any work when the sealed keys ask for more key derivation in total than
    /// [`super::MAX_KDF_WORK`] (JCEKS: their iteration counts summed).
    pub fn unlock_keys(&mut self, passwords: &Passwords) -> Result<(), ErrorKind> {
        let work = self
            .entries
            .iter()
            .filter_map(|e| match &e.kind {
                EntryKind::KeyPair { key, .. } => key.sealed_parts(),
                _ => None,
            })
            .fold(0u64, |sum, (scheme, blob)| {
                sum.saturating_add(super::jks::unseal_work(scheme, blob))
            });
        super::work::check(work, self.format.name())?;
        self.unlock_keys_unbounded(passwords)
    }

    /// [`Keystore::unlock_keys`] without the work budget: for files the harness wrote
    /// itself (the tenant's keystore and backup, sealed at 200,000 iterations per key).
    pub(crate) fn unlock_keys_unbounded(&mut self, passwords: &Passwords) -> Result<(), ErrorKind> {
        for entry in &mut self.entries {
            if let EntryKind::KeyPair { key, .. } = &mut entry.kind
                && key.is_sealed()
            {
                let plain = key.unlock(passwords.key_for(&entry.alias), &entry.alias)?;
                *key = KeyMaterial::plain(plain);
            }
        }
        Ok(())
    }

    fn position(&self, alias: &str) -> Option<usize> {
        let wanted = alias.to_lowercase();
        if matches!(self.format, Format::Jks | Format::Jceks) {
            // Stored aliases are lower-cased already (insert, upsert and rename store them so):
            // no allocation per entry, which reading a 10,000-entry store would pay 50M times.
            return self.entries.iter().position(|e| e.alias == wanted);
        }
        self.entries
            .iter()
            .position(|e| e.alias.to_lowercase() == wanted)
    }
}

/// A key pair entry's private key: plain PKCS#8, or still sealed under its key password as
/// the file stored it. Reading a JKS/JCEKS file checks the store password but leaves keys
/// sealed (as `keytool -list` does): unsealing JCEKS costs 200,000 MD5 rounds per key.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyMaterial(KeyState);

#[derive(Clone, PartialEq, Eq)]
enum KeyState {
    Plain(PrivateKey),
    Sealed { scheme: SealScheme, blob: Vec<u8> },
}

/// How a sealed key is protected (the key protectors of JKS and JCEKS).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SealScheme {
    /// Sun's proprietary JKS key protector (OID 1.3.6.1.4.1.42.2.17.1.1).
    JksKeyProtector,
    /// PBEWithMD5AndTripleDES (OID 1.3.6.1.4.1.42.2.19.1), JCEKS.
    JceksPbeMd5TripleDes,
}

impl KeyMaterial {
    /// A plain key.
    pub fn plain(key: PrivateKey) -> Self {
        Self(KeyState::Plain(key))
    }

    /// A key still sealed: `blob` is the DER `EncryptedPrivateKeyInfo` the file stores.
    pub(crate) fn sealed(scheme: SealScheme, blob: Vec<u8>) -> Self {
        Self(KeyState::Sealed { scheme, blob })
    }

    /// Whether the key is still sealed.
    pub fn is_sealed(&self) -> bool {
        matches!(self.0, KeyState::Sealed { .. })
    }

    /// The sealed form, for writers that can keep it unchanged.
    pub(crate) fn sealed_parts(&self) -> Option<(SealScheme, &[u8])> {
        match &self.0 {
            KeyState::Sealed { scheme, blob } => Some((*scheme, blob)),
            KeyState::Plain(_) => None,
        }
    }

    /// The key when it is plain, `None` while sealed.
    pub fn plain_key(&self) -> Option<&PrivateKey> {
        match &self.0 {
            KeyState::Plain(key) => Some(key),
            KeyState::Sealed { .. } => None,
        }
    }

    /// The private key: as is when plain, unsealed with `password` when sealed.
    pub fn unlock(&self, password: &Password, alias: &str) -> Result<PrivateKey, ErrorKind> {
        match &self.0 {
            KeyState::Plain(key) => Ok(key.clone()),
            KeyState::Sealed { scheme, blob } => super::jks::unseal(*scheme, blob, password)
                .map_err(|kind| match kind {
                    ErrorKind::WrongPassword { .. } => ErrorKind::WrongKeyPassword {
                        alias: alias.to_owned(),
                    },
                    other => other,
                }),
        }
    }
}

impl fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            KeyState::Plain(_) => f.write_str("KeyMaterial::Plain([secret key elided])"),
            KeyState::Sealed { scheme, .. } => write!(f, "KeyMaterial::Sealed({scheme:?})"),
        }
    }
}
