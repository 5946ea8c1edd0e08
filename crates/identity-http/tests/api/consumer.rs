#![allow(clippy::unwrap_used, clippy::expect_used)]

//! Other services' `instance.updated` events: applied once (a message id seen before changes
//! nothing), stale versions ignored, re-emitted for the user in the same transaction; a poison
//! message is dead-lettered after the delivery limit, counted, and never blocks the queue.

use std::time::Duration;

use lapin::options::{BasicPublishOptions, ExchangeDeclareOptions, QueueDeclareOptions, QueueDeleteOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, eventually, spawn_app_with, unique_email};

fn amqp_url() -> String {
    std::env::var("TEST_AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// Publishes as another service would: a CloudEvent with its message id.
async fn publish(channel: &Channel, exchange: &str, message_id: &str, body: &[u8]) {
    let properties = BasicProperties::default()
        .with_message_id(message_id.into())
        .with_content_type("application/cloudevents+json".into())
        .with_delivery_mode(2);
    channel
        .basic_publish(exchange.into(), "instance.updated".into(), BasicPublishOptions::default(), body, properties)
        .await
        .unwrap()
        .await
        .unwrap();
}

fn update(id: &str, instance: &str, version: i64, data: Value) -> Vec<u8> {
    let mut data = data;
    data["instance_id"] = json!(instance);
    data["version"] = json!(version);
    json!({"specversion": "1.0", "id": id, "type": "instance.updated", "source": "/provisioner", "data": data})
        .to_string()
        .into_bytes()
}

async fn instance(app: &TestApp, token: &str, id: &str) -> Value {
    app.get_authed(&format!("/v1/instances/{id}"), token).await.json().await.unwrap()
}

/// Messages waiting in `queue` (a passive declare).
async fn queued(channel: &Channel, queue: &str) -> u32 {
    let options = QueueDeclareOptions { passive: true, ..QueueDeclareOptions::default() };
    channel.queue_declare(queue.into(), options, FieldTable::default()).await.unwrap().message_count()
}

#[tokio::test]
async fn other_services_instance_updates_apply_once_and_poison_is_dead_lettered() {
    let suffix = uuid::Uuid::now_v7().simple().to_string();
    let theirs = format!("provisioner.test.{suffix}");
    let queue = format!("identity.test.instances.{suffix}");
    let ours = format!("identity.test.{suffix}");
    let connection = Connection::connect(&amqp_url(), ConnectionProperties::default()).await.unwrap();
    let channel = connection.create_channel().await.unwrap();
    let durable = ExchangeDeclareOptions { durable: true, ..ExchangeDeclareOptions::default() };
    channel
        .exchange_declare(theirs.as_str().into(), ExchangeKind::Topic, durable, FieldTable::default())
        .await
        .unwrap();

    let boss = unique_email();
    let metrics_port = crate::helpers::free_port().to_string();
    let app = spawn_app_with(
        Backend::Postgres,
        &[
            ("AMQP_URL", amqp_url().as_str()),
            ("AMQP_EXCHANGE", ours.as_str()),
            ("INSTANCE_EVENTS_EXCHANGE", theirs.as_str()),
            ("INSTANCE_EVENTS_QUEUE", queue.as_str()),
            ("EVENT_DELIVERY_LIMIT", "3"),
            ("BOOTSTRAP_ADMIN_EMAIL", boss.as_str()),
            ("METRICS_ADDR", &format!("127.0.0.1:{metrics_port}")),
        ],
    )
    .await;
    let admin = app.bootstrap_admin(&boss).await;
    let (_, login) = app.signed_in().await;
    let user = login["access_token"].as_str().unwrap().to_owned();
    let send = |method: Method, path: &str, token: &str, body: Value| {
        app.client.request(method, app.url(path)).bearer_auth(token).json(&body).send()
    };
    let agent: Value = send(Method::POST, "/v1/admin/agents", &admin, json!({"name": "Writer", "category": "writing"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let created: Value = send(Method::POST, "/v1/instances", &user, json!({"agent_id": agent["id"], "name": "Mine"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    // Provisioned (version 2) before the other service's updates come.
    crate::agents::ready(&app, &user, &id).await;
    // The consumer declares its queue at start-up: wait for it.
    eventually("the consumer's queue", Duration::from_secs(10), async || {
        let options = QueueDeclareOptions { passive: true, ..QueueDeclareOptions::default() };
        let probe = connection.create_channel().await.unwrap();
        probe.queue_declare(queue.as_str().into(), options, FieldTable::default()).await.ok().map(|_| ())
    })
    .await;

    let first = uuid::Uuid::now_v7().to_string();
    publish(&channel, &theirs, &first, &update(&first, &id, 3, json!({"state": "failed"}))).await;
    let seen = eventually("the update applied", Duration::from_secs(10), async || {
        let now = instance(&app, &user, &id).await;
        (now["version"] == 3).then_some(now)
    })
    .await;
    assert_eq!(seen["state"], "failed");

    // The same message id again (a redelivery, whatever it says), then a stale version: both
    // change nothing. Then poison, which must not block the valid update behind it.
    publish(&channel, &theirs, &first, &update(&first, &id, 5, json!({"state": "stopped"}))).await;
    let stale = uuid::Uuid::now_v7().to_string();
    publish(&channel, &theirs, &stale, &update(&stale, &id, 3, json!({"state": "stopped"}))).await;
    let poison = uuid::Uuid::now_v7().to_string();
    publish(&channel, &theirs, &poison, b"{ not json").await;
    let last = uuid::Uuid::now_v7().to_string();
    publish(&channel, &theirs, &last, &update(&last, &id, 4, json!({"state": "ready", "name": "Provisioned"}))).await;
    let seen = eventually("the last update applied", Duration::from_secs(15), async || {
        let now = instance(&app, &user, &id).await;
        (now["version"] == 4).then_some(now)
    })
    .await;
    assert_eq!((seen["state"].as_str(), seen["name"].as_str()), (Some("ready"), Some("Provisioned")), "{seen}");

    // The poison message went to the dead-letter queue after 3 deliveries, and was counted.
    let dead = format!("{queue}.dead");
    eventually("the poison message dead-lettered", Duration::from_secs(15), async || {
        (queued(&channel, &dead).await == 1).then_some(())
    })
    .await;
    let metrics = reqwest::get(format!("http://127.0.0.1:{metrics_port}/metrics")).await.unwrap().text().await.unwrap();
    let line = |name: &str, outcome: &str| {
        metrics
            .lines()
            .find(|l| l.starts_with(name) && l.contains(&format!("queue=\"{queue}\"")) && l.contains(outcome))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|n| n.parse::<f64>().ok())
    };
    assert_eq!(line("identity_events_dead_lettered_total", ""), Some(1.0), "{metrics}");
    assert_eq!(line("identity_events_consumed_total", "outcome=\"failed\""), Some(3.0), "{metrics}");
    assert_eq!(line("identity_events_consumed_total", "outcome=\"duplicate\""), Some(1.0), "{metrics}");
    assert_eq!(line("identity_events_consumed_total", "outcome=\"stale\""), Some(1.0), "{metrics}");
    assert_eq!(line("identity_events_consumed_total", "outcome=\"applied\""), Some(2.0), "{metrics}");

    // Re-emitted for the user: this service's own instance.updated, with the version applied.
    let mut db = crate::helpers::Db::connect(app.database_url.as_deref().unwrap()).await;
    let events = db.outbox_for(uuid::Uuid::parse_str(&id).unwrap()).await;
    let versions: Vec<(String, i64)> =
        events.iter().map(|e| (e.event_type.clone(), e.payload["version"].as_i64().unwrap())).collect();
    assert_eq!(
        versions,
        [
            ("instance.created".to_owned(), 1),
            ("instance.updated".to_owned(), 2),
            ("instance.updated".to_owned(), 3),
            ("instance.updated".to_owned(), 4)
        ]
    );
    assert_eq!(events[2].payload["changed"], json!(["state"]));

    drop(app);
    for name in [queue.as_str(), dead.as_str()] {
        let _ = channel.queue_delete(name.into(), QueueDeleteOptions::default()).await;
    }
    for name in [theirs.as_str(), ours.as_str(), &format!("{queue}.dlx")] {
        let _ = channel.exchange_delete(name.into(), lapin::options::ExchangeDeleteOptions::default()).await;
    }
}
