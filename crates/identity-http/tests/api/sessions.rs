#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{
    Backend, PASSWORD, assert_problem, eventually, set_cookie, spawn_app, spawn_app_with_clock, unique_email,
};

both_backends!(
    refresh_rotates_and_old_tokens_replay_the_same_successor,
    refresh_from_the_cookie_and_token_grant,
    parallel_refreshes_never_fork_the_session,
    reuse_after_the_grace_window_revokes_the_session,
    logout_ends_the_session_and_clears_cookies,
    logout_all_ends_every_session,
    sessions_are_listed_and_revoked_only_by_their_owner,
    devices_group_sessions_and_can_be_renamed_and_removed,
);

fn str_of(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_else(|| panic!("{key} in {v}")).to_owned()
}

async fn refresh_rotates_and_old_tokens_replay_the_same_successor(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, login) = app.signed_in().await;
    let first = str_of(&login, "refresh_token");

    let res = app.refresh(&first).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let rotated: Value = res.json().await.unwrap();
    let second = str_of(&rotated, "refresh_token");
    assert_ne!(second, first);
    assert_eq!(rotated["session"]["id"], login["session"]["id"]);
    assert_eq!(app.me_with_bearer(&str_of(&rotated, "access_token")).await.status(), 200);

    // A retry of the same request (within the grace window) gets the same successor.
    let replay: Value = app.refresh(&first).await.json().await.unwrap();
    assert_eq!(str_of(&replay, "refresh_token"), second);
    // The chain goes on from the successor.
    let third: Value = app.refresh(&second).await.json().await.unwrap();
    assert_ne!(str_of(&third, "refresh_token"), second);
    // A replay of the first token now leads to the live end of the chain.
    let again: Value = app.refresh(&first).await.json().await.unwrap();
    assert_eq!(str_of(&again, "refresh_token"), str_of(&third, "refresh_token"));

    for bad in ["", "not-a-token", &"x".repeat(43)] {
        assert_problem(app.refresh(bad).await, 401, "invalid_refresh_token").await;
    }
    assert_problem(app.post_json("/v1/auth/refresh", &json!({})).await, 401, "invalid_refresh_token").await;
}

async fn refresh_from_the_cookie_and_token_grant(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 201);
    let res = app.login(&email, PASSWORD).await;
    let cookie = set_cookie(&res, "identity_refresh").unwrap();
    let pair = cookie.split(';').next().unwrap().to_owned();
    // A cookie-carried refresh must come from our own (or an allowed) origin.
    let csrf = app.client.post(app.url("/v1/auth/refresh")).header("Cookie", &pair).send().await.unwrap();
    assert_problem(csrf, 403, "csrf_rejected").await;
    let evil = app
        .client
        .post(app.url("/v1/auth/refresh"))
        .header("Cookie", &pair)
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_problem(evil, 403, "csrf_rejected").await;
    let res = app
        .client
        .post(app.url("/v1/auth/refresh"))
        .header("Cookie", &pair)
        .header("Origin", app.address.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let new_cookie = set_cookie(&res, "identity_refresh").unwrap();
    assert_ne!(new_cookie.split(';').next().unwrap(), pair);

    // The OAuth2 token endpoint: password grant, then refresh grant.
    let res = app.password_grant(&email, PASSWORD).await;
    assert_eq!(res.status(), 200);
    let token: Value = res.json().await.unwrap();
    // The same token type as the login's (RFC 6750 spelling).
    assert_eq!(token["token_type"], "Bearer");
    assert!(token["expires_in"].as_i64().unwrap() > 0);
    assert_eq!(app.me_with_bearer(&str_of(&token, "access_token")).await.status(), 200);
    let res = app
        .client
        .post(app.url("/v1/auth/token"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", &str_of(&token, "refresh_token"))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let wrong = app.password_grant(&email, "wrong password!").await;
    assert_eq!(wrong.status(), 400);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant", "{body}");
    let unsupported =
        app.client.post(app.url("/v1/auth/token")).form(&[("grant_type", "implicit")]).send().await.unwrap();
    assert_eq!(unsupported.json::<Value>().await.unwrap()["error"], "unsupported_grant_type");
    // Every refusal is an RFC 6749 error, the form's own problems included.
    let json_body = app.post_json("/v1/auth/token", &json!({ "grant_type": "password" })).await;
    assert_eq!(json_body.status(), 400);
    assert_eq!(json_body.headers()["cache-control"], "no-store");
    assert_eq!(json_body.json::<Value>().await.unwrap()["error"], "invalid_request");
}

async fn parallel_refreshes_never_fork_the_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, login) = app.signed_in().await;
    let token = str_of(&login, "refresh_token");
    let requests = (0..8).map(|_| app.refresh(&token));
    let answers = futures_util::future::join_all(requests).await;
    let mut successors = Vec::new();
    for res in answers {
        assert_eq!(res.status(), 200, "every racing tab stays signed in");
        successors.push(str_of(&res.json::<Value>().await.unwrap(), "refresh_token"));
    }
    successors.dedup();
    assert_eq!(successors.len(), 1, "one successor for all: {successors:?}");
    assert_eq!(app.refresh(&successors[0]).await.status(), 200);
}

