use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{DomainEvent, EventType, SessionId, UserId};

/// How long a ticket of `POST /v1/ws/ticket` opens a socket (once).
pub const TICKET_TTL: Duration = Duration::from_secs(30);

/// Why the server closes a socket: the WebSocket close code a client acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseCode {
    /// 1001: the replica is stopping; reconnect (to another replica) and resynchronise.
    GoingAway,
    /// 1008: the client broke a rule: it did not read fast enough (its send buffer filled),
    /// stopped answering pings, or sent a frame too large or not understood.
    PolicyViolation,
    /// 4001: the socket's session was revoked (logout, revoked by the user or an admin).
    SessionRevoked,
    /// 4002: the socket's access token expired without a fresh one (`{"type":"auth"}`), or the
    /// fresh one was refused.
    TokenExpired,
}

impl CloseCode {
    pub fn code(self) -> u16 {
        match self {
            Self::GoingAway => 1001,
            Self::PolicyViolation => 1008,
            Self::SessionRevoked => 4001,
            Self::TokenExpired => 4002,
        }
    }

    /// The close frame's reason text.
    pub fn reason(self) -> &'static str {
        match self {
            Self::GoingAway => "server shutting down",
            Self::PolicyViolation => "policy violation",
            Self::SessionRevoked => "session revoked",
            Self::TokenExpired => "token expired",
        }
    }
}

/// Who a socket is for: a user's session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketOwner {
    pub user_id: UserId,
    pub session_id: SessionId,
}

/// What an authenticated upgrade (or a renewal) grants: the owner, until the access token
/// expires (then the socket closes with 4002 unless renewed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketGrant {
    pub owner: SocketOwner,
    pub expires_at: DateTime<Utc>,
}

/// A one-time ticket: opens one socket for its session within [`TICKET_TTL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsTicket {
    pub ticket: String,
    pub expires_at: DateTime<Utc>,
}

/// One frame the server sends: `{type, id, time, data}`. `id` is the event's id (a client
/// deduplicates on it), `time` when the change happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Frame {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: Uuid,
    pub time: DateTime<Utc>,
    pub data: serde_json::Value,
}

/// Whose sockets a frame goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Every socket of the user.
    User(UserId),
    /// The sockets of one session only.
    Session(SessionId),
    /// Every socket of the user but those of one session (the one a change came from).
    UserExcept(UserId, SessionId),
}

/// A frame for an audience, and whether the sockets that get it close after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Push {
    pub audience: Audience,
    pub frame: Frame,
    pub close: Option<CloseCode>,
}

impl Push {
    /// What `event` pushes, if anything: `user.updated` → `entity:updated` to the user's
    /// sockets (`{entity: "user", id, changed, updated_at}`); `instance.created|updated|deleted`
    /// → the same type, with the instance as the event carries it, to its owner's sockets;
    /// `session.revoked` → to that session's sockets, which then close (4001);
    /// `presence.updated` → `presence:updated` to the user's sockets but those of the session
    /// whose heartbeat it was. Nothing else reaches a socket.
    pub fn of(event: &DomainEvent) -> Option<Self> {
        let user = || user_of(event);
        match event.event_type {
            EventType::UserUpdated => {
                let user = user()?;
                let data = serde_json::json!({
                    "entity": "user",
                    "id": user.as_uuid(),
                    "changed": event.payload.get("changed").cloned().unwrap_or_else(|| serde_json::json!([])),
                    "updated_at": event.payload.get("updated_at").cloned().unwrap_or(serde_json::Value::Null),
                });
                Some(Self::to(Audience::User(user), "entity:updated", event, data, None))
            }
            EventType::InstanceCreated | EventType::InstanceUpdated | EventType::InstanceDeleted => {
                let user = user()?;
                Some(Self::to(Audience::User(user), event.event_type.as_str(), event, event.payload.clone(), None))
            }
            EventType::SessionRevoked => {
                let session = event.payload.get("session_id").and_then(|v| v.as_str()).and_then(|v| v.parse().ok())?;
                let data = serde_json::json!({
                    "session_id": session,
                    "reason": event.payload.get("reason").cloned().unwrap_or(serde_json::Value::Null),
                });
                let audience = Audience::Session(SessionId::from_uuid(session));
                Some(Self::to(audience, "session.revoked", event, data, Some(CloseCode::SessionRevoked)))
            }
            EventType::PresenceUpdated => {
                let user = user()?;
                let session = event.payload.get("session_id").and_then(|v| v.as_str()).and_then(|v| v.parse().ok())?;
                let field = |name: &str| event.payload.get(name).cloned().unwrap_or(serde_json::Value::Null);
                let data = serde_json::json!({
                    "device_id": field("device_id"),
                    "device_name": field("device_name"),
                    "status": field("status"),
                    "last_active_at": field("last_active_at"),
                });
                let audience = Audience::UserExcept(user, SessionId::from_uuid(session));
                Some(Self::to(audience, "presence:updated", event, data, None))
            }
            _ => None,
        }
    }

    fn to(
        audience: Audience,
        kind: &'static str,
        event: &DomainEvent,
        data: serde_json::Value,
        close: Option<CloseCode>,
    ) -> Self {
        Self { audience, frame: Frame { kind, id: event.id, time: event.occurred_at, data }, close }
    }

    /// Whether a socket of `owner` gets this push.
    pub fn reaches(&self, owner: &SocketOwner) -> bool {
        match self.audience {
            Audience::User(user) => owner.user_id == user,
            Audience::Session(session) => owner.session_id == session,
            Audience::UserExcept(user, session) => owner.user_id == user && owner.session_id != session,
        }
    }

