//! CPI's password policy for keystores the tenant writes out (backup, keystore download).

use crate::secret::Password;

/// The shortest accepted password.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Checks `password` against CPI's policy: at least [`MIN_PASSWORD_CHARS`] characters,
/// printable ASCII only, and characters from at least three of the four classes (lower-case,
/// upper-case, digit, special). The error never holds the password.
pub fn check_password_policy(password: &Password) -> Result<(), PasswordPolicyError> {
    let text = password.secret_str();
    let chars = text.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordPolicyError::TooShort { chars });
    }
    if !text.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
        return Err(PasswordPolicyError::NotAscii);
    }
    let classes = [
        text.chars().any(|c| c.is_ascii_lowercase()),
        text.chars().any(|c| c.is_ascii_uppercase()),
        text.chars().any(|c| c.is_ascii_digit()),
        text.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .into_iter()
    .filter(|&present| present)
    .count();
    if classes < 3 {
        return Err(PasswordPolicyError::TooFewClasses { classes });
    }
    Ok(())
}

/// A password that breaks the policy (the password itself is never included).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasswordPolicyError {
    /// Shorter than [`MIN_PASSWORD_CHARS`].
    #[error("the password has {chars} characters, at least {MIN_PASSWORD_CHARS} are required")]
    TooShort {
        /// Its length.
        chars: usize,
    },
    /// Holds a character outside printable ASCII.
    #[error("the password may hold printable ASCII characters only")]
    NotAscii,
    /// Fewer than three character classes.
    #[error(
        "the password uses {classes} of the 4 character classes (lower-case, upper-case, digit, special), at least 3 are required"
    )]
    TooFewClasses {
        /// Classes present.
        classes: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        let check = |text: &str| check_password_policy(&Password::new(text));
        assert!(check("Abcdefg1").is_ok());
        assert!(check("abcdefg1!").is_ok());
        assert_eq!(
            check("Abc1!"),
            Err(PasswordPolicyError::TooShort { chars: 5 })
        );
        assert_eq!(
            check("abcdefgh1"),
            Err(PasswordPolicyError::TooFewClasses { classes: 2 })
        );
        assert_eq!(check("Abcdefgä1"), Err(PasswordPolicyError::NotAscii));
        let err = check("changeit").unwrap_err().to_string();
        assert!(!err.contains("changeit"));
    }
}
