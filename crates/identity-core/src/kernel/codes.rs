//! Short-lived values shared by every replica: codes and counters, revoked sessions, rate
//! limits.

use std::time::Duration;

use async_trait::async_trait;

use crate::domain::SessionId;
use crate::ports::RepoError;

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
