//! Test databases: each test gets a migrated database of its own, holding exactly what the
//! migrations leave in it, so tests run in parallel without seeing each other's rows. A
//! missing server is a test failure, never a skip.
//!
//! Migrating is slow, so it happens once per version of the migrations: the first test
//! process that needs it migrates a template database named after a fingerprint of the
//! `migrations/` folder. Copying the template (`CREATE DATABASE … TEMPLATE …`) is slow too
//! (about 0.6 s here, and copies are serialised), and dropping a database costs PostgreSQL a
//! checkpoint, so tests do neither: they lease one of a small pool of copies
//! (`identity_test_pool_<fingerprint>_<n>`). A lease is a session advisory lock, held by a
//! connection of the test's own for as long as the test holds the database, so any number
//! of test processes share the pool; a leased copy is first emptied back to what the
//! migrations left (`identity_test_seed.reset()`, a few tens of milliseconds), and a new copy
//! is made only when every one is leased. `cargo xtask test` (and `.ci/run`) drops the pool
//! with any other leftover before each run.

use std::ops::Deref;

mod private_server;
pub use private_server::PrivatePostgres;

use diesel_async::{AsyncPgConnection, RunQueryDsl};
use tokio::sync::OnceCell;

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

/// One connection to `url`, with TLS as its `sslmode` says (as the service connects).
pub async fn connect(url: &str) -> Result<AsyncPgConnection, String> {
    let target = crate::PgTarget::parse(url)?;
    target.connect().await.map_err(|e| e.to_string())
}

async fn admin_connection(admin_url: &str) -> AsyncPgConnection {
    connect(admin_url).await.unwrap_or_else(|e| {
        panic!("PostgreSQL is not reachable at {admin_url} ({e}); start it (cargo xtask test does) or set TEST_DATABASE_URL")
    })
}

async fn execute(conn: &mut AsyncPgConnection, sql: &str) -> Result<usize, diesel::result::Error> {
    diesel::sql_query(sql).execute(conn).await
}

/// Part of the template's name: a template made by an older version of this file (one
/// without what [`SEED`] adds) is never used.
const TESTKIT_VERSION: &str = "v2";

/// Run once in the template after migrating it: keeps a copy of every row the migrations
/// wrote (schema `identity_test_seed`, outside the search path) and defines
/// `identity_test_seed.reset()`, which empties every table of `public` and puts those rows
/// back. Foreign keys and triggers are not enforced while it runs
/// (`session_replication_role = replica`, which needs a superuser, as creating the test
/// databases does), so the tables can be emptied in any order. The migrations write no
/// sequence values (checked here), so restarting every sequence is what they left.
const SEED: &str = r#"
CREATE SCHEMA identity_test_seed;
DO $$
DECLARE
  t text;
  filled boolean;
BEGIN
  IF EXISTS (SELECT 1 FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL) THEN
    RAISE EXCEPTION 'the migrations use a sequence: identity_test_seed.reset() cannot restore it';
  END IF;
  FOR t IN SELECT tablename FROM pg_tables
           WHERE schemaname = 'public' AND tablename <> '__diesel_schema_migrations' LOOP
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM public.%I)', t) INTO filled;
    IF filled THEN
      EXECUTE format('CREATE TABLE identity_test_seed.%I AS TABLE public.%I', t, t);
    END IF;
  END LOOP;
END $$;
CREATE FUNCTION identity_test_seed.reset() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  t text;
BEGIN
  SET LOCAL session_replication_role = replica;
  FOR t IN SELECT tablename FROM pg_tables
           WHERE schemaname = 'public' AND tablename <> '__diesel_schema_migrations' LOOP
    EXECUTE format('DELETE FROM public.%I', t);
  END LOOP;
  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'identity_test_seed' LOOP
    EXECUTE format('INSERT INTO public.%I OVERRIDING SYSTEM VALUE SELECT * FROM identity_test_seed.%I', t, t);
  END LOOP;
  FOR t IN SELECT format('%I.%I', schemaname, sequencename) FROM pg_sequences WHERE schemaname = 'public' LOOP
    EXECUTE 'ALTER SEQUENCE ' || t || ' RESTART';
  END LOOP;
