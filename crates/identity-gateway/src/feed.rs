//! Where the gateway's events come from: the in-process bus of the embedded default, or (with
//! a broker) this replica's own queue on the events exchange, bound to [`EVENT_TYPES`].

use std::sync::Arc;

use identity_core::domain::{DomainEvent, EventType};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use crate::{Gateway, metric};

/// The event types that push something to a socket (those core's
/// [`Push::of`](identity_core::domain::Push::of) turns into frames): the routing keys a
/// replica's queue binds. Only these: every other event type stays unroutable until a consumer
/// of its own binds it (the relay's `mandatory` publishing keeps it in the outbox meanwhile).
pub const EVENT_TYPES: [EventType; 6] = [
    EventType::UserUpdated,
    EventType::SessionRevoked,
    EventType::InstanceCreated,
    EventType::InstanceUpdated,
    EventType::InstanceDeleted,
    EventType::PresenceUpdated,
];

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

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use identity_core::domain::Push;
    use uuid::Uuid;

    use super::*;

    /// A type `Push::of` pushes and the list does not name would never reach a socket on
    /// another replica; one the list names and `Push::of` ignores is traffic for nothing.
    #[test]
    fn the_routing_keys_are_the_types_that_push_something() {
        for event_type in EventType::ALL {
            let user = Uuid::now_v7();
            let event = DomainEvent {
                id: Uuid::now_v7(),
                event_type,
                aggregate_id: user,
                subject: Some(user),
                occurred_at: Utc::now(),
                payload: serde_json::json!({"user_id": user, "session_id": Uuid::now_v7(), "changed": []}),
            };
            assert_eq!(Push::of(&event).is_some(), EVENT_TYPES.contains(&event_type), "{event_type:?}");
        }
    }
}
