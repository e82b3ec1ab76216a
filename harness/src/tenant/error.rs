//! Why a tenant operation was refused or failed.
//!
//! Every refusal leaves the tenant unchanged, in memory and on disk: operations work on a
//! copy of the state and commit it only when every check passed.
//!
//! The error contract: each `Display` prints one level; the cause, when there is one, is the
//! [`std::error::Error::source`] (a typed [`UploadError`], [`GenerateError`], [`Corruption`],
//! password-policy or alias rule, keystore or I/O error), and a chain printer shows it on a
//! line of its own. [`TenantError::Alias`] and [`TenantError::Keystore`] are transparent: the
//! alias or keystore error's own line already names what and where.

use std::path::PathBuf;

use super::alias::AliasError;
use super::auth_group::AuthGroup;
use super::owner::Owner;
use super::password::PasswordPolicyError;
use crate::keystore::{ErrorKind, Format, KeystoreError};
use crate::pki::PkiError;

/// A refused or failed tenant operation.
#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    /// The acting role lacks the permission.
    #[error("`{operation}` needs role `{needs}` (acting role: `{acting}`)")]
    Forbidden {
        /// The operation.
        operation: &'static str,
        /// The role that would be allowed.
        needs: AuthGroup,
        /// The acting role.
        acting: AuthGroup,
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
    #[error("password refused")]
    Password(#[from] PasswordPolicyError),
    /// An uploaded file cannot be read (wrong password, malformed, unknown format).
    #[error(transparent)]
    Keystore(#[from] KeystoreError),
    /// An uploaded file is readable but not what the operation takes.
    #[error("`{operation}` refused")]
    BadUpload {
        /// The operation.
        operation: &'static str,
        /// What is wrong with the file.
        #[source]
        source: UploadError,
    },
    /// No backup exists to restore.
    #[error("there is no backup to restore")]
    NoBackup,
    /// A key pair or certificate could not be generated.
    #[error("cannot generate `{alias}`")]
    Generate {
        /// The alias.
        alias: String,
        /// What failed.
        #[source]
        source: GenerateError,
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
    #[error("tenant `{path}` is corrupt")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: Corruption,
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

/// What is wrong with an upload that is a readable file ([`TenantError::BadUpload`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    /// A format the operation does not take.
    #[error("the file is {found}, expected {}", format_list(expected))]
    WrongFormat {
        /// The format of the file.
        found: Format,
        /// The formats the operation takes.
        expected: &'static [Format],
    },
    /// "Add certificate" and "Update" of a certificate take exactly one certificate.
    #[error("the file holds {entries} entries, expected exactly one certificate without a key")]
    NotOneCertificate {
        /// The entries the file holds.
        entries: usize,
    },
    /// "Add key pair" and "Update" of a key pair take exactly one key pair.
    #[error("the file holds {pairs} key pairs, expected exactly one")]
    NotOneKeyPair {
        /// The key pairs the file holds.
        pairs: usize,
    },
    /// A signing response without a certificate for the key pair's public key.
    #[error("no certificate in the response matches the public key of `{alias}`")]
    NoMatchingKey {
        /// The key pair's alias.
        alias: String,
    },
}

fn format_list(formats: &[Format]) -> String {
    formats
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why a key pair, its certificate or a signing request could not be generated
/// ([`TenantError::Generate`]).
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The subject has no common name.
    #[error("the subject needs a common name (CN)")]
    NoCommonName,
    /// A country that is not two letters.
    #[error("country `{country}` is not a two-letter code")]
    BadCountry {
        /// The country as given.
        country: String,
    },
    /// notAfter is not after notBefore.
    #[error("the validity ends before it starts")]
    ValidityReversed,
    /// The key pair's key type is not one the tenant generates or signs with.
    #[error("unsupported key type")]
    UnsupportedKeyType,
    /// The key could not be derived or decoded, or the SAP entries not built.
    #[error(transparent)]
    Pki(#[from] PkiError),
    /// rcgen could not sign the certificate or the signing request.
    #[error("cannot sign")]
    Sign(#[source] rcgen::Error),
    /// The certificate's subject cannot be read into a signing request.
    #[error("cannot read the certificate's subject")]
    Subject(#[source] x509_parser::error::X509Error),
    /// A generated entry could not be stored.
    #[error("cannot store the entry")]
    Store(#[source] ErrorKind),
}

/// What is inconsistent in a tenant's files ([`TenantError::Corrupt`]).
#[derive(Debug, thiserror::Error)]
pub enum Corruption {
    /// `tenant.json` does not parse.
    #[error("metadata does not parse")]
    Metadata(#[source] serde_json::Error),
    /// `tenant.json` cannot be encoded.
    #[error("cannot encode metadata")]
    Encode(#[source] serde_json::Error),
    /// `tenant.json` of another format version.
    #[error("metadata version {found} (this harness reads {reads})")]
    Version {
        /// The version in the file.
        found: u32,
        /// The version this harness reads.
        reads: u32,
    },
    /// `tenant.json` names a keystore file the tenant would not write.
    #[error("bad keystore file name")]
    KeystoreFileName,
    /// A tenant file could not be read within its size limit.
    #[error("cannot read it")]
    Read(#[source] crate::file::ReadError),
    /// The keystore's hash differs from the one recorded.
    #[error("SHA-256 differs from `tenant.json`")]
    KeystoreHash,
    /// The backup's hash differs from the one recorded.
    #[error("the backup's SHA-256 differs from `tenant.json`")]
    BackupHash,
    /// The backup `tenant.json` names is not there (or its name is not one the tenant
    /// writes).
    #[error("the backup file is missing")]
    BackupMissing,
    /// The keystore's aliases and the records differ.
    #[error("the keystore's aliases differ from the records in `tenant.json`")]
    Aliases,
    /// An entry's owner contradicts its alias (reserved aliases are SAP's, and only they).
    #[error("entry `{alias}` is owned by {owner} but its alias says otherwise")]
    Owner {
        /// The alias.
        alias: String,
        /// The owner recorded.
        owner: Owner,
    },
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    /// The top line and its causes, joined as the one-line messages were before.
    fn joined(error: &dyn std::error::Error) -> String {
        format!("{:#}", crate::exit::ErrorChain(error))
    }

    #[test]
    fn display_is_one_level_and_the_cause_is_the_source() {
        let cases: Vec<(TenantError, &str)> = vec![
            (
                PasswordPolicyError::TooShort { chars: 5 }.into(),
                "password refused: the password has 5 characters, at least 8 are required",
            ),
            (
                TenantError::BadUpload {
                    operation: "add-certificate",
                    source: UploadError::WrongFormat {
                        found: Format::Jks,
                        expected: &[Format::Pem, Format::Der],
                    },
                },
                "`add-certificate` refused: the file is jks, expected pem, der",
            ),
            (
                TenantError::BadUpload {
                    operation: "add-key-pair",
                    source: UploadError::NotOneKeyPair { pairs: 2 },
                },
                "`add-key-pair` refused: the file holds 2 key pairs, expected exactly one",
            ),
            (
                TenantError::Generate {
                    alias: "k".into(),
                    source: GenerateError::BadCountry {
                        country: "DEU".into(),
                    },
                },
                "cannot generate `k`: country `DEU` is not a two-letter code",
            ),
            (
                TenantError::Corrupt {
                    path: "/t/tenant.json".into(),
                    source: Corruption::Version { found: 9, reads: 1 },
                },
                "tenant `/t/tenant.json` is corrupt: metadata version 9 (this harness reads 1)",
            ),
            (
                TenantError::Corrupt {
                    path: "/t/tenant.json".into(),
                    source: Corruption::Metadata(serde_json::from_str::<u32>("x").unwrap_err()),
                },
                "tenant `/t/tenant.json` is corrupt: metadata does not parse: expected value at line 1 column 1",
            ),
            (
                super::super::alias::Alias::parse("sap_x")
                    .unwrap_err()
                    .into(),
                "alias `sap_x` is refused: prefix `sap_` is reserved for entries owned by SAP",
            ),
        ];
        for (error, whole) in cases {
            let top = error.to_string();
            let cause = error.source().expect("has a cause").to_string();
            assert!(!top.contains(&cause), "`{top}` repeats its cause `{cause}`");
            assert!(!top.contains('\n'), "{top}");
            assert_eq!(joined(&error), whole);
        }
    }
}
