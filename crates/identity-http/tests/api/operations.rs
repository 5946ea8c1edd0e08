#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, spawn_app, spawn_app_with};

both_backends!(health_and_readiness, well_known_keys_match_the_token_footer);

async fn health_and_readiness(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("x-request-id"));
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.json::<Value>().await.unwrap(), json!({ "status": "ok" }));

    let res = app.client.get(app.url("/ready")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    let names: Vec<&str> =
        body["dependencies"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    match backend {
        Backend::Memory => assert!(names.is_empty(), "{names:?}"),
        Backend::Postgres => assert_eq!(names, vec!["postgres", "redis"]),
    }
}

async fn well_known_keys_match_the_token_footer(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = app.get_json("/.well-known/paserk").await;
    let keys = body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    let kid = keys[0]["kid"].as_str().unwrap();
    assert!(kid.starts_with("k4.pid."));
    assert!(keys[0]["paserk"].as_str().unwrap().starts_with("k4.public."));
    let (_, token) = app.signed_in_user().await;
    let footer = token.rsplit('.').next().unwrap();
    let footer = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, footer).unwrap();
    let footer: Value = serde_json::from_slice(&footer).unwrap();
    assert_eq!(footer["kid"], kid);
}

/// A configured key signs; a token from before a rotation keeps working only while the old
/// public key is configured as a verification key.
#[tokio::test]
async fn configured_keys_sign_and_rotation_keeps_old_tokens_valid() {
    let old = identity_crypto::PasetoKeys::generate().unwrap();
    let old_secret = old.secret_paserk();
    let old_public = old.public_keys()[0].1.clone();
    let first = spawn_app_with(Backend::Postgres, &[("PASETO_SECRET_KEY", &old_secret)]).await;
    let (_, token) = first.signed_in_user().await;
    let url = first.database_url.clone().unwrap();

    let new_secret = identity_crypto::PasetoKeys::generate().unwrap().secret_paserk();
    let rotated = spawn_app_with(
        Backend::Memory,
        &[("DATABASE_URL", &url), ("PASETO_SECRET_KEY", &new_secret), ("PASETO_VERIFICATION_KEYS", &old_public)],
    )
    .await;
    assert_eq!(rotated.me_with_bearer(&token).await.status(), 200);
    let keys = rotated.get_json("/.well-known/paserk").await;
    assert_eq!(keys["keys"].as_array().unwrap().len(), 2);

    let retired = spawn_app_with(Backend::Memory, &[("DATABASE_URL", &url), ("PASETO_SECRET_KEY", &new_secret)]).await;
    assert_eq!(retired.me_with_bearer(&token).await.status(), 401);
}

#[test]
fn bad_configuration_names_the_variable() {
    let err = identity_http::Config::from_env(&|name: &str| (name == "PORT").then(|| "http".to_owned())).unwrap_err();
    assert_eq!(err.var, "PORT");
}

/// Lost database connections fail requests cleanly (never a 500) and the pool recovers by
/// itself.
#[tokio::test]
async fn lost_database_connections_recover_without_500s() {
    let app = spawn_app(Backend::Postgres).await;
    let (email, token) = app.signed_in_user().await;
    let mut db = crate::helpers::Db::connect(app.database_url.as_deref().unwrap()).await;
    assert!(db.terminate_other_connections().await >= 1);

    let mut statuses = Vec::new();
    for _ in 0..20 {
        let status = app.me_with_bearer(&token).await.status().as_u16();
        statuses.push(status);
        if status == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(statuses.iter().all(|s| *s == 200 || *s == 503), "{statuses:?}");
    assert_eq!(statuses.last(), Some(&200), "{statuses:?}");
    assert_eq!(app.login(&email, crate::helpers::PASSWORD).await.status(), 200);
}
