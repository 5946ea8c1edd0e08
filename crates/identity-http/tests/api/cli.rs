//! The `identity` binary's commands besides serving: `keygen`, `--help`, `--version`, an unknown
//! command, a bad signing key.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output, Stdio};

use crate::helpers::{Process, free_port, server_command};

/// Runs `identity ARGS…` with an empty environment (plus `env`) and waits for it.
fn identity(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_identity"))
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The value after `prefix` on the one line of `output` that starts with it.
fn line_value<'a>(output: &'a str, prefix: &str) -> &'a str {
    let values: Vec<&str> = output.lines().filter_map(|line| line.strip_prefix(prefix)).collect();
    assert_eq!(values.len(), 1, "one line starting with {prefix:?} in:\n{output}");
    values[0].trim()
}

/// What `identity keygen` printed: the secret, the public key and the kid.
fn keygen() -> (String, String, String) {
    let out = identity(&["keygen"], &[]);
    assert!(out.status.success(), "{out:?}");
    let stdout = text(&out.stdout);
    // Every line is a comment or the one assignment: the output pastes into an env file.
    for line in stdout.lines() {
        assert!(line.starts_with('#') || line.starts_with("PASETO_SECRET_KEY=k4.secret."), "{line:?}");
    }
    assert!(stdout.contains("SECRET"), "it says the key must be kept secret:\n{stdout}");
    let secret = line_value(&stdout, "PASETO_SECRET_KEY=").to_owned();
    let public = line_value(&stdout, "# public key:").to_owned();
    let kid = line_value(&stdout, "# kid:").to_owned();
    (secret, public, kid)
}

#[test]
fn keygen_prints_a_secret_key_with_its_public_key_and_kid() {
    let (secret, public, kid) = keygen();
    assert!(secret.starts_with("k4.secret."), "{secret}");
    assert!(public.starts_with("k4.public."), "{public}");
    assert!(kid.starts_with("k4.pid."), "{kid}");
    let keys = identity_crypto::PasetoKeys::from_paserk(&secret).unwrap();
    assert_eq!(keys.signing_kid(), kid);
    assert_eq!(keys.public_keys(), vec![(kid, public)]);
    // A new key each time.
    assert_ne!(keygen().0, secret);
}

