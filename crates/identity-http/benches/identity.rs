//! `cargo xtask bench`: the hot paths of the service, measured with criterion.
//!
//! - `argon2id/hash` and `argon2id/verify`: one password hash with the OWASP parameters the
//!   server uses by default (m = 19 MiB, t = 2, p = 1);
//! - `paseto/issue` and `paseto/verify`: one access token (a token shown again, answered from
//!   the memory of verified tokens); `paseto/verify_signature`: its signature checked;
//! - `saturation/*`: raw Argon2 throughput with every core hashing, beside HTTP logins at
//!   saturation; then the p50/p99 of `/health` and `/v1/auth/me` while logins flood;
//! - `http/me`, `http/refresh`, `http/my_apps`, `http/admin_users_page`: full round trips over
//!   loopback to a server on the embedded default (authenticated read; refresh-token
//!   rotation; the union of a user's direct and group app grants, 3 groups; a 50-user admin
//!   page); with `BENCH_DATABASE_URL` and `BENCH_REDIS_URL` set, on PostgreSQL and Redis.
//! - `http/forward_auth_verify(_app)`: forward-auth as a proxy calls it; `http/introspect`:
//!   RFC 7662 introspection of a live access token by a service client (HTTP Basic);
//! - `http/proxy_direct` and `http/proxy_forwarded`: a tiny upstream called directly, and
//!   through the built-in proxy (`PROXY_ROUTES`, authenticated, no app); then the p50/p99 of
//!   both and the proxy's added latency, printed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use criterion::{Criterion, criterion_group, criterion_main};
use identity_core::ports::{AccessClaims, PasswordHasher, TokenIssuer};
use identity_core::{PasswordPolicy, SessionId, UserId};
use identity_crypto::{Argon2Hasher, HasherSettings, PasetoKeys, PasetoTokens};
use identity_http::{Application, Config};
use serde_json::{Value, json};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap()
}

fn argon2(c: &mut Criterion) {
    let rt = runtime();
    let hasher = rt.block_on(async { Argon2Hasher::new(&HasherSettings::default()).unwrap() });
    let password = PasswordPolicy::candidate("correct horse battery staple");
    let hash = rt.block_on(hasher.hash(&password)).unwrap();
    let mut group = c.benchmark_group("argon2id");
    group.sample_size(20).measurement_time(Duration::from_secs(8));
    group.bench_function("hash", |b| b.to_async(&rt).iter(|| hasher.hash(&password)));
    group.bench_function("verify", |b| b.to_async(&rt).iter(|| hasher.verify(&password, &hash)));
    group.finish();
}

fn paseto(c: &mut Criterion) {
    let tokens = PasetoTokens::new(PasetoKeys::generate().unwrap(), "identity", "identity");
    let now = Utc::now();
    let claims = AccessClaims {
        iss: "identity".into(),
        aud: "identity".into(),
        sub: UserId::from_uuid(uuid::Uuid::now_v7()),
        sid: SessionId::from_uuid(uuid::Uuid::now_v7()),
        iat: now,
        nbf: now,
        exp: now + chrono::Duration::minutes(15),
        jti: uuid::Uuid::now_v7(),
        roles: vec!["user".into()],
        amr: vec!["pwd".into()],
        auth_time: now,
    };
    let token = tokens.issue(&claims).unwrap();
    let mut group = c.benchmark_group("paseto");
    group.bench_function("issue", |b| b.iter(|| tokens.issue(&claims).unwrap()));
    // A token shown again is answered from the memory of verified tokens; the signature
    // check itself is measured on tokens it no longer holds (twice as many as it keeps,
    // taken in turn).
    group.bench_function("verify", |b| b.iter(|| tokens.verify(&token).unwrap()));
    let unseen: Vec<String> = (0..2 * PasetoTokens::VERIFIED_TOKENS).map(|_| tokens.issue(&claims).unwrap()).collect();
    let mut next = unseen.iter().cycle();
    group.bench_function("verify_signature", |b| b.iter(|| tokens.verify(next.next().unwrap()).unwrap()));
    group.finish();
}

