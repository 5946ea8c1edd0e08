#![allow(clippy::unwrap_used)]

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
    assert_eq!(config.http.port, 8080);
    assert_eq!(config.http.bind_addr.to_string(), "0.0.0.0");
    assert!(
        config.store.database_url.is_none() && config.store.redis_url.is_none() && config.events.amqp_url.is_none()
    );
    assert_eq!(config.auth.access_token_ttl, chrono::Duration::seconds(900));
    assert_eq!(config.auth.session_idle_timeout, None);
    assert_eq!(config.http.cookies.access_name, "identity_access");
    assert!(config.http.cookies.secure);
    assert_eq!(config.log.format, LogFormat::Json);
}

#[test]
fn registration_codes_live_ten_minutes_and_no_subject_carries_a_secret() {
    let config = load(&[]).unwrap();
    assert_eq!(config.auth.registration_code_ttl, chrono::Duration::seconds(600));
    for (kind, template) in config.mail.templates.all() {
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
        "EMAIL_CHANGE_EMAIL_SUBJECT",
        "EMAIL_CHANGE_NOTICE_EMAIL_SUBJECT",
    ] {
        for secret in ["{code}", "{token}", "{link}"] {
            let err = load(&[(var, &format!("Your code is {secret}"))]).err().unwrap();
            assert_eq!(err.var, var);
            assert!(err.message.contains(secret), "{err:?}");
        }
    }
    let fine = load(&[("REGISTRATION_CODE_EMAIL_SUBJECT", "Sign-up code for {email} ({minutes} min)")]).unwrap();
    assert_eq!(fine.mail.templates.registration_code.subject, "Sign-up code for {email} ({minutes} min)");
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
    assert_eq!(config.http.metrics_addr.map(|a| a.to_string()).as_deref(), Some("0.0.0.0:9100"));
    assert_eq!(load(&[]).unwrap().http.metrics_addr, None);
    assert_eq!(config.http.port, 9000);
    assert_eq!(config.http.bind_addr.to_string(), "127.0.0.1");
    assert_eq!(config.store.database_url.unwrap().expose_secret(), "postgres://u:p@db/identity");
    assert_eq!(config.auth.access_token_ttl, chrono::Duration::seconds(60));
    assert_eq!(config.auth.session_idle_timeout, Some(chrono::Duration::seconds(1800)));
    assert_eq!(load(&[("SESSION_IDLE_TIMEOUT_SECONDS", "0")]).unwrap().auth.session_idle_timeout, None);
    assert!(config.auth.require_verified_email);
    assert_eq!(config.auth.password_policy.mode, PolicyMode::Strict);
    assert_eq!(config.keys.paseto_verification_keys, vec![a, b]);
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
    assert_eq!(load(&[]).unwrap().events.relay, OutboxRelay::InProcess);
    assert_eq!(load(&[db]).unwrap().events.relay, OutboxRelay::Off);
    assert_eq!(load(&[db, amqp]).unwrap().events.relay, OutboxRelay::Broker);
    assert_eq!(load(&[db, ("OUTBOX_RELAY", "in-process")]).unwrap().events.relay, OutboxRelay::InProcess);
    assert_eq!(load(&[db, amqp, ("OUTBOX_RELAY", "off")]).unwrap().events.relay, OutboxRelay::Off);
    for bad in [
        vec![db, amqp, ("OUTBOX_RELAY", "in-process")],
        vec![db, ("OUTBOX_RELAY", "broker")],
        vec![("OUTBOX_RELAY", "bus")],
    ] {
        assert_eq!(load(&bad).unwrap_err().var, "OUTBOX_RELAY", "{bad:?}");
    }
    assert_eq!(load(&[]).unwrap().store.dependency_timeout, Duration::from_secs(10));
    assert_eq!(load(&[("DEPENDENCY_TIMEOUT_SECONDS", "0")]).unwrap_err().var, "DEPENDENCY_TIMEOUT_SECONDS");
    assert_eq!(load(&[]).unwrap().store.dependency_retry_max, Duration::from_secs(30));
    assert_eq!(load(&[("DEPENDENCY_RETRY_MAX_SECONDS", "0")]).unwrap_err().var, "DEPENDENCY_RETRY_MAX_SECONDS");
}

#[test]
fn url_errors_never_echo_the_secret() {
    let err = load(&[("DATABASE_URL", "mysql://admin:hunter2@db")]).unwrap_err();
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

#[test]
fn contradictions_are_refused() {
    assert_eq!(load(&[("COOKIE_SAME_SITE", "none"), ("COOKIE_SECURE", "false")]).unwrap_err().var, "COOKIE_SAME_SITE");
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
