//! The outbox relay: moves committed events from the outbox to the broker (or the
//! in-process bus). Every replica runs one; the store's claim (`FOR UPDATE SKIP LOCKED`)
//! keeps them from publishing the same event twice.

use std::sync::Arc;
use std::time::Duration;

use identity_core::ports::{EventPublisher, Outbox};
use tokio::sync::watch;
use tokio::task::JoinHandle;

const BATCH: usize = 100;
const IDLE: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// Starts the relay; it stops (after a last flush) when `stop` turns true.
pub fn spawn(
    outbox: Arc<dyn Outbox>,
    publisher: Arc<dyn EventPublisher>,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut backoff = IDLE;
        loop {
            let wait = match outbox.relay(BATCH, publisher.as_ref()).await {
                Ok(n) if n == BATCH => Duration::ZERO,
                Ok(_) => {
                    backoff = IDLE;
                    IDLE
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
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stop.changed() => {}
                }
            }
            if *stop.borrow() {
                break;
            }
        }
        // Flush what is left before the process exits.
        match outbox.relay(BATCH * 10, publisher.as_ref()).await {
            Ok(n) if n > 0 => tracing::info!(published = n, "outbox flushed at shutdown"),
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, "outbox flush at shutdown failed; events stay in the outbox")
            }
        }
    })
}