async fn reuse_after_the_grace_window_revokes_the_session(backend: Backend) {
    let (app, clock) = spawn_app_with_clock(backend, &[("REFRESH_REUSE_GRACE_SECONDS", "1")]).await;
    let mut bus = app.bus.as_ref().map(|b| b.subscribe());
    let (_, login) = app.signed_in().await;
    let first = str_of(&login, "refresh_token");
    let rotated: Value = app.refresh(&first).await.json().await.unwrap();
    let access = str_of(&rotated, "access_token");
    clock.elapse(std::time::Duration::from_millis(1600)).await;

    // A stolen token replayed later: the whole session is revoked.
    assert_problem(app.refresh(&first).await, 401, "refresh_token_reused").await;
    assert_problem(app.refresh(&str_of(&rotated, "refresh_token")).await, 401, "invalid_refresh_token").await;
    assert_problem(app.me_with_bearer(&access).await, 401, "unauthenticated").await;
    let session_id = login["session"]["id"].as_str().unwrap().to_owned();
    match backend {
        Backend::Postgres => {
            let mut db = crate::helpers::Db::connect(app.database_url.as_deref().unwrap()).await;
            let revoked = db.outbox_for(uuid::Uuid::parse_str(&session_id).unwrap()).await;
            let types: Vec<&str> = revoked.iter().map(|e| e.event_type.as_str()).collect();
            assert_eq!(types, vec!["session.created", "session.revoked"]);
            assert_eq!(revoked[1].payload["reason"], "refresh_token_reuse");
        }
        Backend::Memory => {
            let bus = bus.as_mut().unwrap();
            let event = eventually("session.revoked on the bus", std::time::Duration::from_secs(5), async || {
                let event = bus.recv().await.unwrap();
                (event.event_type.as_str() == "session.revoked").then_some(event)
            })
            .await;
            assert_eq!(event.aggregate_id.to_string(), session_id);
            assert_eq!(event.payload["reason"], "refresh_token_reuse");
        }
    }
}

async fn logout_ends_the_session_and_clears_cookies(backend: Backend) {
    let app = spawn_app(backend).await;
    let (email, login) = app.signed_in().await;
    let other = app.login_ok(&email, PASSWORD).await;
    let access = str_of(&login, "access_token");
    let res = app.post_authed("/v1/auth/logout", &access, None).await;
    assert_eq!(res.status(), 204);
    let cleared = set_cookie(&res, "identity_access").unwrap();
    assert!(cleared.starts_with("identity_access=;") && cleared.contains("Max-Age=0"), "{cleared}");
    assert!(set_cookie(&res, "identity_refresh").unwrap().contains("Max-Age=0"));
    // The still-unexpired access token is refused at once, and so is the refresh token.
    assert_problem(app.me_with_bearer(&access).await, 401, "unauthenticated").await;
    assert_problem(app.refresh(&str_of(&login, "refresh_token")).await, 401, "invalid_refresh_token").await;
    assert_problem(app.post_authed("/v1/auth/logout", &access, None).await, 401, "unauthenticated").await;
    // The other session lives on.
    assert_eq!(app.me_with_bearer(&str_of(&other, "access_token")).await.status(), 200);
}

async fn logout_all_ends_every_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let (email, first) = app.signed_in().await;
    let second = app.login_ok(&email, PASSWORD).await;
    assert_eq!(app.post_authed("/v1/auth/logout-all", &str_of(&second, "access_token"), None).await.status(), 204);
    for login in [&first, &second] {
        assert_eq!(app.me_with_bearer(&str_of(login, "access_token")).await.status(), 401);
        assert_eq!(app.refresh(&str_of(login, "refresh_token")).await.status(), 401);
    }
    app.login_ok(&email, PASSWORD).await;
}

