//! Auth groups, CPI's role collections: who may do what (blog step 3: "maintain ... needs
//! AuthGroup.Admin"; step 4: "download ... needs AuthGroup.IntegrationDeveloper").

use std::fmt;

use serde::{Deserialize, Serialize};

/// The acting user's auth group (CPI's role collection; not to be confused with
/// [`crate::pki::Role`], a certificate's place in the PKI world).
///
/// Each group grants its own permissions only: `AuthGroup.Admin` maintains, and
/// `AuthGroup.IntegrationDeveloper` downloads, as the article states; both may view the
/// list. `AuthGroup.BusinessExpert` may only view, which makes it the natural "refused" group
/// in tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuthGroup {
    /// `AuthGroup.Admin`: maintains keys and certificates.
    #[serde(rename = "AuthGroup.Admin")]
    Admin,
    /// `AuthGroup.IntegrationDeveloper`: downloads certificates, chains and keystores.
    #[serde(rename = "AuthGroup.IntegrationDeveloper")]
    IntegrationDeveloper,
    /// `AuthGroup.BusinessExpert`: views the list only.
    #[serde(rename = "AuthGroup.BusinessExpert")]
    BusinessExpert,
}

/// What an operation needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    /// View the entry list and details.
    View,
    /// Change entries (add, create, update, rename, delete, backup, restore).
    Maintain,
    /// Download certificates, chains and keystores.
    Download,
}

impl AuthGroup {
    /// Every auth group.
    pub const ALL: [AuthGroup; 3] = [
        AuthGroup::Admin,
        AuthGroup::IntegrationDeveloper,
        AuthGroup::BusinessExpert,
    ];

    /// The group's name as CPI shows it.
    pub fn name(self) -> &'static str {
        match self {
            AuthGroup::Admin => "AuthGroup.Admin",
            AuthGroup::IntegrationDeveloper => "AuthGroup.IntegrationDeveloper",
            AuthGroup::BusinessExpert => "AuthGroup.BusinessExpert",
        }
    }

    /// Whether the group grants `permission`.
    pub fn allows(self, permission: Permission) -> bool {
        match permission {
            Permission::View => true,
            Permission::Maintain => self == AuthGroup::Admin,
            Permission::Download => self == AuthGroup::IntegrationDeveloper,
        }
    }
}

impl Permission {
    /// The group that grants it (for refusals: "needs role ...").
    pub fn needed_group(self) -> AuthGroup {
        match self {
            Permission::View => AuthGroup::BusinessExpert,
            Permission::Maintain => AuthGroup::Admin,
            Permission::Download => AuthGroup::IntegrationDeveloper,
        }
    }
}

impl fmt::Display for AuthGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for AuthGroup {
    type Err = String;

    /// Accepts CPI's names (`AuthGroup.Admin`) and short ones (`admin`,
    /// `integration-developer`, `business-expert`), case-insensitively.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let key = text
            .to_ascii_lowercase()
            .trim_start_matches("authgroup.")
            .replace(['-', '_'], "");
        match key.as_str() {
            "admin" => Ok(AuthGroup::Admin),
            "integrationdeveloper" => Ok(AuthGroup::IntegrationDeveloper),
            "businessexpert" => Ok(AuthGroup::BusinessExpert),
            _ => Err(format!(
                "unknown role `{text}` (expected AuthGroup.Admin, AuthGroup.IntegrationDeveloper or AuthGroup.BusinessExpert)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maintain_and_download_are_separate() {
        assert!(AuthGroup::Admin.allows(Permission::Maintain));
        assert!(!AuthGroup::Admin.allows(Permission::Download));
        assert!(AuthGroup::IntegrationDeveloper.allows(Permission::Download));
        assert!(!AuthGroup::IntegrationDeveloper.allows(Permission::Maintain));
        assert!(!AuthGroup::BusinessExpert.allows(Permission::Maintain));
        for role in AuthGroup::ALL {
            assert!(role.allows(Permission::View));
            assert_eq!(role.name().parse::<AuthGroup>().unwrap(), role);
        }
        assert_eq!(
            "integration-developer".parse::<AuthGroup>().unwrap(),
            AuthGroup::IntegrationDeveloper
        );
    }
}
