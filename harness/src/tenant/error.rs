//! Why a tenant operation was refused or failed.
//!
//! Every refusal leaves the tenant unchanged, in memory and on disk: operations work on a
//! copy of the state and commit it only when every check passed.

use std::path::PathBuf;

use super::alias::AliasError;
use super::password::PasswordPolicyError;
use super::role::Role;
use crate::keystore::KeystoreError;

/// A refused or failed tenant operation.
#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    /// The acting role lacks the permission.
    #[error("`{operation}` needs role `{needs}` (acting role: `{acting}`)")]
    Forbidden {
        /// The operation.
        operation: &'static str,
        /// The role that would be allowed.
        needs: Role,
        /// The acting role.
        acting: Role,
    },
    /// A customer alias that breaks the alias rules (reserved, too long, ...).
    #[error(transparent)]
    Alias(#[from] AliasError),
    /// The entry is owned by SAP and cannot be changed.
    #[error("`{operation}` refused: entry `{alias}` is owned by SAP and cannot be changed")]
    SapOwned {
        /// The operation.
        operation: &'static str,
        /// The alias.
        alias: String,
    },
    /// The alias exists already.
    #[error("alias `{alias}` exists already (aliases compare case-insensitively)")]
    DuplicateAlias {
        /// The alias.
        alias: String,
    },
    /// No entry under the alias.
    #[error("no entry with alias `{alias}`")]
    NoSuchAlias {
        /// The alias.
        alias: String,
    },
    /// The entry has the wrong type for the operation.
    #[error("entry `{alias}` is a {found}, `{operation}` needs a {expected}")]
    WrongType {
        /// The operation.
        operation: &'static str,
        /// The alias.
        alias: String,
        /// The type needed.
        expected: &'static str,
        /// The type found.
        found: &'static str,
    },
    /// An upload or the resulting store is too large.
    #[error("{what} is {size} bytes, at most {limit} allowed")]
    TooLarge {
        /// What was measured (`the upload`, `the certificate file`, `the tenant keystore`).
        what: &'static str,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A password that breaks CPI's policy.
    #[error("password refused: {0}")]
    Password(#[from] PasswordPolicyError),
    /// An uploaded file cannot be read (wrong password, malformed, unknown format).
    #[error(transparent)]
    Keystore(#[from] KeystoreError),
    /// An uploaded file is readable but not what the operation takes.
    #[error("`{operation}` refused: {reason}")]
    BadUpload {
        /// The operation.
        operation: &'static str,
        /// What is wrong with the file.
        reason: String,
    },
    /// No backup exists to restore.
    #[error("there is no backup to restore")]
    NoBackup,
    /// A key pair or certificate could not be generated.
    #[error("cannot generate `{alias}`: {reason}")]
    Generate {
        /// The alias.
        alias: String,
        /// What failed.
        reason: String,
    },
    /// The directory is not a tenant.
    #[error(
        "`{path}` is not a tenant directory (no `tenant.json`; create one with `harness tenant create`)"
    )]
    NotATenant {
        /// The directory.
        path: PathBuf,
    },
    /// The directory holds a tenant already.
    #[error("`{path}` holds a tenant already (pass --force to replace it)")]
    AlreadyExists {
        /// The directory.
        path: PathBuf,
    },
    /// The tenant's files are inconsistent (edited by hand, or a different version).
    #[error("tenant `{path}` is corrupt: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Another process held the tenant's lock for longer than the wait allowed.
    #[error(
        "tenant `{path}` is busy: held by {holder} for more than {waited_secs} s (try again later)"
    )]
    Busy {
        /// The tenant directory.
        path: PathBuf,
        /// Who holds the lock (`pid N`, or `another process`).
        holder: String,
        /// How long this process waited, in seconds.
        waited_secs: u64,
    },
    /// The tenant changed on disk since this value was opened: the change was not saved.
    #[error(
        "tenant `{path}` changed since it was opened (generation {on_disk} on disk, {opened} here): reopen it and retry"
    )]
    Stale {
        /// The tenant directory.
        path: PathBuf,
        /// The generation on disk.
        on_disk: u64,
        /// The generation this value was opened at.
        opened: u64,
    },
    /// An I/O error on a tenant file.
    #[error("cannot access `{path}`")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}
