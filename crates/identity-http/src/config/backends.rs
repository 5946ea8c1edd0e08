//! The backends: PostgreSQL and Redis (the store), RabbitMQ (the events), and how long
//! connecting to any of them may take.

use std::time::Duration;

use secrecy::SecretString;

use super::{ConfigError, OutboxRelay, Reader, invalid};

/// Where the store's ports live: unset URLs mean the embedded default.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub database_url: Option<SecretString>,
    pub database_pool_size: usize,
    pub redis_url: Option<SecretString>,
    pub redis_key_prefix: String,
    /// How long connecting to PostgreSQL, Redis or RabbitMQ may take, at start-up and when a
    /// connection is re-opened later (`DEPENDENCY_TIMEOUT_SECONDS`).
    pub dependency_timeout: Duration,
}

/// Where committed events go.
#[derive(Debug, Clone)]
pub struct EventsConfig {
    pub amqp_url: Option<SecretString>,
    pub exchange: String,
    /// CloudEvents `source` of every event.
    pub source: String,
    /// Where this instance relays the outbox (`OUTBOX_RELAY`).
    pub relay: OutboxRelay,
}

pub(super) fn read_store(r: &Reader<'_>) -> Result<StoreConfig, ConfigError> {
    Ok(StoreConfig {
        database_url: r.database_url()?,
        database_pool_size: r.number("DATABASE_POOL_SIZE", 16, 1, 1000)?,
        redis_url: r.secret_url("REDIS_URL", "REDIS_URL_FILE", &["redis", "rediss", "redis+unix", "unix"])?,
        redis_key_prefix: r.string("REDIS_KEY_PREFIX", "identity:"),
        dependency_timeout: r.seconds("DEPENDENCY_TIMEOUT_SECONDS", 10, 1, 600)?,
    })
}

/// The relay's default depends on the store: on PostgreSQL the outbox is shared.
pub(super) fn read_events(r: &Reader<'_>, store: &StoreConfig) -> Result<EventsConfig, ConfigError> {
    let amqp_url = r.secret_url("AMQP_URL", "AMQP_URL_FILE", &["amqp", "amqps"])?;
    let outbox_relay = match (r.string("OUTBOX_RELAY", "auto").to_ascii_lowercase().as_str(), &amqp_url) {
        ("auto", Some(_)) | ("broker", Some(_)) => OutboxRelay::Broker,
        ("auto", None) if store.database_url.is_some() => OutboxRelay::Off,
        ("auto", None) => OutboxRelay::InProcess,
        ("broker", None) => {
            return Err(invalid("OUTBOX_RELAY", "\"broker\" needs AMQP_URL (or AMQP_URL_FILE)"));
        }
        ("in-process", Some(_)) => {
            return Err(invalid(
                "OUTBOX_RELAY",
                "\"in-process\" keeps events from the broker AMQP_URL names: unset one of the two",
            ));
        }
        ("in-process", None) => OutboxRelay::InProcess,
        ("off", _) => OutboxRelay::Off,
        (other, _) => {
            return Err(invalid("OUTBOX_RELAY", format!("{other:?} is not one of auto, broker, in-process, off")));
        }
    };
    Ok(EventsConfig {
        amqp_url,
        exchange: r.string("AMQP_EXCHANGE", "identity.events"),
        source: r.string("EVENT_SOURCE", "/identity"),
        relay: outbox_relay,
    })
}
