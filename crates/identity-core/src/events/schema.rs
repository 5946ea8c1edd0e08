//! The published contract of every event type: when it is emitted, and the JSON Schema
//! (draft 2020-12) of its payload and of the whole CloudEvents 1.0 message. One exhaustive
//! match ([`contract`]) pairs each [`EventType`] with its payload type, so a new event type
//! does not compile without its schema. `cargo xtask events` writes them to `docs/events/`.

use std::borrow::Cow;

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde_json::{Value, json};

use super::model::{
    AgentData, AgentDeletedData, EventType, InstanceData, MfaChangedData, PasswordChangedData, PresenceUpdatedData,
    SessionCreatedData, SessionRevokedData, UserDeletedData, UserRegisteredData, UserUpdatedData, UserVerifiedData,
};
use crate::domain::RevocationReason;

/// The dialect of every schema: JSON Schema draft 2020-12.
const META_SCHEMA: &str = "https://json-schema.org/draft/2020-12/schema";

/// What one event type promises: when it is emitted, and its payload's schema.
struct Contract {
    summary: &'static str,
    data: fn(SchemaGenerator) -> Schema,
}

fn schema_of<T: JsonSchema>(generator: SchemaGenerator) -> Schema {
    generator.into_root_schema_for::<T>()
}

/// The one place that maps an event type to its payload type.
fn contract(event_type: EventType) -> Contract {
    let (summary, data): (&'static str, fn(SchemaGenerator) -> Schema) = match event_type {
        EventType::UserRegistered => (
            "An account was registered. Two-step registration creates the account verified: its \
             `user.registered` says `email_verified: true` and no `user.verified` follows.",
            schema_of::<UserRegisteredData<'static>>,
        ),
        EventType::UserVerified => {
            ("The account's address was proven by the mailed link.", schema_of::<UserVerifiedData<'static>>)
        }
        EventType::UserUpdated => (
            "The user changed their profile or their address, an admin changed their roles or \
             status, or their group memberships or app grants changed.",
            schema_of::<UserUpdatedData>,
        ),
        EventType::UserDeleted => (
            "An account was deleted: a soft delete (the account's data is kept for the retention \
             period; its address stays reserved).",
            schema_of::<UserDeletedData>,
        ),
        EventType::SessionCreated => {
            ("A user signed in: a new session began.", schema_of::<SessionCreatedData<'static>>)
        }
        EventType::SessionRevoked => (
            "A session ended: one event per ended session; aggregate and CloudEvents `subject` are the \
             session and the user.",
            schema_of::<SessionRevokedData>,
        ),
        EventType::PasswordChanged => (
            "A user's password was changed (with the old one) or reset (by an emailed link).",
            schema_of::<PasswordChangedData>,
        ),
        EventType::MfaEnabled => (
            "A user confirmed a new second factor (an authenticator app): from now on their sign-ins \
             need it. Aggregate and CloudEvents `subject` are the user.",
            schema_of::<MfaChangedData>,
        ),
        EventType::MfaDisabled => (
            "A second factor was removed, by the user or by an admin (`by_admin`): one event per \
             factor. `mfa_enabled: false` when the account has none left (sign-ins need the password \
             only).",
            schema_of::<MfaChangedData>,
        ),
        EventType::AgentCreated => {
            ("An admin added an agent to the catalog; `changed` is empty.", schema_of::<AgentData<'static>>)
        }
        EventType::AgentUpdated => {
            ("An admin changed an agent of the catalog; `changed` lists what changed.", schema_of::<AgentData<'static>>)
        }
        EventType::AgentDeleted => (
            "An admin removed an agent from the catalog (the instances of it keep naming it).",
            schema_of::<AgentDeletedData>,
        ),
        EventType::InstanceCreated => (
            "A user's agent instance was created; `changed` is empty. `version` grows by one with \
             every change: a consumer ignores a lower version than one it has seen.",
            schema_of::<InstanceData<'static>>,
        ),
        EventType::InstanceUpdated => (
            "A user's agent instance changed: its name, config or state (`changed` says which). \
             `version` grows by one with every change: a consumer ignores a lower version than one it \
             has seen.",
            schema_of::<InstanceData<'static>>,
        ),
        EventType::InstanceDeleted => (
            "A user's agent instance was soft-deleted: `state` is `deleted` and `changed` is \
             `[\"state\"]`. `version` grows by one with every change: a consumer ignores a lower \
             version than one it has seen.",
            schema_of::<InstanceData<'static>>,
        ),
        EventType::PresenceUpdated => (
            "One of a user's devices became active: its first WebSocket heartbeat \
             (`presence:active`) after being absent for the presence TTL. A hint for the user's \
             other sockets (`presence:updated`); a device going away is not an event.",
            schema_of::<PresenceUpdatedData<'static>>,
        ),
    };
    Contract { summary, data }
}

impl EventType {
    /// When the event is emitted (the `description` of its message schema).
    pub fn summary(&self) -> &'static str {
        contract(*self).summary
    }

    /// The JSON Schema of the event's payload (CloudEvents `data`) as it is serialised: every
    /// field present (an absent value is `null`), no other field.
    pub fn data_schema(&self) -> Schema {
        let mut settings = SchemaSettings::draft2020_12().for_serialize();
        settings.meta_schema = None;
        let mut schema = (contract(*self).data)(settings.into_generator());
        // The Rust type's name means nothing to a consumer.
        schema.remove("title");
        schema.insert("additionalProperties".into(), Value::Bool(false));
        schema
    }

    /// The JSON Schema (draft 2020-12) of the whole message as published: the CloudEvents 1.0
    /// envelope (docs/events.md) with [`Self::data_schema`] as `data`.
    pub fn message_schema(&self) -> Value {
        json!({
            "$schema": META_SCHEMA,
            "title": self.as_str(),
            "description": self.summary(),
            "type": "object",
            "properties": {
                "specversion": { "const": "1.0" },
                "id": {
                    "description": "The event id (UUIDv7), also the AMQP `message_id`: consumers deduplicate on it.",
                    "type": "string",
                    "format": "uuid",
                },
                "type": {
                    "description": "The event type, also the routing key.",
                    "const": self.as_str(),
                },
                "source": {
                    "description": "`EVENT_SOURCE` (default `/identity`).",
                    "type": "string",
                    "minLength": 1,
                },
                "time": {
                    "description": "When it happened (RFC 3339, UTC).",
                    "type": "string",
                    "format": "date-time",
                },
                "subject": {
                    "description": "The id of the user the event concerns, when there is one.",
                    "type": "string",
                    "format": "uuid",
                },
                "datacontenttype": { "const": "application/json" },
                "data": self.data_schema().to_value(),
            },
            "required": ["specversion", "id", "type", "source", "time", "datacontenttype", "data"],
            "additionalProperties": false,
        })
    }
}

/// `session.revoked`'s `reason`: one of [`RevocationReason::ALL`] as [`RevocationReason::as_str`].
impl JsonSchema for RevocationReason {
    fn schema_name() -> Cow<'static, str> {
        "RevocationReason".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let reasons: Vec<&str> = Self::ALL.iter().map(Self::as_str).collect();
        json_schema!({ "type": "string", "enum": reasons })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use crate::domain::EventType;

    /// Every payload schema is a closed object that requires each of its fields, with no
    /// reference left to resolve.
    #[test]
    fn every_payload_schema_is_a_closed_object_requiring_every_field() {
        for event_type in EventType::ALL {
            let schema = event_type.data_schema().to_value();
            assert_eq!(schema["type"], "object", "{event_type:?}");
            assert_eq!(schema["additionalProperties"], false, "{event_type:?}");
            assert!(schema.get("$defs").is_none() && schema.get("$schema").is_none(), "{event_type:?}: {schema}");
            let properties = schema["properties"].as_object().unwrap_or_else(|| panic!("{event_type:?}"));
            let required: Vec<&str> =
                schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            let mut names: Vec<&str> = properties.keys().map(String::as_str).collect();
            let mut sorted = required.clone();
            names.sort_unstable();
            sorted.sort_unstable();
            assert_eq!(names, sorted, "{event_type:?}: every field is always serialised");
        }
    }

    #[test]
    fn the_message_schema_fixes_the_type_and_embeds_the_payload() {
        let schema = EventType::SessionRevoked.message_schema();
        assert_eq!(schema["properties"]["type"]["const"], "session.revoked");
        let reason = &schema["properties"]["data"]["properties"]["reason"];
        assert_eq!(reason["enum"].as_array().map(Vec::len), Some(crate::domain::RevocationReason::ALL.len()));
        assert!(reason["description"].is_string(), "{reason}");
    }
}
