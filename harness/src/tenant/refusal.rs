//! Why the Keystore Monitor refused: one stable id per reason, shared by the tenant's errors
//! ([`TenantError::refusal`]), the per-entry refusals of "Add keystore"
//! ([`SummaryItem::refusal`](super::SummaryItem)) and scenario files (`refused_with`,
//! `refused`).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::alias::AliasRule;
use super::error::TenantError;
use crate::keystore::ErrorKind;

/// Why the Keystore Monitor refused an operation or an entry: a stable id, the same one
/// scenario files write in `refused_with` / `refused` expectations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Refusal {
    /// `role`: the acting auth group lacks the permission ([`TenantError::Forbidden`]).
    Role,
    /// `sap-owned`: the entry is owned by SAP and cannot be changed.
    SapOwned,
    /// `reserved-alias`: the alias starts with a prefix reserved for SAP.
    ReservedAlias,
    /// `alias-too-long`: more than 250 characters.
    AliasTooLong,
    /// `alias-empty`: an empty alias.
    AliasEmpty,
    /// `alias-invalid`: a control character, or surrounding blanks.
    AliasInvalid,
    /// `duplicate-alias`: the alias exists already.
    DuplicateAlias,
    /// `no-such-alias`: no entry under the alias.
    NoSuchAlias,
    /// `wrong-type`: the entry has the wrong type for the operation.
    WrongType,
    /// `size-limit`: an upload or the resulting store is too large.
    SizeLimit,
    /// `password-policy`: a password that breaks CPI's policy.
    PasswordPolicy,
    /// `wrong-password`: the upload's store or key password is wrong.
    WrongPassword,
    /// `malformed`: any other unreadable upload.
    Malformed,
    /// `bad-upload`: a readable file that is not what the operation takes.
    BadUpload,
    /// `no-backup`: there is no backup to restore.
    NoBackup,
    /// `secret-key`: an upload entry that is a secret key (refused per entry).
    SecretKey,
}

impl Refusal {
    /// Every refusal, in declaration order.
    pub const ALL: &'static [Refusal] = &[
        Refusal::Role,
        Refusal::SapOwned,
        Refusal::ReservedAlias,
        Refusal::AliasTooLong,
        Refusal::AliasEmpty,
        Refusal::AliasInvalid,
        Refusal::DuplicateAlias,
        Refusal::NoSuchAlias,
        Refusal::WrongType,
        Refusal::SizeLimit,
        Refusal::PasswordPolicy,
        Refusal::WrongPassword,
        Refusal::Malformed,
        Refusal::BadUpload,
        Refusal::NoBackup,
        Refusal::SecretKey,
    ];

    /// The stable kebab-case id (`sap-owned`, `reserved-alias`, ...).
    pub fn id(self) -> &'static str {
        match self {
            Refusal::Role => "role",
            Refusal::SapOwned => "sap-owned",
            Refusal::ReservedAlias => "reserved-alias",
            Refusal::AliasTooLong => "alias-too-long",
            Refusal::AliasEmpty => "alias-empty",
            Refusal::AliasInvalid => "alias-invalid",
            Refusal::DuplicateAlias => "duplicate-alias",
            Refusal::NoSuchAlias => "no-such-alias",
            Refusal::WrongType => "wrong-type",
            Refusal::SizeLimit => "size-limit",
            Refusal::PasswordPolicy => "password-policy",
            Refusal::WrongPassword => "wrong-password",
            Refusal::Malformed => "malformed",
            Refusal::BadUpload => "bad-upload",
            Refusal::NoBackup => "no-backup",
            Refusal::SecretKey => "secret-key",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl std::str::FromStr for Refusal {
    type Err = UnknownRefusal;

    /// Parses an id exactly as [`Refusal::id`] writes it.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Refusal::ALL
            .iter()
            .copied()
            .find(|refusal| refusal.id() == text)
            .ok_or_else(|| UnknownRefusal {
                text: text.to_owned(),
            })
    }
}

/// A refusal id that is not one of [`Refusal::ALL`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown refusal `{text}` (expected one of: {})", ids())]
pub struct UnknownRefusal {
    /// The text as given.
    pub text: String,
}

fn ids() -> String {
    Refusal::ALL
        .iter()
        .map(|r| r.id())
        .collect::<Vec<_>>()
        .join(", ")
}

