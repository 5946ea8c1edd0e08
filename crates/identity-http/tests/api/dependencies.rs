#![allow(clippy::unwrap_used, clippy::expect_used)]

//! A dependency that is down or stalled never keeps the service silent: every connection has a
//! timeout (`DEPENDENCY_TIMEOUT_SECONDS`), the log says what start-up waits for, and giving up
//! names the dependency and its variable, never its URL.

use std::io::Read;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use identity_postgres::testkit::TestDatabase;

use crate::helpers::{Process, eventually, free_port, server_command};

/// A TCP server that accepts connections and never answers (a broker or database that hangs):
/// it holds every connection until it is dropped.
struct Stalled {
    port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Stalled {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                held.push(stream);
            }
        });
        Self { port, task }
    }
}

impl Drop for Stalled {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// Runs `identity serve` with `env` and a 2 s dependency timeout; it must stop by itself within
/// 30 s (it is killed and the test fails otherwise). Its output, stdout (the log) and stderr.
async fn serve_until_it_gives_up(env: &[(&str, &str)]) -> (ExitStatus, String, String) {
    let mut command = server_command(0);
    command
        .arg("serve")
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .env("DEPENDENCY_TIMEOUT_SECONDS", "2")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut process = Process(command.spawn().unwrap());
    // Read while it runs, so a full pipe never blocks it.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_string(&mut text);
            }
            text
        })
    };
    let stdout = drain(process.0.stdout.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>));
    let stderr = drain(process.0.stderr.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>));
    let status =
        eventually("identity to give up", Duration::from_secs(30), async || process.0.try_wait().unwrap()).await;
    (status, stdout.join().unwrap(), stderr.join().unwrap())
}

/// The log line whose message is exactly `message`, if any.
fn logged<'a>(log: &'a str, message: &str) -> Option<&'a str> {
    log.lines().find(|l| l.contains(&format!("\"message\":\"{message}\"")))
}

#[tokio::test]
async fn a_stalled_rabbitmq_stops_start_up_naming_it_instead_of_hanging() {
    let database = TestDatabase::create().await;
    let stalled = Stalled::start().await;
    let amqp = format!("amqp://guest:secret-pw@127.0.0.1:{}/%2f", stalled.port);
    let prefix = format!("identity-test:{}:", uuid::Uuid::now_v7().simple());
    let started = Instant::now();
    let (output, log, stderr) = serve_until_it_gives_up(&[
        ("DATABASE_URL", database.url()),
        ("REDIS_URL", &redis_url()),
        ("REDIS_KEY_PREFIX", &prefix),
        ("AMQP_URL", &amqp),
    ])
    .await;
    assert!(started.elapsed() < Duration::from_secs(20), "gave up after {:?}", started.elapsed());
    assert_eq!(output.code(), Some(1), "{stderr}");
    // Start-up's own deadline or the adapter's (the same length) ends it, naming both.
    assert!(
        stderr.contains("RabbitMQ (AMQP_URL)") && stderr.contains("within 2s"),
        "the error names the dependency and its variable: {stderr}"
    );
    assert!(logged(&log, "connecting to RabbitMQ (AMQP_URL)").is_some(), "{log}");
    assert!(logged(&log, "still waiting for RabbitMQ (AMQP_URL) to answer").is_some(), "{log}");
    // PostgreSQL and Redis were reached first, and said so.
    assert!(logged(&log, "connecting to PostgreSQL (DATABASE_URL)").is_some(), "{log}");
    assert!(logged(&log, "connecting to Redis (REDIS_URL)").is_some(), "{log}");
    assert!(!log.contains("secret-pw") && !stderr.contains("secret-pw"), "the URL's password is never shown");
}

