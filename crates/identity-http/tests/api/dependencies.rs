#![allow(clippy::unwrap_used, clippy::expect_used)]

//! A dependency that is down or stalled never keeps the service silent: every connection has a
//! timeout (`DEPENDENCY_TIMEOUT_SECONDS`) and the log says what start-up waits for. One that is
//! down at start-up does not stop it: `/health` answers, `/ready` names what is missing, and the
//! replica becomes ready by itself when it is back (RabbitMQ never gates readiness). One that is
//! misconfigured stops start-up naming its variable, never its URL.

use std::io::Read;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use identity_postgres::testkit::TestDatabase;

use crate::helpers::{Process, eventually, free_port, server_command};

fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// Runs `identity serve` with `env` and a 2 s dependency timeout; it must stop by itself within
/// 30 s (it is killed and the test fails otherwise). Its output, stdout (the log) and stderr.
pub(crate) async fn serve_until_it_gives_up(env: &[(&str, &str)]) -> (ExitStatus, String, String) {
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

/// A dependency's address that the test brings up late: connections are refused until
/// [`Late::stall`] (accepted, never answered) or [`Late::forward`] (passed on to the real
/// service), as a service that is down at start-up and comes back.
struct Late {
    port: u16,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Late {
    /// A port nothing listens on yet.
    fn down() -> Self {
        Self { port: free_port(), task: None }
    }

    async fn listen(&mut self) -> tokio::net::TcpListener {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
        tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await.unwrap()
    }

    /// Accepts connections and holds them without a byte.
    async fn stall(&mut self) {
        let listener = self.listen().await;
        self.task = Some(tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                held.push(stream);
            }
        }));
    }

    /// Forwards every connection to `upstream`: the service is up.
    async fn forward(&mut self, upstream: &str) {
        let listener = self.listen().await;
        let upstream = upstream.to_owned();
        self.task = Some(tokio::spawn(async move {
            let mut pipes = tokio::task::JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                pipes.spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        }));
    }
}

impl Drop for Late {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// `identity serve` started with `env`, small timeouts and back-off, its log (JSON lines) kept;
/// killed with its process group when dropped.
pub(crate) struct Serving {
    _process: Process,
    base: String,
    log: std::sync::Arc<std::sync::Mutex<String>>,
    client: reqwest::Client,
}

impl Serving {
    pub(crate) async fn start(env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let mut command = server_command(port);
        command
            .arg("serve")
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .env("DEPENDENCY_TIMEOUT_SECONDS", "2")
            .env("DEPENDENCY_RETRY_MAX_SECONDS", "1")
            .env("SHUTDOWN_DRAIN_SECONDS", "0")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut process = Process::group(&mut command);
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        for pipe in [
            process.0.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>),
            process.0.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let log = log.clone();
            std::thread::spawn(move || {
                use std::io::BufRead;
                for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
                    let mut log = log.lock().unwrap();
                    log.push_str(&line);
                    log.push('\n');
                }
            });
        }
        let serving =
            Self { _process: process, base: format!("http://127.0.0.1:{port}"), log, client: reqwest::Client::new() };
        // `/health` answers while the dependency is down.
        crate::helpers::wait_until_up(&serving.url("/health")).await;
        serving
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    pub(crate) async fn ready(&self) -> (u16, serde_json::Value) {
        let res = self.client.get(self.url("/ready")).send().await.unwrap();
        (res.status().as_u16(), res.json().await.unwrap())
    }

    pub(crate) async fn register(&self) -> reqwest::Response {
        let body = serde_json::json!({
            "email": crate::helpers::unique_email(),
            "password": crate::helpers::PASSWORD,
        });
        self.client.post(self.url("/v1/auth/register")).json(&body).send().await.unwrap()
    }

    /// Waits until `/ready` answers `status`, and returns its body.
    pub(crate) async fn ready_turns(&self, status: u16) -> serde_json::Value {
        eventually(&format!("/ready to answer {status}"), Duration::from_secs(30), async || {
            let (got, body) = self.ready().await;
            (got == status).then_some(body)
        })
        .await
    }
}

/// The entry of `/ready`'s body for the dependency `name`.
pub(crate) fn dependency<'a>(ready: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    ready["dependencies"].as_array().unwrap().iter().find(|d| d["name"] == name).unwrap_or_else(|| panic!("{ready}"))
}

