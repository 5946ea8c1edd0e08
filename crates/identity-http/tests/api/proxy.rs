#![allow(clippy::unwrap_used, clippy::expect_used)]

//! The built-in authenticated reverse proxy (`PROXY_ROUTES`) in front of a test upstream the
//! test runs itself (a bare HTTP/1.1 server on a tokio listener, so it can send and see exactly
//! the bytes it wants): who the caller is reaches the upstream and nobody can forge it,
//! hop-by-hop headers stop at the proxy both ways, refusals never reach the upstream, bodies
//! stream both ways with bounded memory (the real binary, 1 GiB each way), 502 and 504.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::web::Bytes;
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::both_backends;
use crate::helpers::{
    Backend, PASSWORD, Process, TestApp, assert_problem, free_port, server_command, spawn_app_with, unique_email,
    wait_until_up,
};

/// The test upstream: counts the requests it got; its task ends with the test's runtime.
struct Upstream {
    port: u16,
    calls: Arc<AtomicUsize>,
}

impl Upstream {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, counter.clone()));
            }
        });
        Self { port, calls }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

/// One connection: requests one after the other (keep-alive).
async fn serve(stream: TcpStream, calls: Arc<AtomicUsize>) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut head = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end().to_owned();
            if line.is_empty() {
                break;
            }
            head.push(line);
        }
        calls.fetch_add(1, Ordering::SeqCst);
        let request_line = head.remove(0);
        let mut parts = request_line.split(' ');
        let (method, target) = (parts.next().unwrap().to_owned(), parts.next().unwrap().to_owned());
        let headers: Vec<(String, String)> = head
            .iter()
            .filter_map(|h| h.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        let received = read_body(&mut reader, &headers).await;
        let stream = reader.get_mut();
        let path = target.split('?').next().unwrap_or_default().to_owned();
        let query_bytes =
            || target.split_once("bytes=").map(|(_, n)| n.split('&').next().unwrap().parse::<u64>().unwrap()).unwrap();
        let written = match path.as_str() {
            "/api/slow" => {
                tokio::time::sleep(Duration::from_secs(3)).await;
                respond(stream, "200 OK", &[("content-type", "text/plain")], b"late").await
            }
            "/api/empty-404" => respond(stream, "404 Not Found", &[], b"").await,
            "/api/download" => {
                let n = query_bytes();
                let head =
                    format!("HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: {n}\r\n\r\n");
                stream_zeros(stream, head, n, false).await
            }
            "/api/chunked-download" => {
                let n = query_bytes();
                let head =
                    "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ntransfer-encoding: chunked\r\n\r\n";
                stream_zeros(stream, head.to_owned(), n, true).await
            }
            _ => {
                let echo = json!({
                    "method": method,
                    "target": target,
                    "headers": headers,
                    "received": received,
                    "content_length": header("content-length"),
                    "transfer_encoding": header("transfer-encoding"),
                });
                let extra = [
                    ("content-type", "application/vnd.test+json"),
                    ("connection", "keep-alive, X-Upstream-Hop"),
                    ("keep-alive", "timeout=5"),
                    ("x-upstream-hop", "must not pass"),
                    ("proxy-authenticate", "Basic realm=\"upstream\""),
                    ("trailer", "x-checksum"),
                    ("x-end-to-end", "kept"),
                    ("set-cookie", "a=1; Path=/"),
                    ("set-cookie", "b=2; Path=/"),
                    ("x-request-id", "the upstream's own"),
                    ("content-security-policy", "default-src 'self'"),
                    ("x-frame-options", "SAMEORIGIN"),
                ];
                respond(stream, "200 OK", &extra, echo.to_string().as_bytes()).await
            }
        };
        if written.is_err() {
            return;
        }
    }
}

