#![allow(clippy::unwrap_used, clippy::expect_used)]

//! Durable jobs on both backends, through the API: a mail whose transport fails backs off,
//! ends dead, and is delivered once an admin retries it; provisioning follows the
//! provisioner's answers; retention runs on its schedule and says what it deleted; the admin
//! view (filters, pages, refusals, audit) and the metrics.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use identity_core::ports::{Mail, Notifier};
use identity_core::usecases::JobError;
use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{
    Backend, PASSWORD, TestApp, assert_problem, eventually, spawn_app_with_clock, spawn_app_with_transport,
    unique_email,
};
use crate::stubs::{Answer, StubHttp};

/// A mail transport that is down while `down` is set, keeping what it delivered.
#[derive(Clone, Default)]
struct Switchable {
    down: Arc<AtomicBool>,
    delivered: Arc<Mutex<Vec<Mail>>>,
}

#[async_trait]
impl Notifier for Switchable {
    async fn send(&self, mail: Mail) -> Result<(), JobError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(JobError::Retry("connection refused (the test's transport is down)".into()));
        }
        self.delivered.lock().unwrap().push(mail);
        Ok(())
    }
}

async fn get(app: &TestApp, path: &str, token: &str) -> Value {
    let res = app.get_authed(path, token).await;
    assert_eq!(res.status(), 200, "{path}");
    res.json().await.unwrap()
}

/// The one job of a listing, once it matches `done`.
async fn job_where(app: &TestApp, token: &str, query: &str, done: impl Fn(&Value) -> bool) -> Value {
    eventually(query, Duration::from_secs(15), async || {
        let page = get(app, &format!("/v1/admin/jobs?{query}"), token).await;
        page["items"].as_array().unwrap().iter().find(|job| done(job)).cloned()
    })
    .await
}

