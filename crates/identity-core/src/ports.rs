//! Ports: what the use cases need from the outside world. Adapters implement them
//! (`identity-memory`, `identity-postgres`, `identity-redis`, `identity-amqp`,
//! `identity-crypto`); every port has a contract suite in [`crate::testkit`].

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::settings::{SecretValue, StoredSettings};
use crate::domain::{
    AppGrant, AppKey, Device, DeviceId, DomainEvent, Email, Grantee, Group, GroupId, GroupMember, OneTimePurpose,
    OneTimeToken, Password, PasswordHash, RefreshToken, RefreshTokenId, RevocationReason, Session, SessionId,
    TokenDigest, User, UserId, Username,
};

/// What a store answers when it cannot do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// A uniqueness rule refused the write (duplicate email, username, …).
    #[error("conflict: {0:?} is already taken")]
    Conflict(Conflict),
    /// The store could not be reached or timed out: worth retrying later (HTTP 503).
    #[error("store unavailable: {0}")]
    Unavailable(#[source] anyhow::Error),
    /// Anything else: a bug or a broken invariant (HTTP 500, logged with its cause).
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Which uniqueness rule a write broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    Email,
    Username,
    /// Another group has this name (names are unique regardless of case).
    GroupName,
}

/// Reads of the user aggregate outside a transaction.
#[async_trait]
pub trait UserRepository: Send + Sync + 'static {
    async fn find_by_id(&self, id: UserId) -> Result<Option<User>, RepoError>;
    /// Case-insensitive: `email` is already normalised.
    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, RepoError>;
    async fn find_by_username(&self, username: &Username) -> Result<Option<User>, RepoError>;
    /// Users matching `filter`, by id ascending, at most `filter.limit`.
    async fn list_users(&self, filter: &UserFilter) -> Result<Vec<User>, RepoError>;
}

/// A page request: at most `limit` items after the item with id `after` (newest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: usize,
    pub after: Option<Uuid>,
}

/// Reads of sessions and devices outside a transaction.
#[async_trait]
pub trait SessionRepository: Send + Sync + 'static {
    async fn find_session(&self, id: SessionId) -> Result<Option<Session>, RepoError>;
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

/// Which users an admin listing shows (all conditions must hold), oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserFilter {
    /// Case-insensitive prefix of the email address or the name.
    pub query: Option<String>,
    /// Deleted accounts are listed only when asked for with `status = deleted`.
    pub status: Option<crate::domain::UserStatus>,
    pub role: Option<String>,
    /// Only users with an id above this (the cursor; ids are UUIDv7, so new accounts sort
    /// last and paging never skips or repeats a row).
    pub after: Option<Uuid>,
    pub limit: usize,
}

/// One store adapter, seen through each of its store ports (what the composition root wires
/// and what the store contract suite tests).
#[derive(Clone)]
pub struct StorePorts {
    pub users: Arc<dyn UserRepository>,
    pub audit: Arc<dyn AuditRepository>,
    pub access: Arc<dyn AccessRepository>,
    pub settings: Arc<dyn SettingsRepository>,
    pub sessions: Arc<dyn SessionRepository>,
    pub uow: Arc<dyn UnitOfWork>,
    pub outbox: Arc<dyn Outbox>,
}

impl StorePorts {
    /// Builds one from a store that implements every port.
    pub fn from_store<S>(store: S) -> Self
    where
        S: UserRepository
            + SessionRepository
            + UnitOfWork
            + Outbox
            + AuditRepository
            + AccessRepository
            + SettingsRepository
            + Clone,
    {
        Self {
            users: Arc::new(store.clone()),
            audit: Arc::new(store.clone()),
            access: Arc::new(store.clone()),
            settings: Arc::new(store.clone()),
            sessions: Arc::new(store.clone()),
            uow: Arc::new(store.clone()),
            outbox: Arc::new(store),
        }
    }
}

/// Reads of the audit log.
#[async_trait]
pub trait AuditRepository: Send + Sync + 'static {
    /// Entries matching `filter`, newest first, at most `filter.limit`.
    async fn list_audit(
        &self,
        filter: &crate::domain::AuditFilter,
    ) -> Result<Vec<crate::domain::AuditRecord>, RepoError>;
}

