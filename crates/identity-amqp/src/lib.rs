//! RabbitMQ adapter (lapin): publishes domain events from the outbox relay as CloudEvents 1.0
//! JSON to a topic exchange, routing key = event type, message id = event id, with publisher
//! confirms, persistent and `mandatory`: a message no bound queue takes is returned and its
//! event retried, not dropped. A lost connection is re-opened on the next publish, so a broker
//! restart only delays events (they stay in the outbox until confirmed). [`decode`] reads such
//! a message back; [`spawn_broadcast`] feeds a replica's WebSocket gateway from a transient
//! queue of its own on the exchange.

mod broadcast;
mod connect;
mod consumer;
mod trace;

pub use broadcast::{BroadcastSettings, Deliver, MAX_QUEUED, spawn_broadcast};
pub use consumer::{CONSUMED, ConsumerSettings, DEAD_LETTERED, Message, MessageHandler, spawn_consumer};

use async_trait::async_trait;
use identity_core::DomainEvent;
use identity_core::ports::{EventPublisher, HealthCheck, PublishError, TraceContext};
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection, ExchangeKind};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use tracing::Instrument;

/// Events RabbitMQ did not take, by `reason` (`unroutable`: returned, no bound queue takes the
/// routing key; `nack`: refused) and `event_type`. Each stays in the outbox and is retried.
pub const REFUSED: &str = "identity_events_refused_total";

/// Where and as whom events are published.
#[derive(Debug, Clone)]
pub struct AmqpSettings {
    pub url: String,
    /// Topic exchange, declared durable on connect (default `identity.events`).
    pub exchange: String,
    /// CloudEvents `source` of every event.
    pub source: String,
    /// How long opening a connection (at start-up and every re-open later) and each batch's
    /// confirms may take: a broker that accepts TCP but never answers fails the attempt
    /// instead of stalling the relay and `/ready`.
    pub timeout: std::time::Duration,
    /// Roots trusted for `amqps://` besides the system's (`AMQP_CA_FILE`).
    pub ca: Option<identity_tls::CaBundle>,
}

/// The CloudEvents 1.0 JSON envelope.
#[derive(Debug, Serialize)]
pub struct CloudEvent<'a> {
    pub specversion: &'static str,
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: &'static str,
    pub source: &'a str,
    pub time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub datacontenttype: &'static str,
    pub data: &'a serde_json::Value,
}

impl<'a> CloudEvent<'a> {
    pub fn from_event(event: &'a DomainEvent, source: &'a str) -> Self {
        Self {
            specversion: "1.0",
            id: event.id.to_string(),
            event_type: event.event_type.as_str(),
            source,
            time: event.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            subject: event.subject.map(|s| s.to_string()),
            datacontenttype: "application/json",
            data: &event.payload,
        }
    }
}

/// A CloudEvents message read back: who published it and the event it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    /// The CloudEvents `source` (this service's `EVENT_SOURCE`, or another service's).
    pub source: String,
    /// The event as it was recorded, but for `aggregate_id`, which the message does not carry:
    /// the subject's (nil without one).
    pub event: DomainEvent,
}

/// The envelope [`CloudEvent`] writes, as read back.
#[derive(Deserialize)]
struct Envelope {
    id: uuid::Uuid,
    #[serde(rename = "type")]
    event_type: String,
    source: String,
    time: chrono::DateTime<chrono::Utc>,
    subject: Option<uuid::Uuid>,
    #[serde(default)]
    data: serde_json::Value,
}

/// The inverse of the publisher's encoding ([`CloudEvent::from_event`]): the event a message's
/// body carries, `Ok(None)` for a type this service does not know, `Err` for a body that is
/// not such a CloudEvent.
pub fn decode(body: &[u8]) -> Result<Option<Received>, serde_json::Error> {
    let envelope: Envelope = serde_json::from_slice(body)?;
    let Some(event_type) = identity_core::EventType::parse(&envelope.event_type) else { return Ok(None) };
    let event = DomainEvent {
        id: envelope.id,
        event_type,
        aggregate_id: envelope.subject.unwrap_or_default(),
        subject: envelope.subject,
        occurred_at: envelope.time,
        payload: envelope.data,
    };
    Ok(Some(Received { source: envelope.source, event }))
}

struct Link {
    // Kept so the connection lives as long as its channel.
    _connection: Connection,
    channel: Channel,
}

