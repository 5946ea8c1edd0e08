//! Durable jobs: what a job is, its states, and every rule of its life — when it can be
//! claimed, what a lease is, how a failure backs off and when it ends dead, what an admin may
//! do to it. Both queue adapters apply these rules (the contract suite checks it); none of
//! them lives in SQL.

use std::hash::{Hash, Hasher};

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use crate::domain::FieldError;
use crate::kernel::uuid_id;

uuid_id!(
    /// A job's id (UUIDv7: ids sort by creation).
    JobId
);

/// What a job does; each kind has one handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JobKind {
    /// Deliver one mail through the configured transport.
    Mail,
    /// Set up an agent instance through the provisioner (`provisioning` → `ready`/`failed`).
    ProvisionInstance,
    /// Delete what has expired (sessions, tokens, keys, old history) in one store.
    Retention,
}

impl JobKind {
    pub const ALL: [Self; 3] = [Self::Mail, Self::ProvisionInstance, Self::Retention];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mail => "mail",
            Self::ProvisionInstance => "provision_instance",
            Self::Retention => "retention",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }

    /// A kind named in a request (a listing's filter).
    pub fn parse_field(field: &str, raw: &str) -> Result<Self, FieldError> {
        Self::parse(raw)
            .ok_or_else(|| FieldError::new(field, "invalid_choice", "one of mail, provision_instance, retention"))
    }

    /// Higher runs first when several jobs are due: mail a user waits for before
    /// provisioning, and housekeeping last.
    pub fn priority(self) -> i16 {
        match self {
            Self::Mail => 10,
            Self::ProvisionInstance => 5,
            Self::Retention => 0,
        }
    }
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JobState {
    /// Waiting to run at `run_at` (a first run, or a retry after a failure's backoff).
    Queued,
    /// A worker holds its lease until `locked_until`.
    Running,
    Succeeded,
    /// Failed `max_attempts` times (or failed for good): an admin may retry it.
    Dead,
    /// An admin cancelled it before it ran.
    Cancelled,
}

impl JobState {
    pub const ALL: [Self; 5] = [Self::Queued, Self::Running, Self::Succeeded, Self::Dead, Self::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Dead => "dead",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == raw)
    }

    pub fn parse_field(field: &str, raw: &str) -> Result<Self, FieldError> {
        Self::parse(raw).ok_or_else(|| {
            FieldError::new(field, "invalid_choice", "one of queued, running, succeeded, dead, cancelled")
        })
    }

    /// Whether the job is over (it runs no more unless an admin retries it).
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Succeeded | Self::Dead | Self::Cancelled)
    }
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub id: JobId,
    pub kind: JobKind,
    /// What the handler needs, shown to admins: never a secret.
    pub payload: Value,
    /// What the handler needs that is secret (a mail's code or link), sealed with the secret
    /// box under [`Job::sealed_context`]; never shown.
    pub sealed: Option<String>,
    /// A job enqueued again under a key that is taken is not enqueued: it runs once.
    pub unique_key: Option<String>,
    pub priority: i16,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

impl NewJob {
    /// A job of `kind` due at `now`, with the kind's priority.
    pub fn new(id: JobId, kind: JobKind, payload: Value, max_attempts: i32, now: DateTime<Utc>) -> Self {
        Self {
            id,
            kind,
            payload,
            sealed: None,
            unique_key: None,
            priority: kind.priority(),
            max_attempts: max_attempts.max(1),
            run_at: now,
            created_at: now,
        }
    }

    pub fn with_unique_key(self, key: impl Into<String>) -> Self {
        Self { unique_key: Some(key.into()), ..self }
    }

    pub fn with_sealed(self, sealed: String) -> Self {
        Self { sealed: Some(sealed), ..self }
    }

    pub fn at(self, run_at: DateTime<Utc>) -> Self {
        Self { run_at, ..self }
    }