/// Reads of groups, memberships and app grants outside a transaction.
#[async_trait]
pub trait AccessRepository: Send + Sync + 'static {
    async fn find_group(&self, id: GroupId) -> Result<Option<Group>, RepoError>;
    /// Groups whose name starts with `query` (case-insensitive; all when `None`), by id
    /// ascending after `page.after`, at most `page.limit`.
    async fn list_groups(&self, query: Option<&str>, page: PageRequest) -> Result<Vec<Group>, RepoError>;
    /// Members of the group, by user id ascending after `page.after`, at most `page.limit`.
    async fn list_members(&self, group: GroupId, page: PageRequest) -> Result<Vec<GroupMember>, RepoError>;
    /// The groups the user is a member of, by name.
    async fn groups_of(&self, user: UserId) -> Result<Vec<Group>, RepoError>;
    /// The grants given to any of `grantees`, by app key.
    async fn grants_of(&self, grantees: &[Grantee]) -> Result<Vec<AppGrant>, RepoError>;
}

/// Reads of the admin settings outside a transaction.
#[async_trait]
pub trait SettingsRepository: Send + Sync + 'static {
    /// The stored settings of `namespace`; `None` when nothing was ever stored.
    async fn get_settings(&self, namespace: &str) -> Result<Option<StoredSettings>, RepoError>;
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

/// One open transaction. Dropping it without [`Transaction::commit`] rolls everything back.
#[async_trait]
pub trait Transaction: Send {
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
    /// How many active accounts hold `admin`. Changes of the admin set are serialised: the
    /// count is taken under a lock that this method holds until commit, so two admins
    /// demoting each other at once cannot both succeed.
    async fn count_active_admins(&mut self) -> Result<usize, RepoError>;
    /// Locks the user's row until commit (serialises password changes and the like).
    async fn lock_user(&mut self, id: UserId) -> Result<Option<User>, RepoError>;
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
    async fn record_login_attempt(&mut self, attempt: &LoginAttempt) -> Result<(), RepoError>;
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
    /// The settings of `namespace`, locked until commit (even when none are stored yet, so
    /// two first writes do not lose each other's fields).
    async fn lock_settings(&mut self, namespace: &str) -> Result<StoredSettings, RepoError>;
    /// Replaces the stored settings of `namespace`.
    async fn put_settings(&mut self, namespace: &str, settings: &StoredSettings) -> Result<(), RepoError>;
    /// Appends an entry to the audit log (never updated or deleted).
    async fn record_audit(&mut self, entry: &crate::domain::AuditEntry) -> Result<(), RepoError>;
    /// Appends events to the outbox, to be published after commit.
    async fn record_events(&mut self, events: &[DomainEvent]) -> Result<(), RepoError>;
    async fn commit(self: Box<Self>) -> Result<(), RepoError>;
}

/// A stored event waiting in (or already out of) the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    /// Position in the outbox: strictly increasing in commit order within one store.
    pub seq: i64,
    pub event: DomainEvent,
    pub published_at: Option<DateTime<Utc>>,
    /// Failed publish attempts so far.
    pub attempts: i32,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// Not offered to a publisher before this time (set when the broker refused this event).
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// An outbox row the relay could not decode (an event type this version does not know, a
/// malformed row). It is set aside instead of blocking the rows after it, and stays until an
/// operator fixes the cause and re-queues it (`docs/operations.md`).
#[derive(Debug, Clone, PartialEq)]
pub struct ParkedEntry {
    pub id: Uuid,
    pub seq: i64,
    /// The stored type, as written (it may name no [`crate::EventType`]).
    pub event_type: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub parked_at: DateTime<Utc>,
}

/// What one relay pass did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RelayReport {
    /// Rows the publisher confirmed, now marked published.
    pub published: usize,
    /// Rows whose publish failed: still pending, with `attempts` and `last_error` recorded.
    pub failed: usize,
    /// The publisher's error when `failed > 0`.
    pub error: Option<String>,
    /// Rows parked by this pass (each row is reported once: parked rows are not claimed again).
    pub parked: Vec<ParkedEntry>,
}

impl RelayReport {
    /// How many rows the pass claimed.
    pub fn claimed(&self) -> usize {
        self.published + self.failed + self.parked.len()
    }
}

