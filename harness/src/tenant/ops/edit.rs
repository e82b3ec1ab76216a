//! Changes to an existing Tenant Administrator entry: "Update", "Rename", "Delete".

use super::{MAX_CERTIFICATE_BYTES, MAX_KEY_PAIR_BYTES};
use super::{check_size, read_one_certificate, read_one_key_pair};
use crate::keystore::EntryKind;
use crate::secret::Password;
use crate::tenant::alias::Alias;
use crate::tenant::auth_group::Permission;
use crate::tenant::error::TenantError;
use crate::tenant::store::{Actor, Tenant};
use crate::time::format_rfc3339;

impl Tenant {
    /// "Update": replaces a Tenant Administrator entry with one of the same type under the
    /// same alias: a certificate file (PEM/DER) for a certificate, a PKCS#12 file with
    /// `password` for a key pair.
    pub fn update(
        &mut self,
        actor: &Actor,
        alias: &str,
        bytes: &[u8],
        password: Option<&Password>,
    ) -> Result<(), TenantError> {
        const OP: &str = "update";
        actor.require(Permission::Maintain, OP)?;
        let entry = self.customer_entry(OP, alias)?;
        let kind = match entry.kind {
            EntryKind::TrustedCertificate(_) => {
                check_size("the certificate file", bytes, MAX_CERTIFICATE_BYTES)?;
                EntryKind::TrustedCertificate(read_one_certificate(OP, bytes)?)
            }
            _ => {
                check_size("the key pair file", bytes, MAX_KEY_PAIR_BYTES)?;
                let empty = Password::new("");
                read_one_key_pair(OP, bytes, password.unwrap_or(&empty))?
            }
        };
        let mut draft = self.draft();
        draft.put(&entry.alias, kind, actor);
        self.commit(draft, actor, OP, format!("updated `{}`", entry.alias))
    }

    /// "Rename": a Tenant Administrator entry gets a new alias (at most 250 characters,
    /// outside the reserved namespace: [`Alias`] checks both).
    pub fn rename(&mut self, actor: &Actor, from: &str, to: &Alias) -> Result<(), TenantError> {
        const OP: &str = "rename";
        actor.require(Permission::Maintain, OP)?;
        let entry = self.customer_entry(OP, from)?;
        let mut draft = self.draft();
        draft.require_new(to)?;
        draft
            .keystore
            .rename(&entry.alias, to.as_str())
            .map_err(|_| TenantError::DuplicateAlias {
                alias: to.to_string(),
            })?;
        if let Some(mut record) = draft.meta.entries.remove(&entry.alias) {
            record.modified_at = format_rfc3339(actor.now);
            record.modified_by = actor.user.clone();
            draft.meta.entries.insert(to.to_string(), record);
        }
        if let Some(key) = draft.plain_keys.remove(&entry.alias) {
            draft.plain_keys.insert(to.to_string(), key);
        }
        self.commit(
            draft,
            actor,
            OP,
            format!("renamed `{}` to `{to}`", entry.alias),
        )
    }

    /// "Delete": removes a Tenant Administrator entry.
    pub fn delete(&mut self, actor: &Actor, alias: &str) -> Result<(), TenantError> {
        const OP: &str = "delete";
        actor.require(Permission::Maintain, OP)?;
        let entry = self.customer_entry(OP, alias)?;
        let mut draft = self.draft();
        draft.remove(&entry.alias);
        self.commit(draft, actor, OP, format!("deleted `{}`", entry.alias))
    }
}
