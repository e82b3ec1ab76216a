//! The tenant on disk: one JCEKS keystore file plus one metadata file, saved atomically.
//!
//! # Layout
//!
//! ```text
//! DIR/tenant.json                    metadata: owners, who/when, history, backup slot,
//!                                    the tenant's keystore password, and the names and
//!                                    SHA-256 of the files below
//! DIR/keystore-<sha256 prefix>.jceks the tenant keystore (real JCEKS: keytool opens it)
//! DIR/backup-<sha256 prefix>.jceks   the backup slot, if a backup was made
//! ```
//!
//! # Atomic saves
//!
//! A save writes the new keystore (and backup) under content-addressed names, each through
//! [`crate::file::write_atomic`] (temp file, fsync, rename), so the files the current
//! `tenant.json` names are never touched. Then it replaces `tenant.json` the same way: that
//! rename is the commit point. Last it removes the files no longer named and any temp file a
//! killed writer left. A crash at any moment therefore leaves the old state or the new one,
//! never a mix; stray files from a crash are ignored on open and removed by the next save.
//!
//! # One writer at a time
//!
//! Every save holds an exclusive lock on `DIR/.tenant.lock` (which names the holder's process
//! id), as CPI serialises keystore changes. [`Tenant::open_for_update`] takes the lock before
//! it reads the state, so a read-modify-write operation sees the latest state and no other
//! writer can interleave; waiting is bounded ([`LOCK_TIMEOUT`]). A [`Tenant`] opened without
//! the lock takes it for the save only, and refuses to save
//! ([`TenantError::Stale`]) when the tenant changed since it was opened. Clean-up (files no
//! longer named) runs under the lock, against the `tenant.json` just committed. Readers take
//! no lock: [`Tenant::open`] reads `tenant.json` and then the files it names, and reads again
//! when a concurrent save replaced them in between, so it sees the old state or the new one.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs::File;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::auth_group::Permission;
use super::error::{Corruption, GenerateError, TenantError};
use super::owner::Owner;
use crate::keystore::{Entry, EntryKind, Format, KeyMaterial, Keystore, Passwords};
use crate::secret::{Password, PrivateKey};
use crate::time::format_rfc3339;

/// The metadata file's name.
pub const METADATA_FILE: &str = "tenant.json";
/// The largest tenant keystore (CPI: 6 MB).
pub const MAX_STORE_BYTES: u64 = 6 * 1024 * 1024;
/// History events kept (older ones are dropped, so `tenant.json` stays small).
pub const MAX_HISTORY: usize = 1000;

const METADATA_VERSION: u32 = 1;

pub use super::lock::{LOCK_FILE, LOCK_TIMEOUT, TenantLock};
pub(crate) use super::record::Metadata;
pub use super::record::{Actor, BackupRecord, EntryRecord, HistoryEvent, TenantSpec};

/// A simulated tenant keystore: the Keystore Monitor's entries with owners and records,
/// persisted in a directory.
///
/// Every operation takes an [`Actor`] and either succeeds and saves, or is refused with a
/// [`TenantError`] and changes nothing, on disk or in memory.
pub struct Tenant {
    pub(crate) dir: PathBuf,
    pub(crate) meta: Metadata,
    /// The keystore as the file holds it (keys sealed with the tenant password).
    pub(crate) keystore: Keystore,
    /// Keys known in plain form in this process (created or uploaded here), by alias, so
    /// using them costs no JCEKS unsealing (200,000 MD5 rounds per key).
    pub(crate) plain_keys: BTreeMap<String, PrivateKey>,
    /// The tenant's lock, when opened for update: held until this value drops.
    pub(crate) lock: Option<TenantLock>,
}

/// The next state of a tenant, built by an operation and committed by [`Tenant::commit`].
#[derive(Clone)]
pub(crate) struct Draft {
    pub(crate) keystore: Keystore,
    pub(crate) meta: Metadata,
    pub(crate) plain_keys: BTreeMap<String, PrivateKey>,
    pub(crate) backup_bytes: Option<Vec<u8>>,
}

