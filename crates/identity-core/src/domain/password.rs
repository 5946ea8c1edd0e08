use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;

use super::{Email, FieldError};

/// Common and breached passwords of eight characters or more, lower-cased, one per line.
/// Derived from the `passwords` frequency list of zxcvbn (MIT), itself built from public leaks.
static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("common_passwords.txt").lines().collect());

/// A plain-text password that passed the policy. It never prints itself: `Debug` and
/// `Display` show a placeholder, so it cannot end up in a log line by accident.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Exposes the secret to the hasher. Nothing else should call this.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Which rule set new passwords must follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyMode {
    /// NIST SP 800-63B: length only, plus the common-password list and the account's own
    /// address. No composition rules.
    Nist,
    /// The stricter rules of the gateway design: additionally an upper-case letter, a digit
    /// or special character, and no forbidden words.
    Strict,
}

/// The password rules. `Default` is the NIST-style policy with a length of 8–128 characters.
#[derive(Debug, Clone)]
pub struct PasswordPolicy {
    pub mode: PolicyMode,
    pub min_chars: usize,
    pub max_chars: usize,
    /// Lower-cased words a password may not contain in strict mode.
    pub forbidden_words: Vec<String>,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self { mode: PolicyMode::Nist, min_chars: 8, max_chars: 128, forbidden_words: Vec::new() }
    }
}

impl PasswordPolicy {
    /// The strict rule set: NIST rules plus composition and forbidden words.
    pub fn strict() -> Self {
        Self {
            mode: PolicyMode::Strict,
            forbidden_words: vec!["test".into(), "password".into(), "qwerty".into()],
            ..Self::default()
        }
    }

    /// Checks a new password for the account with `email` and returns it as a [`Password`].
    pub fn check(&self, field: &str, raw: &str, email: Option<&Email>) -> Result<Password, FieldError> {
        let chars = raw.chars().count();
        if raw.is_empty() {
            return Err(FieldError::new(field, "required", "a password is required"));
        }
        super::no_nul(field, raw)?;
        if chars < self.min_chars {
            return Err(FieldError::new(
                field,
                "too_short",
                format!("a password has at least {} characters", self.min_chars),
            ));
        }
        if chars > self.max_chars {
            return Err(FieldError::new(
                field,
                "too_long",
                format!("a password has at most {} characters", self.max_chars),
            ));
        }
        let lower = raw.to_lowercase();
        if COMMON_PASSWORDS.contains(lower.as_str()) {
            return Err(FieldError::new(
                field,
                "common_password",
                "this password is too common; choose one that is harder to guess",
            ));
        }
        if let Some(email) = email {
            let local = email.local_part();
            if lower == email.as_str() || (local.chars().count() >= 4 && lower.contains(local)) {
                return Err(FieldError::new(field, "contains_email", "a password may not contain your email address"));
            }
        }
        if self.mode == PolicyMode::Strict {
            if !raw.chars().any(char::is_uppercase) {
                return Err(FieldError::new(
                    field,
                    "missing_uppercase",
                    "a password needs at least one upper-case letter",
                ));
            }
            if !raw.chars().any(|c| !c.is_alphabetic()) {
                return Err(FieldError::new(
                    field,
                    "missing_special",
                    "a password needs at least one digit or special character",
                ));
            }
            if let Some(word) = self.forbidden_words.iter().find(|w| lower.contains(w.as_str())) {
                return Err(FieldError::new(field, "forbidden_word", format!("a password may not contain \"{word}\"")));
            }
        }
        Ok(Password(raw.to_owned()))
    }

    /// A password offered at login: not checked against the policy (it may predate it), only
    /// wrapped so it cannot be logged.
    pub fn candidate(raw: &str) -> Password {
        Password(raw.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> Email {
        Email::parse("grace.hopper@example.com").unwrap()
    }

    #[test]
    fn nist_accepts_long_uncommon_passphrases_without_composition() {
        let policy = PasswordPolicy::default();
        assert!(policy.check("password", "correct horse battery staple", Some(&email())).is_ok());
        assert!(policy.check("password", "ünïcödé-ok", None).is_ok());
        // Anything but NUL: a tab or another control character is the user's business.
        assert!(policy.check("password", "tab\there and \u{1} too", None).is_ok());
        let nul = policy.check("new_password", "correct horse\0battery", None).unwrap_err();
        assert_eq!((nul.field.as_str(), nul.code), ("new_password", "invalid_characters"));
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let policy = PasswordPolicy::default();
        // 7 characters, 14 bytes.
        assert_eq!(policy.check("password", "ééééééé", None).unwrap_err().code, "too_short");
        assert_eq!(policy.check("password", &"x".repeat(129), None).unwrap_err().code, "too_long");
        assert!(policy.check("password", &"xy".repeat(64), None).is_ok());
    }

    #[test]
    fn refuses_common_and_personal_passwords() {
        let policy = PasswordPolicy::default();
        for common in ["password", "PASSWORD1", "12345678", "iloveyou", "qwertyuiop"] {
            assert_eq!(policy.check("password", common, None).unwrap_err().code, "common_password", "{common}");
        }
        assert_eq!(policy.check("password", "Grace.Hopper-2024", Some(&email())).unwrap_err().code, "contains_email");
        assert_eq!(policy.check("pw", "", None).unwrap_err().field, "pw");
    }

    #[test]
    fn strict_mode_adds_composition_and_forbidden_words() {
        let policy = PasswordPolicy::strict();
        assert_eq!(policy.check("p", "lowercase only here", None).unwrap_err().code, "missing_uppercase");
        assert_eq!(policy.check("p", "NoDigitsOrSpecials", None).unwrap_err().code, "missing_special");
        assert_eq!(policy.check("p", "My-Test-Account-9", None).unwrap_err().code, "forbidden_word");
        assert!(policy.check("p", "Sturdy-Otter-42", None).is_ok());
    }

    #[test]
    fn never_prints_the_secret() {
        let password = PasswordPolicy::candidate("hunter2-secret");
        assert!(!format!("{password:?}").contains("hunter2"));
    }
}
