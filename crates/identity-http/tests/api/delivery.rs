#![allow(clippy::unwrap_used, clippy::expect_used)]

//! Delivery guarantees on PostgreSQL + RabbitMQ (issue 18): every committed event reaches a
//! bound queue through a 20 s broker outage (a TCP proxy the test cuts, so the shared broker
//! keeps serving the other tests) and through a server SIGKILLed in a burst; `/ready` says
//! the broker is degraded without failing; an unroutable event is reported, counted and
//! retried until a queue takes it. Consumers deduplicate by `message_id`: duplicates are
//! counted (and printed), lost events fail the test.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use lapin::options::{ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::events::Broker;
use crate::helpers::{
    Backend, PASSWORD, Process, TestApp, captured_logs, eventually, free_port, server_command, spawn_app_with,
    unique_email, wait_until_up,
};

/// How long the broker is away in the outage test.
const OUTAGE: Duration = Duration::from_secs(20);

fn amqp_url() -> String {
    std::env::var("TEST_AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// Where the proxy forwards: RabbitMQ's host and port from `TEST_AMQP_URL`.
pub(crate) async fn rabbit_address() -> SocketAddr {
    let url = amqp_url();
    let authority = url.split("://").nth(1).unwrap().split('/').next().unwrap();
    let host_port = authority.rsplit('@').next().unwrap();
    tokio::net::lookup_host(host_port).await.unwrap().next().unwrap()
}

/// A TCP proxy to RabbitMQ the test can cut: every connection through it is closed and new
/// ones are closed as soon as they are accepted, as when the broker is stopped, until it is
/// restored. Stops (with every connection) when dropped.
pub(crate) struct Cuttable {
    port: u16,
    up: watch::Sender<bool>,
    /// Connections forwarded so far.
    forwarded: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Cuttable {
    pub(crate) async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (up, state) = watch::channel(true);
        let forwarded = Arc::new(AtomicUsize::new(0));
        let counter = forwarded.clone();
        let task = tokio::spawn(async move {
            // Dropped with the task: aborts every pipe.
            let mut pipes = tokio::task::JoinSet::new();
            loop {
                let Ok((mut client, _)) = listener.accept().await else { continue };
                while pipes.try_join_next().is_some() {}
                if !*state.borrow() {
                    continue;
                }
                counter.fetch_add(1, Ordering::SeqCst);
                let mut state = state.clone();
                pipes.spawn(async move {
                    let Ok(mut server) = TcpStream::connect(upstream).await else { return };
                    let _ = (client.set_nodelay(true), server.set_nodelay(true));
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = state.wait_for(|up| !*up) => {}
                    }
                });
            }
        });
        Self { port, up, forwarded, task }
    }

    pub(crate) fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)
    }

    pub(crate) fn set_up(&self, up: bool) {
        self.up.send_replace(up);
    }

    fn forwarded(&self) -> usize {
        self.forwarded.load(Ordering::SeqCst)
    }
}

impl Drop for Cuttable {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `n` registrations, 8 at a time: each commits one `user.registered` to the outbox.
async fn register(app: &TestApp, n: usize) {
    let statuses: Vec<u16> = futures_util::stream::iter(0..n)
        .map(|_| async { app.register(&unique_email(), PASSWORD).await.status().as_u16() })
        .buffer_unordered(8)
        .collect()
        .await;
    assert!(statuses.iter().all(|s| *s == 201), "every registration succeeds: {statuses:?}");
}

/// Every outbox id of the database.
async fn outbox_ids(database_url: &str) -> Vec<String> {
    use diesel_async::{AsyncConnection, RunQueryDsl};
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    let mut conn = diesel_async::AsyncPgConnection::establish(database_url).await.unwrap();
    let rows: Vec<Row> = diesel::sql_query("SELECT id::text AS id FROM outbox").load(&mut conn).await.unwrap();
    rows.into_iter().map(|r| r.id).collect()
}

/// What reached the test's queue: deliveries per message id (= event id).
#[derive(Default)]
struct Received(HashMap<String, usize>);

impl Received {
    /// Takes every queued message.
    async fn drain(&mut self, broker: &Broker) {
        while let Some((_, body)) = broker.next().await {
            *self.0.entry(body["id"].as_str().unwrap().to_owned()).or_default() += 1;
        }
    }

