#![allow(clippy::unwrap_used, clippy::expect_used)]

//! `SHARED_DATABASE_URL`: agents and instances in a second PostgreSQL database, with their own
//! migrations and outbox. A change commits with its event there and nothing of it in the main
//! database; a failure in either database leaves no half-done change.

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app_with, unique_email};

/// An empty database of its own on the test server, dropped with the value.
struct EmptyDatabase {
    name: String,
    url: String,
}

impl EmptyDatabase {
    async fn create() -> Self {
        let server = identity_postgres::testkit::server_url();
        let name = format!("identity_shared_{}", uuid::Uuid::now_v7().simple());
        let mut conn = AsyncPgConnection::establish(&server).await.unwrap();
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
        let url = match server.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{name}"),
            None => panic!("TEST_DATABASE_URL names no database: {server}"),
        };
        Self { name, url }
    }
}

impl Drop for EmptyDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let server = identity_postgres::testkit::server_url();
                if let Ok(mut conn) = AsyncPgConnection::establish(&server).await {
                    let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

async fn count(url: &str, sql: &str) -> i64 {
    let mut conn = AsyncPgConnection::establish(url).await.unwrap();
    diesel::sql_query(sql).get_result::<Count>(&mut conn).await.unwrap().n
}

async fn execute(url: &str, sql: &str) {
    let mut conn = AsyncPgConnection::establish(url).await.unwrap();
    diesel::sql_query(sql).execute(&mut conn).await.unwrap();
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
    etag: Option<&str>,
) -> reqwest::Response {
    let mut request = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(etag) = etag {
        request = request.header("If-Match", etag);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

/// A trigger that makes every insert into `table` of the database at `url` fail.
async fn break_inserts(url: &str, table: &str) {
    execute(url, "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$ LANGUAGE plpgsql").await;
    execute(url, &format!("CREATE TRIGGER refuse BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION refuse()"))
        .await;
}

async fn mend_inserts(url: &str, table: &str) {
    execute(url, &format!("DROP TRIGGER refuse ON {table}")).await;
    execute(url, "DROP FUNCTION refuse()").await;
}

#[tokio::test]
async fn agents_and_instances_live_in_the_shared_database_with_their_events() {
    let shared = EmptyDatabase::create().await;
    let boss = unique_email();
    let app = spawn_app_with(
        Backend::Postgres,
        &[("SHARED_DATABASE_URL", shared.url.as_str()), ("BOOTSTRAP_ADMIN_EMAIL", boss.as_str())],
    )
    .await;
    let main = app.database_url.clone().unwrap();
    let admin = app.bootstrap_admin(&boss).await;
    let (_, login) = app.signed_in().await;
    let user = login["access_token"].as_str().unwrap().to_owned();

    let agent: Value = send(
        &app,
        Method::POST,
        "/v1/admin/agents",
        &admin,
        Some(json!({"name": "Writer", "category": "writing"})),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    let agent_id = agent["id"].as_str().unwrap().to_owned();
    let res =
        send(&app, Method::POST, "/v1/instances", &user, Some(json!({"agent_id": agent_id, "name": "Mine"})), None)
            .await;
    assert_eq!(res.status(), 201);
    let instance: Value = res.json().await.unwrap();
    let id = instance["id"].as_str().unwrap().to_owned();
    // Its provisioning job ran from the shared database's own queue.
    crate::agents::ready(&app, &user, &id).await;
    let provisioning = "SELECT count(*) AS n FROM jobs WHERE kind = 'provision_instance' AND state = 'succeeded'";
    assert_eq!(count(&shared.url, provisioning).await, 1);
    assert_eq!(count(&main, "SELECT count(*) AS n FROM jobs WHERE kind = 'provision_instance'").await, 0);

    // Both rows and their events are in the shared database, none of it in the main one.
    assert_eq!(count(&shared.url, "SELECT count(*) AS n FROM agents").await, 1);
    assert_eq!(count(&shared.url, "SELECT count(*) AS n FROM instances").await, 1);
    let events = "SELECT count(*) AS n FROM outbox WHERE type IN ('agent.created', 'instance.created')";
    assert_eq!(count(&shared.url, events).await, 2);
    assert_eq!(count(&main, "SELECT count(*) AS n FROM agents").await, 0);
    assert_eq!(count(&main, "SELECT count(*) AS n FROM instances").await, 0);
    assert_eq!(count(&main, events).await, 0);
    // Without a broker nothing relays them: the shared outbox's backlog shows on its own.
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let backlog = metrics
        .lines()
        .find(|l| l.starts_with("identity_outbox_backlog{outbox=\"shared\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse::<f64>().ok());
    assert_eq!(backlog, Some(3.0), "created, created and provisioned: {metrics}");
    // The admins' audit stays in the main database.
    assert_eq!(count(&main, "SELECT count(*) AS n FROM audit_logs WHERE action = 'agent.created'").await, 1);

    // A failure in the shared database: the change and its event go together, or neither.
    break_inserts(&shared.url, "outbox").await;
    let path = format!("/v1/instances/{id}");
    let res = send(&app, Method::PATCH, &path, &user, Some(json!({"name": "Renamed"})), Some("\"2\"")).await;
    assert!(res.status().is_server_error(), "{}", res.status());
    mend_inserts(&shared.url, "outbox").await;
    let now: Value = app.get_authed(&path, &user).await.json().await.unwrap();
    assert_eq!((now["name"].as_str(), now["version"].as_i64()), (Some("Mine"), Some(2)), "{now}");
    assert_eq!(count(&shared.url, "SELECT count(*) AS n FROM outbox WHERE type = 'instance.updated'").await, 1);

    // A failure in the main database (the admin's audit entry): the agent does not change.
    break_inserts(&main, "audit_logs").await;
    let agent_path = format!("/v1/admin/agents/{agent_id}");
    let res = send(&app, Method::PATCH, &agent_path, &admin, Some(json!({"enabled": false})), None).await;
    assert!(res.status().is_server_error(), "{}", res.status());
    let res = send(
        &app,
        Method::POST,
        "/v1/admin/agents",
        &admin,
        Some(json!({"name": "Coder", "category": "coding"})),
        None,
    )
    .await;
    assert!(res.status().is_server_error(), "{}", res.status());
    mend_inserts(&main, "audit_logs").await;
    assert_eq!(count(&shared.url, "SELECT count(*) AS n FROM agents").await, 1, "no agent half-made");
    assert_eq!(count(&shared.url, "SELECT count(*) AS n FROM agents WHERE enabled").await, 1, "no change half-made");
    assert_eq!(
        count(
            &shared.url,
            "SELECT count(*) AS n FROM outbox WHERE type <> 'instance.created' AND type <> 'agent.created'"
        )
        .await,
        1,
        "only the provisioning's instance.updated"
    );

    // Working again: the change lands with its event.
    let res = send(&app, Method::PATCH, &path, &user, Some(json!({"name": "Renamed"})), Some("\"2\"")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(count(&shared.url, "SELECT count(*) AS n FROM outbox WHERE type = 'instance.updated'").await, 2);
}

/// `SHARED_DATABASE_URL` without `DATABASE_URL` is refused: the embedded store has no second
/// database.
#[test]
fn a_shared_database_needs_the_main_one() {
    let vars = std::collections::HashMap::from([("SHARED_DATABASE_URL", "postgres://localhost/shared")]);
    let error =
        identity_http::config::Config::from_env(&|name: &str| vars.get(name).map(|v| (*v).to_owned())).unwrap_err();
    assert_eq!(error.var, "SHARED_DATABASE_URL", "{error}");
}
