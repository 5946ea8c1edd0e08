#![allow(clippy::unwrap_used, clippy::expect_used)]

//! The agents catalog and agent instances, on both backends: what users and admins see,
//! versions with `ETag`/`If-Match`, another user's instance as 404, and the events each change
//! writes with it.

use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, assert_problem, spawn_app, spawn_app_with_admin};

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = app.client.request(method, app.url(path)).bearer_auth(token);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

/// Every event about one of `aggregates`, (aggregate, type, payload), in the order written:
/// the outbox on PostgreSQL, the in-process bus (subscribed before the changes) on the
/// embedded store, read until `expected` of them arrived.
async fn events_about(
    app: &TestApp,
    bus: &mut Option<tokio::sync::broadcast::Receiver<identity_core::DomainEvent>>,
    aggregates: &[&str],
    expected: usize,
) -> Vec<(String, String, Value)> {
    let ids: Vec<uuid::Uuid> = aggregates.iter().map(|a| uuid::Uuid::parse_str(a).unwrap()).collect();
    match app.backend {
        Backend::Postgres => {
            let mut db = crate::helpers::Db::connect(app.database_url.as_deref().unwrap()).await;
            let mut seen = Vec::new();
            for id in ids {
                let rows = db.outbox_for(id).await;
                seen.extend(rows.into_iter().map(|row| (id.to_string(), row.event_type, row.payload)));
            }
            seen
        }
        Backend::Memory => {
            let bus = bus.as_mut().unwrap();
            let mut seen = Vec::new();
            while seen.len() < expected {
                let event = tokio::time::timeout(std::time::Duration::from_secs(5), bus.recv()).await.unwrap().unwrap();
                if ids.contains(&event.aggregate_id) {
                    seen.push((event.aggregate_id.to_string(), event.event_type.as_str().to_owned(), event.payload));
                }
            }
            seen
        }
    }
}

/// A new signed-in user: (id, access token).
async fn user(app: &TestApp) -> (String, String) {
    let (_, login) = app.signed_in().await;
    (login["user"]["id"].as_str().unwrap().to_owned(), login["access_token"].as_str().unwrap().to_owned())
}

