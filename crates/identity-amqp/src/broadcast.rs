//! A transient queue per replica: every replica declares its own exclusive, auto-delete,
//! server-named queue bound to the events exchange for the routing keys it cares about, and
//! hands each event on (the WebSocket gateway delivers it to the replica's own sockets). So a
//! change committed through one replica reaches the sockets of every replica.
//!
//! Delivery is at most once by design: messages are consumed with auto-ack, the queue keeps at
//! most [`MAX_QUEUED`] messages (the oldest go first), and it goes with the connection, so what
//! is published while a replica is disconnected never reaches it. Clients resynchronise with
//! `GET`s after a reconnect (`docs/realtime.md`). The feed reconnects by itself when the broker
//! goes away and never holds anything else up.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use identity_core::DomainEvent;
use lapin::options::{BasicConsumeOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable};
use tokio::sync::watch;

use crate::Received;

/// Messages one replica's queue holds at most: past it RabbitMQ drops the oldest (a replica
/// that fell this far behind has lost those pushes anyway; its clients resynchronise).
pub const MAX_QUEUED: i32 = 10_000;

/// Where a replica's feed comes from.
#[derive(Debug, Clone)]
pub struct BroadcastSettings {
    pub url: String,
    /// The topic exchange the outbox relay publishes to (declared durable if missing).
    pub exchange: String,
    /// The routing keys bound (event types: `user.updated`, `session.revoked`, …).
    pub routing_keys: Vec<String>,
    /// This service's CloudEvents `source`: only its own events are handed on. Other
    /// services' `instance.updated` reach sockets once this service applied them and emitted
    /// its own (`INSTANCE_EVENTS_EXCHANGE`), with the owner and the version applied.
    pub source: String,
    /// How long opening a connection may take.
    pub timeout: Duration,
    /// Roots trusted for `amqps://` besides the system's (`AMQP_CA_FILE`).
    pub ca: Option<identity_tls::CaBundle>,
}

/// What receives each event (the gateway's `dispatch`); it must not block.
pub type Deliver = Arc<dyn Fn(&DomainEvent) + Send + Sync>;

/// Runs until `stop` turns true: connects, declares the replica's queue, consumes; on any
/// connection error waits (1 s doubling to 30 s) and starts again with a fresh queue.
pub fn spawn_broadcast(
    settings: BroadcastSettings,
    deliver: Deliver,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut backoff = Duration::from_secs(1);
        while !*stop.borrow() {
            match consume(&settings, &deliver, &mut stop, &mut backoff).await {
                Ok(()) => break,
                Err(error) if crate::connect::untrusted(&error) => {
                    tracing::error!(
                        %error,
                        exchange = %settings.exchange,
                        retry_in_s = backoff.as_secs(),
                        "the WebSocket feed: {}",
                        crate::connect::UNTRUSTED
                    );
                }
                Err(error) => {
                    tracing::warn!(
                        %error,
                        exchange = %settings.exchange,
                        retry_in_s = backoff.as_secs(),
                        "the WebSocket feed lost the broker: pushes to this replica's sockets are lost until it is back"
                    );
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = stop.changed() => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(30));
        }
    })
}

