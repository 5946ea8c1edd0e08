#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, PASSWORD, TestApp, assert_problem, spawn_app, unique_email};

both_backends!(retries_with_the_same_key_replay_the_first_answer, concurrent_duplicates_run_once);

/// A replica commits a keyed registration and dies before keeping its answer: the retry gets
/// the account the first attempt made (201, the same id), not `email_taken`; so does a keyed
/// group creation. The creating transaction recorded the key (table `request_keys`).
#[tokio::test]
async fn a_retry_whose_answer_was_lost_gets_what_its_first_attempt_made() {
    let (app, admin) = crate::helpers::spawn_app_with_admin(Backend::Postgres).await;
    let key = uuid::Uuid::now_v7().to_string();
    let body = json!({ "email": unique_email(), "password": PASSWORD });
    let first = register_with_key(&app, &key, &body).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    assert!(app.forget_kept_answers().await >= 1);

    let retry = register_with_key(&app, &key, &body).await;
    assert_eq!(retry.status(), 201, "not email_taken");
    let retry: Value = retry.json().await.unwrap();
    assert_eq!((&retry["id"], &retry["email"]), (&first["id"], &first["email"]));
    assert_eq!(app.mails_to(body["email"].as_str().unwrap()).await.len(), 1, "one account, one mail");
    // The same key with another body is still refused.
    app.forget_kept_answers().await;
    let other = json!({ "email": unique_email(), "password": PASSWORD });
    assert_problem(register_with_key(&app, &key, &other).await, 422, "idempotency_key_reused").await;

    let create_group = || {
        app.client
            .post(app.url("/v1/admin/groups"))
            .bearer_auth(&admin)
            .header("Idempotency-Key", "group-lost-answer")
            .json(&json!({ "name": "Lost answers" }))
            .send()
    };
    let group: Value = create_group().await.unwrap().json().await.unwrap();
    assert!(app.forget_kept_answers().await >= 1);
    let again = create_group().await.unwrap();
    assert_eq!(again.status(), 201, "not group_name_taken");
    assert_eq!(again.json::<Value>().await.unwrap()["id"], group["id"]);
}

async fn register_with_key(app: &TestApp, key: &str, body: &Value) -> reqwest::Response {
    app.client.post(app.url("/v1/auth/register")).header("Idempotency-Key", key).json(body).send().await.unwrap()
}

async fn retries_with_the_same_key_replay_the_first_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = uuid::Uuid::now_v7().to_string();
    let body = json!({ "email": unique_email(), "password": PASSWORD });
    let first = register_with_key(&app, &key, &body).await;
    assert_eq!(first.status(), 201);
    assert_eq!(first.headers()["idempotent-replayed"], "false");
    let first: Value = first.json().await.unwrap();

    // The retry does not register twice: it gets the first answer again.
    let retry = register_with_key(&app, &key, &body).await;
    assert_eq!(retry.status(), 201);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert_eq!(retry.headers()["content-type"], "application/json");
    assert_eq!(retry.json::<Value>().await.unwrap(), first);
    assert_eq!(app.mails_to(body["email"].as_str().unwrap()).await.len(), 1, "one account, one mail");

    // The same key with another body is a client bug.
    let other = json!({ "email": unique_email(), "password": PASSWORD });
    assert_problem(register_with_key(&app, &key, &other).await, 422, "idempotency_key_reused").await;
    // Errors are kept too: a refused request stays refused for its key.
    let key2 = uuid::Uuid::now_v7().to_string();
    let weak = json!({ "email": unique_email(), "password": "short" });
    assert_problem(register_with_key(&app, &key2, &weak).await, 422, "validation_failed").await;
    let replayed = register_with_key(&app, &key2, &weak).await;
    assert_eq!(replayed.headers()["idempotent-replayed"], "true");
    assert_problem(replayed, 422, "validation_failed").await;
    // Without a key nothing is kept; a bad key is refused.
    assert_eq!(
        app.post_json("/v1/auth/register", &json!({ "email": unique_email(), "password": PASSWORD })).await.status(),
        201
    );
    assert_problem(register_with_key(&app, &"k".repeat(300), &body).await, 400, "invalid_idempotency_key").await;
    // A stale access token on a registration does not switch idempotency off.
    let key3 = uuid::Uuid::now_v7().to_string();
    let fresh = json!({ "email": unique_email(), "password": PASSWORD });
    let stale = |key: String| {
        let (app, fresh) = (&app, fresh.clone());
        async move {
            app.client
                .post(app.url("/v1/auth/register"))
                .header("Idempotency-Key", key)
                .bearer_auth("v4.public.expired-or-forged")
                .json(&fresh)
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(stale(key3.clone()).await.status(), 201);
    let again = stale(key3).await;
    assert_eq!((again.status().as_u16(), again.headers()["idempotent-replayed"].to_str().unwrap()), (201, "true"));
}

async fn concurrent_duplicates_run_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = uuid::Uuid::now_v7().to_string();
    let body = json!({ "email": unique_email(), "password": PASSWORD });
    let requests = (0..6).map(|_| register_with_key(&app, &key, &body));
    let statuses: Vec<u16> =
        futures_util::future::join_all(requests).await.iter().map(|r| r.status().as_u16()).collect();
    assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");
    assert!(statuses.contains(&201));
    assert_eq!(app.mails_to(body["email"].as_str().unwrap()).await.len(), 1, "registered once: {statuses:?}");
    // Never a 409 email_taken: duplicates did not run.
    assert_eq!(register_with_key(&app, &key, &body).await.status(), 201);
}
