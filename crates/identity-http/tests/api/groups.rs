#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, assert_problem, spawn_app_with_admin};

both_backends!(
    admins_manage_groups,
    apps_are_the_union_of_direct_and_group_grants,
    only_admins_touch_groups_and_grants,
    bad_group_input_is_refused_by_field,
);

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.unwrap()
}

async fn create_group(app: &TestApp, token: &str, name: &str) -> Value {
    let res = send(app, reqwest::Method::POST, "/v1/admin/groups", token, Some(json!({ "name": name }))).await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

async fn admins_manage_groups(backend: Backend) {
    let (app, token) = spawn_app_with_admin(backend).await;
    use reqwest::Method;

    let res = send(
        &app,
        Method::POST,
        "/v1/admin/groups",
        &token,
        Some(json!({ "name": "  Editors ", "description": "Edit documents" })),
    )
    .await;
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let editors: Value = res.json().await.unwrap();
    assert_eq!(editors["name"], "Editors");
    assert_eq!(editors["description"], "Edit documents");
    let id = editors["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/v1/admin/groups/{id}"));
    let fetched: Value = app.get_authed(&location, &token).await.json().await.unwrap();
    assert_eq!(fetched, editors);

    // Names are unique in any case, on create and on rename.
    let twin = send(&app, Method::POST, "/v1/admin/groups", &token, Some(json!({ "name": "EDITORS" }))).await;
    assert_problem(twin, 409, "group_name_taken").await;
    let readers = create_group(&app, &token, "Readers").await;
    let rid = readers["id"].as_str().unwrap();
    let clash =
        send(&app, Method::PATCH, &format!("/v1/admin/groups/{rid}"), &token, Some(json!({ "name": "editors" }))).await;
    assert_problem(clash, 409, "group_name_taken").await;

    // PATCH: absent fields stay, null clears the description.
    let renamed: Value =
        send(&app, Method::PATCH, &format!("/v1/admin/groups/{id}"), &token, Some(json!({ "name": "Senior editors" })))
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(
        (renamed["name"].as_str(), renamed["description"].as_str()),
        (Some("Senior editors"), Some("Edit documents"))
    );
    assert_ne!(renamed["updated_at"], editors["updated_at"]);
    let cleared: Value =
        send(&app, Method::PATCH, &format!("/v1/admin/groups/{id}"), &token, Some(json!({ "description": null })))
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(cleared["description"], Value::Null);
    assert_eq!(cleared["name"], "Senior editors");

    // Listing: by name prefix, in pages.
    for n in 0..3 {
        create_group(&app, &token, &format!("Team {n}")).await;
    }
    let all: Value = app.get_authed("/v1/admin/groups?query=team&limit=2", &token).await.json().await.unwrap();
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    let cursor = all["next_cursor"].as_str().unwrap();
    let rest: Value = app
        .get_authed(&format!("/v1/admin/groups?query=TEAM&limit=2&cursor={cursor}"), &token)
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(rest["items"].as_array().unwrap())
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Team 0", "Team 1", "Team 2"]);
    assert_eq!(rest["next_cursor"], Value::Null);

    // Members: add (idempotent), list, remove.
    let (member_email, login) = app.signed_in().await;
    let uid = login["user"]["id"].as_str().unwrap().to_owned();
    let member_path = format!("/v1/admin/groups/{id}/members/{uid}");
    assert_eq!(send(&app, Method::PUT, &member_path, &token, None).await.status(), 204);
    assert_eq!(send(&app, Method::PUT, &member_path, &token, None).await.status(), 204);
    let members: Value = app.get_authed(&format!("/v1/admin/groups/{id}/members"), &token).await.json().await.unwrap();
    assert_eq!(members["items"].as_array().unwrap().len(), 1);
    assert_eq!(members["items"][0]["user_id"], uid.as_str());
    assert_eq!(members["items"][0]["email"], member_email.as_str());
    assert_eq!(members["items"][0]["status"], "active");
    let their_groups: Value =
        app.get_authed(&format!("/v1/admin/users/{uid}/groups"), &token).await.json().await.unwrap();
    assert_eq!(their_groups["items"][0]["name"], "Senior editors");
    let nobody = uuid::Uuid::now_v7();
    assert_problem(
        send(&app, Method::PUT, &format!("/v1/admin/groups/{id}/members/{nobody}"), &token, None).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        send(&app, Method::PUT, &format!("/v1/admin/groups/{nobody}/members/{uid}"), &token, None).await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(send(&app, Method::DELETE, &member_path, &token, None).await.status(), 204);
    assert_problem(send(&app, Method::DELETE, &member_path, &token, None).await, 404, "not_found").await;

    // Delete: gone, with its memberships.
    assert_eq!(send(&app, Method::PUT, &member_path, &token, None).await.status(), 204);
    assert_eq!(send(&app, Method::DELETE, &format!("/v1/admin/groups/{id}"), &token, None).await.status(), 204);
    assert_problem(app.get_authed(&location, &token).await, 404, "not_found").await;
    assert_problem(send(&app, Method::DELETE, &format!("/v1/admin/groups/{id}"), &token, None).await, 404, "not_found")
        .await;
    let their_groups: Value =
        app.get_authed(&format!("/v1/admin/users/{uid}/groups"), &token).await.json().await.unwrap();
    assert_eq!(their_groups["items"], json!([]));

    // Every change is in the audit log, by the admin who made it.
    let audit: Value = app.get_authed("/v1/admin/audit-logs?limit=100", &token).await.json().await.unwrap();
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for action in ["group.created", "group.updated", "group.deleted", "group.member_added", "group.member_removed"] {
        assert!(actions.contains(&action), "{action} missing from {actions:?}");
    }
}

async fn apps_are_the_union_of_direct_and_group_grants(backend: Backend) {
    let (app, token) = spawn_app_with_admin(backend).await;
    use reqwest::Method;
    let (_, login) = app.signed_in().await;
    let uid = login["user"]["id"].as_str().unwrap().to_owned();
    let user_token = login["access_token"].as_str().unwrap().to_owned();
    let mut bus = app.bus.as_ref().map(|b| b.subscribe());
    let apps = |token: String| {
        let app = &app;
        async move {
            let res = app.get_authed("/v1/users/me/apps", &token).await;
            assert_eq!(res.status(), 200);
            res.json::<Value>().await.unwrap()["items"].clone()
        }
    };
    assert_eq!(apps(user_token.clone()).await, json!([]));

    let editors = create_group(&app, &token, "Editors").await;
    let analysts = create_group(&app, &token, "analysts").await;
    let (eid, aid) = (editors["id"].as_str().unwrap(), analysts["id"].as_str().unwrap());
    for path in [
        format!("/v1/admin/groups/{eid}/members/{uid}"),
        format!("/v1/admin/groups/{aid}/members/{uid}"),
        format!("/v1/admin/users/{uid}/apps/docs"),
        format!("/v1/admin/groups/{eid}/apps/docs"),
        format!("/v1/admin/groups/{aid}/apps/docs"),
        format!("/v1/admin/groups/{eid}/apps/ai.chat"),
        // Granting twice is harmless.
        format!("/v1/admin/groups/{eid}/apps/ai.chat"),
    ] {
        assert_eq!(send(&app, Method::PUT, &path, &token, None).await.status(), 204, "{path}");
    }
    // A group the user is not in gives them nothing.
    let outsiders = create_group(&app, &token, "Outsiders").await;
    let oid = outsiders["id"].as_str().unwrap();
    assert_eq!(
        send(&app, Method::PUT, &format!("/v1/admin/groups/{oid}/apps/billing"), &token, None).await.status(),
        204
    );

    let mine = apps(user_token.clone()).await;
    assert_eq!(
        mine,
        json!([
            { "app_key": "ai.chat", "direct": false, "groups": [{ "id": eid, "name": "Editors" }] },
            { "app_key": "docs", "direct": true, "groups": [{ "id": aid, "name": "analysts" }, { "id": eid, "name": "Editors" }] },
        ])
    );
    let seen_by_admin: Value =
        app.get_authed(&format!("/v1/admin/users/{uid}/apps"), &token).await.json().await.unwrap();
    assert_eq!(seen_by_admin["items"], mine);
    let group_apps: Value = app.get_authed(&format!("/v1/admin/groups/{eid}/apps"), &token).await.json().await.unwrap();
    let keys: Vec<&str> =
        group_apps["items"].as_array().unwrap().iter().map(|g| g["app_key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["ai.chat", "docs"]);
    assert!(group_apps["items"][0]["granted_by"].is_string());

    // Taking grants back: the direct one, then a group's; the others still count.
    assert_eq!(
        send(&app, Method::DELETE, &format!("/v1/admin/users/{uid}/apps/docs"), &token, None).await.status(),
        204
    );
    assert_problem(
        send(&app, Method::DELETE, &format!("/v1/admin/users/{uid}/apps/docs"), &token, None).await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        send(&app, Method::DELETE, &format!("/v1/admin/groups/{eid}/apps/ai.chat"), &token, None).await.status(),
        204
    );
    let mine = apps(user_token.clone()).await;
    assert_eq!(
        mine,
        json!([{ "app_key": "docs", "direct": false, "groups": [{ "id": aid, "name": "analysts" }, { "id": eid, "name": "Editors" }] }])
    );
    // Leaving the groups leaves nothing.
    for gid in [eid, aid] {
        let path = format!("/v1/admin/groups/{gid}/members/{uid}");
        assert_eq!(send(&app, Method::DELETE, &path, &token, None).await.status(), 204);
    }
    assert_eq!(apps(user_token).await, json!([]));

    // Each change told the rest of the system: user.updated for the member.
    let expected = ["groups", "groups", "apps", "apps", "apps", "apps", "apps", "apps", "groups", "groups"];
    match backend {
        Backend::Memory => {
            let bus = bus.as_mut().unwrap();
            let mut changes = Vec::new();
            while changes.len() < expected.len() {
                let event = tokio::time::timeout(std::time::Duration::from_secs(5), bus.recv()).await.unwrap().unwrap();
                if event.event_type.as_str() == "user.updated" && event.aggregate_id.to_string() == uid {
                    changes.push(event.payload["changed"].clone());
                }
            }
            assert!(changes.iter().all(|c| c.as_array().unwrap().iter().any(|f| f == "apps" || f == "groups")));
        }
        Backend::Postgres => {
            let mut db = crate::helpers::Db::connect(app.database_url.as_deref().unwrap()).await;
            let updates: Vec<Value> = db
                .outbox_for(uid.parse().unwrap())
                .await
                .into_iter()
                .filter(|e| e.event_type == "user.updated")
                .map(|e| e.payload["changed"].clone())
                .collect();
            // Added to two groups, one direct grant, three group grants, two revocations,
            // removed from two groups.
            assert_eq!(updates.len(), expected.len(), "{updates:?}");
            assert_eq!(updates[0], json!(["groups", "apps"]));
            assert_eq!(updates[2], json!(["apps"]));
            assert_eq!(db.count("app_permissions").await, 3, "docs for analysts and Editors, billing for Outsiders");
        }
    }
}

async fn only_admins_touch_groups_and_grants(backend: Backend) {
    let (app, token) = spawn_app_with_admin(backend).await;
    let group = create_group(&app, &token, "Staff").await;
    let gid = group["id"].as_str().unwrap();
    let (_, login) = app.signed_in().await;
    let uid = login["user"]["id"].as_str().unwrap();
    let user_token = login["access_token"].as_str().unwrap();
    use reqwest::Method;
    let routes = [
        (Method::GET, "/v1/admin/groups".to_owned(), None),
        (Method::POST, "/v1/admin/groups".to_owned(), Some(json!({ "name": "Mine" }))),
        (Method::GET, format!("/v1/admin/groups/{gid}"), None),
        (Method::PATCH, format!("/v1/admin/groups/{gid}"), Some(json!({ "name": "Mine" }))),
        (Method::DELETE, format!("/v1/admin/groups/{gid}"), None),
        (Method::GET, format!("/v1/admin/groups/{gid}/members"), None),
        (Method::PUT, format!("/v1/admin/groups/{gid}/members/{uid}"), None),
        (Method::DELETE, format!("/v1/admin/groups/{gid}/members/{uid}"), None),
        (Method::GET, format!("/v1/admin/groups/{gid}/apps"), None),
        (Method::PUT, format!("/v1/admin/groups/{gid}/apps/docs"), None),
        (Method::DELETE, format!("/v1/admin/groups/{gid}/apps/docs"), None),
        (Method::GET, format!("/v1/admin/users/{uid}/groups"), None),
        (Method::GET, format!("/v1/admin/users/{uid}/apps"), None),
        (Method::PUT, format!("/v1/admin/users/{uid}/apps/docs"), None),
        (Method::DELETE, format!("/v1/admin/users/{uid}/apps/docs"), None),
    ];
    for (method, path, body) in routes {
        let mut req = app.client.request(method.clone(), app.url(&path));
        if let Some(body) = &body {
            req = req.json(body);
        }
        assert_problem(req.send().await.unwrap(), 401, "unauthenticated").await;
        assert_problem(send(&app, method, &path, user_token, body).await, 403, "forbidden").await;
    }
    // Nothing changed: the user granted themselves nothing.
    let mine: Value = app.get_authed("/v1/users/me/apps", user_token).await.json().await.unwrap();
    assert_eq!(mine["items"], json!([]));
    let members: Value = app.get_authed(&format!("/v1/admin/groups/{gid}/members"), &token).await.json().await.unwrap();
    assert_eq!(members["items"], json!([]));
    assert_eq!(
        app.get_authed(&format!("/v1/admin/groups/{gid}"), &token).await.json::<Value>().await.unwrap()["name"],
        "Staff"
    );
}

async fn bad_group_input_is_refused_by_field(backend: Backend) {
    let (app, token) = spawn_app_with_admin(backend).await;
    use reqwest::Method;
    let post = |body: Value| {
        let (app, token) = (&app, token.clone());
        async move { send(app, Method::POST, "/v1/admin/groups", &token, Some(body)).await }
    };
    let field = |problem: &Value| problem["errors"][0]["field"].as_str().unwrap().to_owned();
    for (body, name) in [
        (json!({ "name": "" }), "name"),
        (json!({ "name": "x".repeat(101) }), "name"),
        (json!({ "name": "bad\u{7}bell" }), "name"),
        (json!({ "name": "ok", "description": "d".repeat(1001) }), "description"),
        (json!({ "name": "ok", "owner": "me" }), "owner"),
        (json!({ "name": 5 }), "name"),
        (json!({}), "name"),
    ] {
        let problem = assert_problem(post(body.clone()).await, 422, "validation_failed").await;
        assert_eq!(field(&problem), name, "{body}");
    }
    let group = create_group(&app, &token, "Valid").await;
    let gid = group["id"].as_str().unwrap();
    for key in ["Docs", "-x", "a%20b", "a.b%2Fc", &"k".repeat(65)] {
        let res = send(&app, Method::PUT, &format!("/v1/admin/groups/{gid}/apps/{key}"), &token, None).await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(field(&problem), "app_key", "{key}");
    }
    let res = send(&app, Method::GET, "/v1/admin/groups/not-a-uuid", &token, None).await;
    assert!(res.status() == 404 || res.status() == 422, "{}", res.status());
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let res = send(&app, Method::GET, "/v1/admin/groups?limit=0", &token, None).await;
    assert_problem(res, 422, "validation_failed").await;
    for query in ["limit=abc", "limit=-5"] {
        let res = send(&app, Method::GET, &format!("/v1/admin/groups?{query}"), &token, None).await;
        assert_eq!(field(&assert_problem(res, 422, "validation_failed").await), "limit", "{query}");
    }
    // Idempotent creation: a retry with the same key gets the same group, not a 409.
    let create = |key: &'static str| {
        let (app, token) = (&app, token.clone());
        async move {
            app.client
                .post(app.url("/v1/admin/groups"))
                .bearer_auth(token)
                .header("Idempotency-Key", key)
                .json(&json!({ "name": "Once" }))
                .send()
                .await
                .unwrap()
        }
    };
    let first = create("group-once").await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = create("group-once").await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    // The key is the caller's: someone else replaying it gets no answer of the admin's.
    let (_, login) = app.signed_in().await;
    let user_token = login["access_token"].as_str().unwrap();
    let stolen = app
        .client
        .post(app.url("/v1/admin/groups"))
        .bearer_auth(user_token)
        .header("Idempotency-Key", "group-once")
        .json(&json!({ "name": "Once" }))
        .send()
        .await
        .unwrap();
    assert_problem(stolen, 403, "forbidden").await;
}
