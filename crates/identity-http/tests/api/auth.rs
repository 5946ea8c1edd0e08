#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, PASSWORD, assert_problem, spawn_app, spawn_app_with_clock, unique_email};

both_backends!(
    register_login_and_me_with_body_header_and_cookie_token,
    login_by_username,
    tampered_forged_and_missing_tokens_are_401,
    wrong_password_and_unknown_email_get_the_same_401,
    duplicate_email_in_any_letter_case_is_409,
    duplicate_username_is_409,
    registration_events_reach_the_outbox,
    expires_in_follows_the_service_clock,
);

async fn register_login_and_me_with_body_header_and_cookie_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email();

    let res = app
        .post_json(
            "/v1/auth/register",
            &json!({ "email": email.to_uppercase(), "password": PASSWORD, "name": "  Ada  " }),
        )
        .await;
    assert_eq!(res.status(), 201);
    let raw = res.text().await.unwrap();
    assert!(!raw.contains("argon2") && !raw.contains("password") && !raw.contains(PASSWORD), "{raw}");
    let user: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(user["email"], email, "stored lower-cased");
    assert_eq!(user["email_verified"], false);
    assert_eq!(user["status"], "active");
    assert_eq!(user["roles"], json!(["user"]));
    assert_eq!(user["profile"]["name"], "Ada");
    let user_id = user["id"].as_str().unwrap().to_owned();
    assert_eq!(uuid::Uuid::parse_str(&user_id).unwrap().get_version_num(), 7);

    let res = app
        .client
        .post(app.url("/v1/auth/login"))
        .header("User-Agent", "integration-test/1.0")
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let header_token = res.headers()["x-auth-token"].to_str().unwrap().to_owned();
    let cookie = crate::helpers::set_cookie(&res, "identity_access").expect("access cookie");
    let refresh_cookie = crate::helpers::set_cookie(&res, "identity_refresh").expect("refresh cookie");
    let body: Value = res.json().await.unwrap();
    let body_token = body["access_token"].as_str().unwrap().to_owned();
    assert!(body_token.starts_with("v4.public."));
    assert_eq!(header_token, body_token);
    assert_eq!(body["token_type"], "Bearer");
    assert!((890..=900).contains(&body["expires_in"].as_i64().unwrap()), "{body}");
    assert_eq!(body["user"]["id"], user_id.as_str());
    assert!(body["user"]["last_login_at"].is_string());
    assert_eq!(body["session"]["user_agent"], "integration-test/1.0");
    assert_eq!(body["session"]["ip"], "127.0.0.1");
    let (cookie_pair, attributes) = cookie.split_once(';').unwrap();
    assert_eq!(cookie_pair, format!("identity_access={body_token}"));
    for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/", "Max-Age=900"] {
        assert!(attributes.contains(attribute), "{attribute} missing from {cookie}");
    }
    let refresh_token = body["refresh_token"].as_str().unwrap();
    assert!(refresh_token.len() >= 43, "at least 256 bits");
    assert!(refresh_cookie.starts_with(&format!("identity_refresh={refresh_token};")), "{refresh_cookie}");
    for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/v1/auth", "Max-Age=2592000"] {
        assert!(refresh_cookie.contains(attribute), "{attribute} missing from {refresh_cookie}");
    }

    // The token works from the body, the header and the cookie alike.
    for token in [&body_token, &header_token] {
        let res = app.me_with_bearer(token).await;
        assert_eq!(res.status(), 200);
        let me: Value = res.json().await.unwrap();
        assert_eq!(me["user"]["id"], user_id.as_str());
        assert_eq!(me["user"]["email"], email);
        assert_eq!(me["session"]["id"], body["session"]["id"]);
    }
    let res = app.client.get(app.url("/v1/auth/me")).header("Cookie", cookie_pair).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["user"]["id"], user_id.as_str());
}

async fn login_by_username(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email();
    let username = format!("ada{}", &uuid::Uuid::now_v7().simple().to_string()[20..]);
    let res = app
        .post_json("/v1/auth/register", &json!({ "email": email, "password": PASSWORD, "username": username }))
        .await;
    assert_eq!(res.status(), 201);
    let res =
        app.post_json("/v1/auth/login", &json!({ "username": username.to_uppercase(), "password": PASSWORD })).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["user"]["username"], username.as_str());
}

async fn tampered_forged_and_missing_tokens_are_401(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, token) = app.signed_in_user().await;

    // Flip one character of the signed payload.
    let mut bytes = token.clone().into_bytes();
    let i = "v4.public.".len() + 10;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).unwrap();
    assert_problem(app.me_with_bearer(&tampered).await, 401, "unauthenticated").await;

    // A token signed by another server's key (same issuer and audience).
    let other = spawn_app(Backend::Memory).await;
    let (_, foreign) = other.signed_in_user().await;
    assert_problem(app.me_with_bearer(&foreign).await, 401, "unauthenticated").await;

    for garbage in ["", "not-a-token", "v4.local.AAAA", "v2.public.AAAA", "Bearer"] {
        assert_problem(app.me_with_bearer(garbage).await, 401, "unauthenticated").await;
    }
    let res = app.client.get(app.url("/v1/auth/me")).send().await.unwrap();
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    assert_problem(res, 401, "unauthenticated").await;
    let res =
        app.client.get(app.url("/v1/auth/me")).header("Authorization", format!("Basic {token}")).send().await.unwrap();
    assert_problem(res, 401, "unauthenticated").await;
}

