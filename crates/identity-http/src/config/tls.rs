//! TLS to the stores (docs/configuration.md, "TLS to the stores"): the database URLs'
//! `sslmode` / `sslrootcert` (with libpq's `PGSSLMODE` / `PGSSLROOTCERT` for URLs that do not
//! say), and the CA files of Redis and RabbitMQ. Everything is checked here, at start-up: a
//! CA file that cannot be read or holds no certificate stops it, naming the variable.

use identity_tls::CaBundle;
use secrecy::{ExposeSecret, SecretString};

use super::{ConfigError, Reader, invalid};

const SSLMODES: &[&str] = &["disable", "prefer", "require", "verify-ca", "verify-full"];

/// A PEM bundle of roots named by `var`, if set.
pub(super) fn ca_file(r: &Reader<'_>, var: &'static str) -> Result<Option<CaBundle>, ConfigError> {
    r.get(var).map(|path| CaBundle::from_file(&path).map_err(|message| invalid(var, message))).transpose()
}

/// libpq's defaults for what a database URL does not say itself: `PGSSLMODE` and
/// `PGSSLROOTCERT` (a URL built from `DATABASE_SECRET_FILE` says neither).
#[derive(Debug, Clone)]
pub(super) struct LibpqDefaults {
    sslmode: Option<String>,
    sslrootcert: Option<String>,
}

pub(super) fn libpq_defaults(r: &Reader<'_>) -> Result<LibpqDefaults, ConfigError> {
    let sslmode = r.get("PGSSLMODE");
    if let Some(mode) = &sslmode
        && !SSLMODES.contains(&mode.as_str())
    {
        return Err(invalid("PGSSLMODE", format!("{mode:?} is not one of {}", SSLMODES.join(", "))));
    }
    let sslrootcert = r.get("PGSSLROOTCERT");
    if let Some(path) = sslrootcert.as_deref().filter(|path| *path != "system") {
        CaBundle::from_file(path).map_err(|message| invalid("PGSSLROOTCERT", message))?;
    }
    Ok(LibpqDefaults { sslmode, sslrootcert })
}

/// `url` with the defaults it lacks, checked as the store will read it: an `sslmode` that is
/// not libpq's, or an `sslrootcert` that cannot be read, is an error naming `var`.
pub(super) fn database_url(
    var: &'static str,
    url: Option<SecretString>,
    defaults: &LibpqDefaults,
) -> Result<Option<SecretString>, ConfigError> {
    let Some(url) = url else { return Ok(None) };
    let mut text = url.expose_secret().to_owned();
    let query = text.split_once('?').map(|(_, query)| query.to_owned()).unwrap_or_default();
    let has = |key: &str| form_urlencoded::parse(query.as_bytes()).any(|(k, _)| k == key);
    for (key, value) in [("sslmode", &defaults.sslmode), ("sslrootcert", &defaults.sslrootcert)] {
        if let Some(value) = value
            && !has(key)
        {
            text.push(if text.contains('?') { '&' } else { '?' });
            text.push_str(key);
            text.push('=');
            text.extend(form_urlencoded::byte_serialize(value.as_bytes()));
        }
    }
    identity_postgres::PgTarget::parse(&text).map_err(|message| invalid(var, message))?;
    Ok(Some(SecretString::from(text)))
}

/// A CA file needs a URL that uses TLS.
pub(super) fn needs_tls(
    ca: &Option<CaBundle>,
    ca_var: &'static str,
    url: &Option<SecretString>,
    scheme: &str,
    url_var: &str,
) -> Result<(), ConfigError> {
    let tls = url.as_ref().is_some_and(|url| url.expose_secret().starts_with(&format!("{scheme}://")));
    if ca.is_some() && !tls {
        return Err(invalid(ca_var, format!("applies to a {scheme}:// {url_var} only")));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::HashMap;

    use secrecy::ExposeSecret;

    use super::super::{Config, ConfigError};

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Config::from_env(&move |name: &str| map.get(name).cloned())
    }

    fn error(vars: &[(&str, &str)]) -> ConfigError {
        load(vars).err().unwrap()
    }

    #[test]
    fn a_database_url_with_an_sslmode_libpq_does_not_know_names_the_variable() {
        let e = error(&[("DATABASE_URL", "postgres://u:secret-pw@db/app?sslmode=allow")]);
        assert_eq!(e.var, "DATABASE_URL");
        assert!(e.message.contains("sslmode=\"allow\""), "{}", e.message);
        assert!(!e.message.contains("secret-pw"));
        let e = error(&[
            ("DATABASE_URL", "postgres://db/app"),
            ("SHARED_DATABASE_URL", "postgres://db/shared?sslmode=verify-full&sslrootcert=/nonexistent/rds.pem"),
        ]);
        assert_eq!(e.var, "SHARED_DATABASE_URL");
        assert!(e.message.contains("cannot read the CA file /nonexistent/rds.pem"), "{}", e.message);
    }

    #[test]
    fn pgsslmode_applies_to_urls_that_do_not_say() {
        let config = load(&[
            ("DATABASE_URL", "postgres://db/app"),
            ("SHARED_DATABASE_URL", "postgres://db/shared?sslmode=disable"),
            ("PGSSLMODE", "require"),
        ])
        .unwrap();
        assert_eq!(config.store.database_url.unwrap().expose_secret(), "postgres://db/app?sslmode=require");
        let shared = config.store.shared_database_url.unwrap();
        assert_eq!(shared.expose_secret(), "postgres://db/shared?sslmode=disable");
        assert_eq!(error(&[("DATABASE_URL", "postgres://db/app"), ("PGSSLMODE", "always")]).var, "PGSSLMODE");
        let e = error(&[("DATABASE_URL", "postgres://db/app"), ("PGSSLROOTCERT", "/nonexistent/ca.pem")]);
        assert_eq!(e.var, "PGSSLROOTCERT");
    }

    #[test]
    fn a_ca_file_that_cannot_be_used_stops_start_up_naming_it() {
        let e = error(&[("REDIS_URL", "rediss://cache:6379"), ("REDIS_CA_FILE", "/nonexistent/ca.pem")]);
        assert_eq!(e.var, "REDIS_CA_FILE");
        assert!(e.message.contains("cannot read the CA file /nonexistent/ca.pem"), "{}", e.message);
        let empty = std::env::temp_dir().join(format!("identity-empty-ca-{}.pem", uuid::Uuid::now_v7().simple()));
        std::fs::write(&empty, "no certificate here\n").unwrap();
        let path = empty.display().to_string();
        let e = error(&[("AMQP_URL", "amqps://mq:5671/%2f"), ("AMQP_CA_FILE", &path)]);
        std::fs::remove_file(&empty).unwrap();
        assert_eq!(e.var, "AMQP_CA_FILE");
        assert!(e.message.contains("holds no certificate"), "{}", e.message);
        let pki = identity_tls::testing::TestPki::generate();
        let e = error(&[("REDIS_URL", "redis://cache:6379"), ("REDIS_CA_FILE", &pki.file("ca.pem"))]);
        assert_eq!((e.var, e.message.as_str()), ("REDIS_CA_FILE", "applies to a rediss:// REDIS_URL only"));
        let config = load(&[("REDIS_URL", "rediss://cache:6379"), ("REDIS_CA_FILE", &pki.file("ca.pem"))]).unwrap();
        assert!(config.store.redis_ca.is_some());
    }
}
