//! Aliases: the name of a keystore entry, and CPI's rules for customer aliases.

use std::fmt;

use serde::Serialize;

/// Alias prefixes reserved for SAP-owned entries (blog step 3, "you are not allowed to use
/// aliases with prefix sap_, hcicertificate and hcimsgcertificate"), compared
/// case-insensitively.
pub const RESERVED_PREFIXES: [&str; 3] = ["sap_", "hcicertificate", "hcimsgcertificate"];

/// The longest alias the Keystore Monitor accepts (Rename: "at most 250 characters").
pub const MAX_ALIAS_CHARS: usize = 250;

/// A customer alias: not empty, at most [`MAX_ALIAS_CHARS`] characters, no control
/// characters, no surrounding blanks, and outside the reserved namespace.
///
/// Parse, don't validate: an `Alias` cannot hold a reserved name, so every operation that
/// takes one (add, create, rename) cannot admit a reserved alias. The text is lower-cased,
/// as the tenant's JCEKS file stores every alias (Java's `JceKeyStore` lower-cases them).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Alias(String);

impl Alias {
    /// Parses a customer alias.
    pub fn parse(text: &str) -> Result<Self, AliasError> {
        let bad = |reason: AliasRule| AliasError {
            alias: text.to_owned(),
            rule: reason,
        };
        if text.is_empty() {
            return Err(bad(AliasRule::Empty));
        }
        let chars = text.chars().count();
        if chars > MAX_ALIAS_CHARS {
            return Err(bad(AliasRule::TooLong { chars }));
        }
        if text.chars().any(char::is_control) {
            return Err(bad(AliasRule::ControlCharacter));
        }
        if text.trim() != text {
            return Err(bad(AliasRule::SurroundingBlanks));
        }
        if let Some(prefix) = reserved_prefix(text) {
            return Err(bad(AliasRule::Reserved { prefix }));
        }
        Ok(Self(text.to_lowercase()))
    }

    /// The alias text (lower-case).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Alias {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Alias {
    type Err = AliasError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

/// The reserved prefix `alias` starts with (case-insensitively), if any.
pub fn reserved_prefix(alias: &str) -> Option<&'static str> {
    let lower = alias.to_lowercase();
    RESERVED_PREFIXES
        .into_iter()
        .find(|prefix| lower.starts_with(prefix))
}

/// An alias that breaks one of the rules.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("alias `{alias}` is refused")]
pub struct AliasError {
    /// The alias as given.
    pub alias: String,
    /// The rule it breaks (the error's source).
    #[source]
    pub rule: AliasRule,
}

/// The alias rules.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AliasRule {
    /// Empty.
    #[error("an alias cannot be empty")]
    Empty,
    /// Longer than [`MAX_ALIAS_CHARS`].
    #[error("{chars} characters, at most {MAX_ALIAS_CHARS} allowed")]
    TooLong {
        /// Its length in characters.
        chars: usize,
    },
    /// Holds a control character.
    #[error("it holds a control character")]
    ControlCharacter,
    /// Starts or ends with blanks.
    #[error("it starts or ends with blanks")]
    SurroundingBlanks,
    /// Starts with a reserved prefix.
    #[error("prefix `{prefix}` is reserved for entries owned by SAP")]
    Reserved {
        /// The reserved prefix.
        prefix: &'static str,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_prefixes_are_refused_in_any_case() {
        for text in [
            "sap_x",
            "SAP_cloudintegrationcertificate",
            "hcicertificate",
            "HciMsgCertificate2",
            "hcicertificateX",
        ] {
            let err = Alias::parse(text).unwrap_err();
            assert!(matches!(err.rule, AliasRule::Reserved { .. }), "{text}");
            assert_eq!(err.to_string(), format!("alias `{text}` is refused"));
            let cause = std::error::Error::source(&err).map(ToString::to_string);
            assert!(cause.is_some_and(|c| c.contains("reserved")), "{err:?}");
        }
        assert_eq!(Alias::parse("Sap-Root").unwrap().as_str(), "sap-root");
        assert_eq!(Alias::parse("my_sap_root").unwrap().as_str(), "my_sap_root");
    }

    #[test]
    fn length_and_characters() {
        assert!(Alias::parse(&"a".repeat(250)).is_ok());
        let err = Alias::parse(&"a".repeat(251)).unwrap_err();
        assert_eq!(err.rule, AliasRule::TooLong { chars: 251 });
        assert_eq!(Alias::parse("").unwrap_err().rule, AliasRule::Empty);
        assert_eq!(
            Alias::parse("a\nb").unwrap_err().rule,
            AliasRule::ControlCharacter
        );
        assert_eq!(
            Alias::parse(" a").unwrap_err().rule,
            AliasRule::SurroundingBlanks
        );
    }
}