#[tokio::test]
async fn a_stalled_redis_or_postgres_stops_start_up_naming_it() {
    let stalled = Stalled::start().await;
    let (output, log, stderr) =
        serve_until_it_gives_up(&[("REDIS_URL", &format!("redis://127.0.0.1:{}", stalled.port))]).await;
    assert_eq!(output.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Redis (REDIS_URL)"), "{stderr}");
    assert!(logged(&log, "connecting to Redis (REDIS_URL)").is_some(), "{log}");

    let (output, log, stderr) = serve_until_it_gives_up(&[(
        "DATABASE_URL",
        &format!("postgres://postgres:secret-pw@127.0.0.1:{}/identity", stalled.port),
    )])
    .await;
    assert_eq!(output.code(), Some(1), "{stderr}");
    assert!(stderr.contains("PostgreSQL (DATABASE_URL) did not answer within 2s"), "{stderr}");
    assert!(logged(&log, "still waiting for PostgreSQL (DATABASE_URL) to answer").is_some(), "{log}");
    assert!(!log.contains("secret-pw") && !stderr.contains("secret-pw"));
}

/// Refused connections are named too: before, RabbitMQ's was "IO error: Connection refused" and
/// Redis's "Error occurred while creating a new object".
#[tokio::test]
async fn refused_connections_name_the_dependency_and_its_variable() {
    let port = free_port(); // nothing listens: connections are refused
    let (output, _, stderr) = serve_until_it_gives_up(&[("REDIS_URL", &format!("redis://127.0.0.1:{port}"))]).await;
    assert_eq!(output.code(), Some(1));
    assert!(stderr.contains("Redis (REDIS_URL) is not reachable:"), "{stderr}");
    assert!(stderr.to_lowercase().contains("refused"), "and says why: {stderr}");

    let database = TestDatabase::create().await;
    let prefix = format!("identity-test:{}:", uuid::Uuid::now_v7().simple());
    let (output, _, stderr) = serve_until_it_gives_up(&[
        ("DATABASE_URL", database.url()),
        ("REDIS_URL", &redis_url()),
        ("REDIS_KEY_PREFIX", &prefix),
        ("AMQP_URL", &format!("amqp://guest:guest@127.0.0.1:{port}/%2f")),
    ])
    .await;
    assert_eq!(output.code(), Some(1));
    assert!(stderr.contains("RabbitMQ (AMQP_URL) is not reachable:"), "{stderr}");
    assert!(stderr.to_lowercase().contains("refused"), "{stderr}");
}

/// A TCP proxy to `upstream` that can freeze: while frozen it moves no byte either way (its
/// connections stay open, new ones are accepted and left waiting), as a broker that hangs
/// after start-up does.
struct Freezable {
    port: u16,
    frozen: std::sync::Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Freezable {
    async fn start(upstream: std::net::SocketAddr) -> Self {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let frozen = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = frozen.clone();
        let task = tokio::spawn(async move {
            let mut pipes = tokio::task::JoinSet::new();
            while let Ok((client, _)) = listener.accept().await {
                let frozen = flag.clone();
                pipes.spawn(async move {
                    while frozen.load(Ordering::SeqCst) {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    let Ok(server) = tokio::net::TcpStream::connect(upstream).await else { return };
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    tokio::join!(
                        pipe(client_read, server_write, frozen.clone()),
                        pipe(server_read, client_write, frozen)
                    );
                });
            }
        });
        Self { port, frozen, task }
    }

    fn freeze(&self, frozen: bool) {
        self.frozen.store(frozen, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Copies `from` to `to`, holding every byte while `frozen`.
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    frozen: std::sync::Arc<std::sync::atomic::AtomicBool>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        while frozen.load(std::sync::atomic::Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let n = match tokio::time::timeout(Duration::from_millis(50), from.read(&mut buffer)).await {
            Err(_) => continue,
            Ok(Ok(0) | Err(_)) => return,
            Ok(Ok(n)) => n,
        };
        while frozen.load(std::sync::atomic::Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}

impl Drop for Freezable {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// RabbitMQ hangs after start-up: publishing gives up after `DEPENDENCY_TIMEOUT_SECONDS` (the
/// relay says so and retries; the event stays in the outbox) instead of waiting forever for
/// a confirm, and `/ready` still answers; once the broker answers again the event goes out.
#[tokio::test]
async fn a_broker_that_stalls_later_delays_events_without_hanging_the_relay() {
    use crate::events::Broker;
    use crate::helpers::{Backend, PASSWORD, captured_logs, spawn_app_with, unique_email};

    let broker = Broker::bind().await;
    let rabbit: std::net::SocketAddr = "127.0.0.1:5672".parse().unwrap();
    let proxy = Freezable::start(rabbit).await;
    let url = format!("amqp://guest:guest@127.0.0.1:{}/%2f", proxy.port);
    let app = spawn_app_with(
        Backend::Postgres,
        &[("AMQP_URL", &url), ("AMQP_EXCHANGE", &broker.exchange), ("DEPENDENCY_TIMEOUT_SECONDS", "2")],
    )
    .await;

    proxy.freeze(true);
    let res = app.register(&unique_email(), PASSWORD).await;
    assert_eq!(res.status(), 201, "requests do not wait for the broker");
    let user_id = res.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let ready = tokio::time::timeout(Duration::from_secs(10), app.client.get(app.url("/ready")).send()).await;
    assert!(ready.is_ok(), "/ready answers while the broker hangs");

    let failed = || {
        captured_logs().lines().any(|l| {
            l.contains("publishing outbox events failed") && l.contains("RabbitMQ confirmed no publish within 2s")
        })
    };
    eventually("the relay to give up on the stalled broker", Duration::from_secs(15), async || failed().then_some(()))
        .await;

    proxy.freeze(false);
    eventually("the event to reach RabbitMQ once it answered again", Duration::from_secs(30), async || {
        let (key, body) = broker.next().await?;
        (key == "user.registered" && body["subject"] == user_id.as_str()).then_some(())
    })
    .await;
    drop(app);
    broker.delete().await;
}