/// Publishes to RabbitMQ with publisher confirms.
pub struct AmqpPublisher {
    settings: AmqpSettings,
    link: Mutex<Option<Link>>,
}

impl AmqpPublisher {
    /// Connects, enables confirms and declares the exchange; fails if the broker is not there.
    pub async fn connect(settings: AmqpSettings) -> anyhow::Result<Self> {
        let publisher = Self { settings, link: Mutex::new(None) };
        {
            let mut link = publisher.link.lock().await;
            *link = Some(publisher.open().await?);
        }
        Ok(publisher)
    }

    /// A publisher that connects on its first publish (or readiness check), for a broker that
    /// is down at start-up: events wait in the outbox until it answers.
    pub fn lazy(settings: AmqpSettings) -> Self {
        Self { settings, link: Mutex::new(None) }
    }

    async fn open(&self) -> anyhow::Result<Link> {
        let timeout = self.settings.timeout;
        tokio::time::timeout(timeout, self.open_unbounded()).await.map_err(|_| {
            anyhow::anyhow!(
                "RabbitMQ accepted no AMQP connection within {}s (no answer to the handshake)",
                timeout.as_secs()
            )
        })?
    }

    async fn open_unbounded(&self) -> anyhow::Result<Link> {
        let connection = connect::connect(&self.settings.url, self.settings.ca.as_ref()).await?;
        let channel = connection.create_channel().await?;
        channel.confirm_select(ConfirmSelectOptions::default()).await?;
        channel
            .exchange_declare(
                self.settings.exchange.as_str().into(),
                ExchangeKind::Topic,
                ExchangeDeclareOptions { durable: true, ..ExchangeDeclareOptions::default() },
                FieldTable::default(),
            )
            .await?;
        Ok(Link { _connection: connection, channel })
    }

    /// The live channel, reconnecting first if the previous one died.
    async fn channel(&self) -> anyhow::Result<Channel> {
        let mut link = self.link.lock().await;
        if let Some(current) = link.as_ref()
            && current.channel.status().connected()
        {
            return Ok(current.channel.clone());
        }
        *link = None;
        let fresh = self.open().await?;
        let channel = fresh.channel.clone();
        *link = Some(fresh);
        tracing::info!(exchange = %self.settings.exchange, "connected to RabbitMQ");
        Ok(channel)
    }

