//! Consuming other services' events: a durable quorum queue bound to their exchange, messages
//! handed to a [`MessageHandler`] one at a time and acknowledged once it handled them. A
//! message the handler cannot handle is handed back; RabbitMQ counts its deliveries and, past
//! the queue's delivery limit, dead-letters it to `<queue>.dead`, so a poison message never
//! blocks the queue. The consumer reconnects by itself when the broker goes away.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use lapin::ExchangeKind;
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions, ExchangeDeclareOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use tokio::sync::watch;
use tracing::Instrument;

/// Messages consumed, by `queue` and `outcome` (what the handler said: `applied`, `duplicate`,
/// `stale`, `unknown`, `ignored`; `failed` when it could not handle the message).
pub const CONSUMED: &str = "identity_events_consumed_total";
/// Messages handed back for the last time: RabbitMQ moves them to `<queue>.dead`.
pub const DEAD_LETTERED: &str = "identity_events_dead_lettered_total";

/// Where to consume from.
#[derive(Debug, Clone)]
pub struct ConsumerSettings {
    pub url: String,
    /// The topic exchange other services publish to (declared durable if missing).
    pub exchange: String,
    /// The routing key bound (`instance.updated`).
    pub routing_key: String,
    /// The durable quorum queue (its dead letters go to `<queue>.dead`).
    pub queue: String,
    /// Deliveries of one message before it is dead-lettered.
    pub delivery_limit: u32,
    /// How long opening a connection may take.
    pub timeout: Duration,
    /// Roots trusted for `amqps://` besides the system's (`AMQP_CA_FILE`).
    pub ca: Option<identity_tls::CaBundle>,
}

/// One message as the handler sees it.
#[derive(Debug, Clone)]
pub struct Message {
    /// The AMQP `message_id` (or `None`: the handler may read the body's id).
    pub message_id: Option<String>,
    pub body: Vec<u8>,
    /// How many times RabbitMQ delivered it before (quorum queues count).
    pub redeliveries: u32,
}

/// Handles one message: `Ok(outcome)` acknowledges it (the outcome is counted), `Err` hands
/// it back to be delivered again.
#[async_trait]
pub trait MessageHandler: Send + Sync + 'static {
    async fn handle(&self, message: &Message) -> Result<&'static str, String>;
}

