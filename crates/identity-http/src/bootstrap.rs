//! The composition root: picks an adapter for every port from the configuration. Unset
//! `DATABASE_URL`, `REDIS_URL` and `AMQP_URL` mean the embedded default (memory store,
//! in-process bus, generated key), said loudly in the log.

use std::sync::Arc;

use chrono::Duration;
use identity_core::ports::{
    AgentsPorts, Clock, CodeStore, EventPublisher, HealthCheck, IdGenerator, Notifier, Outbox, RateLimiter,
    RevocationList, SecretBox, StorePorts,
};
use identity_core::usecases::{Ports, Services, SessionStoreRevocations};
use identity_crypto::{Argon2Hasher, OsSecrets, PasetoKeys, PasetoTokens, SealingKey, SystemClock, UuidV7Generator};
use identity_memory::{InProcessBus, MemoryCodeStore, MemoryRateLimiter, MemoryRevocations, MemoryStore};
use identity_postgres::{DatabaseUrl, PgStore, PoolSettings};
use secrecy::ExposeSecret;

use crate::config::{Config, ConfigError, OutboxRelay};
use crate::dependencies::{
    Dependency, Migrated, Migrations, RABBITMQ, REDIS, ReadyCheck, Retry, SHARED_POSTGRES, first_attempt,
};
use crate::gauges::{JobGauges, OutboxGauges, PoolGauges, ScrapeGauges};
use crate::state::{AppState, CookieSettings};
use crate::workers::{JobParts, StoreJobs};

/// Everything the server runs on.
pub struct Wiring {
    pub state: AppState,
    pub outbox: Arc<dyn Outbox>,
    /// The outbox of the shared database (`SHARED_DATABASE_URL`), relayed like the main one.
    pub shared_outbox: Option<Arc<dyn Outbox>>,
    /// Where the outbox relay publishes; `None`: this instance runs no relay.
    pub publisher: Option<Arc<dyn EventPublisher>>,
    /// The time the outbox relay stamps its passes with.
    pub clock: Arc<dyn Clock>,
    /// The in-process bus, when no broker is configured.
    pub bus: Option<InProcessBus>,
    /// The job queues and what runs their jobs.
    pub queues: Vec<crate::workers::QueueWiring>,
}

/// A health check under another name (the shared database's pool beside the main one).
struct Named<C> {
    name: &'static str,
    check: C,
}

#[async_trait::async_trait]
impl<C: HealthCheck> HealthCheck for Named<C> {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn check(&self) -> anyhow::Result<()> {
        self.check.check().await
    }
}

fn keys(config: &Config) -> anyhow::Result<PasetoKeys> {
    let keys = match &config.keys.paseto_secret_key {
        Some(secret) => PasetoKeys::from_paserk(secret.expose_secret())
            .map_err(|e| ConfigError { var: "PASETO_SECRET_KEY", message: e.to_string() })?,
        None => {
            let keys = PasetoKeys::generate()?;
            tracing::warn!(
                kid = keys.signing_kid(),
                "PASETO_SECRET_KEY is not set: signing with a freshly generated key. Tokens stop \
                 verifying when this process exits and other replicas reject them. Set \
                 PASETO_SECRET_KEY (PASERK k4.secret) in production."
            );
            keys
        }
    };
    config.keys.paseto_verification_keys.iter().try_fold(keys, |keys, public| {
        keys.with_verification_key(public)
            .map_err(|e| ConfigError { var: "PASETO_VERIFICATION_KEYS", message: e.to_string() }.into())
    })
}

/// Adapters the caller supplies instead of the configured ones (tests capture mail).
#[derive(Default, Clone)]
pub struct Overrides {
    pub notifier: Option<Arc<dyn Notifier>>,
    /// The time every use case and every in-memory expiry (codes, cooldowns, rate limits,
    /// revocations) reads: tests move it instead of sleeping. Redis keeps its own clock.
    pub clock: Option<Arc<dyn Clock>>,
}

