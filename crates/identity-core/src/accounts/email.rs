use std::fmt;

use crate::domain::FieldError;

/// A syntactically valid, normalised email address.
///
/// Normalisation trims surrounding white space and lower-cases the whole address, so that
/// `Ada@Example.COM` and `ada@example.com` are the same account (the database column is `citext`
/// as a second line of defence). The only way to get one is [`Email::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

impl Email {
    /// Longest address RFC 5321 lets through a mail system.
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::parse_field("email", raw)
    }

    /// Like [`Email::parse`], naming `field` in the error.
    pub fn parse_field(field: &str, raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(FieldError::new(field, "required", "an email address is required"));
        }
        crate::domain::single_line(field, trimmed)?;
        if trimmed.len() > Self::MAX_LEN {
            return Err(FieldError::new(
                field,
                "too_long",
                format!("an email address has at most {} characters", Self::MAX_LEN),
            ));
        }
        let normalised = trimmed.to_lowercase();
        let valid = email_address::EmailAddress::parse_with_options(
            &normalised,
            email_address::Options::default().without_display_text().without_domain_literal(),
        )
        .is_ok();
        // A deliverable address has a dot in its domain (`user@localhost` is not a sign-up).
        let domain_ok =
            normalised.rsplit_once('@').is_some_and(|(_, domain)| domain.contains('.') && !domain.ends_with('.'));
        if !valid || !domain_ok {
            return Err(FieldError::new(field, "invalid_email", "this is not a valid email address"));
        }
        Ok(Self(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the `@`, used to refuse passwords made of the address.
    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map_or(self.0.as_str(), |(local, _)| local)
    }

    /// The address with its local part hidden but its first character: `ada@example.com` →
    /// `a***@example.com` (how a job's payload, or a mail to another address, names it).
    pub fn masked(&self) -> String {
        match self.0.rsplit_once('@') {
            Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
            None => "***".to_owned(),
        }
    }

    /// Rebuilds an address that was validated before it was stored. Adapters only.
    pub fn from_trusted(stored: String) -> Self {
        Self(stored)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_whitespace() {
        let email = Email::parse("  Ada.Lovelace@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "ada.lovelace@example.com");
        assert_eq!(email.local_part(), "ada.lovelace");
    }

    #[test]
    fn refuses_invalid_addresses() {
        for raw in [
            "",
            "   ",
            "plainaddress",
            "a@",
            "@example.com",
            "a@localhost",
            "a b@example.com",
            "Ada <ada@example.com>",
            "a@example.",
        ] {
            assert!(Email::parse(raw).is_err(), "{raw:?} should be refused");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&long).unwrap_err().code, "too_long");
    }

    #[test]
    fn masks_the_local_part() {
        assert_eq!(Email::parse("ada.lovelace@example.com").unwrap().masked(), "a***@example.com");
    }

    #[test]
    fn names_the_field() {
        let err = Email::parse("nope").unwrap_err();
        assert_eq!(err.field, "email");
        assert_eq!(err.code, "invalid_email");
    }

    #[test]
    fn refuses_control_characters() {
        for raw in ["a\0b@example.com", "a\tb@example.com", "\"a\u{1}b\"@example.com", "a@exa\u{85}mple.com"] {
            assert_eq!(Email::parse(raw).unwrap_err().code, "invalid_characters", "{raw:?}");
        }
    }
}