/// Reads (and counts, without keeping) a request body: `content-length` or chunked.
async fn read_body(reader: &mut BufReader<TcpStream>, headers: &[(String, String)]) -> u64 {
    let chunked = headers.iter().any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let length = headers.iter().find(|(n, _)| n == "content-length").map(|(_, v)| v.parse::<u64>().unwrap());
    let mut buffer = vec![0u8; 64 * 1024];
    let mut skip = async |reader: &mut BufReader<TcpStream>, mut n: u64| {
        while n > 0 {
            let want = usize::try_from(n.min(buffer.len() as u64)).unwrap();
            let got = reader.read(&mut buffer[..want]).await.unwrap();
            assert!(got > 0, "the body ended early");
            n -= got as u64;
        }
    };
    if chunked {
        let mut total = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).await.unwrap();
            let size = u64::from_str_radix(line.trim().split(';').next().unwrap(), 16).unwrap();
            if size == 0 {
                // Trailers, up to the empty line.
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).await.unwrap();
                    if line.trim().is_empty() {
                        return total;
                    }
                }
            }
            skip(reader, size + 2).await;
            total += size;
        }
    }
    let n = length.unwrap_or(0);
    skip(reader, n).await;
    n
}

async fn respond(stream: &mut TcpStream, status: &str, headers: &[(&str, &str)], body: &[u8]) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n", body.len());
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await
}

async fn stream_zeros(stream: &mut TcpStream, head: String, mut n: u64, chunked: bool) -> std::io::Result<()> {
    static ZEROS: [u8; 256 * 1024] = [0; 256 * 1024];
    stream.write_all(head.as_bytes()).await?;
    while n > 0 {
        let len = usize::try_from(n.min(ZEROS.len() as u64)).unwrap();
        if chunked {
            stream.write_all(format!("{len:x}\r\n").as_bytes()).await?;
        }
        stream.write_all(&ZEROS[..len]).await?;
        if chunked {
            stream.write_all(b"\r\n").await?;
        }
        n -= len as u64;
    }
    if chunked {
        stream.write_all(b"0\r\n\r\n").await?;
    }
    Ok(())
}

/// The upstream's echo: a header's values as it saw them.
fn seen(echo: &Value, name: &str) -> Vec<String> {
    echo["headers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|pair| pair[0] == name)
        .map(|pair| pair[1].as_str().unwrap().to_owned())
        .collect()
}

/// Sends a request head as written (plus `host` and `connection: close`) and reads the whole
/// answer as text.
async fn raw_request(app: &TestApp, head: &str) -> String {
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&address).await.unwrap();
    let request = format!("{head}host: {address}\r\nconnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer
}

async fn signed_in(app: &TestApp) -> (String, String, String) {
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 201);
    let login = app.login_ok(&email, PASSWORD).await;
    (email, login["access_token"].as_str().unwrap().to_owned(), login["user"]["id"].as_str().unwrap().to_owned())
}

