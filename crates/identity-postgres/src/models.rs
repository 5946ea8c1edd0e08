//! Row types: how the tables look to diesel, and the explicit conversions to and from the
//! domain. Nothing here leaks out of the adapter.

use std::io::Write;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::prelude::*;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Text;
use identity_core::ports::{LoginAttempt, OutboxEntry, ParkedEntry, TraceContext};
use identity_core::{
    Delivery, Device, DeviceId, DomainEvent, Email, EventType, OneTimePurpose, OneTimeToken, PasswordHash, Profile,
    RefreshToken, RefreshTokenId, Revocation, Session, SessionId, TokenDigest, User, UserId, UserStatus, Username,
};
use ipnet::IpNet;
use uuid::Uuid;

use crate::schema::sql_types::Citext;
use crate::schema::{devices, login_attempts, outbox, refresh_tokens, sessions, user_profiles, users};

/// A `citext` value.
#[derive(Debug, Clone, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = Citext)]
pub struct CiText(pub String);

impl ToSql<Citext, Pg> for CiText {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        out.write_all(self.0.as_bytes())?;
        Ok(IsNull::No)
    }
}

impl FromSql<Citext, Pg> for CiText {
    fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
        <String as FromSql<Text, Pg>>::from_sql(bytes).map(CiText)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = users, check_for_backend(Pg), treat_none_as_null = true)]
pub struct UserRow {
    pub id: Uuid,
    pub email: CiText,
    pub username: Option<CiText>,
    pub password_hash: String,
    pub email_verified: bool,
    pub status: String,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub locked_until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = user_profiles, check_for_backend(Pg), treat_none_as_null = true)]
pub struct ProfileRow {
    pub user_id: Uuid,
    pub name: Option<String>,
    pub display_name: Option<String>,
    pub company: Option<String>,
    pub phone: Option<String>,
    pub telegram: Option<String>,
    pub avatar_url: Option<String>,
    pub locale: String,
    pub time_zone: String,
    pub region: Option<String>,
    pub currency: Option<String>,
    pub preferences: serde_json::Value,
    pub updated_at: DateTime<Utc>,
}

impl UserRow {
    pub fn from_domain(user: &User) -> Self {
        Self {
            id: user.id.as_uuid(),
            email: CiText(user.email.as_str().to_owned()),
            username: user.username.as_ref().map(|u| CiText(u.as_str().to_owned())),
            password_hash: user.password_hash.as_phc().to_owned(),
            email_verified: user.email_verified,
            status: user.status.as_str().to_owned(),
            last_login_at: user.last_login_at,
            created_at: user.created_at,
            updated_at: user.updated_at,
            deleted_at: user.deleted_at,
            locked_until: user.locked_until,
        }
    }

    /// Rebuilds the aggregate from its rows. A status the domain does not know is a broken
    /// invariant, reported as an error rather than guessed.
    pub fn into_domain(self, profile: Option<ProfileRow>, roles: Vec<String>) -> anyhow::Result<User> {
        let status: UserStatus = self.status.parse().map_err(anyhow::Error::msg)?;
        let profile = profile.map_or_else(Profile::default, |p| Profile {
            name: p.name,
            display_name: p.display_name,
            company: p.company,
            phone: p.phone,
            telegram: p.telegram,
            avatar_url: p.avatar_url,
            locale: p.locale,
            time_zone: p.time_zone,
            // Stored codes were validated on the way in; an unknown one falls back to the default.
            region: p.region.and_then(|r| r.parse().ok()).unwrap_or_default(),
            currency: p.currency.and_then(|c| c.parse().ok()).unwrap_or_default(),
            preferences: p.preferences,
        });
        Ok(User {
            id: UserId::from_uuid(self.id),
            email: Email::from_trusted(self.email.0),
            username: self.username.map(|u| Username::from_trusted(u.0)),
            password_hash: PasswordHash::from_phc(self.password_hash),
            email_verified: self.email_verified,
            status,
            roles: roles.into_iter().map(identity_core::Role::new).collect(),
            profile,
            created_at: self.created_at,
            updated_at: self.updated_at,
            last_login_at: self.last_login_at,
            deleted_at: self.deleted_at,
            locked_until: self.locked_until,
        })
    }
}