fn http(c: &mut Criterion) {
    let rt = runtime();
    let upstream = rt.block_on(tiny_upstream());
    let (base, client, login, service) = rt.block_on(async {
        let mut vars: HashMap<String, String> = HashMap::from([
            ("PROXY_ROUTES".into(), format!("/bench={upstream}")),
            ("BIND_ADDR".into(), "127.0.0.1".into()),
            ("PORT".into(), "0".into()),
            ("LOG_FORMAT".into(), "json".into()),
        ]);
        // BENCH_DATABASE_URL / BENCH_REDIS_URL measure the same round trips on PostgreSQL and Redis.
        for (from, to) in [("BENCH_DATABASE_URL", "DATABASE_URL"), ("BENCH_REDIS_URL", "REDIS_URL")] {
            if let Ok(value) = std::env::var(from) {
                vars.insert(to.into(), value);
            }
        }
        let email = format!("bench-{}@example.com", uuid::Uuid::now_v7().simple());
        // The bench user is the admin, so it can build groups and list users.
        vars.insert("BOOTSTRAP_ADMIN_EMAIL".into(), email.clone());
        vars.insert("RATE_LIMIT_AUTH_PER_MINUTE".into(), "100000".into());
        let config = Config::from_env(&move |name: &str| vars.get(name).cloned()).unwrap();
        // Mails are captured: the bench admin proves its address with the mailed link.
        let mail = identity_memory::CapturingNotifier::new();
        let overrides = identity_http::bootstrap::Overrides {
            notifier: Some(std::sync::Arc::new(mail.clone())),
            ..Default::default()
        };
        let app = Application::build_with(&config, overrides).await.unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        let client = reqwest::Client::new();
        let credentials = json!({ "email": email, "password": "correct horse battery staple" });
        client.post(format!("{base}/v1/auth/register")).json(&credentials).send().await.unwrap();
        // Mail is a background job: wait for the worker to deliver it.
        let mut token = None;
        for _ in 0..200 {
            token = mail.sent().into_iter().find_map(|m| match m {
                identity_core::ports::Mail::VerifyEmail { token, .. } => Some(token),
                _ => None,
            });
            if token.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let token = token.expect("the verification mail within 10 s");
        let verify = json!({ "token": token });
        client.post(format!("{base}/v1/auth/email/verify")).json(&verify).send().await.unwrap();
        let login: Value =
            client.post(format!("{base}/v1/auth/login")).json(&credentials).send().await.unwrap().json().await.unwrap();
        let (token, me) = (login["access_token"].as_str().unwrap(), login["user"]["id"].as_str().unwrap());
        let put = |path: String| client.put(format!("{base}{path}")).bearer_auth(token).send();
        for g in 0..3 {
            let name = format!("bench group {g} {}", uuid::Uuid::now_v7().simple());
            let group: Value = client
                .post(format!("{base}/v1/admin/groups"))
                .bearer_auth(token)
                .json(&json!({ "name": name }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let id = group["id"].as_str().unwrap();
            put(format!("/v1/admin/groups/{id}/members/{me}")).await.unwrap();
            for app in ["docs", &format!("app-{g}")] {
                put(format!("/v1/admin/groups/{id}/apps/{app}")).await.unwrap();
            }
        }
        put(format!("/v1/admin/users/{me}/apps/chat")).await.unwrap();
        for n in 0..60 {
            let other = json!({ "email": format!("bench-{n}-{}@example.com", uuid::Uuid::now_v7().simple()), "password": "correct horse battery staple" });
            client.post(format!("{base}/v1/admin/users")).bearer_auth(token).json(&other).send().await.unwrap();
        }
        // A service client that introspects tokens (RFC 7662).
        let service: Value = client
            .post(format!("{base}/v1/admin/service-clients"))
            .bearer_auth(token)
            .json(&json!({ "name": "bench", "scopes": ["tokens:introspect"] }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let service = (service["client_id"].as_str().unwrap().to_owned(), service["client_secret"].as_str().unwrap().to_owned());
        (base, client, login, service)
    });
    let access = login["access_token"].as_str().unwrap().to_owned();
    let refresh = std::sync::Mutex::new(login["refresh_token"].as_str().unwrap().to_owned());

    let mut group = c.benchmark_group("http");
    group.bench_function("me", |b| {
        b.to_async(&rt).iter(|| async {
            let res = client.get(format!("{base}/v1/auth/me")).bearer_auth(&access).send().await.unwrap();
            assert_eq!(res.status(), 200);
            res.bytes().await.unwrap()
        })
    });
    // Forward-auth as a proxy calls it: the caller, and an app grant (through a group).
    group.bench_function("forward_auth_verify", |b| {
        b.to_async(&rt).iter(|| async {
            let res = client.get(format!("{base}/v1/auth/verify")).bearer_auth(&access).send().await.unwrap();
            assert_eq!(res.status(), 200);
            res.bytes().await.unwrap()
        })
    });
    group.bench_function("forward_auth_verify_app", |b| {
        b.to_async(&rt).iter(|| async {
            let res = client.get(format!("{base}/v1/auth/verify?app=docs")).bearer_auth(&access).send().await.unwrap();
            assert_eq!(res.status(), 200);
            res.bytes().await.unwrap()
        })
    });
    // Introspection of a live access token by a service client (HTTP Basic).
    group.bench_function("introspect", |b| {
        b.to_async(&rt).iter(|| async {
            let res = client
                .post(format!("{base}/v1/tokens/introspect"))
                .basic_auth(&service.0, Some(&service.1))
                .form(&[("token", access.as_str())])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            let answer: Value = res.json().await.unwrap();
            assert_eq!(answer["active"], true);
        })
    });
    // The built-in proxy: the same tiny answer directly and through the proxy.
    group.bench_function("proxy_direct", |b| {
        b.to_async(&rt).iter(|| async {
            let res = client.get(format!("{upstream}/bench/x")).send().await.unwrap();
            assert_eq!(res.status(), 200);
            res.bytes().await.unwrap()
        })
    });
    group.bench_function("proxy_forwarded", |b| {
        b.to_async(&rt).iter(|| async {
            let res = client.get(format!("{base}/bench/x")).bearer_auth(&access).send().await.unwrap();
            assert_eq!(res.status(), 200);
            res.bytes().await.unwrap()
        })
    });
    rt.block_on(proxy_latency(&client, &upstream, &base, &access));
    group.bench_function("my_apps", |b| {
        b.to_async(&rt).iter(|| async {
            let res = client.get(format!("{base}/v1/users/me/apps")).bearer_auth(&access).send().await.unwrap();
            assert_eq!(res.status(), 200);
            let apps: Value = res.json().await.unwrap();
            assert_eq!(apps["items"].as_array().unwrap().len(), 5);
        })
    });
    group.bench_function("admin_users_page", |b| {
        b.to_async(&rt).iter(|| async {
            let res = client.get(format!("{base}/v1/admin/users?limit=50")).bearer_auth(&access).send().await.unwrap();
            assert_eq!(res.status(), 200);
            res.bytes().await.unwrap()
        })
    });
    group.bench_function("refresh", |b| {
        b.to_async(&rt).iter(|| async {
            let current = refresh.lock().unwrap().clone();
            let res = client
                .post(format!("{base}/v1/auth/refresh"))
                .json(&json!({ "refresh_token": current }))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            let body: Value = res.json().await.unwrap();
            *refresh.lock().unwrap() = body["refresh_token"].as_str().unwrap().to_owned();
        })
    });
    group.finish();
}

/// Login at saturation beside raw Argon2 throughput: `cores` hashes at once straight on the
/// hasher, and 16 concurrent logins over HTTP (hashing is bounded to the cores; excess waits
/// up to HASH_QUEUE_TIMEOUT_MS, then is shed with 503).
fn saturation(c: &mut Criterion) {
    let rt = runtime();
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let hasher = rt.block_on(async { Argon2Hasher::new(&HasherSettings::default()).unwrap() });
    let password = PasswordPolicy::candidate("correct horse battery staple");
    let mut group = c.benchmark_group("saturation");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    group.throughput(criterion::Throughput::Elements(cores as u64));
    group.bench_function("argon2id_parallel_hashes", |b| {
        b.to_async(&rt).iter(|| async {
            let all = (0..cores).map(|_| hasher.hash(&password));
            futures_util::future::join_all(all).await
        })
    });
    let (base, client) = rt.block_on(start_server());
    const CONCURRENT: u64 = 16;
    group.throughput(criterion::Throughput::Elements(CONCURRENT));
    group.bench_function("http_logins_16_concurrent", |b| {
        b.to_async(&rt).iter(|| async {
            let all = (0..CONCURRENT).map(|_| login(&client, &base));
            let statuses = futures_util::future::join_all(all).await;
            assert!(statuses.iter().all(|s| *s == 200 || *s == 503), "{statuses:?}");
        })
    });
    group.finish();

    // Latency of cheap routes while logins saturate the hashing pool (printed, not a
    // criterion measurement: criterion has no percentiles).
    rt.block_on(async {
        let (base, client) = start_server().await;
        let access = login_body(&client, &base).await["access_token"].as_str().unwrap().to_owned();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut flooders = Vec::new();
        for _ in 0..8 {
            let (client, base, stop) = (client.clone(), base.clone(), stop.clone());
            flooders.push(tokio::spawn(async move {
                let (mut ok, mut shed) = (0u32, 0u32);
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    match login(&client, &base).await {
                        200 => ok += 1,
                        _ => shed += 1,
                    }
                }
                (ok, shed)
            }));
        }
        let mut health = Vec::new();
        let mut me = Vec::new();
        let started = std::time::Instant::now();
        while started.elapsed() < Duration::from_secs(8) {
            let t = std::time::Instant::now();
            assert_eq!(client.get(format!("{base}/health")).send().await.unwrap().status(), 200);
            health.push(t.elapsed());
            let t = std::time::Instant::now();
            assert_eq!(client.get(format!("{base}/v1/auth/me")).bearer_auth(&access).send().await.unwrap().status(), 200);
            me.push(t.elapsed());
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let (mut ok, mut shed) = (0, 0);
        for f in flooders {
            let (o, s) = f.await.unwrap();
            ok += o;
            shed += s;
        }
        let pct = |v: &mut Vec<Duration>, p: f64| {
            v.sort();
            v[((v.len() as f64 - 1.0) * p) as usize]
        };
        println!(
            "during saturation ({:.1} logins/s served, {:.1}/s shed): /health p50 {:?} p99 {:?}; /v1/auth/me p50 {:?} p99 {:?} ({} probes)",
            f64::from(ok) / 8.0,
            f64::from(shed) / 8.0,
            pct(&mut health, 0.5),
            pct(&mut health, 0.99),
            pct(&mut me, 0.5),
            pct(&mut me, 0.99),
            me.len()
        );
    });
}

/// An upstream that answers every request `200 {}` at once (HTTP/1.1, keep-alive): what is
/// measured through it is the proxy. Its base URL.
async fn tiny_upstream() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let _ = stream.set_nodelay(true);
                let mut buffer = vec![0u8; 16 * 1024];
                let mut filled = 0;
                loop {
                    // Requests without a body: each ends with an empty line.
                    while let Some(end) = buffer[..filled].windows(4).position(|w| w == b"\r\n\r\n") {
                        let answer =
                            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";
                        if stream.write_all(answer).await.is_err() {
                            return;
                        }
                        buffer.copy_within(end + 4..filled, 0);
                        filled -= end + 4;
                    }
                    match stream.read(&mut buffer[filled..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => filled += n,
                    }
                }
            });
        }
    });
    format!("http://127.0.0.1:{port}")
}

