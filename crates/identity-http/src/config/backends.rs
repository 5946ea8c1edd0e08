//! The backends: PostgreSQL and Redis (the store), RabbitMQ (the events), and how long
//! connecting to any of them may take.

use std::time::Duration;

use secrecy::SecretString;

use super::secrets::DatabaseSecret;
use super::{ConfigError, OutboxRelay, Reader, invalid, tls};

/// Where the store's ports live: unset URLs mean the embedded default.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// The main database (`DATABASE_URL`, `DATABASE_URL_FILE`, `DATABASE_SECRET_FILE`).
    pub database_url: Option<SecretString>,
    /// The main database's secret in AWS Secrets Manager (`DATABASE_SECRET_ARN`), instead of
    /// `database_url`.
    pub database_secret: Option<DatabaseSecret>,
    /// A database shared with other services for agents and instances, with their own
    /// migrations and outbox (`SHARED_DATABASE_URL`); unset: the main database.
    pub shared_database_url: Option<SecretString>,
    pub database_pool_size: usize,
    pub redis_url: Option<SecretString>,
    /// Roots trusted for `rediss://` instead of the system's (`REDIS_CA_FILE`).
    pub redis_ca: Option<identity_tls::CaBundle>,
    pub redis_key_prefix: String,
    /// How long connecting to PostgreSQL, Redis or RabbitMQ may take, at start-up and when a
    /// connection is re-opened later (`DEPENDENCY_TIMEOUT_SECONDS`).
    pub dependency_timeout: Duration,
    /// The longest pause between two attempts to reach a dependency that was down at
    /// start-up (`DEPENDENCY_RETRY_MAX_SECONDS`).
    pub dependency_retry_max: Duration,
}

impl StoreConfig {
    /// Whether the store is PostgreSQL (a URL, or a secret to fetch it from).
    pub fn has_database(&self) -> bool {
        self.database_url.is_some() || self.database_secret.is_some()
    }
}

/// Where committed events go.
#[derive(Debug, Clone)]
pub struct EventsConfig {
    pub amqp_url: Option<SecretString>,
    /// Roots trusted for `amqps://` besides the system's (`AMQP_CA_FILE`).
    pub amqp_ca: Option<identity_tls::CaBundle>,
    pub exchange: String,
    /// CloudEvents `source` of every event.
    pub source: String,
    /// Where this instance relays the outbox (`OUTBOX_RELAY`).
    pub relay: OutboxRelay,
    /// The exchange other services publish `instance.updated` to (`INSTANCE_EVENTS_EXCHANGE`;
    /// unset: this instance consumes nothing).
    pub instance_exchange: Option<String>,
    /// The durable quorum queue those events are consumed from (`INSTANCE_EVENTS_QUEUE`).
    pub instance_queue: String,
    /// Deliveries of one message before it is dead-lettered (`EVENT_DELIVERY_LIMIT`).
    pub delivery_limit: u32,
}

pub(super) fn read_store(r: &Reader<'_>) -> Result<StoreConfig, ConfigError> {
    let libpq = tls::libpq_defaults(r)?;
    let redis_url = r.secret_url("REDIS_URL", "REDIS_URL_FILE", &["redis", "rediss", "redis+unix", "unix"])?;
    let redis_ca = tls::ca_file(r, "REDIS_CA_FILE")?;
    tls::needs_tls(&redis_ca, "REDIS_CA_FILE", &redis_url, "rediss", "REDIS_URL")?;
    let store = StoreConfig {
        database_url: tls::database_url("DATABASE_URL", r.database_url()?, &libpq)?,
        database_secret: r.database_secret(libpq.clone())?,
        shared_database_url: tls::database_url(
            "SHARED_DATABASE_URL",
            r.secret_url("SHARED_DATABASE_URL", "SHARED_DATABASE_URL_FILE", &["postgres", "postgresql"])?,
            &libpq,
        )?,
        database_pool_size: r.number("DATABASE_POOL_SIZE", 16, 1, 1000)?,
        redis_url,
        redis_ca,
        redis_key_prefix: r.string("REDIS_KEY_PREFIX", "identity:"),
        dependency_timeout: r.seconds("DEPENDENCY_TIMEOUT_SECONDS", 10, 1, 600)?,
        dependency_retry_max: r.seconds("DEPENDENCY_RETRY_MAX_SECONDS", 30, 1, 600)?,
    };
    if store.shared_database_url.is_some() && !store.has_database() {
        return Err(invalid(
            "SHARED_DATABASE_URL",
            "needs DATABASE_URL (or DATABASE_SECRET_ARN): the embedded store keeps agents and instances in memory \
             with everything else",
        ));
    }
    Ok(store)
}

/// The relay's default depends on the store: on PostgreSQL the outbox is shared.
pub(super) fn read_events(r: &Reader<'_>, store: &StoreConfig) -> Result<EventsConfig, ConfigError> {
    let amqp_url = r.secret_url("AMQP_URL", "AMQP_URL_FILE", &["amqp", "amqps"])?;
    let amqp_ca = tls::ca_file(r, "AMQP_CA_FILE")?;
    tls::needs_tls(&amqp_ca, "AMQP_CA_FILE", &amqp_url, "amqps", "AMQP_URL")?;
    let outbox_relay = match (r.string("OUTBOX_RELAY", "auto").to_ascii_lowercase().as_str(), &amqp_url) {
        ("auto", Some(_)) | ("broker", Some(_)) => OutboxRelay::Broker,
        ("auto", None) if store.has_database() => OutboxRelay::Off,
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
    let instance_exchange = r.get("INSTANCE_EVENTS_EXCHANGE");
    if instance_exchange.is_some() && amqp_url.is_none() {
        return Err(invalid("INSTANCE_EVENTS_EXCHANGE", "consuming events needs AMQP_URL (or AMQP_URL_FILE)"));
    }
    Ok(EventsConfig {
        amqp_url,
        amqp_ca,
        exchange: r.string("AMQP_EXCHANGE", "identity.events"),
        source: r.string("EVENT_SOURCE", "/identity"),
        relay: outbox_relay,
        instance_exchange,
        instance_queue: r.string("INSTANCE_EVENTS_QUEUE", "identity.instance-updates"),
        delivery_limit: r.number("EVENT_DELIVERY_LIMIT", 5, 1, 1000)?,
    })
}
