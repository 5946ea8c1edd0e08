//! Groups and app permissions: who may open which app, directly or through a group.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Email, FieldError, UserId, UserStatus};

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

/// A group of users that app grants can be given to. Names are unique regardless of case.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub id: GroupId,
    pub name: String,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Group {
    pub const NAME_MAX_CHARS: usize = 100;
    pub const DESCRIPTION_MAX_CHARS: usize = 1000;

    /// A group name: 1–100 characters after trimming, no control characters, nothing invisible
    /// and no text-direction control.
    pub fn parse_name(raw: &str) -> Result<String, FieldError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(FieldError::new("name", "required", "a group needs a name"));
        }
        if trimmed.chars().count() > Self::NAME_MAX_CHARS {
            return Err(FieldError::new("name", "too_long", "a group name has at most 100 characters"));
        }
        if raw.chars().any(char::is_control) {
            return Err(FieldError::new(
                "name",
                "invalid_characters",
                "a group name may not contain control characters",
            ));
        }
        super::no_invisible("name", raw)?;
        Ok(trimmed.to_owned())
    }

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
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        super::single_line("app_key", raw)?;
        let first_ok = raw.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let rest_ok = raw.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-'));
        if !first_ok || !rest_ok || raw.len() > 64 {
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
    /// The groups (by name) whose grants reach the user, sorted by name.
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
                        entry.groups.push((group.id, group.name.clone()));
                    }
                }
                Grantee::User(_) => {}
            }
        }
        let mut apps: Vec<Self> = apps.into_values().filter(|a| a.direct || !a.groups.is_empty()).collect();
        for app in &mut apps {
            app.groups.sort_by_key(|g| g.1.to_lowercase());
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
    }

    #[test]
    fn group_names_are_trimmed_and_bounded() {
        assert_eq!(Group::parse_name("  Editors ").unwrap(), "Editors");
        assert_eq!(Group::parse_name("   ").unwrap_err().code, "required");
        assert_eq!(Group::parse_name(&"x".repeat(101)).unwrap_err().code, "too_long");
        assert_eq!(Group::parse_name("a\u{0}b").unwrap_err().code, "invalid_characters");
        assert_eq!(Group::parse_name("Admins\u{2066}\u{2069}").unwrap_err().code, "invalid_characters");
        assert_eq!(Group::parse_description("  ").unwrap(), None);
        assert_eq!(Group::parse_description("line\nline").unwrap().as_deref(), Some("line\nline"));
    }

    #[test]
    fn the_union_merges_direct_and_group_grants() {
        let now = Utc::now();
        let user = UserId::from_uuid(Uuid::from_u128(1));
        let group = |n: u128, name: &str| Group {
            id: GroupId::from_uuid(Uuid::from_u128(n)),
            name: name.into(),
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