/// A verification mail to an admin-to-be, delivered; the transport goes down; a reset mail
/// fails, retries after its backoff (the clock moves), and ends dead after
/// `JOB_MAX_ATTEMPTS`. An admin sees it with its error, cannot cancel it, retries it once
/// the transport is back: it is delivered, once. Every refusal is a problem document.
async fn a_failing_mail_backs_off_ends_dead_and_an_admin_retries_it(backend: Backend) {
    let transport = Switchable::default();
    let boss = unique_email();
    let settings =
        [("BOOTSTRAP_ADMIN_EMAIL", boss.as_str()), ("JOB_MAX_ATTEMPTS", "2"), ("JOB_BACKOFF_BASE_MS", "1000")];
    let (app, clock) = spawn_app_with_transport(backend, &settings, Arc::new(transport.clone())).await;
    assert_eq!(app.register(&boss, PASSWORD).await.status(), 201);
    let link = eventually("the verification mail", Duration::from_secs(10), async || {
        transport.delivered.lock().unwrap().iter().find_map(|mail| match mail {
            Mail::VerifyEmail { token, .. } => Some(token.clone()),
            _ => None,
        })
    })
    .await;
    assert_eq!(app.post_json("/v1/auth/email/verify", &json!({ "token": link })).await.status(), 200);
    let admin = app.login_ok(&boss, PASSWORD).await["access_token"].as_str().unwrap().to_owned();

    transport.down.store(true, Ordering::SeqCst);
    let res = app.post_json("/v1/auth/password/forgot", &json!({ "email": boss })).await;
    assert_eq!(res.status(), 202, "the answer does not wait for the mail");
    let waiting = job_where(&app, &admin, "kind=mail&state=queued", |job| job["attempts"] == 1).await;
    assert!(waiting["last_error"].as_str().unwrap().contains("connection refused"), "{waiting}");
    assert_eq!(waiting["payload"]["mail"], "password_reset", "{waiting}");
    let masked = format!("{}***@example.com", &boss[..1]);
    assert_eq!(waiting["payload"]["to"], masked.as_str(), "{waiting}");
    assert!(!waiting.to_string().contains("token="), "no link is ever shown: {waiting}");
    let run_at = chrono::DateTime::parse_from_rfc3339(waiting["run_at"].as_str().unwrap()).unwrap();
    let updated = chrono::DateTime::parse_from_rfc3339(waiting["updated_at"].as_str().unwrap()).unwrap();
    let wait = (run_at - updated).num_milliseconds();
    assert!((500..=1000).contains(&wait), "the first retry waits half to all of the base: {wait} ms");

    // Not due until its backoff passed; then the second and last attempt fails too.
    clock.elapse(Duration::from_secs(2)).await;
    let id = waiting["id"].as_str().unwrap().to_owned();
    let dead = job_where(&app, &admin, "kind=mail&state=dead", |job| job["id"] == id.as_str()).await;
    assert_eq!((dead["attempts"].as_i64(), dead["max_attempts"].as_i64()), (Some(2), Some(2)), "{dead}");
    assert!(dead["finished_at"].is_string(), "{dead}");

    let path = format!("/v1/admin/jobs/{id}");
    assert_eq!(get(&app, &path, &admin).await["state"], "dead");
    let conflict =
        assert_problem(app.post_authed(&format!("{path}/cancel"), &admin, None).await, 409, "job_state_conflict").await;
    assert!(conflict["detail"].as_str().unwrap().contains("dead"), "{conflict}");
    transport.down.store(false, Ordering::SeqCst);
    let retried = app.post_authed(&format!("{path}/retry"), &admin, None).await;
    assert_eq!(retried.status(), 200);
    let retried: Value = retried.json().await.unwrap();
    assert_eq!((retried["state"].as_str(), retried["attempts"].as_i64()), (Some("queued"), Some(0)), "{retried}");
    let done = job_where(&app, &admin, "kind=mail&state=succeeded", |job| job["id"] == id.as_str()).await;
    assert_eq!(done["attempts"], 1, "{done}");
    let resets = transport.delivered.lock().unwrap().iter().filter(|m| matches!(m, Mail::PasswordReset { .. })).count();
    assert_eq!(resets, 1, "delivered once");
    assert_problem(app.post_authed(&format!("{path}/retry"), &admin, None).await, 409, "job_state_conflict").await;

    // Audited, paged, filtered, refused.
    let audit = get(&app, "/v1/admin/audit-logs?action=job.retried", &admin).await;
    assert_eq!(audit["items"][0]["metadata"], json!({ "job_id": id, "kind": "mail" }), "{audit}");
    let first = get(&app, "/v1/admin/jobs?kind=mail&limit=1", &admin).await;
    assert_eq!(first["items"].as_array().unwrap().len(), 1);
    let cursor = first["next_cursor"].as_str().expect("two mails: a second page");
    let second = get(&app, &format!("/v1/admin/jobs?kind=mail&limit=1&cursor={cursor}"), &admin).await;
    assert_ne!(second["items"][0]["id"], first["items"][0]["id"]);
    assert_problem(app.get_authed("/v1/admin/jobs?kind=celery", &admin).await, 422, "validation_failed").await;
    assert_problem(app.get_authed("/v1/admin/jobs?state=lost", &admin).await, 422, "validation_failed").await;
    let unknown = format!("/v1/admin/jobs/{}", uuid::Uuid::now_v7());
    assert_problem(app.get_authed(&unknown, &admin).await, 404, "not_found").await;
    assert_problem(app.post_authed(&format!("{unknown}/retry"), &admin, None).await, 404, "not_found").await;
    let (_, user) = app.signed_in().await;
    let user = user["access_token"].as_str().unwrap().to_owned();
    assert_problem(app.get_authed("/v1/admin/jobs", &user).await, 403, "forbidden").await;
    assert_problem(app.post_authed(&format!("{path}/retry"), &user, None).await, 403, "forbidden").await;

    // What `/metrics` shows: the queue by kind and state, and the runs.
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let value = |prefix: &str| {
        metrics
            .lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|n| n.parse::<f64>().ok())
    };
    // (The recorder is the test process's: other tests' servers count in it too.)
    for series in [
        "identity_jobs{queue=\"main\",kind=\"mail\",state=\"succeeded\"}",
        "identity_jobs{queue=\"main\",kind=\"mail\",state=\"dead\"}",
        "identity_jobs_oldest_seconds{queue=\"main\",kind=\"mail\"}",
        "identity_job_runs_total{kind=\"mail\",outcome=\"dead\"}",
        "identity_job_runs_total{kind=\"mail\",outcome=\"retrying\"}",
        "identity_job_runs_total{kind=\"mail\",outcome=\"succeeded\"}",
    ] {
        assert!(value(series).is_some(), "{series}: {metrics}");
    }
    assert!(value("identity_job_runs_total{kind=\"mail\",outcome=\"dead\"}").unwrap() >= 1.0);
}

async fn send(app: &TestApp, method: Method, path: &str, token: &str, body: Value) -> Value {
    let res = app.client.request(method, app.url(path)).bearer_auth(token).json(&body).send().await.unwrap();
    assert!(res.status().is_success(), "{path}: {}", res.status());
    res.json().await.unwrap()
}

