//! Authorization and token/session lifetime rules: authenticated routes authenticate (and
//! admin routes authorize) before reading their input, and admin refusals are audited; access
//! tokens with impossible times are refused; idle sessions end.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use identity_core::ports::TokenIssuer;
use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, assert_problem, spawn_app_with, spawn_app_with_admin, spawn_app_with_clock};

both_backends!(
    admin_refusals_are_audited_once_a_minute_per_route,
    admin_routes_authorize_before_reading_their_input,
    every_authenticated_operation_authenticates_before_reading_its_input,
    access_tokens_with_impossible_times_are_refused,
    idle_sessions_end,
);

async fn send(app: &TestApp, method: Method, path: &str, token: Option<&str>, body: Option<&str>) -> reqwest::Response {
    let mut req = app.client.request(method, app.url(path));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    if let Some(body) = body {
        req = req.header("content-type", "application/json").body(body.to_owned());
    }
    req.send().await.unwrap()
}

async fn admin_refusals_are_audited_once_a_minute_per_route(backend: Backend) {
    let (app, admin) = spawn_app_with_admin(backend).await;
    let (_, login) = app.signed_in().await;
    let user = login["access_token"].as_str().unwrap();
    let user_id = login["user"]["id"].as_str().unwrap();
    let target = uuid::Uuid::now_v7();

    assert_problem(app.get_authed("/v1/admin/users", user).await, 403, "forbidden").await;
    // The same refusal again within the minute: answered the same, not written again.
    assert_problem(app.get_authed("/v1/admin/users", user).await, 403, "forbidden").await;
    let path = format!("/v1/admin/users/{target}");
    let patch = send(&app, Method::PATCH, &path, Some(user), Some(r#"{"roles":[]}"#));
    assert_problem(patch.await, 403, "forbidden").await;
    // Callers without a valid token are not authorized against anything: 401, nothing audited.
    assert_problem(app.client.get(app.url("/v1/admin/users")).send().await.unwrap(), 401, "unauthenticated").await;

    let page: Value =
        app.get_authed("/v1/admin/audit-logs?action=authorization.denied", &admin).await.json().await.unwrap();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{page}");
    let routes: Vec<(&str, &str)> = items
        .iter()
        .map(|e| (e["metadata"]["method"].as_str().unwrap(), e["metadata"]["route"].as_str().unwrap()))
        .collect();
    assert_eq!(routes, vec![("PATCH", "/v1/admin/users/{id}"), ("GET", "/v1/admin/users")]);
    for entry in items {
        assert_eq!(entry["actor_id"], user_id, "{entry}");
        assert_eq!(entry["subject_id"], user_id, "{entry}");
        assert_eq!(entry["ip"], "127.0.0.1");
        // The route template only: no ids from the path, no body.
        let metadata = entry["metadata"].to_string();
        assert!(!metadata.contains(&target.to_string()) && !metadata.contains("roles"), "{metadata}");
        assert_eq!(entry["metadata"]["refusal"], "forbidden", "{metadata}");
        assert_eq!(entry["metadata"].as_object().unwrap().len(), 3, "{metadata}");
    }
    // The admin's own requests are not refusals.
    let mine: Value = app
        .get_authed(&format!("/v1/admin/audit-logs?action=authorization.denied&actor_id={user_id}"), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 2);
}

async fn admin_routes_authorize_before_reading_their_input(backend: Backend) {
    let (app, admin) = spawn_app_with_admin(backend).await;
    let (_, user) = app.signed_in_user().await;
    let id = uuid::Uuid::now_v7();
    let cases: Vec<(Method, String, Option<&str>)> = vec![
        (Method::POST, "/v1/admin/users".into(), Some("{}")),
        (Method::POST, "/v1/admin/users".into(), Some(r#"{"bogus":1}"#)),
        (Method::POST, "/v1/admin/users".into(), Some("not json")),
        (Method::POST, "/v1/admin/groups".into(), Some("{}")),
        (Method::POST, "/v1/admin/groups".into(), Some(r#"{"bogus":1}"#)),
        (Method::PATCH, format!("/v1/admin/users/{id}"), Some(r#"{"bogus":1}"#)),
        (Method::PATCH, format!("/v1/admin/groups/{id}"), Some(r#"{"bogus":1}"#)),
        (Method::PATCH, "/v1/admin/settings/ai".into(), Some(r#"{"bogus":1}"#)),
        (Method::GET, "/v1/admin/users?limit=abc".into(), None),
        (Method::GET, "/v1/admin/audit-logs?since=yesterday".into(), None),
        (Method::GET, "/v1/admin/users/not-a-uuid".into(), None),
    ];
    for (method, path, body) in &cases {
        let res = send(&app, method.clone(), path, Some(&user), *body).await;
        let problem = assert_problem(res, 403, "forbidden").await;
        assert!(problem.get("errors").is_none(), "{method} {path}: {problem}");
        let res = send(&app, method.clone(), path, None, *body).await;
        assert_problem(res, 401, "unauthenticated").await;
    }
    // A body without a content type: still the caller first.
    let res = app.client.post(app.url("/v1/admin/users")).bearer_auth(&user).body("{}").send().await.unwrap();
    assert_problem(res, 403, "forbidden").await;
    // With an Idempotency-Key too.
    let res = app
        .client
        .post(app.url("/v1/admin/users"))
        .bearer_auth(&user)
        .header("idempotency-key", "k1")
        .json(&json!({ "bogus": 1 }))
        .send()
        .await
        .unwrap();
    assert_problem(res, 403, "forbidden").await;

    // For an admin, the same requests reach validation.
    for (method, path, body) in &cases[..2] {
        let res = send(&app, method.clone(), path, Some(&admin), *body).await;
        assert_problem(res, 422, "validation_failed").await;
    }
    let res = send(&app, Method::GET, "/v1/admin/users?limit=abc", Some(&admin), None).await;
    assert_problem(res, 422, "validation_failed").await;
}

/// Every operation of the served OpenAPI document with a security requirement, sent a bad
/// body, a bad query and path ids of the wrong shape: without a token, with a signed-out
/// token (as a bearer and as the cookie, on unsafe methods without an `Origin`) the answer is
/// 401 `unauthenticated`; an admin operation called by a plain user answers 403 `forbidden`.
/// Never the input's 400/404/415/422 first (issue 25), so a new route cannot forget the gate.
async fn every_authenticated_operation_authenticates_before_reading_its_input(backend: Backend) {
    let app = spawn_app_with(backend, &[]).await;
    let (_, user) = app.signed_in_user().await;
    let (_, signed_out) = app.signed_in_user().await;
    assert_eq!(app.post_authed("/v1/auth/logout", &signed_out, None).await.status(), 204);
    let doc = app.get_json("/openapi.json").await;
    let cookie = format!("identity_access={signed_out}");
    let bodies: [(Option<&str>, &str); 3] =
        [(Some("application/json"), r#"{"bogus":1}"#), (Some("application/json"), "not json"), (None, "{}")];
    let (mut checked, mut wrong) = (0, Vec::new());
    for (template, item) in doc["paths"].as_object().unwrap() {
        // Path parameters get values of the wrong shape too.
        let path: String =
            template.split('/').map(|s| if s.starts_with('{') { "x" } else { s }).collect::<Vec<_>>().join("/");
        let path = format!("{path}?limit=abc&since=yesterday&cursor=%00&bogus=1");
        let methods = ["get", "put", "post", "delete", "patch"];
        for (method, operation) in item.as_object().unwrap().iter().filter(|(m, _)| methods.contains(&m.as_str())) {
            let secured = operation["security"].as_array().is_some_and(|s| !s.is_empty());
            assert!(secured || !template.starts_with("/v1/admin/"), "{method} {template} declares no security");
            if !secured {
                continue;
            }
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            for (content_type, body) in bodies {
                let request = || {
                    let req = app.client.request(method.clone(), app.url(&path)).body(body);
                    match content_type {
                        Some(content_type) => req.header("content-type", content_type),
                        None => req,
                    }
                };
                let mut expected = vec![
                    (401, "unauthenticated", "no token", request()),
                    (401, "unauthenticated", "a signed-out bearer token", request().bearer_auth(&signed_out)),
                    (401, "unauthenticated", "a signed-out cookie", request().header("cookie", &cookie)),
                ];
                if template.starts_with("/v1/admin/") {
                    expected.push((403, "forbidden", "a user's token", request().bearer_auth(&user)));
                }
                for (status, code, caller, req) in expected {
                    let res = req.send().await.unwrap();
                    let seen = res.status().as_u16();
                    let problem: Value = res.json().await.unwrap();
                    if (seen, problem["code"].as_str()) != (status, Some(code)) {
                        wrong.push(format!(
                            "{method} {template} with {caller}, body {body:?}: {seen} {}",
                            problem["code"]
                        ));
                    }
                }
            }
            checked += 1;
        }
    }
    assert!(wrong.is_empty(), "input read before the caller: {wrong:#?}");
    assert!(checked >= 45, "only {checked} authenticated operations");
}

async fn access_tokens_with_impossible_times_are_refused(backend: Backend) {
    let keys = identity_crypto::PasetoKeys::generate().unwrap();
    let secret = keys.secret_paserk();
    let app = spawn_app_with(backend, &[("PASETO_SECRET_KEY", &secret), ("ACCESS_TOKEN_TTL_SECONDS", "600")]).await;
    let tokens = identity_crypto::PasetoTokens::new(keys, "identity", "identity");
    let (_, login) = app.signed_in().await;
    let issued = tokens.verify(login["access_token"].as_str().unwrap()).unwrap();
    let now = chrono::Utc::now();
    let minutes = chrono::Duration::minutes;
    let sign = |iat, nbf, exp| {
        let mut claims = issued.clone();
        (claims.iat, claims.nbf, claims.exp, claims.jti) = (iat, nbf, exp, uuid::Uuid::now_v7());
        tokens.issue(&claims).unwrap()
    };

    // The service's own tokens, and ones like them, pass.
    assert_eq!(app.me_with_bearer(login["access_token"].as_str().unwrap()).await.status(), 200);
    assert_eq!(app.me_with_bearer(&sign(now, now, now + minutes(10))).await.status(), 200);
    assert_eq!(app.me_with_bearer(&sign(now - minutes(9), now - minutes(9), now + minutes(1))).await.status(), 200);
    // Issued a little ahead (another replica's clock): tolerated.
    let ahead = now + chrono::Duration::seconds(30);
    assert_eq!(app.me_with_bearer(&sign(ahead, now, ahead + minutes(10))).await.status(), 200);

    // Issued in the future, though already valid.
    let future = sign(now + minutes(30), now - minutes(1), now + minutes(35));
    assert_problem(app.me_with_bearer(&future).await, 401, "unauthenticated").await;
    // Living twice as long as the service issues them.
    let long = sign(now - minutes(1), now - minutes(1), now + minutes(19));
    assert_problem(app.me_with_bearer(&long).await, 401, "unauthenticated").await;
    assert_problem(app.get_authed("/v1/sessions", &long).await, 401, "unauthenticated").await;
    // One second too long.
    let longer = sign(now, now, now + minutes(10) + chrono::Duration::seconds(1));
    assert_problem(app.me_with_bearer(&longer).await, 401, "unauthenticated").await;
}

async fn idle_sessions_end(backend: Backend) {
    let overrides = [("ACCESS_TOKEN_TTL_SECONDS", "60"), ("SESSION_IDLE_TIMEOUT_SECONDS", "120")];
    let (app, clock) = spawn_app_with_clock(backend, &overrides).await;
    let (email, login) = app.signed_in().await;
    let first_session = login["session"]["id"].as_str().unwrap().to_owned();
    let refresh_token = |body: &Value| body["refresh_token"].as_str().unwrap().to_owned();

    // Used within the timeout, a session lives on: each refresh renews it.
    clock.elapse(std::time::Duration::from_secs(100)).await;
    let res = app.refresh(&refresh_token(&login)).await;
    assert_eq!(res.status(), 200);
    let refreshed: Value = res.json().await.unwrap();
    clock.elapse(std::time::Duration::from_secs(100)).await;
    let res = app.refresh(&refresh_token(&refreshed)).await;
    assert_eq!(res.status(), 200, "200 s after login, 100 s after the last refresh");
    let refreshed: Value = res.json().await.unwrap();
    let access = refreshed["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.me_with_bearer(&access).await.status(), 200);

    // A second session that is never used after login.
    let second = app.login_ok(&email, crate::helpers::PASSWORD).await;
    let second_session = second["session"]["id"].as_str().unwrap().to_owned();

    // Unused for longer than the timeout: refresh fails as for any invalid token, and the
    // session is gone from the live list and from /me.
    clock.elapse(std::time::Duration::from_secs(121)).await;
    assert_problem(app.refresh(&refresh_token(&refreshed)).await, 401, "invalid_refresh_token").await;
    assert_problem(app.refresh(&refresh_token(&second)).await, 401, "invalid_refresh_token").await;
    assert_problem(app.me_with_bearer(&access).await, 401, "unauthenticated").await;
    let third = app.login_ok(&email, crate::helpers::PASSWORD).await;
    let token = third["access_token"].as_str().unwrap();
    let live: Value = app.get_authed("/v1/sessions", token).await.json().await.unwrap();
    let ids: Vec<&str> = live["items"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![third["session"]["id"].as_str().unwrap()], "{live}");
    assert_eq!(app.me_with_bearer(token).await.status(), 200);

    // The refused refreshes ended their sessions, each with a `session.revoked` entry.
    let audit: Value = app.get_authed("/v1/users/me/audit?limit=100", token).await.json().await.unwrap();
    let mut ended: Vec<String> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "session.revoked" && e["metadata"]["reason"] == "idle_timeout")
        .flat_map(|e| e["metadata"]["sessions"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()))
        .collect();
    ended.sort();
    let mut expected = vec![first_session, second_session];
    expected.sort();
    assert_eq!(ended, expected, "{audit}");
    if backend == Backend::Postgres {
        let mut db = crate::helpers::Db::connect(app.database_url.as_deref().unwrap()).await;
        for session in &expected {
            let events = db.outbox_for(session.parse().unwrap()).await;
            let revoked: Vec<&Value> =
                events.iter().filter(|e| e.event_type == "session.revoked").map(|e| &e.payload).collect();
            assert_eq!(revoked.len(), 1, "{events:?}");
            assert_eq!(revoked[0]["reason"], "idle_timeout");
        }
        let reasons = format!("sessions WHERE revoked_reason = 'idle_timeout' AND id IN ('{}')", expected.join("', '"));
        assert_eq!(db.count(&reasons).await, 2);
    }
}
