//! `identity-verifier`, the crate Rust services verify access tokens with, against the real
//! server: the keys it fetches from `/.well-known/paserk` verify the tokens a login issues,
//! and a key rotation is followed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use identity_verifier::{Config, Verifier, VerifyError};

use crate::helpers::{Backend, spawn_app_with, spawn_app_with_clock};

fn verifier_of(base_url: &str) -> Verifier {
    Verifier::new(Config::new(base_url, "identity", "identity")).unwrap()
}

/// The verifier runs on real time and the server on its test clock: a token the server
/// issues with its clock set back an hour expired 45 minutes ago (15-minute tokens), and one
/// issued with its clock 16 minutes ahead is not valid yet.
#[tokio::test]
async fn tokens_of_a_real_login_verify_until_they_expire() {
    let (app, clock) = spawn_app_with_clock(Backend::Memory, &[]).await;
    let verifier = verifier_of(&app.address);
    let (_, login) = app.signed_in().await;
    let token = login["access_token"].as_str().unwrap();
    let claims = verifier.verify(token).await.unwrap();
    assert_eq!(claims.sub.to_string(), login["user"]["id"].as_str().unwrap());
    assert!(claims.has_role("user"), "{claims:?}");
    assert_eq!(claims.amr, ["pwd"]);
    // The token says the level its `amr` reaches, for verifiers that do not know which methods
    // are second factors.
    assert_eq!(claims.aal, 1);
    assert_eq!((claims.iss.as_str(), claims.aud.as_str()), ("identity", "identity"));
    assert_eq!(claims.exp - claims.iat, chrono::Duration::minutes(15));
    let other_audience = Verifier::new(Config::new(&app.address, "identity", "billing")).unwrap();
    assert_eq!(other_audience.verify(token).await, Err(VerifyError::WrongAudience));

    drop(clock);

    // Servers whose clocks are an hour behind and 16 minutes ahead (set before their first
    // request: a rate limiter's state does not survive a clock stepping back).
    let (behind, clock) = spawn_app_with_clock(Backend::Memory, &[]).await;
    clock.skew(chrono::Duration::hours(-1));
    let (_, late) = behind.signed_in().await;
    let verifier_of_behind = verifier_of(&behind.address);
    let late = late["access_token"].as_str().unwrap();
    assert_eq!(verifier_of_behind.verify(late).await, Err(VerifyError::Expired));
    let (ahead, clock) = spawn_app_with_clock(Backend::Memory, &[]).await;
    clock.skew(chrono::Duration::minutes(16));
    let (_, early) = ahead.signed_in().await;
    let verifier_of_ahead = verifier_of(&ahead.address);
    let early = early["access_token"].as_str().unwrap();
    assert_eq!(verifier_of_ahead.verify(early).await, Err(VerifyError::NotYetValid));
    // The token that was valid still is.
    verifier.verify(token).await.unwrap();
}

/// The identity service's URL stays while the deployment behind it rotates its key: first
/// signing with key A, then with key B while still accepting A. A verifier that knew A
/// fetches the keys again for the first B token, and A's tokens still pass.
#[tokio::test]
async fn a_rotated_key_is_fetched_and_the_old_one_still_accepted() {
    let a = identity_crypto::PasetoKeys::generate().unwrap();
    let b = identity_crypto::PasetoKeys::generate().unwrap();
    let a_public = a.public_keys()[0].1.clone();
    let before = spawn_app_with(Backend::Memory, &[("PASETO_SECRET_KEY", &a.secret_paserk())]).await;
    let after = spawn_app_with(
        Backend::Memory,
        &[("PASETO_SECRET_KEY", &b.secret_paserk()), ("PASETO_VERIFICATION_KEYS", &a_public)],
    )
    .await;
    let proxy = Switch::start(&before.address).await;
    // A rotation comes long after the last fetch; here it comes at once.
    let config = Config { min_refresh_interval: Duration::ZERO, ..Config::new(proxy.url(), "identity", "identity") };
    let verifier = Verifier::new(config).unwrap();

    let (_, login) = before.signed_in().await;
    let a_token = login["access_token"].as_str().unwrap();
    verifier.verify(a_token).await.unwrap();
    assert_eq!(proxy.connections(), 1);

    proxy.switch_to(&after.address);
    let (_, login) = after.signed_in().await;
    let b_token = login["access_token"].as_str().unwrap();
    let claims = verifier.verify(b_token).await.unwrap();
    assert_eq!(claims.sub.to_string(), login["user"]["id"].as_str().unwrap());
    assert_eq!(proxy.connections(), 2, "the keys were fetched again for the new key");
    verifier.verify(a_token).await.unwrap();
    verifier.verify(b_token).await.unwrap();
    assert_eq!(proxy.connections(), 2, "both keys were known");

    // A verifier that never saw A learns it from the new deployment too.
    let fresh = verifier_of(&after.address);
    fresh.verify(a_token).await.unwrap();
    fresh.verify(b_token).await.unwrap();
}

/// A TCP forwarder to the server the test points it at: the one URL of an identity service
/// whose deployment changes. Each connection goes to the server of the moment.
struct Switch {
    port: u16,
    upstream: Arc<Mutex<SocketAddr>>,
    connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

/// `127.0.0.1:port` of `http://127.0.0.1:port`.
fn socket(address: &str) -> SocketAddr {
    address.trim_start_matches("http://").parse().unwrap()
}

impl Switch {
    async fn start(address: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let upstream = Arc::new(Mutex::new(socket(address)));
        let connections = Arc::new(AtomicUsize::new(0));
        let (target, counter) = (upstream.clone(), connections.clone());
        let task = tokio::spawn(async move {
            // Dropped with the task: aborts every pipe.
            let mut pipes = tokio::task::JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                while pipes.try_join_next().is_some() {}
                counter.fetch_add(1, Ordering::SeqCst);
                let server = *target.lock().unwrap();
                pipes.spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(server).await else { return };
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
            }
        });
        Self { port, upstream, connections, task }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn switch_to(&self, address: &str) {
        *self.upstream.lock().unwrap() = socket(address);
    }

    /// Connections forwarded so far: the verifier opens one per fetch of the keys.
    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for Switch {
    fn drop(&mut self) {
        self.task.abort();
    }
}