    /// Publishes every event (persistent, `mandatory`), then waits for every confirm. A nack
    /// or a return names its event ([`PublishError::Rejected`]); anything else says nothing
    /// about the events. Each message carries the trace context of its `publish` span, a child
    /// of the trace its event was recorded in (`traces`, parallel to `events`).
    async fn publish_on(
        &self,
        channel: &Channel,
        events: &[DomainEvent],
        traces: &[Option<TraceContext>],
    ) -> Result<(), PublishError> {
        let mut confirms = Vec::with_capacity(events.len());
        for (i, event) in events.iter().enumerate() {
            let span = trace::publish_span(&self.settings.exchange, event, traces.get(i).and_then(Option::as_ref));
            let body = serde_json::to_vec(&CloudEvent::from_event(event, &self.settings.source))
                .map_err(|e| PublishError::Unavailable(e.into()))?;
            let properties = BasicProperties::default()
                .with_message_id(event.id.to_string().into())
                .with_type(event.event_type.as_str().into())
                .with_content_type("application/cloudevents+json".into())
                .with_delivery_mode(2)
                .with_timestamp(u64::try_from(event.occurred_at.timestamp()).unwrap_or_default());
            let properties = match trace::headers(&span) {
                Some(headers) => properties.with_headers(headers),
                None => properties,
            };
            let confirm = channel
                .basic_publish(
                    self.settings.exchange.as_str().into(),
                    event.event_type.as_str().into(),
                    // Unroutable: returned (basic.return before the ack), not dropped.
                    BasicPublishOptions { mandatory: true, ..BasicPublishOptions::default() },
                    &body,
                    properties,
                )
                .instrument(span)
                .await
                .map_err(|e| PublishError::Unavailable(e.into()))?;
            confirms.push((event.id, confirm));
        }
        let mut nacked = Vec::new();
        let mut returned = Vec::new();
        let deadline = tokio::time::Instant::now() + self.settings.timeout;
        for (id, confirm) in confirms {
            let confirmation = tokio::time::timeout_at(deadline, confirm)
                .await
                .map_err(|_| {
                    PublishError::Unavailable(anyhow::anyhow!(
                        "RabbitMQ confirmed no publish within {}s",
                        self.settings.timeout.as_secs()
                    ))
                })?
                .map_err(|e| PublishError::Unavailable(e.into()))?;
            if confirmation.is_nack() {
                nacked.push(id);
            }
            // lapin hands each basic.return to the next confirm it resolves, which is not
            // always the returned message's own (a `multiple` ack resolves several): the
            // message id names the event.
            if let Some(message) = confirmation.take_message() {
                returned.push(message);
            }
        }
        let unroutable = self.unroutable(events, &returned)?;
        if nacked.is_empty() && unroutable.is_empty() {
            return Ok(());
        }
        let reason = match (nacked.len(), unroutable.len()) {
            (_, 0) => "RabbitMQ refused the event (nack)".to_owned(),
            (0, _) => {
                format!("unroutable: no queue bound to exchange {} takes its routing key", self.settings.exchange)
            }
            (n, u) => format!("RabbitMQ refused {n} event(s) (nack) and returned {u} unroutable"),
        };
        for event in events.iter().filter(|e| nacked.contains(&e.id)) {
            metrics::counter!(REFUSED, "reason" => "nack", "event_type" => event.event_type.as_str()).increment(1);
        }
        let mut ids = nacked;
        for id in unroutable {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        Err(PublishError::Rejected { ids, reason })
    }

    /// The events RabbitMQ returned as unroutable, each logged and counted. A returned message
    /// that names none of them (no message id) fails the whole call: nothing is dropped.
    fn unroutable(
        &self,
        events: &[DomainEvent],
        returned: &[lapin::message::BasicReturnMessage],
    ) -> Result<Vec<uuid::Uuid>, PublishError> {
        let mut ids = Vec::new();
        for message in returned {
            let event = message
                .delivery
                .properties
                .message_id()
                .as_ref()
                .and_then(|id| uuid::Uuid::parse_str(id.as_str()).ok())
                .and_then(|id| events.iter().find(|e| e.id == id))
                .ok_or_else(|| {
                    PublishError::Unavailable(anyhow::anyhow!(
                        "RabbitMQ returned a message naming none of the published events ({} {})",
                        message.reply_code,
                        message.reply_text
                    ))
                })?;
            tracing::warn!(
                outbox_id = %event.id,
                event_type = %event.event_type.as_str(),
                exchange = %self.settings.exchange,
                reply = %format_args!("{} {}", message.reply_code, message.reply_text),
                "event unroutable: no queue bound to the exchange takes its routing key; it stays in the outbox \
                 and is retried"
            );
            metrics::counter!(REFUSED, "reason" => "unroutable", "event_type" => event.event_type.as_str())
                .increment(1);
            if !ids.contains(&event.id) {
                ids.push(event.id);
            }
        }
        Ok(ids)
    }
}

#[async_trait]
impl EventPublisher for AmqpPublisher {
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), PublishError> {
        self.publish_traced(events, &[]).await
    }

    async fn publish_traced(
        &self,
        events: &[DomainEvent],
        traces: &[Option<TraceContext>],
    ) -> Result<(), PublishError> {
        let channel = self.channel().await.map_err(PublishError::Unavailable)?;
        let result = self.publish_on(&channel, events, traces).await;
        if let Err(PublishError::Unavailable(_)) = &result {
            // Start from a fresh connection next time (a nack leaves the channel usable).
            *self.link.lock().await = None;
        }
        result
    }
}

