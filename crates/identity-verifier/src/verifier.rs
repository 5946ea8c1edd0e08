use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use pasetors::Public;
use pasetors::token::UntrustedToken;
use pasetors::version4::{PublicToken, V4};
use tokio::sync::{Mutex, RwLock};

use crate::claims::{WireClaims, WireFooter};
use crate::keys::{self, Key, KeySet};
use crate::{Claims, ConfigError, VerifyError};

/// Where the keys come from and what a token must say to be accepted.
#[derive(Debug, Clone)]
pub struct Config {
    /// The identity service's base URL (`https://identity.example.com`): the keys are fetched
    /// from `{base_url}/.well-known/paserk`. Empty: never fetch, use only the keys given to
    /// [`Verifier::with_keys`].
    pub base_url: String,
    /// The `iss` a token must have: the identity service's `TOKEN_ISSUER` (`identity` unless
    /// set).
    pub issuer: String,
    /// The `aud` a token must have: the identity service's `TOKEN_AUDIENCE` (`identity` unless
    /// set).
    pub audience: String,
    /// How far this host's clock may be off the identity service's: a token is accepted up to
    /// this long after its `exp` and before its `nbf`. 30 s by default.
    pub leeway: Duration,
    /// The keys are fetched again (for a token signed by a key not seen yet) at most once in
    /// this long, so that tokens with made-up key ids cannot make the verifier hammer the
    /// identity service. 30 s by default.
    pub min_refresh_interval: Duration,
    /// How long fetching the keys may take. 5 s by default.
    pub fetch_timeout: Duration,
    /// The cookie the actix-web extractor reads the token from when the request has no
    /// `Authorization` header. None (the default): only `Authorization: Bearer`.
    pub cookie: Option<String>,
}

impl Config {
    /// Tokens of `issuer` for `audience`, verified with the keys of the identity service at
    /// `base_url`; the other settings at their defaults.
    pub fn new(base_url: impl Into<String>, issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            issuer: issuer.into(),
            audience: audience.into(),
            leeway: Duration::from_secs(30),
            min_refresh_interval: Duration::from_secs(30),
            fetch_timeout: Duration::from_secs(5),
            cookie: None,
        }
    }
}

/// Verifies access tokens with the identity service's public keys, kept in memory. Cloning it
/// is cheap and the clones share the keys.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    /// `{base_url}/.well-known/paserk`; None when `base_url` is empty.
    keys_url: Option<String>,
    client: reqwest::Client,
    /// Keys given to [`Verifier::with_keys`]: always accepted.
    given: KeySet,
    /// The keys the identity service published at the last successful fetch.
    fetched: RwLock<KeySet>,
    /// The last fetch. Held while fetching, so that one fetch runs at a time.
    last_fetch: Mutex<Option<LastFetch>>,
}

