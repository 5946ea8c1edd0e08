//! The WebSocket gateway (`GET /v1/ws`, `POST /v1/ws/ticket`, docs/realtime.md) with a real
//! client: refusals before the upgrade, pushes to the right user's sockets only, a revoked
//! session's socket closed with 4001, a client that stops reading closed with 1008, presence
//! heartbeats, and sockets closed with 1001 when the server stops.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::both_backends;
use crate::helpers::{Backend, PASSWORD, TestApp, eventually, spawn_app_with, spawn_app_with_clock, unique_email};

pub(crate) type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// The PostgreSQL backend relays to its in-process bus only when told (the gateway's feed
/// across replicas is RabbitMQ's).
const IN_PROCESS: &[(&str, &str)] = &[("OUTBOX_RELAY", "in-process")];

fn ws_url(app: &TestApp, query: &str) -> String {
    format!("{}/v1/ws{query}", app.address.replacen("http://", "ws://", 1))
}

/// Opens a socket with the given extra headers, or the status the server refused it with.
async fn connect(app: &TestApp, query: &str, headers: &[(&str, &str)]) -> Result<Socket, u16> {
    let mut request = ws_url(app, query).into_client_request().unwrap();
    for (name, value) in headers {
        request.headers_mut().insert(
            tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, response)) => {
            assert_eq!(response.status(), 101);
            Ok(socket)
        }
        Err(WsError::Http(response)) => {
            let status = response.status().as_u16();
            let body: Value =
                serde_json::from_slice(response.body().as_deref().unwrap_or_default()).unwrap_or_default();
            assert!(body["code"].is_string(), "a refusal is a problem document: {body}");
            Err(status)
        }
        Err(other) => panic!("the upgrade failed: {other}"),
    }
}

pub(crate) async fn bearer_socket(app: &TestApp, token: &str) -> Socket {
    connect(app, "", &[("authorization", &format!("Bearer {token}"))]).await.expect("the socket opens")
}

/// The next data frame within `within`, skipping pings; `None` when none came.
pub(crate) async fn next_frame(socket: &mut Socket, within: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let message = tokio::time::timeout_at(deadline, socket.next()).await.ok()??;
        match message.ok()? {
            Message::Text(text) => return Some(serde_json::from_str(text.as_str()).unwrap()),
            Message::Close(_) => return None,
            _ => {}
        }
    }
}

/// The close code the server ends the socket with within `within` (frames before it skipped).
pub(crate) async fn close_code(socket: &mut Socket, within: Duration) -> Option<u16> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await.ok()? {
            Some(Ok(Message::Close(Some(frame)))) => return Some(u16::from(frame.code)),
            Some(Ok(Message::Close(None))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => {}
        }
    }
}

