use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use uuid::Uuid;

/// The type of a domain event: its RabbitMQ routing key and CloudEvents `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    UserRegistered,
    UserVerified,
    UserUpdated,
    UserDeleted,
    SessionCreated,
    SessionRevoked,
    PasswordChanged,
    MfaEnabled,
    MfaDisabled,
    AgentCreated,
    AgentUpdated,
    AgentDeleted,
    InstanceCreated,
    InstanceUpdated,
    InstanceDeleted,
    PresenceUpdated,
}

impl EventType {
    pub const ALL: [Self; 16] = [
        Self::UserRegistered,
        Self::UserVerified,
        Self::UserUpdated,
        Self::UserDeleted,
        Self::SessionCreated,
        Self::SessionRevoked,
        Self::PasswordChanged,
        Self::MfaEnabled,
        Self::MfaDisabled,
        Self::AgentCreated,
        Self::AgentUpdated,
        Self::AgentDeleted,
        Self::InstanceCreated,
        Self::InstanceUpdated,
        Self::InstanceDeleted,
        Self::PresenceUpdated,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::UserRegistered => "user.registered",
            Self::UserVerified => "user.verified",
            Self::UserUpdated => "user.updated",
            Self::UserDeleted => "user.deleted",
            Self::SessionCreated => "session.created",
            Self::SessionRevoked => "session.revoked",
            Self::PasswordChanged => "password.changed",
            Self::MfaEnabled => "mfa.enabled",
            Self::MfaDisabled => "mfa.disabled",
            Self::AgentCreated => "agent.created",
            Self::AgentUpdated => "agent.updated",
            Self::AgentDeleted => "agent.deleted",
            Self::InstanceCreated => "instance.created",
            Self::InstanceUpdated => "instance.updated",
            Self::InstanceDeleted => "instance.deleted",
            Self::PresenceUpdated => "presence.updated",
        }
    }

    /// The kind of aggregate the event is about (`user`, `session`, `agent`, `instance`).
    pub fn aggregate_type(&self) -> &'static str {
        match self {
            Self::UserRegistered
            | Self::UserVerified
            | Self::UserUpdated
            | Self::UserDeleted
            | Self::PasswordChanged
            | Self::MfaEnabled
            | Self::MfaDisabled
            | Self::PresenceUpdated => "user",
            Self::SessionCreated | Self::SessionRevoked => "session",
            Self::AgentCreated | Self::AgentUpdated | Self::AgentDeleted => "agent",
            Self::InstanceCreated | Self::InstanceUpdated | Self::InstanceDeleted => "instance",
        }
    }

    /// The event type named `s` (its routing key), if it is one of [`Self::ALL`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::EventType;

    #[test]
    fn every_event_type_round_trips_through_its_name() {
        for event_type in EventType::ALL {
            assert_eq!(EventType::parse(event_type.as_str()), Some(event_type), "{event_type:?}");
        }
        let mut names: Vec<&str> = EventType::ALL.iter().map(EventType::as_str).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), EventType::ALL.len(), "two event types share a name");
        assert_eq!(EventType::parse("nonsense.event"), None);
        assert_eq!(EventType::parse("USER.REGISTERED"), None);
    }

    /// An exhaustive match: a new variant does not compile here until it has a place in
    /// `ALL` (and so in `parse` and in the store contract that relays every type).
    #[test]
    fn all_lists_every_variant_once() {
        fn position(event_type: EventType) -> usize {
            match event_type {
                EventType::UserRegistered => 0,
                EventType::UserVerified => 1,
                EventType::UserUpdated => 2,
                EventType::UserDeleted => 3,
                EventType::SessionCreated => 4,
                EventType::SessionRevoked => 5,
                EventType::PasswordChanged => 6,
                EventType::MfaEnabled => 7,
                EventType::MfaDisabled => 8,
                EventType::AgentCreated => 9,
                EventType::AgentUpdated => 10,
                EventType::AgentDeleted => 11,
                EventType::InstanceCreated => 12,
                EventType::InstanceUpdated => 13,
                EventType::InstanceDeleted => 14,
                EventType::PresenceUpdated => 15,
            }
        }
        for (i, event_type) in EventType::ALL.into_iter().enumerate() {
            assert_eq!(position(event_type), i, "{event_type:?}");
        }
    }
}

/// Something that happened to an aggregate. Use cases record events; the adapter stores them
/// in the same transaction as the state change (PostgreSQL: the `outbox` table), and a relay
/// publishes them later. `id` doubles as the message id consumers deduplicate on.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainEvent {
    pub id: Uuid,
    pub event_type: EventType,
    pub aggregate_id: Uuid,
    /// The user the event concerns (CloudEvents `subject`).
    pub subject: Option<Uuid>,
    pub occurred_at: DateTime<Utc>,
    pub payload: serde_json::Value,
}

impl DomainEvent {
    /// Builds an event whose payload is `data` serialised to JSON.
    pub fn new(
        id: Uuid,
        event_type: EventType,
        aggregate_id: Uuid,
        subject: Option<Uuid>,
        occurred_at: DateTime<Utc>,
        data: &impl Serialize,
    ) -> Self {
        // Serialising plain structs of strings, ids and times cannot fail.
        let payload = serde_json::to_value(data).unwrap_or(serde_json::Value::Null);
        Self { id, event_type, aggregate_id, subject, occurred_at, payload }
    }
}