END $$;
"#;

/// Serialises the template work of every test process on the server (an advisory lock of the
/// admin connection's session): PostgreSQL copies a template only while nobody else is using
/// it, and a copy started at the same moment counts.
const TEMPLATE_LOCK: i64 = 0x0069_645f_746d_706c;

/// FNV-1a over the migration files (paths and contents, in path order): the template's name
/// changes with any edit of a migration. `None` when the folder cannot be read.
fn migrations_fingerprint() -> Option<u64> {
    fn walk(dir: &std::path::Path, files: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() { walk(&path, files)? } else { files.push(path) }
        }
        Ok(())
    }
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations"));
    let mut files = Vec::new();
    walk(root, &mut files).ok()?;
    files.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for file in files {
        let relative = file.strip_prefix(root).ok()?.to_string_lossy().into_owned();
        for byte in relative.bytes().chain([0]).chain(std::fs::read(&file).ok()?).chain([0]) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    Some(hash)
}

/// The migrated template, made by the first test (of any process) that asks for this version
/// of the migrations. It is migrated under a temporary name and renamed when complete, so a
/// process killed half-way never leaves a half-migrated template behind. Next to the
/// migrated schema it keeps what a lease needs to empty a copy (see [`SEED`]).
async fn template() -> &'static str {
    static TEMPLATE: OnceCell<String> = OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let admin_url = server_url();
            let name = match migrations_fingerprint() {
                Some(fingerprint) => format!("identity_test_template_{TESTKIT_VERSION}_{fingerprint:016x}"),
                // Cannot tell the version: a template of this process only.
                None => format!("identity_test_template_{TESTKIT_VERSION}_{}", uuid::Uuid::now_v7().simple()),
            };
            let mut admin = admin_connection(&admin_url).await;
            execute(&mut admin, &format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})"))
                .await
                .unwrap_or_else(|e| panic!("cannot take the test template lock: {e}"));
            #[derive(diesel::QueryableByName)]
            struct Found {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            let found: Found = diesel::sql_query("SELECT count(*) AS n FROM pg_database WHERE datname = $1")
                .bind::<diesel::sql_types::Text, _>(&name)
                .get_result(&mut admin)
                .await
                .unwrap_or_else(|e| panic!("cannot look for the template database {name}: {e}"));
            if found.n == 0 {
                let building = format!("identity_test_new_{}", uuid::Uuid::now_v7().simple());
                execute(&mut admin, &format!("CREATE DATABASE {building}"))
                    .await
                    .unwrap_or_else(|e| panic!("cannot create the template database {building}: {e}"));
                let url = database_url(&admin_url, &building);
                crate::run_migrations(&url).await.unwrap_or_else(|e| panic!("migrating {building} failed: {e:#}"));
                let mut template = admin_connection(&url).await;
                diesel_async::SimpleAsyncConnection::batch_execute(&mut template, SEED)
                    .await
                    .unwrap_or_else(|e| panic!("cannot keep the seed rows of {building}: {e}"));
                drop(template);
                // Nobody connects to a template: a connection would block every copy.
                execute(&mut admin, &format!("ALTER DATABASE {building} ALLOW_CONNECTIONS false"))
                    .await
                    .unwrap_or_else(|e| panic!("cannot close {building} to connections: {e}"));
                execute(&mut admin, &format!("ALTER DATABASE {building} RENAME TO {name}"))
                    .await
                    .unwrap_or_else(|e| panic!("cannot rename {building} to {name}: {e}"));
            }
            execute(&mut admin, &format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})"))
                .await
                .unwrap_or_else(|e| panic!("cannot release the test template lock: {e}"));
            name
        })
        .await
}