async fn create_agent(app: &TestApp, admin: &str, body: Value) -> Value {
    let res = send(app, Method::POST, "/v1/admin/agents", admin, Some(body), &[]).await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

async fn the_catalog_shows_users_the_enabled_agents_and_admins_keep_it(backend: Backend) {
    let (app, admin) = spawn_app_with_admin(backend).await;
    let (_, user) = user(&app).await;
    let mut bus = app.bus.as_ref().map(|b| b.subscribe());
    // The embedded default starts with demo agents; PostgreSQL starts empty.
    let start: Value = app.get_authed("/v1/agents", &user).await.json().await.unwrap();
    let demos = start["items"].as_array().unwrap().len();
    assert_eq!(demos, if backend == Backend::Memory { 3 } else { 0 }, "{start}");

    let writer = create_agent(
        &app,
        &admin,
        json!({"name": " Scribe Pro ", "category": "writing", "tags": ["edit", "draft", "edit"], "description": "Writes."}),
    )
    .await;
    assert_eq!(writer["name"], "Scribe Pro");
    assert_eq!(writer["tags"], json!(["draft", "edit"]));
    assert_eq!(writer["enabled"], true);
    let hidden = create_agent(&app, &admin, json!({"name": "Hidden", "category": "ops", "enabled": false})).await;
    let coder =
        create_agent(&app, &admin, json!({"name": "sCRIBE jr", "category": "scripting", "tags": ["rust"]})).await;
    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();

    let names = |page: &Value| -> Vec<String> {
        page["items"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap().to_owned()).collect()
    };
    let listed: Value = app.get_authed("/v1/agents?q=scribe", &user).await.json().await.unwrap();
    assert_eq!(names(&listed), ["Scribe Pro", "sCRIBE jr"], "search is a case-insensitive name prefix");
    let listed: Value = app.get_authed("/v1/agents?tag=draft", &user).await.json().await.unwrap();
    assert_eq!(names(&listed), ["Scribe Pro"]);
    let listed: Value = app.get_authed("/v1/agents?category=scripting", &user).await.json().await.unwrap();
    assert_eq!(names(&listed), ["sCRIBE jr"]);
    // Pages of one, in id order, with no agent twice.
    let mut seen = Vec::new();
    let mut path = "/v1/agents?limit=1".to_owned();
    loop {
        let page: Value = app.get_authed(&path, &user).await.json().await.unwrap();
        seen.extend(names(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/agents?limit=1&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), demos + 2, "{seen:?}");
    assert!(!seen.contains(&"Hidden".to_owned()), "a disabled agent is not in the users' catalog");
    assert_problem(app.get_authed(&format!("/v1/agents/{}", id(&hidden)), &user).await, 404, "not_found").await;
    assert_eq!(app.get_authed(&format!("/v1/admin/agents/{}", id(&hidden)), &admin).await.status(), 200);
    assert_problem(app.get_authed("/v1/agents?tag=Not%20A%20Slug", &user).await, 422, "validation_failed").await;
    assert_problem(app.get_authed("/v1/admin/agents", &user).await, 403, "forbidden").await;
    let bad =
        send(&app, Method::POST, "/v1/admin/agents", &admin, Some(json!({"name": " ", "category": "Not A Slug"})), &[])
            .await;
    let problem = assert_problem(bad, 422, "validation_failed").await;
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "category"], "{problem}");

    let path = format!("/v1/admin/agents/{}", id(&coder));
    let res = send(&app, Method::PATCH, &path, &admin, Some(json!({"enabled": false, "name": "sCRIBE jr"})), &[]).await;
    assert_eq!(res.status(), 200);
    let listed: Value = app.get_authed("/v1/agents?q=scribe", &user).await.json().await.unwrap();
    assert_eq!(names(&listed), ["Scribe Pro"]);
    assert_eq!(send(&app, Method::DELETE, &path, &admin, None, &[]).await.status(), 204);
    assert_problem(app.get_authed(&path, &admin).await, 404, "not_found").await;
    assert_problem(send(&app, Method::DELETE, &path, &admin, None, &[]).await, 404, "not_found").await;

    let events = events_about(&app, &mut bus, &[&id(&coder)], 3).await;
    let kinds: Vec<&str> = events.iter().map(|(_, kind, _)| kind.as_str()).collect();
    assert_eq!(kinds, ["agent.created", "agent.updated", "agent.deleted"], "{events:?}");
    assert_eq!(events[1].2["changed"], json!(["enabled"]), "only what changed: {events:?}");
    let audit: Value = app.get_authed("/v1/admin/audit-logs?action=agent.updated", &admin).await.json().await.unwrap();
    assert_eq!(audit["items"][0]["metadata"], json!({"agent_id": id(&coder), "changed": ["enabled"]}), "{audit}");
}