/// p50/p99 of the tiny upstream called directly and through the proxy, one request at a time
/// (printed, not a criterion measurement: criterion has no percentiles).
async fn proxy_latency(client: &reqwest::Client, upstream: &str, base: &str, access: &str) {
    const PROBES: usize = 5000;
    let mut direct = Vec::with_capacity(PROBES);
    let mut proxied = Vec::with_capacity(PROBES);
    for _ in 0..PROBES {
        let t = std::time::Instant::now();
        let res = client.get(format!("{upstream}/bench/x")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        res.bytes().await.unwrap();
        direct.push(t.elapsed());
        let t = std::time::Instant::now();
        let res = client.get(format!("{base}/bench/x")).bearer_auth(access).send().await.unwrap();
        assert_eq!(res.status(), 200);
        res.bytes().await.unwrap();
        proxied.push(t.elapsed());
    }
    let pct = |v: &mut Vec<Duration>, p: f64| {
        v.sort();
        v[((v.len() as f64 - 1.0) * p) as usize]
    };
    let (d50, d99, p50, p99) =
        (pct(&mut direct, 0.5), pct(&mut direct, 0.99), pct(&mut proxied, 0.5), pct(&mut proxied, 0.99));
    println!(
        "proxy latency ({PROBES} sequential GETs each): direct p50 {d50:?} p99 {d99:?}; through the proxy p50 {p50:?} \
         p99 {p99:?}; added p50 {:?} p99 {:?}",
        p50.saturating_sub(d50),
        p99.saturating_sub(d99)
    );
}

const CREDENTIALS: (&str, &str) = ("saturation@example.com", "correct horse battery staple");

async fn start_server() -> (String, reqwest::Client) {
    let vars: HashMap<String, String> = HashMap::from([
        ("BIND_ADDR".into(), "127.0.0.1".into()),
        ("PORT".into(), "0".into()),
        ("RUST_LOG".into(), "error".into()),
        ("RATE_LIMIT_AUTH_PER_MINUTE".into(), "100000".into()),
        ("LOGIN_BACKOFF_AFTER".into(), "0".into()),
    ]);
    let config = Config::from_env(&move |name: &str| vars.get(name).cloned()).unwrap();
    let app = Application::build(&config).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let body = json!({ "email": CREDENTIALS.0, "password": CREDENTIALS.1 });
    client.post(format!("{base}/v1/auth/register")).json(&body).send().await.unwrap();
    (base, client)
}

async fn login(client: &reqwest::Client, base: &str) -> u16 {
    let body = json!({ "email": CREDENTIALS.0, "password": CREDENTIALS.1 });
    let res = client.post(format!("{base}/v1/auth/login")).json(&body).send().await.unwrap();
    let status = res.status().as_u16();
    let _ = res.bytes().await;
    status
}

async fn login_body(client: &reqwest::Client, base: &str) -> Value {
    let body = json!({ "email": CREDENTIALS.0, "password": CREDENTIALS.1 });
    client.post(format!("{base}/v1/auth/login")).json(&body).send().await.unwrap().json().await.unwrap()
}

criterion_group!(benches, argon2, paseto, http, saturation);
criterion_main!(benches);
