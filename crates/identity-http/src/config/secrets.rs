//! Secrets: each from its variable or from the file named by `<VARIABLE>_FILE` (a Kubernetes
//! Secret or the Secrets Store CSI driver mounts them as files), and the database URL also
//! from `DATABASE_SECRET_FILE`, the JSON that AWS Secrets Manager keeps for a database, or
//! from that secret itself, fetched from Secrets Manager (`DATABASE_SECRET_ARN`,
//! [`DatabaseSecret`]).
//!
//! Two forms of one secret are refused, naming both. Errors name the variable and the file,
//! never a secret's content.

use std::io::Read;

use secrecy::SecretString;
use serde_json::{Map, Value};

use super::tls::{self, LibpqDefaults};
use super::{ConfigError, Reader, invalid};

/// Largest secret file read: a path that is no secret (a device, a log) fails instead of
/// filling memory.
const MAX_FILE_BYTES: usize = 64 * 1024;

/// What percent-encoding leaves alone in the URL built from the JSON secret: RFC 3986's
/// unreserved characters. Everything else (`@`, `:`, `/`, `%`, `?`, `#`, …) is encoded.
const COMPONENT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Engines an AWS Secrets Manager database secret may name for PostgreSQL.
const POSTGRES_ENGINES: [&str; 3] = ["postgres", "postgresql", "aurora-postgresql"];

/// A secret and where it came from, for error messages.
struct Sourced {
    value: String,
    var: &'static str,
    /// The file it was read from, if any.
    path: Option<String>,
}

impl Sourced {
    /// Names the source in an error: the variable, and the file when there is one.
    fn error(&self, reason: &str) -> ConfigError {
        match &self.path {
            Some(path) => invalid(self.var, format!("the file {path}: {reason}")),
            None => invalid(self.var, reason.to_owned()),
        }
    }
}

/// Refuses a secret given in more than one form.
fn conflict(set: &[&'static str]) -> ConfigError {
    let (last, others) = set.split_last().unwrap_or((&"", &[]));
    let both = if others.len() == 1 { "both " } else { "" };
    invalid(last, format!("{} and {last} are {both}set; set only one of them", others.join(", ")))
}

/// Reads a secret file: UTF-8, at most `MAX_FILE_BYTES`, surrounding white space (the
/// trailing newline editors and `echo` add) removed. An empty file is an error: a mount that
/// went wrong must not switch the service to its embedded default.
fn read_file(var: &'static str, path: &str) -> Result<String, ConfigError> {
    let cannot = |reason: String| invalid(var, format!("cannot read {path}: {reason}"));
    let file = std::fs::File::open(path).map_err(|e| cannot(e.to_string()))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES as u64 + 1).read_to_end(&mut bytes).map_err(|e| cannot(e.to_string()))?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(cannot(format!("larger than {MAX_FILE_BYTES} bytes")));
    }
    let text = String::from_utf8(bytes).map_err(|_| cannot("not UTF-8 text".into()))?;
    let value = text.trim();
    if value.is_empty() {
        return Err(cannot("the file is empty".into()));
    }
    Ok(value.to_owned())
}