async fn instances_are_their_owners_versioned_and_evented(backend: Backend) {
    let (app, admin) = spawn_app_with_admin(backend).await;
    let (owner_id, owner) = user(&app).await;
    let (_, stranger) = user(&app).await;
    let mut bus = app.bus.as_ref().map(|b| b.subscribe());
    let agent = create_agent(&app, &admin, json!({"name": "Writer", "category": "writing"})).await;
    let agent_id = agent["id"].as_str().unwrap();

    let body = json!({"agent_id": agent_id, "name": "Mine", "config": {"tone": "dry", "length": "long"}});
    let keyed = [("Idempotency-Key", "instance-1")];
    let res = send(&app, Method::POST, "/v1/instances", &owner, Some(body.clone()), &keyed).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["etag"], "\"1\"");
    let created: Value = res.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    // A new instance is provisioned by a job: `provisioning` at first, then `ready` (with no
    // INSTANCE_PROVISIONER_URL at once), one version later.
    assert_eq!((created["state"].as_str(), created["version"].as_i64()), (Some("provisioning"), Some(1)));
    assert_eq!(created["user_id"], owner_id);
    // The same key and body: the same instance, not a second one.
    let again = send(&app, Method::POST, "/v1/instances", &owner, Some(body), &keyed).await;
    assert_eq!(again.json::<Value>().await.unwrap()["id"], id.as_str());
    let unknown = json!({"agent_id": uuid::Uuid::now_v7(), "name": "x"});
    let problem = assert_problem(
        send(&app, Method::POST, "/v1/instances", &owner, Some(unknown), &[]).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["code"], "unknown_agent", "{problem}");

    let path = format!("/v1/instances/{id}");
    let ready = ready(&app, &owner, &id).await;
    assert_eq!(ready["version"], 2, "{ready}");
    // Someone else's instance does not exist for them: 404, never 403.
    assert_problem(app.get_authed(&path, &stranger).await, 404, "not_found").await;
    let patch = json!({"name": "Renamed"});
    assert_problem(
        send(&app, Method::PATCH, &path, &stranger, Some(patch.clone()), &[("If-Match", "\"1\"")]).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(send(&app, Method::DELETE, &path, &stranger, None, &[]).await, 404, "not_found").await;

    assert_problem(
        send(&app, Method::PATCH, &path, &owner, Some(patch.clone()), &[]).await,
        428,
        "precondition_required",
    )
    .await;
    // The version the client created it with is stale once provisioning moved it.
    assert_problem(
        send(&app, Method::PATCH, &path, &owner, Some(patch.clone()), &[("If-Match", "\"1\"")]).await,
        412,
        "precondition_failed",
    )
    .await;
    let res = send(&app, Method::PATCH, &path, &owner, Some(patch.clone()), &[("If-Match", "\"2\"")]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["etag"], "\"3\"");
    // A client still holding version 2 loses: 412, and nothing changes.
    let stale = json!({"config": {"tone": null, "length": "short"}});
    assert_problem(
        send(&app, Method::PATCH, &path, &owner, Some(stale.clone()), &[("If-Match", "\"2\"")]).await,
        412,
        "precondition_failed",
    )
    .await;
    let res = send(&app, Method::PATCH, &path, &owner, Some(stale), &[("If-Match", "\"3\"")]).await;
    let updated: Value = res.json().await.unwrap();
    assert_eq!(updated["config"], json!({"length": "short"}), "a merge patch: null removes a key");
    assert_eq!(updated["version"], 4);
    let got = app.get_authed(&path, &owner).await;
    assert_eq!(got.headers()["etag"], "\"4\"");

    let listed: Value = app.get_authed("/v1/instances?state=ready", &owner).await.json().await.unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let none: Value = app.get_authed("/v1/instances?state=failed", &owner).await.json().await.unwrap();
    assert_eq!(none["items"], json!([]));
    let theirs: Value = app.get_authed("/v1/instances", &stranger).await.json().await.unwrap();
    assert_eq!(theirs["items"], json!([]));
    assert_problem(app.get_authed("/v1/instances?state=deleted", &owner).await, 422, "validation_failed").await;
    let admin_view = app.get_authed(&format!("/v1/admin/users/{owner_id}/instances"), &admin).await;
    assert_eq!(admin_view.json::<Value>().await.unwrap()["items"][0]["id"], id.as_str());
    assert_eq!(app.get_authed(&format!("/v1/admin/instances/{id}"), &admin).await.status(), 200);
    assert_problem(app.get_authed(&format!("/v1/admin/instances/{id}"), &owner).await, 403, "forbidden").await;

    assert_problem(
        send(&app, Method::DELETE, &path, &owner, None, &[("If-Match", "\"3\"")]).await,
        412,
        "precondition_failed",
    )
    .await;
    assert_eq!(send(&app, Method::DELETE, &path, &owner, None, &[]).await.status(), 204);
    assert_problem(app.get_authed(&path, &owner).await, 404, "not_found").await;

    let events = events_about(&app, &mut bus, &[&id], 5).await;
    let kinds: Vec<&str> = events.iter().map(|(_, kind, _)| kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["instance.created", "instance.updated", "instance.updated", "instance.updated", "instance.deleted"],
        "{events:?}"
    );
    let versions: Vec<i64> = events.iter().map(|(_, _, p)| p["version"].as_i64().unwrap()).collect();
    assert_eq!(versions, [1, 2, 3, 4, 5]);
    assert_eq!((events[0].2["state"].as_str(), events[1].2["state"].as_str()), (Some("provisioning"), Some("ready")));
    assert_eq!(events[1].2["changed"], json!(["state"]));
    assert_eq!(events[2].2["changed"], json!(["name"]));
    assert_eq!(events[3].2["changed"], json!(["config"]));
    assert_eq!(events[4].2["state"], "deleted");
    assert_eq!(events[0].2["user_id"], owner_id);
}