/// Logs the migrations start-up applied to `database`.
fn log_migrations(database: Dependency, applied: &[String]) {
    match (database.var == SHARED_POSTGRES.var, applied) {
        (false, []) => tracing::info!("database migrations: none pending, the schema is up to date"),
        (false, applied) => tracing::info!(applied = ?applied, "database migrations applied"),
        (true, applied) => tracing::info!(applied = ?applied, "shared database migrations"),
    }
}

/// Runs the main database's migrations, then the shared one's: start-up's, when the database
/// was down at first.
async fn migrate(main: DatabaseUrl, main_dependency: Dependency, shared: Option<String>) -> anyhow::Result<()> {
    let applied = identity_postgres::run_migrations_at(&main)
        .await
        .map_err(|e| anyhow::anyhow!("{} ({}): {e:#}", main_dependency.name, main_dependency.var))?;
    log_migrations(main_dependency, &applied);
    if let Some(shared) = shared {
        let applied = identity_postgres::run_shared_migrations(&shared)
            .await
            .map_err(|e| anyhow::anyhow!("{} ({}): {e:#}", SHARED_POSTGRES.name, SHARED_POSTGRES.var))?;
        log_migrations(SHARED_POSTGRES, &applied);
    }
    Ok(())
}

/// Gives `BOOTSTRAP_ADMIN_EMAIL`'s account the admin role if it is verified already.
async fn grant_bootstrap_admin(services: &identity_core::usecases::Services, email: &str) -> anyhow::Result<()> {
    use identity_core::usecases::{AdminGrant, AdminGranted};
    match services.admin.grant_admin(email, AdminGrant::Bootstrap).await {
        Ok(AdminGranted::Granted | AdminGranted::AlreadyAdmin) => {
            tracing::info!("BOOTSTRAP_ADMIN_EMAIL has the admin role")
        }
        Ok(AdminGranted::NoAccount | AdminGranted::Unverified) => tracing::info!(
            "BOOTSTRAP_ADMIN_EMAIL gets the admin role once its account has verified the address (the mailed \
             link or code); `identity create-admin EMAIL` grants it at once"
        ),
        Ok(AdminGranted::Inactive) => {
            tracing::warn!("BOOTSTRAP_ADMIN_EMAIL's account is not active: it does not get the admin role")
        }
        Err(error) => return Err(anyhow::anyhow!("granting admin to BOOTSTRAP_ADMIN_EMAIL failed: {error}")),
    }
    Ok(())
}

/// A span of core's clock as a standard duration (cookie lifetimes); negative spans are zero.
fn std_duration(d: Duration) -> std::time::Duration {
    d.to_std().unwrap_or_default()
}