/// `postgres://user:password@host:port/dbname` from the JSON shape AWS Secrets Manager keeps
/// for a database (`username`, `password`, `host`, `port`, `dbname`, `engine`; other keys such
/// as `dbInstanceIdentifier` are ignored).
fn database_url_from_secret(var: &'static str, source: &str, text: &str) -> Result<String, ConfigError> {
    let bad = |reason: &str| invalid(var, format!("{source}: {reason}"));
    // serde_json's type errors quote the value they met; only its syntax errors (a position)
    // are passed on, and the fields are checked here by name.
    let json: Value =
        serde_json::from_str(text).map_err(|e| bad(&format!("not JSON (line {}, column {})", e.line(), e.column())))?;
    let Value::Object(fields) = json else {
        return Err(bad("not a JSON object with username, password, host, port and dbname"));
    };
    let field = |name: &str| -> Result<Option<&str>, ConfigError> {
        match fields.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(bad(&format!("\"{name}\" is not a string"))),
        }
    };
    let required = |name: &str| -> Result<&str, ConfigError> {
        field(name)?.filter(|s| !s.is_empty()).ok_or_else(|| bad(&format!("\"{name}\" is missing or empty")))
    };
    if let Some(engine) = field("engine")?
        && !POSTGRES_ENGINES.contains(&engine)
    {
        return Err(bad(&format!("\"engine\" is not one of {}", POSTGRES_ENGINES.join(", "))));
    }
    let username = required("username")?;
    let password = field("password")?.ok_or_else(|| bad("\"password\" is missing"))?;
    let host = host(required("host")?).ok_or_else(|| bad("\"host\" is not a host name or IP address"))?;
    let port = port(&fields).ok_or_else(|| bad("\"port\" is not a port number (1-65535)"))?;
    let encode = |s: &str| percent_encoding::utf8_percent_encode(s, COMPONENT).to_string();
    let mut url = format!("postgres://{}:{}@{host}:{port}", encode(username), encode(password));
    // Without a database name PostgreSQL connects to the one named like the user.
    if let Some(dbname) = field("dbname")?.filter(|s| !s.is_empty()) {
        url.push('/');
        url.push_str(&encode(dbname));
    }
    Ok(url)
}

/// The host as it goes into a URL (an IPv6 address in brackets), if it is one.
fn host(raw: &str) -> Option<String> {
    if raw.parse::<std::net::Ipv6Addr>().is_ok() {
        return Some(format!("[{raw}]"));
    }
    raw.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')).then(|| raw.to_owned())
}

/// `port` as a number or a string of digits (both occur); 5432 when absent.
fn port(fields: &Map<String, Value>) -> Option<u16> {
    let port = match fields.get("port") {
        None | Some(Value::Null) => return Some(5432),
        Some(Value::Number(n)) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        Some(Value::String(s)) => s.trim().parse().ok(),
        Some(_) => None,
    };
    port.filter(|&p| p != 0)
}

impl Reader<'_> {
    /// A secret from `var`, or from the file named by `file_var`.
    fn sourced(&self, var: &'static str, file_var: &'static str) -> Result<Option<Sourced>, ConfigError> {
        match (self.get(var), self.get(file_var)) {
            (Some(_), Some(_)) => Err(conflict(&[var, file_var])),
            (Some(value), None) => Ok(Some(Sourced { value, var, path: None })),
            (None, Some(path)) => {
                Ok(Some(Sourced { value: read_file(file_var, &path)?, var: file_var, path: Some(path) }))
            }
            (None, None) => Ok(None),
        }
    }

    /// A secret checked by `check`, whose error is reported against the variable (and file)
    /// the value came from.
    pub(super) fn checked_secret(
        &self,
        var: &'static str,
        file_var: &'static str,
        check: impl FnOnce(&str) -> Result<(), String>,
    ) -> Result<Option<SecretString>, ConfigError> {
        let Some(secret) = self.sourced(var, file_var)? else {
            return Ok(None);
        };
        check(&secret.value).map_err(|reason| secret.error(&reason))?;
        Ok(Some(SecretString::from(secret.value)))
    }

    /// A URL holding credentials, from `var` or `file_var`, with one of `schemes`.
    pub(super) fn secret_url(
        &self,
        var: &'static str,
        file_var: &'static str,
        schemes: &[&str],
    ) -> Result<Option<SecretString>, ConfigError> {
        self.checked_secret(var, file_var, |raw| {
            let scheme_ok =
                raw.split_once("://").is_some_and(|(scheme, rest)| schemes.contains(&scheme) && !rest.is_empty());
            // The value may hold a password: name the expected form, never echo it.
            if scheme_ok {
                Ok(())
            } else {
                Err(format!("expected a URL starting with {}", schemes.join("://, ") + "://"))
            }
        })
    }

    /// The database URL: `DATABASE_URL`, `DATABASE_URL_FILE` or `DATABASE_SECRET_FILE` (JSON);
    /// `DATABASE_SECRET_ARN` excludes them all (it is read by [`Self::database_secret`]).
    pub(super) fn database_url(&self) -> Result<Option<SecretString>, ConfigError> {
        const SECRET_FILE: &str = "DATABASE_SECRET_FILE";
        let set: Vec<&'static str> = ["DATABASE_URL", "DATABASE_URL_FILE", SECRET_FILE, SECRET_ARN]
            .into_iter()
            .filter(|var| self.get(var).is_some())
            .collect();
        if set.len() > 1 {
            return Err(conflict(&set));
        }
        let Some(path) = self.get(SECRET_FILE) else {
            return self.secret_url("DATABASE_URL", "DATABASE_URL_FILE", &["postgres", "postgresql"]);
        };
        let text = read_file(SECRET_FILE, &path)?;
        Ok(Some(SecretString::from(database_url_from_secret(SECRET_FILE, &format!("the file {path}"), &text)?)))
    }

    /// `DATABASE_SECRET_ARN`: the ARN or name of a Secrets Manager secret.
    pub(super) fn database_secret(&self, libpq: LibpqDefaults) -> Result<Option<DatabaseSecret>, ConfigError> {
        let Some(id) = self.get(SECRET_ARN) else { return Ok(None) };
        let id = id.trim().to_owned();
        // Secrets Manager's rule for a SecretId: 1 to 2048 characters; a name is letters,
        // digits and /_+=.@- ("!" too in the secrets RDS manages, `rds!db-…`; an ARN adds the
        // colons).
        let valid = !id.is_empty()
            && id.len() <= 2048
            && id.chars().all(|c| c.is_ascii_alphanumeric() || "/_+=.@-!:".contains(c))
            && (!id.contains(':') || id.starts_with("arn:"));
        if !valid {
            return Err(invalid(SECRET_ARN, "expected a secret's ARN (arn:aws:secretsmanager:…) or its name"));
        }
        let aws_settings = AWS_VARIABLES.into_iter().filter(|var| self.get(var).is_some()).collect();
        Ok(Some(DatabaseSecret { id, libpq, aws_settings }))
    }
}

