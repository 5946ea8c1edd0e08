use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::{Email, FieldError};

/// A user's id: a UUIDv7, so ids sort by creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(Uuid);

impl UserId {
    pub fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An optional login name: 3–32 characters of `a-z`, `0-9`, `.`, `_` and `-`, starting with a
/// letter or digit, stored lower-case and unique.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        crate::domain::single_line("username", raw)?;
        crate::domain::no_invisible("username", raw)?;
        let normalised = raw.trim().to_lowercase();
        let len = normalised.chars().count();
        if !(3..=32).contains(&len) {
            return Err(FieldError::new("username", "invalid_length", "a username has 3 to 32 characters"));
        }
        let first_ok = normalised.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
        let chars_ok = normalised.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !first_ok || !chars_ok || normalised.contains('@') {
            return Err(FieldError::new(
                "username",
                "invalid_username",
                "a username uses letters, digits, '.', '_' and '-' and starts with a letter or digit",
            ));
        }
        Ok(Self(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn from_trusted(stored: String) -> Self {
        Self(stored)
    }
}

/// The lifecycle state of an account (`users.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserStatus {
    Active,
    Locked,
    Disabled,
    Deleted,
}

impl UserStatus {
    /// Whether this is the status of a deleted account: the one rule of "deleted" (soft: the
    /// row, its address and its data stay, and an admin can restore it). Stores that filter
    /// on it say the same in their own terms (PostgreSQL: `users.status <> 'deleted'`).
    pub fn is_deleted(self) -> bool {
        self == Self::Deleted
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Locked => "locked",
            Self::Disabled => "disabled",
            Self::Deleted => "deleted",
        }
    }
}

impl FromStr for UserStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "active" => Ok(Self::Active),
            "locked" => Ok(Self::Locked),
            "disabled" => Ok(Self::Disabled),
            "deleted" => Ok(Self::Deleted),
            other => Err(format!("unknown user status {other:?}")),
        }
    }
}

impl fmt::Display for UserStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A password hash in PHC string format (`$argon2id$v=19$m=19456,t=2,p=1$…`), so the
/// parameters travel with the hash and can change later. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    pub fn from_phc(phc: String) -> Self {
        Self(phc)
    }

    pub fn as_phc(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

/// A role name (`admin`, `user`, …).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Role(String);

impl Role {
    pub const ADMIN: &'static str = "admin";
    pub const USER: &'static str = "user";
    /// The roles that exist (seeded by the migration).
    pub const KNOWN: &'static [&'static str] = &[Self::ADMIN, Self::USER];

    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Non-credential personal data (`user_profiles`).
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub name: Option<String>,
    pub display_name: Option<String>,
    pub company: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    /// Telegram username, without `@`.
    pub telegram: Option<String>,
    pub avatar_url: Option<String>,
    /// BCP 47.
    pub locale: String,
    /// IANA.
    pub time_zone: String,
    pub region: crate::domain::profile::Region,
    pub currency: crate::domain::profile::Currency,
    /// The validated preferences document (notifications, ai, focus).
    pub preferences: serde_json::Value,
}

impl Default for Profile {
    fn default() -> Self {
        Self {
            name: None,
            display_name: None,
            company: None,
            phone: None,
            telegram: None,
            avatar_url: None,
            locale: "en".into(),
            time_zone: "UTC".into(),
            region: crate::domain::profile::Region::default(),
            currency: crate::domain::profile::Currency::default(),
            preferences: serde_json::Value::Object(serde_json::Map::new()),
        }
    }
}

impl Profile {
    pub const NAME_MAX_CHARS: usize = 100;

    /// Validates a display name given at registration: trimmed, 1–100 characters, no control
    /// characters, nothing invisible and no text-direction control. Blank means "not given".
    pub fn parse_name(raw: &str) -> Result<Option<String>, FieldError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Ok(None);
        }
        if trimmed.chars().count() > Self::NAME_MAX_CHARS {
            return Err(FieldError::new("name", "too_long", "a name has at most 100 characters"));
        }
        if raw.chars().any(char::is_control) {
            return Err(FieldError::new("name", "invalid_characters", "a name may not contain control characters"));
        }
        crate::domain::no_invisible("name", raw)?;
        Ok(Some(trimmed.to_owned()))
    }
}

/// The user aggregate: who someone is and the state of their account.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub username: Option<Username>,
    pub password_hash: PasswordHash,
    pub email_verified: bool,
    pub status: UserStatus,
    pub roles: BTreeSet<Role>,
    pub profile: Profile,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    /// When the account was deleted: set while `status` is `deleted`, `None` otherwise. Only a
    /// timestamp for the record; whether the account is deleted is `status`
    /// ([`User::is_deleted`]), and [`User::set_status`] keeps the two in step.
    pub deleted_at: Option<DateTime<Utc>>,
    /// When a lock-out (`status = locked`) ends by itself; `None` for a lock an admin set.
    pub locked_until: Option<DateTime<Utc>>,
}

impl User {
    /// Whether the account is deleted ([`UserStatus::is_deleted`]): sign-in treats it as
    /// unknown, admin listings show it only when asked for, and nothing else reaches it.
    pub fn is_deleted(&self) -> bool {
        self.status.is_deleted()
    }

    /// Moves the account to `status` at `now`. The one place `deleted_at` is written: set to
    /// `now` when the account becomes deleted, cleared when it is restored, kept otherwise.
    pub fn set_status(&mut self, status: UserStatus, now: DateTime<Utc>) {
        if status.is_deleted() != self.is_deleted() {
            self.deleted_at = status.is_deleted().then_some(now);
        }
        self.status = status;
    }