/// Who the caller is reaches the upstream, whatever the client claimed; hop-by-hop headers
/// stop at the proxy in both directions; the upstream's own answer (content type, cookies,
/// an error without a body) passes as it was.
#[tokio::test]
async fn the_upstream_learns_who_calls_and_nothing_forged() {
    let upstream = Upstream::start().await;
    let routes = format!("/api={}", upstream.url());
    let app = spawn_app_with(Backend::Memory, &[("PROXY_ROUTES", &routes)]).await;
    let (email, token, user_id) = signed_in(&app).await;

    let res = app
        .client
        .post(app.url("/api/echo/a%20b?q=1&r=%2F"))
        .bearer_auth(&token)
        .header("X-User-Id", "00000000-0000-7000-8000-000000000000")
        .header("x-user-roles", "admin")
        .header("X-USER-EMAIL", "root@example.com")
        .header("x-user-aal", "2")
        .header("x-user-whatever", "forged")
        .header("x-session-id", "forged")
        .header("x-forwarded-for", "203.0.113.9")
        .header("x-forwarded-host", "evil.example")
        .header("forwarded", "for=203.0.113.9")
        .header("x-request-id", "client-req-42")
        .header("connection", "keep-alive, X-Client-Hop")
        .header("x-client-hop", "must not pass")
        .header("keep-alive", "timeout=5")
        .header("te", "trailers")
        .header("proxy-authorization", "Basic dXNlcjpwYXNz")
        .header("upgrade", "h2c")
        .header("x-end-to-end", "kept")
        .header("cookie", format!("theme=dark; identity_access={token}"))
        .header("content-type", "text/plain")
        .body("twelve bytes")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // The upstream's answer, as it sent it, but for its hop-by-hop headers.
    let headers = res.headers().clone();
    assert_eq!(headers["content-type"], "application/vnd.test+json");
    assert_eq!(headers["x-end-to-end"], "kept");
    let cookies: Vec<_> = headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap()).collect();
    assert_eq!(cookies, ["a=1; Path=/", "b=2; Path=/"]);
    // The upstream's own policy stands; ours fills in what it left out.
    assert_eq!(headers["content-security-policy"], "default-src 'self'");
    assert_eq!(headers["x-frame-options"], "SAMEORIGIN");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    for hop in ["x-upstream-hop", "keep-alive", "proxy-authenticate", "trailer"] {
        assert!(headers.get(hop).is_none(), "{hop} came back to the client");
    }
    assert!(
        headers.get("connection").is_none_or(|v| !v.to_str().unwrap().to_ascii_lowercase().contains("x-upstream-hop"))
    );
    // One request id, the one the access log uses: the client's, echoed to it and sent on.
    assert_eq!(headers["x-request-id"], "client-req-42");
    let echo: Value = res.json().await.unwrap();

    assert_eq!((echo["method"].as_str(), echo["target"].as_str()), (Some("POST"), Some("/api/echo/a%20b?q=1&r=%2F")));
    assert_eq!(seen(&echo, "x-user-id"), [user_id.as_str()]);
    assert_eq!(seen(&echo, "x-user-email"), [email.as_str()]);
    assert_eq!(seen(&echo, "x-user-roles"), ["user"]);
    assert_eq!(seen(&echo, "x-user-aal"), ["1"]);
    let me: Value = app.get_authed("/v1/auth/me", &token).await.json().await.unwrap();
    assert_eq!(seen(&echo, "x-session-id"), [me["session"]["id"].as_str().unwrap()]);
    assert!(seen(&echo, "x-user-whatever").is_empty(), "{echo}");
    assert_eq!(seen(&echo, "x-request-id"), ["client-req-42"]);
    assert_eq!(seen(&echo, "x-forwarded-for"), ["127.0.0.1"], "the peer, not the client's claim");
    assert_eq!(seen(&echo, "x-forwarded-proto"), ["http"]);
    assert_eq!(seen(&echo, "x-forwarded-host"), [app.address.trim_start_matches("http://")]);
    assert!(seen(&echo, "forwarded").is_empty());
    for hop in ["x-client-hop", "keep-alive", "te", "proxy-authorization", "upgrade"] {
        assert!(seen(&echo, hop).is_empty(), "{hop} reached the upstream: {echo}");
    }
    assert!(seen(&echo, "connection").iter().all(|v| !v.to_ascii_lowercase().contains("x-client-hop")), "{echo}");
    assert_eq!(seen(&echo, "host"), [format!("127.0.0.1:{}", upstream.port)]);
    assert_eq!(seen(&echo, "x-end-to-end"), ["kept"]);
    // The bearer token passes on (upstreams may verify it); the auth cookie does not.
    assert_eq!(seen(&echo, "authorization"), [format!("Bearer {token}")]);
    assert_eq!(seen(&echo, "cookie"), ["theme=dark"]);
    assert_eq!((echo["received"].as_u64(), echo["content_length"].as_str()), (Some(12), Some("12")));

    // The access cookie alone works like on every route (a browser behind the proxy)…
    let res =
        app.client.get(app.url("/api/echo")).header("cookie", format!("identity_access={token}")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(seen(&res.json().await.unwrap(), "x-user-id"), [user_id.as_str()]);
    // …and an unsafe request with it needs an allowed origin, before the upstream hears of it.
    let before = upstream.calls();
    let res = app
        .client
        .delete(app.url("/api/echo/1"))
        .header("cookie", format!("identity_access={token}"))
        .send()
        .await
        .unwrap();
    assert_problem(res, 403, "csrf_rejected").await;
    assert_eq!(upstream.calls(), before);

    // The upstream's own error answer is not turned into ours.
    let res = app.get_authed("/api/empty-404", &token).await;
    assert_eq!(res.status(), 404);
    assert!(res.headers().get("content-type").is_none(), "{:?}", res.headers());
    assert!(res.bytes().await.unwrap().is_empty());
    // Paths beside the prefix, and dot segments that would leave it, are not forwarded.
    let before = upstream.calls();
    assert_problem(app.get_authed("/apix", &token).await, 404, "not_found").await;
    // (Written by hand: an HTTP client resolves `%2e%2e` before sending.)
    let answer = raw_request(&app, &format!("GET /api/x/%2e%2e/y HTTP/1.1\r\nauthorization: Bearer {token}\r\n")).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("\"code\":\"bad_request\""), "{answer}");
    assert_eq!(upstream.calls(), before);
}