/// Payload of `user.registered`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct UserRegisteredData<'a> {
    pub user_id: Uuid,
    /// Normalised (lower-case).
    pub email: &'a str,
    pub username: Option<&'a str>,
    /// Whether the address is proven already (two-step registration).
    pub email_verified: bool,
    pub registered_at: DateTime<Utc>,
}

/// Payload of `session.created`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SessionCreatedData<'a> {
    pub session_id: Uuid,
    pub user_id: Uuid,
    pub user_agent: Option<&'a str>,
    pub ip: Option<String>,
    /// How the user proved who they are: `["pwd"]` for a password login.
    pub amr: &'a [String],
    pub expires_at: DateTime<Utc>,
}

/// Payload of `user.verified`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct UserVerifiedData<'a> {
    pub user_id: Uuid,
    /// The address that was confirmed.
    pub email: &'a str,
    pub verified_at: DateTime<Utc>,
}

/// Payload of `session.revoked`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SessionRevokedData {
    pub session_id: Uuid,
    pub user_id: Uuid,
    /// Why the session ended.
    pub reason: crate::domain::RevocationReason,
    pub revoked_at: DateTime<Utc>,
}

/// Payload of `presence.updated`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PresenceUpdatedData<'a> {
    pub user_id: Uuid,
    /// The session whose socket sent the heartbeat (its own sockets are not told).
    pub session_id: Uuid,
    /// The device that became active.
    pub device_id: Uuid,
    pub device_name: Option<&'a str>,
    /// `active`: the device's first heartbeat after being absent for the presence TTL.
    pub status: &'static str,
    pub last_active_at: DateTime<Utc>,
}

/// Payload of `password.changed`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PasswordChangedData {
    pub user_id: Uuid,
    /// `change` (the user knew the old password) or `reset` (by an emailed link).
    pub method: &'static str,
    pub changed_at: DateTime<Utc>,
}

/// Payload of `mfa.enabled` and `mfa.disabled`: one event per second factor added or
/// removed.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MfaChangedData {
    pub user_id: Uuid,
    /// The second factor added or removed.
    pub method_id: Uuid,
    /// Its kind: `totp` (an authenticator app).
    pub kind: &'static str,
    /// Whether an admin removed it (`DELETE /v1/admin/users/{id}/mfa`); `false` when the user
    /// did, and always for `mfa.enabled`.
    pub by_admin: bool,
    /// Whether the account has a second factor after the change: sign-ins need one while it
    /// does.
    pub mfa_enabled: bool,
    pub changed_at: DateTime<Utc>,
}

/// Payload of `user.updated`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct UserUpdatedData {
    pub user_id: Uuid,
    /// What changed: profile fields (`name`, `display_name`, `company`, `phone`, `telegram`,
    /// `avatar_url`, `locale`, `time_zone`, `region`, `currency`, `preferences`), or `email`
    /// (the user changed their address with the link mailed to it: the new one is verified), or
    /// `roles` / `status` (admin changes), or `groups` / `apps` (group membership and app grants: a
    /// membership change sends `["groups", "apps"]` for that user; a grant or revocation sends
    /// `["apps"]` to the user, or to every member of the group; deleting a group sends
    /// `["groups", "apps"]` to each former member).
    pub changed: Vec<String>,
    pub updated_at: DateTime<Utc>,
}

/// Payload of `user.deleted` (a soft delete: the account is kept for the retention period).
#[derive(Debug, Serialize, JsonSchema)]
pub struct UserDeletedData {
    pub user_id: Uuid,
    pub deleted_at: DateTime<Utc>,
}

/// Payload of `agent.created` and `agent.updated`: the catalog entry as it is now.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AgentData<'a> {
    pub agent_id: Uuid,
    /// The agent's name in the catalog.
    pub name: &'a str,
    pub category: &'a str,
    pub tags: &'a [String],
    /// Whether users may create instances of it.
    pub enabled: bool,
    /// The fields that changed (`name`, `description`, `category`, `tags`, `enabled`); empty
    /// for `agent.created`.
    pub changed: Vec<&'static str>,
    pub updated_at: DateTime<Utc>,
}

/// Payload of `agent.deleted` (the entry leaves the catalog; instances keep naming it).
#[derive(Debug, Serialize, JsonSchema)]
pub struct AgentDeletedData {
    pub agent_id: Uuid,
    pub deleted_at: DateTime<Utc>,
}

/// Payload of `instance.created`, `instance.updated` and `instance.deleted`: the instance as
/// it is after the change. `version` grows by one with every change; a consumer that has seen
/// a higher version of the instance ignores a lower one.
#[derive(Debug, Serialize, JsonSchema)]
pub struct InstanceData<'a> {
    pub instance_id: Uuid,
    /// The user the instance belongs to.
    pub user_id: Uuid,
    /// The catalog agent it is an instance of.
    pub agent_id: Uuid,
    pub name: &'a str,
    /// `provisioning`, `ready`, `failed`, `stopped` or `deleted`.
    pub state: &'a str,
    /// Grows by one with every change; ignore a lower version than one already seen.
    pub version: i64,
    /// The fields that changed (`name`, `config`, `state`); empty for `instance.created`,
    /// `["state"]` for `instance.deleted`.
    pub changed: Vec<&'static str>,
    pub updated_at: DateTime<Utc>,
}
