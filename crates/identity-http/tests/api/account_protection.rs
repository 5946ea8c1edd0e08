//! Issue 8, points 3–7 and the Redis keys of point 6: locked and disabled accounts are no
//! password oracle, re-authentication is throttled like login, one flow's rate limit never
//! blocks another, `forgot` does the same work for every address, taken addresses can be
//! hidden, and no key carries the bytes a client sent.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use identity_core::ports::Mail;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, PASSWORD, TestApp, assert_problem, spawn_app_with, token_from_link, unique_email};

both_backends!(
    locked_and_disabled_accounts_answer_like_a_wrong_password,
    a_locked_out_owner_resets_and_the_reset_ends_the_lock,
    wrong_current_passwords_back_off_lock_and_are_audited,
    failed_logins_for_an_address_never_block_registering_it,
    forgot_does_the_same_work_for_every_address,
    taken_addresses_can_register_like_free_ones,
    taken_addresses_are_a_conflict_by_default,
);

const WRONG: &str = "not the password at all";

/// A server with an admin (`BOOTSTRAP_ADMIN_EMAIL`) and `overrides`: (app, admin token).
async fn app_with_admin(backend: Backend, overrides: &[(&str, &str)]) -> (TestApp, String) {
    let boss = unique_email();
    let mut vars = vec![("BOOTSTRAP_ADMIN_EMAIL", boss.as_str())];
    vars.extend_from_slice(overrides);
    let app = spawn_app_with(backend, &vars).await;
    let token = app.bootstrap_admin(&boss).await;
    (app, token)
}

/// Status, headers and body, as a client can compare two answers: every header by name, and
/// by value too except those that differ between any two requests (the date, the request id,
/// the rate-limit counters, the new resource's location).
async fn observable(res: reqwest::Response) -> (u16, Vec<String>, Value) {
    let status = res.status().as_u16();
    let per_request = |name: &str| {
        matches!(name, "date" | "x-request-id" | "location" | "content-length") || name.starts_with("ratelimit-")
    };
    let mut headers: Vec<String> = res
        .headers()
        .iter()
        .map(|(name, value)| match per_request(name.as_str()) {
            true => name.to_string(),
            false => format!("{name}: {}", value.to_str().unwrap_or("?")),
        })
        .collect();
    headers.sort();
    (status, headers, res.json().await.unwrap())
}

async fn audit_actions(app: &TestApp, admin: &str, action: &str) -> Vec<Value> {
    let res = app.get_authed(&format!("/v1/admin/audit-logs?action={action}&limit=100"), admin).await;
    assert_eq!(res.status(), 200);
    let page: Value = res.json().await.unwrap();
    page["items"].as_array().unwrap().clone()
}

async fn locked_and_disabled_accounts_answer_like_a_wrong_password(backend: Backend) {
    let (app, admin) = app_with_admin(backend, &[("LOGIN_BACKOFF_AFTER", "0"), ("LOCKOUT_THRESHOLD", "3")]).await;
    let email = unique_email();
    let user: Value = app.register(&email, PASSWORD).await.json().await.unwrap();
    for _ in 0..3 {
        assert_problem(app.login(&email, WRONG).await, 401, "invalid_credentials").await;
    }
    assert!(matches!(app.mails_to(&email).await.last(), Some(Mail::AccountLocked { .. })));
    // Locked: the right password and a wrong one get the very same answer.
    let right = observable(app.login(&email, PASSWORD).await).await;
    let wrong = observable(app.login(&email, WRONG).await).await;
    assert_eq!(right, wrong);
    assert_eq!((right.0, right.2["code"].as_str()), (401, Some("invalid_credentials")));

    // Disabled by an admin: the same.
    let other = unique_email();
    let other_user: Value = app.register(&other, PASSWORD).await.json().await.unwrap();
    let path = format!("/v1/admin/users/{}", other_user["id"].as_str().unwrap());
    let res = app.client.patch(app.url(&path)).bearer_auth(&admin).json(&json!({"status": "disabled"})).send().await;
    assert_eq!(res.unwrap().status(), 200);
    let right = observable(app.login(&other, PASSWORD).await).await;
    let wrong = observable(app.login(&other, WRONG).await).await;
    assert_eq!(right, wrong);
    assert_eq!(right.0, 401);

    // The OAuth2 form tells nothing either.
    let body: Value = app.password_grant(&email, PASSWORD).await.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert!(!body.to_string().contains("locked"), "{body}");

    if backend == Backend::Postgres {
        let mut db = crate::helpers::Db::connect(app.database_url.as_deref().unwrap()).await;
        let id = uuid::Uuid::parse_str(user["id"].as_str().unwrap()).unwrap();
        assert_eq!(db.user(id).await.unwrap().status, "locked");
    }
}

