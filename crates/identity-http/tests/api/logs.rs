#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, captured_logs, spawn_app, unique_email};

both_backends!(no_password_hash_or_token_is_ever_logged);

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
