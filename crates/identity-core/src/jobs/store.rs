//! What jobs need of a store: a queue (PostgreSQL's `jobs` table claimed with
//! `FOR UPDATE SKIP LOCKED`, or its memory twin), the enqueue inside a change's transaction,
//! and retention.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use super::model::{Job, JobFilter, JobId, JobKind, NewJob, Purged, QueueDepth, Refused, RetentionPolicy, Transition};
use crate::ports::RepoError;

/// Enqueues jobs in an open transaction ([`Transaction`](crate::ports::Transaction) and
/// [`AgentsTransaction`](crate::ports::AgentsTransaction)): the job exists if and only if the
/// change that needs it committed.
#[async_trait]
pub trait JobWrites: Send {
    /// `false` when `job.unique_key` is taken (by a job in any state, until retention
    /// deletes it): nothing is written, and the job runs once.
    async fn enqueue(&mut self, job: &NewJob) -> Result<bool, RepoError>;
}

/// What became of a [`JobQueue::transition`].
#[derive(Debug, Clone, PartialEq)]
pub enum Transitioned {
    /// Applied: the job as it is now.
    Done(Job),
    /// Refused by [`Job::apply`]: the job as it is (unchanged).
    Refused(Refused, Job),
    NotFound,
}

/// The durable queue of one store. The rules are core's ([`Job`]); the adapters apply them:
///
/// - [`JobQueue::claim`] takes up to `limit` jobs of `kinds` that are
///   [claimable](Job::is_claimable) at `now`, highest `priority` first, then earliest
///   `run_at`, then id; jobs another worker is claiming are skipped (PostgreSQL:
///   `FOR UPDATE SKIP LOCKED`), so no job is claimed twice at once. Each is
///   [claimed](Job::claim) by `worker` for `lease` and returned as claimed; a job found
///   [spent](Job::is_spent) is [expired](Job::expire) instead and not returned.
/// - [`JobQueue::transition`] locks one job, [applies](Job::apply) the transition and writes
///   it, in one transaction.
#[async_trait]
pub trait JobQueue: Send + Sync + 'static {
    /// Enqueues one job in a transaction of its own; `false` when its unique key is taken.
    async fn enqueue(&self, job: &NewJob) -> Result<bool, RepoError>;
    async fn claim(
        &self,
        kinds: &[JobKind],
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<Job>, RepoError>;
    async fn transition(
        &self,
        id: JobId,
        transition: &Transition,
        now: DateTime<Utc>,
    ) -> Result<Transitioned, RepoError>;
    async fn find_job(&self, id: JobId) -> Result<Option<Job>, RepoError>;
    /// Jobs for which [`JobFilter::matches`] holds, newest (highest id) first, at most
    /// `filter.limit`.
    async fn list_jobs(&self, filter: &JobFilter) -> Result<Vec<Job>, RepoError>;
    /// For each kind and state that has jobs: how many, and the earliest `run_at` among them.
    async fn depth(&self) -> Result<Vec<QueueDepth>, RepoError>;
}

/// Deletes what has expired or aged out of one store ([`RetentionPolicy`]): expired sessions
/// (and with them their refresh tokens) and sessions revoked before `history_before`, expired
/// refresh tokens, expired or used one-time tokens, login attempts, published outbox rows,
/// handled messages and finished jobs older than `history_before`, expired request keys.
/// Nothing live or waiting is touched: a pending or parked outbox row, a queued or running
/// job, a live session and its live refresh tokens stay.
#[async_trait]
pub trait Retention: Send + Sync + 'static {
    async fn purge(&self, policy: &RetentionPolicy) -> Result<Purged, RepoError>;
}