impl Tenant {
    /// Creates a tenant in `dir` (created if missing), provisioned with the SAP-owned
    /// entries. Fails when `dir` holds a tenant already, unless `replace`.
    pub fn create(
        dir: &Path,
        spec: &TenantSpec,
        actor: &Actor,
        replace: bool,
    ) -> Result<Tenant, TenantError> {
        actor.require(Permission::Maintain, "create")?;
        if dir.join(METADATA_FILE).exists() && !replace {
            return Err(TenantError::AlreadyExists {
                path: dir.to_owned(),
            });
        }
        std::fs::create_dir_all(dir).map_err(|source| TenantError::Io {
            path: dir.to_owned(),
            source,
        })?;
        let lock = TenantLock::acquire(dir, LOCK_TIMEOUT, &mut |_| {})?;
        if dir.join(METADATA_FILE).exists() && !replace {
            return Err(TenantError::AlreadyExists {
                path: dir.to_owned(),
            });
        }
        let now_text = format_rfc3339(actor.now);
        let cache_key = (
            spec.seed,
            actor.now.unix_timestamp(),
            spec.name.clone(),
            spec.jceks_iterations,
        );
        let cached = provisioned_cache()
            .lock()
            .ok()
            .and_then(|c| c.get(&cache_key).cloned());
        let generate = |source: GenerateError| TenantError::Generate {
            alias: super::sap::SAP_KEY_PAIR_ALIAS.to_owned(),
            source,
        };
        let (keystore, mut plain_keys) = match cached {
            Some(provisioned) => provisioned,
            None => {
                let entries = super::sap::provision(spec.seed, actor.now, &spec.name)
                    .map_err(|e| generate(e.into()))?;
                let mut keystore = Keystore::new(Format::Jceks);
                let mut plain_keys = BTreeMap::new();
                for entry in entries {
                    if let EntryKind::KeyPair { key, .. } = &entry.kind
                        && let Some(plain) = key.plain_key()
                    {
                        plain_keys.insert(entry.alias.clone(), plain.clone());
                    }
                    keystore
                        .insert(entry)
                        .map_err(|kind| generate(GenerateError::Store(kind)))?;
                }
                (keystore, plain_keys)
            }
        };
        let mut keystore = keystore;
        for (alias, cert) in &spec.sap_trusted {
            keystore
                .insert(Entry {
                    alias: alias.clone(),
                    created: actor.now,
                    kind: EntryKind::TrustedCertificate(cert.clone()),
                })
                .map_err(|kind| TenantError::Generate {
                    alias: alias.clone(),
                    source: GenerateError::Store(kind),
                })?;
        }
        let records: BTreeMap<String, EntryRecord> = keystore
            .entries()
            .iter()
            .map(|entry| {
                let record = EntryRecord {
                    owner: Owner::Sap,
                    created_at: now_text.clone(),
                    created_by: "SAP".to_owned(),
                    modified_at: now_text.clone(),
                    modified_by: "SAP".to_owned(),
                };
                (entry.alias.clone(), record)
            })
            .collect();
        plain_keys.retain(|alias, _| records.contains_key(alias));
        let meta = Metadata {
            version: METADATA_VERSION,
            name: spec.name.clone(),
            seed: spec.seed,
            generation: 0,
            created_at: now_text,
            created_by: actor.user.clone(),
            keystore_file: String::new(),
            keystore_sha256: String::new(),
            keystore_password: generated_password(spec.seed),
            entries: records,
            backup: None,
            history: Vec::new(),
            jceks_iterations: spec.jceks_iterations,
            seeded_salts: spec.seeded_salts,
        };
        let mut tenant = Tenant {
            dir: dir.to_owned(),
            meta: meta.clone(),
            keystore: Keystore::new(Format::Jceks),
            plain_keys: BTreeMap::new(),
            lock: Some(lock),
        };
        let draft = Draft {
            keystore,
            meta,
            plain_keys,
            backup_bytes: None,
        };
        tenant.commit(
            draft,
            actor,
            "create",
            "provisioned the SAP-owned entries".into(),
        )?;
        // Held for the creation only: the returned value is like one from `open`.
        tenant.lock = None;
        if let Ok(mut cache) = provisioned_cache().lock() {
            if cache.len() >= PROVISIONED_CACHE_LIMIT {
                cache.clear();
            }
            // The standard SAP entries only, sealed as saved: extra ones differ per spec.
            let mut keystore = tenant.keystore.clone();
            for (alias, _) in &spec.sap_trusted {
                keystore.remove(alias);
            }
            cache.insert(cache_key, (keystore, tenant.plain_keys.clone()));
        }
        Ok(tenant)
    }

