//! Groups and app permissions: who may open which app, directly or through a group.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::{Email, FieldError, UserId, UserStatus};

/// A group's id (UUIDv7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupId(Uuid);

impl GroupId {
    pub fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A group's name, as it was given (trimmed). Names are unique regardless of case: two
/// names with the same [`GroupName::key`] are the same name, and groups listed by name are
/// sorted by it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GroupName(String);

impl GroupName {
    pub const MAX_CHARS: usize = 100;

    /// A group name: 1–100 characters after trimming, no control characters, nothing invisible
    /// and no text-direction control.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(FieldError::new("name", "required", "a group needs a name"));
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new("name", "too_long", "a group name has at most 100 characters"));
        }
        if raw.chars().any(char::is_control) {
            return Err(FieldError::new(
                "name",
                "invalid_characters",
                "a group name may not contain control characters",
            ));
        }
        crate::domain::no_invisible("name", raw)?;
        Ok(Self(trimmed.to_owned()))
    }

    /// A name read back from a store (checked by [`GroupName::parse`] on the way in).
    pub fn from_trusted(stored: String) -> Self {
        Self(stored)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form names are unique by and sorted by (Unicode lower case). Stores
    /// compare these keys; PostgreSQL keeps it in `groups.name_key` under a unique constraint.
    pub fn key(&self) -> String {
        Self::fold(&self.0)
    }

    /// The folding of [`GroupName::key`], for a name held as text (`UserApp::groups`).
    pub fn fold(name: &str) -> String {
        name.to_lowercase()
    }
}

impl fmt::Display for GroupName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for GroupName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// A group of users that app grants can be given to.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub id: GroupId,
    pub name: GroupName,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Group {
    pub const DESCRIPTION_MAX_CHARS: usize = 1000;

    /// A description: at most 1000 characters; blank means none. Line breaks are allowed.
    pub fn parse_description(raw: &str) -> Result<Option<String>, FieldError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Ok(None);
        }
        if trimmed.chars().count() > Self::DESCRIPTION_MAX_CHARS {
            return Err(FieldError::new("description", "too_long", "a description has at most 1000 characters"));
        }
        if raw.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err(FieldError::new(
                "description",
                "invalid_characters",
                "a description may not contain control characters",
            ));
        }
        Ok(Some(trimmed.to_owned()))
    }
}

/// The key of an app a user may open (`docs`, `ai.chat`, …): lower-case letters, digits,
/// `_`, `.` and `-`, starting with a letter or digit, at most 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AppKey(String);

impl AppKey {
    pub const MAX_CHARS: usize = 64;
    /// What [`AppKey::parse`] accepts, as the API document and the database's `CHECK` on
    /// `app_permissions.app_key` state it.
    pub const PATTERN: &'static str = "^[a-z0-9][a-z0-9_.-]{0,63}$";