    /// The job as it is stored at enqueue.
    pub fn into_job(self) -> Job {
        Job {
            id: self.id,
            kind: self.kind,
            payload: self.payload,
            sealed: self.sealed,
            unique_key: self.unique_key,
            priority: self.priority,
            state: JobState::Queued,
            attempts: 0,
            max_attempts: self.max_attempts,
            run_at: self.run_at,
            created_at: self.created_at,
            updated_at: self.created_at,
            started_at: None,
            finished_at: None,
            locked_by: None,
            locked_until: None,
            last_error: None,
            result: None,
        }
    }
}

/// A stored job.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: JobId,
    pub kind: JobKind,
    pub payload: Value,
    pub sealed: Option<String>,
    pub unique_key: Option<String>,
    pub priority: i16,
    pub state: JobState,
    /// Runs started so far (a claim counts one, whether the run ends or its worker dies).
    pub attempts: i32,
    pub max_attempts: i32,
    /// When it is (or was) due.
    pub run_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When its last run started.
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The worker holding its lease, while it runs.
    pub locked_by: Option<String>,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// What its successful run reported (retention: what it deleted).
    pub result: Option<Value>,
}

/// Longest `last_error` kept (characters).
pub const MAX_ERROR_CHARS: usize = 2000;

/// A change to a job: a worker's (which needs its lease) or an admin's.
#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    /// The run succeeded, with what it reports.
    Succeed { worker: String, result: Option<Value> },
    /// The run failed: queued again at `retry_at`, or dead when `None`.
    Fail { worker: String, error: String, retry_at: Option<DateTime<Utc>> },
    /// The run goes on: the lease lasts until `until`.
    Extend { worker: String, until: DateTime<Utc> },
    /// The worker stops (shutdown) before the run: the job is due again at once, and the
    /// attempt it was claimed with is given back.
    Release { worker: String },
    /// An admin's retry: a dead, cancelled or waiting job is due now with its attempts reset.
    Retry,
    /// An admin's cancel of a queued job.
    Cancel,
}

/// Why a transition was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The worker no longer holds the job's lease (it expired and another worker took it):
    /// its result is dropped.
    LeaseLost,
    /// An admin asked for what the job's state does not allow (cancel a running job, retry
    /// a succeeded one).
    WrongState,
}

impl Job {
    /// The context a job's sealed part is sealed under: it opens for this job only.
    pub fn sealed_context(id: JobId) -> String {
        format!("jobs/{id}")
    }

    /// Whether a worker may claim it at `now`: queued and due, or running with a lease that
    /// expired (its worker died).
    pub fn is_claimable(&self, now: DateTime<Utc>) -> bool {
        match self.state {
            JobState::Queued => self.run_at <= now,
            JobState::Running => self.locked_until.is_none_or(|until| until < now),
            _ => false,
        }
    }

    /// Whether a claim at `now` finds its last lease expired with no attempt left: it is then
    /// made dead ([`Job::expire`]) instead of claimed.
    pub fn is_spent(&self, now: DateTime<Utc>) -> bool {
        self.state == JobState::Running && self.is_claimable(now) && self.attempts >= self.max_attempts
    }

    /// Claimed by `worker` at `now` for `lease`: one attempt more.
    pub fn claim(&mut self, worker: &str, now: DateTime<Utc>, lease: Duration) {
        self.state = JobState::Running;
        self.attempts += 1;
        self.started_at = Some(now);
        self.locked_by = Some(worker.to_owned());
        self.locked_until = Some(now + lease);
        self.updated_at = now;
    }

    /// Its worker died during its last attempt: dead.
    pub fn expire(&mut self, now: DateTime<Utc>) {
        self.finish(JobState::Dead, now);
        self.last_error = Some("the worker's lease expired on the last attempt".into());
    }