    /// Creates a tenant in a new temporary directory, removed when the returned guard drops
    /// (for scenario runs and tests that need a tenant but no place for it).
    pub fn create_temporary(
        spec: &TenantSpec,
        actor: &Actor,
    ) -> Result<(tempfile::TempDir, Tenant), TenantError> {
        let dir = tempfile::Builder::new()
            .prefix("harness-tenant-")
            .tempdir()
            .map_err(|source| TenantError::Io {
                path: std::env::temp_dir(),
                source,
            })?;
        let tenant = Tenant::create(dir.path(), spec, actor, false)?;
        Ok((dir, tenant))
    }

    /// Opens the tenant in `dir` for reading, checking that its files agree with each other.
    /// Takes no lock: when a concurrent save replaces the files between the reads, it reads
    /// again, so it returns the state before that save or after it. Operations that change
    /// the tenant still work (each save takes the lock), but fail with
    /// [`TenantError::Stale`] when another process saved in between: to change a tenant,
    /// use [`Tenant::open_for_update`].
    pub fn open(dir: &Path) -> Result<Tenant, TenantError> {
        let mut text = read_metadata(dir)?;
        // Each retry follows a save that completed meanwhile; give up after many.
        for _ in 0..100 {
            match Self::open_from(dir, &text) {
                Ok(tenant) => return Ok(tenant),
                Err(e) => {
                    let again = read_metadata(dir)?;
                    if again == text {
                        return Err(e);
                    }
                    text = again;
                }
            }
        }
        Self::open_from(dir, &text)
    }

    /// Takes the tenant's lock (waiting at most `timeout`, calling `on_wait` once with the
    /// holder, `pid N`, if it has to wait), then opens it. The returned value holds the lock
    /// until it drops: its operations read-modify-write the latest state, and no other
    /// process saves in between.
    pub fn open_for_update(
        dir: &Path,
        timeout: Duration,
        on_wait: &mut dyn FnMut(&str),
    ) -> Result<Tenant, TenantError> {
        if !dir.join(METADATA_FILE).is_file() {
            return Err(TenantError::NotATenant {
                path: dir.to_owned(),
            });
        }
        let lock = TenantLock::acquire(dir, timeout, on_wait)?;
        let mut tenant = Self::open(dir)?;
        tenant.lock = Some(lock);
        Ok(tenant)
    }

