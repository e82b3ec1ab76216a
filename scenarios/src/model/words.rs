//! The words of this crate's own steps (chain extent, keystore format, upload mode, tenant
//! operation, alias policy): the nouns no lower crate owns.

use std::fmt;

use serde::Deserialize;

/// The words of this crate's own steps: an enum whose values files write as the given ids.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $id:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $id)] $variant),+
        }

        impl $name {
            /// The id as written in files.
            pub fn id(self) -> &'static str {
                match self {
                    $($name::$variant => $id),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.id())
            }
        }
    };
}

vocabulary! {
    /// How much of its chain a key pair entry holds.
    #[derive(Default)]
    ChainExtent {
        /// Leaf, intermediate and root (KeyStore Explorer's import of a full chain).
        #[default]
        Full = "full",
        /// Leaf and intermediate.
        WithoutRoot = "without-root",
        /// The leaf alone.
        LeafOnly = "leaf-only",
    }
}

vocabulary! {
    /// The keystore types KeyStore Explorer offers that CPI accepts.
    #[derive(Default)]
    KeystoreFormat {
        /// JCEKS (the article's choice).
        #[default]
        Jceks = "jceks",
        /// JKS.
        Jks = "jks",
        /// PKCS#12.
        Pkcs12 = "pkcs12",
    }
}

vocabulary! {
    /// "Add keystore" modes.
    #[derive(Default)]
    UploadMode {
        /// Merge; existing aliases preserved.
        #[default]
        Add = "add",
        /// Merge; existing Tenant Administrator aliases overwritten.
        AddOverwrite = "add-overwrite",
        /// Replace every Tenant Administrator entry.
        Replace = "replace",
    }
}

vocabulary! {
    /// Keystore Monitor operations on one entry.
    TenantOperation {
        /// Delete the entry.
        Delete = "delete",
        /// Rename the entry (argument: the new alias).
        Rename = "rename",
        /// Add a certificate (argument: a world role) under the alias.
        AddCertificate = "add-certificate",
        /// Add an oversized certificate file (more than 10,240 bytes) under the alias.
        AddOversizedCertificate = "add-oversized-certificate",
    }
}

vocabulary! {
    /// How the connectivity test picks a key pair when the alias is empty.
    #[derive(Default)]
    AliasPolicy {
        /// The first fitting alias (the article).
        #[default]
        First = "first",
        /// A random one among the fitting (current CPI help; seeded here).
        Random = "random",
    }
}
