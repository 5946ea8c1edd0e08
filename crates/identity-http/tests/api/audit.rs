#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, PASSWORD, assert_problem, spawn_app, unique_email};

both_backends!(security_events_are_audited_for_their_owner);

async fn security_events_are_audited_for_their_owner(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 201);
    assert_eq!(app.login(&email, "not the password").await.status(), 401);
    let login = app.login_ok(&email, PASSWORD).await;
    let token = login["access_token"].as_str().unwrap().to_owned();
    let change = json!({ "current_password": PASSWORD, "new_password": "a brand new passphrase" });
    assert_eq!(app.post_authed("/v1/auth/password/change", &token, Some(&change)).await.status(), 204);
    let second = app.login_ok(&email, "a brand new passphrase").await;
    let token = second["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.post_authed("/v1/auth/logout-all", &token, None).await.status(), 204);
    let token = app.login_ok(&email, "a brand new passphrase").await["access_token"].as_str().unwrap().to_owned();

    let page: Value = app.get_authed("/v1/users/me/audit", &token).await.json().await.unwrap();
    let actions: Vec<&str> = page["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        vec![
            "login.succeeded",
            "session.revoked",
            "login.succeeded",
            "password.changed",
            "login.succeeded",
            "login.failed",
            "user.registered"
        ]
    );
    let failed = &page["items"][5];
    assert_eq!(failed["metadata"]["reason"], "invalid_password");
    assert_eq!(failed["ip"], "127.0.0.1");
    assert_eq!(page["items"][1]["metadata"]["reason"], "logout_all");
    assert_eq!(page["items"][1]["actor_id"], page["items"][1]["subject_id"]);

    let first: Value = app.get_authed("/v1/users/me/audit?limit=3", &token).await.json().await.unwrap();
    assert_eq!(first["items"].as_array().unwrap().len(), 3);
    let cursor = first["next_cursor"].as_str().unwrap();
    let rest: Value =
        app.get_authed(&format!("/v1/users/me/audit?cursor={cursor}"), &token).await.json().await.unwrap();
    assert_eq!(rest["items"].as_array().unwrap().len(), 4);
    assert_eq!(rest["next_cursor"], Value::Null);

    // Someone else sees only their own, and the admin search is for admins.
    let (_, other) = app.signed_in_user().await;
    let theirs: Value = app.get_authed("/v1/users/me/audit", &other).await.json().await.unwrap();
    assert_eq!(theirs["items"].as_array().unwrap().len(), 2);
    assert_problem(app.get_authed("/v1/admin/audit-logs", &other).await, 403, "forbidden").await;
    assert_problem(app.client.get(app.url("/v1/admin/audit-logs")).send().await.unwrap(), 401, "unauthenticated").await;

    if backend == Backend::Postgres {
        let mut db = crate::helpers::Db::connect(app.database_url.as_deref().unwrap()).await;
        // Append-only: the database itself refuses to change or remove entries.
        assert!(db.execute("UPDATE audit_logs SET action = 'x'").await.unwrap_err().contains("append-only"));
        assert!(db.execute("DELETE FROM audit_logs").await.unwrap_err().contains("append-only"));
        let user_id = login["user"]["id"].as_str().unwrap();
        db.execute(&format!(
            "INSERT INTO user_roles (user_id, role_id) SELECT '{user_id}', id FROM roles WHERE name = 'admin'"
        ))
        .await
        .unwrap();
        let search: Value = app
            .get_authed(&format!("/v1/admin/audit-logs?action=login.failed&user_id={user_id}"), &token)
            .await
            .json()
            .await
            .unwrap();
        let items = search["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["action"], "login.failed");
        let bad = app.get_authed("/v1/admin/audit-logs?since=yesterday", &token).await;
        assert_problem(bad, 422, "validation_failed").await;
    }
}
