//! A queue's gauges: jobs by kind and state (`identity_jobs{queue,kind,state}`), and how long
//! the oldest due queued job of each kind has waited (`identity_jobs_oldest_seconds{queue,kind}`).
//! Every kind × state is set each time, so a series whose jobs are gone falls back to 0
//! instead of keeping its last value.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use identity_core::domain::{JobKind, JobState, QueueDepth};
use identity_core::ports::{Clock, JobQueue};
use metrics::Label;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::{JOBS, OLDEST, stopped};

/// One gauge's value (without the `queue` label, which [`record_depth`] adds).
#[derive(Debug, Clone, PartialEq)]
pub struct GaugeValue {
    /// [`JOBS`](crate::JOBS) or [`OLDEST`](crate::OLDEST).
    pub name: &'static str,
    pub labels: Vec<(&'static str, &'static str)>,
    pub value: f64,
}

/// The gauges of a queue whose [`JobQueue::depth`] is `depths` at `now`: a count for every
/// kind × state (0 where the queue has none), and for every kind the age in seconds of its
/// earliest due queued job (0 when none is due).
pub fn gauge_values(depths: &[QueueDepth], now: DateTime<Utc>) -> Vec<GaugeValue> {
    let mut values = Vec::with_capacity(JobKind::ALL.len() * (JobState::ALL.len() + 1));
    for kind in JobKind::ALL {
        let of = |state: JobState| depths.iter().find(|depth| depth.kind == kind && depth.state == state);
        for state in JobState::ALL {
            values.push(GaugeValue {
                name: JOBS,
                labels: vec![("kind", kind.as_str()), ("state", state.as_str())],
                value: of(state).map_or(0.0, |depth| depth.count as f64),
            });
        }
        let oldest = of(JobState::Queued)
            .and_then(|depth| depth.oldest_run_at)
            .map_or(0.0, |run_at| (now - run_at).num_milliseconds().max(0) as f64 / 1000.0);
        values.push(GaugeValue { name: OLDEST, labels: vec![("kind", kind.as_str())], value: oldest });
    }
    values
}

/// Sets the gauges of the queue labelled `queue_label` (`main`, `shared`) from its depth.
pub fn record_depth(queue_label: &str, depths: &[QueueDepth], now: DateTime<Utc>) {
    for gauge in gauge_values(depths, now) {
        let mut labels = vec![Label::new("queue", queue_label.to_owned())];
        labels.extend(gauge.labels.iter().map(|&(key, value)| Label::new(key, value)));
        metrics::gauge!(gauge.name, labels).set(gauge.value);
    }
}

/// One queue's gauges, read from its store.
#[derive(Clone)]
pub struct QueueGauges {
    pub queue: Arc<dyn JobQueue>,
    /// `main`, or `shared` for the shared database's queue (the `queue` label).
    pub label: &'static str,
    /// The service's clock (ages are measured on it, like every other time).
    pub clock: Arc<dyn Clock>,
}

impl QueueGauges {
    /// Reads the queue's depth and sets its gauges; on a store error they keep their values.
    pub async fn record(&self) {
        match self.queue.depth().await {
            Ok(depths) => record_depth(self.label, &depths, self.clock.now()),
            Err(error) => tracing::warn!(queue = self.label, %error, "reading the job queue's depth failed"),
        }
    }
}

/// Records `gauges` at once and then every `every` until `stop` turns true (for a process
/// whose gauges are not read at scrape time).
pub fn spawn_gauges(gauges: QueueGauges, every: Duration, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every.max(Duration::from_millis(10)));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                () = stopped(&mut stop) => break,
                _ = ticks.tick() => gauges.record().await,
            }
        }
    })
}