    /// Whether the account may sign in and use its tokens (a deleted one may not).
    pub fn is_active(&self) -> bool {
        self.status == UserStatus::Active
    }

    /// Whether a reset link may be mailed to and redeemed by this account: an active one, or
    /// one locked out by failed sign-ins (`locked_until` set) — proving the address is how
    /// its owner gets back in. An admin's lock, a disabled or a deleted account may not.
    pub fn may_reset_password(&self) -> bool {
        self.status == UserStatus::Active || (self.status == UserStatus::Locked && self.locked_until.is_some())
    }

    /// Whether the account counts among the active admins, the set that must never become
    /// empty: `status = active` and the `admin` role. A locked, disabled or deleted admin does
    /// not count. `count_active_admins` of every store counts exactly these (PostgreSQL:
    /// `roles.name = 'admin' AND users.status = 'active'`).
    pub fn counts_as_active_admin(&self) -> bool {
        self.status == UserStatus::Active && self.roles.iter().any(|r| r.as_str() == Role::ADMIN)
    }

    pub fn role_names(&self) -> Vec<String> {
        self.roles.iter().map(|r| r.as_str().to_owned()).collect()
    }
}

/// What a new account starts with; the use case turns it into a [`User`].
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: Email,
    pub username: Option<Username>,
    pub password_hash: PasswordHash,
    pub email_verified: bool,
    pub name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(Username::parse(" Ada_L ").unwrap().as_str(), "ada_l");
        for bad in ["ab", "-ada", "ada lovelace", "ada@x", &"a".repeat(33)] {
            assert!(Username::parse(bad).is_err(), "{bad:?}");
        }
        for bad in ["ada\0", "a\u{0}da", "ad\ta", "ada\u{9b}x", "ada\u{200b}", "\u{202e}ada", "ad\u{ad}a"] {
            assert_eq!(Username::parse(bad).unwrap_err().code, "invalid_characters", "{bad:?}");
        }
    }

    #[test]
    fn status_round_trips() {
        for status in [UserStatus::Active, UserStatus::Locked, UserStatus::Disabled, UserStatus::Deleted] {
            assert_eq!(status.as_str().parse::<UserStatus>().unwrap(), status);
        }
        assert!("zombie".parse::<UserStatus>().is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(Profile::parse_name("  Ada  ").unwrap().as_deref(), Some("Ada"));
        assert_eq!(Profile::parse_name("   ").unwrap(), None);
        assert_eq!(Profile::parse_name(&"n".repeat(101)).unwrap_err().code, "too_long");
        assert_eq!(Profile::parse_name("a\u{0007}b").unwrap_err().code, "invalid_characters");
        assert_eq!(Profile::parse_name("Ada\u{202e}ecalevol").unwrap_err().code, "invalid_characters");
        assert_eq!(Profile::parse_name("\u{200b}").unwrap_err().code, "invalid_characters");
    }

    fn user() -> User {
        let now = chrono::Utc::now();
        User {
            id: UserId::from_uuid(Uuid::now_v7()),
            email: Email::from_trusted("root@example.com".into()),
            username: None,
            password_hash: PasswordHash::from_phc("$argon2id$v=19$x".into()),
            email_verified: true,
            status: UserStatus::Active,
            roles: BTreeSet::from([Role::new(Role::USER)]),
            profile: Profile::default(),
            created_at: now,
            updated_at: now,
            last_login_at: None,
            deleted_at: None,
            locked_until: None,
        }
    }

    #[test]
    fn deleted_is_the_status_and_deleted_at_follows_it() {
        let mut user = user();
        let (t0, t1) = (user.created_at, user.created_at + chrono::Duration::seconds(60));
        assert!(!user.is_deleted() && user.is_active() && user.may_reset_password());
        user.set_status(UserStatus::Locked, t0);
        assert_eq!((user.is_deleted(), user.deleted_at), (false, None));
        user.set_status(UserStatus::Deleted, t0);
        assert!(user.is_deleted() && !user.is_active() && !user.may_reset_password());
        assert_eq!(user.deleted_at, Some(t0));
        user.set_status(UserStatus::Deleted, t1);
        assert_eq!(user.deleted_at, Some(t0), "deleted once, at t0");
        user.set_status(UserStatus::Disabled, t1);
        assert_eq!((user.is_deleted(), user.deleted_at), (false, None), "restored");
        user.set_status(UserStatus::Active, t1);
        assert!(user.is_active() && !user.is_deleted());
        for status in [UserStatus::Active, UserStatus::Locked, UserStatus::Disabled, UserStatus::Deleted] {
            assert_eq!(status.is_deleted(), status == UserStatus::Deleted, "{status}");
        }
    }

    #[test]
    fn only_active_accounts_count_as_admins() {
        let mut user = user();
        assert!(!user.counts_as_active_admin(), "not an admin");
        user.roles.insert(Role::new(Role::ADMIN));
        assert!(user.counts_as_active_admin());
        for status in [UserStatus::Locked, UserStatus::Disabled, UserStatus::Deleted] {
            user.status = status;
            assert!(!user.counts_as_active_admin(), "{status}");
        }
    }

    #[test]
    fn password_hash_is_never_printed() {
        let hash = PasswordHash::from_phc("$argon2id$v=19$secret".into());
        assert!(!format!("{hash:?}").contains("argon2id"));
    }
}