    /// Applies `transition` at `now`, or refuses it (and leaves the job as it was).
    pub fn apply(&mut self, transition: &Transition, now: DateTime<Utc>) -> Result<(), Refused> {
        match transition {
            Transition::Succeed { worker, result } => {
                self.holds(worker)?;
                self.finish(JobState::Succeeded, now);
                self.result = result.clone();
                // Its secret is no longer needed: it does not wait in the table for retention.
                self.sealed = None;
            }
            Transition::Fail { worker, error, retry_at } => {
                self.holds(worker)?;
                self.last_error = Some(error.chars().take(MAX_ERROR_CHARS).collect());
                match retry_at {
                    Some(at) => {
                        self.unlock(JobState::Queued, now);
                        self.run_at = *at;
                    }
                    None => self.finish(JobState::Dead, now),
                }
            }
            Transition::Extend { worker, until } => {
                self.holds(worker)?;
                self.locked_until = Some(*until);
                self.updated_at = now;
            }
            Transition::Release { worker } => {
                self.holds(worker)?;
                self.unlock(JobState::Queued, now);
                self.attempts = (self.attempts - 1).max(0);
                self.run_at = now;
            }
            Transition::Retry => {
                if !matches!(self.state, JobState::Dead | JobState::Cancelled | JobState::Queued) {
                    return Err(Refused::WrongState);
                }
                self.unlock(JobState::Queued, now);
                self.attempts = 0;
                self.run_at = now;
                self.finished_at = None;
            }
            Transition::Cancel => {
                if self.state != JobState::Queued {
                    return Err(Refused::WrongState);
                }
                self.finish(JobState::Cancelled, now);
            }
        }
        Ok(())
    }

    /// When a run that failed at `now` is tried again, or `None` when it was the last attempt
    /// (the job ends dead).
    pub fn retry_at(&self, now: DateTime<Utc>, backoff: &Backoff) -> Option<DateTime<Utc>> {
        (self.attempts < self.max_attempts).then(|| now + backoff.delay(self.id, self.attempts))
    }

    fn holds(&self, worker: &str) -> Result<(), Refused> {
        if self.state == JobState::Running && self.locked_by.as_deref() == Some(worker) {
            Ok(())
        } else {
            Err(Refused::LeaseLost)
        }
    }

    fn unlock(&mut self, state: JobState, now: DateTime<Utc>) {
        self.state = state;
        self.locked_by = None;
        self.locked_until = None;
        self.updated_at = now;
    }

    fn finish(&mut self, state: JobState, now: DateTime<Utc>) {
        self.unlock(state, now);
        self.finished_at = Some(now);
    }
}

/// How long a failed job waits before its next attempt: exponential from `base`, capped at
/// `max`, with jitter (the delay is between half and all of the exponential value) so jobs
/// that failed together do not retry together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { base: Duration::seconds(5), max: Duration::minutes(30) }
    }
}

impl Backoff {
    /// The wait after the `attempt`-th failure (1-based) of job `id`. The jitter is derived
    /// from the job and the attempt: spread across jobs, reproducible for one.
    pub fn delay(&self, id: JobId, attempt: i32) -> Duration {
        let exponent = u32::try_from(attempt.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        let base_ms = self.base.num_milliseconds().max(1);
        let max_ms = self.max.num_milliseconds().max(base_ms);
        let full = base_ms.saturating_mul(1_i64 << exponent).min(max_ms);
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (id.as_uuid(), attempt).hash(&mut hasher);
        let fraction = (hasher.finish() % 1000) as i64; // 0‥999 thousandths
        Duration::milliseconds(full / 2 + full / 2 * fraction / 1000)
    }
}

/// A page of an admin's listing: newest first, optionally one kind and one state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobFilter {
    pub kind: Option<JobKind>,
    pub state: Option<JobState>,
    /// Jobs with an id below this one (the cursor).
    pub before: Option<JobId>,
    pub limit: usize,
}

impl JobFilter {
    pub fn matches(&self, job: &Job) -> bool {
        self.kind.is_none_or(|kind| job.kind == kind)
            && self.state.is_none_or(|state| job.state == state)
            && self.before.is_none_or(|before| job.id < before)
    }
}

/// How many jobs of one kind are in one state, and when the oldest of them became due (for
/// queued jobs: how long the queue has kept work waiting).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueDepth {
    pub kind: JobKind,
    pub state: JobState,
    pub count: u64,
    pub oldest_run_at: Option<DateTime<Utc>>,
}

/// What retention deletes in one pass: everything that ended before these instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Expired sessions, refresh tokens, one-time tokens and request keys (their end is
    /// before this: now).
    pub expired_before: DateTime<Utc>,
    /// Revoked sessions, login attempts, published outbox rows, handled messages and
    /// finished jobs older than this.
    pub history_before: DateTime<Utc>,
}

