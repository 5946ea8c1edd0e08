//! The outbox relay: moves committed events from the outbox to the broker (or the
//! in-process bus). Every replica runs one; the store's claim (`FOR UPDATE SKIP LOCKED`)
//! keeps them from publishing the same event twice. A pass runs every 200 ms when idle, and at
//! once when a transaction of this process recorded events (`Outbox::committed`), so a change
//! reaches the broker in milliseconds. What a pass does to each row (publish,
//! record a failure, park an undecodable row) is the store's contract (`Outbox`); this task
//! paces the passes and logs what they did.

use std::sync::Arc;
use std::time::Duration;

use identity_core::ports::{Clock, EventPublisher, Outbox, RelayReport};
use tokio::sync::watch;
use tokio::task::JoinHandle;

const BATCH: usize = 100;
const IDLE: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// Logs what a pass did: every parked row once at ERROR, publish failures at WARN.
fn log(report: &RelayReport) {
    for parked in &report.parked {
        tracing::error!(
            outbox_id = %parked.id,
            seq = parked.seq,
            event_type = %parked.event_type,
            attempts = parked.attempts,
            error = parked.last_error.as_deref().unwrap_or_default(),
            "outbox row parked: it cannot be published until the cause is fixed and it is re-queued"
        );
    }
    if report.failed > 0 {
        tracing::warn!(
            failed = report.failed,
            published = report.published,
            error = report.error.as_deref().unwrap_or_default(),
            "publishing outbox events failed; they stay in the outbox and are retried"
        );
    }
}

/// Starts the relay; it stops (after a last flush) when `stop` turns true.
pub fn spawn(
    outbox: Arc<dyn Outbox>,
    publisher: Arc<dyn EventPublisher>,
    clock: Arc<dyn Clock>,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut backoff = IDLE;
        loop {
            let wait = match outbox.relay(BATCH, publisher.as_ref(), clock.now()).await {
                Ok(report) => {
                    log(&report);
                    if report.unavailable && report.published == 0 {
                        // Nothing went out: the broker is down. Back off. (Refused rows wait
                        // their own retry time: the next pass takes the rows after them.)
                        let wait = backoff;
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                        wait
                    } else {
                        backoff = IDLE;
                        if report.claimed() == BATCH { Duration::ZERO } else { IDLE }
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, retry_in_ms = backoff.as_millis() as u64, "outbox relay failed");
                    let wait = backoff;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    wait
                }
            };
            if *stop.borrow() {
                break;
            }
            if !wait.is_zero() {
                // Idle, a commit of this process wakes it at once; backing off, only the time.
                let idle = wait == IDLE;
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = outbox.committed(), if idle => {}
                    _ = stop.changed() => {}
                }
            }
            if *stop.borrow() {
                break;
            }
        }
        // Flush what is left before the process exits.
        match outbox.relay(BATCH * 10, publisher.as_ref(), clock.now()).await {
            Ok(report) => {
                log(&report);
                if report.published > 0 {
                    tracing::info!(published = report.published, "outbox flushed at shutdown");
                }
            }
            Err(error) => {
                tracing::warn!(%error, "outbox flush at shutdown failed; events stay in the outbox")
            }
        }
    })
}