/// Redis is down at start-up (it accepts connections but never answers, then comes back):
/// the process starts after waiting `DEPENDENCY_TIMEOUT_SECONDS` once, `/ready` is 503 naming
/// `REDIS_URL`, a request that needs Redis answers 503 `service_unavailable`; once Redis
/// answers, the replica is ready by itself.
#[tokio::test]
async fn redis_down_at_start_up_then_back_makes_the_replica_ready_by_itself() {
    let mut redis = Late::down();
    redis.stall().await;
    let prefix = format!("identity-test:{}:", uuid::Uuid::now_v7().simple());
    let server =
        Serving::start(&[("REDIS_URL", &format!("redis://127.0.0.1:{}", redis.port)), ("REDIS_KEY_PREFIX", &prefix)])
            .await;
    let (status, ready) = server.ready().await;
    assert_eq!(status, 503, "{ready}");
    assert_eq!(ready["status"], "unavailable");
    let entry = dependency(&ready, "redis");
    assert_eq!((entry["status"].as_str(), entry["variable"].as_str()), (Some("unavailable"), Some("REDIS_URL")));
    let res = server.register().await;
    assert_eq!(res.status(), 503, "a request that needs Redis");
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["code"], "service_unavailable");
    let log = server.log();
    assert!(logged(&log, "still waiting for Redis (REDIS_URL) to answer").is_some(), "{log}");
    assert!(log.contains("Redis (REDIS_URL) is down: starting without it"), "{log}");

    redis.forward(&redis_url().replace("redis://", "")).await;
    let ready = server.ready_turns(200).await;
    assert_eq!(ready["status"], "ok", "{ready}");
    assert_eq!(server.register().await.status(), 201);
    eventually("the log to say Redis answers", Duration::from_secs(10), async || {
        server.log().contains("\"message\":\"Redis (REDIS_URL) answers\"").then_some(())
    })
    .await;
}

/// RabbitMQ is down at start-up (connections refused): it never gates readiness (200
/// `degraded`), requests are served and their events wait in the outbox; once the broker is
/// up the relay publishes them.
#[tokio::test]
async fn rabbitmq_down_at_start_up_never_gates_readiness_and_events_go_out_once_it_is_up() {
    let broker = crate::events::Broker::bind().await;
    let database = TestDatabase::create().await;
    let mut rabbit = Late::down();
    let server = Serving::start(&[
        ("DATABASE_URL", database.url()),
        ("AMQP_URL", &format!("amqp://guest:guest@127.0.0.1:{}/%2f", rabbit.port)),
        ("AMQP_EXCHANGE", &broker.exchange),
    ])
    .await;
    let (status, ready) = server.ready().await;
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["status"], "degraded");
    let entry = dependency(&ready, "rabbitmq");
    assert_eq!((entry["status"].as_str(), entry["variable"].as_str()), (Some("degraded"), Some("AMQP_URL")));
    assert_eq!(dependency(&ready, "postgres")["status"], "ok");
    let res = server.register().await;
    assert_eq!(res.status(), 201, "served while the broker is down");
    let user_id = res.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    assert!(server.log().contains("RabbitMQ (AMQP_URL) is down: starting without it"), "{}", server.log());

    rabbit.forward("127.0.0.1:5672").await;
    eventually("the event to reach RabbitMQ once it is up", Duration::from_secs(30), async || {
        let (key, body) = broker.next().await?;
        (key == "user.registered" && body["subject"] == user_id.as_str()).then_some(())
    })
    .await;
    let ready = server.ready_turns(200).await;
    eventually("/ready to say ok", Duration::from_secs(10), async || {
        let (_, ready) = server.ready().await;
        (ready["status"] == "ok").then_some(())
    })
    .await;
    assert_eq!(dependency(&ready, "rabbitmq")["variable"], "AMQP_URL");
    drop(server);
    broker.delete().await;
}

