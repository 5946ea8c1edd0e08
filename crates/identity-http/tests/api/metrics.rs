#![allow(clippy::unwrap_used, clippy::expect_used)]

//! `GET /metrics`: every named series appears after the requests that feed it, and route
//! labels stay bounded however many paths clients make up. One recorder serves the whole
//! test process, so tests look for series and lower bounds, never exact totals.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, PASSWORD, TestApp, spawn_app, spawn_app_with, unique_email};

both_backends!(every_named_series_appears_after_its_requests);

/// The samples of `name` in a Prometheus text exposition: (labels, value).
fn samples(text: &str, name: &str) -> Vec<(BTreeMap<String, String>, f64)> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, labels) = match series.split_once('{') {
                Some((metric, rest)) => (metric, rest.strip_suffix('}')?),
                None => (series, ""),
            };
            if metric != name {
                return None;
            }
            let labels = labels
                .split("\",")
                .filter(|pair| !pair.is_empty())
                .filter_map(|pair| {
                    let (k, v) = pair.split_once('=')?;
                    Some((k.to_owned(), v.trim_matches('"').to_owned()))
                })
                .collect();
            Some((labels, value.parse().ok()?))
        })
        .collect()
}

/// The largest value of `name` among samples carrying every label of `with`.
fn value(text: &str, name: &str, with: &[(&str, &str)]) -> Option<f64> {
    samples(text, name)
        .into_iter()
        .filter(|(labels, _)| with.iter().all(|(k, v)| labels.get(*k).map(String::as_str) == Some(*v)))
        .map(|(_, v)| v)
        .reduce(f64::max)
}

async fn scrape(app: &TestApp) -> String {
    let res = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    res.text().await.unwrap()
}

async fn every_named_series_appears_after_its_requests(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 201);
    let login: Value = app.login_ok(&email, PASSWORD).await;
    assert_eq!(app.login(&email, "not the password").await.status(), 401);
    assert_eq!(app.password_grant(&email, "not the password").await.status(), 400);
    let refresh = login["refresh_token"].as_str().unwrap();
    assert_eq!(app.refresh(refresh).await.status(), 200);
    let limited = spawn_app_with(backend, &[("RATE_LIMIT_AUTH_PER_MINUTE", "1")]).await;
    for _ in 0..2 {
        let _ = limited.post_json("/v1/auth/password/forgot", &json!({ "email": unique_email() })).await;
    }

    let text = scrape(&app).await;
    let login_2xx = [("method", "POST"), ("route", "/v1/auth/login"), ("status", "2xx")];
    assert!(value(&text, "identity_http_requests_total", &login_2xx).unwrap() >= 1.0, "{text}");
    assert!(value(&text, "identity_http_request_duration_seconds_count", &login_2xx).unwrap() >= 1.0);
    assert!(value(&text, "identity_http_request_duration_seconds_bucket", &[("le", "+Inf")]).is_some());
    for (flow, result) in [
        ("login", "ok"),
        ("login", "invalid_credentials"),
        ("token", "invalid_grant"),
        ("refresh", "ok"),
        ("registration", "ok"),
    ] {
        let found = value(&text, "identity_auth_outcomes_total", &[("flow", flow), ("result", result)]);
        assert!(found.unwrap_or(0.0) >= 1.0, "{flow} {result}");
    }
    let refused = [("bucket", "auth"), ("route", "/v1/auth/password/forgot")];
    assert!(value(&text, "identity_rate_limited_total", &refused).unwrap_or(0.0) >= 1.0);
    assert!(value(&text, "identity_password_hash_duration_seconds_count", &[]).unwrap() >= 3.0);
    assert!(value(&text, "identity_password_hash_queue_wait_seconds_count", &[]).unwrap() >= 3.0);
    assert_eq!(value(&text, "identity_outbox_parked", &[]), Some(0.0));
    assert!(value(&text, "identity_outbox_backlog", &[]).is_some());
    assert!(value(&text, "identity_outbox_oldest_unpublished_age_seconds", &[]).is_some());
    if backend == Backend::Postgres {
        for pool in ["postgres", "redis"] {
            let max = value(&text, "identity_pool_connections", &[("pool", pool), ("state", "max")]);
            assert!(max.unwrap_or(0.0) >= 1.0, "{pool}");
            assert!(value(&text, "identity_pool_connections", &[("pool", pool), ("state", "in_use")]).is_some());
        }
    }
    for process in ["process_resident_memory_bytes", "process_open_fds", "process_cpu_seconds_total"] {
        assert!(value(&text, process, &[]).unwrap() > 0.0, "{process}");
    }
    assert!(value(&text, "process_start_time_seconds", &[]).unwrap() > 1.7e9);
    // No label carries an address, a token or a raw path.
    assert!(!text.contains(&email) && !text.contains(refresh));
}