async fn patch_name(app: &TestApp, token: &str, name: &str) {
    let res = app
        .client
        .patch(app.url("/v1/users/me"))
        .bearer_auth(token)
        .header("Content-Type", "application/merge-patch+json")
        .body(json!({ "name": name }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

both_backends!(
    no_token_a_bad_token_or_a_token_in_the_url_are_refused_before_the_upgrade,
    a_cookie_needs_an_allowed_origin,
    a_ticket_opens_one_socket_once,
    a_profile_change_reaches_the_users_sockets_only,
    a_revoked_session_s_socket_closes_with_4001,
    a_new_instance_reaches_its_owners_sockets_only,
    a_heartbeat_keeps_the_device_present_for_the_ttl,
    a_device_becoming_active_is_pushed_to_the_users_other_sockets_only,
);

async fn no_token_a_bad_token_or_a_token_in_the_url_are_refused_before_the_upgrade(backend: Backend) {
    let app = spawn_app_with(backend, IN_PROCESS).await;
    let (_, token) = app.signed_in_user().await;
    assert_eq!(connect(&app, "", &[]).await.err(), Some(401));
    assert_eq!(connect(&app, "", &[("authorization", "Bearer v4.public.nonsense")]).await.err(), Some(401));
    assert_eq!(connect(&app, &format!("?access_token={token}"), &[]).await.err(), Some(401));
    assert_eq!(
        connect(&app, &format!("?token={token}"), &[("authorization", &format!("Bearer {token}"))]).await.err(),
        Some(401)
    );
    assert!(connect(&app, "", &[("authorization", &format!("Bearer {token}"))]).await.is_ok());
}

#[tokio::test]
async fn an_expired_token_is_refused_before_the_upgrade() {
    let (app, clock) = spawn_app_with_clock(Backend::Memory, &[]).await;
    let (_, token) = app.signed_in_user().await;
    clock.elapse(Duration::from_secs(901)).await;
    assert_eq!(connect(&app, "", &[("authorization", &format!("Bearer {token}"))]).await.err(), Some(401));
}

async fn a_cookie_needs_an_allowed_origin(backend: Backend) {
    let app =
        spawn_app_with(backend, &[("OUTBOX_RELAY", "in-process"), ("ALLOWED_ORIGINS", "https://app.example.com")])
            .await;
    let (_, token) = app.signed_in_user().await;
    let cookie = format!("access_token={token}");
    let cookie_name = identity_http::config::Config::from_env(&|_: &str| None).unwrap().http.cookies.access_name;
    let cookie = cookie.replacen("access_token", &cookie_name, 1);
    assert_eq!(connect(&app, "", &[("cookie", &cookie)]).await.err(), Some(403));
    assert_eq!(
        connect(&app, "", &[("cookie", &cookie), ("origin", "https://evil.example.com")]).await.err(),
        Some(403)
    );
    assert!(connect(&app, "", &[("cookie", &cookie), ("origin", "https://app.example.com")]).await.is_ok());
}

async fn a_ticket_opens_one_socket_once(backend: Backend) {
    let app = spawn_app_with(backend, IN_PROCESS).await;
    let (_, token) = app.signed_in_user().await;
    let res = app.post_authed("/v1/ws/ticket", &token, None).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["expires_in"], 30);
    let ticket = body["ticket"].as_str().unwrap();
    assert!(connect(&app, &format!("?ticket={ticket}"), &[]).await.is_ok());
    assert_eq!(connect(&app, &format!("?ticket={ticket}"), &[]).await.err(), Some(401), "a ticket works once");
    assert_eq!(connect(&app, "?ticket=made-up", &[]).await.err(), Some(401));
    // Without a caller, no ticket.
    assert_eq!(app.client.post(app.url("/v1/ws/ticket")).send().await.unwrap().status(), 401);
}

async fn a_profile_change_reaches_the_users_sockets_only(backend: Backend) {
    let app = spawn_app_with(backend, IN_PROCESS).await;
    let (_, alice) = app.signed_in_user().await;
    let (_, bob) = app.signed_in_user().await;
    let mut alices = bearer_socket(&app, &alice).await;
    let mut bobs = bearer_socket(&app, &bob).await;
    let started = std::time::Instant::now();
    patch_name(&app, &alice, "Ada Lovelace").await;
    let frame = next_frame(&mut alices, Duration::from_secs(1)).await.expect("alice's socket gets the change in 1 s");
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(frame["type"], "entity:updated", "{frame}");
    assert_eq!(frame["data"]["entity"], "user");
    assert_eq!(frame["data"]["changed"], json!(["name"]));
    assert!(frame["id"].is_string() && frame["time"].is_string(), "{frame}");
    assert_eq!(next_frame(&mut bobs, Duration::from_millis(500)).await, None, "bob's socket gets nothing");
}

async fn a_revoked_session_s_socket_closes_with_4001(backend: Backend) {
    let app = spawn_app_with(backend, IN_PROCESS).await;
    let (_, token) = app.signed_in_user().await;
    let mut socket = bearer_socket(&app, &token).await;
    let started = std::time::Instant::now();
    assert_eq!(app.post_authed("/v1/auth/logout", &token, None).await.status(), 204);
    let frame = next_frame(&mut socket, Duration::from_secs(2)).await.expect("the revocation is pushed");
    assert_eq!(frame["type"], "session.revoked", "{frame}");
    assert_eq!(close_code(&mut socket, Duration::from_secs(2)).await, Some(4001));
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_fresh_token_keeps_the_socket_and_a_bad_one_closes_it_with_4002() {
    let app = spawn_app_with(Backend::Memory, &[]).await;
    let (_, token) = app.signed_in_user().await;
    let mut socket = bearer_socket(&app, &token).await;
    socket.send(Message::text(json!({"type": "auth", "token": token}).to_string())).await.unwrap();
    socket.send(Message::text(json!({"type": "presence:active"}).to_string())).await.unwrap();
    assert_eq!(next_frame(&mut socket, Duration::from_millis(300)).await, None, "still open, nothing to say");
    socket.send(Message::text(json!({"type": "auth", "token": "v4.public.nonsense"}).to_string())).await.unwrap();
    assert_eq!(close_code(&mut socket, Duration::from_secs(2)).await, Some(4002));
}

#[tokio::test]
async fn a_client_that_does_not_answer_pings_is_closed() {
    let app = spawn_app_with(Backend::Memory, &[("WS_PING_INTERVAL_MS", "50")]).await;
    let (_, token) = app.signed_in_user().await;
    let mut request = ws_url(&app, "").into_client_request().unwrap();
    request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    // A raw stream never polled answers no ping (tungstenite answers them while it reads).
    let (socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (_, mut read) = socket.split();
    let mut closed = None;
    while let Ok(Some(message)) = tokio::time::timeout(Duration::from_secs(2), read.next()).await {
        if let Ok(Message::Close(frame)) = message {
            closed = frame.map(|f| u16::from(f.code));
            break;
        }
    }
    assert_eq!(closed, Some(u16::from(CloseCode::Policy)));
}

#[tokio::test]
async fn socket_limits_refuse_before_the_upgrade_with_503() {
    let app = spawn_app_with(Backend::Memory, &[("WS_MAX_SOCKETS_PER_USER", "1")]).await;
    let (_, token) = app.signed_in_user().await;
    let _first = bearer_socket(&app, &token).await;
    let mut request = ws_url(&app, "").into_client_request().unwrap();
    request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Err(WsError::Http(response)) => {
            assert_eq!(response.status(), 503);
            assert!(response.headers().contains_key("retry-after"));
            let body: Value = serde_json::from_slice(response.body().as_deref().unwrap()).unwrap();
            assert_eq!(body["code"], "too_many_sockets");
        }
        other => panic!("expected a 503, got {:?}", other.map(|(_, r)| r.status())),
    }
}

/// A client that stops reading fills its send buffer and is closed (1008, counted): the
/// server keeps at most `WS_SEND_BUFFER_FRAMES` frames for it.
#[tokio::test]
async fn a_client_that_stops_reading_is_disconnected_with_1008() {
    let app = spawn_app_with(Backend::Memory, &[("WS_SEND_BUFFER_FRAMES", "4")]).await;
    let (_, login) = app.signed_in().await;
    let token = login["access_token"].as_str().unwrap();
    let user_id: uuid::Uuid = login["user"]["id"].as_str().unwrap().parse().unwrap();
    // A small receive window, so the kernel's buffers do not hide the slow reader for long.
    let tcp = tokio::net::TcpSocket::new_v4().unwrap();
    tcp.set_recv_buffer_size(4096).unwrap();
    let stream = tcp.connect(app.address.trim_start_matches("http://").parse().unwrap()).await.unwrap();
    let mut request = ws_url(&app, "").into_client_request().unwrap();
    request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream)).await.unwrap();
    // Large instance changes for the user, straight onto the in-process bus.
    let bus = app.bus.as_ref().unwrap();
    let name = "x".repeat(64 * 1024);
    let published = 200;
    for version in 1..=published {
        let payload = json!({
            "instance_id": uuid::Uuid::now_v7(), "user_id": user_id, "agent_id": uuid::Uuid::now_v7(),
            "name": name, "state": "ready", "version": version, "changed": ["name"], "updated_at": chrono::Utc::now(),
        });
        let event = identity_core::DomainEvent {
            id: uuid::Uuid::now_v7(),
            event_type: identity_core::EventType::InstanceUpdated,
            aggregate_id: uuid::Uuid::now_v7(),
            subject: Some(user_id),
            occurred_at: chrono::Utc::now(),
            payload,
        };
        identity_core::ports::EventPublisher::publish(bus, &[event]).await.unwrap();
        if version % 20 == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Reading again: what was queued, then the close.
    let mut frames = 0;
    let mut closed = None;
    while let Ok(Some(message)) = tokio::time::timeout(Duration::from_secs(5), socket.next()).await {
        match message {
            Ok(Message::Text(_)) => frames += 1,
            Ok(Message::Close(frame)) => {
                closed = frame.map(|f| u16::from(f.code));
                break;
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    assert!(frames < published, "the server kept only a bounded buffer ({frames} frames of {published})");
    assert_eq!(closed, Some(1008));
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("identity_ws_slow_consumer_disconnects_total"), "counted");
    assert!(metrics.contains("identity_ws_frames_dropped_total"), "counted");
}

pub(crate) async fn heartbeat(socket: &mut Socket) {
    socket.send(Message::text(json!({"type": "presence:active"}).to_string())).await.unwrap();
}

async fn presence(app: &TestApp, token: &str) -> Value {
    let res = app.get_authed("/v1/users/me/presence", token).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// The caller's current session, as `GET /v1/sessions` lists it.
async fn current_session(app: &TestApp, token: &str) -> Value {
    let sessions: Value = app.get_authed("/v1/sessions", token).await.json().await.unwrap();
    sessions["items"].as_array().unwrap().iter().find(|s| s["current"] == true).cloned().expect("the current session")
}

async fn a_new_instance_reaches_its_owners_sockets_only(backend: Backend) {
    let boss = unique_email();
    let app = spawn_app_with(backend, &[("OUTBOX_RELAY", "in-process"), ("BOOTSTRAP_ADMIN_EMAIL", &boss)]).await;
    let admin = app.bootstrap_admin(&boss).await;
    let agent =
        app.post_authed("/v1/admin/agents", &admin, Some(&json!({"name": "Writer", "category": "writing"}))).await;
    assert_eq!(agent.status(), 201);
    let agent: Value = agent.json().await.unwrap();
    let (_, owner) = app.signed_in_user().await;
    let (_, stranger) = app.signed_in_user().await;
    let mut owners = bearer_socket(&app, &owner).await;
    let mut strangers = bearer_socket(&app, &stranger).await;
    let res = app.post_authed("/v1/instances", &owner, Some(&json!({"agent_id": agent["id"], "name": "Mine"}))).await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let frame = next_frame(&mut owners, Duration::from_secs(2)).await.expect("the owner's socket gets the instance");
    assert_eq!(frame["type"], "instance.created", "{frame}");
    assert_eq!(frame["data"]["instance_id"], created["id"], "{frame}");
    assert_eq!(frame["data"]["user_id"], created["user_id"], "{frame}");
    assert!(frame["id"].is_string() && frame["time"].is_string(), "{frame}");
    assert_eq!(
        next_frame(&mut strangers, Duration::from_millis(500)).await,
        None,
        "another user's socket gets nothing"
    );
}

async fn a_heartbeat_keeps_the_device_present_for_the_ttl(backend: Backend) {
    let boss = unique_email();
    let (app, clock) =
        spawn_app_with_clock(backend, &[("OUTBOX_RELAY", "in-process"), ("BOOTSTRAP_ADMIN_EMAIL", &boss)]).await;
    let admin = app.bootstrap_admin(&boss).await;
    let (_, login) = app.signed_in().await;
    let token = login["access_token"].as_str().unwrap();
    let user_id = login["user"]["id"].as_str().unwrap();
    assert_eq!(presence(&app, token).await, json!({"devices": [], "online": false}));
    let session = current_session(&app, token).await;
    let mut socket = bearer_socket(&app, token).await;
    clock.elapse(Duration::from_secs(30)).await;
    heartbeat(&mut socket).await;
    let seen = eventually("the heartbeat to be kept", Duration::from_secs(2), async || {
        let seen = presence(&app, token).await;
        (seen["online"] == true).then_some(seen)
    })
    .await;
    let devices = seen["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 1, "{seen}");
    assert_eq!(devices[0]["device_id"], session["device_id"], "{seen}");
    assert!(devices[0].get("device_name").is_some(), "{seen}");
    let last_active_at: chrono::DateTime<chrono::Utc> = devices[0]["last_active_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(last_active_at, clock.now());
    // The heartbeat touched the session.
    let touched: chrono::DateTime<chrono::Utc> =
        current_session(&app, token).await["last_seen_at"].as_str().unwrap().parse().unwrap();
    assert!((clock.now() - touched).num_milliseconds().abs() < 1, "the session's last-seen time is the heartbeat's");
    // The admin user view shows it too.
    let viewed: Value = app.get_authed(&format!("/v1/admin/users/{user_id}"), &admin).await.json().await.unwrap();
    assert_eq!(viewed["presence"]["online"], true, "{viewed}");
    assert_eq!(viewed["email"], login["user"]["email"], "the account is still there: {viewed}");
    // Past the TTL (60 s) without another heartbeat: gone.
    clock.elapse(Duration::from_secs(61)).await;
    assert_eq!(presence(&app, token).await, json!({"devices": [], "online": false}));
    let viewed: Value = app.get_authed(&format!("/v1/admin/users/{user_id}"), &admin).await.json().await.unwrap();
    assert_eq!(viewed["presence"], json!({"online": false, "last_active_at": null}), "{viewed}");
    // Without a caller, nothing.
    assert_eq!(app.client.get(app.url("/v1/users/me/presence")).send().await.unwrap().status(), 401);
}

async fn a_device_becoming_active_is_pushed_to_the_users_other_sockets_only(backend: Backend) {
    let app = spawn_app_with(backend, IN_PROCESS).await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 201);
    // Two sign-ins: two sessions, two devices.
    let phone = app.login_ok(&email, PASSWORD).await["access_token"].as_str().unwrap().to_owned();
    let laptop = app.login_ok(&email, PASSWORD).await["access_token"].as_str().unwrap().to_owned();
    let (_, bob) = app.signed_in_user().await;
    let mut phones = bearer_socket(&app, &phone).await;
    let mut laptops = bearer_socket(&app, &laptop).await;
    let mut bobs = bearer_socket(&app, &bob).await;
    heartbeat(&mut phones).await;
    let frame = next_frame(&mut laptops, Duration::from_secs(2)).await.expect("the other device hears of it");
    assert_eq!(frame["type"], "presence:updated", "{frame}");
    assert_eq!(frame["data"]["device_id"], current_session(&app, &phone).await["device_id"], "{frame}");
    assert_eq!(frame["data"]["status"], "active", "{frame}");
    assert!(frame["id"].is_string() && frame["time"].is_string(), "{frame}");
    assert_eq!(next_frame(&mut phones, Duration::from_millis(300)).await, None, "not the socket it came from");
    assert_eq!(next_frame(&mut bobs, Duration::from_millis(300)).await, None, "another user's socket gets nothing");
    // Still present: a later heartbeat (here within the 10 s per socket, ignored) says nothing new.
    heartbeat(&mut phones).await;
    assert_eq!(next_frame(&mut laptops, Duration::from_millis(300)).await, None, "already active");
    // The laptop becoming active is the phone's news.
    heartbeat(&mut laptops).await;
    let frame = next_frame(&mut phones, Duration::from_secs(2)).await.expect("the phone hears of the laptop");
    assert_eq!(frame["data"]["device_id"], current_session(&app, &laptop).await["device_id"], "{frame}");
    let listed = presence(&app, &phone).await;
    assert_eq!(listed["devices"].as_array().unwrap().len(), 2, "{listed}");
}

/// The server stopping closes its sockets with 1001 (reconnect elsewhere).
#[tokio::test]
async fn stopping_the_server_closes_its_sockets_with_1001() {
    let app = spawn_app_with(Backend::Memory, &[]).await;
    let (_, token) = app.signed_in_user().await;
    let mut socket = bearer_socket(&app, &token).await;
    // Dropping the app stops its server (`SHUTDOWN_DRAIN_SECONDS=0` in tests).
    drop(app);
    assert_eq!(close_code(&mut socket, Duration::from_secs(5)).await, Some(1001));
}