    /// The user whose sockets may get it (`None`: look at every socket's session).
    pub fn user(&self) -> Option<UserId> {
        match self.audience {
            Audience::User(user) | Audience::UserExcept(user, _) => Some(user),
            Audience::Session(_) => None,
        }
    }
}

/// The user an event is about: its payload's `user_id`, else its subject. An event of another
/// service names its user in the payload (the subject may be absent).
fn user_of(event: &DomainEvent) -> Option<UserId> {
    event
        .payload
        .get("user_id")
        .and_then(|v| v.as_str())
        .and_then(|v| v.parse::<Uuid>().ok())
        .or(event.subject)
        .map(UserId::from_uuid)
}

/// A message a client sends on its socket.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type")]
pub enum ClientMessage {
    /// A fresh access token: the socket lives on until it expires.
    #[serde(rename = "auth")]
    Auth { token: String },
    /// The user is active on this device (a heartbeat).
    #[serde(rename = "presence:active")]
    PresenceActive,
}

impl ClientMessage {
    /// The message `text` holds; `None` for anything else (the socket closes with 1008).
    pub fn parse(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::Utc;
    use serde_json::json;
    use uuid::Uuid;

    use super::*;

    fn event(event_type: EventType, subject: Option<Uuid>, payload: serde_json::Value) -> DomainEvent {
        DomainEvent {
            id: Uuid::now_v7(),
            event_type,
            aggregate_id: Uuid::now_v7(),
            subject,
            occurred_at: Utc::now(),
            payload,
        }
    }

    fn owner(user: Uuid, session: Uuid) -> SocketOwner {
        SocketOwner { user_id: UserId::from_uuid(user), session_id: SessionId::from_uuid(session) }
    }

    #[test]
    fn a_user_update_reaches_every_socket_of_that_user_only() {
        let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
        let updated = event(
            EventType::UserUpdated,
            Some(alice),
            json!({"user_id": alice, "changed": ["name"], "updated_at": "2026-01-01T00:00:00Z"}),
        );
        let push = Push::of(&updated).unwrap();
        assert_eq!(push.frame.kind, "entity:updated");
        assert_eq!(push.frame.id, updated.id);
        assert_eq!(push.frame.data["changed"], json!(["name"]));
        assert_eq!(push.frame.data["id"], json!(alice));
        assert!(push.reaches(&owner(alice, Uuid::now_v7())));
        assert!(!push.reaches(&owner(bob, Uuid::now_v7())));
        assert_eq!(push.close, None);
        let frame = serde_json::to_value(&push.frame).unwrap();
        assert_eq!(frame["type"], "entity:updated");
        assert!(frame.get("time").is_some() && frame.get("data").is_some() && frame.get("id").is_some());
    }

    #[test]
    fn instance_events_reach_their_owner_by_the_payload() {
        let (owner_id, other) = (Uuid::now_v7(), Uuid::now_v7());
        for event_type in [EventType::InstanceCreated, EventType::InstanceUpdated, EventType::InstanceDeleted] {
            let push = Push::of(&event(event_type, None, json!({"user_id": owner_id, "version": 2}))).unwrap();
            assert_eq!(push.frame.kind, event_type.as_str());
            assert_eq!(push.frame.data["version"], 2);
            assert!(push.reaches(&owner(owner_id, Uuid::now_v7())));
            assert!(!push.reaches(&owner(other, Uuid::now_v7())));
        }
    }

    #[test]
    fn a_revoked_session_closes_its_own_sockets_only() {
        let (user, session, other_session) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let revoked = event(
            EventType::SessionRevoked,
            Some(user),
            json!({"session_id": session, "user_id": user, "reason": "logout"}),
        );
        let push = Push::of(&revoked).unwrap();
        assert_eq!(push.close, Some(CloseCode::SessionRevoked));
        assert_eq!(push.close.unwrap().code(), 4001);
        assert!(push.reaches(&owner(user, session)));
        assert!(!push.reaches(&owner(user, other_session)));
    }

    #[test]
    fn a_presence_update_reaches_the_users_other_sessions_only() {
        let (user, other, session, device) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let updated = event(
            EventType::PresenceUpdated,
            Some(user),
            json!({"user_id": user, "session_id": session, "device_id": device, "device_name": "phone",
                   "status": "active", "last_active_at": "2026-01-01T00:00:00Z"}),
        );
        let push = Push::of(&updated).unwrap();
        assert_eq!(push.frame.kind, "presence:updated");
        assert_eq!(push.frame.id, updated.id);
        assert_eq!(
            push.frame.data,
            json!({"device_id": device, "device_name": "phone", "status": "active",
                   "last_active_at": "2026-01-01T00:00:00Z"})
        );
        assert_eq!(push.user(), Some(UserId::from_uuid(user)));
        assert!(push.reaches(&owner(user, Uuid::now_v7())));
        assert!(!push.reaches(&owner(user, session)));
        assert!(!push.reaches(&owner(other, Uuid::now_v7())));
    }

    #[test]
    fn other_events_push_nothing() {
        let user = Uuid::now_v7();
        for event_type in [EventType::UserRegistered, EventType::SessionCreated, EventType::AgentCreated] {
            assert_eq!(Push::of(&event(event_type, Some(user), json!({"user_id": user}))), None);
        }
    }

    #[test]
    fn client_messages_parse_and_anything_else_does_not() {
        assert_eq!(
            ClientMessage::parse(r#"{"type":"auth","token":"v4.public.x"}"#),
            Some(ClientMessage::Auth { token: "v4.public.x".into() })
        );
        assert_eq!(ClientMessage::parse(r#"{"type":"presence:active"}"#), Some(ClientMessage::PresenceActive));
        assert_eq!(ClientMessage::parse(r#"{"type":"nonsense"}"#), None);
        assert_eq!(ClientMessage::parse("not json"), None);
    }
}
