//! Roles: who may do what (blog step 3: "maintain ... needs AuthGroup.Admin"; step 4:
//! "download ... needs AuthGroup.IntegrationDeveloper").

use std::fmt;

use serde::{Deserialize, Serialize};

/// The acting user's role collection.
///
/// Each role grants its own permissions only: `AuthGroup.Admin` maintains, and
/// `AuthGroup.IntegrationDeveloper` downloads, as the article states; both may view the
/// list. `AuthGroup.BusinessExpert` may only view, which makes it the natural "refused" role
/// in tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
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

impl Role {
    /// Every role.
    pub const ALL: [Role; 3] = [
        Role::Admin,
        Role::IntegrationDeveloper,
        Role::BusinessExpert,
    ];

    /// The role collection's name as CPI shows it.
    pub fn name(self) -> &'static str {
        match self {
            Role::Admin => "AuthGroup.Admin",
            Role::IntegrationDeveloper => "AuthGroup.IntegrationDeveloper",
            Role::BusinessExpert => "AuthGroup.BusinessExpert",
        }
    }

    /// Whether the role grants `permission`.
    pub fn allows(self, permission: Permission) -> bool {
        match permission {
            Permission::View => true,
            Permission::Maintain => self == Role::Admin,
            Permission::Download => self == Role::IntegrationDeveloper,
        }
    }
}

impl Permission {
    /// The role that grants it (for refusals: "needs role ...").
    pub fn needed_role(self) -> Role {
        match self {
            Permission::View => Role::BusinessExpert,
            Permission::Maintain => Role::Admin,
            Permission::Download => Role::IntegrationDeveloper,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    /// Accepts CPI's names (`AuthGroup.Admin`) and short ones (`admin`,
    /// `integration-developer`, `business-expert`), case-insensitively.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let key = text
            .to_ascii_lowercase()
            .trim_start_matches("authgroup.")
            .replace(['-', '_'], "");
        match key.as_str() {
            "admin" => Ok(Role::Admin),
            "integrationdeveloper" => Ok(Role::IntegrationDeveloper),
            "businessexpert" => Ok(Role::BusinessExpert),
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
        assert!(Role::Admin.allows(Permission::Maintain));
        assert!(!Role::Admin.allows(Permission::Download));
        assert!(Role::IntegrationDeveloper.allows(Permission::Download));
        assert!(!Role::IntegrationDeveloper.allows(Permission::Maintain));
        assert!(!Role::BusinessExpert.allows(Permission::Maintain));
        for role in Role::ALL {
            assert!(role.allows(Permission::View));
            assert_eq!(role.name().parse::<Role>().unwrap(), role);
        }
        assert_eq!(
            "integration-developer".parse::<Role>().unwrap(),
            Role::IntegrationDeveloper
        );
    }
}
