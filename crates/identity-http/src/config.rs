//! Configuration from the environment (12-factor), validated once at start-up. A bad value
//! stops start-up with a message naming the variable; nothing falls back silently. Every
//! secret may also come from a file (`secrets`).

use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use identity_core::PasswordPolicy;
use secrecy::SecretString;

mod secrets;

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

/// Everything the service reads from its environment.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind_addr: IpAddr,
    pub port: u16,
    pub database_url: Option<SecretString>,
    pub database_pool_size: usize,
    pub redis_url: Option<SecretString>,
    pub redis_key_prefix: String,
    pub amqp_url: Option<SecretString>,
    pub amqp_exchange: String,
    pub event_source: String,
    /// Where this instance relays the outbox (`OUTBOX_RELAY`).
    pub outbox_relay: OutboxRelay,
    /// How long connecting to PostgreSQL, Redis or RabbitMQ may take, at start-up and when a
    /// connection is re-opened later (`DEPENDENCY_TIMEOUT_SECONDS`).
    pub dependency_timeout: Duration,
    pub paseto_secret_key: Option<SecretString>,
    pub paseto_verification_keys: Vec<String>,
    /// Key of secrets at rest (settings secrets): 32 bytes in base64. Unset: derived from the
    /// signing key (so rotating the signing key makes stored secrets unreadable).
    pub secrets_encryption_key: Option<SecretString>,
    pub token_issuer: String,
    pub token_audience: String,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// A session unused (no login or refresh) this long ends (`None`: never).
    pub session_idle_timeout: Option<Duration>,
    pub auth_cookie_name: String,
    pub refresh_cookie_name: String,
    pub cookie_secure: bool,
    pub cookie_same_site: SameSite,
    pub require_verified_email: bool,
    /// `REGISTRATION_HIDE_TAKEN_EMAILS`: one-step registration answers a taken address like a
    /// free one (and mails the owner) instead of 409 `email_taken`.
    pub registration_hide_taken_emails: bool,
    pub refresh_reuse_grace: Duration,
    pub registration_code_ttl: Duration,
    pub registration_max_attempts: u32,
    pub mail_cooldown: Duration,
    pub email_verification_ttl: Duration,
    pub email_verification_url_template: String,
    pub password_reset_ttl: Duration,
    /// How long the link of an admin-created account's invitation works.
    pub invitation_ttl: Duration,
    pub password_reset_url_template: String,
    pub smtp_url: Option<SecretString>,
    pub mail_from: String,
    pub mail_log_bodies: bool,
    pub mail_templates: identity_mail::MailTemplates,
    pub password_policy: PasswordPolicy,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    pub hash_concurrency: usize,
    pub hash_queue_timeout: Duration,
    pub max_body_bytes: usize,
    /// After SIGTERM/SIGINT: how long `/ready` answers 503 while requests are still served
    /// (so load balancers stop sending), before the listener closes.
    pub shutdown_drain: Duration,
    /// Then: how long in-flight requests may take to finish before they are cut off.
    pub shutdown_timeout: Duration,
    /// Where `GET /metrics` is served instead of the public listener (`METRICS_ADDR`,
    /// `ip:port`); unset, the public listener serves it.
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// Origins browsers may call the API from (CORS) and that cookie-authenticated unsafe
    /// requests must come from (CSRF). Exact `scheme://host[:port]`.
    pub allowed_origins: Vec<String>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub rate_limit_auth_per_minute: u32,
    pub login_backoff_after: u32,
    pub login_backoff_max: Duration,
    pub login_failure_window: Duration,
    pub lockout_threshold: u32,
    pub lockout_duration: Duration,
    pub bootstrap_admin_email: Option<identity_core::Email>,
    pub log_format: LogFormat,
    pub log_filter: String,
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
    /// Reads and validates the whole configuration.
    pub fn from_env(env: &dyn Env) -> Result<Self, ConfigError> {
        let r = Reader { env };
        // Parsed here too (bootstrap loads it) so that a bad key names the file it came from.
        let paseto_secret_key = r.checked_secret("PASETO_SECRET_KEY", "PASETO_SECRET_KEY_FILE", |raw| {
            identity_crypto::PasetoKeys::from_paserk(raw).map(drop).map_err(|e| e.to_string())
        })?;
        let paseto_verification_keys: Vec<String> = r
            .get("PASETO_VERIFICATION_KEYS")
            .map(|v| v.split(',').map(|k| k.trim().to_owned()).filter(|k| !k.is_empty()).collect())
            .unwrap_or_default();
        for key in &paseto_verification_keys {
            identity_crypto::PasetoKeys::check_public_paserk(key)
                .map_err(|e| invalid("PASETO_VERIFICATION_KEYS", e.to_string()))?;
        }
        let secrets_encryption_key =
            r.checked_secret("SECRETS_ENCRYPTION_KEY", "SECRETS_ENCRYPTION_KEY_FILE", |raw| {
                identity_crypto::SealingKey::from_base64(raw)
                    .map(drop)
                    .map_err(|e| format!("{e}: give 32 random bytes in base64 (e.g. `openssl rand -base64 32`)"))
            })?;
        let password_policy = match r.string("PASSWORD_POLICY", "nist").to_ascii_lowercase().as_str() {
            "nist" => PasswordPolicy::default(),
            "strict" => PasswordPolicy::strict(),
            other => {
                return Err(invalid("PASSWORD_POLICY", format!("{other:?} is not one of nist, strict")));
            }
        };
        let password_policy = PasswordPolicy {
            min_chars: r.number("PASSWORD_MIN_LENGTH", password_policy.min_chars, 8, 128)?,
            ..password_policy
        };
        let cookie_same_site = match r.string("COOKIE_SAME_SITE", "lax").to_ascii_lowercase().as_str() {
            "strict" => SameSite::Strict,
            "lax" => SameSite::Lax,
            "none" => SameSite::None,
            other => {
                return Err(invalid("COOKIE_SAME_SITE", format!("{other:?} is not one of strict, lax, none")));
            }
        };
        let cookie_secure = r.boolean("COOKIE_SECURE", true)?;
        if cookie_same_site == SameSite::None && !cookie_secure {
            return Err(invalid(
                "COOKIE_SAME_SITE",
                "SameSite=None requires COOKIE_SECURE=true (browsers drop the cookie)",
            ));
        }
        let auth_cookie_name = r.string("AUTH_COOKIE_NAME", "identity_access");
        if !auth_cookie_name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
            return Err(invalid("AUTH_COOKIE_NAME", "use letters, digits, '_', '-' and '.' only"));
        }
        let refresh_cookie_name = r.string("AUTH_REFRESH_COOKIE_NAME", "identity_refresh");
        if !refresh_cookie_name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            || refresh_cookie_name == auth_cookie_name
        {
            return Err(invalid(
                "AUTH_REFRESH_COOKIE_NAME",
                "use letters, digits, '_', '-' and '.', and another name than AUTH_COOKIE_NAME",
            ));
        }
        let url_template = |var: &'static str, default: &str| -> Result<String, ConfigError> {
            let value = r.string(var, default);
            if !value.contains("{token}") {
                return Err(invalid(var, "must contain the {token} placeholder"));
            }
            if !(value.starts_with("https://") || value.starts_with("http://")) {
                return Err(invalid(var, "must be an http(s) URL"));
            }
            Ok(value)
        };
        let email_verification_url_template =
            url_template("EMAIL_VERIFICATION_URL_TEMPLATE", "http://localhost:8080/verify-email?token={token}")?;
        let password_reset_url_template =
            url_template("PASSWORD_RESET_URL_TEMPLATE", "http://localhost:8080/reset-password?token={token}")?;
        let defaults = identity_mail::MailTemplates::default();
        // A subject never carries a secret: previews, notifications and lock screens show it.
        let template = |subject: &'static str,
                        body: &'static str,
                        default: &identity_mail::Template|
         -> Result<identity_mail::Template, ConfigError> {
            let template = identity_mail::Template {
                subject: r.string(subject, &default.subject),
                body: r.string(body, &default.body).replace("\\n", "\n"),
            };
            match template.secret_in_subject() {
                Some(secret) => Err(invalid(
                    subject,
                    format!(
                        "may not contain {secret}: subjects show in previews and on lock screens; put it in the body"
                    ),
                )),
                None => Ok(template),
            }
        };
        let mail_templates = identity_mail::MailTemplates {
            verify_email: template("VERIFICATION_EMAIL_SUBJECT", "VERIFICATION_EMAIL_BODY", &defaults.verify_email)?,
            registration_code: template(
                "REGISTRATION_CODE_EMAIL_SUBJECT",
                "REGISTRATION_CODE_EMAIL_BODY",
                &defaults.registration_code,
            )?,
            already_registered: template(
                "ALREADY_REGISTERED_EMAIL_SUBJECT",
                "ALREADY_REGISTERED_EMAIL_BODY",
                &defaults.already_registered,
            )?,
            password_reset: template(
                "PASSWORD_RESET_EMAIL_SUBJECT",
                "PASSWORD_RESET_EMAIL_BODY",
                &defaults.password_reset,
            )?,
            password_changed: template(
                "PASSWORD_CHANGED_EMAIL_SUBJECT",
                "PASSWORD_CHANGED_EMAIL_BODY",
                &defaults.password_changed,
            )?,
            account_locked: template(
                "ACCOUNT_LOCKED_EMAIL_SUBJECT",
                "ACCOUNT_LOCKED_EMAIL_BODY",
                &defaults.account_locked,
            )?,
            invitation: template("INVITATION_EMAIL_SUBJECT", "INVITATION_EMAIL_BODY", &defaults.invitation)?,
        };
        let log_format = match r.string("LOG_FORMAT", "json").to_ascii_lowercase().as_str() {
            "json" => LogFormat::Json,
            "pretty" | "text" => LogFormat::Pretty,
            other => {
                return Err(invalid("LOG_FORMAT", format!("{other:?} is not one of json, pretty")));
            }
        };
        let allowed_origins = match r.get("ALLOWED_ORIGINS") {
            None => Vec::new(),
            Some(raw) => raw
                .split(',')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(|origin| {
                    let valid = (origin.starts_with("https://") || origin.starts_with("http://"))
                        && !origin.trim_start_matches("https://").trim_start_matches("http://").contains('/')
                        && !origin.contains('*');
                    if valid {
                        Ok(origin.trim_end_matches('/').to_owned())
                    } else {
                        Err(invalid(
                            "ALLOWED_ORIGINS",
                            format!("{origin:?} is not an origin like https://app.example.com (no path, no wildcard)"),
                        ))
                    }
                })
                .collect::<Result<Vec<_>, _>>()?,
        };
        let trusted_proxies = match r.get("TRUSTED_PROXIES") {
            None => Vec::new(),
            Some(raw) => raw
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| {
                    p.parse::<ipnet::IpNet>()
                        .or_else(|_| p.parse::<IpAddr>().map(ipnet::IpNet::from))
                        .map_err(|_| invalid("TRUSTED_PROXIES", format!("{p:?} is not an IP address or CIDR range")))
                })
                .collect::<Result<Vec<_>, _>>()?,
        };
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let database_url = r.database_url()?;
        let amqp_url = r.secret_url("AMQP_URL", "AMQP_URL_FILE", &["amqp", "amqps"])?;
        let outbox_relay = match (r.string("OUTBOX_RELAY", "auto").to_ascii_lowercase().as_str(), &amqp_url) {
            ("auto", Some(_)) | ("broker", Some(_)) => OutboxRelay::Broker,
            ("auto", None) if database_url.is_some() => OutboxRelay::Off,
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
        let config =
            Self {
                bind_addr: r.parse("BIND_ADDR", IpAddr::from([0, 0, 0, 0]), "an IP address")?,
                port: r.parse("PORT", 8080, "a port number (0-65535)")?,
                database_url,
                database_pool_size: r.number("DATABASE_POOL_SIZE", 16, 1, 1000)?,
                redis_url: r.secret_url("REDIS_URL", "REDIS_URL_FILE", &["redis", "rediss", "redis+unix", "unix"])?,
                redis_key_prefix: r.string("REDIS_KEY_PREFIX", "identity:"),
                amqp_url,
                amqp_exchange: r.string("AMQP_EXCHANGE", "identity.events"),
                event_source: r.string("EVENT_SOURCE", "/identity"),
                outbox_relay,
                dependency_timeout: r.seconds("DEPENDENCY_TIMEOUT_SECONDS", 10, 1, 600)?,
                paseto_secret_key,
                paseto_verification_keys,
                secrets_encryption_key,
                token_issuer: r.string("TOKEN_ISSUER", "identity"),
                token_audience: r.string("TOKEN_AUDIENCE", "identity"),
                access_token_ttl: r.seconds("ACCESS_TOKEN_TTL_SECONDS", 900, 30, 86_400)?,
                refresh_token_ttl: r.seconds("REFRESH_TOKEN_TTL_SECONDS", 30 * 86_400, 60, 365 * 86_400)?,
                session_idle_timeout: Some(r.seconds("SESSION_IDLE_TIMEOUT_SECONDS", 0, 0, 365 * 86_400)?)
                    .filter(|t| !t.is_zero()),
                auth_cookie_name,
                refresh_cookie_name,
                cookie_secure,
                cookie_same_site,
                require_verified_email: r.boolean("REQUIRE_VERIFIED_EMAIL", false)?,
                registration_hide_taken_emails: r.boolean("REGISTRATION_HIDE_TAKEN_EMAILS", false)?,
                refresh_reuse_grace: r.seconds("REFRESH_REUSE_GRACE_SECONDS", 10, 0, 300)?,
                registration_code_ttl: r.seconds("REGISTRATION_CODE_TTL_SECONDS", 600, 60, 86_400)?,
                registration_max_attempts: r.number("REGISTRATION_MAX_ATTEMPTS", 5, 1, 20)?,
                mail_cooldown: r.seconds("MAIL_COOLDOWN_SECONDS", 60, 0, 3_600)?,
                email_verification_ttl: r.seconds("EMAIL_VERIFICATION_TTL_SECONDS", 86_400, 300, 30 * 86_400)?,
                email_verification_url_template,
                password_reset_ttl: r.seconds("PASSWORD_RESET_TTL_SECONDS", 3_600, 300, 7 * 86_400)?,
                invitation_ttl: r.seconds("INVITATION_TTL_SECONDS", 7 * 86_400, 3_600, 30 * 86_400)?,
                password_reset_url_template,
                smtp_url: r.secret_url("SMTP_URL", "SMTP_URL_FILE", &["smtp", "smtps"])?,
                mail_from: r.string("MAIL_FROM", "identity <no-reply@localhost>"),
                mail_log_bodies: r.boolean("MAIL_LOG_BODIES", false)?,
                mail_templates,
                password_policy,
                argon2_memory_kib: r.number("ARGON2_MEMORY_KIB", 19_456, 8, 4_194_304)?,
                argon2_iterations: r.number("ARGON2_ITERATIONS", 2, 1, 100)?,
                argon2_parallelism: r.number("ARGON2_PARALLELISM", 1, 1, 64)?,
                hash_concurrency: r.number("HASH_CONCURRENCY", cores, 1, 1024)?,
                hash_queue_timeout: Duration::from_millis(r.number("HASH_QUEUE_TIMEOUT_MS", 2_000, 1, 60_000)?),
                max_body_bytes: r.number("MAX_BODY_BYTES", 64 * 1024, 1024, 16 * 1024 * 1024)?,
                shutdown_drain: r.seconds("SHUTDOWN_DRAIN_SECONDS", 5, 0, 300)?,
                metrics_addr: match r.get("METRICS_ADDR") {
                    None => None,
                    Some(raw) => Some(raw.parse().map_err(|_| {
                        invalid("METRICS_ADDR", format!("{raw:?} is not an address with a port (say 0.0.0.0:9100)"))
                    })?),
                },
                shutdown_timeout: r.seconds("SHUTDOWN_TIMEOUT_SECONDS", 25, 1, 600)?,
                allowed_origins,
                trusted_proxies,
                rate_limit_auth_per_minute: r.number("RATE_LIMIT_AUTH_PER_MINUTE", 10, 1, 100_000)?,
                login_backoff_after: r.number("LOGIN_BACKOFF_AFTER", 5, 0, 1_000)?,
                login_backoff_max: r.seconds("LOGIN_BACKOFF_MAX_SECONDS", 900, 1, 86_400)?,
                login_failure_window: r.seconds("LOGIN_FAILURE_WINDOW_SECONDS", 900, 60, 86_400)?,
                lockout_threshold: r.number("LOCKOUT_THRESHOLD", 0, 0, 1_000)?,
                lockout_duration: r.seconds("LOCKOUT_DURATION_SECONDS", 900, 60, 30 * 86_400)?,
                bootstrap_admin_email: match r.get("BOOTSTRAP_ADMIN_EMAIL") {
                    None => None,
                    Some(raw) => Some(identity_core::Email::parse(&raw).map_err(|e| {
                        invalid("BOOTSTRAP_ADMIN_EMAIL", format!("not an email address: {}", e.message))
                    })?),
                },
                log_format,
                log_filter: r.string("RUST_LOG", "info"),
            };
        if config.refresh_token_ttl < config.access_token_ttl {
            return Err(invalid("REFRESH_TOKEN_TTL_SECONDS", "must not be shorter than ACCESS_TOKEN_TTL_SECONDS"));
        }
        // Only logins and refreshes mark a session used, and a client refreshes about once per
        // access token lifetime: a shorter idle timeout would end sessions in active use.
        if config.session_idle_timeout.is_some_and(|idle| idle < config.access_token_ttl) {
            return Err(invalid(
                "SESSION_IDLE_TIMEOUT_SECONDS",
                "must be 0 (off) or not shorter than ACCESS_TOKEN_TTL_SECONDS",
            ));
        }
        Ok(config)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::HashMap;

    use identity_core::PolicyMode;
    use secrecy::ExposeSecret;

    use super::*;

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Config::from_env(&move |name: &str| map.get(name).cloned())
    }

    #[test]
    fn defaults_need_nothing() {
        let config = load(&[]).unwrap();
        assert_eq!(config.port, 8080);
        assert_eq!(config.bind_addr.to_string(), "0.0.0.0");
        assert!(config.database_url.is_none() && config.redis_url.is_none() && config.amqp_url.is_none());
        assert_eq!(config.access_token_ttl, Duration::from_secs(900));
        assert_eq!(config.session_idle_timeout, None);
        assert_eq!(config.auth_cookie_name, "identity_access");
        assert!(config.cookie_secure);
        assert_eq!(config.log_format, LogFormat::Json);
    }

    #[test]
    fn registration_codes_live_ten_minutes_and_no_subject_carries_a_secret() {
        let config = load(&[]).unwrap();
        assert_eq!(config.registration_code_ttl, Duration::from_secs(600));
        for (kind, template) in config.mail_templates.all() {
            assert_eq!(template.secret_in_subject(), None, "{kind}");
        }
        for var in [
            "VERIFICATION_EMAIL_SUBJECT",
            "REGISTRATION_CODE_EMAIL_SUBJECT",
            "ALREADY_REGISTERED_EMAIL_SUBJECT",
            "PASSWORD_RESET_EMAIL_SUBJECT",
            "PASSWORD_CHANGED_EMAIL_SUBJECT",
            "ACCOUNT_LOCKED_EMAIL_SUBJECT",
            "INVITATION_EMAIL_SUBJECT",
        ] {
            for secret in ["{code}", "{token}", "{link}"] {
                let err = load(&[(var, &format!("Your code is {secret}"))]).err().unwrap();
                assert_eq!(err.var, var);
                assert!(err.message.contains(secret), "{err:?}");
            }
        }
        let fine = load(&[("REGISTRATION_CODE_EMAIL_SUBJECT", "Sign-up code for {email} ({minutes} min)")]).unwrap();
        assert_eq!(fine.mail_templates.registration_code.subject, "Sign-up code for {email} ({minutes} min)");
        // The secret belongs in the body.
        assert!(load(&[("REGISTRATION_CODE_EMAIL_BODY", "Your code: {code}")]).is_ok());
    }

    #[test]
    fn reads_values() {
        let public = || identity_crypto::PasetoKeys::generate().unwrap().public_keys()[0].1.clone();
        let (a, b) = (public(), public());
        let config = load(&[
            ("PORT", "9000"),
            ("BIND_ADDR", "127.0.0.1"),
            ("DATABASE_URL", "postgres://u:p@db/identity"),
            ("ACCESS_TOKEN_TTL_SECONDS", "60"),
            ("SESSION_IDLE_TIMEOUT_SECONDS", "1800"),
            ("REQUIRE_VERIFIED_EMAIL", "true"),
            ("PASSWORD_POLICY", "strict"),
            ("PASETO_VERIFICATION_KEYS", &format!("{a}, {b}")),
            ("METRICS_ADDR", "0.0.0.0:9100"),
        ])
        .unwrap();
        assert_eq!(config.metrics_addr.map(|a| a.to_string()).as_deref(), Some("0.0.0.0:9100"));
        assert_eq!(load(&[]).unwrap().metrics_addr, None);
        assert_eq!(config.port, 9000);
        assert_eq!(config.bind_addr.to_string(), "127.0.0.1");
        assert_eq!(config.database_url.unwrap().expose_secret(), "postgres://u:p@db/identity");
        assert_eq!(config.access_token_ttl, Duration::from_secs(60));
        assert_eq!(config.session_idle_timeout, Some(Duration::from_secs(1800)));
        assert_eq!(load(&[("SESSION_IDLE_TIMEOUT_SECONDS", "0")]).unwrap().session_idle_timeout, None);
        assert!(config.require_verified_email);
        assert_eq!(config.password_policy.mode, PolicyMode::Strict);
        assert_eq!(config.paseto_verification_keys, vec![a, b]);
        let error = load(&[("PASETO_VERIFICATION_KEYS", "k4.public.a")]).unwrap_err();
        assert_eq!(error.var, "PASETO_VERIFICATION_KEYS");
        assert!(error.message.contains("expected a PASERK k4.public.… key"), "{error}");
    }

    #[test]
    fn bad_values_name_the_variable() {
        let cases = [
            ("PORT", "eighty"),
            ("PORT", "70000"),
            ("BIND_ADDR", "localhost:80"),
            ("DATABASE_URL", "mysql://x"),
            ("ACCESS_TOKEN_TTL_SECONDS", "5"),
            ("REQUIRE_VERIFIED_EMAIL", "maybe"),
            ("PASSWORD_POLICY", "lax"),
            ("LOG_FORMAT", "xml"),
            ("ARGON2_MEMORY_KIB", "-1"),
            ("AUTH_COOKIE_NAME", "bad name;"),
            ("AUTH_REFRESH_COOKIE_NAME", "identity_access"),
            ("PASSWORD_RESET_URL_TEMPLATE", "https://app.example/reset"),
            ("EMAIL_VERIFICATION_URL_TEMPLATE", "javascript:{token}"),
            ("SMTP_URL", "http://mail"),
            ("REFRESH_REUSE_GRACE_SECONDS", "9999"),
            ("SESSION_IDLE_TIMEOUT_SECONDS", "-1"),
            ("SESSION_IDLE_TIMEOUT_SECONDS", "soon"),
            ("MAIL_LOG_BODIES", "sometimes"),
            ("ALLOWED_ORIGINS", "https://app.example.com/path"),
            ("ALLOWED_ORIGINS", "*"),
            ("TRUSTED_PROXIES", "10.0.0.0/33"),
            ("RATE_LIMIT_AUTH_PER_MINUTE", "0"),
            ("BOOTSTRAP_ADMIN_EMAIL", "admin"),
            ("METRICS_ADDR", "9100"),
            ("METRICS_ADDR", "localhost:9100"),
        ];
        for (var, value) in cases {
            let err = load(&[(var, value)]).unwrap_err();
            assert_eq!(err.var, var, "{var}={value}: {err}");
            assert!(err.to_string().contains(var));
        }
    }

    /// Without `AMQP_URL`, an instance on PostgreSQL relays nothing (the shared outbox is
    /// left to the instances with a broker); the embedded store relays to its own bus.
    #[test]
    fn the_outbox_relay_follows_the_broker() {
        let db = ("DATABASE_URL", "postgres://u:p@db/identity");
        let amqp = ("AMQP_URL", "amqp://guest:guest@mq/%2f");
        assert_eq!(load(&[]).unwrap().outbox_relay, OutboxRelay::InProcess);
        assert_eq!(load(&[db]).unwrap().outbox_relay, OutboxRelay::Off);
        assert_eq!(load(&[db, amqp]).unwrap().outbox_relay, OutboxRelay::Broker);
        assert_eq!(load(&[db, ("OUTBOX_RELAY", "in-process")]).unwrap().outbox_relay, OutboxRelay::InProcess);
        assert_eq!(load(&[db, amqp, ("OUTBOX_RELAY", "off")]).unwrap().outbox_relay, OutboxRelay::Off);
        for bad in [
            vec![db, amqp, ("OUTBOX_RELAY", "in-process")],
            vec![db, ("OUTBOX_RELAY", "broker")],
            vec![("OUTBOX_RELAY", "bus")],
        ] {
            assert_eq!(load(&bad).unwrap_err().var, "OUTBOX_RELAY", "{bad:?}");
        }
        assert_eq!(load(&[]).unwrap().dependency_timeout, Duration::from_secs(10));
        assert_eq!(load(&[("DEPENDENCY_TIMEOUT_SECONDS", "0")]).unwrap_err().var, "DEPENDENCY_TIMEOUT_SECONDS");
    }

    #[test]
    fn url_errors_never_echo_the_secret() {
        let err = load(&[("DATABASE_URL", "mysql://admin:hunter2@db")]).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn contradictions_are_refused() {
        assert_eq!(
            load(&[("COOKIE_SAME_SITE", "none"), ("COOKIE_SECURE", "false")]).unwrap_err().var,
            "COOKIE_SAME_SITE"
        );
        assert_eq!(
            load(&[("ACCESS_TOKEN_TTL_SECONDS", "3600"), ("REFRESH_TOKEN_TTL_SECONDS", "600")]).unwrap_err().var,
            "REFRESH_TOKEN_TTL_SECONDS"
        );
        // Shorter than the access token lifetime (default 900 s) would end sessions in use.
        assert_eq!(load(&[("SESSION_IDLE_TIMEOUT_SECONDS", "600")]).unwrap_err().var, "SESSION_IDLE_TIMEOUT_SECONDS");
        assert!(load(&[("SESSION_IDLE_TIMEOUT_SECONDS", "900")]).is_ok());
        assert_eq!(
            load(&[("PASETO_SECRET_KEY", "k4.secret.x"), ("PASETO_SECRET_KEY_FILE", "/nope")]).unwrap_err().var,
            "PASETO_SECRET_KEY_FILE"
        );
        assert_eq!(load(&[("PASETO_SECRET_KEY_FILE", "/does/not/exist")]).unwrap_err().var, "PASETO_SECRET_KEY_FILE");
    }
}
