//! The simulated tenant keystore: CPI's Keystore Monitor (blog steps 3 and 4).
//!
//! A [`Tenant`] lives in a directory: its keystore as a real JCEKS file (keytool opens it)
//! and `tenant.json` with what the monitor shows besides the entries (owner, created and
//! modified by and at, the history, the backup slot).
//!
//! ```text
//! DIR/tenant.json                    metadata; names the files below with their SHA-256
//! DIR/keystore-<sha256 prefix>.jceks the tenant keystore
//! DIR/backup-<sha256 prefix>.jceks   the backup slot, once a backup was made
//! ```
//!
//! Saves are atomic: the new keystore (and backup) is written under its content-addressed
//! name (temp file, fsync, rename), so the files the current `tenant.json` names are never
//! touched; then `tenant.json` is replaced the same way, which is the commit point; last,
//! files no longer named and temp files of a killed writer are removed. A crash at any
//! moment leaves the old state or the new one, never a mix. One writer at a time: every save
//! holds an exclusive lock on `DIR/.tenant.lock`, and [`Tenant::open_for_update`] takes it
//! before reading, so concurrent processes serialise (readers take no lock and see the old
//! state or the new one).
//!
//! | module | what it is |
//! |---|---|
//! | `alias` | [`Alias`]: customer aliases; reserved prefixes cannot be parsed |
//! | `owner`, `auth_group` | [`Owner`] (SAP, Tenant Administrator), [`AuthGroup`] and [`Permission`] |
//! | `refusal` | [`Refusal`]: the stable id of every refusal ([`TenantError::refusal`]) |
//! | `store` | [`Tenant`] on disk: create, open, atomic commit |
//! | `record` | [`Actor`], [`TenantSpec`] and the records of `tenant.json` |
//! | `lock` | [`TenantLock`]: one writer at a time |
//! | `ops` | every operation: add keystore/certificate/key pair, create key pair, signing request and response, update, rename, delete, backup, restore, downloads |
//! | `view` | the entry list ([`Listing`]) and details ([`EntryDetails`]) |
//! | `lint` | [`lint`]: the offline check of a keystore before upload |
//! | `sap` | the SAP-owned entries of a new tenant |
//!
//! # Rules
//!
//! - Aliases starting with `sap_`, `hcicertificate` or `hcimsgcertificate`
//!   (case-insensitive) are reserved: [`Alias::parse`] refuses them, so no operation can
//!   admit one. SAP-owned entries are immutable: every operation that changes an entry
//!   refuses them with [`TenantError::SapOwned`].
//! - Store at most 6 MB, upload at most 2 MB, a certificate file at most 10,240 bytes, a
//!   PKCS#12 key pair at most 30,720 bytes, aliases at most 250 characters.
//! - Passwords of keystores the tenant writes out (backup, public keystore) follow CPI's
//!   policy ([`check_password_policy`]).
//! - Maintaining needs `AuthGroup.Admin`, downloading `AuthGroup.IntegrationDeveloper`;
//!   every operation takes the acting [`Actor`], and a refusal names the role it needs.
//! - A refused operation changes nothing, on disk or in memory.
//!
//! # The tenant's own keystore password
//!
//! The tenant keystore (store and keys) is protected with one password, derived from the
//! tenant's seed when it is created (so tenants are reproducible) and kept in `tenant.json`
//! (as CPI keeps it in its secure store). It is never printed: `Debug` elides it and no
//! command shows it. Code that needs it (keytool in tests) calls [`Tenant::passwords`].
//!
//! # Using the tenant as trust and key source
//!
//! The connectivity test and the scenario runner call [`Tenant::unlocked_keystore`]: the
//! trusted certificate entries are the trust store, the key pair entries (keys plain) are
//! the client certificates to choose from. [`Tenant::keystore`] is the same without keys
//! unsealed (cheap; enough for trust).
//!
//! ```
//! use harness::tenant::{Actor, Tenant, TenantSpec};
//! let now = harness::time::DEFAULT_NOW;
//! let (_dir, tenant) = Tenant::create_temporary(&TenantSpec::new(1), &Actor::admin(now))?;
//! let store = tenant.unlocked_keystore()?;
//! assert_eq!(store.key_pairs().count(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod alias;
mod auth_group;
mod error;
mod lint;
mod lock;
mod ops;
mod owner;
mod password;
mod record;
mod refusal;
mod sap;
mod store;
mod view;

pub use alias::{
    Alias, AliasError, AliasRule, MAX_ALIAS_CHARS, RESERVED_PREFIXES, reserved_prefix,
};
pub use auth_group::{AuthGroup, Permission};
pub use error::{Corruption, GenerateError, TenantError, UploadError};
pub use lint::{Finding, LintReport, Severity, lint};
pub use ops::{
    AddMode, AddSummary, CertEncoding, Download, KeyPairSpec, MAX_CERTIFICATE_BYTES,
    MAX_KEY_PAIR_BYTES, MAX_UPLOAD_BYTES, PUBLIC_KEYSTORE_FILE, Subject, SummaryItem,
};
pub use owner::Owner;
pub use password::{MIN_PASSWORD_CHARS, PasswordPolicyError, check_password_policy};
pub use refusal::{Refusal, UnknownRefusal};
pub use sap::{SAP_KEY_PAIR_ALIAS, SAP_TRUSTED_ALIASES};
pub use store::{
    Actor, BackupRecord, EntryRecord, HistoryEvent, LOCK_FILE, LOCK_TIMEOUT, MAX_HISTORY,
    MAX_STORE_BYTES, METADATA_FILE, Tenant, TenantLock, TenantSpec,
};
pub use view::{EXPIRY_WARNING_DAYS, EntryDetails, EntryRow, EntryType, Listing, ValidityFlag};
