//! Who owns an entry.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The owner column of the Keystore Monitor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Owner {
    /// Pre-delivered by SAP: shown locked, never changed by any operation.
    #[serde(rename = "SAP")]
    Sap,
    /// Added by the tenant's administrators.
    #[serde(rename = "Tenant Administrator")]
    TenantAdministrator,
}

impl Owner {
    /// The text the Keystore Monitor shows.
    pub fn name(self) -> &'static str {
        match self {
            Owner::Sap => "SAP",
            Owner::TenantAdministrator => "Tenant Administrator",
        }
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
