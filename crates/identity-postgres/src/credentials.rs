//! Database credentials that may change under a running service: a secret rotated in AWS
//! Secrets Manager (`DATABASE_SECRET_ARN`). The URL is fetched from its [`UrlSource`] when
//! first needed (a source that cannot be reached fails that connection, and the next one
//! tries again). When the server refuses the credentials a new
//! connection offers (SQLSTATE class 28: a changed password, a user the rotation replaced or
//! locked), the URL is fetched again from its [`UrlSource`], at most once per
//! `refetch_every`, and the connection is tried once more with the new one. Connections
//! already open keep working: PostgreSQL checks credentials only when a connection opens.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use diesel::ConnectionError;
use diesel_async::AsyncPgConnection;

use crate::tls::{Failure, PgTarget};

/// Where a database URL comes from when it can change.
#[async_trait]
pub trait UrlSource: Send + Sync + 'static {
    /// The variable that names the source, for logs and errors (`DATABASE_SECRET_ARN`).
    fn name(&self) -> &'static str;
    /// The URL as the source holds it now.
    async fn fetch(&self) -> anyhow::Result<String>;
}

/// The error of a connection the server refused for its credentials (after a fetch of the
/// source, when there is one).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CredentialsRefused(pub String);

/// A database URL: fixed, or fetched from a [`UrlSource`] and fetched again when the server
/// refuses its credentials. Cheap to clone; clones share the current URL.
#[derive(Clone)]
pub struct DatabaseUrl {
    inner: Arc<Inner>,
}

struct Inner {
    /// `None` until the source was fetched.
    current: RwLock<Option<Current>>,
    source: Option<Box<dyn UrlSource>>,
    refetch_every: Duration,
    /// Held while fetching; when the last fetch started.
    last_fetch: tokio::sync::Mutex<Option<Instant>>,
}

#[derive(Clone)]
struct Current {
    url: String,
    target: PgTarget,
    /// Bumped by every fetch that changed the URL.
    version: u64,
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the URL: it holds the password.
        let source = self.inner.source.as_ref().map(|s| s.name());
        f.debug_struct("DatabaseUrl").field("source", &source).finish_non_exhaustive()
    }
}

impl DatabaseUrl {
    /// A URL that never changes. Errors name the parameter at fault, never the URL.
    pub fn fixed(url: &str) -> Result<Self, String> {
        let current = Current { url: url.to_owned(), target: PgTarget::parse(url)?, version: 0 };
        Ok(Self::new(Some(current), None, Duration::ZERO))
    }

    /// A URL fetched from `source` when first needed, and again when the server refuses it (at
    /// most once per `refetch_every`).
    pub fn from_source(source: impl UrlSource, refetch_every: Duration) -> Self {
        Self::new(None, Some(Box::new(source)), refetch_every)
    }

    fn new(current: Option<Current>, source: Option<Box<dyn UrlSource>>, refetch_every: Duration) -> Self {
        let last_fetch = tokio::sync::Mutex::new(None);
        Self { inner: Arc::new(Inner { current: RwLock::new(current), source, refetch_every, last_fetch }) }
    }

    fn snapshot(&self) -> Option<Current> {
        match self.inner.current.read() {
            Ok(current) => current.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn replace(&self, next: Current) {
        match self.inner.current.write() {
            Ok(mut current) => *current = Some(next),
            Err(poisoned) => *poisoned.into_inner() = Some(next),
        }
    }

    /// The current URL, fetching it first if it never was.
    async fn current(&self) -> anyhow::Result<Current> {
        if let Some(current) = self.snapshot() {
            return Ok(current);
        }
        let Some(source) = &self.inner.source else { anyhow::bail!("no database URL") };
        let _fetching = self.inner.last_fetch.lock().await;
        if let Some(current) = self.snapshot() {
            return Ok(current);
        }
        let url = source.fetch().await?;
        let target = PgTarget::parse(&url).map_err(|e| anyhow::anyhow!("{}: {e}", source.name()))?;
        let current = Current { url, target, version: 0 };
        self.replace(current.clone());
        Ok(current)
    }

    /// The URL as it is now (it holds the password), fetching it first if it never was.
    pub async fn url(&self) -> anyhow::Result<String> {
        Ok(self.current().await?.url)
    }

    /// Opens one connection, fetching the URL again if the server refuses its credentials.
    pub async fn connect(&self) -> Result<AsyncPgConnection, ConnectionError> {
        let seen = self.current().await.map_err(|e| ConnectionError::BadConnection(format!("{e:#}")))?;
        match seen.target.try_connect().await {
            Ok(conn) => Ok(conn),
            Err(Failure::CredentialsRefused(text)) => match self.refetched(seen.version).await {
                Some(target) => target.connect().await,
                None => Err(ConnectionError::BadConnection(text)),
            },
            Err(Failure::Other(error)) => Err(error),
        }
    }

    /// Runs `attempt` with the current target; if the server refused the credentials, fetches
    /// the URL again and runs it once more (migrations open their connection on a thread of
    /// their own, so they cannot use [`Self::connect`]).
    pub(crate) async fn with_target<T, F, Fut>(&self, attempt: F) -> anyhow::Result<T>
    where
        F: Fn(PgTarget) -> Fut,
        Fut: Future<Output = anyhow::Result<T>>,
    {
        let seen = self.current().await?;
        match attempt(seen.target.clone()).await {
            Err(error) if error.downcast_ref::<CredentialsRefused>().is_some() => {
                match self.refetched(seen.version).await {
                    Some(target) => attempt(target).await,
                    None => Err(error),
                }
            }
            other => other,
        }
    }

    /// After the server refused the credentials of `seen`: the target to try next, if there is
    /// a newer one (fetched now, or by another connection meanwhile).
    async fn refetched(&self, seen: u64) -> Option<PgTarget> {
        let source = self.inner.source.as_ref()?;
        let name = source.name();
        let mut last_fetch = self.inner.last_fetch.lock().await;
        let current = self.snapshot()?;
        if current.version != seen {
            return Some(current.target);
        }
        if last_fetch.is_some_and(|at| at.elapsed() < self.inner.refetch_every) {
            return None;
        }
        *last_fetch = Some(Instant::now());
        let fetched = match source.fetch().await {
            Ok(url) => url,
            Err(error) => {
                tracing::error!(
                    variable = name,
                    error = format!("{error:#}"),
                    "the database refused its credentials, and fetching them again from {name} failed"
                );
                return None;
            }
        };
        if fetched == current.url {
            tracing::error!(
                variable = name,
                "the database refused the credentials {name} holds; fetched again, they have not changed"
            );
            return None;
        }
        let target = match PgTarget::parse(&fetched) {
            Ok(target) => target,
            Err(error) => {
                tracing::error!(variable = name, %error, "{name} now holds a database URL that cannot be used");
                return None;
            }
        };
        let version = current.version + 1;
        self.replace(Current { url: fetched, target: target.clone(), version });
        tracing::info!(
            variable = name,
            version,
            "the database refused its credentials; fetched new ones from {name} (a rotated secret)"
        );
        Some(target)
    }
}

#[cfg(all(test, feature = "testkit"))]
mod tests;