/// How long the relay leaves a row the broker refused before offering it again: 1 s after
/// the first refusal, doubling with every further one, at most 5 minutes.
pub fn retry_delay(attempts: i32) -> chrono::Duration {
    let exponent = attempts.saturating_sub(1).clamp(0, 16).unsigned_abs();
    chrono::Duration::seconds(2_i64.pow(exponent)).min(chrono::Duration::minutes(5))
}

/// The transactional outbox, read by the relay. Both adapters implement the same rules
/// (checked by the store contract suite):
///
/// - A row is *due* when it is unpublished, not parked and its `next_attempt_at` is unset or
///   not after `now`. [`Outbox::relay`] claims up to `limit` due rows in `seq` order; rows
///   another relay holds are skipped (PostgreSQL: `FOR UPDATE SKIP LOCKED`), so replicas never
///   publish a row twice at the same time.
/// - A claimed row that cannot be decoded is *parked*: `attempts + 1`, `last_error`,
///   `parked_at = now`. It is reported once, never claimed again until re-queued, and does not
///   hold back the rows after it.
/// - The other claimed rows go to the publisher in one call, in `seq` order. Confirmed rows get
///   `published_at = now`. On [`PublishError::Rejected`] the refused rows get `attempts + 1`,
///   `last_error` and `next_attempt_at = now + retry_delay(attempts)`, so they cannot block the
///   head of the queue; the others are published. On [`PublishError::Unavailable`] every row of
///   the call gets `attempts + 1` and `last_error` and stays due: nothing is parked or lost,
///   the relay's own backoff paces the retry, and order is kept.
#[async_trait]
pub trait Outbox: Send + Sync + 'static {
    /// Up to `limit` unpublished, unparked entries (waiting for a retry or not), oldest first.
    /// Rows that cannot be decoded are left out (the relay parks them).
    async fn pending(&self, limit: usize) -> Result<Vec<OutboxEntry>, RepoError>;
    /// One relay pass at time `now` (see the trait's rules). `Err` only when the store itself
    /// failed; publisher failures are recorded on the rows and reported.
    async fn relay(
        &self,
        limit: usize,
        publisher: &dyn EventPublisher,
        now: DateTime<Utc>,
    ) -> Result<RelayReport, RepoError>;
    /// Up to `limit` parked rows, oldest first.
    async fn parked(&self, limit: usize) -> Result<Vec<ParkedEntry>, RepoError>;
    /// How many rows are parked.
    async fn parked_count(&self) -> Result<u64, RepoError>;
}

/// Why a publish failed.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// Nothing is known about the events (broker unreachable, connection or channel lost,
    /// confirms missing): retry them all later.
    #[error("broker unavailable: {0:#}")]
    Unavailable(#[source] anyhow::Error),
    /// The broker refused these events (nack) and confirmed every other one of the call.
    #[error("broker refused {} event(s): {reason}", .ids.len())]
    Rejected { ids: Vec<Uuid>, reason: String },
}

impl PublishError {
    /// Whether the event `id` of the failed call went unconfirmed.
    pub fn failed(&self, id: Uuid) -> bool {
        match self {
            Self::Unavailable(_) => true,
            Self::Rejected { ids, .. } => ids.contains(&id),
        }
    }

    /// Whether the failed events get a retry time of their own (the broker refused them while
    /// it accepted others) rather than staying due.
    pub fn retry_later(&self) -> bool {
        matches!(self, Self::Rejected { .. })
    }
}

/// Delivers events to the message broker (or the in-process bus).
#[async_trait]
pub trait EventPublisher: Send + Sync {
    /// Publishes every event, in order, and returns once the broker confirmed all of them.
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), PublishError>;
}

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    Invalid,
    /// `needs_rehash`: the hash uses older parameters; store a new one.
    Valid {
        needs_rehash: bool,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Too many hashes are waiting: shed the request (HTTP 503 with `Retry-After`).
    #[error("password hashing is saturated")]
    Overloaded { retry_after_secs: u64 },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Slow, salted password hashing.
#[async_trait]
pub trait PasswordHasher: Send + Sync + 'static {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError>;
    async fn verify(&self, password: &Password, hash: &PasswordHash) -> Result<Verification, HashError>;
    /// Spends the same work as [`PasswordHasher::verify`] without a real hash, so a login for
    /// an unknown account takes as long as one for a known account.
    async fn verify_dummy(&self, password: &Password) -> Result<(), HashError>;
}

