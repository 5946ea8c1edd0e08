//! The agents catalog and the users' agent instances: ids, the rules of their fields, their
//! states and versions, and the filters of their listings.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::domain::{FieldError, SearchPrefix, UserId, ValidationErrors};
use crate::kernel::uuid_id;

uuid_id!(
    /// An agent's id in the catalog.
    AgentId
);
uuid_id!(
    /// An agent instance's id.
    InstanceId
);

/// A name of an agent or an instance: 1–100 characters after trimming, one line, nothing
/// invisible.
pub fn parse_name(field: &str, raw: &str) -> Result<String, FieldError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(FieldError::new(field, "required", "a name is required"));
    }
    if trimmed.chars().count() > 100 {
        return Err(FieldError::new(field, "too_long", "a name has at most 100 characters"));
    }
    crate::domain::single_line(field, raw)?;
    crate::domain::no_invisible(field, raw)?;
    Ok(trimmed.to_owned())
}

/// The pattern of a category and of a tag: a lower-case slug of 1–32 characters.
pub const SLUG_PATTERN: &str = "^[a-z0-9][a-z0-9-]{0,31}$";

/// A category or a tag: a lower-case slug ([`SLUG_PATTERN`]).
pub fn parse_slug(field: &str, raw: &str) -> Result<String, FieldError> {
    let valid = (1..=32).contains(&raw.len())
        && raw.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(raw.to_owned())
    } else {
        Err(FieldError::new(
            field,
            "invalid_slug",
            "1–32 lower-case letters, digits and hyphens, not starting with a hyphen",
        ))
    }
}

/// An agent of the catalog. Admins change it; signed-in users read the enabled ones.
#[derive(Debug, Clone, PartialEq)]
pub struct Agent {
    pub id: AgentId,
    pub name: String,
    pub description: String,
    pub category: String,
    /// Distinct, sorted.
    pub tags: Vec<String>,
    /// Disabled agents stay in the catalog for admins; users neither see them nor create
    /// instances of them.
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Deleted agents leave the catalog; instances keep naming them.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// The fields of an agent an admin sets: every one on create, any of them on update.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgentFields {
    pub name: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub tags: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

impl AgentFields {
    pub const MAX_TAGS: usize = 16;
    pub const MAX_DESCRIPTION: usize = 2000;

    /// Checks every given field (all errors at once); `create` also needs `name` and
    /// `category`.
    pub fn validate(mut self, create: bool) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        match self.name.as_deref().map(|raw| parse_name("name", raw)) {
            Some(Ok(name)) => self.name = Some(name),
            Some(Err(error)) => errors.push(error),
            None if create => errors.push(FieldError::new("name", "required", "an agent needs a name")),
            None => {}
        }
        if let Some(description) = &self.description {
            if description.chars().count() > Self::MAX_DESCRIPTION {
                errors.push(FieldError::new("description", "too_long", "a description has at most 2000 characters"));
            } else if let Err(error) = crate::domain::free_text("description", description) {
                errors.push(error);
            }
        }
        match self.category.as_deref().map(|raw| parse_slug("category", raw)) {
            Some(Err(error)) => errors.push(error),
            None if create => errors.push(FieldError::new("category", "required", "an agent needs a category")),
            _ => {}
        }
        if let Some(tags) = &mut self.tags {
            if tags.len() > Self::MAX_TAGS {
                errors.push(FieldError::new("tags", "too_many", "an agent has at most 16 tags"));
            }
            for (i, tag) in tags.iter().enumerate() {
                if let Err(error) = parse_slug(&format!("tags[{i}]"), tag) {
                    errors.push(error);
                }
            }
            tags.sort();
            tags.dedup();
        }
        if errors.is_empty() { Ok(self) } else { Err(errors) }
    }

    /// Applies the given fields to `agent` and names those that changed.
    pub fn apply(self, agent: &mut Agent) -> Vec<&'static str> {
        let mut changed = Vec::new();
        if let Some(name) = self.name.filter(|n| *n != agent.name) {
            agent.name = name;
            changed.push("name");
        }
        if let Some(description) = self.description.filter(|d| *d != agent.description) {
            agent.description = description;
            changed.push("description");
        }
        if let Some(category) = self.category.filter(|c| *c != agent.category) {
            agent.category = category;
            changed.push("category");
        }
        if let Some(tags) = self.tags.filter(|t| *t != agent.tags) {
            agent.tags = tags;
            changed.push("tags");
        }
        if let Some(enabled) = self.enabled.filter(|e| *e != agent.enabled) {
            agent.enabled = enabled;
            changed.push("enabled");
        }
        changed
    }
}

/// Which agents a listing shows (all conditions hold), by id ascending, never deleted ones.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgentFilter {
    /// Case-insensitive prefix of the name.
    pub search: Option<SearchPrefix>,
    pub category: Option<String>,
    /// Agents that carry this tag.
    pub tag: Option<String>,
    /// Users see enabled agents only; admins see all.
    pub enabled_only: bool,
    pub after: Option<Uuid>,
    pub limit: usize,
}

impl AgentFilter {
    /// Whether `agent` is listed (the memory store's filter; PostgreSQL's `WHERE` says the same).
    pub fn matches(&self, agent: &Agent) -> bool {
        agent.deleted_at.is_none()
            && (!self.enabled_only || agent.enabled)
            && self.search.as_ref().is_none_or(|s| s.matches(&agent.name))
            && self.category.as_ref().is_none_or(|c| *c == agent.category)
            && self.tag.as_ref().is_none_or(|t| agent.tags.contains(t))
            && self.after.is_none_or(|after| agent.id.as_uuid() > after)
    }
}

