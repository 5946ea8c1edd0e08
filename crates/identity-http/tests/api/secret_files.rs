//! The binary reads its secrets from files, as on Kubernetes: the database from the JSON that
//! AWS Secrets Manager keeps (mounted by the Secrets Store CSI driver) and the signing key
//! from a file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::helpers::{Process, eventually, free_port, server_command};
use serde_json::{Value, json};

/// Files in a directory of their own, removed when dropped.
struct SecretDir(PathBuf);

impl SecretDir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("identity-secrets-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir(&dir).unwrap();
        Self(dir)
    }

    fn write(&self, name: &str, content: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, content).unwrap();
        path.display().to_string()
    }
}

impl Drop for SecretDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn the_server_starts_on_a_database_secret_file_and_a_key_file() {
    // A fresh database on the test server; the JSON names its parts the way AWS does.
    let test_database = identity_postgres::testkit::TestDatabase::create().await;
    let database = reqwest::Url::parse(test_database.url()).unwrap();
    let secrets = SecretDir::new();
    // Trust authentication ignores the password, but it must survive the URL intact.
    let db_secret = json!({
        "username": database.username(),
        "password": "p@ss/w:rd%20",
        "engine": "postgres",
        "host": database.host_str().unwrap(),
        "port": database.port().unwrap_or(5432),
        "dbname": database.path().trim_start_matches('/'),
    });
    let db_file = secrets.write("db-creds", &db_secret.to_string());
    let keys = identity_crypto::PasetoKeys::generate().unwrap();
    let key_file = secrets.write("paseto-secret-key", &format!("{}\n", keys.secret_paserk()));

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _server = Process(
        server_command(port)
            .env("DATABASE_SECRET_FILE", &db_file)
            .env("PASETO_SECRET_KEY_FILE", &key_file)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let client = reqwest::Client::new();
    let ready = eventually("the server process to come up", std::time::Duration::from_secs(15), async || {
        client.get(format!("{base}/ready")).send().await.ok()
    })
    .await;
    assert_eq!(ready.status(), 200);
    let body: Value = ready.json().await.unwrap();
    let names: Vec<&str> = body["dependencies"].as_array().unwrap().iter().filter_map(|d| d["name"].as_str()).collect();
    assert_eq!(names, vec!["postgres"], "{body}");

    // The key from the file signs: it is the one published.
    let published: Value = client.get(format!("{base}/.well-known/paserk")).send().await.unwrap().json().await.unwrap();
    assert_eq!(published["keys"][0]["paserk"], keys.public_keys()[0].1, "{published}");
}

#[test]
fn both_forms_stop_the_binary_naming_them() {
    let secrets = SecretDir::new();
    let db_file = secrets.write("db-creds", r#"{"username": "u", "password": "hunter2", "host": "db"}"#);
    let output = Command::new(env!("CARGO_BIN_EXE_identity"))
        .env_clear()
        .env("DATABASE_URL", "postgres://u:hunter2@db/x")
        .env("DATABASE_SECRET_FILE", &db_file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("DATABASE_URL") && stderr.contains("DATABASE_SECRET_FILE"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}
