#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, PASSWORD, assert_problem, spawn_app, spawn_app_with, unique_email};

both_backends!(
    malformed_json_is_400,
    missing_unknown_and_mistyped_fields_are_422_naming_the_field,
    invalid_values_are_422_with_every_field,
    weak_passwords_are_422,
    oversized_bodies_are_413,
    wrong_content_type_is_415,
    failed_registrations_leave_nothing_behind,
    unknown_routes_are_problem_404,
);

async fn malformed_json_is_400(backend: Backend) {
    let app = spawn_app(backend).await;
    for body in ["{", "{\"email\": ", "not json at all", "", "{\"email\":\"a@b.co\",\"password\":\"x\"} trailing"] {
        let res = app
            .client
            .post(app.url("/v1/auth/register"))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_problem(res, 400, "malformed_body").await;
    }
}

async fn missing_unknown_and_mistyped_fields_are_422_naming_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let cases = [
        (json!({ "password": PASSWORD }), "email", "required"),
        (json!({ "email": unique_email() }), "password", "required"),
        (json!({ "email": 42, "password": PASSWORD }), "email", "invalid_type"),
        (json!({ "email": unique_email(), "password": PASSWORD, "role": "admin" }), "role", "unknown_field"),
        (
            json!({ "email": unique_email(), "password": PASSWORD, "email_verified": true }),
            "email_verified",
            "unknown_field",
        ),
    ];
    for (body, field, code) in cases {
        let problem = assert_problem(app.post_json("/v1/auth/register", &body).await, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], field, "{body} → {problem}");
        assert_eq!(problem["errors"][0]["code"], code, "{body} → {problem}");
    }
    let problem = assert_problem(
        app.post_json("/v1/auth/login", &json!({ "email": unique_email() })).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "password");
    let problem = assert_problem(
        app.post_json("/v1/auth/login", &json!({ "password": PASSWORD })).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "email");
}

async fn invalid_values_are_422_with_every_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let problem = assert_problem(
        app.post_json("/v1/auth/register", &json!({ "email": "not-an-email", "password": "short", "username": "x" }))
            .await,
        422,
        "validation_failed",
    )
    .await;
    let fields: Vec<(&str, &str)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(fields, vec![("email", "invalid_email"), ("password", "too_short"), ("username", "invalid_length")]);
    for e in problem["errors"].as_array().unwrap() {
        assert!(!e["message"].as_str().unwrap().is_empty());
    }
}

async fn weak_passwords_are_422(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email();
    let local = email.split('@').next().unwrap().to_owned();
    for (password, code) in [
        ("password1", "common_password"),
        ("Iloveyou1", "common_password"),
        ("1234567", "too_short"),
        (&"x".repeat(129) as &str, "too_long"),
        (&format!("{local}-secret") as &str, "contains_email"),
    ] {
        let problem = assert_problem(app.register(&email, password).await, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], "password");
        assert_eq!(problem["errors"][0]["code"], code, "{password}");
    }
    // The strict policy of the gateway design, by configuration.
    let strict = spawn_app_with(backend, &[("PASSWORD_POLICY", "strict")]).await;
    let problem =
        assert_problem(strict.register(&unique_email(), "all lower case words").await, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "missing_uppercase");
    assert_eq!(strict.register(&unique_email(), "Sturdy-Otter-42").await.status(), 201);
}

async fn oversized_bodies_are_413(backend: Backend) {
    let app = spawn_app(backend).await;
    // 10 MB, declared up front.
    let huge = format!("{{\"email\":\"{}\",\"password\":\"{}\"}}", unique_email(), "x".repeat(10 * 1024 * 1024));
    let res = app
        .client
        .post(app.url("/v1/auth/register"))
        .header("Content-Type", "application/json")
        .body(huge)
        .send()
        .await;
    match res {
        Ok(res) => {
            assert_problem(res, 413, "payload_too_large").await;
        }
        // The server may answer and close before the client finished sending 10 MB.
        Err(e) => assert!(e.is_request() || e.is_body(), "{e}"),
    }
    // Streamed without a length: cut off at the limit while reading.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..100).map(|_| Ok(vec![b' '; 1024])).collect();
    let stream = futures_util::stream::iter(chunks);
    let res = app
        .client
        .post(app.url("/v1/auth/login"))
        .header("Content-Type", "application/json")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_problem(res, 413, "payload_too_large").await;
}

async fn wrong_content_type_is_415(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json!({ "email": unique_email(), "password": PASSWORD }).to_string();
    for content_type in [None, Some("text/plain"), Some("application/x-www-form-urlencoded")] {
        let mut req = app.client.post(app.url("/v1/auth/register")).body(body.clone());
        if let Some(ct) = content_type {
            req = req.header("Content-Type", ct);
        }
        assert_problem(req.send().await.unwrap(), 415, "unsupported_media_type").await;
    }
    let res = app
        .client
        .post(app.url("/v1/auth/register"))
        .header("Content-Type", "application/json; charset=utf-8")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
}

async fn failed_registrations_leave_nothing_behind(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 201);
    assert_eq!(app.register(&email, PASSWORD).await.status(), 409);
    assert_eq!(app.register(&unique_email(), "short").await.status(), 422);
    if backend == Backend::Postgres {
        let mut db = crate::helpers::Db::connect(app.database_url.as_deref().unwrap()).await;
        assert_eq!(db.count("users").await, 1);
        assert_eq!(db.count("user_profiles").await, 1);
        assert_eq!(db.count("user_roles").await, 1);
        assert_eq!(db.count("outbox WHERE type = 'user.registered'").await, 1);
    }
}

async fn unknown_routes_are_problem_404(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app.client.get(app.url("/v1/nothing-here")).send().await.unwrap();
    let body: Value = assert_problem(res, 404, "not_found").await;
    assert!(body.get("errors").is_none());
    // A known path with a method it does not have: 405 with the methods it does have.
    let id = uuid::Uuid::now_v7();
    for (method, path, allow) in [
        (reqwest::Method::DELETE, "/v1/auth/login".to_owned(), "POST"),
        (reqwest::Method::PUT, format!("/v1/admin/users/{id}"), "DELETE, GET, PATCH"),
        (reqwest::Method::POST, "/v1/admin/settings/ai".to_owned(), "GET, PATCH"),
    ] {
        let res = app.client.request(method.clone(), app.url(&path)).send().await.unwrap();
        assert_eq!(res.headers()["allow"], allow, "{method} {path}");
        assert_problem(res, 405, "method_not_allowed").await;
    }
    let res = app.client.get(app.url(&format!("/v1/admin/users/{id}/nothing"))).send().await.unwrap();
    assert_problem(res, 404, "not_found").await;
}
