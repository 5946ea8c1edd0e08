//! Start-up while a dependency is down. Each configured dependency (PostgreSQL, Redis,
//! RabbitMQ) gets one attempt at start-up, bounded by `DEPENDENCY_TIMEOUT_SECONDS`:
//!
//! - it answers: as before;
//! - it is down (connection refused or reset, no answer in time, a host name that does not
//!   resolve, a database that is starting up): the process starts anyway, says so at WARN and
//!   retries in the background with capped exponential back-off and jitter
//!   (`DEPENDENCY_RETRY_MAX_SECONDS`), logging once it answers. Meanwhile `/health` answers and
//!   `/ready` is 503 naming the dependency and its variable (RabbitMQ: 200 `degraded`, the
//!   outbox keeps the events);
//! - anything else (authentication refused, a TLS failure, an unknown database, a malformed
//!   URL) is a configuration error: start-up stops with it, naming the variable.
//!
//! PostgreSQL down at start-up: migrations run once it answers; until then every request but
//! the operational ones (`/health`, `/ready`, `/metrics`, the docs, the public keys) answers
//! 503 `service_unavailable` (`crate::starting::gate`).

use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use identity_core::ports::HealthCheck;

/// A dependency the service connects to, and the variable that names it.
#[derive(Debug, Clone, Copy)]
pub struct Dependency {
    pub name: &'static str,
    pub var: &'static str,
}

pub const POSTGRES: Dependency = Dependency { name: "PostgreSQL", var: "DATABASE_URL" };
pub const SHARED_POSTGRES: Dependency = Dependency { name: "the shared PostgreSQL", var: "SHARED_DATABASE_URL" };
pub const REDIS: Dependency = Dependency { name: "Redis", var: "REDIS_URL" };
pub const RABBITMQ: Dependency = Dependency { name: "RabbitMQ", var: "AMQP_URL" };

/// A readiness check and the variable naming what it checks (`/ready` says both).
#[derive(Clone)]
pub struct ReadyCheck {
    pub check: Arc<dyn HealthCheck>,
    pub variable: &'static str,
}

impl ReadyCheck {
    pub fn new(check: impl HealthCheck, dependency: Dependency) -> Self {
        Self { check: Arc::new(check), variable: dependency.var }
    }
}

/// How often a start-up still waiting for a dependency says so, at most.
const STILL_WAITING_EVERY: Duration = Duration::from_secs(5);

/// The first wait between two attempts (doubling up to the configured maximum).
const FIRST_BACKOFF: Duration = Duration::from_millis(250);

/// A dependency that did not answer within `DEPENDENCY_TIMEOUT_SECONDS`.
#[derive(Debug, thiserror::Error)]
#[error(
    "{name} ({var}) did not answer within {seconds}s (DEPENDENCY_TIMEOUT_SECONDS): check that it is up and that \
     {var} points at it"
)]
struct NoAnswer {
    name: &'static str,
    var: &'static str,
    seconds: u64,
}

/// Waits at most `timeout` for `connecting`, saying in the log what it waits for (and again
/// every few seconds while it does). A failure names the dependency and its variable, never
/// its URL (which may hold a password).
pub async fn within<T>(
    dependency: Dependency,
    timeout: Duration,
    connecting: impl Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    let Dependency { name, var } = dependency;
    tracing::info!(dependency = name, variable = var, timeout_s = timeout.as_secs(), "connecting to {name} ({var})");
    let started = tokio::time::Instant::now();
    let deadline = tokio::time::sleep(timeout);
    let every = (timeout / 2).min(STILL_WAITING_EVERY);
    let mut still_waiting = tokio::time::interval_at(started + every, every);
    tokio::pin!(connecting, deadline);
    loop {
        tokio::select! {
            result = &mut connecting => {
                return result.map_err(|error| {
                    let what = if untrusted(&error) {
                        UNTRUSTED
                    } else if is_down(&error) {
                        "is not reachable"
                    } else {
                        "refused the connection; check it"
                    };
                    anyhow::anyhow!("{name} ({var}) {what}: {error:#}")
                });
            }
            () = &mut deadline => {
                return Err(NoAnswer { name, var, seconds: timeout.as_secs() }.into());
            }
            _ = still_waiting.tick() => {
                tracing::warn!(
                    dependency = name,
                    variable = var,
                    waited_s = started.elapsed().as_secs(),
                    "still waiting for {name} ({var}) to answer"
                );
            }
        }
    }
}

