//! The jobs section: how many jobs this replica runs at once, their leases, attempts and
//! backoff, retention, and where instances are provisioned.

use std::time::Duration;

use secrecy::SecretString;

use super::{ConfigError, Reader, invalid};

/// Durable jobs (`JOB_*`, `RETENTION_*`, `INSTANCE_PROVISIONER_*`).
#[derive(Debug, Clone)]
pub struct JobsConfig {
    /// Jobs this replica runs at once (`JOB_WORKERS`); 0: it runs none (others do).
    pub workers: usize,
    /// Attempts before a job ends dead (`JOB_MAX_ATTEMPTS`).
    pub max_attempts: i32,
    /// How long a claim holds a job before another replica may take it over
    /// (`JOB_LEASE_SECONDS`); a running job's lease is renewed every third of it.
    pub lease: chrono::Duration,
    /// How often an idle worker looks for due jobs (`JOB_POLL_INTERVAL_MS`).
    pub poll_interval: Duration,
    /// The first retry's wait and the longest (`JOB_BACKOFF_BASE_MS`, `JOB_BACKOFF_MAX_SECONDS`).
    pub backoff: identity_core::domain::Backoff,
    /// How long running jobs may finish at shutdown before they are handed back
    /// (`JOB_SHUTDOWN_GRACE_SECONDS`).
    pub shutdown_grace: Duration,
    /// How often retention runs, across all replicas (`RETENTION_INTERVAL_SECONDS`).
    pub retention_interval: chrono::Duration,
    /// How long history is kept: login attempts, published events, handled messages,
    /// finished jobs, revoked sessions (`RETENTION_HISTORY_DAYS`).
    pub keep_history: chrono::Duration,
    /// Where a new instance is provisioned (`INSTANCE_PROVISIONER_URL`); unset: ready at once.
    pub provisioner_url: Option<String>,
    /// The `Authorization` value sent to the provisioner (`INSTANCE_PROVISIONER_AUTH_HEADER`
    /// or `_FILE`).
    pub provisioner_auth: Option<SecretString>,
}

/// An `http(s)://` URL from `var`.
pub(super) fn http_url(r: &Reader<'_>, var: &'static str) -> Result<Option<String>, ConfigError> {
    let Some(raw) = r.get(var) else { return Ok(None) };
    match reqwest::Url::parse(&raw) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(Some(raw)),
        _ => Err(invalid(var, "expected an http:// or https:// URL")),
    }
}

pub(super) fn read(r: &Reader<'_>) -> Result<JobsConfig, ConfigError> {
    let base_ms: u64 = r.number("JOB_BACKOFF_BASE_MS", 5_000, 1, 3_600_000)?;
    let max_secs: u64 = r.number("JOB_BACKOFF_MAX_SECONDS", 1_800, 1, 86_400)?;
    if base_ms > max_secs * 1000 {
        return Err(invalid("JOB_BACKOFF_BASE_MS", "is longer than JOB_BACKOFF_MAX_SECONDS"));
    }
    let backoff = identity_core::domain::Backoff {
        base: chrono::Duration::milliseconds(i64::try_from(base_ms).unwrap_or(5_000)),
        max: chrono::Duration::seconds(i64::try_from(max_secs).unwrap_or(1_800)),
    };
    let history_days: i64 = r.number("RETENTION_HISTORY_DAYS", 30, 1, 3_650)?;
    Ok(JobsConfig {
        workers: r.number("JOB_WORKERS", 4, 0, 256)?,
        max_attempts: r.number("JOB_MAX_ATTEMPTS", 8, 1, 100)?,
        lease: r.span("JOB_LEASE_SECONDS", 60, 2, 3_600)?,
        poll_interval: Duration::from_millis(r.number("JOB_POLL_INTERVAL_MS", 500, 10, 60_000)?),
        backoff,
        shutdown_grace: r.seconds("JOB_SHUTDOWN_GRACE_SECONDS", 10, 0, 600)?,
        retention_interval: r.span("RETENTION_INTERVAL_SECONDS", 3_600, 1, 7 * 86_400)?,
        keep_history: chrono::Duration::days(history_days),
        provisioner_url: http_url(r, "INSTANCE_PROVISIONER_URL")?,
        provisioner_auth: r.checked_secret(
            "INSTANCE_PROVISIONER_AUTH_HEADER",
            "INSTANCE_PROVISIONER_AUTH_HEADER_FILE",
            header_value,
        )?,
    })
}

/// A value that can go into an HTTP header: visible ASCII and spaces, no line breaks.
pub(super) fn header_value(raw: &str) -> Result<(), String> {
    if raw.bytes().all(|b| b == b' ' || b == b'\t' || b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err("expected a header value (visible ASCII, no line breaks)".into())
    }
}
