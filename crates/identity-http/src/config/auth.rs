//! The auth section (core's [`AuthSettings`], parsed as it is: no copy field by field), the
//! signing and sealing keys, and the hashing parameters.

use std::time::Duration;

use identity_core::PasswordPolicy;
use secrecy::SecretString;

use super::{AuthSettings, ConfigError, HasherSettings, Reader, invalid};

/// The signing key, the keys still accepted, and the key of secrets at rest.
#[derive(Debug, Clone)]
pub struct KeysConfig {
    pub paseto_secret_key: Option<SecretString>,
    pub paseto_verification_keys: Vec<String>,
    /// Key of secrets at rest (settings secrets): 32 bytes in base64. Unset: derived from the
    /// signing key (so rotating the signing key makes stored secrets unreadable).
    pub secrets_encryption_key: Option<SecretString>,
}

pub(super) fn read_keys(r: &Reader<'_>) -> Result<KeysConfig, ConfigError> {
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
    let secrets_encryption_key = r.checked_secret("SECRETS_ENCRYPTION_KEY", "SECRETS_ENCRYPTION_KEY_FILE", |raw| {
        identity_crypto::SealingKey::from_base64(raw)
            .map(drop)
            .map_err(|e| format!("{e}: give 32 random bytes in base64 (e.g. `openssl rand -base64 32`)"))
    })?;
    Ok(KeysConfig { paseto_secret_key, paseto_verification_keys, secrets_encryption_key })
}

pub(super) fn read_auth(r: &Reader<'_>) -> Result<AuthSettings, ConfigError> {
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
    let email_change_url_template =
        url_template("EMAIL_CHANGE_URL_TEMPLATE", "http://localhost:8080/confirm-email-change?token={token}")?;
    let settings = AuthSettings {
        issuer: r.string("TOKEN_ISSUER", "identity"),
        audience: r.string("TOKEN_AUDIENCE", "identity"),
        access_token_ttl: r.span("ACCESS_TOKEN_TTL_SECONDS", 900, 30, 86_400)?,
        service_token_ttl: r.span("SERVICE_TOKEN_TTL_SECONDS", 300, 30, 86_400)?,
        forward_routes: identity_core::usecases::ForwardRoutes::parse(&r.string("FORWARD_AUTH_ROUTES", ""))
            .map_err(|message| invalid("FORWARD_AUTH_ROUTES", message))?,
        session_ttl: r.span("REFRESH_TOKEN_TTL_SECONDS", 30 * 86_400, 60, 365 * 86_400)?,
        session_idle_timeout: Some(r.span("SESSION_IDLE_TIMEOUT_SECONDS", 0, 0, 365 * 86_400)?)
            .filter(|t| !t.is_zero()),
        refresh_reuse_grace: r.span("REFRESH_REUSE_GRACE_SECONDS", 10, 0, 300)?,
        require_verified_email: r.boolean("REQUIRE_VERIFIED_EMAIL", false)?,
        hide_taken_emails: r.boolean("REGISTRATION_HIDE_TAKEN_EMAILS", false)?,
        password_policy,
        registration_code_ttl: r.span("REGISTRATION_CODE_TTL_SECONDS", 600, 60, 86_400)?,
        registration_max_attempts: r.number("REGISTRATION_MAX_ATTEMPTS", 5, 1, 20)?,
        mail_cooldown: r.span("MAIL_COOLDOWN_SECONDS", 60, 0, 3_600)?,
        email_verification_ttl: r.span("EMAIL_VERIFICATION_TTL_SECONDS", 86_400, 300, 30 * 86_400)?,
        email_verification_url_template,
        email_change_url_template,
        password_reset_ttl: r.span("PASSWORD_RESET_TTL_SECONDS", 3_600, 300, 7 * 86_400)?,
        invitation_ttl: r.span("INVITATION_TTL_SECONDS", 7 * 86_400, 3_600, 30 * 86_400)?,
        password_reset_url_template,
        auth_rate_limit_per_minute: r.number("RATE_LIMIT_AUTH_PER_MINUTE", 10, 1, 100_000)?,
        login_backoff_after: r.number("LOGIN_BACKOFF_AFTER", 5, 0, 1_000)?,
        login_backoff_max: r.span("LOGIN_BACKOFF_MAX_SECONDS", 900, 1, 86_400)?,
        login_failure_window: r.span("LOGIN_FAILURE_WINDOW_SECONDS", 900, 60, 86_400)?,
        lockout_threshold: r.number("LOCKOUT_THRESHOLD", 0, 0, 1_000)?,
        lockout_duration: r.span("LOCKOUT_DURATION_SECONDS", 900, 60, 30 * 86_400)?,
        bootstrap_admin_email: match r.get("BOOTSTRAP_ADMIN_EMAIL") {
            None => None,
            Some(raw) => Some(
                identity_core::Email::parse(&raw)
                    .map_err(|e| invalid("BOOTSTRAP_ADMIN_EMAIL", format!("not an email address: {}", e.message)))?,
            ),
        },
        // Read with the jobs section (`JOB_MAX_ATTEMPTS`).
        job_max_attempts: AuthSettings::default().job_max_attempts,
        reauth_max_age: r.span("REAUTH_MAX_AGE_SECONDS", 600, 30, 86_400)?,
        require_mfa_for_admins: r.boolean("REQUIRE_MFA_FOR_ADMINS", false)?,
        // The gateway's (`WS_*`), but kept by core's presence rules.
        presence_ttl: r.span("WS_PRESENCE_TTL_SECONDS", 60, 15, 3_600)?,
    };
    if settings.session_ttl < settings.access_token_ttl {
        return Err(invalid("REFRESH_TOKEN_TTL_SECONDS", "must not be shorter than ACCESS_TOKEN_TTL_SECONDS"));
    }
    // Only logins and refreshes mark a session used, and a client refreshes about once per
    // access token lifetime: a shorter idle timeout would end sessions in active use.
    if settings.session_idle_timeout.is_some_and(|idle| idle < settings.access_token_ttl) {
        return Err(invalid(
            "SESSION_IDLE_TIMEOUT_SECONDS",
            "must be 0 (off) or not shorter than ACCESS_TOKEN_TTL_SECONDS",
        ));
    }
    Ok(settings)
}

pub(super) fn read_hashing(r: &Reader<'_>) -> Result<HasherSettings, ConfigError> {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    Ok(HasherSettings {
        m_cost: r.number("ARGON2_MEMORY_KIB", 19_456, 8, 4_194_304)?,
        t_cost: r.number("ARGON2_ITERATIONS", 2, 1, 100)?,
        p_cost: r.number("ARGON2_PARALLELISM", 1, 1, 64)?,
        max_concurrency: r.number("HASH_CONCURRENCY", cores, 1, 1024)?,
        max_wait: Duration::from_millis(r.number("HASH_QUEUE_TIMEOUT_MS", 2_000, 1, 60_000)?),
    })
}
