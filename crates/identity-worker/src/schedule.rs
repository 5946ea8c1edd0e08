//! The retention schedule: every replica enqueues the current interval's retention job at
//! start and then every `every`; the job's unique key names the interval, so the queue keeps
//! one per interval however many replicas tick.

use std::time::Duration;

use identity_core::usecases::RetentionSchedule;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use crate::stopped;

/// Shortest period between ticks.
const MIN_EVERY: Duration = Duration::from_millis(10);

/// Ticks `schedule` at once and then every `every` (a fraction of the retention interval, so
/// a replica that starts late in an interval still schedules it) until `stop` turns true.
/// Errors are logged; the next tick tries again.
pub fn spawn_schedule(schedule: RetentionSchedule, every: Duration, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every.max(MIN_EVERY));
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                () = stopped(&mut stop) => break,
                _ = ticks.tick() => {}
            }
            match schedule.tick().await {
                Ok(true) => tracing::info!("retention job scheduled for this interval"),
                Ok(false) => tracing::debug!("retention job of this interval already scheduled"),
                Err(error) => tracing::warn!(%error, "scheduling the retention job failed; the next tick retries"),
            }
        }
    })
}
