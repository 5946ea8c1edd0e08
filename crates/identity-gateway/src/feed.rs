//! Where the gateway's events come from: the in-process bus of the embedded default.

use std::sync::Arc;

use identity_core::domain::DomainEvent;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use crate::{Gateway, metric};

/// Delivers every event of `events` (a subscription to the in-process bus) to the gateway's
/// sockets until `stop` turns true. Events the subscription missed (it lagged) are lost:
/// delivery to sockets is at most once, and clients resynchronise with `GET`s.
pub fn spawn_bus_feed(
    gateway: Arc<Gateway>,
    mut events: broadcast::Receiver<DomainEvent>,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Ok(event) => gateway.dispatch(&event),
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        metrics::counter!(metric::FRAMES_DROPPED).increment(missed);
                        tracing::warn!(missed, "the gateway fell behind the in-process bus: events were not pushed");
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                _ = stop.changed() => break,
            }
        }
    })
}
