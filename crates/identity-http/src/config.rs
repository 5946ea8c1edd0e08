//! Configuration from the environment (12-factor), validated once at start-up. A bad value
//! stops start-up with a message naming the variable; nothing falls back silently. Every
//! secret may also come from a file (`secrets`).
//!
//! [`Config`] is in sections, each read and checked in one place and handed to the part that
//! uses it: [`HttpConfig`] to the server, [`StoreConfig`] and [`EventsConfig`] to the
//! composition root's adapters, [`KeysConfig`] to the token issuer, `auth` (core's
//! [`AuthSettings`], parsed here as it is) to the use cases, [`MailConfig`] to the notifier,
//! `hashing` (the hasher's own [`HasherSettings`]) to the hasher, [`LogConfig`] to telemetry.
//! [`JobsConfig`] to the job workers. New concerns (second factors, the gateway, the proxy) add a
//! section of their own.

use std::str::FromStr;
use std::time::Duration;

pub use identity_core::usecases::AuthSettings;
pub use identity_crypto::HasherSettings;

mod auth;
mod backends;
mod http;
mod jobs;
mod mail;
mod otel;
mod proxy;
mod realtime;
mod secrets;
mod tls;
mod webauthn;

pub use auth::KeysConfig;
pub use backends::{EventsConfig, StoreConfig};
pub use http::{CookieConfig, HttpConfig};
pub use jobs::JobsConfig;
pub use mail::MailConfig;
pub use otel::OtelConfig;
pub use proxy::ProxyConfig;
pub use realtime::RealtimeConfig;
pub use secrets::{DatabaseSecret, SECRET_ARN};
pub use webauthn::WebAuthnConfig;

/// A configuration value that could not be used.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

fn invalid(var: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError { var, message: message.into() }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    Strict,
    Lax,
    None,
}

/// Where the outbox relay of this instance sends committed events (`OUTBOX_RELAY`).
///
/// A row is marked published only once its destination took it: on a shared database, an
/// instance that relayed to its own in-process bus would take events from the instances that
/// publish to RabbitMQ, and no other service would ever see them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxRelay {
    /// To RabbitMQ (`AMQP_URL`), with publisher confirms. The default when `AMQP_URL` is set.
    Broker,
    /// To this process's in-process bus only: events never leave the process. The default of
    /// the embedded store (its outbox is this process's own); on PostgreSQL only by explicit
    /// `OUTBOX_RELAY=in-process`, an opt-out of events for every other service.
    InProcess,
    /// No relay: events stay in the outbox until an instance with `AMQP_URL` publishes them.
    /// The default on PostgreSQL without `AMQP_URL`.
    Off,
}

impl OutboxRelay {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Broker => "broker",
            Self::InProcess => "in-process",
            Self::Off => "off",
        }
    }
}

/// Everything the service reads from its environment, by section.
#[derive(Debug, Clone)]
pub struct Config {
    pub http: HttpConfig,
    pub store: StoreConfig,
    pub events: EventsConfig,
    pub keys: KeysConfig,
    /// The rules of accounts, sessions and tokens, as core's use cases take them.
    pub auth: AuthSettings,
    pub mail: MailConfig,
    /// Durable jobs: workers, leases, retries, retention, provisioning.
    pub jobs: JobsConfig,
    /// Argon2id parameters and the hashing concurrency, as the hasher takes them.
    pub hashing: HasherSettings,
    pub log: LogConfig,
    /// The built-in authenticated reverse proxy (`PROXY_*`); off without `PROXY_ROUTES`.
    pub proxy: ProxyConfig,
    /// Passkeys' relying party (`WEBAUTHN_*`).
    pub webauthn: WebAuthnConfig,
    /// The WebSocket gateway's bounds (`WS_*`).
    pub realtime: RealtimeConfig,
    /// Traces over OTLP (`OTEL_*`); off without an endpoint.
    pub otel: OtelConfig,
}

