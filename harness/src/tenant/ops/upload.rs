//! "Add keystore", "Add certificate" and "Add key pair": uploads that add entries, and the
//! summary "Add keystore" gives.

use serde::Serialize;

use super::{MAX_CERTIFICATE_BYTES, MAX_KEY_PAIR_BYTES, MAX_UPLOAD_BYTES};
use super::{check_size, read_one_certificate, read_one_key_pair, read_upload, type_name};
use crate::keystore::{EntryKind, Format};
use crate::secret::Password;
use crate::tenant::alias::Alias;
use crate::tenant::auth_group::Permission;
use crate::tenant::error::TenantError;
use crate::tenant::owner::Owner;
use crate::tenant::refusal::Refusal;
use crate::tenant::store::{Actor, Tenant};

/// How "Add keystore" treats the tenant's existing entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AddMode {
    /// Add: new aliases are added, existing Tenant Administrator aliases are preserved.
    Merge,
    /// Add with "overwrite existing entries": existing Tenant Administrator aliases are
    /// overwritten by the upload's.
    MergeOverwrite,
    /// Replace: every Tenant Administrator entry is removed, then the upload's are added.
    Replace,
}

/// One entry of an "Add keystore" summary, with the reason for its outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SummaryItem {
    /// The alias (as the upload names it).
    pub alias: String,
    /// Why this outcome, for people.
    pub reason: String,
    /// For a refused entry, the typed refusal (reserved alias, SAP-owned, secret key, ...);
    /// `None` for added / preserved / overwritten / removed items.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Refusal>,
}

/// What "Add keystore" did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AddSummary {
    /// Format version of this JSON.
    pub version: u32,
    /// New entries.
    pub added: Vec<SummaryItem>,
    /// Existing entries kept as they were.
    pub preserved: Vec<SummaryItem>,
    /// Existing entries replaced by the upload's.
    pub overwritten: Vec<SummaryItem>,
    /// Tenant Administrator entries removed by Replace.
    pub removed: Vec<SummaryItem>,
    /// Upload entries refused, each with its reason.
    pub refused: Vec<SummaryItem>,
    /// Whether the tenant changed (false when nothing was added, overwritten or removed).
    pub changed: bool,
}

impl AddSummary {
    /// The summary as text, one line per entry.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (title, items) in [
            ("added", &self.added),
            ("overwritten", &self.overwritten),
            ("preserved", &self.preserved),
            ("removed", &self.removed),
            ("refused", &self.refused),
        ] {
            out.push_str(&format!("{title}: {}\n", items.len()));
            for item in items {
                out.push_str(&format!("  {}  ({})\n", item.alias, item.reason));
            }
        }
        if !self.changed {
            out.push_str("the tenant keystore was not changed\n");
        }
        out
    }
}

