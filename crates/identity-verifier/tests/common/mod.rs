//! What the tests need of the identity service: keys, tokens signed exactly as it signs them
//! (its `identity_crypto::paseto`, restated), and a `/.well-known/paserk` to fetch them from.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use pasetors::keys::{AsymmetricKeyPair, AsymmetricPublicKey, AsymmetricSecretKey, Generate};
use pasetors::paserk::{FormatAsPaserk, Id};
use pasetors::version4::{PublicToken, V4};
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use uuid::Uuid;

/// The identity service's claims as they travel in the token.
#[derive(Serialize, Clone)]
pub struct WireClaims {
    pub iss: String,
    pub aud: String,
    pub sub: Uuid,
    pub sid: Uuid,
    pub iat: String,
    pub nbf: String,
    pub exp: String,
    pub jti: Uuid,
    pub roles: Vec<String>,
    pub amr: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<String>,
}

#[derive(Serialize)]
struct WireFooter {
    kid: String,
}

pub fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Now, to the second (as the tokens carry it).
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap()
}

/// The claims of a token issued now by `identity` for `identity`, valid for 15 minutes, of a
/// user who logged in 5 minutes ago.
pub fn claims() -> WireClaims {
    let now = now();
    WireClaims {
        iss: "identity".into(),
        aud: "identity".into(),
        sub: Uuid::now_v7(),
        sid: Uuid::now_v7(),
        iat: time(now),
        nbf: time(now),
        exp: time(now + Duration::minutes(15)),
        jti: Uuid::now_v7(),
        roles: vec!["user".into()],
        amr: vec!["pwd".into()],
        auth_time: Some(time(now - Duration::minutes(5))),
    }
}

fn paserk(key: &impl FormatAsPaserk) -> String {
    let mut out = String::new();
    key.fmt(&mut out).unwrap();
    out
}

/// A signing key of the identity service.
pub struct Signer {
    secret: AsymmetricSecretKey<V4>,
    /// `k4.pid.…`
    pub kid: String,
    /// `k4.public.…`
    pub public: String,
}

impl Signer {
    pub fn generate() -> Self {
        let pair = AsymmetricKeyPair::<V4>::generate().unwrap();
        let public = AsymmetricPublicKey::<V4>::try_from(&pair.secret).unwrap();
        Self { kid: paserk(&Id::from(&public)), public: paserk(&public), secret: pair.secret }
    }

    /// `(kid, paserk)`, as `/.well-known/paserk` lists it.
    pub fn published(&self) -> (String, String) {
        (self.kid.clone(), self.public.clone())
    }

    /// A token of `claims`, signed with this key and its key id in the footer.
    pub fn sign(&self, claims: &WireClaims) -> String {
        self.sign_as(claims, &self.kid)
    }

    /// A token signed with this key but naming `kid` in its footer.
    pub fn sign_as(&self, claims: &WireClaims, kid: &str) -> String {
        let payload = serde_json::to_vec(claims).unwrap();
        let footer = serde_json::to_vec(&WireFooter { kid: kid.to_owned() }).unwrap();
        self.sign_raw(&payload, &footer)
    }

    /// A token of `payload` and `footer` as they are, signed with this key.
    pub fn sign_raw(&self, payload: &[u8], footer: &[u8]) -> String {
        PublicToken::sign(&self.secret, payload, Some(footer), None).unwrap()
    }

    /// A valid token of [`claims`].
    pub fn token(&self) -> String {
        self.sign(&claims())
    }
}

/// A stand-in for the identity service: answers every request with the key set it is told
/// to publish (or another answer), and counts the requests.
pub struct KeyServer {
    /// The base URL (`http://127.0.0.1:port`).
    pub url: String,
    answer: Arc<Mutex<(u16, String)>>,
    hits: Arc<AtomicUsize>,
}

impl KeyServer {
    /// A server publishing `keys`.
    pub async fn start(keys: &[&Signer]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = Self { url, answer: Arc::new(Mutex::new((200, String::new()))), hits: Arc::default() };
        server.publish(keys);
        let (answer, hits) = (server.answer.clone(), server.hits.clone());
        tokio::spawn(async move {
            loop {
                let (mut stream, _) = listener.accept().await.unwrap();
                let (answer, hits) = (answer.clone(), hits.clone());
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buf = [0; 1024];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        let n = stream.read(&mut buf).await.unwrap();
                        if n == 0 {
                            return;
                        }
                        request.extend_from_slice(&buf[..n]);
                    }
                    assert!(request.starts_with(b"GET /.well-known/paserk HTTP/1.1\r\n"), "{request:?}");
                    hits.fetch_add(1, Ordering::SeqCst);
                    let (status, body) = answer.lock().unwrap().clone();
                    let response = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    stream.write_all(response.as_bytes()).await.unwrap();
                    let _ = stream.shutdown().await;
                });
            }
        });
        server
    }

    /// From now on, publishes `keys`.
    pub fn publish(&self, keys: &[&Signer]) {
        let keys: Vec<_> = keys.iter().map(|k| serde_json::json!({ "kid": k.kid, "paserk": k.public })).collect();
        self.answer(200, &serde_json::json!({ "keys": keys }).to_string());
    }

    /// From now on, answers `status` with `body`.
    pub fn answer(&self, status: u16, body: &str) {
        *self.answer.lock().unwrap() = (status, body.to_owned());
    }

    /// How many times the keys were asked for.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// The base URL of a port nothing listens on.
pub async fn nobody_listening() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}
