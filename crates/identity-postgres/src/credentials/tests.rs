//! Rotated credentials on a server that checks passwords ([`PrivatePostgres::with_passwords`]).

#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use super::{DatabaseUrl, UrlSource};
use crate::testkit::PrivatePostgres;
use crate::{PgStore, PoolSettings};

/// A secret the test rotates by hand, counting its fetches.
#[derive(Clone, Default)]
struct Secret {
    url: Arc<Mutex<String>>,
    fetches: Arc<AtomicUsize>,
}

impl Secret {
    fn set(&self, url: String) {
        *self.url.lock().unwrap() = url;
    }

    fn fetches(&self) -> usize {
        AtomicUsize::load(&self.fetches, Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl UrlSource for Secret {
    fn name(&self) -> &'static str {
        "TEST_SECRET"
    }

    async fn fetch(&self) -> anyhow::Result<String> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        Ok(self.url.lock().unwrap().clone())
    }
}

async fn admin(server: &PrivatePostgres) -> AsyncPgConnection {
    AsyncPgConnection::establish(&server.url_as("postgres", "admin")).await.unwrap()
}

async fn sql(conn: &mut AsyncPgConnection, statement: &str) {
    diesel::sql_query(statement).execute(conn).await.unwrap();
}

#[tokio::test]
async fn a_refused_password_fetches_the_secret_again_and_connects_with_the_rotated_one() {
    let server = PrivatePostgres::with_passwords("admin");
    let mut admin = admin(&server).await;
    sql(&mut admin, "CREATE ROLE app LOGIN PASSWORD 'one'").await;
    let secret = Secret::default();
    secret.set(server.url_as("app", "one"));
    let database = DatabaseUrl::from_source(secret.clone(), Duration::ZERO);
    assert_eq!(secret.fetches(), 0, "fetched when first needed");
    database.connect().await.unwrap();
    database.connect().await.unwrap();
    assert_eq!(secret.fetches(), 1, "fetched once while it works");

    // The rotation: the password changes, then the secret.
    sql(&mut admin, "ALTER ROLE app PASSWORD 'two'").await;
    secret.set(server.url_as("app", "two"));
    database.connect().await.unwrap();
    assert_eq!(secret.fetches(), 2, "the refused password fetched the secret again");
    database.connect().await.unwrap();
    assert_eq!(secret.fetches(), 2, "the new password is kept: no fetch while it works");
    assert_eq!(database.url().await.unwrap(), server.url_as("app", "two"));

    // A secret that still holds the refused password: the error is the server's.
    sql(&mut admin, "ALTER ROLE app PASSWORD 'three'").await;
    let error = database.connect().await.err().unwrap().to_string();
    assert!(error.contains("password authentication failed"), "{error}");
    assert_eq!(secret.fetches(), 3);
}

#[tokio::test]
async fn fetches_are_rate_limited_and_a_fixed_url_never_fetches() {
    let server = PrivatePostgres::with_passwords("admin");
    let mut admin = admin(&server).await;
    sql(&mut admin, "CREATE ROLE app LOGIN PASSWORD 'one'").await;
    let secret = Secret::default();
    secret.set(server.url_as("app", "one"));
    let database = DatabaseUrl::from_source(secret.clone(), Duration::from_secs(3600));
    database.connect().await.unwrap();
    sql(&mut admin, "ALTER ROLE app PASSWORD 'two'").await;
    for _ in 0..3 {
        database.connect().await.err().unwrap();
    }
    assert_eq!(secret.fetches(), 2, "one fetch per refetch period, however many connections fail");

    let fixed = DatabaseUrl::fixed(&server.url_as("app", "one")).unwrap();
    let error = fixed.connect().await.err().unwrap().to_string();
    assert!(error.contains("password authentication failed"), "{error}");
}

#[tokio::test]
async fn the_pool_and_the_migrations_follow_a_rotation() {
    let server = PrivatePostgres::with_passwords("admin");
    let mut admin = admin(&server).await;
    sql(&mut admin, "CREATE ROLE app LOGIN SUPERUSER PASSWORD 'one'").await;
    let secret = Secret::default();
    secret.set(server.url_as("app", "one"));
    let database = DatabaseUrl::from_source(secret.clone(), Duration::ZERO);
    let store = PgStore::lazy_at(database.clone(), &PoolSettings::default()).unwrap();
    store.ping().await.unwrap();

    sql(&mut admin, "ALTER ROLE app PASSWORD 'two'").await;
    secret.set(server.url_as("app", "two"));
    // The pool's open connection is cut: the next one must log in again.
    sql(&mut admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'app'").await;
    store.ping().await.unwrap();
    assert_eq!(secret.fetches(), 2);

    sql(&mut admin, "ALTER ROLE app PASSWORD 'three'").await;
    secret.set(server.url_as("app", "three"));
    let applied = crate::run_migrations_at(&database).await.unwrap();
    assert!(!applied.is_empty(), "the migrations ran with the rotated password");
    assert_eq!(secret.fetches(), 3);
}
