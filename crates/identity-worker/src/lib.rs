//! The durable jobs' loops, which have the I/O of time that `identity-core` leaves out: the
//! worker that claims due jobs and runs them under a lease ([`spawn_worker`]), the retention
//! schedule every replica ticks ([`spawn_schedule`]), and the gauges of a queue's depth
//! ([`record_depth`], [`QueueGauges`]). Every rule of a job's life (claims, leases, backoff,
//! dead jobs) is core's (`JobRunner`, `RetentionSchedule`); these loops only pace it.
//!
//! Every loop stops when its `stop` receiver turns `true` (or its sender is dropped), like
//! the outbox relay and the AMQP consumer.

mod gauges;
mod schedule;
mod worker;

pub use gauges::{GaugeValue, QueueGauges, gauge_values, record_depth, spawn_gauges};
pub use schedule::spawn_schedule;
pub use worker::{WorkerSettings, spawn_worker};

use tokio::sync::watch;

/// Runs by `kind` and `outcome` (`succeeded`, `retrying`, `dead`, `lease_lost`: the outcomes
/// of core's `RunOutcome`; `released`: handed back at shutdown; `panicked`: the handler
/// panicked and the job waits for its lease to expire).
pub const RUNS: &str = "identity_job_runs_total";
/// How long a run took, by `kind` (whatever its outcome).
pub const DURATION: &str = "identity_job_duration_seconds";
/// Store errors of the worker by `op` (`claim`, `extend`, `settle`, `release`): the job
/// waits for its lease to expire and runs again.
pub const ERRORS: &str = "identity_job_errors_total";
/// Jobs by `queue`, `kind` and `state`.
pub const JOBS: &str = "identity_jobs";
/// How long the oldest due queued job has waited, by `queue` and `kind` (0 when none is due).
pub const OLDEST: &str = "identity_jobs_oldest_seconds";

/// Describes this crate's series on the installed recorder (call it once the recorder is).
pub fn describe_metrics() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(RUNS, "Job runs by kind and outcome");
    describe_histogram!(DURATION, Unit::Seconds, "Time one job run took, by kind");
    describe_counter!(ERRORS, "Job store errors of the worker by operation");
    describe_gauge!(JOBS, "Jobs by queue, kind and state");
    describe_gauge!(OLDEST, Unit::Seconds, "Age of the oldest due queued job by queue and kind");
}

/// Resolves once `stop` is `true`, or its sender is gone (nobody can stop the loop any
/// more: the process is ending).
pub(crate) async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

/// Whether `stop` is `true`, or its sender is gone.
pub(crate) fn is_stopped(stop: &watch::Receiver<bool>) -> bool {
    *stop.borrow() || stop.has_changed().is_err()
}
