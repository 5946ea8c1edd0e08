//! The durable job queue in memory, and retention. The rules of a job's life are core's
//! ([`Job::claim`], [`Job::apply`], [`Job::is_spent`], [`Job::expire`]); this file only keeps
//! the rows. The store's lock makes every claim exclusive, as `FOR UPDATE SKIP LOCKED` does on
//! PostgreSQL: no job is claimed twice.

use std::collections::{BTreeMap, HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use identity_core::SessionId;
use identity_core::domain::{
    Job, JobFilter, JobId, JobKind, JobState, NewJob, Purged, QueueDepth, RetentionPolicy, Transition,
};
use identity_core::ports::{JobQueue, JobWrites, RepoError, Retention, Transitioned};

use super::{MemoryStore, MemoryTransaction, State};

/// The jobs, ordered by id (UUIDv7: creation order), and the unique keys taken.
#[derive(Default)]
pub(super) struct Jobs {
    jobs: BTreeMap<JobId, Job>,
    /// `unique_key` → the job holding it, until retention deletes that job.
    by_key: HashMap<String, JobId>,
}

impl Jobs {
    /// Stores `job` unless its unique key is taken; whether it was stored.
    fn insert(&mut self, job: &NewJob) -> bool {
        if job.unique_key.as_ref().is_some_and(|key| self.by_key.contains_key(key)) || self.jobs.contains_key(&job.id) {
            return false;
        }
        if let Some(key) = &job.unique_key {
            self.by_key.insert(key.clone(), job.id);
        }
        self.jobs.insert(job.id, job.clone().into_job());
        true
    }

    /// Takes back an enqueue (a rolled-back transaction's).
    fn remove(&mut self, id: JobId) {
        if let Some(job) = self.jobs.remove(&id)
            && let Some(key) = job.unique_key
        {
            self.by_key.remove(&key);
        }
    }
}

#[async_trait]
impl JobWrites for MemoryTransaction {
    async fn enqueue(&mut self, job: &NewJob) -> Result<bool, RepoError> {
        let mut stored = false;
        let id = job.id;
        self.write(|state| {
            let inserted = state.jobs.insert(job);
            stored = inserted;
            Box::new(move |state: &mut State| {
                if inserted {
                    state.jobs.remove(id);
                }
            })
        })?;
        Ok(stored)
    }
}

#[async_trait]
impl JobQueue for MemoryStore {
    async fn enqueue(&self, job: &NewJob) -> Result<bool, RepoError> {
        Ok(self.state.lock().await.jobs.insert(job))
    }

    async fn claim(
        &self,
        kinds: &[JobKind],
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<Job>, RepoError> {
        let mut state = self.state.lock().await;
        let mut due: Vec<&mut Job> =
            state.jobs.jobs.values_mut().filter(|job| kinds.contains(&job.kind) && job.is_claimable(now)).collect();
        due.sort_by_key(|job| (std::cmp::Reverse(job.priority), job.run_at, job.id));
        let mut claimed = Vec::new();
        for job in due {
            if claimed.len() >= limit {
                break;
            }
            if job.is_spent(now) {
                job.expire(now);
            } else {
                job.claim(worker, now, lease);
                claimed.push(job.clone());
            }
        }
        Ok(claimed)
    }

    async fn transition(
        &self,
        id: JobId,
        transition: &Transition,
        now: DateTime<Utc>,
    ) -> Result<Transitioned, RepoError> {
        let mut state = self.state.lock().await;
        let Some(job) = state.jobs.jobs.get_mut(&id) else {
            return Ok(Transitioned::NotFound);
        };
        let mut changed = job.clone();
        Ok(match changed.apply(transition, now) {
            Ok(()) => {
                *job = changed.clone();
                Transitioned::Done(changed)
            }
            Err(reason) => Transitioned::Refused(reason, job.clone()),
        })
    }

    async fn find_job(&self, id: JobId) -> Result<Option<Job>, RepoError> {
        Ok(self.state.lock().await.jobs.jobs.get(&id).cloned())
    }

    async fn list_jobs(&self, filter: &JobFilter) -> Result<Vec<Job>, RepoError> {
        let state = self.state.lock().await;
        Ok(state.jobs.jobs.values().rev().filter(|job| filter.matches(job)).take(filter.limit).cloned().collect())
    }

    async fn depth(&self) -> Result<Vec<QueueDepth>, RepoError> {
        let state = self.state.lock().await;
        let mut depth: BTreeMap<(JobKind, JobState), QueueDepth> = BTreeMap::new();
        for job in state.jobs.jobs.values() {
            let row = depth.entry((job.kind, job.state)).or_insert(QueueDepth {
                kind: job.kind,
                state: job.state,
                count: 0,
                oldest_run_at: None,
            });
            row.count += 1;
            row.oldest_run_at = Some(row.oldest_run_at.map_or(job.run_at, |oldest| oldest.min(job.run_at)));
        }
        Ok(depth.into_values().collect())
    }
}

/// How many of `items` `remove` dropped.
fn drop_where<T>(items: &mut Vec<T>, remove: impl Fn(&T) -> bool) -> u64 {
    let before = items.len();
    items.retain(|item| !remove(item));
    (before - items.len()) as u64
}

#[async_trait]
impl Retention for MemoryStore {
    async fn purge(&self, policy: &RetentionPolicy) -> Result<Purged, RepoError> {
        let RetentionPolicy { expired_before, history_before } = *policy;
        let mut guard = self.state.lock().await;
        let state = &mut *guard;
        let mut purged = Purged::default();

        // Sessions past their lifetime or revoked long ago, and their refresh tokens.
        let ended: HashSet<SessionId> = state
            .sessions
            .extract_if(|_, session| {
                session.expires_at <= expired_before || session.revoked.is_some_and(|r| r.at < history_before)
            })
            .map(|(id, _)| id)
            .collect();
        purged.sessions = ended.len() as u64;
        let before = state.refresh_tokens.len();
        state.refresh_tokens.retain(|_, token| token.expires_at > expired_before && !ended.contains(&token.session_id));
        purged.refresh_tokens = (before - state.refresh_tokens.len()) as u64;
        let tokens = &state.refresh_tokens;
        state.refresh_by_digest.retain(|_, id| tokens.contains_key(id));

        let before = state.one_time.len();
        state.one_time.retain(|_, token| token.expires_at > expired_before && token.consumed_at.is_none());
        purged.one_time_tokens = (before - state.one_time.len()) as u64;

        let before = state.login_attempts.len();
        state.login_attempts.retain(|attempt| attempt.at >= history_before);
        purged.login_attempts = (before - state.login_attempts.len()) as u64;

        let before = state.requests.len();
        state.requests.retain(|_, record| record.is_current(expired_before));
        purged.request_keys = (before - state.requests.len()) as u64;

        // Published rows only: a waiting or parked row stays whatever its age.
        purged.outbox =
            drop_where(&mut state.outbox, |entry| entry.delivery.published_at.is_some_and(|at| at < history_before));

        purged.consumed_messages = state.agents.forget_consumed_before(history_before);

        let jobs = &mut state.jobs;
        let before = jobs.jobs.len();
        jobs.jobs
            .retain(|_, job| !(job.state.is_finished() && job.finished_at.unwrap_or(job.updated_at) < history_before));
        purged.jobs = (before - jobs.jobs.len()) as u64;
        let kept = &jobs.jobs;
        jobs.by_key.retain(|_, id| kept.contains_key(id));
        Ok(purged)
    }
}
