//! `cargo xtask bench gateway`: the WebSocket gateway on this machine, through the release
//! `identity` binary started as a process of its own (so its RSS is the server's alone).
//!
//! - **Memory per idle socket**: the server's RSS with `GATEWAY_BENCH_IDLE` (5,000) idle
//!   authenticated sockets open, minus its RSS before they opened (users registered and signed
//!   in, a first batch of sockets opened and closed so the gateway's own start-up is in the
//!   baseline), divided by the sockets.
//! - **Fan-out latency**: with `GATEWAY_BENCH_FANOUT` (1,000) sockets connected (5 per user),
//!   `GATEWAY_BENCH_CHANGES` (300) profile changes one after another, each to a random user;
//!   the latency of each frame is from the moment the `PATCH` is sent (so it includes the
//!   request and the commit) to the moment the frame is read on the socket. p50, p99 and max
//!   over every frame (5 per change).
//!
//! `cargo test --all-targets` runs it as a smoke test: 100 idle sockets, 50 for 20 changes.
//!
//! Two set-ups: `embedded` (the default store and the in-process bus) and `broker`
//! (PostgreSQL, Redis and RabbitMQ: the outbox relay publishes to the exchange and the
//! replica's own queue feeds its sockets; a queue of the bench's own takes every event, as
//! another service's would), the latter skipped with a note when the services are not there.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{StreamExt, stream};
use lapin::types::FieldTable;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const SOCKETS_PER_USER: usize = 5;

fn main() {
    // `cargo bench` passes `--bench`; other arguments are filters, as criterion's.
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let wanted = |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    if wanted("gateway/embedded") {
        runtime.block_on(run("embedded", Vec::new()));
    }
    if wanted("gateway/broker") {
        runtime.block_on(broker());
    }
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|n| n.parse().ok()).unwrap_or(default)
}

