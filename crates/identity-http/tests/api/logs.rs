#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use std::io::{Read, Write};

use crate::both_backends;
use crate::helpers::{
    Backend, Process, captured_logs, free_port, server_command, spawn_app, unique_email, wait_until_up,
};

both_backends!(
    no_password_hash_or_token_is_ever_logged,
    every_request_has_one_access_line_and_client_errors_are_not_warnings,
    the_request_id_is_the_clients_when_it_is_plausible,
    malformed_requests_get_an_access_line_not_an_error,
);

/// Runs every flow at debug log level with a unique password, then searches all captured log
/// lines for the password, its hash and the token.
async fn no_password_hash_or_token_is_ever_logged(backend: Backend) {
    let app = spawn_app(backend).await;
    let password = format!("secret-{}-passphrase", uuid::Uuid::now_v7().simple());
    let email = unique_email();
    let res = app.register(&email, &password).await;
    assert_eq!(res.status(), 201);
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let res = app.login(&email, &password).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap().to_owned();
    let refresh_token = body["refresh_token"].as_str().unwrap().to_owned();
    let refreshed: Value = app.refresh(&refresh_token).await.json().await.unwrap();
    let next_refresh = refreshed["refresh_token"].as_str().unwrap().to_owned();
    // The verification mail's token.
    let verification = match app.mails_to(&email).await.first() {
        Some(identity_core::ports::Mail::VerifyEmail { token, .. }) => token.clone(),
        other => panic!("expected a verification mail, got {other:?}"),
    };
    assert_eq!(app.me_with_bearer(&token).await.status(), 200);
    // Failures are logged too: a wrong password and a bad token.
    assert_eq!(app.login(&email, &format!("{password}-wrong")).await.status(), 401);
    assert_eq!(app.me_with_bearer(&format!("{token}x")).await.status(), 401);
    let _ = app.post_json("/v1/auth/register", &json!({ "email": email, "password": password })).await;

    let hash = match backend {
        Backend::Postgres => {
            let mut db = crate::helpers::Db::connect(app.database_url.as_deref().unwrap()).await;
            let id = uuid::Uuid::parse_str(body["user"]["id"].as_str().unwrap()).unwrap();
            Some(db.user(id).await.unwrap().password_hash)
        }
        Backend::Memory => None,
    };

    let logs = captured_logs();
    assert!(logs.contains(&request_id), "request ids are logged, so the capture works");
    assert!(!logs.contains(&password), "the password was logged");
    assert!(!logs.contains(&token), "the access token was logged");
    assert!(!logs.contains(&refresh_token) && !logs.contains(&next_refresh), "a refresh token was logged");
    assert!(!logs.contains(&verification), "a verification token was logged");
    let signature = token.rsplit('.').nth(1).unwrap();
    assert!(!logs.contains(signature), "part of the access token was logged");
    assert!(!logs.contains("$argon2id$"), "a password hash was logged");
    if let Some(hash) = hash {
        let digest = hash.rsplit('$').next().unwrap();
        assert!(!logs.contains(digest), "the password hash was logged");
    }
}

/// The captured log lines of one request, parsed.
fn lines_of(request_id: &str) -> Vec<Value> {
    captured_logs()
        .lines()
        .filter(|line| line.contains(request_id))
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["span"]["request_id"] == request_id)
        .collect()
}

fn access_line(request_id: &str) -> Value {
    let lines: Vec<Value> = lines_of(request_id).into_iter().filter(|l| l["target"] == "access").collect();
    assert_eq!(lines.len(), 1, "one access line per request: {lines:?}");
    lines[0].clone()
}