/// What a certificate that failed verification is: a configuration error, never an outage.
const UNTRUSTED: &str = "showed a TLS certificate that failed verification (check the host name it is reached by, \
                         and the CA: sslrootcert, REDIS_CA_FILE, AMQP_CA_FILE; docs/configuration.md, TLS to the \
                         stores)";

/// Whether the server's TLS certificate failed verification (wrong CA, wrong host name,
/// expired): start-up stops on it, and a retry in the background logs it at ERROR.
pub fn untrusted(error: &anyhow::Error) -> bool {
    error.chain().any(identity_tls::is_certificate_error)
}

/// Whether `error` says the dependency is down (worth waiting for) rather than misconfigured.
/// The clients do not all keep their I/O errors as sources (Diesel's connection errors are
/// text), so the messages are read too.
pub fn is_down(error: &anyhow::Error) -> bool {
    const DOWN: &[&str] = &[
        "connection refused",
        // tokio-postgres's network-level failure (refused, unreachable, a name that does not
        // resolve); Diesel keeps only this text of it.
        "error connecting to server",
        "connection reset",
        "connection aborted",
        "connection closed",
        "broken pipe",
        "unexpected eof",
        "timed out",
        "timeout occurred",
        "no answer",
        "no route to host",
        "network is unreachable",
        "host is unreachable",
        "failed to lookup address",
        "name or service not known",
        "temporary failure in name resolution",
        "could not translate host name",
        "the database system is starting up",
        "the database system is shutting down",
        "the database system is in recovery mode",
        "too many clients already",
    ];
    if untrusted(error) {
        return false;
    }
    error.chain().any(|cause| {
        if cause.downcast_ref::<NoAnswer>().is_some() {
            return true;
        }
        // Secrets Manager (DATABASE_SECRET_ARN) says itself whether it was an outage.
        if let Some(fetch) = cause.downcast_ref::<identity_aws::FetchError>() {
            return fetch.is_transient();
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            if matches!(
                io.kind(),
                ConnectionRefused
                    | ConnectionReset
                    | ConnectionAborted
                    | NotConnected
                    | TimedOut
                    | BrokenPipe
                    | UnexpectedEof
                    | HostUnreachable
                    | NetworkUnreachable
                    | AddrNotAvailable
            ) {
                return true;
            }
        }
        let text = cause.to_string().to_lowercase();
        DOWN.iter().any(|down| text.contains(down))
    })
}

/// Capped exponential back-off with jitter: each wait is between half and all of the current
/// step, which doubles from 250 ms up to `max`.
#[derive(Debug, Clone)]
pub struct Backoff {
    step: Duration,
    max: Duration,
}

impl Backoff {
    pub fn new(max: Duration) -> Self {
        Self { step: FIRST_BACKOFF.min(max), max }
    }

    /// The next wait.
    pub fn next_wait(&mut self) -> Duration {
        let step = self.step;
        self.step = (self.step * 2).min(self.max);
        let random = std::collections::hash_map::RandomState::new().build_hasher().finish();
        let half = step / 2;
        let millis = u64::try_from(half.as_millis()).unwrap_or(u64::MAX).max(1);
        half + Duration::from_millis(random % (millis + 1))
    }
}

/// How start-up waits for dependencies: each attempt's timeout, the longest pause between two.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub timeout: Duration,
    pub max_backoff: Duration,
}

