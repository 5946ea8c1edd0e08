use async_trait::async_trait;
use identity_core::DomainEvent;
use identity_core::ports::{EventPublisher, PublishError};
use tokio::sync::broadcast;

/// The in-process event bus of the embedded mode: the outbox relay publishes here when no
/// `AMQP_URL` is configured, and in-process consumers (the WebSocket gateway) subscribe.
#[derive(Clone)]
pub struct InProcessBus {
    sender: broadcast::Sender<DomainEvent>,
}

impl InProcessBus {
    /// A bus that keeps up to `capacity` events for slow subscribers.
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(1));
        Self { sender }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<DomainEvent> {
        self.sender.subscribe()
    }
}

impl Default for InProcessBus {
    fn default() -> Self {
        Self::new(1024)
    }
}

#[async_trait]
impl EventPublisher for InProcessBus {
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), PublishError> {
        for event in events {
            // No subscriber is not an error: the event is simply not observed in-process.
            let _ = self.sender.send(event.clone());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use identity_core::EventType;

    #[tokio::test]
    async fn subscribers_receive_published_events_in_order() {
        let bus = InProcessBus::new(8);
        let mut rx = bus.subscribe();
        let a = identity_core::testkit::fixtures::event(EventType::UserRegistered, uuid::Uuid::now_v7());
        let b = identity_core::testkit::fixtures::event(EventType::SessionCreated, uuid::Uuid::now_v7());
        bus.publish(&[a.clone(), b.clone()]).await.unwrap();
        assert_eq!(rx.recv().await.unwrap(), a);
        assert_eq!(rx.recv().await.unwrap(), b);
    }
}
