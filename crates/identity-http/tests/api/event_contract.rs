//! The event contract holds for what the server really emits: every event is checked, as the
//! CloudEvents message the relay publishes, against its JSON Schema in `docs/events/`.
//!
//! Every test server is watched ([`EventCheck`], held by each `TestApp`): when the test ends
//! it validates each event the server emitted, so every test that emits events checks them.
//! On PostgreSQL that is every row of the server's outbox (all that was committed, relayed or
//! not); on the embedded store (and `OUTBOX_RELAY=in-process`) every event that reached the
//! in-process bus before the end (the relay runs every 200 ms, so the last few may not have).
//! [`every_event_type_the_server_emits_matches_its_schema`] drives a flow for each type and
//! fails when a type the server emits ([`driven_here`]) was never seen.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use identity_core::DomainEvent;
use identity_core::domain::EventType;
use identity_memory::InProcessBus;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::both_backends;
use crate::helpers::{Backend, PASSWORD, TestApp, spawn_app_with, token_from_link, unique_email};

/// The CloudEvents `source` the messages are rendered with (`EVENT_SOURCE`'s default).
const SOURCE: &str = "/identity";

/// The schemas of `docs/events/`, compiled once per test binary.
struct Contract {
    schemas: boon::Schemas,
    index: HashMap<EventType, boon::SchemaIndex>,
}

fn contract() -> &'static Contract {
    static CONTRACT: OnceLock<Contract> = OnceLock::new();
    CONTRACT.get_or_init(|| {
        let dir = crate::docs::root().join("docs/events");
        let mut compiler = boon::Compiler::new();
        // `format` asserts too: `uuid` and `date-time` are part of the contract.
        compiler.enable_format_assertions();
        let mut schemas = boon::Schemas::new();
        let index = EventType::ALL
            .into_iter()
            .map(|event_type| {
                let path = dir.join(format!("{}.json", event_type.as_str()));
                let compiled = compiler.compile(&path.to_string_lossy(), &mut schemas).unwrap_or_else(|e| {
                    panic!("docs/events/{}.json: {e:#} (run `cargo xtask events`)", event_type.as_str())
                });
                (event_type, compiled)
            })
            .collect();
        Contract { schemas, index }
    })
}

/// The message the relay publishes for `event` (identity-amqp's envelope).
pub fn message(event: &DomainEvent) -> Value {
    serde_json::to_value(identity_amqp::CloudEvent::from_event(event, SOURCE)).unwrap()
}

/// Checks `message` (a CloudEvents body) against the schema of its type.
pub fn check_message(event_type: EventType, message: &Value) -> Result<(), String> {
    let contract = contract();
    contract.schemas.validate(message, contract.index[&event_type]).map_err(|e| {
        format!(
            "a {} message does not match docs/events/{}.json: {e:#}\n{message}",
            event_type.as_str(),
            event_type.as_str()
        )
    })
}

/// Watches one test server's events and validates them when dropped (the end of the test,
/// while the server and its database are still there).
pub struct EventCheck {
    /// What the in-process bus carried.
    carried: Arc<Mutex<Vec<DomainEvent>>>,
    /// The server's database, whose outbox holds every event it committed.
    database_url: Option<String>,
}

impl EventCheck {
    /// Subscribes to `bus` at once, so nothing the server publishes afterwards is missed.
    pub fn start(bus: Option<&InProcessBus>, database_url: Option<String>) -> Self {
        let carried = Arc::new(Mutex::new(Vec::new()));
        if let Some(bus) = bus {
            let mut events = bus.subscribe();
            let sink = carried.clone();
            tokio::spawn(async move {
                use tokio::sync::broadcast::error::RecvError;
                loop {
                    match events.recv().await {
                        Ok(event) => sink.lock().unwrap().push(event),
                        Err(RecvError::Lagged(_)) => {}
                        Err(RecvError::Closed) => break,
                    }
                }
            });
        }
        Self { carried, database_url }
    }