/// When the keys were last fetched, and why that failed if it did.
struct LastFetch {
    at: Instant,
    failure: Option<String>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier").field("config", &self.inner.config).finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier that fetches the keys from `config.base_url` when it first needs them.
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        Self::build(config, KeySet::new())
    }

    /// A verifier that also accepts the keys given as `(kid, paserk)` pairs (`k4.pid.…`,
    /// `k4.public.…`, as `/.well-known/paserk` lists them), without fetching them: for a
    /// service that ships the keys in its configuration (with an empty `base_url`, it never
    /// fetches), and for tests.
    pub fn with_keys<K: AsRef<str>, P: AsRef<str>>(config: Config, keys: &[(K, P)]) -> Result<Self, ConfigError> {
        let mut given = KeySet::new();
        for (kid, paserk) in keys {
            let kid = kid.as_ref();
            let key =
                keys::parse(kid, paserk.as_ref()).map_err(|reason| ConfigError::Key { kid: kid.to_owned(), reason })?;
            given.insert(kid.to_owned(), key);
        }
        Self::build(config, given)
    }

    fn build(config: Config, given: KeySet) -> Result<Self, ConfigError> {
        let base = config.base_url.trim().trim_end_matches('/');
        let keys_url = (!base.is_empty()).then(|| format!("{base}/.well-known/paserk"));
        // The keys are fetched seldom (twice a minute at most): a connection is not kept
        // between fetches, so each one reaches the service at `base_url` as it is now.
        let client = reqwest::Client::builder()
            .timeout(config.fetch_timeout)
            .pool_max_idle_per_host(0)
            .build()
            .map_err(|e| ConfigError::Client(e.to_string()))?;
        let inner = Inner {
            config,
            keys_url,
            client,
            given,
            fetched: RwLock::new(KeySet::new()),
            last_fetch: Mutex::new(None),
        };
        Ok(Self { inner: Arc::new(inner) })
    }

    /// The configuration the verifier was built with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The claims of `token` if it is a `v4.public` token signed by one of the identity
    /// service's keys, of the configured issuer and audience, and valid now (give or take the
    /// leeway). A key not seen yet makes it fetch the keys again, unless they were fetched less
    /// than [`Config::min_refresh_interval`] ago.
    pub async fn verify(&self, token: &str) -> Result<Claims, VerifyError> {
        let untrusted = UntrustedToken::<Public, V4>::try_from(token)
            .map_err(|_| VerifyError::Malformed("not a v4.public token"))?;
        let footer: WireFooter = serde_json::from_slice(untrusted.untrusted_footer())
            .map_err(|_| VerifyError::Malformed("the footer names no key (kid)"))?;
        let key = self.key(&footer.kid).await?;
        // The footer is covered by the signature, so the key id cannot be swapped.
        let trusted = PublicToken::verify(&key, &untrusted, None, None).map_err(|_| VerifyError::BadSignature)?;
        let wire: WireClaims = serde_json::from_str(trusted.payload())
            .map_err(|_| VerifyError::Malformed("the claims are not an access token's"))?;
        let config = &self.inner.config;
        if wire.iss != config.issuer {
            return Err(VerifyError::WrongIssuer);
        }
        if wire.aud != config.audience {
            return Err(VerifyError::WrongAudience);
        }
        let claims = wire.into_claims()?;
        let now = Utc::now();
        let leeway = TimeDelta::from_std(config.leeway).unwrap_or(TimeDelta::MAX);
        if now.signed_duration_since(claims.exp) > leeway {
            return Err(VerifyError::Expired);
        }
        // A token issued in the future is not valid yet either, whatever its `nbf`.
        if claims.nbf.signed_duration_since(now) > leeway || claims.iat.signed_duration_since(now) > leeway {
            return Err(VerifyError::NotYetValid);
        }
        Ok(claims)
    }

    /// Fetches the keys now, whenever they were last fetched: to load them when the service
    /// starts (and fail early if the identity service cannot be reached). The number of keys
    /// the verifier accepts afterwards.
    pub async fn fetch_keys(&self) -> Result<usize, VerifyError> {
        let mut last = self.inner.last_fetch.lock().await;
        self.fetch(&mut last).await?;
        let fetched = self.inner.fetched.read().await;
        Ok(self.inner.given.len() + fetched.keys().filter(|kid| !self.inner.given.contains_key(*kid)).count())
    }

    /// The key `kid` names: a known one, or one the identity service publishes now.
    async fn key(&self, kid: &str) -> Result<Key, VerifyError> {
        if let Some(key) = self.known(kid).await {
            return Ok(key);
        }
        let mut last = self.inner.last_fetch.lock().await;
        // Another request may have fetched the keys while this one waited.
        if let Some(key) = self.known(kid).await {
            return Ok(key);
        }
        if let Some(previous) = last.as_ref()
            && previous.at.elapsed() < self.inner.config.min_refresh_interval
        {
            return Err(match &previous.failure {
                Some(reason) => VerifyError::KeysUnavailable(reason.clone()),
                None => VerifyError::UnknownKey,
            });
        }
        self.fetch(&mut last).await?;
        self.known(kid).await.ok_or(VerifyError::UnknownKey)
    }

    async fn known(&self, kid: &str) -> Option<Key> {
        if let Some(key) = self.inner.given.get(kid) {
            return Some(key.clone());
        }
        self.inner.fetched.read().await.get(kid).cloned()
    }

    /// Fetches the keys (the caller holds `last`): they replace the fetched ones, so that a
    /// key the identity service withdrew stops being accepted.
    async fn fetch(&self, last: &mut Option<LastFetch>) -> Result<(), VerifyError> {
        let Some(url) = &self.inner.keys_url else {
            return Ok(());
        };
        let at = Instant::now();
        match keys::fetch(&self.inner.client, url).await {
            Ok(keys) => {
                *self.inner.fetched.write().await = keys;
                *last = Some(LastFetch { at, failure: None });
                Ok(())
            }
            Err(reason) => {
                *last = Some(LastFetch { at, failure: Some(reason.clone()) });
                Err(VerifyError::KeysUnavailable(reason))
            }
        }
    }
}
