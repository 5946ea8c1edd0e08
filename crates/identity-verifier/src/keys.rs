//! The identity service's public keys: read from PASERK strings, fetched from
//! `/.well-known/paserk`.

use std::collections::HashMap;

use pasetors::keys::AsymmetricPublicKey;
use pasetors::paserk::{FormatAsPaserk, Id};
use pasetors::version4::V4;
use serde::Deserialize;

/// An Ed25519 public key tokens are verified with.
pub(crate) type Key = AsymmetricPublicKey<V4>;

/// Keys by their PASERK id (`k4.pid.…`), the `kid` of the token footer.
pub(crate) type KeySet = HashMap<String, Key>;

/// `GET /.well-known/paserk`: `{"keys":[{"kid":"k4.pid.…","paserk":"k4.public.…"}]}`.
#[derive(Deserialize)]
struct Published {
    keys: Vec<PublishedKey>,
}

#[derive(Deserialize)]
struct PublishedKey {
    kid: String,
    paserk: String,
}

/// The key `paserk` (`k4.public.…`), checked to be the one `kid` names: a key id that is not
/// its key's would let a key be taken for another.
pub(crate) fn parse(kid: &str, paserk: &str) -> Result<Key, &'static str> {
    let key = Key::try_from(paserk.trim()).map_err(|_| "not a PASERK k4.public.… key")?;
    if pid(&key) != kid {
        return Err("the key id is not the key's PASERK id (k4.pid.…)");
    }
    Ok(key)
}

/// The PASERK id (`k4.pid.…`) of `key`.
fn pid(key: &Key) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = Id::from(key).fmt(&mut out);
    out
}

/// Fetches the published keys from `url`, or says why it could not. Keys it cannot use (a
/// later version, a key id that is not its key's) are left out, so that one odd key does not
/// keep the others from being used.
pub(crate) async fn fetch(client: &reqwest::Client, url: &str) -> Result<KeySet, String> {
    let response = client.get(url).send().await.map_err(|e| format!("GET {url}: {}", chain(&e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("GET {url} answered {status}"));
    }
    let published: Published =
        response.json().await.map_err(|e| format!("GET {url} did not answer a key set: {}", chain(&e)))?;
    Ok(published
        .keys
        .into_iter()
        .filter_map(|published| parse(&published.kid, &published.paserk).ok().map(|key| (published.kid, key)))
        .collect())
}

/// `error` and its causes, outermost first (`a: b: c`): reqwest's own message alone does not
/// say that the connection was refused.
fn chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}