/// The server process; killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(vars: &[(String, String)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_identity"))
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("BIND_ADDR", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("RUST_LOG", std::env::var("GATEWAY_BENCH_LOG").unwrap_or_else(|_| "error".into()))
            // Accounts are the bench's set-up, not what it measures.
            .env("ARGON2_MEMORY_KIB", "1024")
            .env("ARGON2_ITERATIONS", "1")
            .env("RATE_LIMIT_AUTH_PER_MINUTE", "100000")
            .env("WS_MAX_SOCKETS", "100000")
            .envs(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(if std::env::var_os("GATEWAY_BENCH_LOG").is_some() { Stdio::inherit() } else { Stdio::null() })
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the identity binary starts");
        Self { child, base: format!("http://127.0.0.1:{port}") }
    }

    /// Resident set size of the server process, KiB.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn wait_ready(http: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(res) = http.get(format!("{base}/ready")).send().await
            && res.status().is_success()
        {
            return;
        }
        assert!(Instant::now() < deadline, "the server did not become ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Registers and signs in `n` accounts, 16 at a time: their access tokens.
async fn accounts(http: &reqwest::Client, base: &str, n: usize) -> Vec<String> {
    let run = uuid::Uuid::now_v7().simple().to_string();
    stream::iter(0..n)
        .map(|i| {
            let http = http.clone();
            let credentials = json!({ "email": format!("ws-{run}-{i}@bench.example.com"), "password": "correct horse battery staple 9" });
            let base = base.to_owned();
            async move {
                let res = http.post(format!("{base}/v1/auth/register")).json(&credentials).send().await.unwrap();
                assert_eq!(res.status(), 201, "register");
                let res = http.post(format!("{base}/v1/auth/login")).json(&credentials).send().await.unwrap();
                assert_eq!(res.status(), 200, "login");
                let login: Value = res.json().await.unwrap();
                login["access_token"].as_str().unwrap().to_owned()
            }
        })
        .buffered(16)
        .collect()
        .await
}

async fn open(base: &str, token: &str) -> Socket {
    let mut request = format!("{}/v1/ws", base.replacen("http://", "ws://", 1)).into_client_request().unwrap();
    request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    tokio_tungstenite::connect_async(request).await.expect("the socket opens").0
}

/// Opens `SOCKETS_PER_USER` sockets for each token, 64 at a time, each read by a task of its
/// own that reports (user index, arrival) for every text frame on `arrivals`. Dropping the
/// returned handles' abort guards closes the sockets.
async fn connect(
    base: &str,
    tokens: &[String],
    arrivals: &mpsc::UnboundedSender<(usize, Instant)>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let opened: Vec<(usize, Socket)> = stream::iter(
        tokens.iter().enumerate().flat_map(|(u, t)| std::iter::repeat_n((u, t.clone()), SOCKETS_PER_USER)),
    )
    .map(|(user, token)| async move { (user, open(base, &token).await) })
    // In order: the first sockets are the first users' (the fan-out keeps those).
    .buffered(64)
    .collect()
    .await;
    opened
        .into_iter()
        .map(|(user, mut socket)| {
            let arrivals = arrivals.clone();
            tokio::spawn(async move {
                while let Some(Ok(message)) = socket.next().await {
                    if let Message::Text(_) = message {
                        let _ = arrivals.send((user, Instant::now()));
                    }
                }
            })
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

async fn run(name: &str, vars: Vec<(String, String)>) {
    // `cargo test --all-targets` runs benches without `--bench`: a smoke run, small.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let idle = env_number("GATEWAY_BENCH_IDLE", if smoke { 100 } else { 5_000 });
    let fanout = env_number("GATEWAY_BENCH_FANOUT", if smoke { 50 } else { 1_000 });
    let changes = env_number("GATEWAY_BENCH_CHANGES", if smoke { 20 } else { 300 });
    let server = Server::start(&vars);
    let http = reqwest::Client::builder().pool_max_idle_per_host(32).build().unwrap();
    wait_ready(&http, &server.base).await;
    let users = idle.max(fanout).div_ceil(SOCKETS_PER_USER);
    let tokens = accounts(&http, &server.base, users).await;
    let (arrivals_tx, mut arrivals) = mpsc::unbounded_channel();

    // The baseline: the gateway has served sockets once.
    let warm = connect(&server.base, &tokens[..tokens.len().min(20)], &arrivals_tx).await;
    warm.iter().for_each(|task| task.abort());
    drop(warm);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = server.rss_kib();
    let sockets = connect(&server.base, &tokens[..idle.div_ceil(SOCKETS_PER_USER)], &arrivals_tx).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = server.rss_kib();
    let per_socket = (after.saturating_sub(before)) as f64 / sockets.len() as f64;
    println!(
        "gateway/{name}/idle: {} sockets, server RSS {:.1} MiB before, {:.1} MiB with them: {per_socket:.1} KiB per idle socket",
        sockets.len(),
        before as f64 / 1024.0,
        after as f64 / 1024.0,
    );

    // Down to `fanout` sockets: those of the first users.
    let keep = fanout.div_ceil(SOCKETS_PER_USER) * SOCKETS_PER_USER;
    sockets[keep.min(sockets.len())..].iter().for_each(|task| task.abort());
    tokio::time::sleep(Duration::from_secs(1)).await;
    while arrivals.try_recv().is_ok() {}
    let fan_users = keep / SOCKETS_PER_USER;
    let mut latencies = Vec::with_capacity(changes * SOCKETS_PER_USER);
    let mut lost = 0;
    let started = Instant::now();
    for i in 0..changes {
        let user = (i * 7919) % fan_users;
        let sent = Instant::now();
        let res = http
            .patch(format!("{}/v1/users/me", server.base))
            .bearer_auth(&tokens[user])
            .header("Content-Type", "application/merge-patch+json")
            .body(json!({ "name": format!("Bench {i}") }).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "PATCH /v1/users/me");
        let mut got = 0;
        while got < SOCKETS_PER_USER {
            match tokio::time::timeout(Duration::from_secs(2), arrivals.recv()).await {
                Ok(Some((to, at))) => {
                    assert_eq!(to, user, "a frame reached another user's socket");
                    latencies.push(at - sent);
                    got += 1;
                }
                _ => {
                    lost += SOCKETS_PER_USER - got;
                    break;
                }
            }
        }
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    let sockets_now = keep.min(sockets.len());
    if latencies.is_empty() {
        println!("gateway/{name}/fanout: no frame arrived");
    } else {
        println!(
            "gateway/{name}/fanout: {sockets_now} sockets, {changes} changes in {:.1} s, {} frames ({lost} lost): \
             p50 {}, p99 {}, max {}",
            elapsed.as_secs_f64(),
            latencies.len(),
            ms(percentile(&latencies, 0.50)),
            ms(percentile(&latencies, 0.99)),
            ms(*latencies.last().unwrap()),
        );
    }
    sockets.iter().for_each(|task| task.abort());
    drop(server);
}

async fn broker() {
    let amqp = std::env::var("BENCH_AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into());
    let redis = std::env::var("BENCH_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let Ok(connection) = lapin::Connection::connect(&amqp, lapin::ConnectionProperties::default()).await else {
        println!("gateway/broker: skipped, RabbitMQ is not reachable at BENCH_AMQP_URL ({amqp})");
        return;
    };
    let database = identity_postgres::testkit::TestDatabase::create().await;
    let suffix = uuid::Uuid::now_v7().simple().to_string();
    // Another service's queue takes every event, as in a deployment: nothing waits in the
    // outbox as unroutable.
    let exchange = format!("identity.bench.{suffix}");
    let channel = connection.create_channel().await.unwrap();
    let durable = lapin::options::ExchangeDeclareOptions { durable: true, ..Default::default() };
    let topic = lapin::ExchangeKind::Topic;
    channel.exchange_declare(exchange.as_str().into(), topic, durable, FieldTable::default()).await.unwrap();
    let exclusive = lapin::options::QueueDeclareOptions { exclusive: true, auto_delete: true, ..Default::default() };
    let queue = channel.queue_declare("".into(), exclusive, FieldTable::default()).await.unwrap();
    let bind = lapin::options::QueueBindOptions::default();
    channel
        .queue_bind(queue.name().clone(), exchange.as_str().into(), "#".into(), bind, FieldTable::default())
        .await
        .unwrap();
    let vars = vec![
        ("DATABASE_URL".to_owned(), database.url().to_owned()),
        ("REDIS_URL".to_owned(), redis),
        ("REDIS_KEY_PREFIX".to_owned(), format!("identity-bench:{suffix}:")),
        ("AMQP_URL".to_owned(), amqp),
        ("AMQP_EXCHANGE".to_owned(), exchange.clone()),
        ("PASETO_SECRET_KEY".to_owned(), identity_crypto::PasetoKeys::generate().unwrap().secret_paserk()),
    ];
    run("broker", vars).await;
    let _ = channel.exchange_delete(exchange.as_str().into(), lapin::options::ExchangeDeleteOptions::default()).await;
}