/// The claims of an access token (SPEC §3).
#[derive(Debug, Clone, PartialEq)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    pub sub: UserId,
    pub sid: SessionId,
    pub iat: DateTime<Utc>,
    pub nbf: DateTime<Utc>,
    pub exp: DateTime<Utc>,
    pub jti: Uuid,
    pub roles: Vec<String>,
    pub amr: Vec<String>,
}

impl AccessClaims {
    /// The token's lifetime in whole seconds (`expires_in` of a token answer): a token is
    /// answered in the instant it is issued, so this is `exp − iat`, on the service's `Clock`.
    pub fn lifetime_secs(&self) -> i64 {
        (self.exp - self.iat).num_seconds().max(0)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Malformed, wrongly signed, signed by an unknown key, or for another issuer/audience.
    #[error("invalid token: {0}")]
    Invalid(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Signs and verifies access tokens (PASETO v4.public).
pub trait TokenIssuer: Send + Sync + 'static {
    fn issue(&self, claims: &AccessClaims) -> Result<String, TokenError>;
    /// Checks format, signature, key id, issuer and audience, and returns the claims. Time
    /// validity (`nbf`, `exp`) is the use case's to check against its [`Clock`].
    fn verify(&self, token: &str) -> Result<AccessClaims, TokenError>;
}

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// New ids: UUIDv7 in production, so they sort by creation time.
pub trait IdGenerator: Send + Sync + 'static {
    fn new_id(&self) -> Uuid;
}

/// A dependency `GET /ready` checks.
#[async_trait]
pub trait HealthCheck: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    async fn check(&self) -> anyhow::Result<()>;
}

/// Where a request came from, recorded on sessions (and later on audit entries).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

/// Short-lived values with a time to live, shared by every replica (Redis in production):
/// pending registrations, one-time codes, cooldowns, attempt counters.
#[async_trait]
pub trait CodeStore: Send + Sync + 'static {
    async fn put(&self, key: &str, value: &str, ttl: Duration) -> Result<(), RepoError>;
    /// Stores only when `key` is absent; `true` when it stored (a cooldown started).
    async fn put_if_absent(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, RepoError>;
    async fn get(&self, key: &str) -> Result<Option<String>, RepoError>;
    /// Removes and returns the value in one step: of two concurrent callers one gets it.
    async fn take(&self, key: &str) -> Result<Option<String>, RepoError>;
    async fn delete(&self, key: &str) -> Result<(), RepoError>;
    /// Adds one to a counter (created at 1 with `ttl` when absent) and returns the new value.
    async fn increment(&self, key: &str, ttl: Duration) -> Result<u64, RepoError>;
    /// How long `key` still lives; `None` when it does not exist.
    async fn time_to_live(&self, key: &str) -> Result<Option<Duration>, RepoError>;
}

/// Revoked sessions, checked on every authenticated request so a revoked session's access
/// tokens stop working at once on every replica.
#[async_trait]
pub trait RevocationList: Send + Sync + 'static {
    /// Remembers the session as revoked for `ttl` (the longest an access token lives).
    async fn revoke(&self, session: SessionId, ttl: Duration) -> Result<(), RepoError>;
    async fn is_revoked(&self, session: SessionId) -> Result<bool, RepoError>;
}

/// A mail to send. Adapters render subject and body from their templates.
#[derive(Clone, PartialEq, Eq)]
pub enum Mail {
    /// One-step registration: confirm the address with a link (`link`) or the raw `token`.
    VerifyEmail { to: Email, link: String, token: String },
    /// Two-step registration: the 6-digit code.
    RegistrationCode { to: Email, code: String, ttl_minutes: u64 },
    /// Someone tried to register an address that already has an account.
    AlreadyRegistered { to: Email },
    /// A password reset link.
    PasswordReset { to: Email, link: String, ttl_minutes: u64 },
    /// The password was changed or reset.
    PasswordChanged { to: Email },
    /// Too many failed sign-ins locked the account for a while.
    AccountLocked { to: Email, minutes: u64 },
    /// An admin created the account: a link to choose a password.
    Invitation { to: Email, link: String, ttl_minutes: u64 },
}