impl ProfileRow {
    pub fn from_domain(user: &User) -> Self {
        Self {
            user_id: user.id.as_uuid(),
            name: user.profile.name.clone(),
            display_name: user.profile.display_name.clone(),
            company: user.profile.company.clone(),
            phone: user.profile.phone.clone(),
            telegram: user.profile.telegram.clone(),
            avatar_url: user.profile.avatar_url.clone(),
            locale: user.profile.locale.clone(),
            time_zone: user.profile.time_zone.clone(),
            region: Some(user.profile.region.code().to_owned()),
            currency: Some(user.profile.currency.code().to_owned()),
            preferences: user.profile.preferences.clone(),
            updated_at: user.updated_at,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions, check_for_backend(Pg))]
pub struct SessionRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub device_id: Option<Uuid>,
    pub user_agent: Option<String>,
    pub ip_addr: Option<IpNet>,
    pub amr: Vec<String>,
    /// The assurance level `amr` reaches (1 or 2), for SQL readers of the table.
    pub mfa_level: i16,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// `RevocationReason::as_str`, set together with `revoked_at`.
    pub revoked_reason: Option<String>,
    pub auth_time: DateTime<Utc>,
}

impl SessionRow {
    pub fn from_domain(session: &Session) -> Self {
        Self {
            id: session.id.as_uuid(),
            user_id: session.user_id.as_uuid(),
            device_id: session.device_id.map(|d| d.as_uuid()),
            user_agent: session.user_agent.clone(),
            ip_addr: session.ip.map(IpNet::from),
            amr: session.amr.clone(),
            mfa_level: i16::from(session.aal()),
            created_at: session.created_at,
            last_seen_at: session.last_seen_at,
            expires_at: session.expires_at,
            revoked_at: session.revoked.map(|r| r.at),
            revoked_reason: session.revoked.map(|r| r.reason.as_str().to_owned()),
            auth_time: session.auth_time,
        }
    }

    /// Rebuilds the session. A revocation without a reason the domain knows is a broken
    /// invariant, reported as an error rather than guessed.
    pub fn into_domain(self) -> anyhow::Result<Session> {
        let revoked = match (self.revoked_at, self.revoked_reason) {
            (None, None) => None,
            (Some(at), Some(reason)) => {
                let reason = reason.parse().map_err(|e| anyhow::anyhow!("session {}: {e}", self.id))?;
                Some(Revocation { at, reason })
            }
            (at, reason) => {
                anyhow::bail!("session {} has revoked_at {at:?} with revoked_reason {reason:?}", self.id)
            }
        };
        Ok(Session {
            id: SessionId::from_uuid(self.id),
            user_id: UserId::from_uuid(self.user_id),
            device_id: self.device_id.map(DeviceId::from_uuid),
            user_agent: self.user_agent,
            ip: self.ip_addr.map(|net| -> IpAddr { net.addr() }),
            amr: self.amr,
            auth_time: self.auth_time,
            created_at: self.created_at,
            last_seen_at: self.last_seen_at,
            expires_at: self.expires_at,
            revoked,
        })
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = outbox, check_for_backend(Pg))]
pub struct NewOutboxRow {
    pub id: Uuid,
    pub aggregate_type: &'static str,
    pub aggregate_id: Uuid,
    pub subject: Option<Uuid>,
    pub event_type: &'static str,
    pub payload: serde_json::Value,
    pub occurred_at: DateTime<Utc>,
    /// The trace context the event is recorded in (crate::trace), when traces are exported.
    pub traceparent: Option<String>,
    pub tracestate: Option<String>,
}

