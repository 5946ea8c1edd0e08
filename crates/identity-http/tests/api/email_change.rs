#![allow(clippy::unwrap_used, clippy::expect_used)]

//! Changing the account's address: `POST /v1/users/me/email` (step-up) mails a link to the new
//! address and a notice to the old one; `POST /v1/users/me/email/confirm` makes the switch.

use std::time::Duration;

use identity_core::ports::Mail;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{
    Backend, PASSWORD, TestApp, assert_problem, spawn_app, spawn_app_with_clock, token_from_link, unique_email,
};

both_backends!(
    a_request_mails_a_link_to_the_new_address_and_a_notice_to_the_old,
    the_link_switches_the_address_once_and_ends_the_other_sessions,
    a_taken_address_is_told_only_at_the_confirmation,
    a_new_request_voids_the_earlier_link,
    the_change_needs_a_recent_sign_in,
);

const TEMPLATE: (&str, &str) = ("EMAIL_CHANGE_URL_TEMPLATE", "https://app.example/email?token={token}");

async fn request(app: &TestApp, token: &str, new_email: &str) -> reqwest::Response {
    app.post_authed("/v1/users/me/email", token, Some(&json!({ "new_email": new_email }))).await
}

async fn confirm(app: &TestApp, token: &str) -> reqwest::Response {
    app.post_json("/v1/users/me/email/confirm", &json!({ "token": token })).await
}

/// The token of the last email-change link mailed to `email`.
async fn link_token(app: &TestApp, email: &str) -> String {
    match app.mails_to(email).await.last() {
        Some(Mail::EmailChangeConfirm { link, .. }) => token_from_link(link),
        other => panic!("expected an email-change link to {email}, got {other:?}"),
    }
}

async fn a_request_mails_a_link_to_the_new_address_and_a_notice_to_the_old(backend: Backend) {
    let app = crate::helpers::spawn_app_with(backend, &[TEMPLATE]).await;
    let (email, token) = app.signed_in_user().await;
    let new_email = unique_email();

    let res = request(&app, &token, &new_email.to_uppercase()).await;
    assert_eq!(res.status(), 202);
    match app.mails_to(&new_email).await.as_slice() {
        [Mail::EmailChangeConfirm { link, ttl_minutes, .. }] => {
            assert!(link.starts_with("https://app.example/email?token="), "{link}");
            assert_eq!(token_from_link(link).len(), 43);
            assert_eq!(*ttl_minutes, 24 * 60);
        }
        other => panic!("{other:?}"),
    }
    match app.mails_to(&email).await.last() {
        Some(Mail::EmailChangeNotice { new_email: named, .. }) => {
            assert_eq!(named, &format!("u***@{}", new_email.split_once('@').unwrap().1));
        }
        other => panic!("expected a notice to the old address, got {other:?}"),
    }
    // Nothing changed yet.
    let me: Value = app.get_authed("/v1/users/me", &token).await.json().await.unwrap();
    assert_eq!(me["email"], email);

    for (body, code) in [("not an address", "invalid_email"), ("", "required"), (email.as_str(), "unchanged")] {
        let problem = assert_problem(request(&app, &token, body).await, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], "new_email", "{problem}");
        assert_eq!(problem["errors"][0]["code"], code, "{problem}");
    }
    // One request per account per mail cooldown.
    assert_problem(request(&app, &token, &unique_email()).await, 429, "cooldown").await;
    let anonymous = app.post_json("/v1/users/me/email", &json!({ "new_email": unique_email() })).await;
    assert_problem(anonymous, 401, "unauthenticated").await;
    assert_problem(confirm(&app, "").await, 422, "validation_failed").await;
    assert_problem(confirm(&app, "no-such-token").await, 400, "invalid_token").await;
}

