//! What the admin listings show: which users a [`UserFilter`] lists and how a name search
//! matches. The memory store applies these rules as written; the PostgreSQL store says the
//! same in SQL, and the store contract suite checks both against them.

use uuid::Uuid;

use crate::domain::{User, UserStatus};

/// A case-insensitive search for a prefix of a name or address (`?query=` of the admin
/// listings). It matches only at the start: `ada` finds `ada@example.com` and "Ada Lovelace",
/// never `linda@example.com`. Wildcards have no meaning: `%` and `_` match themselves.
///
/// PostgreSQL: `column ILIKE '<as_str with \, % and _ escaped>%'`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchPrefix(String);

impl SearchPrefix {
    /// The search for `query` without surrounding whitespace; `None` when it is blank, which
    /// searches nothing out.
    pub fn parse(query: &str) -> Option<Self> {
        let trimmed = query.trim();
        (!trimmed.is_empty()).then(|| Self(trimmed.to_owned()))
    }

    /// The prefix, trimmed, in the letter case it was given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `text` starts with the prefix, ignoring letter case.
    pub fn matches(&self, text: &str) -> bool {
        text.to_lowercase().starts_with(&self.0.to_lowercase())
    }
}

/// Which users an admin listing shows (all conditions must hold), oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserFilter {
    /// Case-insensitive prefix of the email address or the name.
    pub query: Option<String>,
    /// Deleted accounts are listed only when asked for with `status = deleted`.
    pub status: Option<UserStatus>,
    pub role: Option<String>,
    /// Only users with an id above this (the cursor; ids are UUIDv7, so new accounts sort
    /// last and paging never skips or repeats a row).
    pub after: Option<Uuid>,
    pub limit: usize,
}

impl UserFilter {
    /// The search of [`UserFilter::query`]; `None` when there is none or it is blank.
    pub fn search(&self) -> Option<SearchPrefix> {
        self.query.as_deref().and_then(SearchPrefix::parse)
    }

    /// Whether a user of `status` is listed: the status asked for, or, when none was, every
    /// status but `deleted`.
    pub fn lists_status(&self, status: UserStatus) -> bool {
        match self.status {
            Some(asked) => status == asked,
            None => !status.is_deleted(),
        }
    }

    /// Whether `user` is listed: the search matches its address or its name, its status is
    /// listed ([`UserFilter::lists_status`]), it holds the role, and its id is past the
    /// cursor. The store orders by id and stops at `limit`.
    pub fn matches(&self, user: &User) -> bool {
        let found = self.search().is_none_or(|search| {
            search.matches(user.email.as_str()) || user.profile.name.as_deref().is_some_and(|n| search.matches(n))
        });
        let has_role = self.role.as_deref().is_none_or(|role| user.roles.iter().any(|r| r.as_str() == role));
        let past_cursor = self.after.is_none_or(|after| user.id.as_uuid() > after);
        found && self.lists_status(user.status) && has_role && past_cursor
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeSet;

    use chrono::Utc;

    use super::*;
    use crate::domain::{Email, PasswordHash, Profile, Role, UserId};

    fn user(email: &str, name: Option<&str>, status: UserStatus) -> User {
        let now = Utc::now();
        let mut user = User {
            id: UserId::from_uuid(Uuid::now_v7()),
            email: Email::parse(email).unwrap(),
            username: None,
            password_hash: PasswordHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
            email_verified: true,
            status: UserStatus::Active,
            roles: BTreeSet::from([Role::new(Role::USER)]),
            profile: Profile { name: name.map(str::to_owned), ..Profile::default() },
            created_at: now,
            updated_at: now,
            last_login_at: None,
            deleted_at: None,
            locked_until: None,
        };
        user.set_status(status, now);
        user
    }

    fn search(query: &str) -> UserFilter {
        UserFilter { query: Some(query.into()), limit: 10, ..UserFilter::default() }
    }

    #[test]
    fn a_search_is_a_trimmed_case_insensitive_prefix() {
        assert_eq!(SearchPrefix::parse("  "), None);
        let ada = SearchPrefix::parse(" AdA ").unwrap();
        assert_eq!(ada.as_str(), "AdA");
        assert!(ada.matches("ada@example.com") && ada.matches("Ada Lovelace"));
        assert!(!ada.matches("linda@example.com") && !ada.matches("Lady Ada"));
        assert!(!SearchPrefix::parse("a%").unwrap().matches("ab"), "no wildcards");
        assert!(SearchPrefix::parse("a_b").unwrap().matches("A_B c"));
    }

    #[test]
    fn users_are_found_by_a_prefix_of_their_address_or_name() {
        let ada = user("ada@example.com", Some("Lovelace"), UserStatus::Active);
        let nameless = user("grace@example.com", None, UserStatus::Active);
        assert!(search("ADA").matches(&ada) && search("love").matches(&ada));
        assert!(!search("example").matches(&ada), "not in the middle of the address");
        assert!(!search("lace").matches(&ada), "not in the middle of the name");
        assert!(search("gra").matches(&nameless) && !search("love").matches(&nameless));
        assert!(search(" ").matches(&nameless), "a blank search finds everyone");
    }

    #[test]
    fn deleted_users_are_listed_only_when_asked_for() {
        let all = UserFilter::default();
        for status in [UserStatus::Active, UserStatus::Locked, UserStatus::Disabled] {
            assert!(all.lists_status(status), "{status}");
        }
        assert!(!all.matches(&user("gone@example.com", None, UserStatus::Deleted)));
        let deleted = UserFilter { status: Some(UserStatus::Deleted), ..UserFilter::default() };
        assert!(deleted.matches(&user("gone@example.com", None, UserStatus::Deleted)));
        assert!(!deleted.matches(&user("here@example.com", None, UserStatus::Active)));
    }

    #[test]
    fn role_and_cursor_narrow_the_listing() {
        let mut admin = user("root@example.com", None, UserStatus::Active);
        admin.roles.insert(Role::new(Role::ADMIN));
        let plain = user("joe@example.com", None, UserStatus::Active);
        let admins = UserFilter { role: Some(Role::ADMIN.into()), ..UserFilter::default() };
        assert!(admins.matches(&admin) && !admins.matches(&plain));
        let after_admin = UserFilter { after: Some(admin.id.as_uuid()), ..UserFilter::default() };
        assert!(!after_admin.matches(&admin) && after_admin.matches(&plain), "ids are UUIDv7: plain is newer");
    }
}