/// 401 without a valid token and 403 without the route's app, both before the upstream is
/// called; with the grant (direct or through a group) the request passes.
async fn refusals_never_reach_the_upstream(backend: Backend) {
    let upstream = Upstream::start().await;
    let routes = format!("/api/documents={0};app=docs, /api={0}", upstream.url());
    let (app, admin) = {
        let boss = unique_email();
        let app = spawn_app_with(backend, &[("BOOTSTRAP_ADMIN_EMAIL", &boss), ("PROXY_ROUTES", &routes)]).await;
        let token = app.bootstrap_admin(&boss).await;
        (app, token)
    };
    let (_, token, user_id) = signed_in(&app).await;

    for res in [
        app.client.get(app.url("/api/documents/1")).send().await.unwrap(),
        app.client.post(app.url("/api/documents")).body("x").send().await.unwrap(),
        app.client.get(app.url("/api/other")).bearer_auth("not-a-token").send().await.unwrap(),
        app.client.get(app.url("/api/documents")).header("cookie", "identity_access=garbage").send().await.unwrap(),
    ] {
        assert_eq!(res.headers()["www-authenticate"], "Bearer");
        assert_problem(res, 401, "unauthenticated").await;
    }
    assert_problem(app.get_authed("/api/documents/1", &token).await, 403, "forbidden").await;
    assert_problem(app.post_authed("/api/documents", &token, Some(&json!({"a": 1}))).await, 403, "forbidden").await;
    assert_eq!(upstream.calls(), 0, "a refused request reached the upstream");

    // Another route without an app needs a caller only.
    assert_eq!(app.get_authed("/api/other", &token).await.status(), 200);
    let res = app
        .client
        .put(app.url(&format!("/v1/admin/users/{user_id}/apps/docs")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let res = app.get_authed("/api/documents/1", &token).await;
    assert_eq!(res.status(), 200);
    let echo: Value = res.json().await.unwrap();
    assert_eq!(echo["target"], "/api/documents/1");
    assert_eq!(seen(&echo, "x-user-id"), [user_id.as_str()]);
    assert_eq!(upstream.calls(), 2);

    // Signed out: the session ended, the token is refused at once.
    assert_eq!(app.post_authed("/v1/auth/logout", &token, None).await.status(), 204);
    assert_problem(app.get_authed("/api/documents/1", &token).await, 401, "unauthenticated").await;
    assert_eq!(upstream.calls(), 2);
}

both_backends!(refusals_never_reach_the_upstream);

/// Nothing listens upstream: 502. The upstream takes longer than `PROXY_TIMEOUT_SECONDS`: 504.
/// Both problem documents, naming no upstream address.
#[tokio::test]
async fn an_unreachable_upstream_is_502_and_a_slow_one_504() {
    let upstream = Upstream::start().await;
    let routes = format!("/api/gone=http://127.0.0.1:{},/api={}", free_port(), upstream.url());
    let app = spawn_app_with(Backend::Memory, &[("PROXY_ROUTES", &routes), ("PROXY_TIMEOUT_SECONDS", "1")]).await;
    let (_, token, _) = signed_in(&app).await;

    let body = assert_problem(app.get_authed("/api/gone/x", &token).await, 502, "bad_gateway").await;
    assert!(!body["detail"].as_str().unwrap().contains("127.0.0.1"), "{body}");
    let started = std::time::Instant::now();
    let body = assert_problem(app.get_authed("/api/slow", &token).await, 504, "gateway_timeout").await;
    assert!(started.elapsed() < Duration::from_millis(2500), "{:?}", started.elapsed());
    assert!(!body["detail"].as_str().unwrap().contains("127.0.0.1"), "{body}");
    // A quick answer on the same route still passes.
    assert_eq!(app.get_authed("/api/echo", &token).await.status(), 200);
}

/// Peak resident memory of a process (`VmHWM`), in bytes.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

/// The real binary streams 1 GiB up and 1 GiB down (with and without a length) through the
/// proxy with its peak memory staying small: no body is held.
#[tokio::test]
async fn a_gigabyte_streams_both_ways_with_bounded_memory() {
    const GIB: u64 = 1024 * 1024 * 1024;
    const LIMIT: u64 = 150 * 1024 * 1024;
    let upstream = Upstream::start().await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let server = Process(
        server_command(port)
            .env("PROXY_ROUTES", format!("/api={}", upstream.url()))
            .env("ARGON2_MEMORY_KIB", "1024")
            .env("ARGON2_ITERATIONS", "1")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_until_up(&format!("{base}/health")).await;
    let client = reqwest::Client::new();
    let credentials = json!({ "email": unique_email(), "password": PASSWORD });
    assert_eq!(client.post(format!("{base}/v1/auth/register")).json(&credentials).send().await.unwrap().status(), 201);
    let login: Value =
        client.post(format!("{base}/v1/auth/login")).json(&credentials).send().await.unwrap().json().await.unwrap();
    let token = login["access_token"].as_str().unwrap().to_owned();
    let pid = server.0.id();
    let before = peak_rss(pid);

    // Up: 1 GiB in 1 MiB chunks, chunked (no length known in advance).
    static CHUNK: [u8; 1024 * 1024] = [7; 1024 * 1024];
    let chunks = futures_util::stream::iter((0..1024).map(|_| Ok::<_, std::io::Error>(Bytes::from_static(&CHUNK))));
    let res = client
        .post(format!("{base}/api/upload"))
        .bearer_auth(&token)
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let echo: Value = res.json().await.unwrap();
    assert_eq!(echo["received"].as_u64(), Some(GIB), "{echo}");
    assert_eq!(echo["transfer_encoding"], "chunked");

    // Down: with a length, then chunked.
    for path in ["download", "chunked-download"] {
        let res = client.get(format!("{base}/api/{path}?bytes={GIB}")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let length = res.headers().get("content-length").map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(length, (path == "download").then(|| GIB.to_string()), "{path}");
        let mut body = res.bytes_stream();
        let mut total = 0u64;
        while let Some(chunk) = body.next().await {
            total += chunk.unwrap().len() as u64;
        }
        assert_eq!(total, GIB, "{path}");
    }
    let peak = peak_rss(pid);
    assert!(peak < LIMIT, "the proxy's peak RSS was {} MiB (before: {} MiB)", peak >> 20, before >> 20);
    println!("proxy peak RSS: {} MiB before the transfers, {} MiB after 3 GiB", before >> 20, peak >> 20);
}