async fn consume(
    settings: &BroadcastSettings,
    deliver: &Deliver,
    stop: &mut watch::Receiver<bool>,
    backoff: &mut Duration,
) -> anyhow::Result<()> {
    let (_connection, channel) =
        crate::consumer::open_topic(&settings.url, settings.ca.as_ref(), settings.timeout, &settings.exchange).await?;
    let mut arguments = FieldTable::default();
    arguments.insert("x-max-length".into(), AMQPValue::LongInt(MAX_QUEUED));
    // Server-named, this connection's only, gone with it.
    let transient = QueueDeclareOptions { exclusive: true, auto_delete: true, ..QueueDeclareOptions::default() };
    let queue = channel.queue_declare("".into(), transient, arguments).await?;
    for key in &settings.routing_keys {
        channel
            .queue_bind(
                queue.name().clone(),
                settings.exchange.as_str().into(),
                key.as_str().into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
    }
    let auto_ack = BasicConsumeOptions { no_ack: true, exclusive: true, ..BasicConsumeOptions::default() };
    let mut consumer =
        channel.basic_consume(queue.name().clone(), "identity-gateway".into(), auto_ack, FieldTable::default()).await?;
    tracing::info!(
        exchange = %settings.exchange,
        queue = %queue.name(),
        "the WebSocket feed consumes the events exchange"
    );
    *backoff = Duration::from_secs(1);
    loop {
        let delivery = tokio::select! {
            next = consumer.next() => next,
            _ = stop.changed() => return Ok(()),
        };
        let Some(delivery) = delivery else { anyhow::bail!("the consumer was cancelled") };
        let delivery = delivery?;
        match crate::decode(&delivery.data) {
            Ok(Some(Received { source, event })) if source == settings.source => deliver(&event),
            // Another service's event on the exchange, or a type this service does not know.
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, routing_key = %delivery.routing_key, "the WebSocket feed skipped a message it cannot read");
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use identity_core::EventType;
    use identity_core::ports::EventPublisher;
    use identity_core::testkit::fixtures;
    use lapin::options::{BasicPublishOptions, ExchangeDeleteOptions};

    use super::*;
    use lapin::{Connection, ConnectionProperties};

    use crate::{AmqpPublisher, AmqpSettings};

    fn url() -> String {
        std::env::var("TEST_AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
    }

    /// Two replicas' feeds each get every event the relay publishes, decoded as it was
    /// recorded; other services' events and other routing keys are not handed on.
    #[tokio::test]
    async fn every_replica_gets_the_events_of_its_routing_keys() {
        let exchange = format!("identity.test.{}", uuid::Uuid::now_v7().simple());
        let (stop_tx, stop) = watch::channel(false);
        let mut received = Vec::new();
        for _ in 0..2 {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            let settings = BroadcastSettings {
                url: url(),
                exchange: exchange.clone(),
                routing_keys: vec!["user.updated".into(), "instance.*".into()],
                source: "/identity/test".into(),
                timeout: Duration::from_secs(10),
                ca: None,
            };
            let deliver: Deliver = Arc::new(move |event: &DomainEvent| {
                let _ = tx.send(event.clone());
            });
            spawn_broadcast(settings, deliver, stop.clone());
            received.push(rx);
        }
        let publisher = AmqpPublisher::connect(AmqpSettings {
            url: url(),
            exchange: exchange.clone(),
            source: "/identity/test".into(),
            timeout: Duration::from_secs(10),
            ca: None,
        })
        .await
        .unwrap();
        let updated = fixtures::event(EventType::UserUpdated, uuid::Uuid::now_v7());
        // Both queues are bound once a publish is routed (`mandatory`: unroutable fails).
        tokio::time::timeout(Duration::from_secs(10), async {
            while publisher.publish(std::slice::from_ref(&updated)).await.is_err() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
        .unwrap();
        // Make sure the second queue is bound too: a few more of the same until both have one.
        let mut firsts = Vec::new();
        for rx in &mut received {
            let first = loop {
                match tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
                    Ok(Some(event)) => break event,
                    _ => publisher.publish(std::slice::from_ref(&updated)).await.unwrap(),
                }
            };
            firsts.push(first);
        }
        for first in &firsts {
            assert_eq!(first.id, updated.id);
            assert_eq!(first.event_type, EventType::UserUpdated);
            assert_eq!(first.subject, updated.subject);
            assert_eq!(first.payload, updated.payload);
            assert_eq!(first.occurred_at.timestamp_micros(), updated.occurred_at.timestamp_micros());
        }
        while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(200), received[0].recv()).await {}
        while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(200), received[1].recv()).await {}

        // Not bound: session.created is never routed here (another queue takes it).
        let conn = Connection::connect(&url(), ConnectionProperties::default()).await.unwrap();
        let channel = conn.create_channel().await.unwrap();
        let other = channel
            .queue_declare(
                "".into(),
                QueueDeclareOptions { exclusive: true, auto_delete: true, ..Default::default() },
                FieldTable::default(),
            )
            .await
            .unwrap();
        channel
            .queue_bind(
                other.name().clone(),
                exchange.as_str().into(),
                "#".into(),
                Default::default(),
                Default::default(),
            )
            .await
            .unwrap();
        publisher.publish(&[fixtures::event(EventType::SessionCreated, uuid::Uuid::now_v7())]).await.unwrap();
        // Another service's instance.updated on the same exchange: not this service's.
        let theirs = serde_json::json!({
            "specversion": "1.0", "id": uuid::Uuid::now_v7(), "type": "instance.updated",
            "source": "/provisioner", "time": "2026-01-01T00:00:00Z", "data": {"instance_id": uuid::Uuid::now_v7()}
        });
        channel
            .basic_publish(
                exchange.as_str().into(),
                "instance.updated".into(),
                BasicPublishOptions::default(),
                theirs.to_string().as_bytes(),
                lapin::BasicProperties::default(),
            )
            .await
            .unwrap()
            .await
            .unwrap();
        let created = fixtures::event(EventType::InstanceCreated, uuid::Uuid::now_v7());
        publisher.publish(std::slice::from_ref(&created)).await.unwrap();
        for rx in &mut received {
            let next = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.unwrap().unwrap();
            assert_eq!((next.id, next.event_type), (created.id, EventType::InstanceCreated));
        }
        stop_tx.send(true).unwrap();
        channel.exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default()).await.unwrap();
    }
}
