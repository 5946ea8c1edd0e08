#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, captured_logs, spawn_app, unique_email};

both_backends!(
    no_password_hash_or_token_is_ever_logged,
    every_request_has_one_access_line_and_client_errors_are_not_warnings,
    the_request_id_is_the_clients_when_it_is_plausible,
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
    let verification = match app.mails_to(&email).first() {
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
