//! Managing second factors over HTTP (`/v1/mfa/…` and `DELETE /v1/admin/users/{id}/mfa`):
//! enrolling and confirming an authenticator app, listing (never a secret), renaming,
//! removing, new recovery codes, step-up on the sensitive ones, an admin's removal, and the
//! `mfa.enabled` / `mfa.disabled` events; on both backends, on a clock the test moves.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use identity_core::domain::EventType;
use identity_core::ports::{Mail, OtpGenerator};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{
    Backend, Db, PASSWORD, TestApp, TestClock, assert_problem, eventually, spawn_app_with_clock, unique_email,
};

/// The code of the TOTP step `offset` steps from `at`.
fn code_at(at: chrono::DateTime<chrono::Utc>, secret: &str, offset: i64) -> String {
    let secret = identity_crypto::Totp.decode(secret).expect("a base32 secret");
    identity_crypto::Totp.code(&secret, at.timestamp().div_euclid(30) + offset)
}

/// The code of the TOTP step `offset` steps from the server's now.
fn code(clock: &TestClock, secret: &str, offset: i64) -> String {
    code_at(clock.now(), secret, offset)
}

/// A six-digit code that none of the three steps around the server's now accepts.
fn wrong_code(clock: &TestClock, secret: &str) -> String {
    let taken: Vec<String> = (-1..=1).map(|o| code(clock, secret, o)).collect();
    (0..4).map(|i| format!("{:06}", 123_456 + i)).find(|c| !taken.contains(c)).unwrap()
}

async fn patch(app: &TestApp, path: &str, token: &str, body: &Value) -> reqwest::Response {
    app.client.patch(app.url(path)).bearer_auth(token).json(body).send().await.unwrap()
}

/// Enrols and confirms an authenticator app for the holder of `token` on a server on the real
/// clock: the method's id. (The event contract's flow: it emits `mfa.enabled`.)
pub async fn enable_totp(app: &TestApp, token: &str) -> String {
    let res = app.post_authed("/v1/mfa/totp/enroll", token, None).await;
    assert_eq!(res.status(), 200);
    let enrolment: Value = res.json().await.unwrap();
    let secret = enrolment["secret"].as_str().unwrap();
    let confirm = json!({ "code": code_at(chrono::Utc::now(), secret, 0) });
    let res = app.post_authed("/v1/mfa/totp/confirm", token, Some(&confirm)).await;
    assert_eq!(res.status(), 200);
    enrolment["method"]["id"].as_str().unwrap().to_owned()
}

/// A signed-in user with a confirmed authenticator app, the confirmation's step passed:
/// (user id, email, access token, secret, method id, recovery codes).
struct Enrolled {
    id: String,
    email: String,
    token: String,
    secret: String,
    method: String,
    recovery_codes: Vec<String>,
}