async fn a_locked_out_owner_resets_and_the_reset_ends_the_lock(backend: Backend) {
    let app = spawn_app_with(backend, &[("LOGIN_BACKOFF_AFTER", "0"), ("LOCKOUT_THRESHOLD", "3")]).await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 201);
    for _ in 0..3 {
        assert_problem(app.login(&email, WRONG).await, 401, "invalid_credentials").await;
    }
    assert_eq!(app.post_json("/v1/auth/password/forgot", &json!({ "email": email })).await.status(), 202);
    let link = match app.mails_to(&email).await.last() {
        Some(Mail::PasswordReset { link, .. }) => link.clone(),
        other => panic!("a locked-out owner gets a reset link, got {other:?}"),
    };
    let new_password = "a fresh and long passphrase";
    let res = app
        .post_json("/v1/auth/password/reset", &json!({ "token": token_from_link(&link), "new_password": new_password }))
        .await;
    assert_eq!(res.status(), 204);
    let body = app.login_ok(&email, new_password).await;
    assert_eq!(body["user"]["status"], "active");
    // The old failures are gone with the lock: one new mistake is just a mistake.
    assert_problem(app.login(&email, WRONG).await, 401, "invalid_credentials").await;
    app.login_ok(&email, new_password).await;
}

async fn wrong_current_passwords_back_off_lock_and_are_audited(backend: Backend) {
    let (app, admin) = app_with_admin(backend, &[("LOGIN_BACKOFF_AFTER", "3")]).await;
    let (email, token) = app.signed_in_user().await;
    for _ in 0..2 {
        let body = json!({ "current_password": WRONG, "new_password": "a fresh and long passphrase" });
        let problem = assert_problem(
            app.post_authed("/v1/auth/password/change", &token, Some(&body)).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], "current_password");
    }
    let res = app.client.delete(app.url("/v1/users/me")).bearer_auth(&token).json(&json!({ "password": WRONG })).send();
    assert_problem(res.await.unwrap(), 422, "validation_failed").await;
    // Three failures: now even the right password waits, on every check of it.
    let body = json!({ "current_password": PASSWORD, "new_password": "a fresh and long passphrase" });
    let res = app.post_authed("/v1/auth/password/change", &token, Some(&body)).await;
    assert!(res.headers().contains_key("retry-after"));
    assert_problem(res, 429, "login_throttled").await;
    let res =
        app.client.delete(app.url("/v1/users/me")).bearer_auth(&token).json(&json!({ "password": PASSWORD })).send();
    assert_problem(res.await.unwrap(), 429, "login_throttled").await;
    assert_problem(app.login(&email, PASSWORD).await, 429, "login_throttled").await;
    let audited = audit_actions(&app, &admin, "reauth.failed").await;
    assert_eq!(audited.len(), 5, "{audited:?}");
    let reasons: Vec<&str> = audited.iter().map(|e| e["metadata"]["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons, ["throttled", "throttled", "invalid_password", "invalid_password", "invalid_password"]);

    // With lock-out on, re-authentication failures lock the account like failed logins.
    let app = spawn_app_with(backend, &[("LOGIN_BACKOFF_AFTER", "0"), ("LOCKOUT_THRESHOLD", "2")]).await;
    let (email, token) = app.signed_in_user().await;
    for _ in 0..2 {
        let body = json!({ "current_password": WRONG, "new_password": "a fresh and long passphrase" });
        assert_eq!(app.post_authed("/v1/auth/password/change", &token, Some(&body)).await.status(), 422);
    }
    assert!(matches!(app.mails_to(&email).await.last(), Some(Mail::AccountLocked { .. })));
    assert_problem(app.me_with_bearer(&token).await, 401, "unauthenticated").await;
}

async fn failed_logins_for_an_address_never_block_registering_it(backend: Backend) {
    let app = spawn_app_with(backend, &[("RATE_LIMIT_AUTH_PER_MINUTE", "10"), ("TRUSTED_PROXIES", "127.0.0.1")]).await;
    let email = unique_email();
    let from = |n: usize| format!("203.0.113.{n}");
    let mut limited = 0;
    for n in 1..=12 {
        let res = app
            .client
            .post(app.url("/v1/auth/login"))
            .header("X-Forwarded-For", from(n))
            .json(&json!({ "email": email, "password": WRONG }))
            .send()
            .await
            .unwrap();
        limited += usize::from(res.status() == 429);
    }
    assert!(limited >= 2, "the login budget of the address ran out ({limited} refused)");
    let register_from = |n: usize| {
        let (app, email) = (&app, &email);
        async move {
            let body = json!({ "email": email, "password": PASSWORD });
            app.client
                .post(app.url("/v1/auth/register"))
                .header("X-Forwarded-For", from(n))
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(register_from(50).await.status(), 201);
    // Registration keeps a budget of its own per address.
    for n in 51..=60 {
        assert_ne!(register_from(n).await.status(), 201);
    }
    let res = register_from(61).await;
    assert_problem(res, 429, "rate_limited").await;
}

async fn forgot_does_the_same_work_for_every_address(backend: Backend) {
    let (app, admin) = app_with_admin(backend, &[]).await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 201);
    for address in [email.clone(), unique_email()] {
        let res = app.post_json("/v1/auth/password/forgot", &json!({ "email": address })).await;
        assert_eq!(res.status(), 202);
    }
    // Both answers wrote the same transaction: one audit entry each, only the known one mails.
    let audited = audit_actions(&app, &admin, "password.reset_requested").await;
    let accounts: Vec<bool> = audited.iter().map(|e| e["metadata"]["account"].as_bool().unwrap()).collect();
    assert_eq!(accounts, [false, true]);
    assert!(matches!(app.mails_to(&email).await.last(), Some(Mail::PasswordReset { .. })));
    if backend == Backend::Postgres {
        // In place of the token row, the unknown address's probe is recorded.
        let mut db = crate::helpers::Db::connect(app.database_url.as_deref().unwrap()).await;
        assert_eq!(db.count("password_resets").await, 1);
        assert_eq!(db.count("login_attempts WHERE reason = 'password_reset_unknown_account'").await, 1);
    }
}

async fn taken_addresses_can_register_like_free_ones(backend: Backend) {
    let app = spawn_app_with(backend, &[("REGISTRATION_HIDE_TAKEN_EMAILS", "true")]).await;
    let email = unique_email();
    let first = app.register(&email, PASSWORD).await;
    let (status, headers, first) = observable(first).await;
    let again = observable(app.register(&email.to_uppercase(), "another long passphrase").await).await;
    assert_eq!((again.0, &again.1), (status, &headers), "same status and headers");
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&again.2), keys(&first));
    assert_eq!(again.2["email"], first["email"]);
    assert_ne!(again.2["id"], first["id"]);
    // The owner is told; their account is untouched; the impostor's password opens nothing.
    assert!(matches!(app.mails_to(&email).await.last(), Some(Mail::AlreadyRegistered { .. })));
    app.login_ok(&email, PASSWORD).await;
    assert_problem(app.login(&email, "another long passphrase").await, 401, "invalid_credentials").await;
    // A taken username is still a conflict, whatever the address.
    let named = json!({ "email": unique_email(), "password": PASSWORD, "username": "ada-hidden" });
    assert_eq!(app.post_json("/v1/auth/register", &named).await.status(), 201);
    let clash = json!({ "email": email, "password": PASSWORD, "username": "ada-hidden" });
    assert_problem(app.post_json("/v1/auth/register", &clash).await, 409, "username_taken").await;
}