    /// Every event seen so far, once each (by id).
    pub fn events(&self) -> Vec<DomainEvent> {
        let mut events: BTreeMap<uuid::Uuid, DomainEvent> =
            self.carried.lock().unwrap().iter().map(|e| (e.id, e.clone())).collect();
        if let Some(url) = &self.database_url {
            events.extend(outbox(url).into_iter().map(|e| (e.id, e)));
        }
        events.into_values().collect()
    }
}

impl Drop for EventCheck {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let failures: Vec<String> =
            self.events().iter().filter_map(|e| check_message(e.event_type, &message(e)).err()).collect();
        assert!(failures.is_empty(), "{} event(s) break the contract:\n{}", failures.len(), failures.join("\n"));
    }
}

#[derive(diesel::QueryableByName)]
struct OutboxEvent {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: uuid::Uuid,
    #[diesel(sql_type = diesel::sql_types::Text)]
    event_type: String,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    aggregate_id: uuid::Uuid,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Uuid>)]
    subject: Option<uuid::Uuid>,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    occurred_at: chrono::DateTime<chrono::Utc>,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    payload: Value,
}

/// Every event in the outbox of the database at `url`, read on a thread and runtime of its
/// own (the test's may be gone or busy when it lets go). A row whose type no `EventType`
/// names was not written by the server (the server writes `EventType::as_str` only; tests
/// insert such rows to see them parked) and is left out.
fn outbox(url: &str) -> Vec<DomainEvent> {
    let url = url.to_owned();
    let read = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            use diesel_async::{AsyncConnection, RunQueryDsl};
            let query = async {
                let mut conn = diesel_async::AsyncPgConnection::establish(&url).await?;
                diesel::sql_query(
                    "SELECT id, type AS event_type, aggregate_id, subject, occurred_at, payload FROM outbox ORDER BY seq",
                )
                .load::<OutboxEvent>(&mut conn)
                .await
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)
            };
            tokio::time::timeout(Duration::from_secs(10), query).await
        })
    });
    let rows = match read.join().unwrap() {
        Ok(Ok(rows)) => rows,
        Ok(Err(e)) => panic!("cannot read the outbox of the test server's database to check its events: {e}"),
        Err(_) => panic!("reading the outbox of the test server's database to check its events took over 10 s"),
    };
    rows.into_iter()
        .filter_map(|row| {
            let event_type = EventType::parse(&row.event_type)?;
            Some(DomainEvent {
                id: row.id,
                event_type,
                aggregate_id: row.aggregate_id,
                subject: row.subject,
                occurred_at: row.occurred_at,
                payload: row.payload,
            })
        })
        .collect()
}

/// Whether [`account_flow`] makes the server emit the type, so the test below requires it. An
/// exhaustive match: a new event type does not compile here until it is placed.
fn driven_here(event_type: EventType) -> bool {
    match event_type {
        EventType::UserRegistered | EventType::UserVerified | EventType::UserUpdated | EventType::UserDeleted => true,
        EventType::SessionCreated | EventType::SessionRevoked | EventType::PasswordChanged => true,
        EventType::MfaEnabled | EventType::MfaDisabled => true,
        EventType::AgentCreated | EventType::AgentUpdated | EventType::AgentDeleted => true,
        EventType::InstanceCreated | EventType::InstanceUpdated | EventType::InstanceDeleted => true,
        EventType::PresenceUpdated => true,
    }
}

async fn merge_patch(app: &TestApp, path: &str, token: &str, body: Value) -> reqwest::Response {
    let request = app.client.patch(app.url(path)).bearer_auth(token);
    let request = request.header("Content-Type", "application/merge-patch+json").body(body.to_string());
    request.send().await.unwrap()
}

