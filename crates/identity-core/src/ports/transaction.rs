//! Writes: [`UnitOfWork`] begins a [`Transaction`], which hands out the write port of each
//! aggregate ([`WritePorts`]: `tx.users()` is [`UserWrites`], `tx.sessions()`
//! [`SessionWrites`], `tx.one_time_tokens()`, `tx.access()`, `tx.settings()`, `tx.journal()`)
//! and commits. It is not the sum of its ports: a new aggregate adds its write trait and one
//! accessor here, and the code of the others does not change.

use std::net::IpAddr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::RepoError;
use crate::domain::settings::StoredSettings;
use crate::domain::{
    AppGrant, AppKey, Device, DeviceId, DomainEvent, Grantee, Group, GroupId, OneTimePurpose, OneTimeToken,
    RefreshToken, RefreshTokenId, RevocationReason, Session, SessionId, TokenDigest, User, UserId,
};

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
    /// `ok`, `invalid_password`, `unknown_account`, `locked`, `disabled`, `email_not_verified`.
    pub reason: &'static str,
    pub at: DateTime<Utc>,
}

/// Starts transactions. A use case that changes state begins one, makes every write and
/// records every domain event through it, and commits: all of it lands or none of it does.
#[async_trait]
pub trait UnitOfWork: Send + Sync + 'static {
    async fn begin(&self) -> Result<Box<dyn Transaction>, RepoError>;
}

/// One open transaction: every write port of one store, in one transaction. Dropping it
/// without [`Transaction::commit`] rolls everything back.
///
/// An adapter implements each write port and `commit`; [`WritePorts`] comes with them.
#[async_trait]
pub trait Transaction: WritePorts + Send {
    async fn commit(self: Box<Self>) -> Result<(), RepoError>;
}

/// Each write port of a transaction on its own. Implemented for every type that implements
/// all of them, so adapters never write it; callable on a `dyn Transaction`.
pub trait WritePorts {
    fn users(&mut self) -> &mut dyn UserWrites;
    fn sessions(&mut self) -> &mut dyn SessionWrites;
    fn one_time_tokens(&mut self) -> &mut dyn OneTimeTokenWrites;
    fn access(&mut self) -> &mut dyn AccessWrites;
    fn settings(&mut self) -> &mut dyn SettingsWrites;
    fn journal(&mut self) -> &mut dyn JournalWrites;
}

impl<T> WritePorts for T
where
    T: UserWrites + SessionWrites + OneTimeTokenWrites + AccessWrites + SettingsWrites + JournalWrites,
{
    fn users(&mut self) -> &mut dyn UserWrites {
        self
    }

    fn sessions(&mut self) -> &mut dyn SessionWrites {
        self
    }

    fn one_time_tokens(&mut self) -> &mut dyn OneTimeTokenWrites {
        self
    }

    fn access(&mut self) -> &mut dyn AccessWrites {
        self
    }

    fn settings(&mut self) -> &mut dyn SettingsWrites {
        self
    }

    fn journal(&mut self) -> &mut dyn JournalWrites {
        self
    }
}

/// Writes of the user aggregate (account, profile, roles) in a transaction.
#[async_trait]
pub trait UserWrites: Send {
    /// Inserts the user with its profile and roles. A taken email or username is
    /// `RepoError::Conflict`, and nothing is written.
    async fn insert_user(&mut self, user: &User) -> Result<(), RepoError>;
    /// Writes the user's mutable account fields and profile (not its roles).
    async fn update_user(&mut self, user: &User) -> Result<(), RepoError>;
    /// Replaces the user's roles (every role must exist).
    async fn set_roles(
        &mut self,
        user: UserId,
        roles: &std::collections::BTreeSet<crate::domain::Role>,
    ) -> Result<(), RepoError>;
    /// How many accounts count as active admins ([`User::counts_as_active_admin`]). Changes
    /// of the admin set are serialised: the count is taken under a lock that this method
    /// holds until commit, so two admins demoting each other at once cannot both succeed.
    async fn count_active_admins(&mut self) -> Result<usize, RepoError>;
    /// Locks the user's row until commit (serialises password changes and the like).
    async fn lock_user(&mut self, id: UserId) -> Result<Option<User>, RepoError>;
}