/// The instance `id` once its provisioning made it `ready`.
pub async fn ready(app: &TestApp, token: &str, id: &str) -> Value {
    crate::helpers::eventually("the instance to be ready", std::time::Duration::from_secs(10), async || {
        let instance: Value = app.get_authed(&format!("/v1/instances/{id}"), token).await.json().await.unwrap();
        (instance["state"] == "ready").then_some(instance)
    })
    .await
}

/// Deleting an account ends its instances, one `instance.deleted` each.
async fn a_deleted_account_ends_its_instances(backend: Backend) {
    let (app, admin) = spawn_app_with_admin(backend).await;
    let (owner_id, owner) = user(&app).await;
    let mut bus = app.bus.as_ref().map(|b| b.subscribe());
    let agent = create_agent(&app, &admin, json!({"name": "Writer", "category": "writing"})).await;
    let mut ids = Vec::new();
    for name in ["one", "two"] {
        let body = json!({"agent_id": agent["id"], "name": name});
        let created: Value =
            send(&app, Method::POST, "/v1/instances", &owner, Some(body), &[]).await.json().await.unwrap();
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    for id in &ids {
        ready(&app, &owner, id).await;
    }
    let res = send(&app, Method::DELETE, &format!("/v1/admin/users/{owner_id}"), &admin, None, &[]).await;
    assert_eq!(res.status(), 204);
    let listed: Value =
        app.get_authed(&format!("/v1/admin/users/{owner_id}/instances"), &admin).await.json().await.unwrap();
    assert_eq!(listed["items"], json!([]));
    let about: Vec<&str> = ids.iter().map(String::as_str).collect();
    let events = events_about(&app, &mut bus, &about, 6).await;
    for id in &ids {
        let kinds: Vec<(&str, &str)> = events
            .iter()
            .filter(|(aggregate, _, _)| aggregate == id)
            .map(|(_, kind, payload)| (kind.as_str(), payload["state"].as_str().unwrap()))
            .collect();
        assert_eq!(
            kinds,
            [("instance.created", "provisioning"), ("instance.updated", "ready"), ("instance.deleted", "deleted")],
            "{events:?}"
        );
    }
}

/// Without a caller, nothing: 401 before anything is read.
async fn agents_and_instances_need_a_caller(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/v1/agents", "/v1/instances"] {
        assert_problem(app.client.get(app.url(path)).send().await.unwrap(), 401, "unauthenticated").await;
    }
}

both_backends!(
    the_catalog_shows_users_the_enabled_agents_and_admins_keep_it,
    instances_are_their_owners_versioned_and_evented,
    a_deleted_account_ends_its_instances,
    agents_and_instances_need_a_caller,
);
