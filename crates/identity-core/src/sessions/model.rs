use std::fmt;
use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::domain::UserId;
use crate::kernel::uuid_id;

uuid_id!(
    /// A session's id (the `sid` claim).
    SessionId
);
uuid_id!(
    /// A device's id: stable across the sessions a browser or app opens.
    DeviceId
);
uuid_id!(
    /// A refresh token's row id (never the token itself).
    RefreshTokenId
);

/// Why a session ended. Stored with the session (PostgreSQL: `sessions.revoked_reason`) and
/// carried by `session.revoked` and the audit log as [`RevocationReason::as_str`], the one
/// mapping to and from text ([`FromStr`](std::str::FromStr) reads it back).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RevocationReason {
    Logout,
    LogoutAll,
    RevokedByUser,
    DeviceRemoved,
    PasswordChanged,
    PasswordReset,
    RefreshTokenReuse,
    AccountDeleted,
    RevokedByAdmin,
    /// Unused for longer than `SESSION_IDLE_TIMEOUT_SECONDS`.
    IdleTimeout,
    /// The account's address changed (every session but the one that asked for it ends).
    EmailChanged,
}

impl RevocationReason {
    pub const ALL: [Self; 11] = [
        Self::Logout,
        Self::LogoutAll,
        Self::RevokedByUser,
        Self::DeviceRemoved,
        Self::PasswordChanged,
        Self::PasswordReset,
        Self::RefreshTokenReuse,
        Self::AccountDeleted,
        Self::RevokedByAdmin,
        Self::IdleTimeout,
        Self::EmailChanged,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Logout => "logout",
            Self::LogoutAll => "logout_all",
            Self::RevokedByUser => "revoked_by_user",
            Self::DeviceRemoved => "device_removed",
            Self::PasswordChanged => "password_changed",
            Self::PasswordReset => "password_reset",
            Self::RefreshTokenReuse => "refresh_token_reuse",
            Self::AccountDeleted => "account_deleted",
            Self::RevokedByAdmin => "revoked_by_admin",
            Self::IdleTimeout => "idle_timeout",
            Self::EmailChanged => "email_changed",
        }
    }
}

impl std::str::FromStr for RevocationReason {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| format!("unknown revocation reason {s:?}"))
    }
}

impl fmt::Display for RevocationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for RevocationReason {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// How a session ended: when, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revocation {
    pub at: DateTime<Utc>,
    pub reason: RevocationReason,
}

/// A signed-in session: one login on one device, the parent of its access and refresh tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
    pub device_id: Option<DeviceId>,
    pub user_agent: Option<String>,
    pub ip: Option<IpAddr>,
    /// How the user proved who they are (`pwd`, `otp`, `recovery`, `webauthn`): at sign-in,
    /// or at the latest re-authentication.
    pub amr: Vec<String>,
    /// When they last proved it (OIDC's `auth_time`): the sign-in, or the latest
    /// `POST /v1/auth/reauthenticate`. What step-up freshness is measured from.
    pub auth_time: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Set once the session ended (`SessionWrites::revoke_sessions`).
    pub revoked: Option<Revocation>,
}

impl Session {
    /// Longest user agent kept; the rest is cut (on a character boundary).
    pub const USER_AGENT_MAX_CHARS: usize = 512;

    /// The assurance level its `amr` reaches: 1, or 2 with a second factor.
    pub fn aal(&self) -> u8 {
        crate::authz::Aal::of(&self.amr).number()
    }

    /// Whether the session still counts at `now`: not revoked, not past its absolute
    /// lifetime and, with an idle timeout, used (signed in or refreshed) less than
    /// `idle_timeout` ago. The stores' "live sessions" listings follow the same rule
    /// (see [`Session::idle_cutoff`]).
    pub fn is_live(&self, now: DateTime<Utc>, idle_timeout: Option<Duration>) -> bool {
        self.revoked.is_none() && now < self.expires_at && !self.is_idle(now, idle_timeout)
    }

    /// Whether the session went unused for `idle_timeout` or longer (never without one).
    pub fn is_idle(&self, now: DateTime<Utc>, idle_timeout: Option<Duration>) -> bool {
        Self::idle_cutoff(now, idle_timeout).is_some_and(|cutoff| self.last_seen_at <= cutoff)
    }

    /// With an idle timeout: the instant at or before which a `last_seen_at` makes a session
    /// idle at `now` (a live session was seen strictly after it).
    pub fn idle_cutoff(now: DateTime<Utc>, idle_timeout: Option<Duration>) -> Option<DateTime<Utc>> {
        idle_timeout.map(|timeout| now - timeout)
    }