    fn open_from(dir: &Path, text: &[u8]) -> Result<Tenant, TenantError> {
        let meta_path = dir.join(METADATA_FILE);
        let corrupt = |path: &Path, source: Corruption| TenantError::Corrupt {
            path: path.to_owned(),
            source,
        };
        let meta: Metadata = serde_json::from_slice(text)
            .map_err(|e| corrupt(&meta_path, Corruption::Metadata(e)))?;
        if meta.version != METADATA_VERSION {
            return Err(corrupt(
                &meta_path,
                Corruption::Version {
                    found: meta.version,
                    reads: METADATA_VERSION,
                },
            ));
        }
        if !is_own_file_name(&meta.keystore_file, "keystore-") {
            return Err(corrupt(&meta_path, Corruption::KeystoreFileName));
        }
        let ks_path = dir.join(&meta.keystore_file);
        let bytes = crate::file::read_limited(&ks_path, MAX_STORE_BYTES).map_err(|e| match e {
            crate::file::ReadError::Io(source) => TenantError::Io {
                path: ks_path.clone(),
                source,
            },
            other => corrupt(&ks_path, Corruption::Read(other)),
        })?;
        if sha256_hex(&bytes) != meta.keystore_sha256 {
            return Err(corrupt(&ks_path, Corruption::KeystoreHash));
        }
        let passwords = Passwords::new(Password::new(meta.keystore_password.clone()));
        let keystore = Keystore::from_bytes(&bytes, &passwords, &ks_path.display().to_string())?;
        let aliases: Vec<&str> = keystore
            .entries()
            .iter()
            .map(|e| e.alias.as_str())
            .collect();
        let recorded: Vec<&str> = meta.entries.keys().map(String::as_str).collect();
        let mut sorted = aliases.clone();
        sorted.sort_unstable();
        if sorted != recorded {
            return Err(corrupt(&ks_path, Corruption::Aliases));
        }
        // A hand-edited `tenant.json` must not smuggle a reserved alias in as a customer
        // entry, nor free an SAP entry for changes.
        for (alias, record) in &meta.entries {
            let reserved = super::alias::reserved_prefix(alias).is_some();
            if reserved != (record.owner == Owner::Sap) {
                return Err(corrupt(
                    &meta_path,
                    Corruption::Owner {
                        alias: alias.clone(),
                        owner: record.owner,
                    },
                ));
            }
        }
        if let Some(backup) = &meta.backup {
            let path = dir.join(&backup.file);
            if !is_own_file_name(&backup.file, "backup-") || !path.is_file() {
                return Err(corrupt(&path, Corruption::BackupMissing));
            }
        }
        Ok(Tenant {
            dir: dir.to_owned(),
            meta,
            keystore,
            plain_keys: BTreeMap::new(),
            lock: None,
        })
    }

    /// The tenant directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The tenant's name.
    pub fn name(&self) -> &str {
        &self.meta.name
    }

    /// The seed it was created with.
    pub fn seed(&self) -> u64 {
        self.meta.seed
    }

    /// How many changes were saved since creation (0 right after `create`).
    pub fn generation(&self) -> u64 {
        self.meta.generation
    }

    /// The path of the tenant's JCEKS file (open it with [`Tenant::passwords`]).
    pub fn keystore_path(&self) -> PathBuf {
        self.dir.join(&self.meta.keystore_file)
    }

    /// Who created and last changed each entry, by alias.
    pub fn records(&self) -> &BTreeMap<String, EntryRecord> {
        &self.meta.entries
    }

    /// The record of one entry.
    pub fn record(&self, alias: &str) -> Option<&EntryRecord> {
        self.meta.entries.get(&alias.to_lowercase())
    }

    /// The owner of an entry.
    pub fn owner(&self, alias: &str) -> Option<Owner> {
        self.record(alias).map(|r| r.owner)
    }

    /// The history, oldest first (at most [`MAX_HISTORY`] events).
    pub fn history(&self) -> &[HistoryEvent] {
        &self.meta.history
    }

    /// The backup slot.
    pub fn backup_record(&self) -> Option<&BackupRecord> {
        self.meta.backup.as_ref()
    }

    /// The tenant keystore as stored: trusted certificate entries and key pair entries,
    /// keys possibly still sealed with the tenant password. For TLS, use
    /// [`Tenant::unlocked_keystore`].
    pub fn keystore(&self) -> &Keystore {
        &self.keystore
    }