impl NewOutboxRow {
    pub fn from_domain(event: &DomainEvent) -> Self {
        let trace = crate::trace::current();
        Self {
            id: event.id,
            aggregate_type: event.event_type.aggregate_type(),
            aggregate_id: event.aggregate_id,
            subject: event.subject,
            event_type: event.event_type.as_str(),
            payload: event.payload.clone(),
            occurred_at: event.occurred_at,
            tracestate: trace.as_ref().and_then(|t| t.tracestate.clone()),
            traceparent: trace.map(|t| t.traceparent),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox, check_for_backend(Pg))]
pub struct OutboxRow {
    pub id: Uuid,
    pub seq: i64,
    pub aggregate_id: Uuid,
    pub subject: Option<Uuid>,
    pub event_type: String,
    pub payload: serde_json::Value,
    pub occurred_at: DateTime<Utc>,
    #[diesel(embed)]
    pub delivery: DeliveryRow,
    pub traceparent: Option<String>,
    pub tracestate: Option<String>,
}

/// The relay's columns of an outbox row: core's [`Delivery`], stored as core computed it
/// (`Delivery::fail`, `Delivery::park`) and written back whole.
#[derive(Debug, Clone, Queryable, Selectable, AsChangeset)]
#[diesel(table_name = outbox, check_for_backend(Pg), treat_none_as_null = true)]
pub struct DeliveryRow {
    pub published_at: Option<DateTime<Utc>>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub parked_at: Option<DateTime<Utc>>,
}

impl From<DeliveryRow> for Delivery {
    fn from(row: DeliveryRow) -> Self {
        Self {
            published_at: row.published_at,
            attempts: row.attempts,
            last_error: row.last_error,
            next_attempt_at: row.next_attempt_at,
            parked_at: row.parked_at,
        }
    }
}

impl From<&Delivery> for DeliveryRow {
    fn from(delivery: &Delivery) -> Self {
        Self {
            published_at: delivery.published_at,
            attempts: delivery.attempts,
            last_error: delivery.last_error.clone(),
            next_attempt_at: delivery.next_attempt_at,
            parked_at: delivery.parked_at,
        }
    }
}

impl OutboxRow {
    /// The trace context the event was recorded in, if it was recorded in one.
    pub fn trace(&self) -> Option<TraceContext> {
        Some(TraceContext { traceparent: self.traceparent.clone()?, tracestate: self.tracestate.clone() })
    }