#[tokio::test]
async fn the_server_signs_with_the_key_keygen_printed() {
    let (secret, public, kid) = keygen();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _server = Process(
        server_command(port)
            .env("PASETO_SECRET_KEY", &secret)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    crate::helpers::wait_until_up(&format!("{base}/health")).await;
    let keys: serde_json::Value =
        reqwest::get(format!("{base}/.well-known/paserk")).await.unwrap().json().await.unwrap();
    assert_eq!(keys["keys"], serde_json::json!([{ "kid": kid, "paserk": public }]));
}

#[test]
fn help_lists_every_command_and_points_to_the_configuration() {
    for flag in ["--help", "-h", "help"] {
        let out = identity(&[flag], &[]);
        assert!(out.status.success(), "{flag}: {out:?}");
        let help = text(&out.stdout);
        for command in ["serve", "migrate", "openapi", "create-admin", "keygen"] {
            assert!(help.lines().any(|line| line.trim_start().starts_with(command)), "{flag}: no {command}:\n{help}");
        }
        for words in ["--version", "DATABASE_URL", "PASETO_SECRET_KEY", "docs/configuration.md"] {
            assert!(help.contains(words), "{flag}: no {words}:\n{help}");
        }
    }
}

#[test]
fn version_prints_the_version() {
    for flag in ["--version", "-V"] {
        let out = identity(&[flag], &[]);
        assert!(out.status.success(), "{flag}: {out:?}");
        assert_eq!(text(&out.stdout), format!("identity {}\n", env!("CARGO_PKG_VERSION")));
    }
}

#[test]
fn an_unknown_command_exits_2_with_the_usage() {
    let out = identity(&["srve"], &[]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("unknown command \"srve\""), "{stderr}");
    assert!(stderr.contains("Usage: identity") && stderr.contains("keygen"), "{stderr}");
    assert!(out.stdout.is_empty());
}

/// A bad key stops start-up (exit 2) with a message that names the variable, says what it
/// expected in words and never shows a Rust identifier (`PaserkParsing`) nor the value.
#[test]
fn a_bad_key_is_reported_in_words() {
    let (secret, public, _) = keygen();
    let v3 = "k3.secret.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let cases = [
        ("PASETO_SECRET_KEY", "k4.secret.nonsense", "not 64 bytes of unpadded base64url"),
        ("PASETO_SECRET_KEY", public.as_str(), "a public key cannot sign"),
        ("PASETO_SECRET_KEY", v3, "only version 4"),
        ("PASETO_VERIFICATION_KEYS", secret.as_str(), "give the public key here"),
        ("PASETO_VERIFICATION_KEYS", "k4.public.nonsense", "not 32 bytes of unpadded base64url"),
    ];
    for (var, value, words) in cases {
        let out = identity(&["serve"], &[("BIND_ADDR", "127.0.0.1"), ("PORT", "0"), (var, value)]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{var}={value}: {stderr}");
        // One line, before logging starts.
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with(&format!("identity: invalid configuration: {var}: ")), "{var}: {stderr}");
        assert!(stderr.contains(words), "{var}={value}: {stderr}");
        let expected = if var == "PASETO_SECRET_KEY" { "k4.secret" } else { "k4.public" };
        assert!(stderr.contains(&format!("expected a PASERK {expected}.… key")), "{stderr}");
        assert!(stderr.contains("identity keygen"), "{stderr}");
        // No CamelCase identifier (PaserkParsing, Key, Base64…) leaks from the crates.
        let camel = stderr.split(|c: char| !c.is_ascii_alphanumeric()).find(|word| {
            word.len() > 3
                && word.starts_with(|c: char| c.is_ascii_uppercase())
                && word.chars().skip(1).any(|c| c.is_ascii_uppercase())
                && word.chars().any(|c| c.is_ascii_lowercase())
        });
        assert_eq!(camel, None, "{stderr}");
        if value.len() > 20 {
            assert!(!stderr.contains(&value[10..]), "the value is echoed: {stderr}");
        }
    }
}

/// `identity migrate` on an empty database logs the versions it applied; run again, that none
/// were pending.
#[tokio::test]
async fn migrate_logs_what_it_applied() {
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
    let server = identity_postgres::testkit::server_url();
    // `identity_test_…`: `cargo xtask test` drops what a failed run leaves behind.
    let name = format!("identity_test_migrate_{}", uuid::Uuid::now_v7().simple());
    let mut admin = AsyncPgConnection::establish(&server).await.unwrap();
    diesel::sql_query(format!("CREATE DATABASE \"{name}\"")).execute(&mut admin).await.unwrap();
    let url = format!("{}/{name}", server.rsplit_once('/').unwrap().0);
    let migrations: Vec<String> = std::fs::read_dir(crate::docs::root().join("migrations"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().split('_').next().unwrap().replace('-', ""))
        .collect();
    assert!(!migrations.is_empty());

    let messages = |out: &Output| -> Vec<serde_json::Value> {
        assert!(out.status.success(), "{out:?}");
        text(&out.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .map(|l: serde_json::Value| l["fields"].clone())
            .collect()
    };
    let env = [("DATABASE_URL", url.as_str()), ("LOG_FORMAT", "json")];
    let first = messages(&identity(&["migrate"], &env));
    let applied = first
        .iter()
        .find(|f| f["message"] == "database migrations applied")
        .unwrap_or_else(|| panic!("no line names the migrations applied: {first:?}"));
    for version in &migrations {
        assert!(applied["applied"].as_str().unwrap().contains(version.as_str()), "{version} not in {applied}");
    }
    let second = messages(&identity(&["migrate"], &env));
    assert!(second.iter().any(|f| f["message"].as_str().unwrap_or_default().contains("none pending")), "{second:?}");
    diesel::sql_query(format!("DROP DATABASE \"{name}\" WITH (FORCE)")).execute(&mut admin).await.unwrap();
}
