//! `Verifier` against tokens signed as the identity service signs them, with the keys served
//! by a stand-in `/.well-known/paserk`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use chrono::{DateTime, Utc};
use common::{KeyServer, Signer, claims, nobody_listening, now, time};
use identity_verifier::{Config, ConfigError, Verifier, VerifyError};

fn config(base_url: &str) -> Config {
    Config::new(base_url, "identity", "identity")
}

fn verifier(base_url: &str) -> Verifier {
    Verifier::new(config(base_url)).unwrap()
}

fn at(raw: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(raw).unwrap().with_timezone(&Utc)
}

#[tokio::test]
async fn a_valid_token_gives_its_claims() {
    let key = Signer::generate();
    let server = KeyServer::start(&[&key]).await;
    let verifier = verifier(&server.url);
    let wire = claims();
    let read = verifier.verify(&key.sign(&wire)).await.unwrap();
    assert_eq!(read.sub, wire.sub);
    assert_eq!(read.sid, wire.sid);
    assert_eq!(read.jti, wire.jti);
    assert_eq!((read.iss.as_str(), read.aud.as_str()), ("identity", "identity"));
    assert_eq!(read.roles, ["user"]);
    assert_eq!(read.amr, ["pwd"]);
    assert_eq!(read.iat, at(&wire.iat));
    assert_eq!(read.nbf, at(&wire.nbf));
    assert_eq!(read.exp, at(&wire.exp));
    assert_eq!(read.auth_time, at(wire.auth_time.as_deref().unwrap()));
    assert!(read.has_role("user"));
    assert!(!read.has_role("admin"));
    // The keys are fetched once, then kept.
    verifier.verify(&key.token()).await.unwrap();
    verifier.clone().verify(&key.token()).await.unwrap();
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn a_token_without_auth_time_counts_from_its_issue() {
    let key = Signer::generate();
    let verifier = Verifier::with_keys(config(""), &[key.published()]).unwrap();
    let wire = common::WireClaims { auth_time: None, ..claims() };
    let read = verifier.verify(&key.sign(&wire)).await.unwrap();
    assert_eq!(read.auth_time, read.iat);
}

#[tokio::test]
async fn expiry_and_not_before_allow_the_leeway_only() {
    let key = Signer::generate();
    let verifier = Verifier::with_keys(config(""), &[key.published()]).unwrap();
    let now = now();
    let expired = |ago: i64| common::WireClaims { exp: time(now - chrono::Duration::seconds(ago)), ..claims() };
    let early = |ahead: i64| common::WireClaims { nbf: time(now + chrono::Duration::seconds(ahead)), ..claims() };
    // Within the default leeway of 30 s.
    verifier.verify(&key.sign(&expired(10))).await.unwrap();
    verifier.verify(&key.sign(&early(10))).await.unwrap();
    // Beyond it.
    assert_eq!(verifier.verify(&key.sign(&expired(60))).await, Err(VerifyError::Expired));
    assert_eq!(verifier.verify(&key.sign(&early(60))).await, Err(VerifyError::NotYetValid));
    let issued_later = common::WireClaims { iat: time(now + chrono::Duration::minutes(5)), ..claims() };
    assert_eq!(verifier.verify(&key.sign(&issued_later)).await, Err(VerifyError::NotYetValid));
    // Without leeway.
    let strict = Config { leeway: Duration::ZERO, ..config("") };
    let strict = Verifier::with_keys(strict, &[key.published()]).unwrap();
    assert_eq!(strict.verify(&key.sign(&expired(10))).await, Err(VerifyError::Expired));
    assert_eq!(strict.verify(&key.sign(&early(10))).await, Err(VerifyError::NotYetValid));
}

#[tokio::test]
async fn another_issuer_or_audience_is_refused() {
    let key = Signer::generate();
    let verifier = Verifier::with_keys(config(""), &[key.published()]).unwrap();
    let issuer = common::WireClaims { iss: "someone-else".into(), ..claims() };
    assert_eq!(verifier.verify(&key.sign(&issuer)).await, Err(VerifyError::WrongIssuer));
    let audience = common::WireClaims { aud: "other-service".into(), ..claims() };
    assert_eq!(verifier.verify(&key.sign(&audience)).await, Err(VerifyError::WrongAudience));
    // The verifier's own audience.
    let billing = Config::new("", "identity", "billing");
    let billing = Verifier::with_keys(billing, &[key.published()]).unwrap();
    assert_eq!(billing.verify(&key.token()).await, Err(VerifyError::WrongAudience));
}

#[tokio::test]
async fn tampered_forged_and_malformed_tokens_are_refused() {
    let key = Signer::generate();
    let verifier = Verifier::with_keys(config(""), &[key.published()]).unwrap();
    let token = key.token();
    let mut chars: Vec<char> = token.chars().collect();
    let i = "v4.public.".len() + 5;
    chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
    let tampered: String = chars.into_iter().collect();
    assert_eq!(verifier.verify(&tampered).await, Err(VerifyError::BadSignature));
    // Signed by another key that names the trusted one.
    let forged = Signer::generate().sign_as(&claims(), &key.kid);
    assert_eq!(verifier.verify(&forged).await, Err(VerifyError::BadSignature));
    // Not a token of ours at all.
    let no_footer = token.rsplit_once('.').unwrap().0;
    for bad in ["", "v4.local.abc", "v2.public.abc", "v4.public.", no_footer] {
        assert!(matches!(verifier.verify(bad).await, Err(VerifyError::Malformed(_))), "{bad:?}");
    }
    // Well signed, but no key id, or not an access token's claims.
    let footer = serde_json::json!({ "kid": key.kid }).to_string();
    let payload = serde_json::to_vec(&claims()).unwrap();
    let no_kid = key.sign_raw(&payload, b"k4.pid.not-json");
    let not_claims = key.sign_raw(br#"{"sub":"someone"}"#, footer.as_bytes());
    let bad_time = common::WireClaims { exp: "tomorrow".into(), ..claims() };
    let bad_time = key.sign_raw(&serde_json::to_vec(&bad_time).unwrap(), footer.as_bytes());
    assert_eq!(verifier.verify(&no_kid).await, Err(VerifyError::Malformed("the footer names no key (kid)")));
    assert_eq!(verifier.verify(&not_claims).await, Err(VerifyError::Malformed("the claims are not an access token's")));
    assert_eq!(verifier.verify(&bad_time).await, Err(VerifyError::Malformed("exp is not an RFC 3339 time")));
    let error = verifier.verify(&tampered).await.unwrap_err().to_string();
    assert!(!error.contains(&tampered[10..30]), "the token is in the error: {error}");
}

/// The identity service rotated its key: a token of the new key makes the verifier fetch the
/// keys again, and tokens of the old one still pass while it is published; once withdrawn,
/// they do not.
#[tokio::test]
async fn an_unknown_key_is_fetched_and_a_withdrawn_one_dropped() {
    let (old, new) = (Signer::generate(), Signer::generate());
    let server = KeyServer::start(&[&old]).await;
    let config = Config { min_refresh_interval: Duration::ZERO, ..config(&server.url) };
    let verifier = Verifier::new(config).unwrap();
    let old_token = old.token();
    verifier.verify(&old_token).await.unwrap();
    assert_eq!(server.hits(), 1);

    server.publish(&[&new, &old]);
    verifier.verify(&new.token()).await.unwrap();
    assert_eq!(server.hits(), 2);
    verifier.verify(&old_token).await.unwrap();
    assert_eq!(server.hits(), 2);

    server.publish(&[&new]);
    assert_eq!(verifier.verify(&Signer::generate().token()).await, Err(VerifyError::UnknownKey));
    assert_eq!(server.hits(), 3);
    assert_eq!(verifier.verify(&old_token).await, Err(VerifyError::UnknownKey));
    verifier.verify(&new.token()).await.unwrap();
}

/// Tokens with made-up key ids cannot make the verifier ask the identity service more than
/// once per `min_refresh_interval`, however many arrive at once.
#[tokio::test]
async fn unknown_keys_fetch_at_most_once_per_interval() {
    let key = Signer::generate();
    let server = KeyServer::start(&[&key]).await;
    let config = Config { min_refresh_interval: Duration::from_millis(300), ..config(&server.url) };
    let verifier = Verifier::new(config).unwrap();
    let stranger = Signer::generate();
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (verifier, token) = (verifier.clone(), stranger.token());
            tokio::spawn(async move { verifier.verify(&token).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), Err(VerifyError::UnknownKey));
    }
    assert_eq!(verifier.verify(&stranger.token()).await, Err(VerifyError::UnknownKey));
    assert_eq!(server.hits(), 1);
    // What that fetch brought is used meanwhile.
    verifier.verify(&key.token()).await.unwrap();
    assert_eq!(server.hits(), 1);

    // Once the interval is over, an unknown key is looked up again.
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(verifier.verify(&stranger.token()).await, Err(VerifyError::UnknownKey));
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn the_default_interval_is_30_seconds() {
    let key = Signer::generate();
    let server = KeyServer::start(&[&key]).await;
    let verifier = verifier(&server.url);
    assert_eq!(verifier.config().min_refresh_interval, Duration::from_secs(30));
    assert_eq!(verifier.config().leeway, Duration::from_secs(30));
    let stranger = Signer::generate();
    assert_eq!(verifier.verify(&stranger.token()).await, Err(VerifyError::UnknownKey));
    assert_eq!(verifier.verify(&stranger.token()).await, Err(VerifyError::UnknownKey));
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn keys_that_cannot_be_fetched_are_unavailable_not_unknown() {
    let key = Signer::generate();
    let down = nobody_listening().await;
    let verifier = verifier(&down);
    let Err(VerifyError::KeysUnavailable(reason)) = verifier.verify(&key.token()).await else {
        panic!("not KeysUnavailable");
    };
    assert!(reason.contains(&format!("GET {down}/.well-known/paserk")), "{reason}");
    // Within the interval, the failure is told again without another try.
    assert!(matches!(verifier.verify(&key.token()).await, Err(VerifyError::KeysUnavailable(_))));
    assert!(matches!(verifier.fetch_keys().await, Err(VerifyError::KeysUnavailable(_))));

    let server = KeyServer::start(&[&key]).await;
    server.answer(503, "{}");
    let error = verifier_now(&server.url).verify(&key.token()).await.unwrap_err();
    assert!(matches!(&error, VerifyError::KeysUnavailable(r) if r.contains("answered 503")), "{error}");
    server.answer(200, "<html>not keys</html>");
    let error = verifier_now(&server.url).verify(&key.token()).await.unwrap_err();
    assert!(matches!(&error, VerifyError::KeysUnavailable(r) if r.contains("did not answer a key set")), "{error}");
    // Back: the next fetch (here: at once) succeeds.
    server.publish(&[&key]);
    verifier_now(&server.url).verify(&key.token()).await.unwrap();
}

fn verifier_now(base_url: &str) -> Verifier {
    Verifier::new(Config { min_refresh_interval: Duration::ZERO, ..config(base_url) }).unwrap()
}

#[tokio::test]
async fn fetch_keys_loads_the_usable_keys_now() {
    let (key, other) = (Signer::generate(), Signer::generate());
    let server = KeyServer::start(&[]).await;
    let body = serde_json::json!({ "keys": [
        { "kid": key.kid, "paserk": key.public },
        // A key id that is not its key's, and a key of a later version: left out.
        { "kid": key.kid, "paserk": other.public },
        { "kid": "k5.pid.x", "paserk": "k5.public.x" },
    ]});
    server.answer(200, &body.to_string());
    let verifier = verifier(&server.url);
    assert_eq!(verifier.fetch_keys().await.unwrap(), 1);
    assert_eq!(verifier.fetch_keys().await.unwrap(), 1);
    assert_eq!(server.hits(), 2);
    verifier.verify(&key.token()).await.unwrap();
    assert_eq!(verifier.verify(&other.sign_as(&claims(), &key.kid)).await, Err(VerifyError::BadSignature));
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn given_keys_are_checked_and_used_without_fetching() {
    let key = Signer::generate();
    let verifier = Verifier::with_keys(config(""), &[(key.kid.as_str(), key.public.as_str())]).unwrap();
    assert_eq!(verifier.fetch_keys().await.unwrap(), 1);
    verifier.verify(&key.token()).await.unwrap();
    assert_eq!(verifier.verify(&Signer::generate().token()).await, Err(VerifyError::UnknownKey));

    let other = Signer::generate();
    let Err(ConfigError::Key { kid, reason }) = Verifier::with_keys(config(""), &[(&key.kid, &other.public)]) else {
        panic!("a key id that is not its key's is accepted");
    };
    assert_eq!(kid, key.kid);
    assert!(reason.contains("k4.pid"), "{reason}");
    let error = Verifier::with_keys(config(""), &[(key.kid.as_str(), "k4.secret.AAAA")]).unwrap_err().to_string();
    assert!(error.contains("not a PASERK k4.public.… key") && !error.contains("AAAA"), "{error}");

    // Given keys stay accepted beside the fetched ones.
    let fetched = Signer::generate();
    let server = KeyServer::start(&[&fetched]).await;
    let both = Verifier::with_keys(config(&server.url), &[key.published()]).unwrap();
    both.verify(&key.token()).await.unwrap();
    assert_eq!(server.hits(), 0);
    both.verify(&fetched.token()).await.unwrap();
    assert_eq!(server.hits(), 1);
}
