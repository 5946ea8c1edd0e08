#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{
    Backend, PASSWORD, assert_problem, spawn_app, spawn_app_with, spawn_app_with_admin, token_from_link, unique_email,
};

both_backends!(
    the_bootstrap_admin_email_is_admin_once_it_proves_the_address,
    admins_list_and_search_users,
    paging_never_skips_or_repeats_under_concurrent_registrations,
    admins_lock_delete_restore_and_change_roles,
    concurrent_demotions_leave_an_admin,
    admins_create_accounts_with_a_password_or_an_invitation,
    admins_mail_a_password_reset_link_they_never_see,
);

async fn admins_lock_delete_restore_and_change_roles(backend: Backend) {
    let boss = unique_email();
    let app = spawn_app_with(backend, &[("BOOTSTRAP_ADMIN_EMAIL", &boss)]).await;
    let token = admin(&app, &boss).await;
    let (email, login) = app.signed_in().await;
    let id = login["user"]["id"].as_str().unwrap().to_owned();
    let user_token = login["access_token"].as_str().unwrap().to_owned();
    let post = |path: String| {
        let app = &app;
        let token = token.clone();
        async move { app.client.post(app.url(&path)).bearer_auth(token).send().await.unwrap() }
    };

    // Lock: sessions end, sign-in refused; unlock: back.
    let locked: Value = post(format!("/v1/admin/users/{id}/lock")).await.json().await.unwrap();
    assert_eq!(locked["status"], "locked");
    assert_eq!(app.me_with_bearer(&user_token).await.status(), 401);
    // Locked: even the right password gets the answer of a wrong one (no oracle).
    assert_problem(app.login(&email, PASSWORD).await, 401, "invalid_credentials").await;
    assert_eq!(post(format!("/v1/admin/users/{id}/unlock")).await.status(), 200);
    app.login_ok(&email, PASSWORD).await;

    // Soft delete and restore.
    let deleted =
        app.client.delete(app.url(&format!("/v1/admin/users/{id}"))).bearer_auth(&token).send().await.unwrap();
    // Like every DELETE: 204 without a body.
    assert_eq!(deleted.status(), 204);
    assert!(deleted.text().await.unwrap().is_empty());
    let one: Value = app.get_authed(&format!("/v1/admin/users/{id}"), &token).await.json().await.unwrap();
    assert_eq!(one["status"], "deleted");
    assert_problem(app.login(&email, PASSWORD).await, 401, "invalid_credentials").await;
    let listed: Value = app.get_authed("/v1/admin/users?status=deleted", &token).await.json().await.unwrap();
    assert_eq!(listed["items"][0]["id"], id.as_str());
    assert_eq!(post(format!("/v1/admin/users/{id}/restore")).await.status(), 200);
    let fresh = app.login_ok(&email, PASSWORD).await;

    // Roles: promote, then the promoted one may use admin routes at once.
    let res = app
        .client
        .patch(app.url(&format!("/v1/admin/users/{id}")))
        .bearer_auth(&token)
        .json(&json!({ "roles": ["admin", "user"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["roles"], json!(["admin", "user"]));
    let their_token = fresh["access_token"].as_str().unwrap();
    assert_eq!(app.get_authed("/v1/admin/users", their_token).await.status(), 200);
    let bad = app
        .client
        .patch(app.url(&format!("/v1/admin/users/{id}")))
        .bearer_auth(&token)
        .json(&json!({ "roles": ["root"], "status": "zombie" }))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(bad, 422, "validation_failed").await;
    assert_eq!(problem["errors"].as_array().unwrap().len(), 2);

    // Admin-ended sessions.
    let res =
        app.client.delete(app.url(&format!("/v1/admin/users/{id}/sessions"))).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(app.me_with_bearer(their_token).await.status(), 401);
}

async fn admin(app: &crate::helpers::TestApp, email: &str) -> String {
    app.bootstrap_admin(email).await
}

async fn admins_list_and_search_users(backend: Backend) {
    let boss = unique_email();
    let app = spawn_app_with(backend, &[("BOOTSTRAP_ADMIN_EMAIL", &boss)]).await;
    let token = admin(&app, &boss).await;
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let mut ids = Vec::new();
    for i in 0..3 {
        let res = app
            .post_json("/v1/auth/register", &json!({ "email": format!("find{tag}{i}@example.com"), "password": PASSWORD, "name": format!("Quinn {i}") }))
            .await;
        ids.push(res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned());
    }
    let page: Value = app.get_authed(&format!("/v1/admin/users?query=FIND{tag}"), &token).await.json().await.unwrap();
    let found: Vec<&str> = page["items"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap()).collect();
    assert_eq!(found, ids.iter().map(String::as_str).collect::<Vec<_>>());
    let by_name: Value = app.get_authed("/v1/admin/users?query=quinn&limit=2", &token).await.json().await.unwrap();
    assert_eq!(by_name["items"].as_array().unwrap().len(), 2);
    assert!(by_name["next_cursor"].is_string());
    let admins: Value = app.get_authed("/v1/admin/users?role=admin", &token).await.json().await.unwrap();
    assert_eq!(admins["items"].as_array().unwrap().len(), 1);
    assert_eq!(admins["items"][0]["email"], boss);
    let one: Value = app.get_authed(&format!("/v1/admin/users/{}", ids[1]), &token).await.json().await.unwrap();
    assert_eq!(one["profile"]["name"], "Quinn 1");
    assert_problem(
        app.get_authed(&format!("/v1/admin/users/{}", uuid::Uuid::now_v7()), &token).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(app.get_authed("/v1/admin/users?status=zombie", &token).await, 422, "validation_failed").await;
    // Not for plain users: not the list, not someone's record by id.
    let (_, plain) = app.signed_in_user().await;
    assert_problem(app.get_authed("/v1/admin/users", &plain).await, 403, "forbidden").await;
    assert_problem(app.get_authed(&format!("/v1/admin/users/{}", ids[0]), &plain).await, 403, "forbidden").await;
}

async fn paging_never_skips_or_repeats_under_concurrent_registrations(backend: Backend) {
    let boss = unique_email();
    let app = spawn_app_with(backend, &[("BOOTSTRAP_ADMIN_EMAIL", &boss)]).await;
    let token = admin(&app, &boss).await;
    for _ in 0..12 {
        assert_eq!(app.register(&unique_email(), PASSWORD).await.status(), 201);
    }
    let before: Value = app.get_authed("/v1/admin/users?limit=100", &token).await.json().await.unwrap();
    let existing: Vec<String> =
        before["items"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap().to_owned()).collect();

    // Walk the list 3 at a time while new accounts keep arriving.
    let walker = async {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/v1/admin/users?limit=3&cursor={c}"),
                None => "/v1/admin/users?limit=3".to_owned(),
            };
            let page: Value = app.get_authed(&path, &token).await.json().await.unwrap();
            seen.extend(page["items"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap().to_owned()));
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break seen,
            }
        }
    };
    let inserter = async {
        for _ in 0..10 {
            assert_eq!(app.register(&unique_email(), PASSWORD).await.status(), 201);
        }
    };
    let (seen, ()) = tokio::join!(walker, inserter);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no row twice");
    for id in &existing {
        assert!(seen.contains(id), "every row that existed is seen exactly once");
    }
}

/// Registering `BOOTSTRAP_ADMIN_EMAIL` gives nothing: on a public server anyone can register
/// any address. The role comes once the address is proven by the mailed link, audited as a
/// role grant with a `user.updated` event (`changed: ["roles"]`); the mailed code of two-step
/// registration proves it too.
async fn the_bootstrap_admin_email_is_admin_once_it_proves_the_address(backend: Backend) {
    let email = unique_email();
    let app = spawn_app_with(backend, &[("BOOTSTRAP_ADMIN_EMAIL", &email)]).await;
    let mut bus = app.bus.as_ref().map(|b| b.subscribe());
    let res = app.register(&email.to_uppercase(), PASSWORD).await;
    assert_eq!(res.status(), 201);
    let registered: Value = res.json().await.unwrap();
    assert_eq!(registered["roles"], json!(["user"]), "registering the address is not owning it");
    assert_eq!(registered["email_verified"], false);
    let user_id = registered["id"].as_str().unwrap().to_owned();
    let login = app.login_ok(&email, PASSWORD).await;
    let token = login["access_token"].as_str().unwrap().to_owned();
    assert_eq!(login["user"]["roles"], json!(["user"]));
    assert_problem(app.get_authed("/v1/admin/users", &token).await, 403, "forbidden").await;
    assert_problem(app.get_authed("/v1/admin/audit-logs", &token).await, 403, "forbidden").await;

    assert_eq!(app.verify_address(&email).await.status(), 200);
    // The same token: the admin gate reads the roles the store holds now.
    assert_eq!(app.get_authed("/v1/admin/users", &token).await.status(), 200);
    let me: Value = app.get_authed("/v1/users/me", &token).await.json().await.unwrap();
    assert_eq!(me["roles"], json!(["admin", "user"]));
    let audit: Value = app.get_authed("/v1/admin/audit-logs?action=role.granted", &token).await.json().await.unwrap();
    let grants: Vec<&Value> =
        audit["items"].as_array().unwrap().iter().filter(|e| e["subject_id"] == user_id).collect();
    assert_eq!(grants.len(), 1, "{audit}");
    assert_eq!(grants[0]["metadata"], json!({ "role": "admin", "via": "bootstrap" }));

    let changed_roles = |payload: &Value| payload["changed"] == json!(["roles"]);
    match backend {
        Backend::Postgres => {
            let mut db = crate::helpers::Db::connect(app.database_url.as_deref().unwrap()).await;
            let events = db.outbox_for(uuid::Uuid::parse_str(&user_id).unwrap()).await;
            let kinds: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
            assert_eq!(kinds, ["user.registered", "user.verified", "user.updated"], "{events:?}");
            assert!(changed_roles(&events[2].payload), "{events:?}");
        }
        Backend::Memory => {
            let bus = bus.as_mut().unwrap();
            let mut kinds = Vec::new();
            while kinds.len() < 3 {
                let event = tokio::time::timeout(std::time::Duration::from_secs(5), bus.recv()).await.unwrap().unwrap();
                if event.aggregate_id.to_string() == user_id {
                    if event.event_type.as_str() == "user.updated" {
                        assert!(changed_roles(&event.payload), "{:?}", event.payload);
                    }
                    kinds.push(event.event_type.as_str().to_owned());
                }
            }
            assert_eq!(kinds, ["user.registered", "user.verified", "user.updated"]);
        }
    }
    // Everyone else is a plain user.
    let (_, other) = app.signed_in_user().await;
    assert_problem(app.get_authed("/v1/admin/audit-logs", &other).await, 403, "forbidden").await;

    // Two-step registration: the mailed code proves the address, so the account is admin at once.
    let email = unique_email();
    let app = spawn_app_with(backend, &[("BOOTSTRAP_ADMIN_EMAIL", &email)]).await;
    let body = json!({ "email": email, "password": PASSWORD });
    assert_eq!(app.post_json("/v1/auth/register/request", &body).await.status(), 202);
    let code = match app.mails_to(&email).await.last() {
        Some(identity_core::ports::Mail::RegistrationCode { code, .. }) => code.clone(),
        other => panic!("expected a registration code, got {other:?}"),
    };
    let res = app.post_json("/v1/auth/register/confirm", &json!({ "email": email, "code": code })).await;
    assert_eq!(res.status(), 201);
    let confirmed: Value = res.json().await.unwrap();
    assert_eq!(confirmed["user"]["roles"], json!(["admin", "user"]), "{confirmed}");
    let token = confirmed["access_token"].as_str().unwrap();
    assert_eq!(app.get_authed("/v1/admin/users", token).await.status(), 200);
}

/// An existing account becomes admin at start-up; a demoted admin loses access with the
/// token still in hand; `identity create-admin` grants the role from the command line.
#[tokio::test]
async fn admins_are_granted_at_start_up_and_by_command_and_demoted_at_once() {
    let app = spawn_app(Backend::Postgres).await;
    let url = app.database_url.clone().unwrap();
    let (email, token) = app.signed_in_user().await;
    assert_problem(app.get_authed("/v1/admin/audit-logs", &token).await, 403, "forbidden").await;

    // Not while the address is unproven…
    let restarted = spawn_app_with(Backend::Memory, &[("DATABASE_URL", &url), ("BOOTSTRAP_ADMIN_EMAIL", &email)]).await;
    assert_problem(app.get_authed("/v1/admin/audit-logs", &token).await, 403, "forbidden").await;
    drop(restarted);
    // …but at the next start once it is (this server has no BOOTSTRAP_ADMIN_EMAIL).
    assert_eq!(app.verify_address(&email).await.status(), 200);
    assert_problem(app.get_authed("/v1/admin/audit-logs", &token).await, 403, "forbidden").await;
    let restarted = spawn_app_with(Backend::Memory, &[("DATABASE_URL", &url), ("BOOTSTRAP_ADMIN_EMAIL", &email)]).await;
    assert_eq!(app.get_authed("/v1/admin/audit-logs", &token).await.status(), 200, "the same token, now admin");
    drop(restarted);

    let mut db = crate::helpers::Db::connect(&url).await;
    db.execute("DELETE FROM user_roles WHERE role_id = (SELECT id FROM roles WHERE name = 'admin')").await.unwrap();
    assert_problem(app.get_authed("/v1/admin/audit-logs", &token).await, 403, "forbidden").await;

    let run = |email: &str| {
        Command::new(env!("CARGO_BIN_EXE_identity"))
            .args(["create-admin", email])
            .env_clear()
            .env("DATABASE_URL", &url)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    // The operator's command grants the role to an unproven address too, audited with its event.
    let (other, other_token) = app.signed_in_user().await;
    let me: Value = app.get_authed("/v1/users/me", &other_token).await.json().await.unwrap();
    let other_id = me["id"].as_str().unwrap().to_owned();
    let out = run(&other);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(app.get_authed("/v1/admin/users", &other_token).await.status(), 200);
    let events = db.outbox_for(uuid::Uuid::parse_str(&other_id).unwrap()).await;
    let updated: Vec<_> = events.iter().filter(|e| e.event_type == "user.updated").collect();
    assert_eq!(updated.len(), 1, "{events:?}");
    assert_eq!(updated[0].payload["changed"], json!(["roles"]));
    let audit: Value =
        app.get_authed("/v1/admin/audit-logs?action=role.granted", &other_token).await.json().await.unwrap();
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["subject_id"] == other_id && e["metadata"]["via"] == "command"),
        "{audit}"
    );
    db.execute(&format!(
        "DELETE FROM user_roles WHERE user_id = '{other_id}' AND role_id = (SELECT id FROM roles WHERE name = 'admin')"
    ))
    .await
    .unwrap();
    let out = run(&email);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(app.get_authed("/v1/admin/audit-logs", &token).await.status(), 200);
    let missing = run(&unique_email());
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no account"));

    // The last active admin can neither lose the role nor be locked out.
    let me: Value = app.get_authed("/v1/users/me", &token).await.json().await.unwrap();
    let my_id = me["id"].as_str().unwrap();
    let demote = app
        .client
        .patch(app.url(&format!("/v1/admin/users/{my_id}")))
        .bearer_auth(&token)
        .json(&json!({ "roles": ["user"] }))
        .send()
        .await
        .unwrap();
    assert_problem(demote, 409, "last_admin").await;
    let lock =
        app.client.post(app.url(&format!("/v1/admin/users/{my_id}/lock"))).bearer_auth(&token).send().await.unwrap();
    assert_problem(lock, 409, "last_admin").await;
    assert_eq!(app.get_authed("/v1/admin/audit-logs", &token).await.status(), 200);
    // Nor delete their own account.
    let res = app
        .client
        .delete(app.url("/v1/users/me"))
        .bearer_auth(&token)
        .json(&json!({ "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_problem(res, 409, "last_admin").await;
}

/// Two admins demoting each other at the same instant: one wins, one admin stays.
async fn concurrent_demotions_leave_an_admin(backend: Backend) {
    let boss = unique_email();
    let app = spawn_app_with(backend, &[("BOOTSTRAP_ADMIN_EMAIL", &boss)]).await;
    let boss_token = admin(&app, &boss).await;
    for round in 0..5 {
        let (_, login) = app.signed_in().await;
        let other_id = login["user"]["id"].as_str().unwrap().to_owned();
        let other_token = login["access_token"].as_str().unwrap().to_owned();
        let promote = app
            .client
            .patch(app.url(&format!("/v1/admin/users/{other_id}")))
            .bearer_auth(&boss_token)
            .json(&json!({ "roles": ["admin", "user"] }))
            .send()
            .await
            .unwrap();
        assert_eq!(promote.status(), 200);
        let me: Value = app.get_authed("/v1/users/me", &boss_token).await.json().await.unwrap();
        let boss_id = me["id"].as_str().unwrap().to_owned();
        let demote = |target: String, token: String| {
            let app = &app;
            async move {
                app.client
                    .patch(app.url(&format!("/v1/admin/users/{target}")))
                    .bearer_auth(token)
                    .json(&json!({ "roles": ["user"] }))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        };
        let (a, b) = tokio::join!(demote(other_id.clone(), boss_token.clone()), demote(boss_id, other_token));
        let mut statuses = [a, b];
        statuses.sort_unstable();
        // Either one demotion won and the other found the last admin (409), or the loser had
        // already lost the role by the time its request was checked (403).
        assert!(statuses == [200, 409] || statuses == [200, 403], "round {round}: {statuses:?}");
        let admins: Value = app.get_authed("/v1/admin/users?role=admin", &boss_token).await.json().await.unwrap();
        if a == 200 {
            assert_eq!(admins["items"].as_array().unwrap().len(), 1, "round {round}");
        } else {
            // The boss was demoted: the game is over.
            return;
        }
    }
}

async fn admins_create_accounts_with_a_password_or_an_invitation(backend: Backend) {
    let (app, token) = spawn_app_with_admin(backend).await;
    let create = |body: Value, key: Option<&'static str>| {
        let (app, token) = (&app, token.clone());
        async move {
            let mut req = app.client.post(app.url("/v1/admin/users")).bearer_auth(token).json(&body);
            if let Some(key) = key {
                req = req.header("Idempotency-Key", key);
            }
            req.send().await.unwrap()
        }
    };

    // With a password: usable at once, with the roles asked for.
    let grace = unique_email();
    let res = create(
        json!({ "email": grace, "password": PASSWORD, "name": "Grace Hopper", "roles": ["admin"], "email_verified": true }),
        Some("create-grace"),
    )
    .await;
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = res.json().await.unwrap();
    assert!(created.get("password_hash").is_none() && created.get("password").is_none());
    assert_eq!(created["roles"], json!(["admin", "user"]));
    assert_eq!(created["email_verified"], true);
    assert_eq!(location, format!("/v1/admin/users/{}", created["id"].as_str().unwrap()));
    assert_eq!(app.get_authed(&location, &token).await.json::<Value>().await.unwrap()["email"], grace.as_str());
    app.login_ok(&grace, PASSWORD).await;
    assert!(app.mails_to(&grace).await.is_empty(), "no mail when the admin set the password");
    // A retry with the same key gets the same answer, not a 409.
    let again = create(
        json!({ "email": grace, "password": PASSWORD, "name": "Grace Hopper", "roles": ["admin"], "email_verified": true }),
        Some("create-grace"),
    )
    .await;
    assert_eq!((again.status().as_u16(), again.headers()["idempotent-replayed"].to_str().unwrap()), (201, "true"));
    assert_eq!(again.json::<Value>().await.unwrap(), created);
    assert_problem(create(json!({ "email": grace.to_uppercase() }), None).await, 409, "email_taken").await;

    // Without one: an invitation whose link sets the password and verifies the address.
    let linus = unique_email();
    let res = create(json!({ "email": linus }), None).await;
    assert_eq!(res.status(), 201);
    let invited: Value = res.json().await.unwrap();
    assert_eq!((invited["roles"].clone(), invited["email_verified"].clone()), (json!(["user"]), json!(false)));
    let link = match app.mails_to(&linus).await.last() {
        Some(identity_core::ports::Mail::Invitation { link, ttl_minutes, .. }) => {
            assert_eq!(*ttl_minutes, 7 * 24 * 60);
            link.clone()
        }
        other => panic!("expected an invitation, got {other:?}"),
    };
    assert_problem(app.login(&linus, PASSWORD).await, 401, "invalid_credentials").await;
    let set = app
        .post_json("/v1/auth/password/reset", &json!({ "token": token_from_link(&link), "new_password": PASSWORD }))
        .await;
    assert_eq!(set.status(), 204);
    let signed_in = app.login_ok(&linus, PASSWORD).await;
    assert_eq!(signed_in["user"]["email_verified"], true);

    // Bad input, every field named; non-admins refused.
    let res =
        create(json!({ "email": "not-an-address", "password": "short", "username": "x", "roles": ["root"] }), None)
            .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    let mut fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["email", "password", "roles", "username"]);
    let problem = assert_problem(
        create(json!({ "email": unique_email(), "status": "active" }), None).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "status");
    let user_token = signed_in["access_token"].as_str().unwrap();
    let res = app
        .client
        .post(app.url("/v1/admin/users"))
        .bearer_auth(user_token)
        .json(&json!({ "email": unique_email() }))
        .send()
        .await
        .unwrap();
    assert_problem(res, 403, "forbidden").await;

    if backend == Backend::Postgres {
        let mut db = crate::helpers::Db::connect(app.database_url.as_deref().unwrap()).await;
        let id: uuid::Uuid = invited["id"].as_str().unwrap().parse().unwrap();
        let events: Vec<String> = db.outbox_for(id).await.into_iter().map(|e| e.event_type).collect();
        assert_eq!(events[0], "user.registered");
        assert_eq!(db.count("audit_logs WHERE action = 'user.registered' AND metadata->>'method' = 'admin'").await, 2);
        assert_eq!(db.count(&format!("audit_logs WHERE actor_id <> user_id AND user_id = '{id}'")).await, 1);
    }
}

/// Issue 25, point 7: an admin has the user mailed a reset link (Keycloak's credential reset);
/// the admin's answer carries nothing, the user's sessions last until the link is used, and
/// the request is audited with the admin as actor.
async fn admins_mail_a_password_reset_link_they_never_see(backend: Backend) {
    let (app, token) = spawn_app_with_admin(backend).await;
    let me: Value = app.get_authed("/v1/users/me", &token).await.json().await.unwrap();
    let admin_id = me["id"].as_str().unwrap().to_owned();
    let (email, login) = app.signed_in().await;
    let id = login["user"]["id"].as_str().unwrap().to_owned();
    let user_token = login["access_token"].as_str().unwrap().to_owned();
    let reset_path = |id: &str| format!("/v1/admin/users/{id}/password-reset");
    let mails_before = app.mails_to(&email).await.len();

    let res = app.post_authed(&reset_path(&id), &token, None).await;
    assert_eq!(res.status(), 202);
    let answer = res.text().await.unwrap();
    let mails = app.mails_to(&email).await;
    assert_eq!(mails.len(), mails_before + 1, "exactly one mail");
    let reset = match mails.last() {
        Some(identity_core::ports::Mail::PasswordReset { link, ttl_minutes, .. }) => {
            assert_eq!(*ttl_minutes, 60, "PASSWORD_RESET_TTL_SECONDS, not the invitation's");
            token_from_link(link)
        }
        other => panic!("expected a reset mail, got {other:?}"),
    };
    assert_eq!(reset.len(), 43);
    assert!(!answer.contains(&reset), "the admin never sees the token: {answer}");
    assert!(answer.is_empty(), "{answer}");
    // Nothing is revoked until the link is used.
    assert_eq!(app.me_with_bearer(&user_token).await.status(), 200);
    // The mail cooldown of `password/forgot`: no mail bombs, by admins or anyone else.
    let again = app.post_authed(&reset_path(&id), &token, None).await;
    assert!(again.headers().contains_key("retry-after"));
    assert_problem(again, 429, "cooldown").await;
    assert_problem(app.post_json("/v1/auth/password/forgot", &json!({ "email": email })).await, 429, "cooldown").await;
    assert_eq!(app.mails_to(&email).await.len(), mails_before + 1);

    // The user chooses the password with the link; the old one stops working, and so does
    // every session.
    let new_password = "a brand new passphrase";
    let res = app.post_json("/v1/auth/password/reset", &json!({ "token": reset, "new_password": new_password })).await;
    assert_eq!(res.status(), 204);
    assert_problem(app.login(&email, PASSWORD).await, 401, "invalid_credentials").await;
    assert_eq!(app.me_with_bearer(&user_token).await.status(), 401);
    let fresh = app.login_ok(&email, new_password).await;
    let fresh_token = fresh["access_token"].as_str().unwrap();

    // Audited: the admin asked, about the user.
    let audit: Value = app
        .get_authed(&format!("/v1/admin/audit-logs?action=password.reset_requested&user_id={id}"), &token)
        .await
        .json()
        .await
        .unwrap();
    let entries = audit["items"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{audit}");
    assert_eq!(entries[0]["actor_id"], admin_id.as_str());
    assert_eq!(entries[0]["subject_id"], id.as_str());
    assert_eq!(entries[0]["metadata"]["via"], "admin");
    assert!(!audit.to_string().contains(&reset));

    // Admins only: 401 without a token, 403 for a user (even about themself).
    let anonymous = app.client.post(app.url(&reset_path(&id))).send().await.unwrap();
    assert_problem(anonymous, 401, "unauthenticated").await;
    assert_problem(app.post_authed(&reset_path(&id), fresh_token, None).await, 403, "forbidden").await;
    // Unknown and deleted accounts are not found; disabled or admin-locked ones, whose link
    // could not be used, are refused; none gets a mail.
    let unknown = uuid::Uuid::now_v7().to_string();
    assert_problem(app.post_authed(&reset_path(&unknown), &token, None).await, 404, "not_found").await;
    for (status, code) in [("deleted", "not_found"), ("disabled", "account_disabled"), ("locked", "account_locked")] {
        let (other, login) = app.signed_in().await;
        let other_id = login["user"]["id"].as_str().unwrap().to_owned();
        let res = app
            .client
            .patch(app.url(&format!("/v1/admin/users/{other_id}")))
            .bearer_auth(&token)
            .json(&json!({ "status": status }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{status}");
        let before = app.mails_to(&other).await.len();
        let http = if code == "not_found" { 404 } else { 403 };
        assert_problem(app.post_authed(&reset_path(&other_id), &token, None).await, http, code).await;
        assert_eq!(app.mails_to(&other).await.len(), before, "no mail to a {status} account");
    }
}
