//! Running a claimed job: each kind's [`JobHandler`], and the [`JobRunner`] a worker drives,
//! which turns a run's outcome into the job's next state (done, retried after its backoff,
//! dead) under the worker's lease.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::Duration;

use super::model::{Backoff, Job, JobId, JobKind, Refused, Transition};
use super::store::{JobQueue, Transitioned};
use crate::ports::Clock;
use crate::usecases::CoreError;

/// How a job's work failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Worth trying again (a dependency is down, a timeout, a 5xx): the job backs off.
    #[error("{0}")]
    Retry(String),
    /// Trying again cannot help (the receiver refused the message, the payload is
    /// malformed): the job ends dead now.
    #[error("{0}")]
    Fail(String),
}

/// Does one kind of job.
#[async_trait]
pub trait JobHandler: Send + Sync + 'static {
    fn kind(&self) -> JobKind;
    /// Does the work; `Ok` may carry a result kept on the job (shown to admins).
    async fn run(&self, job: &Job) -> Result<Option<serde_json::Value>, JobError>;
    /// Called once when the job ends dead (its last attempt failed, or it failed for good),
    /// to leave what it worked on in a known state (an instance `failed`).
    async fn gave_up(&self, _job: &Job) -> Result<(), CoreError> {
        Ok(())
    }
}

/// What became of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOutcome {
    Succeeded,
    /// Failed; queued again after its backoff.
    Retrying,
    /// Failed for the last time.
    Dead,
    /// The lease expired during the run and another worker took the job: this result is
    /// dropped.
    LeaseLost,
}

impl RunOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::Retrying => "retrying",
            Self::Dead => "dead",
            Self::LeaseLost => "lease_lost",
        }
    }
}

/// How a worker runs jobs: its name, lease and backoff.
#[derive(Debug, Clone)]
pub struct RunnerSettings {
    /// Unique per process (the lease's holder).
    pub worker: String,
    /// How long a claim holds a job before another worker may take it over; a running job's
    /// lease is extended every third of it.
    pub lease: Duration,
    pub backoff: Backoff,
}

/// Claims, runs and settles the jobs of one queue with the handlers it has.
#[derive(Clone)]
pub struct JobRunner {
    queue: Arc<dyn JobQueue>,
    clock: Arc<dyn Clock>,
    handlers: HashMap<JobKind, Arc<dyn JobHandler>>,
    kinds: Vec<JobKind>,
    settings: RunnerSettings,
}

impl JobRunner {
    pub fn new(
        queue: Arc<dyn JobQueue>,
        clock: Arc<dyn Clock>,
        handlers: Vec<Arc<dyn JobHandler>>,
        settings: RunnerSettings,
    ) -> Self {
        let handlers: HashMap<JobKind, Arc<dyn JobHandler>> =
            handlers.into_iter().map(|handler| (handler.kind(), handler)).collect();
        let mut kinds: Vec<JobKind> = handlers.keys().copied().collect();
        kinds.sort();
        Self { queue, clock, handlers, kinds, settings }
    }

    pub fn settings(&self) -> &RunnerSettings {
        &self.settings
    }

    /// The kinds this runner has handlers for (the only ones it claims).
    pub fn kinds(&self) -> &[JobKind] {
        &self.kinds
    }

    pub fn queue(&self) -> &Arc<dyn JobQueue> {
        &self.queue
    }

    /// Claims up to `limit` due jobs.
    pub async fn claim(&self, limit: usize) -> Result<Vec<Job>, CoreError> {
        if limit == 0 || self.kinds.is_empty() {
            return Ok(Vec::new());
        }
        let now = self.clock.now();
        Ok(self.queue.claim(&self.kinds, &self.settings.worker, now, self.settings.lease, limit).await?)
    }

    /// Runs a claimed job and records what became of it.
    pub async fn run(&self, job: &Job) -> Result<RunOutcome, CoreError> {
        let Some(handler) = self.handlers.get(&job.kind) else {
            return self.fail(job, JobError::Fail(format!("no handler for {}", job.kind.as_str()))).await;
        };
        match handler.run(job).await {
            Ok(result) => {
                let succeed = Transition::Succeed { worker: self.settings.worker.clone(), result };
                Ok(match self.queue.transition(job.id, &succeed, self.clock.now()).await? {
                    Transitioned::Done(_) => RunOutcome::Succeeded,
                    _ => RunOutcome::LeaseLost,
                })
            }
            Err(error) => {
                let outcome = self.fail(job, error).await?;
                if outcome == RunOutcome::Dead {
                    handler.gave_up(job).await?;
                }
                Ok(outcome)
            }
        }
    }

    /// Extends the lease of a job this worker runs; `false` when it was lost.
    pub async fn extend(&self, id: JobId) -> Result<bool, CoreError> {
        let now = self.clock.now();
        let extend = Transition::Extend { worker: self.settings.worker.clone(), until: now + self.settings.lease };
        Ok(matches!(self.queue.transition(id, &extend, now).await?, Transitioned::Done(_)))
    }

    /// Hands a claimed job back (shutdown before it could finish): due again at once.
    pub async fn release(&self, id: JobId) -> Result<bool, CoreError> {
        let release = Transition::Release { worker: self.settings.worker.clone() };
        Ok(matches!(self.queue.transition(id, &release, self.clock.now()).await?, Transitioned::Done(_)))
    }

    async fn fail(&self, job: &Job, error: JobError) -> Result<RunOutcome, CoreError> {
        let now = self.clock.now();
        let (message, retry_at) = match error {
            JobError::Retry(message) => (message, job.retry_at(now, &self.settings.backoff)),
            JobError::Fail(message) => (message, None),
        };
        let dead = retry_at.is_none();
        let fail = Transition::Fail { worker: self.settings.worker.clone(), error: message, retry_at };
        Ok(match self.queue.transition(job.id, &fail, now).await? {
            Transitioned::Done(_) if dead => RunOutcome::Dead,
            Transitioned::Done(_) => RunOutcome::Retrying,
            Transitioned::Refused(Refused::LeaseLost | Refused::WrongState, _) | Transitioned::NotFound => {
                RunOutcome::LeaseLost
            }
        })
    }
}
