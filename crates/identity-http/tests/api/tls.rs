#![allow(clippy::unwrap_used, clippy::expect_used)]

//! TLS to every store, end to end: the `identity` binary against a throwaway PostgreSQL that
//! speaks TLS only, a Redis on its TLS port and RabbitMQ behind a TLS terminator, with a
//! throwaway CA. A verified store is served; a certificate that fails verification stops
//! start-up (exit status 1) naming the variable, never a silent downgrade or a "down"
//! dependency waited for. The adapters' own tests go through every mode (identity-postgres
//! `tests/tls.rs`, identity-redis `tls_server`, identity-amqp `connect`).

use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use identity_postgres::testkit::PrivatePostgres;
use identity_redis::tls_server::TlsRedis;
use identity_tls::testing::{TestPki, TlsTerminator, WRONG_HOST};

use crate::helpers::{Process, eventually, free_port, server_command};

/// Runs `identity serve` with `env` (each attempt may take 5 s); it must stop by itself. Its
/// exit status and everything it wrote (log and stderr).
async fn serve_until_it_stops(env: &[(&str, &str)]) -> (ExitStatus, String) {
    let env = [env, &[("DEPENDENCY_TIMEOUT_SECONDS", "5")]].concat();
    let (status, log, stderr) = crate::dependencies::serve_until_it_gives_up(&env).await;
    (status, log + &stderr)
}

/// The message start-up stops with for `var`'s certificate.
fn untrusted(output: &str, name: &str, var: &str) -> bool {
    output.contains(&format!("{name} ({var}) showed a TLS certificate that failed verification"))
}

/// PostgreSQL with `sslmode=verify-full`: the right CA is served (migrations and requests go
/// over TLS); an unknown CA or the wrong host name stop start-up naming DATABASE_URL.
#[tokio::test]
async fn a_database_certificate_that_fails_verification_stops_start_up_naming_database_url() {
    let pki = TestPki::generate();
    let database = PrivatePostgres::tls(&pki);

    let good = database.url("localhost", &format!("sslmode=verify-full&sslrootcert={}", pki.file("ca.pem")));
    let port = free_port();
    let mut command = server_command(port);
    command.arg("serve").env("DATABASE_URL", &good).env("RUST_LOG", "warn").stdout(Stdio::null());
    let _server = Process(command.spawn().unwrap());
    let client = reqwest::Client::new();
    let ready = format!("http://127.0.0.1:{port}/ready");
    eventually("/ready to answer 200 over a verified TLS connection", Duration::from_secs(60), async || {
        let answer = client.get(&ready).send().await.ok()?;
        (answer.status() == 200).then_some(())
    })
    .await;

    for (case, url) in [
        (
            "an unknown CA",
            database.url("localhost", &format!("sslmode=verify-full&sslrootcert={}", pki.file("other-ca.pem"))),
        ),
        (
            "the wrong host name",
            database.url(WRONG_HOST, &format!("sslmode=verify-full&sslrootcert={}", pki.file("ca.pem"))),
        ),
    ] {
        let (status, output) = serve_until_it_stops(&[("DATABASE_URL", &url)]).await;
        assert_eq!(status.code(), Some(1), "{case}: {output}");
        assert!(untrusted(&output, "PostgreSQL", "DATABASE_URL"), "{case}: {output}");
    }
}

/// Redis over `rediss://` and RabbitMQ over `amqps://`: a certificate their CA file does not
/// vouch for stops start-up naming REDIS_URL, AMQP_URL.
#[tokio::test]
async fn a_redis_or_broker_certificate_that_fails_verification_stops_start_up_naming_the_variable() {
    let pki = TestPki::generate();
    let redis = TlsRedis::start(&pki);
    let (status, output) = serve_until_it_stops(&[
        ("REDIS_URL", &format!("rediss://localhost:{}", redis.port())),
        ("REDIS_CA_FILE", &pki.file("other-ca.pem")),
    ])
    .await;
    assert_eq!(status.code(), Some(1), "{output}");
    assert!(untrusted(&output, "Redis", "REDIS_URL"), "{output}");

    let plain: lapin::uri::AMQPUri = std::env::var("TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
        .parse()
        .unwrap();
    let broker =
        tokio::net::lookup_host((plain.authority.host.as_str(), plain.authority.port)).await.unwrap().next().unwrap();
    let terminator = TlsTerminator::start(&pki, broker).await;
    let userinfo = &plain.authority.userinfo;
    let amqps = format!("amqps://{}:{}@{WRONG_HOST}:{}/%2f", userinfo.username, userinfo.password, terminator.port());
    let (status, output) = serve_until_it_stops(&[("AMQP_URL", &amqps), ("AMQP_CA_FILE", &pki.file("ca.pem"))]).await;
    assert_eq!(status.code(), Some(1), "{output}");
    assert!(untrusted(&output, "RabbitMQ", "AMQP_URL"), "{output}");
}
