//! Builders of valid domain values for tests.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::domain::*;

/// Now, cut to the microsecond precision PostgreSQL keeps.
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// An address no other test uses.
pub fn unique_email() -> Email {
    Email::from_trusted(format!("user-{}@example.com", Uuid::now_v7().simple()))
}

/// A username no other test uses.
pub fn unique_username() -> Username {
    Username::from_trusted(format!("u{}", &Uuid::now_v7().simple().to_string()[..24]))
}

pub fn user(email: Email) -> User {
    let now = now();
    User {
        id: UserId::from_uuid(Uuid::now_v7()),
        email,
        username: None,
        password_hash: PasswordHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".into()),
        email_verified: false,
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

pub fn session(user: &User) -> Session {
    let now = now();
    Session {
        id: SessionId::from_uuid(Uuid::now_v7()),
        user_id: user.id,
        device_id: None,
        user_agent: Some("Mozilla/5.0 (contract test)".into()),
        ip: Some("203.0.113.7".parse().unwrap_or(std::net::IpAddr::from([127, 0, 0, 1]))),
        amr: vec!["pwd".into()],
        auth_time: now,
        created_at: now,
        last_seen_at: now,
        expires_at: now + Duration::days(30),
        revoked: None,
    }
}

pub fn event(event_type: EventType, aggregate: Uuid) -> DomainEvent {
    DomainEvent::new(
        Uuid::now_v7(),
        event_type,
        aggregate,
        Some(aggregate),
        now(),
        &serde_json::json!({ "aggregate": aggregate, "nonce": Uuid::now_v7() }),
    )
}

pub fn device(user: &User) -> Device {
    let now = now();
    Device {
        id: DeviceId::from_uuid(Uuid::now_v7()),
        user_id: user.id,
        name: Some("Laptop".into()),
        user_agent: Some("Mozilla/5.0 (contract test)".into()),
        created_at: now,
        last_seen_at: now,
    }
}

/// A digest no other test uses.
pub fn digest() -> TokenDigest {
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(Uuid::now_v7().as_bytes());
    bytes[16..].copy_from_slice(Uuid::now_v7().as_bytes());
    TokenDigest(bytes)
}

pub fn refresh_token(session: &Session) -> RefreshToken {
    RefreshToken {
        id: RefreshTokenId::from_uuid(Uuid::now_v7()),
        session_id: session.id,
        digest: digest(),
        issued_at: now(),
        expires_at: session.expires_at,
        consumed_at: None,
        replaced_by: None,
        revoked_at: None,
    }
}

pub fn one_time_token(user: &User, purpose: OneTimePurpose) -> OneTimeToken {
    let now = now();
    OneTimeToken {
        id: Uuid::now_v7(),
        purpose,
        user_id: user.id,
        email: Some(user.email.clone()),
        digest: digest(),
        created_at: now,
        expires_at: now + Duration::hours(1),
        consumed_at: None,
    }
}