async fn the_link_switches_the_address_once_and_ends_the_other_sessions(backend: Backend) {
    let app = spawn_app(backend).await;
    let (email, login) = app.signed_in().await;
    let token = login["access_token"].as_str().unwrap();
    let other = app.login_ok(&email, PASSWORD).await;
    let new_email = unique_email();
    assert_eq!(request(&app, token, &new_email).await.status(), 202);
    let link = link_token(&app, &new_email).await;
    // The default link opens the server's own page (its host is `localhost:8080`: the path and
    // query are asked of the test server).
    let default = match app.mails_to(&new_email).await.last() {
        Some(Mail::EmailChangeConfirm { link, .. }) => link.clone(),
        other => panic!("{other:?}"),
    };
    let path = default.strip_prefix("http://localhost:8080").expect(&default);
    assert!(path.starts_with(identity_http::pages::CONFIRM_EMAIL_CHANGE), "{default}");
    let page = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers().get("content-security-policy").unwrap().to_str().unwrap().to_owned();
    assert_eq!(csp, identity_http::pages::CSP);
    assert!(page.text().await.unwrap().contains("data-page=\"confirm-email-change\""));

    // No sign-in needed: the token proves it.
    let res = confirm(&app, &link).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
    let user: Value = res.json().await.unwrap();
    assert_eq!(user["email"], new_email);
    assert_eq!(user["email_verified"], true);
    assert_problem(confirm(&app, &link).await, 400, "invalid_token").await;

    // The session that asked stays; every other one ended.
    let me: Value = app.get_authed("/v1/users/me", token).await.json().await.unwrap();
    assert_eq!((me["email"].as_str(), me["email_verified"].as_bool()), (Some(new_email.as_str()), Some(true)));
    assert_problem(app.me_with_bearer(other["access_token"].as_str().unwrap()).await, 401, "unauthenticated").await;
    assert_eq!(app.refresh(other["refresh_token"].as_str().unwrap()).await.status(), 401);
    // The new address signs in, the old one no longer does.
    app.login_ok(&new_email, PASSWORD).await;
    assert_problem(app.login(&email, PASSWORD).await, 401, "invalid_credentials").await;

    let id = user["id"].as_str().unwrap();
    let audit: Value = app.get_authed("/v1/users/me/audit", token).await.json().await.unwrap();
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.contains(&"email.change_requested") && actions.contains(&"email.changed"), "{audit}");
    if backend == Backend::Postgres {
        let mut db = crate::helpers::Db::connect(app.database_url.as_deref().unwrap()).await;
        let id = uuid::Uuid::parse_str(id).unwrap();
        assert_eq!(db.user(id).await.unwrap().email, new_email);
        let updated: Vec<_> =
            db.outbox_for(id).await.into_iter().filter(|row| row.event_type == "user.updated").collect();
        assert_eq!(updated.len(), 1, "{updated:?}");
        assert_eq!(updated[0].payload["changed"], json!(["email"]), "{:?}", updated[0].payload);
        let reason = "sessions WHERE revoked_reason = 'email_changed'";
        assert_eq!(db.count(&format!("{reason} AND user_id = '{id}'")).await, 1);
    }
}

async fn a_taken_address_is_told_only_at_the_confirmation(backend: Backend) {
    let app = spawn_app(backend).await;
    let (taken, _) = app.signed_in_user().await;
    let (email, token) = app.signed_in_user().await;
    let (_, other_token) = app.signed_in_user().await;

    let to_taken = request(&app, &token, &taken).await;
    let to_free = request(&app, &other_token, &unique_email()).await;
    assert_eq!((to_taken.status().as_u16(), to_free.status().as_u16()), (202, 202));
    assert_eq!(to_taken.text().await.unwrap(), to_free.text().await.unwrap());
    // The same mails go out: a link to the taken address, a notice to the old one.
    let link = link_token(&app, &taken).await;
    assert!(matches!(app.mails_to(&email).await.last(), Some(Mail::EmailChangeNotice { .. })));

    assert_problem(confirm(&app, &link).await, 409, "email_taken").await;
    app.login_ok(&email, PASSWORD).await;
    assert_eq!(app.me_with_bearer(&token).await.status(), 200);
}

async fn a_new_request_voids_the_earlier_link(backend: Backend) {
    let (app, clock) = spawn_app_with_clock(backend, &[]).await;
    let (_, token) = app.signed_in_user().await;
    let (first, second) = (unique_email(), unique_email());
    assert_eq!(request(&app, &token, &first).await.status(), 202);
    assert_problem(request(&app, &token, &second).await, 429, "cooldown").await;
    clock.elapse(Duration::from_secs(61)).await;
    assert_eq!(request(&app, &token, &second).await.status(), 202);

    assert_problem(confirm(&app, &link_token(&app, &first).await).await, 400, "invalid_token").await;
    let res = confirm(&app, &link_token(&app, &second).await).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["email"], second);
}

async fn the_change_needs_a_recent_sign_in(backend: Backend) {
    let (app, clock) = spawn_app_with_clock(backend, &[]).await;
    let (_, token) = app.signed_in_user().await;
    clock.elapse(Duration::from_secs(11 * 60)).await;
    let new_email = unique_email();
    assert_problem(request(&app, &token, &new_email).await, 403, "reauthentication_required").await;
    assert!(app.mails_to(&new_email).await.is_empty());

    let res = app.post_authed("/v1/auth/reauthenticate", &token, Some(&json!({ "password": PASSWORD }))).await;
    assert_eq!(res.status(), 200);
    let renewed: Value = res.json().await.unwrap();
    let fresh = renewed["access_token"].as_str().unwrap();
    assert_eq!(request(&app, fresh, &new_email).await.status(), 202);
    // The link outlives the step-up window: confirming needs no recent sign-in.
    clock.elapse(Duration::from_secs(60 * 60)).await;
    assert_eq!(confirm(&app, &link_token(&app, &new_email).await).await.status(), 200);
}