    fn missing<'a>(&self, ids: &'a [String]) -> Vec<&'a String> {
        ids.iter().filter(|id| !self.0.contains_key(*id)).collect()
    }

    fn duplicates(&self) -> usize {
        self.0.values().map(|n| n - 1).sum()
    }

    /// Waits until every id arrived, then checks nothing else did and no row stays
    /// unpublished or parked; the number of duplicates.
    async fn every_id(&mut self, broker: &Broker, database_url: &str, within: Duration) -> usize {
        let ids = outbox_ids(database_url).await;
        eventually("every outbox id to reach the bound queue", within, async || {
            self.drain(broker).await;
            self.missing(&ids).is_empty().then_some(())
        })
        .await;
        let mut db = crate::helpers::Db::connect(database_url).await;
        eventually("every outbox row to be marked published", Duration::from_secs(10), async || {
            (db.count("outbox WHERE published_at IS NULL").await == 0).then_some(())
        })
        .await;
        assert_eq!(db.count("outbox WHERE parked_at IS NOT NULL").await, 0, "nothing parked");
        self.drain(broker).await;
        let foreign: Vec<&String> = self.0.keys().filter(|id| !ids.contains(id)).collect();
        assert!(foreign.is_empty(), "only the outbox's events: {foreign:?}");
        self.duplicates()
    }
}

async fn ready(app: &TestApp) -> (u16, Value) {
    let res = app.client.get(app.url("/ready")).send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

fn dependency<'a>(ready: &'a Value, name: &str) -> &'a Value {
    &ready["dependencies"].as_array().unwrap().iter().find(|d| d["name"] == name).unwrap()["status"]
}

/// 1,000 events, 400 of them committed while the broker is away for 20 s: all reach the
/// bound queue once it is back (the relay re-opens its connection by itself), none stays
/// unpublished, and meanwhile requests succeed and `/ready` answers 200 with RabbitMQ
/// `degraded`.
#[tokio::test]
async fn a_20s_broker_outage_delays_events_but_loses_none() {
    let started = Instant::now();
    let broker = Broker::bind().await;
    let proxy = Cuttable::start(rabbit_address().await).await;
    let url = proxy.url();
    let app = spawn_app_with(
        Backend::Postgres,
        &[("AMQP_URL", &url), ("AMQP_EXCHANGE", &broker.exchange), ("DEPENDENCY_TIMEOUT_SECONDS", "2")],
    )
    .await;
    let database_url = app.database_url.clone().unwrap();
    let mut db = crate::helpers::Db::connect(&database_url).await;
    let mut received = Received::default();

    register(&app, 300).await;
    eventually("events to flow before the outage", Duration::from_secs(15), async || {
        received.drain(&broker).await;
        (received.0.len() >= 100).then_some(())
    })
    .await;

    let connections = proxy.forwarded();
    proxy.set_up(false);
    let cut = Instant::now();
    register(&app, 400).await;
    eventually("/ready to report RabbitMQ degraded, still 200", Duration::from_secs(10), async || {
        let (status, body) = ready(&app).await;
        assert_eq!(status, 200, "a broker outage never fails readiness: {body}");
        (body["status"] == "degraded" && dependency(&body, "rabbitmq") == "degraded").then_some(())
    })
    .await;
    let (_, body) = ready(&app).await;
    assert!(dependency(&body, "postgres") == "ok" && dependency(&body, "redis") == "ok", "{body}");
    eventually("the relay to record failed attempts", OUTAGE, async || {
        (db.count("outbox WHERE published_at IS NULL AND attempts > 0").await > 0).then_some(())
    })
    .await;
    tokio::time::sleep(OUTAGE.saturating_sub(cut.elapsed())).await;
    let waiting = db.count("outbox WHERE published_at IS NULL").await;
    assert!(waiting >= 400, "the outage's events wait in the outbox: {waiting}");
    assert_eq!(db.count("outbox WHERE parked_at IS NOT NULL").await, 0, "a broker outage parks nothing");

    proxy.set_up(true);
    register(&app, 300).await;
    let events = db.count("outbox").await;
    assert!(events >= 1000, "1,000 registrations, 1,000 events at least: {events}");
    let duplicates = received.every_id(&broker, &database_url, Duration::from_secs(60)).await;
    assert!(proxy.forwarded() > connections, "the relay re-opened its connection to the broker");
    eventually("/ready to say ok again", Duration::from_secs(10), async || {
        let (status, body) = ready(&app).await;
        (status == 200 && body["status"] == "ok").then_some(())
    })
    .await;
    eprintln!(
        "broker outage: {events} events, {waiting} waited out {OUTAGE:?}, all delivered, {duplicates} duplicate(s), \
         test took {:?}",
        started.elapsed()
    );
    drop(app);
    broker.delete().await;
}

