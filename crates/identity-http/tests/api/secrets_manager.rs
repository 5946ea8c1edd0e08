#![allow(clippy::unwrap_used, clippy::expect_used)]

//! `DATABASE_SECRET_ARN`: the binary fetches its database credentials from AWS Secrets Manager
//! (moto's server, through `AWS_ENDPOINT_URL`) with the SDK's standard credential chain, and
//! fetches them again when PostgreSQL refuses them (a rotated secret). A secret that does not
//! exist stops start-up naming the variable; a Secrets Manager that is down at start-up is
//! waited for like a database that is down.

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use identity_aws::testing::Moto;
use identity_postgres::testkit::{PrivatePostgres, TestDatabase};
use identity_tls::testing::free_port;
use serde_json::json;

use crate::dependencies::{Serving, dependency, serve_until_it_gives_up};

/// The JSON an RDS secret holds.
fn rds_secret(user: &str, password: &str, port: u16, dbname: &str) -> String {
    json!({
        "engine": "postgres",
        "username": user,
        "password": password,
        "host": "127.0.0.1",
        "port": port,
        "dbname": dbname,
        "dbInstanceIdentifier": "identity-test",
    })
    .to_string()
}

/// The secret of a database on the machine's server (trust authentication).
fn secret_of(database: &TestDatabase) -> String {
    let url = reqwest::Url::parse(database.url()).unwrap();
    rds_secret(url.username(), "unused", url.port().unwrap_or(5432), url.path().trim_start_matches('/'))
}

fn secret_name() -> String {
    format!("identity/test/{}", uuid::Uuid::now_v7().simple())
}

fn env_of<'a>(pairs: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    pairs.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

async fn sql(conn: &mut AsyncPgConnection, statement: &str) {
    diesel::sql_query(statement).execute(conn).await.unwrap();
}

/// The secret is rotated (PostgreSQL's password changes, then the secret, as the rotation
/// Lambda does) and the pool's connections are cut: the next request is served, with the
/// credentials fetched again.
#[tokio::test]
async fn a_rotated_secret_is_fetched_again_when_postgres_refuses_the_old_password() {
    let postgres = PrivatePostgres::with_passwords("admin");
    let mut admin = AsyncPgConnection::establish(&postgres.url_as("postgres", "admin")).await.unwrap();
    sql(&mut admin, "CREATE ROLE app LOGIN PASSWORD 'first-password'").await;
    sql(&mut admin, "CREATE DATABASE identity OWNER app").await;
    let moto = Moto::start();
    let arn =
        moto.create_secret(&secret_name(), &rds_secret("app", "first-password", postgres.port(), "identity")).await;

    let aws = moto.env();
    let mut env = env_of(&aws);
    env.extend([("DATABASE_SECRET_ARN", arn.as_str()), ("PGSSLMODE", "disable")]);
    let server = Serving::start(&env).await;
    let ready = server.ready_turns(200).await;
    let entry = dependency(&ready, "postgres");
    assert_eq!(entry["variable"], "DATABASE_SECRET_ARN", "{ready}");
    assert_eq!(server.register().await.status(), 201);

    sql(&mut admin, "ALTER ROLE app PASSWORD 'second-password'").await;
    moto.rotate(&arn, &rds_secret("app", "second-password", postgres.port(), "identity")).await;
    sql(&mut admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'app'").await;

    let res = server.register().await;
    assert_eq!(res.status(), 201, "{:?}\n{}", res.text().await, server.log());
    let log = server.log();
    assert!(log.contains("fetched new ones from DATABASE_SECRET_ARN"), "{log}");
    assert!(!log.contains("first-password") && !log.contains("second-password"), "{log}");
    assert_eq!(server.ready().await.0, 200);
}

/// No static keys: the chain takes the pod's web identity token and role (what IRSA injects on
/// EKS) to STS, and signs with what STS gives. Without the token there are no credentials, and
/// start-up stops naming DATABASE_SECRET_ARN.
#[tokio::test]
async fn the_credential_chain_uses_a_web_identity_token_as_on_eks() {
    let database = TestDatabase::create().await;
    let moto = Moto::start();
    let arn = moto.create_secret(&secret_name(), &secret_of(&database)).await;
    let token = std::env::temp_dir().join(format!("identity-web-identity-{}", uuid::Uuid::now_v7().simple()));
    std::fs::write(&token, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6aWRlbnRpdHkifQ.c2ln").unwrap();
    let token_path = token.display().to_string();

    let bare = moto.bare_env();
    let mut env = env_of(&bare);
    env.push(("DATABASE_SECRET_ARN", arn.as_str()));
    let without_token = env.clone();
    env.extend([
        ("AWS_WEB_IDENTITY_TOKEN_FILE", token_path.as_str()),
        ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/identity"),
        ("AWS_ROLE_SESSION_NAME", "identity-test"),
    ]);
    let server = Serving::start(&env).await;
    server.ready_turns(200).await;
    assert_eq!(server.register().await.status(), 201);
    drop(server);
    let _ = std::fs::remove_file(&token);

    let (status, log, stderr) = serve_until_it_gives_up(&without_token).await;
    assert_eq!(status.code(), Some(1), "{log}\n{stderr}");
    assert!(stderr.contains("PostgreSQL (DATABASE_SECRET_ARN)"), "{stderr}");
    assert!(stderr.to_lowercase().contains("credentials"), "{stderr}");
}

/// A secret that does not exist is a configuration error: start-up stops naming the variable
/// and Secrets Manager's reason.
#[tokio::test]
async fn an_unknown_secret_stops_start_up_naming_database_secret_arn() {
    let moto = Moto::start();
    let aws = moto.env();
    let mut env = env_of(&aws);
    let missing = format!("arn:aws:secretsmanager:us-east-1:123456789012:secret:{}-AbCdEf", secret_name());
    env.push(("DATABASE_SECRET_ARN", missing.as_str()));
    let (status, log, stderr) = serve_until_it_gives_up(&env).await;
    assert_eq!(status.code(), Some(1), "{log}\n{stderr}");
    assert!(stderr.contains("PostgreSQL (DATABASE_SECRET_ARN)"), "{stderr}");
    assert!(stderr.contains("ResourceNotFoundException"), "{stderr}");
}

/// Secrets Manager down at start-up: the process starts, `/ready` is 503 naming
/// DATABASE_SECRET_ARN, and once it answers, the secret is fetched, the migrations run and the
/// replica is ready by itself.
#[tokio::test]
async fn secrets_manager_down_at_start_up_then_back_makes_the_replica_ready_by_itself() {
    let database = TestDatabase::create().await;
    let port = free_port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let name = secret_name();
    let env = [
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_REGION", identity_aws::testing::REGION),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/nonexistent/aws-config"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials"),
        ("DATABASE_SECRET_ARN", name.as_str()),
    ];
    let server = Serving::start(&env).await;
    let (status, ready) = server.ready().await;
    assert_eq!(status, 503, "{ready}");
    let entry = dependency(&ready, "postgres");
    assert_eq!(
        (entry["status"].as_str(), entry["variable"].as_str()),
        (Some("unavailable"), Some("DATABASE_SECRET_ARN"))
    );
    assert_eq!(server.register().await.status(), 503);

    let moto = Moto::start_on(port);
    moto.create_secret(&name, &secret_of(&database)).await;
    server.ready_turns(200).await;
    assert_eq!(server.register().await.status(), 201);
}