    /// Control characters (a tab, say) are dropped: a user agent is one line of text.
    pub fn clip_user_agent(raw: &str) -> String {
        raw.chars().filter(|c| !c.is_control()).take(Self::USER_AGENT_MAX_CHARS).collect()
    }
}

/// A browser or app a user signs in from. Deleting it ends its sessions.
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    pub id: DeviceId,
    pub user_id: UserId,
    pub name: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

impl Device {
    pub const NAME_MAX_CHARS: usize = 100;

    /// A device name given by the user: trimmed, 1–100 characters, no control characters,
    /// nothing invisible and no text-direction control.
    pub fn parse_name(field: &str, raw: &str) -> Result<String, crate::domain::FieldError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(crate::domain::FieldError::new(field, "required", "a device name is required"));
        }
        if trimmed.chars().count() > Self::NAME_MAX_CHARS {
            return Err(crate::domain::FieldError::new(field, "too_long", "a device name has at most 100 characters"));
        }
        if raw.chars().any(char::is_control) {
            return Err(crate::domain::FieldError::new(
                field,
                "invalid_characters",
                "a device name may not contain control characters",
            ));
        }
        crate::domain::no_invisible(field, raw)?;
        Ok(trimmed.to_owned())
    }
}

/// SHA-256 of a high-entropy secret (refresh token, reset token): what is stored and looked
/// up instead of the secret itself.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TokenDigest(pub [u8; 32]);

impl fmt::Debug for TokenDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenDigest(<redacted>)")
    }
}

/// One refresh token of a session's rotation chain.
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshToken {
    pub id: RefreshTokenId,
    pub session_id: SessionId,
    pub digest: TokenDigest,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// When it was exchanged for its successor.
    pub consumed_at: Option<DateTime<Utc>>,
    pub replaced_by: Option<RefreshTokenId>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What a one-time token (email verification, password reset) is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OneTimePurpose {
    VerifyEmail,
    ResetPassword,
}

/// A single-use, expiring token bound to a user (stored hashed).
#[derive(Debug, Clone, PartialEq)]
pub struct OneTimeToken {
    pub id: Uuid,
    pub purpose: OneTimePurpose,
    pub user_id: UserId,
    /// The address the token was mailed to: the one a verification token confirms, the one a
    /// reset must still belong to. Required: every store refuses a token without one
    /// (`email_verifications.email` and `password_resets.email` are `NOT NULL`).
    pub email: Option<crate::domain::Email>,
    pub digest: TokenDigest,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub consumed_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn session(last_seen_at: DateTime<Utc>) -> Session {
        Session {
            id: SessionId::from_uuid(Uuid::now_v7()),
            user_id: UserId::from_uuid(Uuid::now_v7()),
            device_id: None,
            user_agent: None,
            ip: None,
            amr: vec!["pwd".into()],
            auth_time: last_seen_at,
            created_at: last_seen_at,
            last_seen_at,
            expires_at: last_seen_at + Duration::days(30),
            revoked: None,
        }
    }

    #[test]
    fn a_session_is_live_until_revoked_expired_or_idle_for_the_timeout() {
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let s = session(t0);
        let idle = Some(Duration::minutes(30));
        assert!(s.is_live(t0 + Duration::days(29), None), "no idle timeout: only the lifetime counts");
        assert!(s.is_live(t0 + Duration::minutes(29), idle));
        assert!(!s.is_live(t0 + Duration::minutes(30), idle) && s.is_idle(t0 + Duration::minutes(30), idle));
        assert!(!s.is_live(t0 + Duration::days(30), None));
        let revoked = Session { revoked: Some(Revocation { at: t0, reason: RevocationReason::Logout }), ..s.clone() };
        assert!(!revoked.is_live(t0, None) && !revoked.is_idle(t0, idle));
        assert_eq!(Session::idle_cutoff(t0, idle), Some(t0 - Duration::minutes(30)));
        assert_eq!(Session::idle_cutoff(t0, None), None);
    }

    #[test]
    fn revocation_reasons_round_trip_through_one_mapping() {
        for reason in RevocationReason::ALL {
            assert_eq!(reason.as_str().parse::<RevocationReason>().unwrap(), reason);
            assert_eq!(serde_json::to_value(reason).unwrap(), serde_json::json!(reason.as_str()));
            assert_eq!(reason.to_string(), reason.as_str());
        }
        let texts: std::collections::BTreeSet<&str> = RevocationReason::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(texts.len(), RevocationReason::ALL.len(), "one text per reason");
        assert!("Logout".parse::<RevocationReason>().is_err() && "".parse::<RevocationReason>().is_err());
        assert_eq!(RevocationReason::IdleTimeout.as_str(), "idle_timeout");
    }
}