/// Hashing saturated: the shed requests are counted.
#[tokio::test]
async fn shed_requests_are_counted() {
    let app = spawn_app_with(
        Backend::Memory,
        &[
            ("ARGON2_MEMORY_KIB", "19456"),
            ("ARGON2_ITERATIONS", "2"),
            ("HASH_CONCURRENCY", "1"),
            ("HASH_QUEUE_TIMEOUT_MS", "1"),
            ("LOGIN_BACKOFF_AFTER", "0"),
        ],
    )
    .await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 201);
    let flood = (0..8).map(|_| app.login(&email, PASSWORD));
    let statuses: Vec<u16> = futures_util::future::join_all(flood).await.iter().map(|r| r.status().as_u16()).collect();
    assert!(statuses.contains(&503), "{statuses:?}");
    let text = scrape(&app).await;
    let shed = value(&text, "identity_load_shed_total", &[("reason", "password_hash_queue")]);
    assert!(shed.unwrap_or(0.0) >= 1.0, "{text}");
    let login_5xx = [("route", "/v1/auth/login"), ("status", "5xx")];
    assert!(value(&text, "identity_http_requests_total", &login_5xx).unwrap_or(0.0) >= 1.0);
}

/// 1,000 made-up paths add one `unmatched` route label, not 1,000.
#[tokio::test]
async fn route_labels_stay_bounded_after_random_paths() {
    let app = spawn_app(Backend::Memory).await;
    let mut made_up = Vec::new();
    for i in 0..1000 {
        let segment = uuid::Uuid::now_v7().simple().to_string();
        let path = match i % 4 {
            0 => format!("/{segment}"),
            1 => format!("/v1/{segment}/x?q={segment}"),
            2 => format!("/v1/admin/users/{segment}/nothing"),
            _ => format!("/v1/sessions/{segment}/{segment}"),
        };
        let res = app.client.get(app.url(&path)).send().await.unwrap();
        assert!(res.status().is_client_error(), "{path}: {}", res.status());
        made_up.push(segment);
    }
    let text = scrape(&app).await;
    let routes: BTreeSet<String> = samples(&text, "identity_http_requests_total")
        .into_iter()
        .filter_map(|(labels, _)| labels.get("route").cloned())
        .collect();
    assert!(routes.contains("unmatched"));
    let documented = crate::openapi::documented_paths();
    for route in &routes {
        assert!(route == "unmatched" || documented.contains(route), "{route}");
    }
    assert!(made_up.iter().all(|segment| !text.contains(segment.as_str())));
    assert!(value(&text, "identity_http_requests_total", &[("route", "unmatched")]).unwrap() >= 1000.0);
}

/// With `METRICS_ADDR`, metrics are served on that listener only: the public one answers a
/// problem+json 404 for `/metrics`, and the metrics listener serves nothing else.
#[tokio::test]
async fn metrics_addr_moves_metrics_off_the_public_listener() {
    let app = spawn_app_with(Backend::Memory, &[("METRICS_ADDR", "127.0.0.1:0")]).await;
    assert_eq!(app.client.get(app.url("/health")).send().await.unwrap().status(), 200);
    let public = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(public.status(), 404);
    assert_eq!(public.headers()["content-type"], "application/problem+json");

    let port = app.metrics_port.expect("a metrics listener");
    let private = app.client.get(format!("http://127.0.0.1:{port}/metrics")).send().await.unwrap();
    assert_eq!(private.status(), 200);
    assert!(private.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let body = private.text().await.unwrap();
    assert!(body.contains("identity_http_requests_total"), "{body}");
    let other = app.client.get(format!("http://127.0.0.1:{port}/v1/auth/me")).send().await.unwrap();
    assert_eq!(other.status(), 404);
}
