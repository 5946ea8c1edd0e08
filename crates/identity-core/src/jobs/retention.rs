//! Retention: a scheduled job that deletes what has expired in one store. Every replica
//! schedules it every interval; the job's unique key names the interval, so the queue keeps
//! one per interval, and one replica runs it.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use super::handler::{JobError, JobHandler};
use super::model::{Job, JobId, JobKind, NewJob, RetentionPolicy};
use super::store::{JobQueue, Retention};
use crate::ports::{Clock, IdGenerator};
use crate::usecases::CoreError;

/// The retention job of the interval `now` falls in: due at the interval's start, keyed by
/// it (`retention:<start, seconds since the epoch>`).
pub fn retention_job(id: JobId, now: DateTime<Utc>, interval: Duration, max_attempts: i32) -> NewJob {
    let every = interval.num_seconds().max(1);
    let start = now.timestamp().div_euclid(every) * every;
    let due = DateTime::from_timestamp(start, 0).unwrap_or(now);
    NewJob::new(id, JobKind::Retention, serde_json::json!({ "interval_start": due }), max_attempts, now)
        .with_unique_key(format!("retention:{start}"))
        .at(due)
}

/// Schedules the retention job of the current interval in one queue.
#[derive(Clone)]
pub struct RetentionSchedule {
    pub queue: Arc<dyn JobQueue>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub interval: Duration,
    pub max_attempts: i32,
}

impl RetentionSchedule {
    /// Enqueues this interval's job; `false` when a replica already did.
    pub async fn tick(&self) -> Result<bool, CoreError> {
        let job =
            retention_job(JobId::from_uuid(self.ids.new_id()), self.clock.now(), self.interval, self.max_attempts);
        Ok(self.queue.enqueue(&job).await?)
    }
}

/// Runs the retention job on one store.
pub struct RetentionHandler {
    pub retention: Arc<dyn Retention>,
    pub clock: Arc<dyn Clock>,
    /// How long history (login attempts, published events, finished jobs, …) is kept.
    pub keep_history: Duration,
}

#[async_trait]
impl JobHandler for RetentionHandler {
    fn kind(&self) -> JobKind {
        JobKind::Retention
    }

    /// Its result is what it deleted, by table.
    async fn run(&self, _job: &Job) -> Result<Option<serde_json::Value>, JobError> {
        let policy = RetentionPolicy::at(self.clock.now(), self.keep_history);
        let purged = self.retention.purge(&policy).await.map_err(|e| JobError::Retry(e.to_string()))?;
        Ok(serde_json::to_value(purged).ok())
    }
}