    /// The stored event, or why this row cannot be published (the relay parks it).
    pub fn into_domain(self) -> Result<OutboxEntry, String> {
        let event_type = EventType::parse(&self.event_type)
            .ok_or_else(|| format!("unknown event type {:?} in outbox", self.event_type))?;
        if !self.payload.is_object() {
            return Err(format!("the payload of this {:?} event is not a JSON object", self.event_type));
        }
        Ok(OutboxEntry {
            seq: self.seq,
            event: DomainEvent {
                id: self.id,
                event_type,
                aggregate_id: self.aggregate_id,
                subject: self.subject,
                occurred_at: self.occurred_at,
                payload: self.payload,
            },
            delivery: self.delivery.into(),
        })
    }
}

/// A parked outbox row, as operators see it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox, check_for_backend(Pg))]
pub struct ParkedRow {
    pub id: Uuid,
    pub seq: i64,
    pub event_type: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub parked_at: Option<DateTime<Utc>>,
}

impl ParkedRow {
    pub fn into_domain(self) -> Option<ParkedEntry> {
        Some(ParkedEntry {
            id: self.id,
            seq: self.seq,
            event_type: self.event_type,
            attempts: self.attempts,
            last_error: self.last_error,
            parked_at: self.parked_at?,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = devices, check_for_backend(Pg), treat_none_as_null = true)]
pub struct DeviceRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

impl DeviceRow {
    pub fn from_domain(device: &Device) -> Self {
        Self {
            id: device.id.as_uuid(),
            user_id: device.user_id.as_uuid(),
            name: device.name.clone(),
            user_agent: device.user_agent.clone(),
            created_at: device.created_at,
            last_seen_at: device.last_seen_at,
        }
    }

    pub fn into_domain(self) -> Device {
        Device {
            id: DeviceId::from_uuid(self.id),
            user_id: UserId::from_uuid(self.user_id),
            name: self.name,
            user_agent: self.user_agent,
            created_at: self.created_at,
            last_seen_at: self.last_seen_at,
        }
    }
}

fn digest(bytes: Vec<u8>) -> anyhow::Result<TokenDigest> {
    let bytes: [u8; 32] = bytes.try_into().map_err(|_| anyhow::anyhow!("stored token digest is not 32 bytes"))?;
    Ok(TokenDigest(bytes))
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens, check_for_backend(Pg))]
pub struct RefreshTokenRow {
    pub id: Uuid,
    pub session_id: Uuid,
    pub token_hash: Vec<u8>,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub consumed_at: Option<DateTime<Utc>>,
    pub replaced_by: Option<Uuid>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl RefreshTokenRow {
    pub fn from_domain(token: &RefreshToken) -> Self {
        Self {
            id: token.id.as_uuid(),
            session_id: token.session_id.as_uuid(),
            token_hash: token.digest.0.to_vec(),
            issued_at: token.issued_at,
            expires_at: token.expires_at,
            consumed_at: token.consumed_at,
            replaced_by: token.replaced_by.map(|id| id.as_uuid()),
            revoked_at: token.revoked_at,
        }
    }

    pub fn into_domain(self) -> anyhow::Result<RefreshToken> {
        Ok(RefreshToken {
            id: RefreshTokenId::from_uuid(self.id),
            session_id: SessionId::from_uuid(self.session_id),
            digest: digest(self.token_hash)?,
            issued_at: self.issued_at,
            expires_at: self.expires_at,
            consumed_at: self.consumed_at,
            replaced_by: self.replaced_by.map(RefreshTokenId::from_uuid),
            revoked_at: self.revoked_at,
        })
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = login_attempts, check_for_backend(Pg))]
pub struct NewLoginAttemptRow {
    pub user_id: Option<Uuid>,
    pub email: Option<CiText>,
    pub ip_addr: Option<IpNet>,
    pub user_agent: Option<String>,
    pub success: bool,
    pub reason: Option<&'static str>,
    pub created_at: DateTime<Utc>,
}

impl NewLoginAttemptRow {
    pub fn from_domain(attempt: &LoginAttempt) -> Self {
        Self {
            user_id: attempt.user_id.map(|u| u.as_uuid()),
            email: Some(CiText(attempt.identifier.clone())),
            ip_addr: attempt.ip.map(IpNet::from),
            user_agent: attempt.user_agent.clone(),
            success: attempt.success,
            reason: Some(attempt.reason),
            created_at: attempt.at,
        }
    }
}

/// A row of `password_resets` or `email_verifications`: the same shape, two tables.
#[derive(Debug, Clone, Queryable)]
pub struct OneTimeRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub email: CiText,
    pub token_hash: Vec<u8>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub consumed_at: Option<DateTime<Utc>>,
}

impl OneTimeRow {
    pub fn into_domain(self, purpose: OneTimePurpose) -> anyhow::Result<OneTimeToken> {
        Ok(OneTimeToken {
            id: self.id,
            purpose,
            user_id: UserId::from_uuid(self.user_id),
            email: Some(Email::from_trusted(self.email.0)),
            digest: digest(self.token_hash)?,
            created_at: self.created_at,
            expires_at: self.expires_at,
            consumed_at: self.consumed_at,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = crate::schema::audit_logs, check_for_backend(Pg))]
pub struct AuditRow {
    pub id: i64,
    pub user_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub ip_addr: Option<IpNet>,
    pub user_agent: Option<String>,
    pub metadata: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

impl AuditRow {
    pub fn into_domain(self) -> identity_core::AuditRecord {
        identity_core::AuditRecord {
            id: self.id,
            actor: self.actor_id.map(UserId::from_uuid),
            subject: self.user_id.map(UserId::from_uuid),
            action: self.action,
            ip: self.ip_addr.map(|net| net.addr()),
            user_agent: self.user_agent,
            metadata: self.metadata,
            at: self.created_at,
        }
    }
}