/// Runs until `stop` turns true: connects, declares, consumes; on any connection error waits
/// (1 s doubling to 30 s) and starts again.
pub fn spawn_consumer(
    settings: ConsumerSettings,
    handler: Arc<dyn MessageHandler>,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut backoff = Duration::from_secs(1);
        while !*stop.borrow() {
            match consume(&settings, handler.as_ref(), &mut stop).await {
                Ok(()) => break,
                Err(error) if crate::connect::untrusted(&error) => {
                    tracing::error!(%error, queue = %settings.queue, retry_in_s = backoff.as_secs(), "event consumer: {}", crate::connect::UNTRUSTED);
                }
                Err(error) => {
                    tracing::warn!(%error, queue = %settings.queue, retry_in_s = backoff.as_secs(), "event consumer lost the broker");
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

/// The queue's arguments: a quorum queue with a delivery limit, dead-lettering to `<queue>.dlx`.
/// RabbitMQ dead-letters a message once it was handed back more times than `x-delivery-limit`,
/// so a limit of `delivery_limit - 1` returns lets it be delivered `delivery_limit` times.
fn queue_arguments(settings: &ConsumerSettings) -> FieldTable {
    let mut arguments = FieldTable::default();
    arguments.insert("x-queue-type".into(), AMQPValue::LongString("quorum".into()));
    arguments.insert(
        "x-delivery-limit".into(),
        AMQPValue::LongInt(i32::try_from(settings.delivery_limit.saturating_sub(1)).unwrap_or(i32::MAX)),
    );
    arguments.insert("x-dead-letter-exchange".into(), AMQPValue::LongString(format!("{}.dlx", settings.queue).into()));
    arguments
}

/// A connection (within `timeout`) and a channel on which the durable topic `exchange` is
/// declared: where every consumer of the events starts. Keep the connection as long as the
/// channel.
pub(crate) async fn open_topic(
    url: &str,
    ca: Option<&identity_tls::CaBundle>,
    timeout: Duration,
    exchange: &str,
) -> anyhow::Result<(lapin::Connection, lapin::Channel)> {
    let connection = tokio::time::timeout(timeout, crate::connect::connect(url, ca))
        .await
        .map_err(|_| anyhow::anyhow!("no AMQP connection within {}s", timeout.as_secs()))??;
    let channel = connection.create_channel().await?;
    let durable = ExchangeDeclareOptions { durable: true, ..ExchangeDeclareOptions::default() };
    channel.exchange_declare(exchange.into(), ExchangeKind::Topic, durable, FieldTable::default()).await?;
    Ok((connection, channel))
}

async fn consume(
    settings: &ConsumerSettings,
    handler: &dyn MessageHandler,
    stop: &mut watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let (_connection, channel) =
        open_topic(&settings.url, settings.ca.as_ref(), settings.timeout, &settings.exchange).await?;
    let durable = ExchangeDeclareOptions { durable: true, ..ExchangeDeclareOptions::default() };
    // Dead letters: a fanout exchange and a quorum queue that keeps them for an operator.
    let dlx = format!("{}.dlx", settings.queue);
    let dead = format!("{}.dead", settings.queue);
    channel.exchange_declare(dlx.as_str().into(), ExchangeKind::Fanout, durable, FieldTable::default()).await?;
    let mut quorum = FieldTable::default();
    quorum.insert("x-queue-type".into(), AMQPValue::LongString("quorum".into()));
    let queue_options = QueueDeclareOptions { durable: true, ..QueueDeclareOptions::default() };
    channel.queue_declare(dead.as_str().into(), queue_options, quorum).await?;
    channel
        .queue_bind(
            dead.as_str().into(),
            dlx.as_str().into(),
            "".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    channel.queue_declare(settings.queue.as_str().into(), queue_options, queue_arguments(settings)).await?;
    channel
        .queue_bind(
            settings.queue.as_str().into(),
            settings.exchange.as_str().into(),
            settings.routing_key.as_str().into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    channel.basic_qos(16, BasicQosOptions::default()).await?;
    let mut consumer = channel
        .basic_consume(
            settings.queue.as_str().into(),
            "identity".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    tracing::info!(queue = %settings.queue, exchange = %settings.exchange, "consuming events");
    loop {
        let delivery = tokio::select! {
            next = consumer.next() => next,
            _ = stop.changed() => return Ok(()),
        };
        let Some(delivery) = delivery else { anyhow::bail!("the consumer was cancelled") };
        handle(settings, handler, delivery?).await?;
    }
}

/// The deliveries before this one (`x-delivery-count`, set by quorum queues on redeliveries).
fn redeliveries(delivery: &Delivery) -> u32 {
    let count =
        delivery.properties.headers().as_ref().and_then(|headers| headers.inner().get("x-delivery-count").cloned());
    match count {
        Some(AMQPValue::LongLongInt(n)) => u32::try_from(n).unwrap_or(u32::MAX),
        Some(AMQPValue::LongInt(n)) => u32::try_from(n).unwrap_or(u32::MAX),
        Some(AMQPValue::LongUInt(n)) => n,
        Some(AMQPValue::ShortInt(n)) => u32::try_from(n).unwrap_or(0),
        _ => 0,
    }
}

async fn handle(settings: &ConsumerSettings, handler: &dyn MessageHandler, delivery: Delivery) -> anyhow::Result<()> {
    let message = Message {
        message_id: delivery.properties.message_id().as_ref().map(|id| id.to_string()),
        body: delivery.data.clone(),
        redeliveries: redeliveries(&delivery),
    };
    let queue = settings.queue.clone();
    // The handler runs in a span whose parent is the trace the message carries (crate::trace).
    let span = crate::trace::consume_span(&settings.queue, delivery.properties.headers().as_ref());
    match handler.handle(&message).instrument(span).await {
        Ok(outcome) => {
            metrics::counter!(CONSUMED, "queue" => queue, "outcome" => outcome).increment(1);
            delivery.ack(BasicAckOptions::default()).await?;
        }
        Err(error) => {
            let last = message.redeliveries + 1 >= settings.delivery_limit;
            tracing::warn!(
                queue = %settings.queue,
                message_id = ?message.message_id,
                deliveries = message.redeliveries + 1,
                dead_lettered = last,
                %error,
                "an event could not be handled"
            );
            metrics::counter!(CONSUMED, "queue" => queue.clone(), "outcome" => "failed").increment(1);
            if last {
                metrics::counter!(DEAD_LETTERED, "queue" => queue).increment(1);
            }
            delivery.nack(BasicNackOptions { requeue: true, ..BasicNackOptions::default() }).await?;
        }
    }
    Ok(())
}