/// A migrated database of one test, holding exactly what the migrations left in it: a leased
/// copy of the template (see the module documentation). Dropping the value ends the lease —
/// unless the test is failing: then the copy is renamed `identity_test_failed_<id>` and kept
/// for a look (its name is printed), and `cargo xtask test` drops it before the next run.
///
/// Hold it as long as anything uses the database: the API tests' `TestApp` owns its one, and
/// [`TestDatabase::with`] pairs one with a store.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    url: String,
    lease: Option<Lease>,
}

/// The thread that holds the lease's connection (and so its advisory lock), on a runtime of
/// its own: the test's runtime may be gone, or busy, when the test lets go.
#[derive(Debug)]
struct Lease {
    /// Sends whether to keep the database (the test failed).
    release: tokio::sync::oneshot::Sender<bool>,
    thread: std::thread::JoinHandle<()>,
}

impl TestDatabase {
    /// Leases a database on the test server (`TEST_DATABASE_URL`).
    pub async fn create() -> Self {
        let template = template().await.to_owned();
        let (ready, leased) = tokio::sync::oneshot::channel();
        let (release, released) = tokio::sync::oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("test-database-lease".into())
            .spawn(move || match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(runtime) => runtime.block_on(lease::hold(&template, ready, released)),
                Err(e) => {
                    let _ = ready.send(Err(format!("cannot start the lease's runtime: {e}")));
                }
            })
            .unwrap_or_else(|e| panic!("cannot start the test database lease thread: {e}"));
        let name = match leased.await {
            Ok(Ok(name)) => name,
            Ok(Err(error)) => panic!("{error}"),
            Err(_) => panic!("the test database lease thread died"),
        };
        let url = database_url(&server_url(), &name);
        Self { name, url, lease: Some(Lease { release, thread }) }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Pairs `value` (say, a store connected to this database) with the database: dropping
    /// the pair drops `value` first, then the database.
    pub fn with<T>(self, value: T) -> WithDatabase<T> {
        WithDatabase { value, _database: self }
    }
}

impl Drop for TestDatabase {
    /// Ends the lease, and waits for it only when the database is kept (renaming it takes a
    /// moment; the process must not exit first). Nothing here panics: a failure is printed.
    fn drop(&mut self) {
        let Some(Lease { release, thread }) = self.lease.take() else { return };
        let keep = std::thread::panicking();
        if release.send(keep).is_err() {
            eprintln!("the lease of test database {} had ended already", self.name);
        }
        if keep && thread.join().is_err() {
            eprintln!("keeping test database {} failed", self.name);
        }
    }
}

/// Leasing a copy of the template: the lease thread's side.
mod lease {
    use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
    use tokio::sync::oneshot;

    use super::{TEMPLATE_LOCK, admin_connection, database_url, execute, server_url};

    #[derive(diesel::QueryableByName)]
    struct Flag {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        flag: bool,
    }

    /// Leases a copy of `template`, reports its name on `ready`, holds the lease until
    /// `released` says whether to keep the copy (or its sender is dropped), then lets go.
    pub(super) async fn hold(
        template: &str,
        ready: oneshot::Sender<Result<String, String>>,
        released: oneshot::Receiver<bool>,
    ) {
        let admin_url = server_url();
        let mut admin = match super::connect(&admin_url).await {
            Ok(admin) => admin,
            Err(e) => {
                let _ = ready.send(Err(format!(
                    "PostgreSQL is not reachable at {admin_url} ({e}); start it (cargo xtask test does) or set TEST_DATABASE_URL"
                )));
                return;
            }
        };
        let name = match lease(&mut admin, &admin_url, template).await {
            Ok(name) => name,
            Err(error) => {
                let _ = ready.send(Err(error));
                return;
            }
        };
        if ready.send(Ok(name.clone())).is_err() {
            return; // The test is gone already: closing the connection ends the lease.
        }
        if released.await.unwrap_or(false) {
            keep(&mut admin, &name).await;
        }
    }

