#![allow(clippy::unwrap_used, clippy::expect_used)]

//! Domain events leave the process: on PostgreSQL + Redis + RabbitMQ through the outbox and a
//! real broker, on the embedded default through the in-process bus.

use std::time::Duration;

use lapin::options::{
    BasicGetOptions, ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{Channel, Connection, ConnectionProperties, ExchangeKind};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{
    Backend, Db, PASSWORD, TestApp, captured_logs, eventually, spawn_app, spawn_app_with, unique_email,
};

both_backends!(every_flow_event_is_published);

/// What the flow below must publish, in this order (other events may come in between).
const EXPECTED: [&str; 5] = ["user.registered", "user.verified", "session.created", "session.revoked", "user.updated"];

/// How long delivery may take: the relay runs every 200 ms.
const DELIVERY: Duration = Duration::from_secs(15);

fn amqp_url() -> String {
    std::env::var("TEST_AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// A topic exchange of the test's own (so tests run in parallel) with a queue bound to all of
/// it.
pub(crate) struct Broker {
    pub(crate) exchange: String,
    _connection: Connection,
    channel: Channel,
    queue: String,
}

impl Broker {
    pub(crate) async fn bind() -> Self {
        let exchange = format!("identity.test.{}", uuid::Uuid::now_v7().simple());
        let connection = Connection::connect(&amqp_url(), ConnectionProperties::default()).await.unwrap_or_else(|e| {
            panic!("RabbitMQ is not reachable at {} ({e}); cargo xtask test starts it", amqp_url())
        });
        let channel = connection.create_channel().await.unwrap();
        // Declared as the server declares it, before the server starts, so no event is
        // published to an exchange without our queue.
        channel
            .exchange_declare(
                exchange.as_str().into(),
                ExchangeKind::Topic,
                ExchangeDeclareOptions { durable: true, ..ExchangeDeclareOptions::default() },
                FieldTable::default(),
            )
            .await
            .unwrap();
        let queue = channel
            .queue_declare(
                "".into(),
                QueueDeclareOptions { exclusive: true, auto_delete: true, ..Default::default() },
                FieldTable::default(),
            )
            .await
            .unwrap();
        channel
            .queue_bind(
                queue.name().clone(),
                exchange.as_str().into(),
                "#".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        let queue = queue.name().as_str().to_owned();
        Self { exchange, _connection: connection, channel, queue }
    }

    /// The next message, if one is queued: (routing key, CloudEvents body).
    pub(crate) async fn next(&self) -> Option<(String, Value)> {
        let message =
            self.channel.basic_get(self.queue.as_str().into(), BasicGetOptions { no_ack: true }).await.unwrap()?;
        let delivery = message.delivery;
        let body: Value = serde_json::from_slice(&delivery.data).unwrap();
        assert_eq!(
            delivery.properties.message_id().as_ref().map(|id| id.as_str().to_owned()),
            body["id"].as_str().map(str::to_owned),
            "message id = event id"
        );
        Some((delivery.routing_key.as_str().to_owned(), body))
    }

    pub(crate) async fn delete(self) {
        self.channel.exchange_delete(self.exchange.as_str().into(), ExchangeDeleteOptions::default()).await.unwrap();
    }
}

/// Register, verify the address by the mailed link, log in, log out, log in again and change
/// the profile: every step's event reaches the outside.
async fn run_flow(app: &TestApp) -> uuid::Uuid {
    let email = unique_email();
    let res = app.register(&email, PASSWORD).await;
    assert_eq!(res.status(), 201);
    let user: Value = res.json().await.unwrap();
    let user_id = uuid::Uuid::parse_str(user["id"].as_str().unwrap()).unwrap();
    assert_eq!(app.verify_address(&email).await.status(), 200);
    let login = app.login_ok(&email, PASSWORD).await;
    let access = login["access_token"].as_str().unwrap();
    assert_eq!(app.post_authed("/v1/auth/logout", access, None).await.status(), 204);
    let login = app.login_ok(&email, PASSWORD).await;
    let access = login["access_token"].as_str().unwrap();
    let res = app
        .client
        .patch(app.url("/v1/users/me"))
        .bearer_auth(access)
        .header("Content-Type", "application/merge-patch+json")
        .body(json!({ "name": "Ada Lovelace" }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    user_id
}

/// Asserts that `received` holds every expected type, in the expected order.
fn assert_in_order(received: &[String]) {
    let positions: Vec<usize> = EXPECTED
        .iter()
        .map(|t| received.iter().position(|r| r == t).unwrap_or_else(|| panic!("{t} missing from {received:?}")))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "out of order: {received:?}");
}

fn all_seen(received: &[String]) -> bool {
    EXPECTED.iter().all(|t| received.iter().any(|r| r == t))
}

async fn every_flow_event_is_published(backend: Backend) {
    match backend {
        Backend::Postgres => {
            let broker = Broker::bind().await;
            let url = amqp_url();
            let app =
                spawn_app_with(backend, &[("AMQP_URL", url.as_str()), ("AMQP_EXCHANGE", broker.exchange.as_str())])
                    .await;
            let user_id = run_flow(&app).await;

            let mut received = Vec::new();
            eventually("RabbitMQ to deliver every event of the flow", DELIVERY, async || {
                let (key, body) = broker.next().await?;
                assert_eq!(body["type"], key.as_str());
                assert_eq!(body["specversion"], "1.0");
                if body["subject"] == user_id.to_string() {
                    received.push(key);
                }
                all_seen(&received).then_some(())
            })
            .await;
            assert_in_order(&received);

            // Everything was marked published (the mark commits right after the confirm).
            let mut db = Db::connect(app.database_url.as_deref().unwrap()).await;
            eventually("every outbox row to be marked published", DELIVERY, async || {
                (db.count("outbox WHERE published_at IS NULL").await == 0).then_some(())
            })
            .await;
            assert_eq!(db.count("outbox WHERE parked_at IS NOT NULL").await, 0);
            let ready = app.client.get(app.url("/ready")).send().await.unwrap();
            assert_eq!(ready.status(), 200);
            let ready: Value = ready.json().await.unwrap();
            let names: Vec<&str> =
                ready["dependencies"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
            assert_eq!(names, ["postgres", "redis", "rabbitmq"]);
            assert_eq!(ready["outbox"]["parked"], 0);
            broker.delete().await;
        }
        Backend::Memory => {
            let app = spawn_app(backend).await;
            let mut bus = app.bus.as_ref().unwrap().subscribe();
            let user_id = run_flow(&app).await;
            let mut received = Vec::new();
            eventually("the bus to carry every event of the flow", DELIVERY, async || {
                let event = bus.recv().await.unwrap();
                if event.subject == Some(user_id) {
                    received.push(event.event_type.as_str().to_owned());
                }
                all_seen(&received).then_some(())
            })
            .await;
            assert_in_order(&received);
        }
    }
}

/// A row this version cannot decode (say, written by a newer version) is parked: logged once
/// at ERROR, counted on `/ready` (which stays 200), and the events after it still go out.
#[tokio::test]
async fn an_undecodable_outbox_row_is_parked_and_does_not_hold_back_later_events() {
    // The in-process bus is this test's window on the relay (an explicit opt-out of RabbitMQ).
    let app = spawn_app_with(Backend::Postgres, &[("OUTBOX_RELAY", "in-process")]).await;
    let mut bus = app.bus.as_ref().expect("no AMQP_URL: the in-process bus").subscribe();
    let mut db = Db::connect(app.database_url.as_deref().unwrap()).await;
    let stranger = uuid::Uuid::now_v7();
    db.execute(&format!(
        "INSERT INTO outbox (id, aggregate_type, aggregate_id, type, payload, occurred_at) \
         VALUES ('{stranger}', 'user', '{stranger}', 'nonsense.event', '{{}}'::jsonb, now())"
    ))
    .await
    .unwrap();

    app.signed_in().await;
    eventually("session.created after the undecodable row", DELIVERY, async || {
        (bus.recv().await.unwrap().event_type.as_str() == "session.created").then_some(())
    })
    .await;
    eventually("no unpublished row left behind", DELIVERY, async || {
        (db.count("outbox WHERE published_at IS NULL AND parked_at IS NULL").await == 0).then_some(())
    })
    .await;
    assert_eq!(
        db.count(&format!("outbox WHERE id = '{stranger}' AND parked_at IS NOT NULL AND attempts = 1")).await,
        1
    );

    let ready = app.client.get(app.url("/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 200, "parked rows never take a replica out of service");
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(ready["status"], "ok");
    assert_eq!(ready["outbox"]["parked"], 1);

    // Logged once, at ERROR, with its id and type (the line follows the pass's commit).
    let parked_lines = || -> Vec<String> {
        captured_logs()
            .lines()
            .filter(|l| l.contains("outbox row parked") && l.contains(&stranger.to_string()))
            .map(str::to_owned)
            .collect()
    };
    eventually("the parked row to be logged", DELIVERY, async || (!parked_lines().is_empty()).then_some(())).await;
    let lines = parked_lines();
    assert_eq!(lines.len(), 1, "logged once: {lines:?}");
    assert!(lines[0].contains("\"level\":\"ERROR\"") && lines[0].contains("nonsense.event"), "{}", lines[0]);
}

/// Two instances on one database, one without `AMQP_URL`: the one without a broker relays
/// nothing (and says so at start-up), so every event of registrations made through it waits in
/// the outbox and reaches a queue bound to the exchange once an instance with the broker runs.
/// Before, it published them to its own in-process bus and marked them published: of 6
/// registrations, 1 event reached RabbitMQ.
#[tokio::test]
async fn an_instance_without_a_broker_leaves_the_shared_outbox_to_one_with_it() {
    let broker = Broker::bind().await;
    let url = amqp_url();
    let without = spawn_app(Backend::Postgres).await;
    assert!(without.bus.is_none(), "no in-process bus to swallow the shared outbox");
    let database_url = without.database_url.clone().unwrap();
    let mut registered = Vec::new();
    for _ in 0..6 {
        let res = without.register(&unique_email(), PASSWORD).await;
        assert_eq!(res.status(), 201);
        registered.push(res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned());
    }
    // Five passes of a relay (one every 200 ms) would have taken them by now.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut db = Db::connect(&database_url).await;
    assert_eq!(db.count("outbox WHERE published_at IS NULL").await, 6, "the events wait in the outbox");
    assert!(
        captured_logs().lines().any(|l| l.contains("the outbox relay is off") && l.contains("\"level\":\"WARN\"")),
        "the instance without AMQP_URL says at start-up that it relays nothing"
    );

    let with_broker = spawn_app_with(
        Backend::Postgres,
        &[
            ("DATABASE_URL", database_url.as_str()),
            ("AMQP_URL", url.as_str()),
            ("AMQP_EXCHANGE", broker.exchange.as_str()),
        ],
    )
    .await;
    let mut received = Vec::new();
    eventually("RabbitMQ to get the user.registered event of every registration", DELIVERY, async || {
        let (key, body) = broker.next().await?;
        if key == "user.registered" {
            received.push(body["subject"].as_str().unwrap().to_owned());
        }
        registered.iter().all(|id| received.contains(id)).then_some(())
    })
    .await;
    drop(with_broker);
    drop(without);
    broker.delete().await;
}