async fn enrolled(app: &TestApp, clock: &TestClock) -> Enrolled {
    let (email, login) = app.signed_in().await;
    let token = login["access_token"].as_str().unwrap().to_owned();
    let res = app.post_authed("/v1/mfa/totp/enroll", &token, Some(&json!({ "label": "Phone" }))).await;
    assert_eq!(res.status(), 200);
    let enrolment: Value = res.json().await.unwrap();
    let secret = enrolment["secret"].as_str().unwrap().to_owned();
    let res = app.post_authed("/v1/mfa/totp/confirm", &token, Some(&json!({ "code": code(clock, &secret, 0) }))).await;
    assert_eq!(res.status(), 200);
    let confirmed: Value = res.json().await.unwrap();
    let recovery_codes =
        confirmed["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    clock.elapse(Duration::from_secs(30)).await;
    Enrolled {
        id: login["user"]["id"].as_str().unwrap().to_owned(),
        email,
        token,
        secret,
        method: confirmed["method"]["id"].as_str().unwrap().to_owned(),
        recovery_codes,
    }
}

async fn methods(app: &TestApp, token: &str) -> Value {
    let res = app.get_authed("/v1/mfa/methods", token).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
    res.json().await.unwrap()
}

/// The `mfa.*` events about `user` the server emitted, in order, once `count` are there.
async fn mfa_events(app: &TestApp, user: &str, count: usize) -> Vec<(EventType, Value)> {
    let user: uuid::Uuid = user.parse().unwrap();
    eventually(&format!("{count} mfa events"), Duration::from_secs(10), async || {
        let mut events: Vec<_> = app
            .events
            .events()
            .into_iter()
            .filter(|e| matches!(e.event_type, EventType::MfaEnabled | EventType::MfaDisabled))
            .filter(|e| e.aggregate_id == user && e.subject == Some(user))
            .collect();
        events.sort_by_key(|e| e.id);
        (events.len() >= count).then(|| events.into_iter().map(|e| (e.event_type, e.payload)).collect())
    })
    .await
}

/// Logs in with the password of an account with a second factor: the `mfa_token`.
async fn first_step(app: &TestApp, email: &str) -> String {
    let res = app.login(email, PASSWORD).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["mfa_token"].as_str().unwrap_or_else(|| panic!("no mfa_token: {body}")).to_owned()
}

async fn second_step(app: &TestApp, mfa_token: &str, method: &str, code: &str) -> reqwest::Response {
    app.post_json("/v1/auth/login/mfa", &json!({ "mfa_token": mfa_token, "method": method, "code": code })).await
}

async fn an_authenticator_app_is_enrolled_confirmed_and_managed(backend: Backend) {
    let (app, clock) = spawn_app_with_clock(backend, &[]).await;
    let (email, login) = app.signed_in().await;
    let (id, token) = (login["user"]["id"].as_str().unwrap(), login["access_token"].as_str().unwrap());
    assert_eq!(methods(&app, token).await, json!({ "methods": [], "recovery_codes_left": 0 }));
    assert_problem(app.client.get(app.url("/v1/mfa/methods")).send().await.unwrap(), 401, "unauthenticated").await;

    // Enrolment: the secret, its URI and QR code, shown this once; a second one replaces it.
    let res = app.post_authed("/v1/mfa/totp/enroll", token, Some(&json!({ "label": "Old phone" }))).await;
    assert_eq!(res.status(), 200);
    let replaced: Value = res.json().await.unwrap();
    assert_eq!(replaced["method"]["label"], "Old phone");
    let res = app.post_authed("/v1/mfa/totp/enroll", token, None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
    let enrolment: Value = res.json().await.unwrap();
    let secret = enrolment["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 32, "{enrolment}");
    assert!(secret.chars().all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c)), "base32: {secret}");
    assert_ne!(secret, replaced["secret"].as_str().unwrap());
    let uri = enrolment["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/") && uri.contains(&format!("secret={secret}")), "{uri}");
    assert!(enrolment["qr_svg"].as_str().unwrap().contains("<svg"), "{enrolment}");
    let method = &enrolment["method"];
    assert_eq!((&method["type"], &method["label"]), (&json!("totp"), &json!("Authenticator app")), "{method}");
    assert!(method["created_at"].is_string() && method["last_used_at"].is_null(), "{method}");
    // Pending: not listed yet.
    assert_eq!(methods(&app, token).await, json!({ "methods": [], "recovery_codes_left": 0 }));
    let res = app.post_authed("/v1/mfa/totp/enroll", token, Some(&json!({ "label": "" }))).await;
    assert_problem(res, 422, "validation_failed").await;
    let res = app.post_authed("/v1/mfa/totp/enroll", token, Some(&json!({ "name": "x" }))).await;
    assert_problem(res, 422, "validation_failed").await;

    // The replaced enrolment's code, or a wrong one, confirms nothing.
    let old = json!({ "code": code(&clock, replaced["secret"].as_str().unwrap(), 0) });
    let problem =
        assert_problem(app.post_authed("/v1/mfa/totp/confirm", token, Some(&old)).await, 422, "validation_failed")
            .await;
    assert_eq!(problem["errors"][0]["field"], "code", "{problem}");
    assert_eq!(problem["errors"][0]["code"], "invalid_code", "{problem}");
    let wrong = json!({ "code": wrong_code(&clock, secret) });
    assert_problem(app.post_authed("/v1/mfa/totp/confirm", token, Some(&wrong)).await, 422, "validation_failed").await;
    let res = app.post_authed("/v1/mfa/totp/confirm", token, Some(&json!({ "code": code(&clock, secret, 0) }))).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
    let confirmed: Value = res.json().await.unwrap();
    let method_id = confirmed["method"]["id"].as_str().unwrap().to_owned();
    assert_eq!(method_id, method["id"].as_str().unwrap());
    let first: Vec<String> =
        confirmed["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    assert_eq!(first.len(), 10);
    assert!(first.iter().all(|c| c.len() == 14 && c.matches('-').count() == 2), "{first:?}");
    let listed = methods(&app, token).await;
    assert_eq!(listed["recovery_codes_left"], 10);
    assert_eq!(listed["methods"].as_array().unwrap().len(), 1, "{listed}");
    let view = &listed["methods"][0];
    assert_eq!(view["id"], method_id.as_str());
    assert_eq!(view["type"], "totp");
    assert!(view["last_used_at"].is_string(), "the confirmation used it: {view}");
    let mut fields: Vec<&str> = view.as_object().unwrap().keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["created_at", "id", "label", "last_used_at", "type"]);
    assert!(!listed.to_string().contains(secret), "never the secret: {listed}");
    // Confirmed: nothing is pending, and a second app needs the first removed.
    let again = json!({ "code": code(&clock, secret, 1) });
    assert_problem(app.post_authed("/v1/mfa/totp/confirm", token, Some(&again)).await, 404, "not_found").await;
    let res = app.post_authed("/v1/mfa/totp/enroll", token, None).await;
    assert_problem(res, 409, "mfa_already_enabled").await;

    // Renaming.
    let path = format!("/v1/mfa/methods/{method_id}");
    let res = patch(&app, &path, token, &json!({ "label": "  Work phone " })).await;
    assert_eq!(res.status(), 200);
    let renamed: Value = res.json().await.unwrap();
    assert_eq!((&renamed["id"], &renamed["label"]), (&json!(method_id), &json!("Work phone")));
    assert_eq!(methods(&app, token).await["methods"][0]["label"], "Work phone");
    assert_problem(patch(&app, &path, token, &json!({ "label": "x".repeat(65) })).await, 422, "validation_failed")
        .await;
    assert_problem(patch(&app, &path, token, &json!({})).await, 422, "validation_failed").await;
    let unknown = format!("/v1/mfa/methods/{}", uuid::Uuid::now_v7());
    assert_problem(patch(&app, &unknown, token, &json!({ "label": "x" })).await, 404, "not_found").await;
    assert_problem(patch(&app, "/v1/mfa/methods/nope", token, &json!({ "label": "x" })).await, 404, "not_found").await;
    // Someone else's factor is no factor of theirs.
    let (_, stranger) = app.signed_in_user().await;
    assert_problem(patch(&app, &path, &stranger, &json!({ "label": "mine" })).await, 404, "not_found").await;
    assert_problem(app.delete_authed(&path, &stranger).await, 404, "not_found").await;

    // New recovery codes: the old set is void.
    let res = app.post_authed("/v1/mfa/recovery-codes", token, None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
    let body: Value = res.json().await.unwrap();
    let second: Vec<String> =
        body["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    assert_eq!(second.len(), 10);
    assert!(second.iter().all(|c| !first.contains(c)), "a new set");
    assert_eq!(methods(&app, token).await["recovery_codes_left"], 10);
    let mfa_token = first_step(&app, &email).await;
    assert_problem(second_step(&app, &mfa_token, "recovery_code", &first[0]).await, 401, "invalid_mfa_code").await;
    assert_eq!(second_step(&app, &mfa_token, "recovery_code", &second[0]).await.status(), 200);
    assert_eq!(methods(&app, token).await["recovery_codes_left"], 9);

    // Removing the last factor voids the codes; sign-ins need the password only.
    assert_problem(app.delete_authed(&unknown, token).await, 404, "not_found").await;
    assert_eq!(app.delete_authed(&path, token).await.status(), 204);
    assert_eq!(methods(&app, token).await, json!({ "methods": [], "recovery_codes_left": 0 }));
    assert_problem(app.delete_authed(&path, token).await, 404, "not_found").await;
    assert_problem(app.post_authed("/v1/mfa/recovery-codes", token, None).await, 409, "mfa_not_enabled").await;
    assert!(app.login_ok(&email, PASSWORD).await["access_token"].is_string());

    let notices: Vec<String> = app
        .mails_to(&email)
        .await
        .into_iter()
        .filter_map(|m| match m {
            Mail::SecurityNotice { what, .. } => Some(what),
            _ => None,
        })
        .collect();
    assert!(
        notices.iter().any(|w| w.contains("added")) && notices.iter().any(|w| w.contains("removed")),
        "{notices:?}"
    );

    // Emitted with the changes: enabled, then disabled (the last factor: `mfa_enabled` false).
    let events = mfa_events(&app, id, 2).await;
    let types: Vec<EventType> = events.iter().map(|(t, _)| *t).collect();
    assert_eq!(types, [EventType::MfaEnabled, EventType::MfaDisabled]);
    for (event_type, payload) in &events {
        assert_eq!(payload["user_id"], id);
        assert_eq!(payload["method_id"], method_id.as_str());
        assert_eq!(payload["kind"], "totp");
        assert_eq!(payload["by_admin"], false);
        assert_eq!(payload["mfa_enabled"], *event_type == EventType::MfaEnabled, "{payload}");
    }
    if backend == Backend::Postgres {
        let mut db = Db::connect(app.database_url.as_deref().unwrap()).await;
        let rows = db.outbox_for(id.parse().unwrap()).await;
        let mfa: Vec<&str> = rows.iter().map(|r| r.event_type.as_str()).filter(|t| t.starts_with("mfa.")).collect();
        assert_eq!(mfa, ["mfa.enabled", "mfa.disabled"]);
    }
}

async fn adding_and_removing_factors_needs_a_recent_authentication(backend: Backend) {
    let (app, clock) = spawn_app_with_clock(backend, &[]).await;
    let user = enrolled(&app, &clock).await;
    let (_, plain) = app.signed_in_user().await;
    clock.elapse(Duration::from_secs(11 * 60)).await;

    let path = format!("/v1/mfa/methods/{}", user.method);
    let stale = |res| assert_problem(res, 403, "reauthentication_required");
    stale(app.post_authed("/v1/mfa/totp/enroll", &plain, None).await).await;
    stale(app.post_authed("/v1/mfa/totp/enroll", &user.token, None).await).await;
    stale(app.delete_authed(&path, &user.token).await).await;
    stale(app.post_authed("/v1/mfa/recovery-codes", &user.token, None).await).await;
    // Reading and renaming need no step-up.
    assert_eq!(methods(&app, &user.token).await["methods"].as_array().unwrap().len(), 1);
    assert_eq!(patch(&app, &path, &user.token, &json!({ "label": "Tablet" })).await.status(), 200);

    // The password steps up an account without a factor.
    let res = app.post_authed("/v1/auth/reauthenticate", &plain, Some(&json!({ "password": PASSWORD }))).await;
    assert_eq!(res.status(), 200);
    let fresh: Value = res.json().await.unwrap();
    let fresh = fresh["access_token"].as_str().unwrap();
    assert_eq!(app.post_authed("/v1/mfa/totp/enroll", fresh, None).await.status(), 200);
    stale(app.post_authed("/v1/mfa/totp/enroll", &plain, None).await).await;

    // An account with a factor steps up with it too; then the changes work with the new token.
    let step_up = json!({ "password": PASSWORD, "method": "totp", "code": code(&clock, &user.secret, 0) });
    let res = app.post_authed("/v1/auth/reauthenticate", &user.token, Some(&step_up)).await;
    assert_eq!(res.status(), 200);
    let renewed: Value = res.json().await.unwrap();
    let renewed = renewed["access_token"].as_str().unwrap();
    let res = app.post_authed("/v1/mfa/recovery-codes", renewed, None).await;
    assert_eq!(res.status(), 200);
    let codes: Value = res.json().await.unwrap();
    assert!(
        codes["recovery_codes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| !user.recovery_codes.contains(&c.as_str().unwrap().to_owned()))
    );
    stale(app.delete_authed(&path, &user.token).await).await;
    assert_eq!(app.delete_authed(&path, renewed).await.status(), 204);
    assert_eq!(methods(&app, renewed).await, json!({ "methods": [], "recovery_codes_left": 0 }));
    // The step-up lasts `REAUTH_MAX_AGE_SECONDS`, then it is needed again.
    clock.elapse(Duration::from_secs(11 * 60)).await;
    stale(app.post_authed("/v1/mfa/totp/enroll", renewed, None).await).await;
}

async fn an_admin_removes_the_factors_of_a_user_who_lost_them(backend: Backend) {
    let boss = unique_email();
    let (app, clock) = spawn_app_with_clock(backend, &[("BOOTSTRAP_ADMIN_EMAIL", &boss)]).await;
    let admin = app.bootstrap_admin(&boss).await;
    let user = enrolled(&app, &clock).await;
    let path = format!("/v1/admin/users/{}/mfa", user.id);

    // Not for anyone else, the user included.
    assert_problem(app.delete_authed(&path, &user.token).await, 403, "forbidden").await;
    assert_problem(app.client.delete(app.url(&path)).send().await.unwrap(), 401, "unauthenticated").await;
    let unknown = format!("/v1/admin/users/{}/mfa", uuid::Uuid::now_v7());
    assert_problem(app.delete_authed(&unknown, &admin).await, 404, "not_found").await;
    assert_problem(app.delete_authed("/v1/admin/users/nope/mfa", &admin).await, 404, "not_found").await;
    assert_eq!(methods(&app, &user.token).await["recovery_codes_left"], 10);

    // No step-up for the admin: it is someone else's account.
    clock.elapse(Duration::from_secs(11 * 60)).await;
    assert_eq!(app.delete_authed(&path, &admin).await.status(), 204);
    assert_eq!(methods(&app, &user.token).await, json!({ "methods": [], "recovery_codes_left": 0 }));
    // The password alone signs in again; a user without a factor: nothing to do, still 204.
    assert!(app.login_ok(&user.email, PASSWORD).await["access_token"].is_string());
    assert_eq!(app.delete_authed(&path, &admin).await.status(), 204);
    let told = app
        .mails_to(&user.email)
        .await
        .into_iter()
        .any(|m| matches!(m, Mail::SecurityNotice { what, .. } if what.contains("administrator")));
    assert!(told, "the user is told");

    let events = mfa_events(&app, &user.id, 2).await;
    assert_eq!(events.len(), 2, "one removal, the second call changed nothing: {events:?}");
    let (event_type, payload) = &events[1];
    assert_eq!(*event_type, EventType::MfaDisabled);
    assert_eq!(payload["method_id"], user.method.as_str());
    assert_eq!((&payload["by_admin"], &payload["mfa_enabled"]), (&json!(true), &json!(false)), "{payload}");
    if backend == Backend::Postgres {
        let mut db = Db::connect(app.database_url.as_deref().unwrap()).await;
        let rows = db.outbox_for(user.id.parse().unwrap()).await;
        let disabled: Vec<&Value> =
            rows.iter().filter(|r| r.event_type == "mfa.disabled").map(|r| &r.payload).collect();
        assert_eq!(disabled.len(), 1);
        assert_eq!(disabled[0]["by_admin"], true);
        let audited = db
            .number(
                "SELECT count(*) AS n FROM audit_logs WHERE action = 'mfa.disabled' AND metadata->>'by_admin' = 'true'",
            )
            .await;
        assert_eq!(audited, 1);
    }
}

both_backends!(
    an_authenticator_app_is_enrolled_confirmed_and_managed,
    adding_and_removing_factors_needs_a_recent_authentication,
    an_admin_removes_the_factors_of_a_user_who_lost_them,
);