/// A server process SIGKILLed during a burst of registrations, then started again on the same
/// database: every event committed before the kill reaches the bound queue (those published
/// but not yet marked published come twice; consumers deduplicate by `message_id`).
#[tokio::test]
async fn a_server_killed_during_a_burst_loses_no_event() {
    let started = Instant::now();
    let broker = Broker::bind().await;
    let database = identity_postgres::testkit::TestDatabase::create().await;
    let key = identity_crypto::PasetoKeys::generate().unwrap().secret_paserk();
    let amqp = amqp_url();
    let server = |port: u16| {
        let child = server_command(port)
            .env("DATABASE_URL", database.url())
            .env("AMQP_URL", &amqp)
            .env("AMQP_EXCHANGE", &broker.exchange)
            .env("PASETO_SECRET_KEY", &key)
            .env("RATE_LIMIT_AUTH_PER_MINUTE", "100000")
            .env("ARGON2_MEMORY_KIB", "1024")
            .env("ARGON2_ITERATIONS", "1")
            .env("SHUTDOWN_DRAIN_SECONDS", "0")
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        Process(child)
    };
    let port = free_port();
    let mut first = server(port);
    wait_until_up(&format!("http://127.0.0.1:{port}/ready")).await;

    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..16)
        .map(|_| {
            let stop = stop.clone();
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let body = |email: String| serde_json::json!({ "email": email, "password": PASSWORD });
                while !stop.load(Ordering::SeqCst) {
                    let sent = client
                        .post(format!("http://127.0.0.1:{port}/v1/auth/register"))
                        .json(&body(unique_email()))
                        .send()
                        .await;
                    if sent.is_err() {
                        // The server is gone.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            })
        })
        .collect();
    let mut db = crate::helpers::Db::connect(database.url()).await;
    // The kill lands while the relay has a backlog (or, on a slow machine, once 1,000 are out).
    eventually("the burst to be under way, part of it published", Duration::from_secs(60), async || {
        let published = db.count("outbox WHERE published_at IS NOT NULL").await;
        let waiting = db.count("outbox WHERE published_at IS NULL").await;
        ((published >= 200 && waiting >= 10) || published >= 1000).then_some(())
    })
    .await;
    first.0.kill().unwrap();
    first.0.wait().unwrap();
    let unpublished = db.count("outbox WHERE published_at IS NULL").await;
    let committed = db.count("outbox").await;
    stop.store(true, Ordering::SeqCst);
    for worker in workers {
        worker.await.unwrap();
    }
    assert!(unpublished > 0, "the kill left committed events unpublished ({committed} committed)");

    let port = free_port();
    let _second = server(port);
    wait_until_up(&format!("http://127.0.0.1:{port}/ready")).await;
    let mut received = Received::default();
    let duplicates = received.every_id(&broker, database.url(), Duration::from_secs(30)).await;
    assert_eq!(db.count("outbox").await, committed, "the restarted server committed nothing of its own");
    eprintln!(
        "SIGKILL in a burst: {committed} events, {unpublished} unpublished at the kill, all delivered, \
         {duplicates} duplicate(s), test took {:?}",
        started.elapsed()
    );
    broker.delete().await;
}

/// An event no bound queue takes is returned by RabbitMQ (`mandatory`): the relay logs it,
/// counts it in `/metrics` and keeps it in the outbox with its own retry delay, and it goes
/// out once a queue is bound.
#[tokio::test]
async fn an_unroutable_event_is_reported_counted_and_retried_until_a_queue_takes_it() {
    let exchange = format!("identity.test.{}", uuid::Uuid::now_v7().simple());
    let url = amqp_url();
    let app = spawn_app_with(Backend::Postgres, &[("AMQP_URL", &url), ("AMQP_EXCHANGE", &exchange)]).await;
    let mut db = crate::helpers::Db::connect(app.database_url.as_deref().unwrap()).await;
    register(&app, 1).await;
    let id = outbox_ids(app.database_url.as_deref().unwrap()).await.pop().unwrap();

    eventually("the relay to be told the event is unroutable", Duration::from_secs(15), async || {
        let row = format!(
            "outbox WHERE id = '{id}' AND published_at IS NULL AND parked_at IS NULL AND attempts >= 1 \
             AND next_attempt_at IS NOT NULL AND last_error LIKE '%unroutable%'"
        );
        (db.count(&row).await == 1).then_some(())
    })
    .await;
    let logged = captured_logs().lines().any(|l| {
        l.contains("event unroutable") && l.contains(&id) && l.contains("user.registered") && l.contains("WARN")
    });
    assert!(logged, "the return is logged with the outbox id and type");
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let counted = metrics.lines().any(|l| {
        l.starts_with("identity_events_refused_total{")
            && l.contains("reason=\"unroutable\"")
            && l.contains("event_type=\"user.registered\"")
    });
    assert!(counted, "counted in /metrics:\n{metrics}");
    let (status, _) = ready(&app).await;
    assert_eq!(status, 200, "an unroutable event does not fail readiness");

    // A consumer binds its queue: the retry delivers the event.
    let connection = lapin::Connection::connect(&url, lapin::ConnectionProperties::default()).await.unwrap();
    let channel = connection.create_channel().await.unwrap();
    let options = QueueDeclareOptions { exclusive: true, auto_delete: true, ..Default::default() };
    let queue = channel.queue_declare("".into(), options, FieldTable::default()).await.unwrap();
    let bind = QueueBindOptions::default();
    channel
        .queue_bind(queue.name().clone(), exchange.as_str().into(), "#".into(), bind, FieldTable::default())
        .await
        .unwrap();
    eventually("the event to reach the queue bound since", Duration::from_secs(20), async || {
        let get = lapin::options::BasicGetOptions { no_ack: true };
        let message = channel.basic_get(queue.name().clone(), get).await.unwrap()?;
        let message_id = message.delivery.properties.message_id().as_ref().map(|m| m.as_str().to_owned());
        (message_id.as_deref() == Some(id.as_str())).then_some(())
    })
    .await;
    eventually("the row to be marked published", Duration::from_secs(10), async || {
        (db.count(&format!("outbox WHERE id = '{id}' AND published_at IS NOT NULL")).await == 1).then_some(())
    })
    .await;
    drop(app);
    channel.exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default()).await.unwrap();
}

