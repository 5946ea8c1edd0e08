//! Test databases: each test gets a fresh, migrated database of its own, so tests run in
//! parallel without seeing each other's rows. A missing server is a test failure, never a
//! skip.

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

/// The server tests use: `TEST_DATABASE_URL` (a URL of any database on it), by default the
/// local PostgreSQL with trust authentication.
pub fn server_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Creates `identity_test_<random>` on the test server, applies the migrations and returns
/// its URL. Test databases are dropped by `cargo xtask test` (and `.ci/run`) before each run.
pub async fn fresh_database() -> String {
    let admin_url = server_url();
    let name = format!("identity_test_{}", uuid::Uuid::now_v7().simple());
    let mut admin = AsyncPgConnection::establish(&admin_url).await.unwrap_or_else(|e| {
        panic!("PostgreSQL is not reachable at {admin_url} ({e}); start it (cargo xtask test does) or set TEST_DATABASE_URL")
    });
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
    let url = match admin_url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("TEST_DATABASE_URL must name a database: {admin_url}"),
    };
    crate::run_migrations(&url).await.unwrap_or_else(|e| panic!("migrating {name} failed: {e:#}"));
    url
}