/// The provisioner answers 503 then 200: the instance is `ready` after a retry, with one
/// `instance.updated`; a 400 fails the next instance at once; a provisioner that stays down
/// fails the third after `JOB_MAX_ATTEMPTS`.
async fn provisioning_follows_the_provisioner(backend: Backend) {
    let provisioner = StubHttp::start(&[Answer::Status(503), Answer::Status(200)]).await;
    let boss = unique_email();
    let settings = [
        ("BOOTSTRAP_ADMIN_EMAIL", boss.as_str()),
        ("INSTANCE_PROVISIONER_URL", provisioner.url.as_str()),
        ("INSTANCE_PROVISIONER_AUTH_HEADER", "Bearer s3cret"),
        ("JOB_MAX_ATTEMPTS", "3"),
        ("JOB_BACKOFF_BASE_MS", "1000"),
    ];
    let (app, clock) = spawn_app_with_clock(backend, &settings).await;
    let admin = app.bootstrap_admin(&boss).await;
    let (_, login) = app.signed_in().await;
    let user = login["access_token"].as_str().unwrap().to_owned();
    let agent =
        send(&app, Method::POST, "/v1/admin/agents", &admin, json!({"name": "Writer", "category": "writing"})).await;
    let create = || send(&app, Method::POST, "/v1/instances", &user, json!({"agent_id": agent["id"], "name": "Mine"}));
    let state_of = async |id: &str, state: &str| {
        eventually(&format!("the instance {state}"), Duration::from_secs(15), async || {
            let now = get(&app, &format!("/v1/instances/{id}"), &user).await;
            (now["state"] == state).then_some(now)
        })
        .await
    };

    let first = create().await;
    assert_eq!(first["state"], "provisioning");
    let id = first["id"].as_str().unwrap().to_owned();
    let job = job_where(&app, &admin, "kind=provision_instance&state=queued", |job| job["attempts"] == 1).await;
    assert!(job["last_error"].as_str().unwrap().contains("503"), "{job}");
    clock.elapse(Duration::from_secs(2)).await;
    let ready = state_of(&id, "ready").await;
    assert_eq!(ready["version"], 2, "{ready}");
    let requests = provisioner.requests();
    assert_eq!(requests.len(), 2, "one failure, one success");
    let (head, body) = &requests[1];
    assert!(head.to_lowercase().contains(&format!("idempotency-key: {id}")), "{head}");
    assert!(head.to_lowercase().contains("authorization: bearer s3cret"), "{head}");
    let body: Value = serde_json::from_str(body).unwrap();
    assert_eq!((body["instance_id"].as_str(), body["name"].as_str()), (Some(id.as_str()), Some("Mine")), "{body}");

    // Refused for good: failed at once, the job dead with the refusal.
    provisioner.script(&[Answer::Status(400)]);
    let second = create().await["id"].as_str().unwrap().to_owned();
    let refused = state_of(&second, "failed").await;
    assert_eq!(refused["version"], 2, "{refused}");
    let dead = job_where(&app, &admin, "kind=provision_instance&state=dead", |_| true).await;
    assert_eq!(dead["attempts"], 1, "{dead}");

    // Down for every attempt: failed once they are spent.
    provisioner.script(&[Answer::Status(502)]);
    let third = create().await["id"].as_str().unwrap().to_owned();
    // Each retry is due after its backoff: move the clock until the attempts are spent.
    for _ in 0..20 {
        let now = get(&app, &format!("/v1/instances/{third}"), &user).await;
        if now["state"] == "failed" {
            break;
        }
        clock.elapse(Duration::from_secs(5)).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let failed = state_of(&third, "failed").await;
    assert_eq!(failed["version"], 2, "{failed}");
    let spent = job_where(&app, &admin, "kind=provision_instance&state=dead", |job| {
        job["payload"]["instance_id"] == third.as_str()
    })
    .await;
    assert_eq!(spent["attempts"], 3, "{spent}");
}

/// Retention runs each interval and reports what it deleted: after the sessions' lifetime
/// passed, the expired sessions go; a live one stays.
async fn retention_runs_on_schedule_and_says_what_it_deleted(backend: Backend) {
    let boss = unique_email();
    let settings = [("BOOTSTRAP_ADMIN_EMAIL", boss.as_str()), ("RETENTION_INTERVAL_SECONDS", "1")];
    let (app, clock) = spawn_app_with_clock(backend, &settings).await;
    app.bootstrap_admin(&boss).await;
    app.signed_in().await;
    // Past every session's lifetime (30 days) and a retention interval.
    clock.elapse(Duration::from_secs(31 * 86_400)).await;
    let admin = app.login_ok(&boss, PASSWORD).await["access_token"].as_str().unwrap().to_owned();
    let run = job_where(&app, &admin, "kind=retention&state=succeeded", |job| {
        job["result"]["sessions"].as_u64().is_some_and(|n| n >= 2)
    })
    .await;
    assert_eq!(run["attempts"], 1, "{run}");
    assert!(run["unique_key"].as_str().unwrap().starts_with("retention:"), "{run}");
    // The admin's new session is live: it still works.
    assert_eq!(app.get_authed("/v1/auth/me", &admin).await.status(), 200);
}

both_backends!(
    a_failing_mail_backs_off_ends_dead_and_an_admin_retries_it,
    provisioning_follows_the_provisioner,
    retention_runs_on_schedule_and_says_what_it_deleted,
);