/// Writes of sessions, devices and refresh tokens in a transaction.
#[async_trait]
pub trait SessionWrites: Send {
    async fn insert_session(&mut self, session: &Session) -> Result<(), RepoError>;
    async fn session(&mut self, id: SessionId) -> Result<Option<Session>, RepoError>;
    /// Writes `last_seen_at` (the rest of a session does not change).
    async fn touch_session(&mut self, id: SessionId, at: DateTime<Utc>) -> Result<(), RepoError>;
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
    /// The refresh token with this digest, locked until commit: concurrent rotations of one
    /// token run one after the other.
    async fn lock_refresh_token(&mut self, digest: &TokenDigest) -> Result<Option<RefreshToken>, RepoError>;
    async fn refresh_token(&mut self, id: RefreshTokenId) -> Result<Option<RefreshToken>, RepoError>;
    /// Writes `consumed_at`, `replaced_by` and `revoked_at`.
    async fn update_refresh_token(&mut self, token: &RefreshToken) -> Result<(), RepoError>;
}

/// Writes of one-time tokens (email verification, password reset) in a transaction.
#[async_trait]
pub trait OneTimeTokenWrites: Send {
    /// Stores the token. One without an address (`email: None`) is refused with
    /// `RepoError::Unknown`, and nothing is written.
    async fn insert_one_time_token(&mut self, token: &OneTimeToken) -> Result<(), RepoError>;
    /// The token of `purpose` with this digest, locked until commit (consumed or not).
    async fn lock_one_time_token(
        &mut self,
        purpose: OneTimePurpose,
        digest: &TokenDigest,
    ) -> Result<Option<OneTimeToken>, RepoError>;
    /// Marks every unconsumed token of `purpose` of the user consumed at `at`.
    async fn consume_one_time_tokens(
        &mut self,
        user: UserId,
        purpose: OneTimePurpose,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError>;
}

/// Writes of groups, memberships and app grants in a transaction.
#[async_trait]
pub trait AccessWrites: Send {
    /// Inserts a group; a taken name is `RepoError::Conflict(Conflict::GroupName)`.
    async fn insert_group(&mut self, group: &Group) -> Result<(), RepoError>;
    /// The group, locked until commit.
    async fn lock_group(&mut self, id: GroupId) -> Result<Option<Group>, RepoError>;
    /// Writes name, description and `updated_at`; a taken name is a conflict.
    async fn update_group(&mut self, group: &Group) -> Result<(), RepoError>;
    /// Deletes the group with its memberships and grants; `false` when there was none.
    async fn delete_group(&mut self, id: GroupId) -> Result<bool, RepoError>;
    /// Every member's id (for the events a group change causes).
    async fn member_ids(&mut self, group: GroupId) -> Result<Vec<UserId>, RepoError>;
    /// Adds the user to the group; `false` when they already were a member.
    async fn add_member(&mut self, group: GroupId, user: UserId, at: DateTime<Utc>) -> Result<bool, RepoError>;
    /// `false` when the user was not a member.
    async fn remove_member(&mut self, group: GroupId, user: UserId) -> Result<bool, RepoError>;
    /// Stores the grant; `false` when the grantee already had that app.
    async fn grant_app(&mut self, grant: &AppGrant) -> Result<bool, RepoError>;
    /// `false` when the grantee did not have that app.
    async fn revoke_app(&mut self, grantee: Grantee, app: &AppKey) -> Result<bool, RepoError>;
}

/// Writes of the admin settings in a transaction.
#[async_trait]
pub trait SettingsWrites: Send {
    /// The settings of `namespace`, locked until commit (even when none are stored yet, so
    /// two first writes do not lose each other's fields).
    async fn lock_settings(&mut self, namespace: &str) -> Result<StoredSettings, RepoError>;
    /// Replaces the stored settings of `namespace`.
    async fn put_settings(&mut self, namespace: &str, settings: &StoredSettings) -> Result<(), RepoError>;
}

/// Append-only records written in a transaction: login attempts, the audit log and the
/// outbox of domain events.
#[async_trait]
pub trait JournalWrites: Send {
    async fn record_login_attempt(&mut self, attempt: &LoginAttempt) -> Result<(), RepoError>;
    /// Appends an entry to the audit log (never updated or deleted).
    async fn record_audit(&mut self, entry: &crate::domain::AuditEntry) -> Result<(), RepoError>;
    /// Appends events to the outbox, to be published after commit.
    async fn record_events(&mut self, events: &[DomainEvent]) -> Result<(), RepoError>;
    /// Records which resource a keyed create request made (replacing an older record under
    /// the same key), and forgets records older than [`REQUEST_KEY_TTL`](crate::domain::REQUEST_KEY_TTL)
    /// before `record.at`.
    async fn record_request(&mut self, record: &crate::domain::RequestRecord) -> Result<(), RepoError>;
}