    /// The tenant keystore with every key plain: the trust and key source for the
    /// connectivity test and the scenario runner. Keys created or uploaded in this process
    /// come from memory; keys read from the file are unsealed with the tenant password
    /// (JCEKS: 200,000 MD5 rounds each).
    pub fn unlocked_keystore(&self) -> Result<Keystore, TenantError> {
        let mut out = self.keystore.clone();
        for (alias, key) in &self.plain_keys {
            if let Some(entry) = out.get(alias).cloned()
                && let EntryKind::KeyPair { chain, .. } = entry.kind
            {
                out.upsert(crate::keystore::Entry {
                    kind: EntryKind::KeyPair {
                        key: KeyMaterial::plain(key.clone()),
                        chain,
                    },
                    ..entry
                });
            }
        }
        out.unlock_keys_unbounded(&self.passwords())
            .map_err(|kind| {
                crate::keystore::KeystoreError::read(
                    &self.keystore_path().display().to_string(),
                    kind,
                )
            })?;
        Ok(out)
    }

    /// The tenant keystore's passwords (store and keys share one, generated from the seed
    /// at creation and kept in `tenant.json`). Never print them.
    pub fn passwords(&self) -> Passwords {
        Passwords::new(Password::new(self.meta.keystore_password.clone()))
    }

    pub(crate) fn draft(&self) -> Draft {
        Draft {
            keystore: self.keystore.clone(),
            meta: self.meta.clone(),
            plain_keys: self.plain_keys.clone(),
            backup_bytes: None,
        }
    }

    /// Saves `draft` as the next generation (see the module docs for why this is atomic),
    /// then adopts it. On error nothing visible changed: the old `tenant.json` still names
    /// the old files.
    pub(crate) fn commit(
        &mut self,
        mut draft: Draft,
        actor: &Actor,
        operation: &str,
        detail: String,
    ) -> Result<(), TenantError> {
        // Held for the save when this value holds no lock of its own.
        let _lock = match self.lock {
            Some(_) => None,
            None => Some(TenantLock::acquire(&self.dir, LOCK_TIMEOUT, &mut |_| {})?),
        };
        if operation != "create" {
            self.check_current()?;
        }
        let passwords = Passwords::new(Password::new(draft.meta.keystore_password.clone()));
        let bytes =
            draft
                .keystore
                .to_bytes_with(Format::Jceks, &passwords, &draft.meta.write_options())?;
        let size = bytes.len() as u64;
        if size > MAX_STORE_BYTES {
            return Err(TenantError::TooLarge {
                what: "the tenant keystore",
                size,
                limit: MAX_STORE_BYTES,
            });
        }
        let hash = sha256_hex(&bytes);
        let file = format!("keystore-{}.jceks", &hash[..16]);
        self.write(&file, &bytes)?;
        if let (Some(backup_bytes), Some(backup)) = (&draft.backup_bytes, &draft.meta.backup) {
            self.write(&backup.file, backup_bytes)?;
        }
        draft.meta.keystore_file = file;
        draft.meta.keystore_sha256 = hash;
        if operation != "create" {
            draft.meta.generation += 1;
        }
        draft.meta.history.push(HistoryEvent {
            generation: draft.meta.generation,
            at: format_rfc3339(actor.now),
            user: actor.user.clone(),
            role: actor.role,
            operation: operation.to_owned(),
            detail,
        });
        let excess = draft.meta.history.len().saturating_sub(MAX_HISTORY);
        draft.meta.history.drain(..excess);
        let json = serde_json::to_vec_pretty(&draft.meta).map_err(|e| TenantError::Corrupt {
            path: self.dir.join(METADATA_FILE),
            source: Corruption::Encode(e),
        })?;
        self.write(METADATA_FILE, &json)?;
        // Committed. Re-reading the bytes just written leaves the in-memory keystore equal
        // to what a later `open` sees (keys sealed), and checks the round trip for free.
        let keystore = Keystore::from_bytes(&bytes, &passwords, &draft.meta.keystore_file)?;
        self.keystore = keystore;
        self.meta = draft.meta;
        self.plain_keys = draft.plain_keys;
        self.remove_stray_files();
        Ok(())
    }