/// The AWS SDK's own variables, which its standard chain reads (docs/configuration.md). Which
/// of them are set is logged, by name only, when the Secrets Manager client is made: it tells an
/// operator where the chain looked for credentials (static keys, a web identity, a profile) and
/// for the region.
const AWS_VARIABLES: [&str; 11] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_SECRETS_MANAGER",
];

/// The variable naming the database's secret in AWS Secrets Manager.
pub const SECRET_ARN: &str = "DATABASE_SECRET_ARN";

/// The database's secret in AWS Secrets Manager (`DATABASE_SECRET_ARN`): the JSON of
/// `DATABASE_SECRET_FILE`, fetched at start-up and again when the database refuses it.
#[derive(Debug, Clone)]
pub struct DatabaseSecret {
    /// The secret's ARN or name.
    pub id: String,
    libpq: LibpqDefaults,
    /// Which of [`AWS_VARIABLES`] are set (names only).
    pub aws_settings: Vec<&'static str>,
}

impl DatabaseSecret {
    /// The database URL the secret's text describes, with `PGSSLMODE` and `PGSSLROOTCERT`
    /// applied. Errors name `DATABASE_SECRET_ARN` and the secret, never its content.
    pub fn url_from(&self, text: &str) -> Result<SecretString, ConfigError> {
        let url = database_url_from_secret(SECRET_ARN, &format!("the secret {}", self.id), text)?;
        let url = tls::database_url(SECRET_ARN, Some(SecretString::from(url)), &self.libpq)?;
        url.ok_or_else(|| invalid(SECRET_ARN, "no URL"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::HashMap;
    use std::path::PathBuf;

    use secrecy::ExposeSecret;

    use super::super::{Config, ConfigError};

    /// A file in the temporary directory, removed when dropped.
    struct TempFile(PathBuf);

    impl TempFile {
        fn new(content: impl AsRef<[u8]>) -> Self {
            let path = std::env::temp_dir().join(format!("identity-secret-{}", uuid::Uuid::now_v7().simple()));
            std::fs::write(&path, content).unwrap();
            Self(path)
        }

        fn path(&self) -> String {
            self.0.display().to_string()
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Config::from_env(&move |name: &str| map.get(name).cloned())
    }

    const SEALING_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    fn paseto_key() -> &'static str {
        static KEY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        KEY.get_or_init(|| identity_crypto::PasetoKeys::generate().unwrap().secret_paserk())
    }

    /// Every secret and its `_FILE` form, with a valid value and a reader of the loaded value.
    #[allow(clippy::type_complexity)]
    fn secrets() -> Vec<(&'static str, &'static str, &'static str, fn(&Config) -> Option<String>)> {
        fn get(s: &Option<secrecy::SecretString>) -> Option<String> {
            s.as_ref().map(|s| s.expose_secret().to_owned())
        }
        vec![
            ("DATABASE_URL", "DATABASE_URL_FILE", "postgres://u:p@db:5432/identity", |c| get(&c.store.database_url)),
            ("REDIS_URL", "REDIS_URL_FILE", "redis://:p@cache:6379/0", |c| get(&c.store.redis_url)),
            ("AMQP_URL", "AMQP_URL_FILE", "amqp://u:p@mq:5672/%2f", |c| get(&c.events.amqp_url)),
            ("SMTP_URL", "SMTP_URL_FILE", "smtps://u:p@mail:465", |c| get(&c.mail.smtp_url)),
            ("NOTIFICATION_AUTH_HEADER", "NOTIFICATION_AUTH_HEADER_FILE", "Bearer n0t1fy", |c| {
                get(&c.mail.notification_auth)
            }),
            ("INSTANCE_PROVISIONER_AUTH_HEADER", "INSTANCE_PROVISIONER_AUTH_HEADER_FILE", "Bearer pr0v", |c| {
                get(&c.jobs.provisioner_auth)
            }),
            ("PASETO_SECRET_KEY", "PASETO_SECRET_KEY_FILE", paseto_key(), |c| get(&c.keys.paseto_secret_key)),
            ("SECRETS_ENCRYPTION_KEY", "SECRETS_ENCRYPTION_KEY_FILE", SEALING_KEY, |c| {
                get(&c.keys.secrets_encryption_key)
            }),
        ]
    }

    #[test]
    fn every_secret_reads_from_its_file_without_the_trailing_newline() {
        for (var, file_var, value, read) in secrets() {
            let file = TempFile::new(format!("{value}\n"));
            let config = load(&[(file_var, &file.path())]).unwrap_or_else(|e| panic!("{file_var}: {e}"));
            assert_eq!(read(&config).as_deref(), Some(value), "{file_var}");
            let crlf = TempFile::new(format!("{value}\r\n"));
            assert_eq!(read(&load(&[(file_var, &crlf.path())]).unwrap()).as_deref(), Some(value), "{file_var}");
            assert_eq!(read(&load(&[(var, value)]).unwrap()).as_deref(), Some(value), "{var}");
        }
    }

    #[test]
    fn both_forms_of_a_secret_are_refused_naming_both() {
        for (var, file_var, value, _) in secrets() {
            let file = TempFile::new(value);
            let err = load(&[(var, value), (file_var, &file.path())]).unwrap_err();
            assert_eq!(err.var, file_var);
            let message = err.to_string();
            assert!(message.contains(var) && message.contains(file_var), "{message}");
            assert!(!message.contains(value), "{message}");
        }
    }

    #[test]
    fn unreadable_files_name_the_variable_and_the_path() {
        let dir = std::env::temp_dir();
        let empty = TempFile::new("\n");
        let not_text = TempFile::new([0xff, 0xfe, 0x00]);
        let huge = TempFile::new(vec![b'a'; super::MAX_FILE_BYTES + 1]);
        let missing = format!("{}/identity-no-such-secret", dir.display());
        let file_vars = secrets().into_iter().map(|s| s.1).chain(["DATABASE_SECRET_FILE"]);
        for file_var in file_vars {
            for path in [missing.clone(), dir.display().to_string(), empty.path(), not_text.path(), huge.path()] {
                let err = load(&[(file_var, &path)]).unwrap_err();
                assert_eq!(err.var, file_var, "{path}: {err}");
                assert!(err.to_string().contains(&path), "{err}");
            }
        }
    }

    #[test]
    fn bad_values_in_files_are_reported_against_the_file_without_echoing_them() {
        let cases = [
            ("DATABASE_URL_FILE", "mysql://admin:hunter2@db"),
            ("REDIS_URL_FILE", "http://:hunter2@cache"),
            ("AMQP_URL_FILE", "hunter2"),
            ("SMTP_URL_FILE", "http://u:hunter2@mail"),
            ("PASETO_SECRET_KEY_FILE", "k4.secret.hunter2"),
            ("SECRETS_ENCRYPTION_KEY_FILE", "hunter2"),
        ];
        for (file_var, value) in cases {
            let file = TempFile::new(value);
            let err = load(&[(file_var, &file.path())]).unwrap_err();
            assert_eq!(err.var, file_var);
            let message = err.to_string();
            assert!(message.contains(&file.path()) && !message.contains("hunter2"), "{message}");
        }
    }

    fn database_url(json: &str) -> Result<String, ConfigError> {
        let file = TempFile::new(json);
        load(&[("DATABASE_SECRET_FILE", &file.path())])
            .map(|c| c.store.database_url.unwrap().expose_secret().to_owned())
    }

    #[test]
    fn the_aws_database_secret_becomes_a_url_with_encoded_credentials() {
        let json = r#"{"username": "mallhive_user", "password": "p@ss/w:rd%20?#x", "engine": "postgres",
            "host": "user-db.internal.example.com", "port": 5432, "dbname": "user_service",
            "dbInstanceIdentifier": "user-db"}"#;
        let url = database_url(json).unwrap();
        assert_eq!(
            url,
            "postgres://mallhive_user:p%40ss%2Fw%3Ard%2520%3F%23x@user-db.internal.example.com:5432/user_service"
        );
        let parsed = reqwest::Url::parse(&url).unwrap();
        let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8().unwrap().into_owned();
        assert_eq!(decode(parsed.password().unwrap()), "p@ss/w:rd%20?#x");
        assert_eq!(parsed.host_str(), Some("user-db.internal.example.com"));
        assert_eq!(parsed.path(), "/user_service");
    }

    #[test]
    fn the_database_secret_takes_string_ports_defaults_and_ipv6() {
        let json = r#"{"username": "u s", "password": "", "host": "::1", "port": "6432", "dbname": "d/b"}"#;
        assert_eq!(database_url(json).unwrap(), "postgres://u%20s:@[::1]:6432/d%2Fb");
        let json = r#"{"username": "u", "password": "p", "host": "10.0.0.5"}"#;
        assert_eq!(database_url(json).unwrap(), "postgres://u:p@10.0.0.5:5432");
        let json = r#"{"username": "u", "password": "p", "host": "db", "engine": "aurora-postgresql", "port": null}"#;
        assert_eq!(database_url(json).unwrap(), "postgres://u:p@db:5432");
    }

    #[test]
    fn a_bad_database_secret_is_refused_without_echoing_it() {
        let cases = [
            "hunter2",
            r#"{"username": "u", "password": "hunter2", "host": "db""#,
            r#"["hunter2"]"#,
            r#"{"password": "hunter2", "host": "db"}"#,
            r#"{"username": "u", "host": "db"}"#,
            r#"{"username": "u", "password": 12345678, "host": "db"}"#,
            r#"{"username": "u", "password": "hunter2"}"#,
            r#"{"username": "u", "password": "hunter2", "host": "db/x@y"}"#,
            r#"{"username": "u", "password": "hunter2", "host": "db", "port": 70000}"#,
            r#"{"username": "u", "password": "hunter2", "host": "db", "port": "hunter2"}"#,
            r#"{"username": "u", "password": "hunter2", "host": "db", "engine": "mysql"}"#,
        ];
        for json in cases {
            let err = database_url(json).unwrap_err();
            assert_eq!(err.var, "DATABASE_SECRET_FILE", "{json}");
            let message = err.to_string();
            assert!(!message.contains("hunter2") && !message.contains("12345678"), "{message}");
            assert!(message.contains("identity-secret-"), "names the file: {message}");
        }
    }

    #[test]
    fn the_three_forms_of_the_database_url_exclude_each_other() {
        let secret = TempFile::new(r#"{"username": "u", "password": "p", "host": "db"}"#);
        let url = TempFile::new("postgres://u:p@db/x");
        let (secret, url) = (secret.path(), url.path());
        let cases: [&[(&str, &str)]; 4] = [
            &[("DATABASE_URL", "postgres://u:p@db/x"), ("DATABASE_SECRET_FILE", &secret)],
            &[("DATABASE_URL_FILE", &url), ("DATABASE_SECRET_FILE", &secret)],
            &[("DATABASE_URL", "postgres://u:p@db/x"), ("DATABASE_URL_FILE", &url)],
            &[("DATABASE_URL", "postgres://u:p@db/x"), ("DATABASE_URL_FILE", &url), ("DATABASE_SECRET_FILE", &secret)],
        ];
        for vars in cases {
            let err = load(vars).unwrap_err();
            let message = err.to_string();
            let named: Vec<&str> = message.split(|c: char| !(c.is_ascii_uppercase() || c == '_')).collect();
            assert!(vars.iter().all(|(var, _)| named.contains(var)), "{message}");
            assert!(message.contains("set only one"), "{message}");
            assert!(!message.contains("u:p"), "{message}");
        }
        assert_eq!(
            load(&[("DATABASE_URL", "postgres://u:p@db/x"), ("DATABASE_SECRET_FILE", &secret)]).unwrap_err().var,
            "DATABASE_SECRET_FILE"
        );
    }

    #[test]
    fn database_secret_arn_excludes_the_other_forms_and_takes_an_arn_or_a_name() {
        let arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/identity/db-AbCdEf";
        for other in ["DATABASE_URL", "DATABASE_URL_FILE", "DATABASE_SECRET_FILE"] {
            let err = load(&[(other, "postgres://u:p@db/x"), ("DATABASE_SECRET_ARN", arn)]).unwrap_err();
            assert_eq!(err.var, "DATABASE_SECRET_ARN", "{other}");
            assert!(err.to_string().contains(other), "{err}");
        }
        for id in [arn, "prod/identity/db", "rds!db-0123-4567"] {
            let config = load(&[("DATABASE_SECRET_ARN", id)]).unwrap();
            assert_eq!(config.store.database_secret.as_ref().unwrap().id, id);
            assert!(config.store.database_url.is_none() && config.store.has_database());
            // On PostgreSQL without a broker, the relay is left to an instance that has one.
            assert_eq!(config.events.relay, super::super::OutboxRelay::Off);
        }
        for bad in ["secret:db", "arn:aws:s3:::bucket x", "a b"] {
            assert_eq!(load(&[("DATABASE_SECRET_ARN", bad)]).unwrap_err().var, "DATABASE_SECRET_ARN", "{bad}");
        }
    }

    #[test]
    fn the_fetched_secret_becomes_a_url_with_pgsslmode_and_its_errors_name_the_secret_not_its_content() {
        let config = load(&[("DATABASE_SECRET_ARN", "prod/db"), ("PGSSLMODE", "require")]).unwrap();
        let secret = config.store.database_secret.unwrap();
        let url = secret
            .url_from(
                r#"{"username": "app", "password": "p@ss", "host": "db.example", "port": 5432, "dbname": "identity"}"#,
            )
            .unwrap();
        assert_eq!(url.expose_secret(), "postgres://app:p%40ss@db.example:5432/identity?sslmode=require");
        let err = secret.url_from(r#"{"username": "app", "password": "hunter2"}"#).unwrap_err();
        assert_eq!(err.var, "DATABASE_SECRET_ARN");
        let message = err.to_string();
        assert!(message.contains("the secret prod/db") && !message.contains("hunter2"), "{message}");
    }
}