async fn taken_addresses_are_a_conflict_by_default(backend: Backend) {
    let app = spawn_app_with(backend, &[]).await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 201);
    assert_problem(app.register(&email, PASSWORD).await, 409, "email_taken").await;
}

/// Every `login_attempts` row keeps at most 512 characters of the user agent, like sessions
/// and audit entries: successful, failed and rate-limited attempts alike.
#[tokio::test]
async fn login_attempts_clip_the_user_agent() {
    let app = spawn_app_with(Backend::Postgres, &[("RATE_LIMIT_AUTH_PER_MINUTE", "3")]).await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 201);
    let agent = "A".repeat(2000);
    let login = |password: &'static str| {
        let (app, email, agent) = (&app, &email, &agent);
        async move {
            let body = json!({ "email": email, "password": password });
            let req = app.client.post(app.url("/v1/auth/login")).header("user-agent", agent.as_str()).json(&body);
            req.send().await.unwrap().status().as_u16()
        }
    };
    assert_eq!(login(PASSWORD).await, 200);
    assert_eq!(login(WRONG).await, 401);
    assert_eq!(login(WRONG).await, 429);
    let mut db = crate::helpers::Db::connect(app.database_url.as_deref().unwrap()).await;
    assert_eq!(db.count("login_attempts").await, 3);
    assert_eq!(db.count("login_attempts WHERE length(user_agent) = 512").await, 3);
}