/// PostgreSQL is down at start-up (connections refused): the listener starts, `/health`
/// answers, `/ready` is 503 naming `DATABASE_URL`, requests answer 503 `service_unavailable`;
/// once it answers the migrations run and the replica is ready by itself.
#[tokio::test]
async fn postgres_down_at_start_up_then_back_migrates_and_makes_the_replica_ready() {
    let database = TestDatabase::create().await;
    let mut postgres = Late::down();
    let (host, rest) = database.url().split_once("@127.0.0.1:5432/").expect("a database on 127.0.0.1:5432");
    let url = format!("{host}@127.0.0.1:{}/{rest}", postgres.port);
    let server = Serving::start(&[("DATABASE_URL", &url.replacen("postgres@", "postgres:secret-pw@", 1))]).await;
    let (status, ready) = server.ready().await;
    assert_eq!(status, 503, "{ready}");
    let entry = dependency(&ready, "postgres");
    assert_eq!((entry["status"].as_str(), entry["variable"].as_str()), (Some("unavailable"), Some("DATABASE_URL")));
    let res = server.register().await;
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["code"], "service_unavailable");
    assert_eq!(server.client.get(server.url("/openapi.json")).send().await.unwrap().status(), 200);
    assert!(server.log().contains("PostgreSQL (DATABASE_URL) is down: starting without it"), "{}", server.log());

    postgres.forward("127.0.0.1:5432").await;
    let ready = server.ready_turns(200).await;
    assert_eq!(ready["status"], "ok", "{ready}");
    assert_eq!(server.register().await.status(), 201);
    assert!(server.log().contains("the database is migrated: serving every request"), "{}", server.log());
    assert!(!server.log().contains("secret-pw"), "the URL's password is never shown");
}

/// What is not "down" but misconfigured still stops start-up at once, naming the variable:
/// credentials Redis or RabbitMQ refuse, a database that does not exist.
#[tokio::test]
async fn misconfigured_dependencies_still_stop_start_up_naming_the_variable() {
    let (output, _, stderr) = serve_until_it_gives_up(&[("REDIS_URL", "redis://nobody:wrong-pw@127.0.0.1:6379")]).await;
    assert_eq!(output.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Redis (REDIS_URL)"), "{stderr}");
    assert!(!stderr.contains("wrong-pw"));

    let database = TestDatabase::create().await;
    let (output, _, stderr) = serve_until_it_gives_up(&[
        ("DATABASE_URL", database.url()),
        ("AMQP_URL", "amqp://guest:wrong-pw@127.0.0.1:5672/%2f"),
    ])
    .await;
    assert_eq!(output.code(), Some(1), "{stderr}");
    assert!(stderr.contains("RabbitMQ (AMQP_URL)"), "{stderr}");
    assert!(!stderr.contains("wrong-pw"));

    let (host, _) = database.url().rsplit_once('/').unwrap();
    let (output, _, stderr) =
        serve_until_it_gives_up(&[("DATABASE_URL", &format!("{host}/identity_no_such_database"))]).await;
    assert_eq!(output.code(), Some(1), "{stderr}");
    assert!(stderr.contains("PostgreSQL (DATABASE_URL)"), "{stderr}");
    assert!(stderr.contains("does not exist"), "{stderr}");
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

/// Redis is down at start-up, then answers on `rediss://` with a certificate `REDIS_CA_FILE`
/// does not vouch for: the replica keeps serving what needs no Redis, says so at ERROR naming
/// `REDIS_URL` on every retry, and `/ready` stays 503 naming it: never a downgrade, never
/// "ready" on an unverified store.
#[tokio::test]
async fn redis_back_with_an_untrusted_certificate_keeps_the_replica_unready_naming_redis_url() {
    let pki = identity_tls::testing::TestPki::generate();
    let plain = tokio::net::lookup_host(redis_url().replace("redis://", "")).await.unwrap().next().unwrap();
    let terminator = identity_tls::testing::TlsTerminator::start(&pki, plain).await;
    let mut redis = Late::down();
    let url = format!("rediss://localhost:{}", redis.port);
    let server = Serving::start(&[("REDIS_URL", &url), ("REDIS_CA_FILE", &pki.file("other-ca.pem"))]).await;
    let (status, ready) = server.ready().await;
    assert_eq!(status, 503, "{ready}");

    redis.forward(&format!("127.0.0.1:{}", terminator.port())).await;
    eventually("the log to name REDIS_URL's certificate", Duration::from_secs(20), async || {
        let log = server.log();
        let line = log.lines().find(|l| {
            l.contains("Redis (REDIS_URL) showed a TLS certificate that failed verification")
                && l.contains("\"level\":\"ERROR\"")
        });
        line.map(|_| ())
    })
    .await;
    let (status, ready) = server.ready().await;
    assert_eq!(status, 503, "{ready}");
    let entry = dependency(&ready, "redis");
    assert_eq!((entry["status"].as_str(), entry["variable"].as_str()), (Some("unavailable"), Some("REDIS_URL")));
    assert!(!server.log().contains("Redis (REDIS_URL) answers"), "{}", server.log());
}