/// Connects every configured dependency (running migrations first) and builds the state.
pub async fn wire(config: &Config, overrides: Overrides) -> anyhow::Result<Wiring> {
    let mut checks: Vec<ReadyCheck> = Vec::new();
    let timeout = config.store.dependency_timeout;
    let retry = Retry { timeout, max_backoff: config.store.dependency_retry_max };
    let mut gauges: Vec<Arc<dyn ScrapeGauges>> = Vec::new();
    // A database down at start-up: migrations run (and requests are served) once it answers.
    let mut migrations = Migrations::default();
    let mut database_down = None;

    // The outbox of the shared database, when agents and instances live there.
    let mut shared_outbox: Option<Arc<dyn Outbox>> = None;
    let (store, agents) = match crate::database::main_database(&config.store)? {
        Some((main, main_dependency)) => {
            let shared_url = config.store.shared_database_url.as_ref().map(|u| u.expose_secret().to_owned());
            let mut down = None;
            match first_attempt(main_dependency, retry, identity_postgres::run_migrations_at(&main)).await? {
                Some(applied) => log_migrations(main_dependency, &applied),
                None => down = Some(main_dependency),
            }
            if let (None, Some(shared)) = (down, &shared_url) {
                match first_attempt(SHARED_POSTGRES, retry, identity_postgres::run_shared_migrations(shared)).await? {
                    Some(applied) => log_migrations(SHARED_POSTGRES, &applied),
                    None => down = Some(SHARED_POSTGRES),
                }
            }
            migrations = Migrations::new(down.is_none());
            database_down = down.map(|down| (down, main.clone(), main_dependency, shared_url));
            let settings = PoolSettings {
                max_size: config.store.database_pool_size,
                connect_timeout: timeout,
                ..PoolSettings::default()
            };
            let pool_error = |var: &'static str| move |e: anyhow::Error| ConfigError { var, message: format!("{e:#}") };
            let pg = PgStore::lazy_at(main, &settings).map_err(pool_error(main_dependency.var))?;
            checks.push(ReadyCheck::new(
                Migrated { check: pg.clone(), migrations: migrations.clone(), dependency: main_dependency },
                main_dependency,
            ));
            let pool = pg.clone();
            gauges.push(Arc::new(PoolGauges { pool: "postgres", read: Box::new(move || pool.pool_use()) }));
            let agents = match &config.store.shared_database_url {
                Some(shared) => {
                    let shared =
                        PgStore::lazy(shared.expose_secret(), &settings).map_err(pool_error(SHARED_POSTGRES.var))?;
                    checks.push(ReadyCheck::new(
                        Migrated {
                            check: Named { name: "postgres_shared", check: shared.clone() },
                            migrations: migrations.clone(),
                            dependency: SHARED_POSTGRES,
                        },
                        SHARED_POSTGRES,
                    ));
                    let pool = shared.clone();
                    gauges.push(Arc::new(PoolGauges {
                        pool: "postgres_shared",
                        read: Box::new(move || pool.pool_use()),
                    }));
                    shared_outbox = Some(Arc::new(shared.clone()) as Arc<dyn Outbox>);
                    AgentsPorts::from_store(shared).separate()
                }
                None => AgentsPorts::from_store(pg.clone()),
            };
            (StorePorts::from_store(pg), agents)
        }
        None => {
            tracing::warn!(
                "DATABASE_URL is not set: using the in-memory store. All data is ephemeral and lost at exit."
            );
            let memory = MemoryStore::new();
            (StorePorts::from_store(memory.clone()), AgentsPorts::from_store(memory))
        }
    };

    let clock: Arc<dyn Clock> = overrides.clock.clone().unwrap_or_else(|| Arc::new(SystemClock));
    let idle_timeout = config.auth.session_idle_timeout;
    type Shared = (Arc<dyn CodeStore>, Arc<dyn RevocationList>, Arc<dyn RateLimiter>);
    let (codes, revocations, limiter): Shared = match &config.store.redis_url {
        Some(url) => {
            let redis = identity_redis::RedisStore::lazy_with_ca(
                url.expose_secret(),
                config.store.redis_key_prefix.clone(),
                timeout,
                config.store.redis_ca.as_ref(),
            )
            .map_err(|e| ConfigError { var: REDIS.var, message: format!("{e:#}") })?;
            if first_attempt(REDIS, retry, redis.ping()).await?.is_none() {
                let probe = redis.clone();
                crate::dependencies::retry_in_background(
                    REDIS,
                    retry,
                    move || {
                        let probe = probe.clone();
                        async move { probe.ping().await }
                    },
                    |()| async {},
                );
            }
            checks.push(ReadyCheck::new(redis.clone(), REDIS));
            let pool = redis.clone();
            gauges.push(Arc::new(PoolGauges { pool: "redis", read: Box::new(move || pool.pool_use()) }));
            (Arc::new(redis.clone()), Arc::new(redis.clone()), Arc::new(redis))
        }
        None if config.store.has_database() => {
            tracing::warn!(
                "REDIS_URL is not set: one-time codes, cooldowns and rate limits live in this process only, and \
                 revocations are checked against PostgreSQL on every request. Set REDIS_URL when running several \
                 replicas."
            );
            (
                Arc::new(MemoryCodeStore::new(clock.clone())),
                Arc::new(
                    SessionStoreRevocations::new(store.sessions.clone(), clock.clone()).with_idle_timeout(idle_timeout),
                ),
                Arc::new(MemoryRateLimiter::new(clock.clone())),
            )
        }
        None => (
            Arc::new(MemoryCodeStore::new(clock.clone())),
            Arc::new(MemoryRevocations::new(clock.clone())),
            Arc::new(MemoryRateLimiter::new(clock.clone())),
        ),
    };

    let idempotency_codes = codes.clone();
    let notifier: Arc<dyn Notifier> = match (overrides.notifier, &config.mail.smtp_url, &config.mail.notification_url) {
        (Some(notifier), _, _) => notifier,
        (None, Some(url), _) => Arc::new(identity_mail::SmtpNotifier::new(
            url.expose_secret(),
            &config.mail.from,
            config.mail.templates.clone(),
        )?),
        (None, None, Some(url)) => Arc::new(identity_mail::HttpNotifier::new(
            url,
            config.mail.notification_auth.as_ref().map(|s| s.expose_secret().to_owned()),
            config.mail.templates.clone(),
        )?),
        (None, None, None) => {
            tracing::warn!(
                "neither SMTP_URL nor NOTIFICATION_URL is set: mails are written to the log instead of being sent."
            );
            Arc::new(identity_mail::LogNotifier::new(config.mail.templates.clone(), config.mail.log_bodies))
        }
    };

    let (publisher, bus): (Option<Arc<dyn EventPublisher>>, Option<InProcessBus>) = match (
        config.events.relay,
        &config.events.amqp_url,
    ) {
        (OutboxRelay::Broker, Some(url)) => {
            let settings = identity_amqp::AmqpSettings {
                url: url.expose_secret().to_owned(),
                exchange: config.events.exchange.clone(),
                source: config.events.source.clone(),
                timeout,
                ca: config.events.amqp_ca.clone(),
            };
            // Never gates start-up nor readiness: events wait in the outbox while it is down.
            let amqp = Arc::new(identity_amqp::AmqpPublisher::lazy(settings));
            if first_attempt(RABBITMQ, retry, amqp.check()).await?.is_none() {
                let probe = amqp.clone();
                crate::dependencies::retry_in_background(
                    RABBITMQ,
                    retry,
                    move || {
                        let probe = probe.clone();
                        async move { probe.check().await }
                    },
                    |()| async {},
                );
            }
            checks.push(ReadyCheck { check: amqp.clone(), variable: RABBITMQ.var });
            (Some(amqp), None)
        }
        (OutboxRelay::Broker, None) => {
            return Err(ConfigError { var: "OUTBOX_RELAY", message: "\"broker\" needs AMQP_URL".into() }.into());
        }
        (OutboxRelay::InProcess, _) => {
            if config.store.has_database() {
                tracing::warn!(
                    "OUTBOX_RELAY=in-process: this instance marks the shared outbox's events published once they reach \
                     its in-process bus. They never reach RabbitMQ or any other service."
                );
            } else {
                tracing::warn!("AMQP_URL is not set: domain events go to the in-process bus only.");
            }
            let bus = InProcessBus::default();
            (Some(Arc::new(bus.clone())), Some(bus))
        }
        (OutboxRelay::Off, _) => {
            tracing::warn!(
                "the outbox relay is off (AMQP_URL is not set, or OUTBOX_RELAY=off): this instance publishes no \
                 events. They stay in the outbox until an instance with AMQP_URL publishes them."
            );
            (None, None)
        }
    };

    let keys = keys(config)?;
    let public_keys = keys.public_keys();
    let secrets = OsSecrets::new(keys.derive_key("refresh-token-successor"));
    let secret_box: Arc<dyn SecretBox> = Arc::new(match &config.keys.secrets_encryption_key {
        Some(key) => SealingKey::from_base64(key.expose_secret())
            .map_err(|e| ConfigError { var: "SECRETS_ENCRYPTION_KEY", message: e.to_string() })?,
        None => SealingKey::new(keys.derive_key("secrets-at-rest")),
    });
    let main_jobs = StoreJobs { queue: store.jobs.clone(), retention: store.retention.clone() };
    let shared_jobs =
        agents.separate.then(|| StoreJobs { queue: agents.jobs.clone(), retention: agents.retention.clone() });
    let tokens = PasetoTokens::new(keys, config.auth.issuer.clone(), config.auth.audience.clone());
    let hasher = Argon2Hasher::new(&config.hashing)?;

    let ids: Arc<dyn IdGenerator> = Arc::new(UuidV7Generator);
    let services = Services::new(
        Ports {
            users: store.users,
            audit: store.audit,
            access: store.access,
            settings: store.settings,
            sessions: store.sessions,
            requests: store.requests,
            uow: store.uow,
            hasher: Arc::new(hasher),
            tokens: Arc::new(tokens),
            secrets: Arc::new(secrets),
            secret_box: secret_box.clone(),
            probe: Arc::new(crate::probe::ReqwestProbe::new()),
            codes,
            revocations,
            jobs: store.jobs.clone(),
            limiter,
            clock: clock.clone(),
            ids: ids.clone(),
            agents,
            service_clients: store.service_clients,
            mfa: store.mfa,
            otp: Arc::new(identity_crypto::Totp),
            passkeys: Arc::new(
                identity_crypto::WebAuthnRp::new(
                    &config.webauthn.rp_id,
                    &config.webauthn.origin,
                    &config.webauthn.name,
                )
                .map_err(|e| ConfigError { var: "WEBAUTHN_RP_ORIGIN", message: format!("{e:#}") })?,
            ),
        },
        config.auth.clone(),
    );
    let parts = JobParts { notifier, secret_box, instances: services.instances.clone(), clock: clock.clone(), ids };
    let queues = crate::workers::wire(&config.jobs, parts, main_jobs, shared_jobs)?;
    for queue in &queues {
        gauges.push(Arc::new(JobGauges { queue: queue.queue.clone(), label: queue.label, clock: clock.clone() }));
    }
    if !config.store.has_database() {
        // The embedded default starts with a few demo agents; a real database starts empty.
        services.agents.seed_demo().await.map_err(|e| anyhow::anyhow!("seeding the demo agents: {e}"))?;
    }

    let admin_email = config.auth.bootstrap_admin_email.as_ref().map(|email| email.as_str().to_owned());
    match database_down {
        None => {
            if let Some(email) = &admin_email {
                grant_bootstrap_admin(&services, email).await?;
            }
        }
        // Migrations (then the bootstrap admin's grant) once the database answers.
        Some((down, main, main_dependency, shared)) => {
            let (migrations, services) = (migrations.clone(), services.clone());
            crate::dependencies::retry_in_background(
                down,
                retry,
                move || migrate(main.clone(), main_dependency, shared.clone()),
                move |()| async move {
                    migrations.finish();
                    tracing::info!("the database is migrated: serving every request");
                    if let Some(email) = admin_email
                        && let Err(error) = grant_bootstrap_admin(&services, &email).await
                    {
                        tracing::error!(error = format!("{error:#}"), "BOOTSTRAP_ADMIN_EMAIL");
                    }
                },
            );
        }
    }

    Ok(Wiring {
        state: AppState {
            services,
            cookies: CookieSettings {
                access_name: config.http.cookies.access_name.clone(),
                refresh_name: config.http.cookies.refresh_name.clone(),
                secure: config.http.cookies.secure,
                same_site: config.http.cookies.same_site,
                access_max_age: std_duration(config.auth.access_token_ttl),
                refresh_max_age: std_duration(config.auth.session_ttl),
            },
            checks,
            public_keys,
            trusted_proxies: config.http.trusted_proxies.clone(),
            allowed_origins: config.http.allowed_origins.clone(),
            codes: idempotency_codes,
            draining: Arc::default(),
            migrations,
            gauges: {
                gauges.push(Arc::new(OutboxGauges { outbox: store.outbox.clone(), label: None, clock: clock.clone() }));
                if let Some(shared) = &shared_outbox {
                    gauges.push(Arc::new(OutboxGauges {
                        outbox: shared.clone(),
                        label: Some("shared"),
                        clock: clock.clone(),
                    }));
                }
                gauges
            },
            outbox: store.outbox.clone(),
            gateway: identity_gateway::Gateway::new(config.realtime.clone()),
        },
        outbox: store.outbox,
        shared_outbox,
        publisher,
        clock,
        bus,
        queues,
    })
}