/// Keys in Redis are digests: a client's CR, LF and escape bytes never reach a key name.
#[tokio::test]
async fn redis_keys_never_carry_what_a_client_sent() {
    let prefix = format!("identity-test:{}:", uuid::Uuid::now_v7().simple());
    // A low limit, so the rate limiter's keys live long enough to be read (three requests).
    let overrides =
        [("REDIS_KEY_PREFIX", prefix.as_str()), ("LOGIN_BACKOFF_AFTER", "1"), ("RATE_LIMIT_AUTH_PER_MINUTE", "3")];
    let app = spawn_app_with(Backend::Postgres, &overrides).await;
    let hostile = "evil\r\nFLUSHALL\r\n\u{1b}[31m@example.com";
    // Refused (422), but the rate limit saw it first; it counts under a digest.
    let res = app.post_json("/v1/auth/login", &json!({ "email": hostile, "password": WRONG })).await;
    assert_problem(res, 422, "validation_failed").await;
    let res = app.post_json("/v1/auth/password/forgot", &json!({ "email": hostile })).await;
    assert_problem(res, 422, "validation_failed").await;
    // A name that passes validation, spaces, braces and all: its failures count under a digest.
    let odd = "evil ünïcode {FLUSHALL} name";
    let res = app.post_json("/v1/auth/login", &json!({ "username": odd, "password": WRONG })).await;
    assert_problem(res, 401, "invalid_credentials").await;
    let url = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS").arg(format!("{prefix}*")).query_async(&mut conn).await.unwrap();
    assert!(keys.iter().any(|k| k.contains(":auth:login:account:")), "{keys:?}");
    assert!(keys.iter().any(|k| k.contains(":auth:password_reset:account:")), "{keys:?}");
    assert!(keys.iter().any(|k| k.contains(":login:failures:")), "{keys:?}");
    for key in &keys {
        let key = &key[prefix.len()..];
        assert!(key.chars().all(|c| c.is_ascii_graphic()), "{key:?}");
        assert!(!key.contains("evil") && !key.contains("FLUSHALL"), "{key:?}");
    }
}