impl Mail {
    pub fn to(&self) -> &Email {
        match self {
            Self::VerifyEmail { to, .. }
            | Self::RegistrationCode { to, .. }
            | Self::AlreadyRegistered { to }
            | Self::PasswordReset { to, .. }
            | Self::PasswordChanged { to }
            | Self::AccountLocked { to, .. }
            | Self::Invitation { to, .. } => to,
        }
    }

    /// A stable name of the kind of mail (`verify_email`, `registration_code`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::VerifyEmail { .. } => "verify_email",
            Self::RegistrationCode { .. } => "registration_code",
            Self::AlreadyRegistered { .. } => "already_registered",
            Self::PasswordReset { .. } => "password_reset",
            Self::PasswordChanged { .. } => "password_changed",
            Self::AccountLocked { .. } => "account_locked",
            Self::Invitation { .. } => "invitation",
        }
    }
}

impl std::fmt::Debug for Mail {
    // Codes and links are secrets: never in a debug print.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mail({} to {})", self.kind(), self.to())
    }
}

/// Sends mail. Implementations return quickly (they queue), so the time a request takes does
/// not tell whether a mail was sent.
#[async_trait]
pub trait Notifier: Send + Sync + 'static {
    async fn send(&self, mail: Mail) -> anyhow::Result<()>;
}

/// Secret values: random tokens and codes, their digests, and the deterministic successor
/// of a refresh token (so a replay inside the grace window gets the same successor without
/// the successor ever being stored).
pub trait Secrets: Send + Sync + 'static {
    /// A new URL-safe token with at least 256 bits of randomness.
    fn new_token(&self) -> String;
    /// A uniformly random numeric code of `digits` digits.
    fn new_code(&self, digits: u32) -> String;
    /// The digest stored and looked up instead of a token.
    fn digest(&self, token: &str) -> TokenDigest;
    /// The refresh token that replaces `token`: keyed, deterministic, unguessable.
    fn successor(&self, token: &str) -> String;
    /// Compares two secrets in constant time.
    fn equal(&self, a: &str, b: &str) -> bool;
}

/// The outcome of one request against a rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateDecision {
    pub allowed: bool,
    pub limit: u32,
    /// Requests still allowed right now.
    pub remaining: u32,
    /// Until the limit is fully available again.
    pub reset_after: Duration,
    /// Until the next request is allowed (zero when this one was).
    pub retry_after: Duration,
}

/// Rate limits shared by every replica (GCRA: `limit` requests per `period`, bursts up to
/// `limit`). Checking and counting are one atomic step; a refused request is not counted.
#[async_trait]
pub trait RateLimiter: Send + Sync + 'static {
    async fn hit(&self, key: &str, limit: u32, period: Duration) -> Result<RateDecision, RepoError>;
}

/// Encrypts secrets at rest (settings secrets). `context` names where the secret belongs
/// (`settings/ai/api_key`) and is authenticated with it, so a sealed value moved elsewhere
/// does not open.
pub trait SecretBox: Send + Sync + 'static {
    fn seal(&self, secret: &SecretValue, context: &str) -> anyhow::Result<String>;
    /// Fails when the value was tampered with, sealed for another context or with another key.
    fn open(&self, sealed: &str, context: &str) -> anyhow::Result<SecretValue>;
}

/// A request of a connection check (`POST /v1/admin/settings/{namespace}/test`).
#[derive(Clone, PartialEq, Eq)]
pub struct ProbeRequest {
    pub url: String,
    /// Header names and values; values may hold secrets (never logged).
    pub headers: Vec<(String, SecretValue)>,
    pub timeout: Duration,
}

impl std::fmt::Debug for ProbeRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("ProbeRequest").field("url", &self.url).field("headers", &names).finish()
    }
}

/// How a connection check went at the HTTP level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeResponse {
    /// The server answered with this status.
    Status(u16),
    /// No answer: refused, unresolvable, TLS failure or timeout (a short reason).
    Failed(String),
}

/// Makes the `GET` of a connection check (no redirects are followed; the body is not read).
#[async_trait]
pub trait HttpProbe: Send + Sync + 'static {
    async fn get(&self, request: &ProbeRequest) -> ProbeResponse;
}
