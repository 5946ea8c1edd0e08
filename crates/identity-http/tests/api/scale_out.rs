//! Scale-out on one machine: three replicas of the binary on one PostgreSQL, Redis and
//! RabbitMQ, behind nginx (round robin), with one replica killed (SIGKILL) while flows run.
//! Clients retry what failed; every retried request succeeds, the rate limit is global, and
//! every event is relayed, once unless the dead replica had it in flight.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::events::Broker;
use crate::helpers::{PASSWORD, Process, eventually, free_port, running, server_command, unique_email, wait_until_up};

/// Debian's nginx (`cargo xtask test` installs `nginx-light` when it is missing).
pub fn nginx() -> PathBuf {
    ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("nginx is not installed: `cargo xtask tools` (run by `cargo xtask test`) installs nginx-light")
}

struct Cluster {
    replicas: Vec<Option<Process>>,
    ports: Vec<u16>,
    nginx: Process,
    dir: PathBuf,
    base: String,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn start(database_url: &str, exchange: &str) -> Cluster {
    let key = identity_crypto::PasetoKeys::generate().unwrap().secret_paserk();
    let prefix = format!("identity-test:{}:", uuid::Uuid::now_v7().simple());
    let redis = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let amqp = std::env::var("TEST_AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into());
    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let mut replicas = Vec::new();
    for port in &ports {
        let child = server_command(*port)
            .env("DATABASE_URL", database_url)
            .env("REDIS_URL", &redis)
            .env("REDIS_KEY_PREFIX", &prefix)
            .env("AMQP_URL", &amqp)
            .env("AMQP_EXCHANGE", exchange)
            .env("PASETO_SECRET_KEY", &key)
            .env("TRUSTED_PROXIES", "127.0.0.1")
            .env("RATE_LIMIT_AUTH_PER_MINUTE", "5")
            .env("ARGON2_MEMORY_KIB", "1024")
            .env("ARGON2_ITERATIONS", "1")
            .env("SHUTDOWN_DRAIN_SECONDS", "0")
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        replicas.push(Some(Process(child)));
    }
    for port in &ports {
        wait_until_up(&format!("http://127.0.0.1:{port}/ready")).await;
    }
    let dir = std::env::temp_dir().join(format!("identity-nginx-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let listen = free_port();
    let servers: String =
        ports.iter().map(|p| format!("    server 127.0.0.1:{p} max_fails=1 fail_timeout=60s;\n")).collect();
    let d = dir.display();
    let conf = format!(
        "worker_processes 1;\ndaemon off;\nuser root;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
         events {{ worker_connections 512; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
         upstream identity {{\n{servers}  }}\n\
         server {{\n    listen 127.0.0.1:{listen};\n    location / {{\n      proxy_pass http://identity;\n\
         proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n\
         proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n\
         proxy_next_upstream error timeout;\n      proxy_connect_timeout 1s;\n    }}\n  }}\n}}\n"
    );
    let conf_path = dir.join("nginx.conf");
    std::fs::write(&conf_path, conf).unwrap();
    // Its own process group: stopping the master stops its workers too.
    let nginx = Process::group(
        Command::new(nginx()).arg("-p").arg(&dir).arg("-c").arg(&conf_path).stdout(Stdio::null()).stderr(Stdio::null()),
    );
    let base = format!("http://127.0.0.1:{listen}");
    wait_until_up(&format!("{base}/health")).await;
    Cluster { replicas, ports, nginx, dir, base }
}

/// A client that retries what did not get an answer from a live replica (connection errors
/// and the proxy's 502/503/504), as a real client would.
struct Client {
    http: reqwest::Client,
    base: String,
    retries: AtomicUsize,
}

impl Client {
    async fn send(&self, ip: &str, build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder) -> reqwest::Response {
        for attempt in 0..8 {
            let last = attempt == 7;
            match build(&self.http).header("X-Forwarded-For", ip).send().await {
                // The first attempt's replica died holding the key's claim: wait as told.
                Ok(res) if res.status() == 409 && res.headers().contains_key("retry-after") && !last => {
                    let secs: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
                    assert!(secs <= 10, "a dead replica's claim lapses within 10 s: {secs}");
                    self.retries.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_secs(secs)).await;
                }
                Ok(res) if ![502, 503, 504].contains(&res.status().as_u16()) || last => return res,
                Err(error) if last => panic!("no answer after retries: {error}"),
                _ => {
                    self.retries.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(100 * (attempt + 1))).await;
                }
            }
        }
        unreachable!()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// register → login → refresh → me → logout, from the client address `ip`.
async fn flow(client: &Client, ip: &str) -> uuid::Uuid {
    let email = unique_email();
    let credentials = json!({ "email": email, "password": PASSWORD });
    // A retried registration must not become a second account (nor a 409): the key makes
    // the retry get the first answer.
    let key = uuid::Uuid::now_v7().to_string();
    // Even when the replica died between committing the account and keeping its answer in
    // Redis: the transaction recorded the key, so the retry (once the dead replica's claim
    // lapsed) answers with that account.
    let res = client
        .send(ip, |c| c.post(client.url("/v1/auth/register")).header("Idempotency-Key", &key).json(&credentials))
        .await;
    let status = res.status();
    let user: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "register: {user}");
    let res = client.send(ip, |c| c.post(client.url("/v1/auth/login")).json(&credentials)).await;
    assert_eq!(res.status(), 200, "login");
    let login: Value = res.json().await.unwrap();
    assert_eq!(login["user"]["id"], user["id"], "the account the client registered");
    let refresh = login["refresh_token"].as_str().unwrap().to_owned();
    let res =
        client.send(ip, |c| c.post(client.url("/v1/auth/refresh")).json(&json!({ "refresh_token": refresh }))).await;
    assert_eq!(res.status(), 200, "refresh (a retry inside the grace window gets the same pair)");
    let access = res.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
    let res = client.send(ip, |c| c.get(client.url("/v1/auth/me")).bearer_auth(&access)).await;
    assert_eq!(res.status(), 200, "me");
    let res = client.send(ip, |c| c.post(client.url("/v1/auth/logout")).bearer_auth(&access)).await;
    assert_eq!(res.status(), 204, "logout");
    uuid::Uuid::parse_str(user["id"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn three_replicas_behind_nginx_survive_losing_one() {
    let database = identity_postgres::testkit::TestDatabase::create().await;
    let database_url = database.url().to_owned();
    let broker = Broker::bind().await;
    let mut cluster = start(&database_url, &broker.exchange).await;
    let client = Client { http: reqwest::Client::new(), base: cluster.base.clone(), retries: AtomicUsize::new(0) };

    // Flows spread over the three replicas; one replica dies while they run.
    let flows = (0..24).map(|i| {
        let client = &client;
        async move { flow(client, &format!("198.51.100.{}", i + 1)).await }
    });
    let killer = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let replica = cluster.replicas[1].take().unwrap();
        drop(replica); // SIGKILL: no graceful stop, requests in flight are cut.
    };
    let (users, ()) = tokio::join!(futures_util::future::join_all(flows), killer);
    assert_eq!(users.iter().collect::<BTreeSet<_>>().len(), 24, "one account per flow");

    // Every surviving replica served some of it.
    for port in [cluster.ports[0], cluster.ports[2]] {
        let metrics = reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await.unwrap().text().await.unwrap();
        assert!(metrics.contains("route=\"/v1/auth/login\""), "replica {port} served logins");
    }

    // The rate limit is one, whichever replica answers: 5 a minute for this client.
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let body = json!({ "email": unique_email() });
        let res = client.send("203.0.113.50", |c| c.post(client.url("/v1/auth/password/forgot")).json(&body)).await;
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses, [202, 202, 202, 202, 202, 429, 429, 429]);

    // Every event is relayed, once: the outbox empties and the broker got each event once.
    let mut db = crate::helpers::Db::connect(&database_url).await;
    eventually("the survivors to relay everything", Duration::from_secs(20), async || {
        (db.count("outbox WHERE published_at IS NULL").await == 0).then_some(())
    })
    .await;
    let stored = db.count("outbox").await;
    let mut received: BTreeMap<String, usize> = BTreeMap::new();
    let mut idle = 0;
    while idle < 20 {
        match broker.next().await {
            Some((_, event)) => {
                *received.entry(event["id"].as_str().unwrap().to_owned()).or_default() += 1;
                idle = 0;
            }
            None => {
                idle += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    // Replicas never relay a row at the same time (SKIP LOCKED), so an event goes out twice
    // only when its replica died after the broker confirmed it and before the row was marked:
    // at most the one batch the killed replica had in flight (delivery is at-least-once;
    // consumers deduplicate on the message id, which is the event id).
    let twice: Vec<_> = received.iter().filter(|(_, n)| **n > 1).collect();
    assert!(received.values().all(|n| *n <= 2), "relayed three times: {received:?}");
    assert!(twice.len() <= 100, "more than the killed replica's one batch went out twice: {twice:?}");
    assert_eq!(received.len() as i64, stored, "every stored event reached the broker");
    // 24 × (user.registered, session.created, session.revoked), and a session more for a
    // login whose answer was lost with its replica.
    assert!(stored >= 24 * 3, "{stored}");
    eprintln!(
        "scale-out: {} retried requests, {stored} events, {} relayed twice",
        client.retries.load(Ordering::SeqCst),
        twice.len()
    );
    // Nothing the test started outlives it: nginx's master, its worker, the replicas. (A
    // killed process takes a moment to go: the check waits up to 5 s for each.)
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let mut started: Vec<u32> = loop {
        let workers = cluster.nginx.children();
        if !workers.is_empty() || std::time::Instant::now() > deadline {
            break workers;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(!started.is_empty(), "nginx runs a worker");
    started.push(cluster.nginx.0.id());
    started.extend(cluster.replicas.iter().flatten().map(|r| r.0.id()));
    drop(cluster);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let left = loop {
        let left: Vec<u32> = started.iter().copied().filter(|pid| running(*pid)).collect();
        if left.is_empty() || std::time::Instant::now() > deadline {
            break left;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(left.is_empty(), "processes left running after the test: {left:?}");
    broker.delete().await;
}
