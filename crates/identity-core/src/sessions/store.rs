//! The sessions' ports: reads of sessions and devices, and the writes of sessions, devices and
//! refresh tokens in a transaction.

use std::net::IpAddr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::{
    Device, DeviceId, RefreshToken, RefreshTokenId, RevocationReason, Session, SessionId, TokenDigest, User, UserId,
};
use crate::ports::{PageRequest, RepoError};

/// Reads of sessions and devices outside a transaction.
#[async_trait]
pub trait SessionRepository: Send + Sync + 'static {
    async fn find_session(&self, id: SessionId) -> Result<Option<Session>, RepoError>;
    /// The session with its user as [`crate::ports::UserRepository::find_by_id`] reads it
    /// (profile and roles), in one read: what every authenticated request asks (one round trip
    /// on a database). `None` when there is no such session.
    async fn find_session_with_user(&self, id: SessionId) -> Result<Option<(Session, User)>, RepoError>;
    /// The user's sessions that are live at `now` by [`Session::is_live`] (neither revoked
    /// nor expired, nor idle for `idle_timeout` when there is one), newest first.
    async fn list_live_sessions(
        &self,
        user: UserId,
        now: DateTime<Utc>,
        idle_timeout: Option<chrono::Duration>,
        page: PageRequest,
    ) -> Result<Vec<Session>, RepoError>;
    async fn find_device(&self, id: DeviceId) -> Result<Option<Device>, RepoError>;
    /// The user's devices, most recently created first.
    async fn list_devices(&self, user: UserId, page: PageRequest) -> Result<Vec<Device>, RepoError>;
}

/// Which of a user's sessions a revocation ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionSelector {
    One(SessionId),
    All,
    AllExcept(SessionId),
    Device(DeviceId),
}

/// A login attempt, successful or not (`login_attempts`).
#[derive(Debug, Clone, PartialEq)]
pub struct LoginAttempt {
    pub user_id: Option<UserId>,
    /// The email address or username that was offered (normalised when valid).
    pub identifier: String,
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub success: bool,
    /// `ok`, `invalid_password`, `unknown_account`, `locked`, `disabled`, `email_not_verified`,
    /// `throttled`, `rate_limited`, `mfa_required` (the password was right; a second factor
    /// is awaited), `invalid_mfa_code`.
    pub reason: &'static str,
    pub at: DateTime<Utc>,
}

/// Writes of sessions, devices and refresh tokens in a transaction.
#[async_trait]
pub trait SessionWrites: Send {
    async fn insert_session(&mut self, session: &Session) -> Result<(), RepoError>;
    async fn session(&mut self, id: SessionId) -> Result<Option<Session>, RepoError>;
    /// Writes `last_seen_at` (the rest of a session does not change).
    async fn touch_session(&mut self, id: SessionId, at: DateTime<Utc>) -> Result<(), RepoError>;
    /// Writes a re-authentication: the methods proved (`amr`, and the level they reach) and
    /// `auth_time`.
    async fn reauthenticate_session(
        &mut self,
        id: SessionId,
        amr: &[String],
        at: DateTime<Utc>,
    ) -> Result<(), RepoError>;
    /// Revokes the user's live sessions picked by `selector` together with their refresh
    /// tokens, and returns the sessions it revoked.
    async fn revoke_sessions(
        &mut self,
        user: UserId,
        selector: SessionSelector,
        at: DateTime<Utc>,
        reason: RevocationReason,
    ) -> Result<Vec<Session>, RepoError>;
    async fn insert_device(&mut self, device: &Device) -> Result<(), RepoError>;
    /// Writes a device's name and `last_seen_at`.
    async fn update_device(&mut self, device: &Device) -> Result<(), RepoError>;
    async fn delete_device(&mut self, id: DeviceId) -> Result<(), RepoError>;
    async fn insert_refresh_token(&mut self, token: &RefreshToken) -> Result<(), RepoError>;
    /// The refresh token with this digest with its session and the session's user (profile
    /// and roles), the three locked until commit: concurrent rotations of one token run one
    /// after the other, and a rotation decides on the latest session and user. One read.
    async fn lock_refresh_token(
        &mut self,
        digest: &TokenDigest,
    ) -> Result<Option<(RefreshToken, Session, User)>, RepoError>;
    async fn refresh_token(&mut self, id: RefreshTokenId) -> Result<Option<RefreshToken>, RepoError>;
    /// A rotation's writes, at once: inserts `next`, writes `consumed`'s `consumed_at`,
    /// `replaced_by` and `revoked_at` (an error if it is not stored), and the session's
    /// `last_seen_at` (`seen_at`).
    async fn rotate_refresh_token(
        &mut self,
        consumed: &RefreshToken,
        next: &RefreshToken,
        seen_at: DateTime<Utc>,
    ) -> Result<(), RepoError>;
}