    /// The one check of an app key: every key a request names or a store holds passes here.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        crate::domain::single_line("app_key", raw)?;
        let first_ok = raw.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let rest_ok = raw.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-'));
        if !first_ok || !rest_ok || raw.len() > Self::MAX_CHARS {
            return Err(FieldError::new(
                "app_key",
                "invalid_app_key",
                "an app key has 1–64 lower-case letters, digits, '_', '.' or '-' and starts with a letter or digit",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AppKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who an app grant is given to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Grantee {
    User(UserId),
    Group(GroupId),
}

/// Permission to open an app, given to a user or to every member of a group.
#[derive(Debug, Clone, PartialEq)]
pub struct AppGrant {
    pub app_key: AppKey,
    pub grantee: Grantee,
    pub granted_at: DateTime<Utc>,
    /// The admin who granted it (`None` once that account is gone, or for system grants).
    pub granted_by: Option<UserId>,
}

/// A member of a group, as an admin sees it in the member list.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupMember {
    pub user_id: UserId,
    pub email: Email,
    pub name: Option<String>,
    pub status: UserStatus,
    pub added_at: DateTime<Utc>,
}

/// An app a user may open, and why: granted directly, through groups, or both.
#[derive(Debug, Clone, PartialEq)]
pub struct UserApp {
    pub app_key: AppKey,
    pub direct: bool,
    /// The groups (by name) whose grants reach the user, sorted by name ([`GroupName::key`]).
    pub groups: Vec<(GroupId, String)>,
}

impl UserApp {
    /// The union of `grants` (the user's own and those of `groups`, the user's groups), one
    /// entry per app, sorted by app key. Grants of groups the user is not in are ignored.
    pub fn union(user: UserId, groups: &[Group], grants: &[AppGrant]) -> Vec<Self> {
        let mut apps: BTreeMap<&AppKey, Self> = BTreeMap::new();
        for grant in grants {
            let entry = apps.entry(&grant.app_key).or_insert_with(|| Self {
                app_key: grant.app_key.clone(),
                direct: false,
                groups: Vec::new(),
            });
            match grant.grantee {
                Grantee::User(id) if id == user => entry.direct = true,
                Grantee::Group(id) => {
                    if let Some(group) = groups.iter().find(|g| g.id == id) {
                        entry.groups.push((group.id, group.name.as_str().to_owned()));
                    }
                }
                Grantee::User(_) => {}
            }
        }
        let mut apps: Vec<Self> = apps.into_values().filter(|a| a.direct || !a.groups.is_empty()).collect();
        for app in &mut apps {
            app.groups.sort_by_key(|g| GroupName::fold(&g.1));
        }
        apps
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn app_keys_follow_the_rules() {
        for ok in ["docs", "ai.chat", "0day", "a_b-c.d", &"a".repeat(64)] {
            assert!(AppKey::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Docs", "-docs", ".x", "a b", "ä", "docs/", &"a".repeat(65)] {
            assert_eq!(AppKey::parse(bad).unwrap_err().code, "invalid_app_key", "{bad:?}");
        }
        for bad in ["docs\n", "do\0cs"] {
            assert!(AppKey::parse(bad).is_err(), "{bad:?}");
        }
        // The pattern the document and the database state is this check's.
        let longest = AppKey::MAX_CHARS - 1;
        assert_eq!(AppKey::PATTERN, format!("^[a-z0-9][a-z0-9_.-]{{0,{longest}}}$"));
        assert_eq!(AppKey::parse("ai.chat").unwrap().to_string(), "ai.chat");
    }

    #[test]
    fn group_names_are_trimmed_and_bounded() {
        let name = |raw: &str| GroupName::parse(raw).map(|n| n.as_str().to_owned());
        assert_eq!(name("  Editors ").unwrap(), "Editors");
        assert_eq!(name("   ").unwrap_err().code, "required");
        assert_eq!(name(&"x".repeat(101)).unwrap_err().code, "too_long");
        assert_eq!(name(&"x".repeat(100)).unwrap().chars().count(), 100);
        assert_eq!(name("a\u{0}b").unwrap_err().code, "invalid_characters");
        assert_eq!(name("Admins\u{2066}\u{2069}").unwrap_err().code, "invalid_characters");
        assert_eq!(Group::parse_description("  ").unwrap(), None);
        assert_eq!(Group::parse_description("line\nline").unwrap().as_deref(), Some("line\nline"));
    }

    #[test]
    fn group_names_are_one_name_whatever_their_case() {
        let key = |raw: &str| GroupName::parse(raw).unwrap().key();
        assert_eq!(key(" Editors "), "editors");
        assert_eq!(key("EDITORS"), key("editors"));
        assert_eq!(key("ÄRZTE Team"), key("ärzte team"), "Unicode lower case, not ASCII only");
        assert_ne!(key("Editors"), key("Editors 2"));
        let kept = GroupName::parse("Editors").unwrap();
        assert_eq!((kept.as_str(), kept.to_string()), ("Editors", "Editors".to_owned()), "shown as given");
        assert_ne!(kept, GroupName::parse("editors").unwrap(), "a rename may change the case");
        assert_eq!(serde_json::to_value(&kept).unwrap(), serde_json::json!("Editors"));
        assert_eq!(GroupName::fold("Ada"), "ada");
    }

    #[test]
    fn the_union_merges_direct_and_group_grants() {
        let now = Utc::now();
        let user = UserId::from_uuid(Uuid::from_u128(1));
        let group = |n: u128, name: &str| Group {
            id: GroupId::from_uuid(Uuid::from_u128(n)),
            name: GroupName::parse(name).unwrap(),
            description: None,
            created_at: now,
            updated_at: now,
        };
        let (b, a, other) = (group(10, "beta"), group(11, "Alpha"), group(12, "other"));
        let grant = |key: &str, grantee| AppGrant {
            app_key: AppKey::parse(key).unwrap(),
            grantee,
            granted_at: now,
            granted_by: None,
        };
        let grants = [
            grant("docs", Grantee::Group(b.id)),
            grant("docs", Grantee::User(user)),
            grant("docs", Grantee::Group(a.id)),
            grant("chat", Grantee::Group(b.id)),
            grant("secret", Grantee::Group(other.id)),
            grant("theirs", Grantee::User(UserId::from_uuid(Uuid::from_u128(2)))),
        ];
        let apps = UserApp::union(user, &[b.clone(), a.clone()], &grants);
        let keys: Vec<&str> = apps.iter().map(|a| a.app_key.as_str()).collect();
        assert_eq!(keys, ["chat", "docs"]);
        assert!(!apps[0].direct);
        assert!(apps[1].direct);
        assert_eq!(apps[1].groups, vec![(a.id, "Alpha".into()), (b.id, "beta".into())]);
    }
}
