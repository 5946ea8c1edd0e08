//! Events on a queue of your own: declares the durable queue QUEUE (default `my-events`),
//! binds it to every event of the exchange (`#`) and prints each event as it arrives, one line
//! each: type, subject, data. The queue keeps what arrives while this is not running.
//!
//! ```text
//! cargo run -q -p identity-amqp --example events [QUEUE]
//! ```
//!
//! `AMQP_URL` (default `amqp://guest:guest@127.0.0.1:5672/%2f`) and `AMQP_EXCHANGE` (default
//! `identity.events`) as for the server. Ctrl-C stops it; delete the queue with
//! `rabbitmqctl delete_queue QUEUE` when done.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties, ExchangeKind};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into());
    let exchange = std::env::var("AMQP_EXCHANGE").unwrap_or_else(|_| "identity.events".into());
    let queue = std::env::args().nth(1).unwrap_or_else(|| "my-events".into());

    let connection = Connection::connect(&url, ConnectionProperties::default())
        .await
        .map_err(|e| anyhow::anyhow!("RabbitMQ (AMQP_URL) is not reachable: {e}"))?;
    let channel = connection.create_channel().await?;
    // Declared as the server declares it, so the binding works before the server first starts.
    let durable = ExchangeDeclareOptions { durable: true, ..ExchangeDeclareOptions::default() };
    channel.exchange_declare(exchange.as_str().into(), ExchangeKind::Topic, durable, FieldTable::default()).await?;
    let options = QueueDeclareOptions { durable: true, ..QueueDeclareOptions::default() };
    channel.queue_declare(queue.as_str().into(), options, FieldTable::default()).await?;
    channel
        .queue_bind(
            queue.as_str().into(),
            exchange.as_str().into(),
            "#".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    eprintln!("queue {queue} is bound to every event of {exchange}; waiting for events (Ctrl-C stops)");

    let mut consumer = channel
        .basic_consume(
            queue.as_str().into(),
            "identity-events-example".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    loop {
        let delivery = tokio::select! {
            delivery = consumer.next() => delivery,
            _ = tokio::signal::ctrl_c() => break,
        };
        let Some(delivery) = delivery else { break };
        let delivery = delivery?;
        let event: serde_json::Value = serde_json::from_slice(&delivery.data).unwrap_or_default();
        println!("{} {} {}", delivery.routing_key.as_str(), event["subject"].as_str().unwrap_or("-"), event["data"]);
        delivery.ack(BasicAckOptions::default()).await?;
    }
    Ok(())
}
