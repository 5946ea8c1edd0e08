//! Test databases: each test gets a fresh, migrated database of its own, so tests run in
//! parallel without seeing each other's rows. A missing server is a test failure, never a
//! skip.
//!
//! Migrating is the slow part, so it happens once per test process: the first test migrates a
//! template database, and every test clones it (`CREATE DATABASE … TEMPLATE …`), which copies
//! the files instead of replaying the schema.

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use tokio::sync::{Mutex, OnceCell};

/// The server tests use: `TEST_DATABASE_URL` (a URL of any database on it), by default the
/// local PostgreSQL with trust authentication.
pub fn server_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn database_url(admin_url: &str, name: &str) -> String {
    match admin_url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("TEST_DATABASE_URL must name a database: {admin_url}"),
    }
}

async fn admin_connection(admin_url: &str) -> AsyncPgConnection {
    AsyncPgConnection::establish(admin_url).await.unwrap_or_else(|e| {
        panic!("PostgreSQL is not reachable at {admin_url} ({e}); start it (cargo xtask test does) or set TEST_DATABASE_URL")
    })
}

/// The migrated template of this test process, made by the first test that asks.
async fn template() -> &'static str {
    static TEMPLATE: OnceCell<String> = OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let admin_url = server_url();
            let name = format!("identity_test_template_{}", uuid::Uuid::now_v7().simple());
            let mut admin = admin_connection(&admin_url).await;
            diesel::sql_query(format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .await
                .unwrap_or_else(|e| panic!("cannot create the template database {name}: {e}"));
            let url = database_url(&admin_url, &name);
            crate::run_migrations(&url).await.unwrap_or_else(|e| panic!("migrating {name} failed: {e:#}"));
            name
        })
        .await
}

/// Creates `identity_test_<random>` on the test server as a copy of the migrated template and
/// returns its URL. Test databases (and templates) are dropped by `cargo xtask test` (and
/// `.ci/run`) before each run.
pub async fn fresh_database() -> String {
    // PostgreSQL copies a template only while nobody else is connected to it, and a second
    // copy started at the same moment counts as a connection: one copy at a time per process.
    static COPYING: Mutex<()> = Mutex::const_new(());
    let template = template().await;
    let admin_url = server_url();
    let name = format!("identity_test_{}", uuid::Uuid::now_v7().simple());
    let mut admin = admin_connection(&admin_url).await;
    let _one_at_a_time = COPYING.lock().await;
    diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {template}"))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("cannot create test database {name} from {template}: {e}"));
    database_url(&admin_url, &name)
}