async fn every_request_has_one_access_line_and_client_errors_are_not_warnings(backend: Backend) {
    let app = spawn_app(backend).await;
    let secret_id = uuid::Uuid::now_v7();
    let cases = [
        ("GET", "/v1/auth/me".to_owned(), 401, "/v1/auth/me"),
        ("DELETE", format!("/v1/sessions/{secret_id}"), 401, "/v1/sessions/{id}"),
        ("GET", format!("/v1/nothing/{secret_id}?token={secret_id}"), 404, "unmatched"),
        ("GET", "/health".to_owned(), 200, "/health"),
    ];
    for (method, path, status, route) in cases {
        let request_id = format!("test-{}", uuid::Uuid::now_v7().simple());
        let res = app
            .client
            .request(method.parse().unwrap(), app.url(&path))
            .header("x-request-id", &request_id)
            .header("authorization", "Bearer v4.public.not-a-token")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{method} {path}");
        let line = access_line(&request_id);
        assert_eq!(line["level"], "INFO", "{line}");
        assert_eq!(line["fields"]["method"], method);
        assert_eq!(line["fields"]["route"], route);
        assert_eq!(line["fields"]["status"], status);
        assert_eq!(line["fields"]["client"], "127.0.0.1");
        assert!(line["fields"]["duration_ms"].as_f64().is_some(), "{line}");
        assert!(!line.to_string().contains(&secret_id.to_string()), "no raw path or query: {line}");
        let levels: Vec<Value> = lines_of(&request_id).iter().map(|l| l["level"].clone()).collect();
        assert!(levels.iter().all(|l| l != "WARN" && l != "ERROR"), "{method} {path}: {levels:?}");
    }
    if backend == Backend::Postgres {
        // A server error is an ERROR line with what caused it.
        let url = app.database_url.clone().unwrap();
        let name = url.rsplit('/').next().unwrap().to_owned();
        let server = format!("{}/postgres", url.rsplit_once('/').unwrap().0);
        let mut db = crate::helpers::Db::connect(&server).await;
        db.execute(&format!("ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS false")).await.unwrap();
        let terminate = format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'");
        db.execute(&terminate).await.unwrap();
        let request_id = format!("test-{}", uuid::Uuid::now_v7().simple());
        let res = app
            .client
            .post(app.url("/v1/auth/password/forgot"))
            .header("x-request-id", &request_id)
            .json(&json!({ "email": unique_email() }))
            .send()
            .await
            .unwrap();
        db.execute(&format!("ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS true")).await.unwrap();
        assert_eq!(res.status(), 503);
        let line = access_line(&request_id);
        assert_eq!(line["level"], "ERROR", "{line}");
        assert_eq!(line["fields"]["status"], 503);
        let cause = line["fields"]["cause"].as_str().unwrap();
        assert!(
            cause.starts_with("service_unavailable: ") && cause.contains("not currently accepting connections"),
            "{cause}"
        );
    }
}

async fn the_request_id_is_the_clients_when_it_is_plausible(backend: Backend) {
    let app = spawn_app(backend).await;
    let mine = format!("checkout-{}:1", uuid::Uuid::now_v7().simple());
    let res = app.client.get(app.url("/health")).header("x-request-id", &mine).send().await.unwrap();
    assert_eq!(res.headers()["x-request-id"], mine.as_str());
    assert_eq!(access_line(&mine)["fields"]["route"], "/health");
    for implausible in ["has space", "quote\"", &"x".repeat(129), ""] {
        let res = app.client.get(app.url("/health")).header("x-request-id", implausible).send().await.unwrap();
        let echoed = res.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_ne!(echoed, implausible);
        assert!(uuid::Uuid::try_parse(&echoed).is_ok(), "a new id instead: {echoed}");
        assert_eq!(access_line(&echoed)["fields"]["status"], 200);
    }
}

/// The server binary on `backend`, logging JSON at `RUST_LOG=info` into a file of its own (no
/// other test's lines): the process, its port and the log file (and the test database).
async fn server_process(
    backend: Backend,
) -> (Process, u16, std::path::PathBuf, Option<identity_postgres::testkit::TestDatabase>) {
    let port = free_port();
    let log = std::env::temp_dir().join(format!("identity-log-{}.jsonl", uuid::Uuid::now_v7().simple()));
    let mut command = server_command(port);
    command
        .env("ARGON2_MEMORY_KIB", "1024")
        .env("ARGON2_ITERATIONS", "1")
        .env("SHUTDOWN_DRAIN_SECONDS", "0")
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::process::Stdio::null());
    let database = match backend {
        Backend::Memory => None,
        Backend::Postgres => Some(identity_postgres::testkit::TestDatabase::create().await),
    };
    if let Some(database) = &database {
        let redis = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
        command.env("DATABASE_URL", database.url()).env("REDIS_URL", redis);
        command.env("REDIS_KEY_PREFIX", format!("identity-test:{}:", uuid::Uuid::now_v7().simple()));
    }
    let process = Process(command.spawn().unwrap());
    wait_until_up(&format!("http://127.0.0.1:{port}/health")).await;
    (process, port, log, database)
}

/// Sends `request` as it is on a connection of its own; the status line of the answer.
fn raw_request(port: u16, request: &[u8]) -> String {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    // The server may answer and close before it read everything: what it answered counts.
    let _ = stream.write_all(request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).lines().next().unwrap_or_default().to_owned()
}