async fn sessions_are_listed_and_revoked_only_by_their_owner(backend: Backend) {
    let app = spawn_app(backend).await;
    let (email, first) = app.signed_in().await;
    let second = app.login_ok(&email, PASSWORD).await;
    let third = app.login_ok(&email, PASSWORD).await;
    let token = str_of(&third, "access_token");

    let page: Value = app.get_authed("/v1/sessions", &token).await.json().await.unwrap();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(page["next_cursor"], Value::Null);
    assert_eq!(items[0]["id"], third["session"]["id"], "newest first");
    assert_eq!(items[0]["current"], true);
    assert_eq!(items[1]["current"], false);

    let page: Value = app.get_authed("/v1/sessions?limit=2", &token).await.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let cursor = str_of(&page, "next_cursor");
    let rest: Value =
        app.get_authed(&format!("/v1/sessions?limit=2&cursor={cursor}"), &token).await.json().await.unwrap();
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["items"][0]["id"], first["session"]["id"]);
    assert_eq!(rest["next_cursor"], Value::Null);
    assert_problem(app.get_authed("/v1/sessions?limit=0", &token).await, 422, "validation_failed").await;
    assert_problem(app.get_authed("/v1/sessions?cursor=garbage", &token).await, 422, "validation_failed").await;

    // Another user can neither see nor end these sessions.
    let (_, stranger) = app.signed_in().await;
    let stranger_token = str_of(&stranger, "access_token");
    let theirs: Value = app.get_authed("/v1/sessions", &stranger_token).await.json().await.unwrap();
    assert_eq!(theirs["items"].as_array().unwrap().len(), 1);
    let second_id = second["session"]["id"].as_str().unwrap();
    assert_problem(app.delete_authed(&format!("/v1/sessions/{second_id}"), &stranger_token).await, 404, "not_found")
        .await;
    assert_eq!(app.me_with_bearer(&str_of(&second, "access_token")).await.status(), 200);
    assert_problem(app.delete_authed("/v1/sessions/not-a-uuid", &token).await, 404, "not_found").await;

    assert_eq!(app.delete_authed(&format!("/v1/sessions/{second_id}"), &token).await.status(), 204);
    assert_eq!(app.me_with_bearer(&str_of(&second, "access_token")).await.status(), 401);
    assert_problem(app.delete_authed(&format!("/v1/sessions/{second_id}"), &token).await, 404, "not_found").await;
    let page: Value = app.get_authed("/v1/sessions", &token).await.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
}

async fn devices_group_sessions_and_can_be_renamed_and_removed(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 201);
    let login = |device: Value| {
        let app = &app;
        let email = email.clone();
        async move {
            let res = app
                .post_json("/v1/auth/login", &json!({ "email": email, "password": PASSWORD, "device": device }))
                .await;
            assert_eq!(res.status(), 200);
            res.json::<Value>().await.unwrap()
        }
    };
    let laptop = login(json!({ "name": "Laptop" })).await;
    let device_id = str_of(&laptop["session"], "device_id");
    let again = login(json!({ "id": device_id })).await;
    assert_eq!(str_of(&again["session"], "device_id"), device_id, "the known device is reused");
    let phone = login(json!({})).await;
    let token = str_of(&phone, "access_token");

    let devices: Value = app.get_authed("/v1/devices", &token).await.json().await.unwrap();
    let items = devices["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["id"], device_id.as_str());
    assert_eq!(items[1]["name"], "Laptop");

    let res = app
        .client
        .patch(app.url(&format!("/v1/devices/{device_id}")))
        .bearer_auth(&token)
        .json(&json!({ "name": "Work laptop" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["name"], "Work laptop");
    let empty = app
        .client
        .patch(app.url(&format!("/v1/devices/{device_id}")))
        .bearer_auth(&token)
        .json(&json!({ "name": "  " }))
        .send()
        .await
        .unwrap();
    assert_problem(empty, 422, "validation_failed").await;

    // A stranger's device id is someone else's: 404, and a login with it makes a new device.
    let (stranger_email, stranger) = app.signed_in().await;
    let stranger_token = str_of(&stranger, "access_token");
    assert_problem(app.delete_authed(&format!("/v1/devices/{device_id}"), &stranger_token).await, 404, "not_found")
        .await;
    let res = app
        .post_json(
            "/v1/auth/login",
            &json!({ "email": stranger_email, "password": PASSWORD, "device": { "id": device_id } }),
        )
        .await;
    let theirs: Value = res.json().await.unwrap();
    assert_ne!(str_of(&theirs["session"], "device_id"), device_id);

    // Removing the device ends both of its sessions, not the phone's.
    assert_eq!(app.delete_authed(&format!("/v1/devices/{device_id}"), &token).await.status(), 204);
    assert_eq!(app.me_with_bearer(&str_of(&laptop, "access_token")).await.status(), 401);
    assert_eq!(app.me_with_bearer(&str_of(&again, "access_token")).await.status(), 401);
    assert_eq!(app.me_with_bearer(&token).await.status(), 200);
    let devices: Value = app.get_authed("/v1/devices", &token).await.json().await.unwrap();
    assert_eq!(devices["items"].as_array().unwrap().len(), 1);
}