    /// Refuses to save over a state this value has not seen (a writer without the lock).
    fn check_current(&self) -> Result<(), TenantError> {
        let text = read_metadata(&self.dir)?;
        let on_disk: Metadata =
            serde_json::from_slice(&text).map_err(|e| TenantError::Corrupt {
                path: self.dir.join(METADATA_FILE),
                source: Corruption::Metadata(e),
            })?;
        if on_disk.generation != self.meta.generation
            || on_disk.keystore_file != self.meta.keystore_file
        {
            return Err(TenantError::Stale {
                path: self.dir.clone(),
                on_disk: on_disk.generation,
                opened: self.meta.generation,
            });
        }
        Ok(())
    }

    fn write(&self, name: &str, bytes: &[u8]) -> Result<(), TenantError> {
        let path = self.dir.join(name);
        crate::file::write_atomic(&path, bytes).map_err(|source| TenantError::Io { path, source })
    }

    /// Removes our files that `tenant.json` no longer names, and temp files left by a
    /// killed writer. Files of other names are never touched.
    fn remove_stray_files(&self) {
        let Ok(read) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let keep_backup = self.meta.backup.as_ref().map(|b| b.file.as_str());
        for entry in read.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let ours = name.starts_with(".harness-tmp-")
                || is_own_file_name(&name, "keystore-")
                || is_own_file_name(&name, "backup-");
            let named = name == self.meta.keystore_file || Some(name.as_str()) == keep_backup;
            if ours && !named {
                // Best effort: a leftover file is harmless and the next save retries.
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

impl fmt::Debug for Tenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tenant")
            .field("dir", &self.dir)
            .field("meta", &self.meta)
            .field("entries", &self.keystore.len())
            .finish_non_exhaustive()
    }
}

/// Provisioned SAP entries by (seed, now, name): the keystore as written (the RSA key sealed
/// with the seed's tenant password) and the plain key. A second tenant of the same spec in
/// one process then costs no key generation and no JCEKS sealing (200,000 MD5 rounds), which
/// matters for scenario runs that create a tenant per scenario.
type Provisioned = (Keystore, BTreeMap<String, PrivateKey>);

const PROVISIONED_CACHE_LIMIT: usize = 64;

type ProvisionedCache = Mutex<HashMap<(u64, i64, String, u32), Provisioned>>;

fn provisioned_cache() -> &'static ProvisionedCache {
    static CACHE: OnceLock<ProvisionedCache> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The bytes of `DIR/tenant.json` (at most 16 MiB: history is capped, so it stays far below).
fn read_metadata(dir: &Path) -> Result<Vec<u8>, TenantError> {
    const MAX_METADATA_BYTES: u64 = 16 * 1024 * 1024;
    let path = dir.join(METADATA_FILE);
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(TenantError::NotATenant {
                path: dir.to_owned(),
            });
        }
        Err(source) => return Err(TenantError::Io { path, source }),
    };
    let mut text = Vec::new();
    file.take(MAX_METADATA_BYTES + 1)
        .read_to_end(&mut text)
        .map_err(|source| TenantError::Io {
            path: path.clone(),
            source,
        })?;
    if text.len() as u64 > MAX_METADATA_BYTES {
        return Err(TenantError::TooLarge {
            what: "`tenant.json`",
            size: text.len() as u64,
            limit: MAX_METADATA_BYTES,
        });
    }
    Ok(text)
}

/// SHA-256 as lower-case hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    crate::cert::lower_hex(&Sha256::digest(bytes))
}

fn is_own_file_name(name: &str, prefix: &str) -> bool {
    name.strip_prefix(prefix)
        .and_then(|rest| rest.strip_suffix(".jceks"))
        .is_some_and(|hex| hex.len() == 16 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The tenant keystore password: derived from the seed, so a tenant is reproducible, and
/// shaped to pass CPI's policy (upper, lower, digits, special).
fn generated_password(seed: u64) -> String {
    let mut hash = Sha256::new();
    hash.update(b"harness-tenant/v1\0password\0");
    hash.update(seed.to_be_bytes());
    let hex: String = hash.finalize()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("Tenant-{hex}")
}