/// Register, verify, sign in, change the profile, sign out, change and reset the password, an
/// admin's role change, delete one's account: each step emits at least one event.
async fn account_flow(app: &TestApp, admin: &str) {
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 201);
    assert_eq!(app.verify_address(&email).await.status(), 200);
    let login = app.login_ok(&email, PASSWORD).await;
    let (id, token) = (login["user"]["id"].as_str().unwrap(), login["access_token"].as_str().unwrap());
    assert_eq!(merge_patch(app, "/v1/users/me", token, json!({ "name": "Ada Lovelace" })).await.status(), 200);
    assert_eq!(app.post_authed("/v1/auth/logout", token, None).await.status(), 204);

    let token = app.login_ok(&email, PASSWORD).await["access_token"].as_str().unwrap().to_owned();
    let new_password = "another correct horse battery";
    let change = json!({ "current_password": PASSWORD, "new_password": new_password });
    let res = app.post_authed("/v1/auth/password/change", &token, Some(&change)).await;
    assert!(res.status().is_success(), "password change: {}", res.status());
    assert_eq!(app.post_json("/v1/auth/password/forgot", &json!({ "email": email })).await.status(), 202);
    let reset_token = app
        .mails_to(&email)
        .await
        .into_iter()
        .rev()
        .find_map(|mail| match mail {
            identity_core::ports::Mail::PasswordReset { link, .. } => Some(token_from_link(&link)),
            _ => None,
        })
        .expect("a reset mail");
    let reset = json!({ "token": reset_token, "new_password": PASSWORD });
    let res = app.post_json("/v1/auth/password/reset", &reset).await;
    assert!(res.status().is_success(), "password reset: {}", res.status());

    let path = format!("/v1/admin/users/{id}");
    let res = app.client.patch(app.url(&path)).bearer_auth(admin).json(&json!({ "roles": ["admin", "user"] })).send();
    let res = res.await.unwrap();
    assert!(res.status().is_success(), "admin change: {}", res.status());
    let token = app.login_ok(&email, PASSWORD).await["access_token"].as_str().unwrap().to_owned();
    let res = app.client.delete(app.url("/v1/users/me")).bearer_auth(&token).json(&json!({ "password": PASSWORD }));
    let res = res.send().await.unwrap();
    assert!(res.status().is_success(), "account deletion: {}", res.status());
}

/// An admin keeps the catalog; a user creates, changes and deletes an instance.
async fn agents_flow(app: &TestApp, admin: &str) {
    let agent = json!({ "name": "Writer", "category": "writing", "tags": ["drafting"] });
    let res = app.post_authed("/v1/admin/agents", admin, Some(&agent)).await;
    assert_eq!(res.status(), 201);
    let agent: Value = res.json().await.unwrap();
    let (_, login) = app.signed_in().await;
    let token = login["access_token"].as_str().unwrap();
    let res = app.post_authed("/v1/instances", token, Some(&json!({ "agent_id": agent["id"], "name": "Mine" }))).await;
    assert_eq!(res.status(), 201);
    let instance: Value = res.json().await.unwrap();
    let path = format!("/v1/instances/{}", instance["id"].as_str().unwrap());
    crate::agents::ready(app, token, instance["id"].as_str().unwrap()).await;
    let request = app.client.patch(app.url(&path)).bearer_auth(token).header("If-Match", "\"2\"");
    let res = request.json(&json!({ "config": { "tone": "dry" } })).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(app.client.delete(app.url(&path)).bearer_auth(token).send().await.unwrap().status(), 204);
    let path = format!("/v1/admin/agents/{}", agent["id"].as_str().unwrap());
    let res = app.client.patch(app.url(&path)).bearer_auth(admin).json(&json!({ "enabled": false })).send().await;
    assert_eq!(res.unwrap().status(), 200);
    assert_eq!(app.client.delete(app.url(&path)).bearer_auth(admin).send().await.unwrap().status(), 204);
}