impl Tenant {
    /// "Add keystore": uploads a JKS, JCEKS or PKCS#12 file (at most
    /// [`MAX_UPLOAD_BYTES`]) opened with `password` (store and keys). Refused entries are
    /// listed with their reason; the rest follows `mode`. A file that cannot be read at all
    /// (wrong password, malformed, not a keystore) refuses the whole upload.
    pub fn add_keystore(
        &mut self,
        actor: &Actor,
        bytes: &[u8],
        password: &Password,
        mode: AddMode,
    ) -> Result<AddSummary, TenantError> {
        const OP: &str = "add-keystore";
        actor.require(Permission::Maintain, OP)?;
        check_size("the upload", bytes, MAX_UPLOAD_BYTES)?;
        let upload = read_upload(
            OP,
            bytes,
            password,
            &[Format::Jks, Format::Jceks, Format::Pkcs12],
        )?;
        let mut draft = self.draft();
        let mut summary = AddSummary {
            version: 1,
            added: Vec::new(),
            preserved: Vec::new(),
            overwritten: Vec::new(),
            removed: Vec::new(),
            refused: Vec::new(),
            changed: false,
        };
        if mode == AddMode::Replace {
            for alias in draft.aliases_owned_by(Owner::TenantAdministrator) {
                draft.remove(&alias);
                summary.removed.push(item(
                    &alias,
                    "Replace removes every Tenant Administrator entry",
                ));
            }
        }
        for entry in upload.entries() {
            let alias = match Alias::parse(&entry.alias) {
                Ok(alias) => alias,
                Err(e) => {
                    summary.refused.push(refused(
                        &entry.alias,
                        &e.rule.to_string(),
                        e.rule.refusal(),
                    ));
                    continue;
                }
            };
            if let EntryKind::SecretKey { .. } = entry.kind {
                summary.refused.push(refused(
                    &entry.alias,
                    "secret-key entries are not supported by the Keystore Monitor",
                    Refusal::SecretKey,
                ));
                continue;
            }
            match draft.meta.entries.get(alias.as_str()).map(|r| r.owner) {
                Some(Owner::Sap) => {
                    summary.refused.push(refused(
                        &entry.alias,
                        "the entry is owned by SAP",
                        Refusal::SapOwned,
                    ));
                }
                Some(Owner::TenantAdministrator) if mode == AddMode::Merge => {
                    summary.preserved.push(item(
                        &entry.alias,
                        "the alias exists; overwrite was not requested",
                    ));
                }
                Some(Owner::TenantAdministrator) => {
                    draft.put(alias.as_str(), entry.kind.clone(), actor);
                    summary.overwritten.push(item(
                        &entry.alias,
                        "the alias existed; overwrite was requested",
                    ));
                }
                None => {
                    draft.put(alias.as_str(), entry.kind.clone(), actor);
                    summary.added.push(item(
                        &entry.alias,
                        &format!("new {}", type_name(&entry.kind)),
                    ));
                }
            }
        }
        summary.changed = !(summary.added.is_empty()
            && summary.overwritten.is_empty()
            && summary.removed.is_empty());
        if summary.changed {
            let detail = format!(
                "{mode:?}: {} added, {} overwritten, {} preserved, {} removed, {} refused",
                summary.added.len(),
                summary.overwritten.len(),
                summary.preserved.len(),
                summary.removed.len(),
                summary.refused.len()
            );
            self.commit(draft, actor, OP, detail)?;
        }
        Ok(summary)
    }

    /// "Add certificate": one certificate, PEM or DER, at most [`MAX_CERTIFICATE_BYTES`],
    /// under a new alias.
    pub fn add_certificate(
        &mut self,
        actor: &Actor,
        alias: &Alias,
        bytes: &[u8],
    ) -> Result<(), TenantError> {
        const OP: &str = "add-certificate";
        actor.require(Permission::Maintain, OP)?;
        check_size("the certificate file", bytes, MAX_CERTIFICATE_BYTES)?;
        let cert = read_one_certificate(OP, bytes)?;
        let mut draft = self.draft();
        draft.require_new(alias)?;
        draft.put(alias.as_str(), EntryKind::TrustedCertificate(cert), actor);
        self.commit(draft, actor, OP, format!("added certificate `{alias}`"))
    }

    /// "Add key pair": a PKCS#12 file (at most [`MAX_KEY_PAIR_BYTES`]) holding exactly one
    /// key pair, opened with `password`, under a new alias.
    pub fn add_key_pair(
        &mut self,
        actor: &Actor,
        alias: &Alias,
        bytes: &[u8],
        password: &Password,
    ) -> Result<(), TenantError> {
        const OP: &str = "add-key-pair";
        actor.require(Permission::Maintain, OP)?;
        check_size("the key pair file", bytes, MAX_KEY_PAIR_BYTES)?;
        let kind = read_one_key_pair(OP, bytes, password)?;
        let mut draft = self.draft();
        draft.require_new(alias)?;
        draft.put(alias.as_str(), kind, actor);
        self.commit(draft, actor, OP, format!("added key pair `{alias}`"))
    }
}

fn item(alias: &str, reason: &str) -> SummaryItem {
    SummaryItem {
        alias: alias.to_owned(),
        reason: reason.to_owned(),
        refusal: None,
    }
}

fn refused(alias: &str, reason: &str, refusal: Refusal) -> SummaryItem {
    SummaryItem {
        refusal: Some(refusal),
        ..item(alias, reason)
    }
}