/// Where an instance is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InstanceState {
    /// Being set up (by the provisioner, when there is one).
    Provisioning,
    Ready,
    Failed,
    Stopped,
    /// Soft-deleted: gone for its owner, kept for the record.
    Deleted,
}

impl InstanceState {
    pub const ALL: [Self; 5] = [Self::Provisioning, Self::Ready, Self::Failed, Self::Stopped, Self::Deleted];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Provisioning => "provisioning",
            Self::Ready => "ready",
            Self::Failed => "failed",
            Self::Stopped => "stopped",
            Self::Deleted => "deleted",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == raw)
    }

    /// A state a live instance can be in (a listing's filter, another service's update):
    /// any but `deleted`.
    pub fn parse_live(raw: &str) -> Result<Self, FieldError> {
        Self::parse(raw)
            .filter(|state| *state != Self::Deleted)
            .ok_or_else(|| FieldError::new("state", "invalid_state", "state is provisioning, ready, failed or stopped"))
    }
}

/// A user's instance of an agent.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    pub id: InstanceId,
    pub user_id: UserId,
    pub agent_id: AgentId,
    pub name: String,
    /// A JSON object, at most [`Instance::MAX_CONFIG_BYTES`] serialised.
    pub config: Value,
    pub state: InstanceState,
    /// 1 when created, one more with every change: the `ETag` and the events' `version`.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

impl Instance {
    pub const MAX_CONFIG_BYTES: usize = 16 * 1024;

    /// A configuration: a JSON object of at most 16 KiB, whose strings hold no NUL.
    pub fn check_config(config: &Value) -> Result<(), FieldError> {
        if !config.is_object() {
            return Err(FieldError::new("config", "invalid_type", "config is a JSON object"));
        }
        let serialised = config.to_string();
        if serialised.len() > Self::MAX_CONFIG_BYTES {
            return Err(FieldError::new("config", "too_large", "config is at most 16 KiB of JSON"));
        }
        if serialised.contains("\\u0000") {
            return Err(FieldError::new("config", "invalid_characters", "config may not contain NUL characters"));
        }
        Ok(())
    }

    /// Whether the owner still has it.
    pub fn is_live(&self) -> bool {
        self.deleted_at.is_none()
    }

    /// Counts a change made at `now`.
    pub fn bump(&mut self, now: DateTime<Utc>) {
        self.version += 1;
        self.updated_at = now;
    }

    /// Soft-deletes it at `now`.
    pub fn delete(&mut self, now: DateTime<Utc>) {
        self.state = InstanceState::Deleted;
        self.deleted_at = Some(now);
        self.bump(now);
    }

    /// The strong `ETag` of this version (`"3"`).
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.version)
    }

    /// Whether an `If-Match` value names this version (`*` names any; a weak tag never
    /// matches, as RFC 9110 wants for `If-Match`).
    pub fn matches_etag(&self, if_match: &str) -> bool {
        if_match.split(',').map(str::trim).any(|tag| tag == "*" || tag == self.etag())
    }
}

/// Which instances a listing shows, newest first, never deleted ones.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceFilter {
    pub user: UserId,
    pub state: Option<InstanceState>,
    pub after: Option<Uuid>,
    pub limit: usize,
}

impl InstanceFilter {
    pub fn matches(&self, instance: &Instance) -> bool {
        instance.user_id == self.user
            && instance.is_live()
            && self.state.is_none_or(|state| instance.state == state)
            && self.after.is_none_or(|after| instance.id.as_uuid() < after)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn agent_fields_are_checked_together() {
        let fields = AgentFields {
            name: Some("  Writer ".into()),
            category: Some("Writing".into()),
            tags: Some(vec!["b".into(), "a".into(), "b".into(), "-x".into()]),
            ..AgentFields::default()
        };
        let errors = fields.validate(true).unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["category", "tags[3]"]);
        let ok = AgentFields {
            name: Some("  Writer ".into()),
            category: Some("writing".into()),
            tags: Some(vec!["b".into(), "a".into(), "b".into()]),
            ..AgentFields::default()
        }
        .validate(true)
        .unwrap();
        assert_eq!(ok.name.as_deref(), Some("Writer"));
        assert_eq!(ok.tags.unwrap(), ["a", "b"]);
        assert!(AgentFields::default().validate(true).is_err());
        assert!(AgentFields::default().validate(false).is_ok());
    }

    #[test]
    fn etags_name_one_version() {
        let now = Utc::now();
        let mut instance = Instance {
            id: InstanceId::from_uuid(Uuid::now_v7()),
            user_id: UserId::from_uuid(Uuid::now_v7()),
            agent_id: AgentId::from_uuid(Uuid::now_v7()),
            name: "mine".into(),
            config: serde_json::json!({}),
            state: InstanceState::Ready,
            version: 1,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        };
        assert!(instance.matches_etag("\"1\""));
        assert!(instance.matches_etag("\"0\", \"1\""));
        assert!(instance.matches_etag("*"));
        assert!(!instance.matches_etag("W/\"1\""));
        instance.bump(now);
        assert!(!instance.matches_etag("\"1\""));
        assert_eq!(instance.etag(), "\"2\"");
        instance.delete(now);
        assert_eq!((instance.state, instance.version, instance.is_live()), (InstanceState::Deleted, 3, false));
    }

    #[test]
    fn configs_are_small_objects() {
        assert!(Instance::check_config(&serde_json::json!({"a": 1})).is_ok());
        assert!(Instance::check_config(&serde_json::json!([1])).is_err());
        assert!(Instance::check_config(&serde_json::json!({"a": "x".repeat(17 * 1024)})).is_err());
        assert!(Instance::check_config(&serde_json::json!({"a": "\u{0}"})).is_err());
    }
}