impl RetentionPolicy {
    pub fn at(now: DateTime<Utc>, keep_history: Duration) -> Self {
        Self { expired_before: now, history_before: now - keep_history }
    }
}

/// What one retention pass deleted, by table.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Purged {
    pub sessions: u64,
    pub refresh_tokens: u64,
    pub one_time_tokens: u64,
    pub login_attempts: u64,
    pub request_keys: u64,
    pub outbox: u64,
    pub consumed_messages: u64,
    pub jobs: u64,
}

impl Purged {
    pub fn total(&self) -> u64 {
        self.sessions
            + self.refresh_tokens
            + self.one_time_tokens
            + self.login_attempts
            + self.request_keys
            + self.outbox
            + self.consumed_messages
            + self.jobs
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn job(now: DateTime<Utc>) -> Job {
        NewJob::new(JobId::from_uuid(uuid::Uuid::now_v7()), JobKind::Mail, Value::Null, 3, now).into_job()
    }

    #[test]
    fn a_lease_is_held_until_it_expires_then_another_worker_takes_it() {
        let now = Utc::now();
        let mut job = job(now);
        assert!(job.is_claimable(now));
        job.claim("a", now, Duration::seconds(30));
        assert!(!job.is_claimable(now + Duration::seconds(30)));
        assert!(job.is_claimable(now + Duration::seconds(31)));
        job.claim("b", now + Duration::seconds(31), Duration::seconds(30));
        assert_eq!(job.attempts, 2);
        let late = Transition::Succeed { worker: "a".into(), result: None };
        assert_eq!(job.apply(&late, now), Err(Refused::LeaseLost));
        job.apply(&Transition::Succeed { worker: "b".into(), result: Some(Value::from(1)) }, now).unwrap();
        assert_eq!(job.state, JobState::Succeeded);
    }

    #[test]
    fn failures_back_off_with_jitter_and_end_dead() {
        let now = Utc::now();
        let backoff = Backoff { base: Duration::seconds(2), max: Duration::seconds(10) };
        let mut job = job(now);
        let mut waits = Vec::new();
        for _ in 0..3 {
            job.claim("a", now, Duration::seconds(30));
            let retry_at = job.retry_at(now, &backoff);
            waits.push(retry_at.map(|at| (at - now).num_milliseconds()));
            let fail = Transition::Fail { worker: "a".into(), error: "smtp down".into(), retry_at };
            job.apply(&fail, now).unwrap();
        }
        let first = waits[0].unwrap();
        let second = waits[1].unwrap();
        assert!((1000..=2000).contains(&first), "{waits:?}");
        assert!((2000..=4000).contains(&second), "{waits:?}");
        assert_eq!(waits[2], None);
        assert_eq!(job.state, JobState::Dead);
        assert_eq!(job.last_error.as_deref(), Some("smtp down"));
        let capped = backoff.delay(job.id, 20).num_milliseconds();
        assert!((5000..=10_000).contains(&capped), "{capped}");
    }

    #[test]
    fn admins_retry_what_is_over_and_cancel_only_what_waits() {
        let now = Utc::now();
        let mut job = job(now);
        job.claim("a", now, Duration::seconds(30));
        assert_eq!(job.apply(&Transition::Cancel, now), Err(Refused::WrongState));
        assert_eq!(job.apply(&Transition::Retry, now), Err(Refused::WrongState));
        job.apply(&Transition::Fail { worker: "a".into(), error: "x".into(), retry_at: None }, now).unwrap();
        job.apply(&Transition::Retry, now).unwrap();
        assert_eq!((job.state, job.attempts), (JobState::Queued, 0));
        job.apply(&Transition::Cancel, now).unwrap();
        assert_eq!(job.state, JobState::Cancelled);
    }

    #[test]
    fn a_released_job_gets_its_attempt_back() {
        let now = Utc::now();
        let mut job = job(now);
        job.claim("a", now, Duration::seconds(30));
        job.apply(&Transition::Release { worker: "a".into() }, now).unwrap();
        assert_eq!((job.state, job.attempts, job.run_at), (JobState::Queued, 0, now));
    }
}
