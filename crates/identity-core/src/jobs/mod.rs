//! Durable background jobs: a queue on the stores we already run (PostgreSQL's `jobs` table,
//! or its memory twin), the rules of a job's life (leases, retries with backoff and jitter,
//! dead jobs, unique keys, priorities), the handlers of each kind (mail, instance
//! provisioning, retention), and the admins' view. The loop that claims and runs jobs is the
//! worker's (`identity-worker`), which has the I/O of time.

mod handler;
mod mail;
mod model;
mod retention;
mod service;
mod store;

/// Jobs, their states and rules.
pub mod domain {
    pub use super::model::{
        Backoff, Job, JobFilter, JobId, JobKind, JobState, MAX_ERROR_CHARS, NewJob, Purged, QueueDepth, Refused,
        RetentionPolicy, Transition,
    };
}

/// What jobs need of a store.
pub mod ports {
    pub use super::store::{JobQueue, JobWrites, Retention, Transitioned};
}

/// Running jobs, their handlers and the admins' view.
pub mod usecases {
    pub use super::handler::{JobError, JobHandler, JobRunner, RunOutcome, RunnerSettings};
    pub use super::mail::{MailHandler, MailJobs};
    pub use super::retention::{RetentionHandler, RetentionSchedule, retention_job};
    pub use super::service::{JobQuery, JobService};
}
