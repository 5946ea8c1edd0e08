//! The WebSocket gateway across replicas: two server processes on one PostgreSQL, Redis and
//! RabbitMQ, each feeding its sockets from its own queue on the events exchange. A change made
//! through replica A reaches the user's socket on replica B (and no one else's), another
//! service's `instance.updated` reaches the owner's socket, a device becoming active on A is
//! told to the user's socket on B, a logout on A closes the session's socket on B with 4001.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Stdio;
use std::time::Duration;

use futures_util::SinkExt;
use lapin::options::{
    BasicPublishOptions, ExchangeDeclareOptions, ExchangeDeleteOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, ConnectionProperties, ExchangeKind};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::events::Broker;
use crate::helpers::{
    Db, PASSWORD, Process, eventually, free_port, running, server_command, unique_email, wait_until_up,
};
use crate::realtime::{Socket, close_code, next_frame};

fn amqp_url() -> String {
    std::env::var("TEST_AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// One replica: the `identity` binary on a port of its own.
struct Replica {
    base: String,
    process: Process,
}

fn start(port: u16, vars: &[(&str, &str)]) -> Replica {
    let mut command = server_command(port);
    command
        .envs(vars.iter().copied())
        .env("ARGON2_MEMORY_KIB", "1024")
        .env("ARGON2_ITERATIONS", "1")
        .env("RATE_LIMIT_AUTH_PER_MINUTE", "100000")
        .env("SHUTDOWN_DRAIN_SECONDS", "0")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    Replica { base: format!("http://127.0.0.1:{port}"), process: Process::group(&mut command) }
}

/// Registers and signs in a new account on `base`: (user id, access token, email).
async fn signed_in(http: &reqwest::Client, base: &str) -> (String, String, String) {
    let email = unique_email();
    let credentials = json!({ "email": email, "password": PASSWORD });
    let res = http.post(format!("{base}/v1/auth/register")).json(&credentials).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let res = http.post(format!("{base}/v1/auth/login")).json(&credentials).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let login: Value = res.json().await.unwrap();
    (login["user"]["id"].as_str().unwrap().to_owned(), login["access_token"].as_str().unwrap().to_owned(), email)
}

async fn socket(base: &str, token: &str) -> Socket {
    let mut request = format!("{}/v1/ws", base.replacen("http://", "ws://", 1)).into_client_request().unwrap();
    request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    tokio_tungstenite::connect_async(request).await.expect("the socket opens").0
}

async fn patch_name(http: &reqwest::Client, base: &str, token: &str, name: &str) {
    let res = http
        .patch(format!("{base}/v1/users/me"))
        .bearer_auth(token)
        .header("Content-Type", "application/merge-patch+json")
        .body(json!({ "name": name }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_change_through_one_replica_reaches_the_sockets_of_another() {
    let database = identity_postgres::testkit::TestDatabase::create().await;
    let database_url = database.url().to_owned();
    // Our exchange (with a queue of the test's own, so nothing the relay publishes is
    // unroutable) and the one another service publishes `instance.updated` to.
    let broker = Broker::bind().await;
    let suffix = uuid::Uuid::now_v7().simple().to_string();
    let theirs = format!("provisioner.test.{suffix}");
    let instance_queue = format!("identity.test.instances.{suffix}");
    let connection = Connection::connect(&amqp_url(), ConnectionProperties::default()).await.unwrap();
    let channel = connection.create_channel().await.unwrap();
    let durable = ExchangeDeclareOptions { durable: true, ..ExchangeDeclareOptions::default() };
    channel
        .exchange_declare(theirs.as_str().into(), ExchangeKind::Topic, durable, FieldTable::default())
        .await
        .unwrap();

    let key = identity_crypto::PasetoKeys::generate().unwrap().secret_paserk();
    let prefix = format!("identity-test:{suffix}:");
    let redis = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let amqp = amqp_url();
    let vars = [
        ("DATABASE_URL", database_url.as_str()),
        ("REDIS_URL", redis.as_str()),
        ("REDIS_KEY_PREFIX", prefix.as_str()),
        ("AMQP_URL", amqp.as_str()),
        ("AMQP_EXCHANGE", broker.exchange.as_str()),
        ("INSTANCE_EVENTS_EXCHANGE", theirs.as_str()),
        ("INSTANCE_EVENTS_QUEUE", instance_queue.as_str()),
        ("PASETO_SECRET_KEY", key.as_str()),
    ];
    let a = start(free_port(), &vars);
    let b = start(free_port(), &vars);
    for replica in [&a, &b] {
        wait_until_up(&format!("{}/ready", replica.base)).await;
    }
    let http = reqwest::Client::new();

    let (alice_id, alice, alice_email) = signed_in(&http, &a.base).await;
    let (_, bob, _) = signed_in(&http, &a.base).await;
    let mut alices = socket(&b.base, &alice).await;
    let mut bobs = socket(&b.base, &bob).await;

    // B's queue is bound once B connected to the broker after start-up: changes until one
    // comes through, then nothing left over.
    let mut attempt = 0;
    eventually("replica B's feed to be bound", Duration::from_secs(15), async || {
        attempt += 1;
        patch_name(&http, &a.base, &alice, &format!("Warm-up {attempt}")).await;
        next_frame(&mut alices, Duration::from_millis(300)).await
    })
    .await;
    while next_frame(&mut alices, Duration::from_millis(300)).await.is_some() {}
    while next_frame(&mut bobs, Duration::from_millis(100)).await.is_some() {}

    // A profile change through A: alice's socket on B within 1 s, bob's nothing.
    let started = std::time::Instant::now();
    patch_name(&http, &a.base, &alice, "Ada Lovelace").await;
    let frame = next_frame(&mut alices, Duration::from_secs(1)).await.expect("alice's socket on B gets the change");
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    assert_eq!(frame["type"], "entity:updated", "{frame}");
    assert_eq!(frame["data"]["id"], alice_id.as_str(), "{frame}");
    assert_eq!(frame["data"]["changed"], json!(["name"]), "{frame}");
    assert!(frame["id"].is_string() && frame["time"].is_string(), "{frame}");
    assert_eq!(next_frame(&mut alices, Duration::from_millis(300)).await, None, "once, not once per replica");
    assert_eq!(next_frame(&mut bobs, Duration::from_millis(500)).await, None, "bob's socket gets nothing");

    // Another service's instance.updated on its exchange: applied once (by either replica),
    // re-emitted for the owner, pushed to the owner's socket on B.
    let mut db = Db::connect(&database_url).await;
    let (agent, instance) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    db.execute(&format!(
        "INSERT INTO agents (id, name, category, created_at, updated_at) VALUES ('{agent}', 'Writer', 'writing', now(), now())"
    ))
    .await
    .unwrap();
    db.execute(&format!(
        "INSERT INTO instances (id, user_id, agent_id, name, state, version, created_at, updated_at) \
         VALUES ('{instance}', '{alice_id}', '{agent}', 'Mine', 'ready', 2, now(), now())"
    ))
    .await
    .unwrap();
    eventually("the instance consumer's queue", Duration::from_secs(10), async || {
        let options = QueueDeclareOptions { passive: true, ..QueueDeclareOptions::default() };
        let probe = connection.create_channel().await.unwrap();
        probe.queue_declare(instance_queue.as_str().into(), options, FieldTable::default()).await.ok().map(|_| ())
    })
    .await;
    let message_id = uuid::Uuid::now_v7().to_string();
    let body = json!({
        "specversion": "1.0", "id": message_id, "type": "instance.updated", "source": "/provisioner",
        "data": {"instance_id": instance, "version": 3, "state": "failed"}
    });
    channel
        .basic_publish(
            theirs.as_str().into(),
            "instance.updated".into(),
            BasicPublishOptions::default(),
            body.to_string().as_bytes(),
            BasicProperties::default().with_message_id(message_id.as_str().into()).with_delivery_mode(2),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    let frame = next_frame(&mut alices, Duration::from_secs(5)).await.expect("the owner's socket on B gets it");
    assert_eq!(frame["type"], "instance.updated", "{frame}");
    assert_eq!(frame["data"]["instance_id"], instance.to_string(), "{frame}");
    assert_eq!((frame["data"]["version"].as_i64(), frame["data"]["state"].as_str()), (Some(3), Some("failed")));
    assert_eq!(next_frame(&mut alices, Duration::from_millis(300)).await, None, "once");
    assert_eq!(next_frame(&mut bobs, Duration::from_millis(300)).await, None, "bob's socket gets nothing");

    // Alice's phone (a second session) becomes active on A: her socket on B hears of it,
    // within 1 s, once; the phone's own socket and bob's hear nothing.
    let credentials = json!({ "email": alice_email, "password": PASSWORD });
    let res = http.post(format!("{}/v1/auth/login", a.base)).json(&credentials).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let phone: Value = res.json().await.unwrap();
    let mut phones = socket(&a.base, phone["access_token"].as_str().unwrap()).await;
    let started = std::time::Instant::now();
    phones.send(Message::text(json!({"type": "presence:active"}).to_string())).await.unwrap();
    let frame = next_frame(&mut alices, Duration::from_secs(1)).await.expect("alice's socket on B hears of the phone");
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    assert_eq!(frame["type"], "presence:updated", "{frame}");
    assert_eq!(frame["data"]["status"], "active", "{frame}");
    assert!(frame["data"]["device_id"].is_string(), "{frame}");
    assert_eq!(next_frame(&mut alices, Duration::from_millis(300)).await, None, "once, not once per replica");
    assert_eq!(next_frame(&mut phones, Duration::from_millis(300)).await, None, "not the socket it came from");
    assert_eq!(next_frame(&mut bobs, Duration::from_millis(300)).await, None, "bob's socket gets nothing");

    // Logging out through A closes the session's socket on B with 4001 within 2 s.
    let started = std::time::Instant::now();
    let res = http.post(format!("{}/v1/auth/logout", a.base)).bearer_auth(&alice).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(close_code(&mut alices, Duration::from_secs(2)).await, Some(4001));
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    assert_eq!(next_frame(&mut bobs, Duration::from_millis(300)).await, None, "bob's socket stays, silent");

    // Nothing the test started outlives it.
    let pids = [a.process.0.id(), b.process.0.id()];
    drop(a);
    drop(b);
    eventually("the replicas to stop", Duration::from_secs(5), async || {
        pids.iter().all(|pid| !running(*pid)).then_some(())
    })
    .await;
    for name in [instance_queue.clone(), format!("{instance_queue}.dead")] {
        let _ = channel.queue_delete(name.as_str().into(), QueueDeleteOptions::default()).await;
    }
    for name in [theirs.clone(), format!("{instance_queue}.dlx")] {
        let _ = channel.exchange_delete(name.as_str().into(), ExchangeDeleteOptions::default()).await;
    }
    broker.delete().await;
}

/// The feed reconnects by itself: while the broker is away nothing is pushed (and requests
/// are served), once it is back a fresh queue carries the changes again.
#[tokio::test]
async fn the_feed_reconnects_when_the_broker_comes_back() {
    let broker = Broker::bind().await;
    let proxy = crate::delivery::Cuttable::start(crate::delivery::rabbit_address().await).await;
    let url = proxy.url();
    let app = crate::helpers::spawn_app_with(
        crate::helpers::Backend::Postgres,
        &[("AMQP_URL", &url), ("AMQP_EXCHANGE", &broker.exchange), ("DEPENDENCY_TIMEOUT_SECONDS", "2")],
    )
    .await;
    let (_, token) = app.signed_in_user().await;
    let mut sockets = socket(&app.address, &token).await;
    let http = reqwest::Client::new();
    let pushed = async |sockets: &mut Socket, what: &str| {
        let mut attempt = 0;
        eventually(what, Duration::from_secs(20), async || {
            attempt += 1;
            patch_name(&http, &app.address, &token, &format!("Name {attempt}")).await;
            next_frame(sockets, Duration::from_millis(300)).await
        })
        .await
    };
    pushed(&mut sockets, "the feed to be bound").await;

    proxy.set_up(false);
    patch_name(&http, &app.address, &token, "While away").await;
    assert_eq!(next_frame(&mut sockets, Duration::from_millis(500)).await, None, "nothing while the broker is away");
    proxy.set_up(true);
    let frame = pushed(&mut sockets, "the feed to reconnect").await;
    assert_eq!(frame["type"], "entity:updated", "{frame}");
    drop(app);
    broker.delete().await;
}
