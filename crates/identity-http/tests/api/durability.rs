#![allow(clippy::unwrap_used, clippy::expect_used)]

//! Jobs across process deaths, with the real binary on PostgreSQL: mail enqueued during an
//! SMTP outage survives a SIGKILL and is delivered once after the restart; a replica killed
//! in the middle of a job loses its lease to another; two replicas run each scheduled
//! retention once.

use std::process::Stdio;
use std::time::Duration;

use identity_postgres::testkit::TestDatabase;
use serde_json::{Value, json};

use crate::helpers::{Db, PASSWORD, Process, eventually, free_port, server_command, unique_email, wait_until_up};
use crate::stubs::{Answer, SinkMode, SmtpSink, StubHttp};

/// A replica on `database` with test settings plus `extra`; its base URL.
fn replica(database: &str, key: &str, extra: &[(&str, &str)]) -> (Process, String) {
    let port = free_port();
    let mut command = server_command(port);
    command
        .env("DATABASE_URL", database)
        .env("PASETO_SECRET_KEY", key)
        .env("ARGON2_MEMORY_KIB", "1024")
        .env("ARGON2_ITERATIONS", "1")
        .env("RATE_LIMIT_AUTH_PER_MINUTE", "100000")
        .env("SHUTDOWN_DRAIN_SECONDS", "0")
        .env("JOB_POLL_INTERVAL_MS", "50")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (name, value) in extra {
        command.env(name, value);
    }
    (Process::group(&mut command), format!("http://127.0.0.1:{port}"))
}

fn kill(process: &mut Process) {
    let status = std::process::Command::new("kill").args(["-KILL", &process.0.id().to_string()]).status().unwrap();
    assert!(status.success());
    let _ = process.0.wait();
}

fn paseto_key() -> String {
    identity_crypto::PasetoKeys::generate().unwrap().secret_paserk()
}

/// During an SMTP outage (the sink answers 451), three registrations' mails are tried and
/// deferred; the replica is killed; the outage ends; a new replica delivers each mail once.
#[tokio::test]
async fn mail_survives_an_outage_and_a_kill_and_is_delivered_once() {
    let database = TestDatabase::create().await;
    let sink = SmtpSink::start().await;
    sink.set_mode(SinkMode::Defer);
    let key = paseto_key();
    let settings = [
        ("SMTP_URL", sink.url()),
        ("JOB_BACKOFF_BASE_MS", "100".to_owned()),
        ("JOB_BACKOFF_MAX_SECONDS", "1".to_owned()),
        ("JOB_MAX_ATTEMPTS", "100".to_owned()),
        // A job running when the kill comes is taken over quickly.
        ("JOB_LEASE_SECONDS", "2".to_owned()),
    ];
    let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (mut first, base) = replica(database.url(), &key, &settings);
    wait_until_up(&format!("{base}/ready")).await;
    let client = reqwest::Client::new();
    let emails: Vec<String> = (0..3).map(|_| unique_email()).collect();
    for email in &emails {
        let res = client.post(format!("{base}/v1/auth/register")).json(&json!({"email": email, "password": PASSWORD}));
        assert_eq!(res.send().await.unwrap().status(), 201);
    }
    let mut db = Db::connect(database.url()).await;
    eventually("every mail tried and deferred", Duration::from_secs(20), async || {
        let tried = db.number("SELECT count(*) AS n FROM jobs WHERE kind = 'mail' AND attempts >= 1").await;
        (tried == 3).then_some(())
    })
    .await;
    kill(&mut first);
    assert!(sink.messages().is_empty(), "nothing got through the outage");
    let waiting = db.number("SELECT count(*) AS n FROM jobs WHERE kind = 'mail' AND state <> 'succeeded'").await;
    assert_eq!(waiting, 3, "the kill lost nothing");

    sink.set_mode(SinkMode::Accept);
    let (_second, base) = replica(database.url(), &key, &settings);
    wait_until_up(&format!("{base}/ready")).await;
    eventually("every mail delivered", Duration::from_secs(30), async || {
        let done = db.number("SELECT count(*) AS n FROM jobs WHERE kind = 'mail' AND state = 'succeeded'").await;
        (done == 3).then_some(())
    })
    .await;
    // Nothing more comes: one message per address.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let messages = sink.messages();
    assert_eq!(messages.len(), 3, "{messages:?}");
    for email in &emails {
        let to = messages.iter().filter(|m| m.contains(&format!("To: {email}"))).count();
        assert_eq!(to, 1, "{email}: {messages:?}");
    }
}