impl AliasRule {
    /// The refusal an alias breaking this rule gets.
    pub fn refusal(&self) -> Refusal {
        match self {
            AliasRule::Reserved { .. } => Refusal::ReservedAlias,
            AliasRule::TooLong { .. } => Refusal::AliasTooLong,
            AliasRule::Empty => Refusal::AliasEmpty,
            AliasRule::ControlCharacter | AliasRule::SurroundingBlanks => Refusal::AliasInvalid,
        }
    }
}

impl TenantError {
    /// The refusal this error is, or `None` when the tenant is broken or unreachable
    /// (I/O, a corrupt tenant, not a tenant, one exists already, generation failed): those
    /// are errors, not outcomes.
    pub fn refusal(&self) -> Option<Refusal> {
        Some(match self {
            TenantError::Forbidden { .. } => Refusal::Role,
            TenantError::Alias(e) => e.rule.refusal(),
            TenantError::SapOwned { .. } => Refusal::SapOwned,
            TenantError::DuplicateAlias { .. } => Refusal::DuplicateAlias,
            TenantError::NoSuchAlias { .. } => Refusal::NoSuchAlias,
            TenantError::WrongType { .. } => Refusal::WrongType,
            TenantError::TooLarge { .. } => Refusal::SizeLimit,
            TenantError::Password(_) => Refusal::PasswordPolicy,
            TenantError::Keystore(e) => match e.kind {
                ErrorKind::WrongPassword { .. }
                | ErrorKind::WrongKeyPassword { .. }
                | ErrorKind::WrongKeyFilePassword => Refusal::WrongPassword,
                _ => Refusal::Malformed,
            },
            TenantError::BadUpload { .. } => Refusal::BadUpload,
            TenantError::NoBackup => Refusal::NoBackup,
            TenantError::Generate { .. }
            | TenantError::NotATenant { .. }
            | TenantError::AlreadyExists { .. }
            | TenantError::Corrupt { .. }
            | TenantError::Busy { .. }
            | TenantError::Stale { .. }
            | TenantError::Io { .. } => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text_and_serde() {
        assert_eq!(Refusal::ALL.len(), 16);
        let mut seen = std::collections::BTreeSet::new();
        for &refusal in Refusal::ALL {
            assert!(seen.insert(refusal.id()), "duplicate id {refusal}");
            assert_eq!(refusal.to_string(), refusal.id());
            assert_eq!(refusal.id().parse::<Refusal>(), Ok(refusal));
            let json = serde_json::to_string(&refusal).unwrap();
            assert_eq!(json, format!("\"{}\"", refusal.id()));
            assert_eq!(serde_json::from_str::<Refusal>(&json).unwrap(), refusal);
        }
    }

    /// Every variant with the refusal it must be. `variant` is an exhaustive match, so a new
    /// variant does not compile until it is listed here too.
    #[test]
    fn every_tenant_error_has_its_refusal_or_none() {
        use super::super::alias::{Alias, AliasError};
        use super::super::auth_group::AuthGroup;
        use super::super::password::PasswordPolicyError;
        use crate::keystore::KeystoreError;

        fn variant(e: &TenantError) -> usize {
            match e {
                TenantError::Forbidden { .. } => 0,
                TenantError::Alias(_) => 1,
                TenantError::SapOwned { .. } => 2,
                TenantError::DuplicateAlias { .. } => 3,
                TenantError::NoSuchAlias { .. } => 4,
                TenantError::WrongType { .. } => 5,
                TenantError::TooLarge { .. } => 6,
                TenantError::Password(_) => 7,
                TenantError::Keystore(_) => 8,
                TenantError::BadUpload { .. } => 9,
                TenantError::NoBackup => 10,
                TenantError::Generate { .. } => 11,
                TenantError::NotATenant { .. } => 12,
                TenantError::AlreadyExists { .. } => 13,
                TenantError::Corrupt { .. } => 14,
                TenantError::Io { .. } => 15,
                TenantError::Busy { .. } => 16,
                TenantError::Stale { .. } => 17,
            }
        }
        const VARIANTS: usize = 18;

        let alias = |text: &str| -> AliasError { Alias::parse(text).unwrap_err() };
        let keystore =
            |kind: ErrorKind| TenantError::Keystore(KeystoreError::read("<upload>", kind));
        let cases: Vec<(TenantError, Option<Refusal>)> = vec![
            (
                TenantError::Forbidden {
                    operation: "delete",
                    needs: AuthGroup::Admin,
                    acting: AuthGroup::BusinessExpert,
                },
                Some(Refusal::Role),
            ),
            (alias("sap_x").into(), Some(Refusal::ReservedAlias)),
            (alias("HciCertificate").into(), Some(Refusal::ReservedAlias)),
            (alias(&"a".repeat(251)).into(), Some(Refusal::AliasTooLong)),
            (alias("").into(), Some(Refusal::AliasEmpty)),
            (alias("a\u{7}b").into(), Some(Refusal::AliasInvalid)),
            (alias(" a").into(), Some(Refusal::AliasInvalid)),
            (
                TenantError::SapOwned {
                    operation: "delete",
                    alias: "sap_cloudintegrationcertificate".into(),
                },
                Some(Refusal::SapOwned),
            ),
            (
                TenantError::DuplicateAlias { alias: "a".into() },
                Some(Refusal::DuplicateAlias),
            ),
            (
                TenantError::NoSuchAlias { alias: "a".into() },
                Some(Refusal::NoSuchAlias),
            ),
            (
                TenantError::WrongType {
                    operation: "download",
                    alias: "a".into(),
                    expected: "key pair",
                    found: "certificate",
                },
                Some(Refusal::WrongType),
            ),
            (
                TenantError::TooLarge {
                    what: "the upload",
                    size: 3,
                    limit: 2,
                },
                Some(Refusal::SizeLimit),
            ),
            (
                PasswordPolicyError::NotAscii.into(),
                Some(Refusal::PasswordPolicy),
            ),
            (
                keystore(ErrorKind::WrongPassword {
                    integrity_only: true,
                }),
                Some(Refusal::WrongPassword),
            ),
            (
                keystore(ErrorKind::WrongKeyPassword { alias: "a".into() }),
                Some(Refusal::WrongPassword),
            ),
            (keystore(ErrorKind::UnknownFormat), Some(Refusal::Malformed)),
            (
                keystore(ErrorKind::Malformed {
                    reason: "bad".into(),
                }),
                Some(Refusal::Malformed),
            ),
            (
                TenantError::BadUpload {
                    operation: "add-certificate",
                    source: super::super::error::UploadError::NotOneCertificate { entries: 2 },
                },
                Some(Refusal::BadUpload),
            ),
            (TenantError::NoBackup, Some(Refusal::NoBackup)),
            (
                TenantError::Generate {
                    alias: "a".into(),
                    source: super::super::error::GenerateError::NoCommonName,
                },
                None,
            ),
            (TenantError::NotATenant { path: "/t".into() }, None),
            (TenantError::AlreadyExists { path: "/t".into() }, None),
            (
                TenantError::Corrupt {
                    path: "/t/tenant.json".into(),
                    source: super::super::error::Corruption::Aliases,
                },
                None,
            ),
            (
                TenantError::Io {
                    path: "/t/tenant.json".into(),
                    source: std::io::Error::other("disk"),
                },
                None,
            ),
            (
                TenantError::Busy {
                    path: "/t".into(),
                    holder: "pid 1".into(),
                    waited_secs: 120,
                },
                None,
            ),
            (
                TenantError::Stale {
                    path: "/t".into(),
                    on_disk: 2,
                    opened: 1,
                },
                None,
            ),
        ];
        let mut covered = [false; VARIANTS];
        for (error, expected) in &cases {
            covered[variant(error)] = true;
            assert_eq!(error.refusal(), *expected, "{error}");
        }
        assert!(
            covered.iter().all(|&c| c),
            "a variant is not tested: {covered:?}"
        );
    }

    #[test]
    fn unknown_id_lists_the_known_ones() {
        let err = "sap_owned".parse::<Refusal>().unwrap_err();
        assert_eq!(err.text, "sap_owned");
        let text = err.to_string();
        assert!(text.contains("`sap_owned`"), "{text}");
        for refusal in Refusal::ALL {
            assert!(text.contains(refusal.id()), "{text}");
        }
        assert!("Role".parse::<Refusal>().is_err());
    }
}