    /// The pool's copies are `identity_test_pool_<template suffix>_<n>`; copy `n` is leased by
    /// the session that holds the advisory lock (`class`, `n`), `class` being drawn from the
    /// template's name so that pools of different migrations never wait for each other.
    async fn lease(admin: &mut AsyncPgConnection, admin_url: &str, template: &str) -> Result<String, String> {
        let suffix = template.trim_start_matches("identity_test_template_");
        let class =
            suffix.bytes().fold(0x811c_9dc5_u32, |hash, byte| (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193));
        let class = i32::from_ne_bytes(class.to_ne_bytes());
        let mut slot: i32 = 0;
        loop {
            let locked: Flag = diesel::sql_query("SELECT pg_try_advisory_lock($1, $2) AS flag")
                .bind::<diesel::sql_types::Integer, _>(class)
                .bind::<diesel::sql_types::Integer, _>(slot)
                .get_result(admin)
                .await
                .map_err(|e| format!("cannot lease a test database: {e}"))?;
            if locked.flag {
                break;
            }
            slot += 1;
        }
        let name = format!("identity_test_pool_{suffix}_{slot}");
        let exists: Flag = diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS flag")
            .bind::<diesel::sql_types::Text, _>(&name)
            .get_result(admin)
            .await
            .map_err(|e| format!("cannot look for test database {name}: {e}"))?;
        if exists.flag {
            reset(admin, admin_url, &name).await?;
        } else {
            copy(admin, template, &name).await?;
        }
        Ok(name)
    }

    /// A new copy of the template (under the template lock: PostgreSQL copies a template only
    /// while nobody else is using it, and a copy started at the same moment counts).
    async fn copy(admin: &mut AsyncPgConnection, template: &str, name: &str) -> Result<(), String> {
        execute(admin, &format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})"))
            .await
            .map_err(|e| format!("cannot take the test template lock: {e}"))?;
        let copied = execute(admin, &format!("CREATE DATABASE {name} TEMPLATE {template}")).await;
        let _ = execute(admin, &format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})")).await;
        copied.map_err(|e| format!("cannot create test database {name} from {template}: {e}"))?;
        // A test's commits need not survive a crash of the test server: no WAL flush wait per
        // commit (each test runs dozens). Every connection to this database gets it.
        execute(admin, &format!("ALTER DATABASE {name} SET synchronous_commit = off"))
            .await
            .map_err(|e| format!("cannot configure test database {name}: {e}"))?;
        Ok(())
    }

    /// Empties a copy a previous test used back to what the migrations left. Connections the
    /// previous holder left open (a pool of a process that was killed, say) are closed first:
    /// they could hold locks, or write after the reset.
    async fn reset(admin: &mut AsyncPgConnection, admin_url: &str, name: &str) -> Result<(), String> {
        disconnect_others(admin, name).await?;
        let url = database_url(admin_url, name);
        let mut conn = admin_connection(&url).await;
        conn.batch_execute("SELECT identity_test_seed.reset()")
            .await
            .map_err(|e| format!("cannot empty test database {name}: {e}"))
    }

    async fn disconnect_others(admin: &mut AsyncPgConnection, name: &str) -> Result<(), String> {
        diesel::sql_query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind::<diesel::sql_types::Text, _>(name)
        .execute(admin)
        .await
        .map(drop)
        .map_err(|e| format!("cannot close the connections to test database {name}: {e}"))
    }

    /// Takes a failed test's copy out of the pool, under a name of its own, for a look.
    async fn keep(admin: &mut AsyncPgConnection, name: &str) {
        let kept = format!("identity_test_failed_{}", uuid::Uuid::now_v7().simple());
        // The failed test's own connections may come back between closing them and the
        // rename: a few attempts.
        for _ in 0..5 {
            if disconnect_others(admin, name).await.is_ok()
                && execute(admin, &format!("ALTER DATABASE {name} RENAME TO {kept}")).await.is_ok()
            {
                let url = database_url(&server_url(), &kept);
                eprintln!("test failed: its database {name} is kept as {kept} ({url})");
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        eprintln!("test failed: its database {name} could not be kept (it goes back to the pool)");
    }
}

/// A value that lives on a [`TestDatabase`], and the database, dropped in that order.
pub struct WithDatabase<T> {
    value: T,
    _database: TestDatabase,
}

impl<T> Deref for WithDatabase<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}