/// A user sets up an authenticator app and removes it.
async fn mfa_flow(app: &TestApp) {
    let (_, token) = app.signed_in_user().await;
    let method = crate::mfa::enable_totp(app, &token).await;
    assert_eq!(app.delete_authed(&format!("/v1/mfa/methods/{method}"), &token).await.status(), 204);
}

/// A user's device becomes active: a socket's first heartbeat.
async fn presence_flow(app: &TestApp) {
    let (_, token) = app.signed_in_user().await;
    let mut socket = crate::realtime::bearer_socket(app, &token).await;
    crate::realtime::heartbeat(&mut socket).await;
    // The socket handles its messages in order: once the ping after the heartbeat is
    // answered, the heartbeat was handled (and its event recorded) before the socket goes.
    socket.send(Message::Ping(b"after".to_vec().into())).await.unwrap();
    let answered = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(message) = socket.next().await {
            if matches!(message, Ok(Message::Pong(_))) {
                return true;
            }
        }
        false
    });
    assert!(answered.await.unwrap_or(false), "the socket answers the ping after the heartbeat");
}

both_backends!(every_event_type_the_server_emits_matches_its_schema);

/// Drives every flow that emits an event type and checks each message as it is published,
/// until every type the server emits (see [`driven_here`]) was seen.
async fn every_event_type_the_server_emits_matches_its_schema(backend: Backend) {
    let boss = unique_email();
    let app = spawn_app_with(backend, &[("BOOTSTRAP_ADMIN_EMAIL", &boss)]).await;
    let admin = app.bootstrap_admin(&boss).await;
    account_flow(&app, &admin).await;
    agents_flow(&app, &admin).await;
    mfa_flow(&app).await;
    presence_flow(&app).await;

    let expected: BTreeSet<&str> = EventType::ALL.into_iter().filter(|t| driven_here(*t)).map(|t| t.as_str()).collect();
    let seen = || -> BTreeSet<&str> { app.events.events().iter().map(|e| e.event_type.as_str()).collect() };
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while !expected.is_subset(&seen()) && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let seen = seen();
    let missing: Vec<&&str> = expected.difference(&seen).collect();
    assert!(missing.is_empty(), "the flows emitted no {missing:?} (seen: {seen:?})");
    for event in app.events.events() {
        check_message(event.event_type, &message(&event)).unwrap();
    }
}

/// The check refuses what breaks the contract: a field the schema does not list, one missing,
/// a value outside an enum, a time that is no RFC 3339 time, another type's message.
#[test]
fn a_message_off_its_schema_is_refused() {
    let now = chrono::Utc::now();
    let data = identity_core::domain::SessionRevokedData {
        session_id: uuid::Uuid::now_v7(),
        user_id: uuid::Uuid::now_v7(),
        reason: identity_core::domain::RevocationReason::Logout,
        revoked_at: now,
    };
    let id = uuid::Uuid::now_v7();
    let event = DomainEvent::new(id, EventType::SessionRevoked, data.session_id, Some(data.user_id), now, &data);
    let good = message(&event);
    check_message(EventType::SessionRevoked, &good).unwrap();

    let broken = |change: &dyn Fn(&mut Value)| {
        let mut message = good.clone();
        change(&mut message);
        message
    };
    let bad = [
        broken(&|m| m["data"]["extra"] = json!(1)),
        broken(&|m| drop(m["data"].as_object_mut().unwrap().remove("reason"))),
        broken(&|m| m["data"]["reason"] = json!("bored")),
        broken(&|m| m["data"]["revoked_at"] = json!("yesterday")),
        broken(&|m| m["id"] = json!("not-a-uuid")),
        broken(&|m| m["type"] = json!("session.created")),
        broken(&|m| drop(m.as_object_mut().unwrap().remove("specversion"))),
    ];
    for message in bad {
        assert!(check_message(EventType::SessionRevoked, &message).is_err(), "accepted: {message}");
    }
    assert!(check_message(EventType::SessionCreated, &good).is_err(), "a session.revoked is no session.created");
}
