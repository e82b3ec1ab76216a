//! The records of a tenant: who acts, the tenant's spec, and `tenant.json`'s entries,
//! history and backup slot.

use std::collections::BTreeMap;
use std::fmt;

use rustls_pki_types::CertificateDer;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::auth_group::{AuthGroup, Permission};
use super::error::TenantError;
use super::owner::Owner;
use crate::keystore::WriteOptions;

/// Who acts, in which role, and when (the simulated "now").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// The acting auth group (the field keeps CPI's UI word, role).
    pub role: AuthGroup,
    /// The user name shown in "Created By" / "Modified By".
    pub user: String,
    /// The simulated "now": modification times and validity flags use it.
    pub now: OffsetDateTime,
}

impl Actor {
    /// An actor.
    pub fn new(role: AuthGroup, user: &str, now: OffsetDateTime) -> Self {
        Self {
            role,
            user: user.to_owned(),
            now,
        }
    }

    /// `AuthGroup.Admin` user `admin`.
    pub fn admin(now: OffsetDateTime) -> Self {
        Self::new(AuthGroup::Admin, "admin", now)
    }

    /// `AuthGroup.IntegrationDeveloper` user `developer`.
    pub fn developer(now: OffsetDateTime) -> Self {
        Self::new(AuthGroup::IntegrationDeveloper, "developer", now)
    }

    pub(crate) fn require(
        &self,
        permission: Permission,
        operation: &'static str,
    ) -> Result<(), TenantError> {
        if self.role.allows(permission) {
            Ok(())
        } else {
            Err(TenantError::Forbidden {
                operation,
                needs: permission.needed_group(),
                acting: self.role,
            })
        }
    }
}

/// What a new tenant is made from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantSpec {
    /// Seed of the SAP-owned entries, the tenant password and generated key pairs.
    pub seed: u64,
    /// The tenant's name (used in the SAP key pair's subject).
    pub name: String,
    /// The PBEWithMD5AndTripleDES iteration count the tenant seals its JCEKS keys with
    /// whenever it saves (Java's `jdk.jceks.iterationCount`; JDK 17 and so CPI: 200,000).
    /// Kept in the tenant's metadata, so later saves use it too.
    pub jceks_iterations: u32,
    /// Further SAP-owned trusted certificates the tenant comes with, beside the simulated SAP
    /// roots (e.g. a SuccessFactors root that SAP pre-delivers): `(alias, certificate)`.
    /// Like every SAP-owned entry, a Tenant Administrator cannot change or delete them.
    pub sap_trusted: Vec<(String, CertificateDer<'static>)>,
    /// Seal keys with the salt drawn from [`TenantSpec::seed`] instead of random
    /// ones ([`WriteOptions::salt_seed`]): a key sealed twice in one process costs its key
    /// derivation once. For test tenants (the scenario runner); kept in the metadata.
    pub seeded_salts: bool,
}

impl TenantSpec {
    /// A spec named `tenant` for `seed`, sealing keys as JDK 17 does, with the standard
    /// SAP-owned entries only.
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            name: "tenant".to_owned(),
            jceks_iterations: WriteOptions::DEFAULT_JCEKS_ITERATIONS,
            sap_trusted: Vec::new(),
            seeded_salts: false,
        }
    }
}

fn default_jceks_iterations() -> u32 {
    WriteOptions::DEFAULT_JCEKS_ITERATIONS
}

fn is_default_jceks_iterations(count: &u32) -> bool {
    *count == WriteOptions::DEFAULT_JCEKS_ITERATIONS
}

/// Who created or last changed an entry, and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryRecord {
    /// The owner.
    pub owner: Owner,
    /// Created at, RFC 3339.
    pub created_at: String,
    /// Created by (user).
    pub created_by: String,
    /// Last modified at, RFC 3339.
    pub modified_at: String,
    /// Last modified by (user).
    pub modified_by: String,
}

/// One change in the tenant's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEvent {
    /// The generation this change produced.
    pub generation: u64,
    /// When, RFC 3339.
    pub at: String,
    /// Who.
    pub user: String,
    /// In which auth group.
    pub role: AuthGroup,
    /// The operation (`add-keystore`, `rename`, ...).
    pub operation: String,
    /// What changed, in one line.
    pub detail: String,
}

/// The backup slot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupRecord {
    /// The backup keystore file (JCEKS, protected with the backup password).
    pub file: String,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// When it was made, RFC 3339.
    pub created_at: String,
    /// By whom.
    pub created_by: String,
    /// The Tenant Administrator entries it holds, with their records.
    pub entries: BTreeMap<String, EntryRecord>,
}

/// `tenant.json`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Metadata {
    pub(crate) version: u32,
    pub(crate) name: String,
    pub(crate) seed: u64,
    pub(crate) generation: u64,
    pub(crate) created_at: String,
    pub(crate) created_by: String,
    pub(crate) keystore_file: String,
    pub(crate) keystore_sha256: String,
    /// The tenant keystore's store and key password (never printed; `Debug` elides it).
    pub(crate) keystore_password: String,
    pub(crate) entries: BTreeMap<String, EntryRecord>,
    pub(crate) backup: Option<BackupRecord>,
    pub(crate) history: Vec<HistoryEvent>,
    /// See [`TenantSpec::jceks_iterations`] (absent from files written before it existed,
    /// and when it is JDK 17's default).
    #[serde(
        default = "default_jceks_iterations",
        skip_serializing_if = "is_default_jceks_iterations"
    )]
    pub(crate) jceks_iterations: u32,
    /// See [`TenantSpec::seeded_salts`] (absent when off).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) seeded_salts: bool,
}

impl Metadata {
    /// How this tenant's keystore files are written.
    pub(crate) fn write_options(&self) -> WriteOptions {
        let options = WriteOptions::default().jceks_iterations(self.jceks_iterations);
        if self.seeded_salts {
            options.salt_seed(self.seed)
        } else {
            options
        }
    }
}

impl fmt::Debug for Metadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metadata")
            .field("name", &self.name)
            .field("generation", &self.generation)
            .field("keystore_file", &self.keystore_file)
            .field("keystore_password", &"[secret elided]")
            .field("entries", &self.entries.len())
            .finish_non_exhaustive()
    }
}