async fn wrong_password_and_unknown_email_get_the_same_401(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 201);

    let wrong = assert_problem(app.login(&email, "not the right password").await, 401, "invalid_credentials").await;
    let unknown = assert_problem(app.login(&unique_email(), PASSWORD).await, 401, "invalid_credentials").await;
    let by_unknown_username = assert_problem(
        app.post_json("/v1/auth/login", &json!({ "username": "nobody-here", "password": PASSWORD })).await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_eq!(wrong, unknown, "no account enumeration through the answer");
    assert_eq!(wrong, by_unknown_username);
}

async fn duplicate_email_in_any_letter_case_is_409(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 201);
    for variant in [email.clone(), email.to_uppercase(), format!("  {}  ", capitalise(&email))] {
        assert_problem(app.register(&variant, "another good passphrase").await, 409, "email_taken").await;
    }
    // The first account still signs in with its own password.
    assert_eq!(app.login(&email, PASSWORD).await.status(), 200);
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
}

async fn duplicate_username_is_409(backend: Backend) {
    let app = spawn_app(backend).await;
    let username = format!("grace{}", &uuid::Uuid::now_v7().simple().to_string()[20..]);
    let first = app
        .post_json("/v1/auth/register", &json!({ "email": unique_email(), "password": PASSWORD, "username": username }))
        .await;
    assert_eq!(first.status(), 201);
    let second = app
        .post_json(
            "/v1/auth/register",
            &json!({ "email": unique_email(), "password": PASSWORD, "username": username.to_uppercase() }),
        )
        .await;
    assert_problem(second, 409, "username_taken").await;
}

/// After a registration the user and its `user.registered` event are stored together; in
/// PostgreSQL as rows, in the embedded mode on the in-process bus.
async fn registration_events_reach_the_outbox(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut bus = app.bus.as_ref().map(|b| b.subscribe());
    let email = unique_email();
    let res = app.register(&email, PASSWORD).await;
    assert_eq!(res.status(), 201);
    let user: Value = res.json().await.unwrap();
    let user_id = uuid::Uuid::parse_str(user["id"].as_str().unwrap()).unwrap();

    match backend {
        Backend::Postgres => {
            let mut db = crate::helpers::Db::connect(app.database_url.as_deref().unwrap()).await;
            let row = db.user(user_id).await.expect("the user row exists");
            assert_eq!(row.email, email);
            assert!(row.password_hash.starts_with("$argon2id$"));
            assert_eq!(row.status, "active");
            let events = db.outbox_for(user_id).await;
            assert_eq!(events.len(), 1, "{events:?}");
            assert_eq!(events[0].event_type, "user.registered");
            assert_eq!(events[0].payload["email"], email);
            assert_eq!(events[0].payload["user_id"], user_id.to_string());
            assert!(events[0].payload.get("password_hash").is_none());
        }
        Backend::Memory => {
            let bus = bus.as_mut().unwrap();
            // The embedded default's demo agents may be relayed first (`agent.created`).
            let event = loop {
                let event = tokio::time::timeout(std::time::Duration::from_secs(5), bus.recv()).await.unwrap().unwrap();
                if event.event_type.aggregate_type() != "agent" {
                    break event;
                }
            };
            assert_eq!(event.event_type.as_str(), "user.registered");
            assert_eq!(event.aggregate_id, user_id);
            assert_eq!(event.payload["email"], email);
        }
    }
}

/// `expires_in` is the token's lifetime on the service's clock, not on the wall clock of the
/// handler: a server whose clock is an hour behind still answers the configured lifetime.
async fn expires_in_follows_the_service_clock(backend: Backend) {
    let (app, clock) = spawn_app_with_clock(backend, &[("ACCESS_TOKEN_TTL_SECONDS", "600")]).await;
    clock.skew(chrono::Duration::hours(-1));
    let (email, body) = app.signed_in().await;
    assert_eq!(body["expires_in"], 600);
    let res = app.password_grant(&email, PASSWORD).await;
    assert_eq!(res.status(), 200);
    let token: Value = res.json().await.unwrap();
    assert_eq!(token["expires_in"], 600);
    let refresh = json!({ "refresh_token": token["refresh_token"] });
    let refreshed: Value = app.post_json("/v1/auth/refresh", &refresh).await.json().await.unwrap();
    assert_eq!(refreshed["expires_in"], 600);
}