/// Events no queue takes do not hold back those a queue does: a pass whose rows were all
/// refused (unroutable) is followed by the next at once, without the backoff meant for a
/// broker that is down. 1,000 unroutable rows ahead of a `user.updated` (10 full passes):
/// with the backoff (200 ms doubling to 10 s) it would come out after about 20 s.
#[tokio::test]
async fn unroutable_events_do_not_hold_back_the_events_a_queue_takes() {
    let exchange = format!("identity.test.{}", uuid::Uuid::now_v7().simple());
    let url = amqp_url();
    let app = spawn_app_with(Backend::Postgres, &[("AMQP_URL", &url), ("AMQP_EXCHANGE", &exchange)]).await;
    let connection = lapin::Connection::connect(&url, lapin::ConnectionProperties::default()).await.unwrap();
    let channel = connection.create_channel().await.unwrap();
    let durable = lapin::options::ExchangeDeclareOptions { durable: true, ..Default::default() };
    channel
        .exchange_declare(exchange.as_str().into(), lapin::ExchangeKind::Topic, durable, FieldTable::default())
        .await
        .unwrap();
    let options = QueueDeclareOptions { exclusive: true, auto_delete: true, ..Default::default() };
    let queue = channel.queue_declare("".into(), options, FieldTable::default()).await.unwrap();
    let bind = QueueBindOptions::default();
    channel
        .queue_bind(queue.name().clone(), exchange.as_str().into(), "user.updated".into(), bind, FieldTable::default())
        .await
        .unwrap();
    let (_, token) = app.signed_in_user().await;
    let mut db = crate::helpers::Db::connect(app.database_url.as_deref().unwrap()).await;
    db.execute(
        "INSERT INTO outbox (id, aggregate_type, aggregate_id, type, payload, occurred_at, created_at, attempts) \
         SELECT gen_random_uuid(), o.aggregate_type, o.aggregate_id, o.type, o.payload, now(), now(), 0 \
         FROM outbox o, generate_series(1, 1000) WHERE o.type = 'user.registered'",
    )
    .await
    .unwrap();

    let res = app
        .client
        .patch(app.url("/v1/users/me"))
        .bearer_auth(&token)
        .header("Content-Type", "application/merge-patch+json")
        .body(serde_json::json!({ "name": "Past the queue" }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    eventually("the user.updated to reach its queue", Duration::from_secs(6), async || {
        let get = lapin::options::BasicGetOptions { no_ack: true };
        channel.basic_get(queue.name().clone(), get).await.unwrap().map(|_| ())
    })
    .await;
    let unroutable = db.count("outbox WHERE type = 'user.registered' AND attempts >= 1").await;
    assert!(unroutable >= 1000, "the rows ahead of it were offered and refused: {unroutable}");
    drop(app);
    channel.exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default()).await.unwrap();
}