/// A replica claims a provisioning job and hangs on the provisioner; it is killed. Another
/// replica takes the job over once the lease expired and finishes it: the instance is ready,
/// the job succeeded on its second attempt.
#[tokio::test]
async fn a_killed_worker_loses_its_lease_to_another_replica() {
    let database = TestDatabase::create().await;
    let provisioner = StubHttp::start(&[Answer::Hang, Answer::Status(200)]).await;
    let key = paseto_key();
    let settings = [("INSTANCE_PROVISIONER_URL", provisioner.url.as_str()), ("JOB_LEASE_SECONDS", "2")];
    let (mut first, base) = replica(database.url(), &key, &settings);
    wait_until_up(&format!("{base}/ready")).await;
    let mut db = Db::connect(database.url()).await;
    let agent = uuid::Uuid::now_v7();
    db.execute(&format!(
        "INSERT INTO agents (id, name, description, category, tags, enabled, created_at, updated_at) \
         VALUES ('{agent}', 'Writer', '', 'writing', '{{}}', true, now(), now())"
    ))
    .await
    .unwrap();
    let client = reqwest::Client::new();
    let email = unique_email();
    let credentials = json!({"email": email, "password": PASSWORD});
    assert_eq!(client.post(format!("{base}/v1/auth/register")).json(&credentials).send().await.unwrap().status(), 201);
    let login: Value =
        client.post(format!("{base}/v1/auth/login")).json(&credentials).send().await.unwrap().json().await.unwrap();
    let token = login["access_token"].as_str().unwrap().to_owned();
    let res = client
        .post(format!("{base}/v1/instances"))
        .bearer_auth(&token)
        .json(&json!({"agent_id": agent, "name": "Mine"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    eventually("the first replica to call the provisioner", Duration::from_secs(10), async || {
        (!provisioner.requests().is_empty()).then_some(())
    })
    .await;
    kill(&mut first);

    let (_second, base) = replica(database.url(), &key, &settings);
    wait_until_up(&format!("{base}/ready")).await;
    let ready = eventually("the instance ready", Duration::from_secs(20), async || {
        let instance: Value = client
            .get(format!("{base}/v1/instances/{id}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (instance["state"] == "ready").then_some(instance)
    })
    .await;
    assert_eq!(ready["version"], 2, "{ready}");
    assert_eq!(provisioner.requests().len(), 2);
    let attempts = "SELECT attempts::bigint AS n FROM jobs WHERE kind = 'provision_instance' AND state = 'succeeded'";
    assert_eq!(db.number(attempts).await, 2, "the second attempt, by the second replica");
}

/// Two replicas schedule retention every second for a few seconds: each interval has one
/// job, and each job ran once.
#[tokio::test]
async fn two_replicas_run_each_scheduled_retention_once() {
    let database = TestDatabase::create().await;
    let key = paseto_key();
    let settings = [("RETENTION_INTERVAL_SECONDS", "1")];
    let (mut a, base_a) = replica(database.url(), &key, &settings);
    let (mut b, base_b) = replica(database.url(), &key, &settings);
    wait_until_up(&format!("{base_a}/ready")).await;
    wait_until_up(&format!("{base_b}/ready")).await;
    let mut db = Db::connect(database.url()).await;
    eventually("several intervals", Duration::from_secs(20), async || {
        let done = db.number("SELECT count(*) AS n FROM jobs WHERE kind = 'retention' AND state = 'succeeded'").await;
        (done >= 4).then_some(())
    })
    .await;
    for process in [&mut a, &mut b] {
        let status = std::process::Command::new("kill").args(["-TERM", &process.0.id().to_string()]).status().unwrap();
        assert!(status.success());
        let _ = process.0.wait();
    }
    let jobs = db.number("SELECT count(*) AS n FROM jobs WHERE kind = 'retention'").await;
    let intervals = db.number("SELECT count(DISTINCT unique_key) AS n FROM jobs WHERE kind = 'retention'").await;
    assert_eq!(jobs, intervals, "one job per interval");
    let reruns = db.number("SELECT count(*) AS n FROM jobs WHERE kind = 'retention' AND attempts > 1").await;
    assert_eq!(reruns, 0, "each ran once");
    let workers = db.number("SELECT count(*) AS n FROM jobs WHERE kind = 'retention' AND state <> 'succeeded'").await;
    assert!(workers <= 1, "at most the last interval's job is still waiting: {workers}");
}
