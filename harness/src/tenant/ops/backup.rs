//! "Backup" and "Restore": the one backup slot of Tenant Administrator entries.

use std::collections::BTreeMap;

use crate::keystore::{Entry, EntryKind, Format, KeyMaterial, Keystore, Passwords};
use crate::secret::Password;
use crate::tenant::auth_group::Permission;
use crate::tenant::error::{Corruption, TenantError};
use crate::tenant::owner::Owner;
use crate::tenant::password::check_password_policy;
use crate::tenant::store::{Actor, BackupRecord, Tenant, sha256_hex};
use crate::time::format_rfc3339;

impl Tenant {
    /// "Backup": saves every Tenant Administrator entry into the one backup slot (a JCEKS
    /// file protected with `password`, which must follow CPI's policy), replacing the
    /// previous backup.
    pub fn backup(&mut self, actor: &Actor, password: &Password) -> Result<(), TenantError> {
        const OP: &str = "backup";
        actor.require(Permission::Maintain, OP)?;
        check_password_policy(password)?;
        let mut store = Keystore::new(Format::Jceks);
        let mut records = BTreeMap::new();
        for alias in self.draft().aliases_owned_by(Owner::TenantAdministrator) {
            let Some(entry) = self.keystore.get(&alias).cloned() else {
                continue;
            };
            let kind = match entry.kind {
                EntryKind::KeyPair { chain, .. } => EntryKind::KeyPair {
                    key: KeyMaterial::plain(self.plain_key(&alias)?),
                    chain,
                },
                other => other,
            };
            store.upsert(Entry { kind, ..entry });
            if let Some(record) = self.meta.entries.get(&alias) {
                records.insert(alias, record.clone());
            }
        }
        let bytes = store.to_bytes_with(
            Format::Jceks,
            &Passwords::new(password.clone()),
            &self.meta.write_options(),
        )?;
        let hash = sha256_hex(&bytes);
        let mut draft = self.draft();
        draft.meta.backup = Some(BackupRecord {
            file: format!("backup-{}.jceks", &hash[..16]),
            sha256: hash,
            created_at: format_rfc3339(actor.now),
            created_by: actor.user.clone(),
            entries: records,
        });
        draft.backup_bytes = Some(bytes);
        let count = store.len();
        self.commit(
            draft,
            actor,
            OP,
            format!("backed up {count} Tenant Administrator entries"),
        )
    }

    /// "Restore": replaces every Tenant Administrator entry with the backup's, opened with
    /// `password`.
    pub fn restore(&mut self, actor: &Actor, password: &Password) -> Result<(), TenantError> {
        const OP: &str = "restore";
        actor.require(Permission::Maintain, OP)?;
        let backup = self.meta.backup.clone().ok_or(TenantError::NoBackup)?;
        let path = self.dir.join(&backup.file);
        let bytes = std::fs::read(&path).map_err(|source| TenantError::Io {
            path: path.clone(),
            source,
        })?;
        if sha256_hex(&bytes) != backup.sha256 {
            return Err(TenantError::Corrupt {
                path,
                source: Corruption::BackupHash,
            });
        }
        let passwords = Passwords::new(password.clone());
        let mut store = Keystore::from_bytes(&bytes, &passwords, &backup.file)?;
        store
            .unlock_keys_unbounded(&passwords)
            .map_err(|kind| crate::keystore::KeystoreError::read(&backup.file, kind))?;
        let mut draft = self.draft();
        for alias in draft.aliases_owned_by(Owner::TenantAdministrator) {
            draft.remove(&alias);
        }
        for entry in store.entries() {
            if draft.meta.entries.contains_key(&entry.alias) {
                // An SAP alias cannot be in a backup we wrote; skip rather than clobber.
                continue;
            }
            draft.put(&entry.alias, entry.kind.clone(), actor);
            if let (Some(old), Some(record)) = (
                backup.entries.get(&entry.alias),
                draft.meta.entries.get_mut(&entry.alias),
            ) {
                record.created_at = old.created_at.clone();
                record.created_by = old.created_by.clone();
            }
        }
        self.commit(
            draft,
            actor,
            OP,
            format!(
                "restored {} entries from the backup of {}",
                store.len(),
                backup.created_at
            ),
        )
    }
}