/// Logs (`LOG_FORMAT`, `RUST_LOG`).
#[derive(Debug, Clone)]
pub struct LogConfig {
    pub format: LogFormat,
    pub filter: String,
}

/// Reads variables; the process environment in production, a map in tests.
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl<F: Fn(&str) -> Option<String>> Env for F {
    fn var(&self, name: &str) -> Option<String> {
        self(name)
    }
}

struct Reader<'a> {
    env: &'a dyn Env,
}

impl Reader<'_> {
    /// The value, with surrounding white space removed; empty counts as unset.
    fn get(&self, var: &'static str) -> Option<String> {
        self.env.var(var).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    fn string(&self, var: &'static str, default: &str) -> String {
        self.get(var).unwrap_or_else(|| default.to_owned())
    }

    fn parse<T: FromStr>(&self, var: &'static str, default: T, what: &str) -> Result<T, ConfigError> {
        match self.get(var) {
            None => Ok(default),
            Some(raw) => raw.parse().map_err(|_| invalid(var, format!("{raw:?} is not {what}"))),
        }
    }

    fn number<T: FromStr + PartialOrd + Copy + std::fmt::Display>(
        &self,
        var: &'static str,
        default: T,
        min: T,
        max: T,
    ) -> Result<T, ConfigError> {
        let value = self.parse(var, default, &format!("a whole number between {min} and {max}"))?;
        if value < min || value > max {
            return Err(invalid(var, format!("{value} is outside {min}..={max}")));
        }
        Ok(value)
    }

    fn seconds(&self, var: &'static str, default: u64, min: u64, max: u64) -> Result<Duration, ConfigError> {
        self.number(var, default, min, max).map(Duration::from_secs)
    }

    /// Whole seconds as a span of core's clock.
    fn span(&self, var: &'static str, default: u64, min: u64, max: u64) -> Result<chrono::Duration, ConfigError> {
        let seconds = self.seconds(var, default, min, max)?;
        chrono::Duration::from_std(seconds).map_err(|_| invalid(var, "is too long"))
    }

    fn boolean(&self, var: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.get(var).map(|v| v.to_ascii_lowercase()) {
            None => Ok(default),
            Some(v) if matches!(v.as_str(), "1" | "true" | "yes" | "on") => Ok(true),
            Some(v) if matches!(v.as_str(), "0" | "false" | "no" | "off") => Ok(false),
            Some(v) => Err(invalid(var, format!("{v:?} is not a boolean (true/false)"))),
        }
    }
}

impl Config {
    /// Reads and validates the whole configuration, section by section.
    pub fn from_env(env: &dyn Env) -> Result<Self, ConfigError> {
        let r = Reader { env };
        let http = http::read(&r)?;
        let store = backends::read_store(&r)?;
        let events = backends::read_events(&r, &store)?;
        let keys = auth::read_keys(&r)?;
        let jobs = jobs::read(&r)?;
        let mut auth = auth::read_auth(&r)?;
        auth.job_max_attempts = jobs.max_attempts;
        let mail = mail::read(&r)?;
        let hashing = auth::read_hashing(&r)?;
        let proxy = proxy::read(&r)?;
        let webauthn = webauthn::read(&r)?;
        let realtime = realtime::read(&r)?;
        let otel = otel::read(&r)?;
        let format = match r.string("LOG_FORMAT", "json").to_ascii_lowercase().as_str() {
            "json" => LogFormat::Json,
            "pretty" | "text" => LogFormat::Pretty,
            other => {
                return Err(invalid("LOG_FORMAT", format!("{other:?} is not one of json, pretty")));
            }
        };
        let log = LogConfig { format, filter: r.string("RUST_LOG", "info") };
        Ok(Self { http, store, events, keys, auth, mail, jobs, hashing, log, proxy, webauthn, realtime, otel })
    }
}

#[cfg(test)]
mod tests;