/// Requests whose head does not parse are answered 400 (431: too large) by the HTTP layer
/// before any middleware: each still gets one access line, at INFO like every client error,
/// and nothing is logged at ERROR (issue 25: 205 ERROR lines and no access line in one run).
/// Odd but well-formed heads (bytes that are not UTF-8 in a value, an unparsable
/// `Content-Type` or `Authorization`) reach the handlers and are ordinary answers.
async fn malformed_requests_get_an_access_line_not_an_error(backend: Backend) {
    let (process, port, log, _database) = server_process(backend).await;
    // A head that is still incomplete at the 128 KiB actix-http buffers (all of it read, so the
    // server closes a drained connection and the answer is not lost to a reset).
    let prefix = "GET /health HTTP/1.1\r\nHost: t\r\nX-Big: ";
    let big = format!("{prefix}{}", "a".repeat(128 * 1024 - prefix.len()));
    let malformed: [(&[u8], &str); 7] = [
        (b"POST /v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", "400"),
        (b"POST /v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Length: -2\r\n\r\n{}", "400"),
        (b"GET /health HTTP/1.1\r\nHost: t\r\nX-Odd: a\x01b\r\n\r\n", "400"),
        (b"GET /health HTTP/1.1\r\nHost: t\r\nBad Name: x\r\n\r\n", "400"),
        (b"GET /health HTTP/1.1\r\n\r\n", "400"),
        (b"GET /he\x7fllo HTTP/1.1\r\nHost: t\r\n\r\n", "400"),
        (big.as_bytes(), "431"),
    ];
    for (request, status) in malformed {
        let line = raw_request(port, request);
        assert!(
            line.starts_with(&format!("HTTP/1.1 {status}")),
            "{line:?} for {:?}",
            String::from_utf8_lossy(&request[..40])
        );
    }
    let odd: [(&[u8], &str); 4] = [
        (b"GET /health HTTP/1.1\r\nHost: t\r\nX-Odd: caf\xe9 \xff\r\nConnection: close\r\n\r\n", "200"),
        (
            b"POST /v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json; charset=\"\r\n\
              Content-Length: 2\r\nConnection: close\r\n\r\n{}",
            "415",
        ),
        (
            b"POST /v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/\xffjson\r\n\
              Content-Length: 2\r\nConnection: close\r\n\r\n{}",
            "415",
        ),
        (b"GET /v1/auth/me HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \xff\xfe\r\nConnection: close\r\n\r\n", "401"),
    ];
    for (request, status) in odd {
        let line = raw_request(port, request);
        assert!(line.starts_with(&format!("HTTP/1.1 {status}")), "{line:?} for {:?}", String::from_utf8_lossy(request));
    }

    // The dispatcher logs after the answer went out: wait for the lines, then stop the server.
    let lines = || -> Vec<Value> {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        text.lines().filter_map(|line| serde_json::from_str(line).ok()).collect()
    };
    let unparsed = |lines: &[Value]| -> Vec<Value> {
        lines.iter().filter(|l| l["target"] == "access" && l["fields"]["route"] == "unmatched").cloned().collect()
    };
    for _ in 0..100 {
        if unparsed(&lines()).len() >= malformed.len() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    drop(process);
    let lines = lines();
    let _ = std::fs::remove_file(&log);
    let errors: Vec<&Value> = lines.iter().filter(|l| l["level"] == "ERROR").collect();
    assert!(errors.is_empty(), "nothing failed on the server: {errors:#?}");
    let access = unparsed(&lines);
    let statuses: Vec<u64> = access.iter().map(|l| l["fields"]["status"].as_u64().unwrap()).collect();
    assert_eq!(statuses, [400, 400, 400, 400, 400, 400, 431], "one access line per malformed request: {access:#?}");
    for line in &access {
        assert_eq!((line["level"].as_str(), line["fields"]["method"].as_str()), (Some("INFO"), Some("-")), "{line}");
        let cause = line["fields"]["cause"].as_str().unwrap();
        assert!(cause.starts_with("request parse error: "), "{line}");
    }
    let answered: Vec<(&str, u64)> = lines
        .iter()
        .filter(|l| l["target"] == "access" && l["fields"]["route"] != "unmatched")
        .map(|l| (l["fields"]["route"].as_str().unwrap(), l["fields"]["status"].as_u64().unwrap()))
        .filter(|(route, status)| *route != "/health" || *status != 200)
        .collect();
    assert_eq!(answered, [("/v1/auth/login", 415), ("/v1/auth/login", 415), ("/v1/auth/me", 401)], "{lines:#?}");
    assert!(lines.iter().filter(|l| l["target"] == "access").all(|l| l["level"] == "INFO"), "{lines:#?}");
}
