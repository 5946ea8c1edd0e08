//! SIGTERM: readiness turns 503 first, a request in flight finishes, the process exits 0. A
//! second Ctrl-C ends the graceful stop at once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{Process, eventually, free_port, server_command};
use serde_json::json;

#[tokio::test]
async fn sigterm_lets_a_slow_request_finish_after_readiness_turns_503() {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = Process(
        server_command(port)
            // A login that takes a while: the request in flight when the signal comes.
            .env("ARGON2_MEMORY_KIB", "65536")
            .env("ARGON2_ITERATIONS", "24")
            .env("SHUTDOWN_DRAIN_SECONDS", "1")
            .env("SHUTDOWN_TIMEOUT_SECONDS", "30")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    crate::helpers::wait_until_up(&format!("{base}/health")).await;
    let client = reqwest::Client::new();
    let credentials = json!({ "email": "slow@example.com", "password": "correct horse battery staple" });
    let res = client.post(format!("{base}/v1/auth/register")).json(&credentials).send().await.unwrap();
    assert_eq!(res.status(), 201);

    let login = tokio::spawn({
        let client = client.clone();
        let url = format!("{base}/v1/auth/login");
        async move {
            let res = client.post(url).json(&credentials).send().await.unwrap();
            (res.status().as_u16(), Instant::now())
        }
    });
    // The login is hashing when the signal arrives.
    tokio::time::sleep(Duration::from_millis(150)).await;
    let signalled = Instant::now();
    let kill = Command::new("kill").args(["-TERM", &server.0.id().to_string()]).status().unwrap();
    assert!(kill.success());
    // Still serving, but no longer ready.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ready = client.get(format!("{base}/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    assert_eq!(ready.json::<serde_json::Value>().await.unwrap()["status"], "draining");

    let (status, answered) = login.await.unwrap();
    assert_eq!(status, 200, "the request in flight finished");
    assert!(answered > signalled, "it was still in flight when the signal came");
    let exit = eventually("the process to stop", Duration::from_secs(30), async || server.0.try_wait().unwrap()).await;
    assert!(exit.success(), "exit status {exit:?}");
    assert!(signalled.elapsed() >= Duration::from_secs(1), "readiness was 503 for the drain time first");
    assert!(client.get(format!("{base}/health")).send().await.is_err(), "the listener is closed");
}

/// The first SIGINT starts the graceful stop (here a 30 s drain); a second one ends the
/// process at once with 130, saying so in the log.
#[tokio::test]
async fn a_second_ctrl_c_exits_at_once() {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = Process(
        server_command(port)
            .env("SHUTDOWN_DRAIN_SECONDS", "30")
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    crate::helpers::wait_until_up(&format!("{base}/health")).await;
    let pid = server.0.id().to_string();
    let interrupt = || assert!(Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    interrupt();
    // Draining: still serving, not ready.
    let client = reqwest::Client::new();
    eventually("/ready to turn 503 after the first SIGINT", Duration::from_secs(10), async || {
        (client.get(format!("{base}/ready")).send().await.unwrap().status() == 503).then_some(())
    })
    .await;
    assert!(server.0.try_wait().unwrap().is_none(), "the first SIGINT stops gracefully, not at once");

    interrupt();
    let status = eventually("the process to exit after the second SIGINT", Duration::from_secs(3), async || {
        server.0.try_wait().unwrap()
    })
    .await;
    assert_eq!(status.code(), Some(130), "{status:?}");
    let mut log = String::new();
    std::io::Read::read_to_string(&mut server.0.stdout.take().unwrap(), &mut log).unwrap();
    assert!(log.contains("second SIGINT: exiting at once"), "{log}");
}