#[async_trait]
impl HealthCheck for AmqpPublisher {
    fn name(&self) -> &'static str {
        "rabbitmq"
    }

    /// Requests are served while the broker is down: their events wait in the outbox.
    fn required(&self) -> bool {
        false
    }

    async fn check(&self) -> anyhow::Result<()> {
        self.channel().await.map(|_| ())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use identity_core::EventType;
    use identity_core::testkit::fixtures;
    use lapin::ConnectionProperties;
    use lapin::options::{BasicGetOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions};

    use super::*;

    fn url() -> String {
        std::env::var("TEST_AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
    }

    /// A private queue bound to `exchange` for the routing keys `pattern`.
    async fn bound_queue(channel: &Channel, exchange: &str, pattern: &str, arguments: FieldTable) -> lapin::Queue {
        let options = QueueDeclareOptions { exclusive: true, auto_delete: true, ..Default::default() };
        let queue = channel.queue_declare("".into(), options, arguments).await.unwrap();
        let bind = QueueBindOptions::default();
        channel
            .queue_bind(queue.name().clone(), exchange.into(), pattern.into(), bind, FieldTable::default())
            .await
            .unwrap();
        queue
    }

    #[tokio::test]
    async fn publishes_cloudevents_with_confirms_routing_key_and_message_id() {
        // An exchange of its own, so parallel runs never see each other's messages.
        let exchange = format!("identity.test.{}", uuid::Uuid::now_v7().simple());
        let settings = AmqpSettings {
            url: url(),
            exchange: exchange.clone(),
            source: "/identity/test".into(),
            timeout: std::time::Duration::from_secs(10),
            ca: None,
        };
        let publisher = AmqpPublisher::connect(settings)
            .await
            .unwrap_or_else(|e| panic!("RabbitMQ is not reachable at {} ({e:#}); cargo xtask test starts it", url()));
        publisher.check().await.unwrap();

        let conn = Connection::connect(&url(), ConnectionProperties::default()).await.unwrap();
        let channel = conn.create_channel().await.unwrap();
        let queue = bound_queue(&channel, &exchange, "user.*", FieldTable::default()).await;
        // Another consumer takes everything: no event is unroutable.
        let _everything = bound_queue(&channel, &exchange, "#", FieldTable::default()).await;

        let registered = fixtures::event(EventType::UserRegistered, uuid::Uuid::now_v7());
        let session = fixtures::event(EventType::SessionCreated, uuid::Uuid::now_v7());
        publisher.publish(&[registered.clone(), session]).await.unwrap();

        let message = channel
            .basic_get(queue.name().clone(), BasicGetOptions { no_ack: true })
            .await
            .unwrap()
            .expect("user.registered was routed to the user.* queue");
        let delivery = message.delivery;
        assert_eq!(delivery.routing_key.as_str(), "user.registered");
        assert_eq!(
            delivery.properties.message_id().as_ref().map(|s| s.as_str().to_owned()),
            Some(registered.id.to_string())
        );
        let body: serde_json::Value = serde_json::from_slice(&delivery.data).unwrap();
        assert_eq!(body["specversion"], "1.0");
        assert_eq!(body["id"], registered.id.to_string());
        assert_eq!(body["type"], "user.registered");
        assert_eq!(body["source"], "/identity/test");
        assert_eq!(body["subject"], registered.subject.unwrap().to_string());
        assert_eq!(body["data"], registered.payload);
        // session.created does not match user.*: nothing else is queued.
        let rest = channel.basic_get(queue.name().clone(), BasicGetOptions { no_ack: true }).await.unwrap();
        assert!(rest.is_none());
        channel.exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default()).await.unwrap();
    }

    #[test]
    fn decode_reads_back_what_the_publisher_writes() {
        let event = fixtures::event(EventType::SessionRevoked, uuid::Uuid::now_v7());
        let body = serde_json::to_vec(&CloudEvent::from_event(&event, "/identity")).unwrap();
        let received = decode(&body).unwrap().unwrap();
        assert_eq!(received.source, "/identity");
        assert_eq!(
            (received.event.id, received.event.event_type, received.event.subject),
            (event.id, event.event_type, event.subject)
        );
        assert_eq!(received.event.payload, event.payload);
        assert_eq!(received.event.occurred_at.timestamp_micros(), event.occurred_at.timestamp_micros());
        let unknown = serde_json::json!({
            "specversion": "1.0", "id": uuid::Uuid::now_v7(), "type": "provisioner.started",
            "source": "/provisioner", "time": "2026-01-01T00:00:00Z", "data": {}
        });
        assert_eq!(decode(unknown.to_string().as_bytes()).unwrap(), None);
        assert!(decode(b"{ not json").is_err());
        assert!(
            decode(br#"{"id":"not-a-uuid","type":"user.updated","source":"/x","time":"2026-01-01T00:00:00Z"}"#)
                .is_err()
        );
    }

    #[tokio::test]
    async fn a_refused_event_is_named_and_the_others_are_confirmed() {
        let exchange = format!("identity.test.{}", uuid::Uuid::now_v7().simple());
        let settings = AmqpSettings {
            url: url(),
            exchange: exchange.clone(),
            source: "/identity/test".into(),
            timeout: std::time::Duration::from_secs(10),
            ca: None,
        };
        let publisher = AmqpPublisher::connect(settings).await.unwrap();

        // A queue that holds one message and refuses the next: RabbitMQ nacks what it refuses.
        let conn = Connection::connect(&url(), ConnectionProperties::default()).await.unwrap();
        let channel = conn.create_channel().await.unwrap();
        let mut arguments = FieldTable::default();
        arguments.insert("x-max-length".into(), lapin::types::AMQPValue::LongInt(1));
        arguments.insert("x-overflow".into(), lapin::types::AMQPValue::LongString("reject-publish".into()));
        let queue = bound_queue(&channel, &exchange, "session.*", arguments).await;
        let _users = bound_queue(&channel, &exchange, "user.*", FieldTable::default()).await;

        let first = fixtures::event(EventType::SessionCreated, uuid::Uuid::now_v7());
        let refused = fixtures::event(EventType::SessionRevoked, uuid::Uuid::now_v7());
        let other = fixtures::event(EventType::UserVerified, uuid::Uuid::now_v7());
        let error = publisher.publish(&[first.clone(), refused.clone(), other.clone()]).await.unwrap_err();
        match &error {
            PublishError::Rejected { ids, .. } => assert_eq!(ids, &vec![refused.id]),
            other => panic!("expected a rejection, got {other:?}"),
        }
        assert!(error.failed(refused.id) && !error.failed(first.id) && !error.failed(other.id));
        assert_eq!(error.failure(refused.id), Some(identity_core::PublishFailure::Refused));
        // The channel is still usable after a nack.
        let message = channel.basic_get(queue.name().clone(), BasicGetOptions { no_ack: true }).await.unwrap().unwrap();
        assert_eq!(message.delivery.routing_key.as_str(), "session.created");
        publisher.publish(std::slice::from_ref(&other)).await.unwrap();
        channel.exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default()).await.unwrap();
    }

    /// `mandatory`: what no bound queue takes comes back and is named, whichever confirm lapin
    /// attaches the return to (acks may cover several publishes); the rest is confirmed.
    #[tokio::test]
    async fn unroutable_events_are_named_and_the_others_are_confirmed() {
        let exchange = format!("identity.test.{}", uuid::Uuid::now_v7().simple());
        let settings = AmqpSettings {
            url: url(),
            exchange: exchange.clone(),
            source: "/identity/test".into(),
            timeout: std::time::Duration::from_secs(10),
            ca: None,
        };
        let publisher = AmqpPublisher::connect(settings).await.unwrap();
        let conn = Connection::connect(&url(), ConnectionProperties::default()).await.unwrap();
        let channel = conn.create_channel().await.unwrap();
        let queue = bound_queue(&channel, &exchange, "user.*", FieldTable::default()).await;

        // Interleaved: every third event is a session event, which no queue takes.
        let events: Vec<DomainEvent> = (0..60)
            .map(|n| {
                let kind = if n % 3 == 2 { EventType::SessionCreated } else { EventType::UserUpdated };
                fixtures::event(kind, uuid::Uuid::now_v7())
            })
            .collect();
        let error = publisher.publish(&events).await.unwrap_err();
        let PublishError::Rejected { ids, reason } = &error else { panic!("expected a rejection, got {error:?}") };
        assert!(reason.contains("unroutable"), "{reason}");
        let mut expected: Vec<_> =
            events.iter().filter(|e| e.event_type == EventType::SessionCreated).map(|e| e.id).collect();
        let mut named = ids.clone();
        expected.sort();
        named.sort();
        assert_eq!(named, expected);
        assert_eq!(error.failure(expected[0]), Some(identity_core::PublishFailure::Refused));
        let mut routed = 0;
        while channel.basic_get(queue.name().clone(), BasicGetOptions { no_ack: true }).await.unwrap().is_some() {
            routed += 1;
        }
        assert_eq!(routed, 40, "the routable events were confirmed and queued");
        // The channel stays usable.
        publisher.publish(&events[..1]).await.unwrap();
        channel.exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default()).await.unwrap();
    }
}