/// One attempt at start-up (bounded by the timeout, logged like [`within`]). `Ok(Some)`: it
/// answered; `Ok(None)`: it is down, the caller starts without it; `Err`: a configuration
/// error naming the variable.
pub async fn first_attempt<T>(
    dependency: Dependency,
    retry: Retry,
    connecting: impl Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<Option<T>> {
    match within(dependency, retry.timeout, connecting).await {
        Ok(answer) => Ok(Some(answer)),
        Err(error) if is_down(&error) => {
            let Dependency { name, var } = dependency;
            tracing::warn!(
                dependency = name,
                variable = var,
                error = format!("{error:#}"),
                "{name} ({var}) is down: starting without it; /ready names it until it answers, and it is retried \
                 in the background"
            );
            Ok(None)
        }
        Err(error) => Err(error),
    }
}

/// Retries `attempt` in the background, with [`Backoff`], until it succeeds; logs every
/// failure (at WARN while the dependency is down, at ERROR when it answers with another error)
/// and the success, then runs `then`.
pub fn retry_in_background<T, F, Fut, Then, ThenFut>(
    dependency: Dependency,
    retry: Retry,
    mut attempt: F,
    then: Then,
) -> tokio::task::JoinHandle<()>
where
    T: Send + 'static,
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = anyhow::Result<T>> + Send,
    Then: FnOnce(T) -> ThenFut + Send + 'static,
    ThenFut: Future<Output = ()> + Send,
{
    let Dependency { name, var } = dependency;
    tokio::spawn(async move {
        let mut backoff = Backoff::new(retry.max_backoff);
        let mut attempts = 1u32;
        loop {
            let wait = backoff.next_wait();
            tokio::time::sleep(wait).await;
            attempts += 1;
            let outcome = match tokio::time::timeout(retry.timeout, attempt()).await {
                Ok(outcome) => outcome,
                Err(_) => Err(NoAnswer { name, var, seconds: retry.timeout.as_secs() }.into()),
            };
            match outcome {
                Ok(answer) => {
                    tracing::info!(dependency = name, variable = var, attempts, "{name} ({var}) answers");
                    then(answer).await;
                    return;
                }
                Err(error) if untrusted(&error) => tracing::error!(
                    dependency = name,
                    variable = var,
                    attempts,
                    error = format!("{error:#}"),
                    "{name} ({var}) {UNTRUSTED}; /ready names it until it is fixed. Retrying"
                ),
                Err(error) if is_down(&error) => tracing::warn!(
                    dependency = name,
                    variable = var,
                    attempts,
                    error = format!("{error:#}"),
                    "{name} ({var}) is still down; retrying"
                ),
                Err(error) => tracing::error!(
                    dependency = name,
                    variable = var,
                    attempts,
                    error = format!("{error:#}"),
                    "{name} ({var}) answered with an error; check {var}. Retrying"
                ),
            }
        }
    })
}

/// Whether the database's migrations have run: until then requests that need the database
/// answer 503 and its readiness check fails.
#[derive(Debug, Clone)]
pub struct Migrations {
    done: Arc<AtomicBool>,
}

impl Migrations {
    pub fn new(done: bool) -> Self {
        Self { done: Arc::new(AtomicBool::new(done)) }
    }

    pub fn done(&self) -> bool {
        self.done.load(Ordering::SeqCst)
    }

    pub fn finish(&self) {
        self.done.store(true, Ordering::SeqCst);
    }
}

impl Default for Migrations {
    /// Nothing to migrate (the embedded store): done.
    fn default() -> Self {
        Self::new(true)
    }
}

/// A readiness check that fails while the migrations have not run.
pub struct Migrated<C> {
    pub check: C,
    pub migrations: Migrations,
    pub dependency: Dependency,
}

#[async_trait::async_trait]
impl<C: HealthCheck> HealthCheck for Migrated<C> {
    fn name(&self) -> &'static str {
        self.check.name()
    }

    fn required(&self) -> bool {
        self.check.required()
    }

    async fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.migrations.done(),
            "waiting for {} ({}) to answer: its migrations have not run yet",
            self.dependency.name,
            self.dependency.var
        );
        self.check.check().await
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{Backoff, is_down};

    #[test]
    fn down_is_told_from_misconfigured() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(is_down(&anyhow::Error::new(refused).context("connecting")));
        assert!(is_down(&anyhow::anyhow!("could not connect: Connection refused (os error 111)")));
        assert!(is_down(&anyhow::anyhow!("FATAL: the database system is starting up")));
        assert!(is_down(&anyhow::anyhow!("PostgreSQL (DATABASE_URL) is not reachable: error connecting to server")));
        assert!(!is_down(&anyhow::anyhow!("password authentication failed for user \"postgres\"")));
        assert!(!is_down(&anyhow::anyhow!("invalid peer certificate: UnknownIssuer")));
        // A certificate failure is never "down", whatever else its text says.
        let untrusted = anyhow::anyhow!("connection closed: invalid peer certificate: NotValidForName");
        assert!(!is_down(&untrusted) && super::untrusted(&untrusted));
        assert!(!is_down(&anyhow::anyhow!("database \"nope\" does not exist")));
    }

    #[test]
    fn backoff_doubles_up_to_its_cap_with_jitter() {
        let mut backoff = Backoff::new(Duration::from_secs(1));
        let waits: Vec<Duration> = (0..8).map(|_| backoff.next_wait()).collect();
        assert!(waits[0] >= Duration::from_millis(125) && waits[0] <= Duration::from_millis(250), "{waits:?}");
        assert!(waits.iter().all(|w| *w <= Duration::from_secs(1)), "{waits:?}");
        assert!(waits[7] >= Duration::from_millis(500), "capped at 1 s, at least half of it: {waits:?}");
    }
}
