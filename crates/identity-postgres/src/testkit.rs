//! Test databases: each test gets a fresh, migrated database of its own, so tests run in
//! parallel without seeing each other's rows, and the database is dropped when the test is
//! done with it. A missing server is a test failure, never a skip.
//!
//! Migrating is the slow part, so it happens once per version of the migrations: the first
//! test process that needs it migrates a template database named after a fingerprint of the
//! `migrations/` folder, and every test clones it (`CREATE DATABASE … TEMPLATE …`), which
//! copies the files instead of replaying the schema. Later test processes reuse the template
//! as long as the migrations are unchanged; `cargo xtask test` (and `.ci/run`) drops it with
//! any other leftover before each run.

use std::ops::Deref;

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
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

async fn admin_connection(admin_url: &str) -> AsyncPgConnection {
    AsyncPgConnection::establish(admin_url).await.unwrap_or_else(|e| {
        panic!("PostgreSQL is not reachable at {admin_url} ({e}); start it (cargo xtask test does) or set TEST_DATABASE_URL")
    })
}

async fn execute(conn: &mut AsyncPgConnection, sql: &str) -> Result<usize, diesel::result::Error> {
    diesel::sql_query(sql).execute(conn).await
}

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
/// process killed half-way never leaves a half-migrated template behind.
async fn template() -> &'static str {
    static TEMPLATE: OnceCell<String> = OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let admin_url = server_url();
            let name = match migrations_fingerprint() {
                Some(fingerprint) => format!("identity_test_template_{fingerprint:016x}"),
                // Cannot tell the version: a template of this process only.
                None => format!("identity_test_template_{}", uuid::Uuid::now_v7().simple()),
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

/// A fresh, migrated database of one test: `identity_test_<random>`, a copy of the template.
/// Dropping the value drops the database (`WITH (FORCE)`, so connections still open to it do
/// not matter; in the background, so the test does not wait: see `reaper` below) — unless the
/// test is failing:
/// then it is kept for a look, and its name is printed; `cargo xtask test` drops such
/// leftovers before the next run.
///
/// Hold it as long as anything uses the database: the API tests' `TestApp` owns its one, and
/// [`TestDatabase::with`] pairs one with a store.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    url: String,
}

impl TestDatabase {
    /// Creates the database on the test server (`TEST_DATABASE_URL`).
    pub async fn create() -> Self {
        let template = template().await;
        let admin_url = server_url();
        let name = format!("identity_test_{}", uuid::Uuid::now_v7().simple());
        let mut admin = admin_connection(&admin_url).await;
        execute(&mut admin, &format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})"))
            .await
            .unwrap_or_else(|e| panic!("cannot take the test template lock: {e}"));
        execute(&mut admin, &format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .await
            .unwrap_or_else(|e| panic!("cannot create test database {name} from {template}: {e}"));
        // A test's commits need not survive a crash of the test server: no WAL flush wait per
        // commit (each test runs dozens). Every connection to this database gets it.
        execute(&mut admin, &format!("ALTER DATABASE {name} SET synchronous_commit = off"))
            .await
            .unwrap_or_else(|e| panic!("cannot configure test database {name}: {e}"));
        let url = database_url(&admin_url, &name);
        // Closing the session releases the lock too; this only releases it sooner.
        let _ = execute(&mut admin, &format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})")).await;
        Self { name, url }
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
    /// Hands the drop to this process's reapers (`reaper` below), so no test waits for it.
    /// Without `psql`, drops the database here, on a thread and a runtime of its own (the
    /// test's runtime never runs this work, whatever its flavour). Nothing here panics: a
    /// failure is printed, and `cargo xtask test` drops the leftover.
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("test failed: its database {} is kept ({})", self.name, self.url);
            return;
        }
        if reaper::drop_later(&self.name).is_ok() {
            return;
        }
        let name = self.name.clone();
        let dropped = std::thread::Builder::new()
            .name("drop-test-database".into())
            .spawn(move || drop_database(&name))
            .map_err(anyhow::Error::from)
            .and_then(|worker| worker.join().unwrap_or_else(|_| Err(anyhow::anyhow!("the dropping thread panicked"))));
        if let Err(error) = dropped {
            eprintln!("cannot drop test database {}: {error:#}", self.name);
        }
    }
}

fn drop_statement(name: &str) -> String {
    format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")
}

/// A few `psql` processes per test process that drop its test databases, each fed one
/// statement a line on its standard input.
///
/// Why not drop right away: PostgreSQL 15 takes a checkpoint for every `DROP DATABASE`, and
/// under a parallel test run (every clone dirties megabytes of buffers) that takes from a
/// tenth of a second to seconds, longer than most tests. Why a few and not one per drop:
/// drops that wait together share a checkpoint, but each holds a connection until it is done,
/// and one per test ran the server out of connections. Why processes, not threads: the test
/// process exits as soon as its last test reports, and a thread would die with it; `psql`
/// runs the statements still queued in its pipe and exits when done. They have a process
/// group of their own, so a Ctrl-C that stops the tests does not stop them.
mod reaper {
    use std::io::Write;
    use std::process::{ChildStdin, Command, Stdio};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Mutex, PoisonError};

    const REAPERS: usize = 4;
    static STDINS: [Mutex<Option<ChildStdin>>; REAPERS] = [const { Mutex::new(None) }; REAPERS];
    static NEXT: AtomicUsize = AtomicUsize::new(0);

    /// Queues the drop of `name`; an error when `psql` cannot be started or is gone.
    pub(super) fn drop_later(name: &str) -> std::io::Result<()> {
        let slot = &STDINS[NEXT.fetch_add(1, Ordering::Relaxed) % REAPERS];
        let mut reaper = slot.lock().unwrap_or_else(PoisonError::into_inner);
        let stdin = match reaper.as_mut() {
            Some(stdin) => stdin,
            None => reaper.insert(start()?),
        };
        let queued = writeln!(stdin, "{};", super::drop_statement(name)).and_then(|()| stdin.flush());
        if queued.is_err() {
            // This psql is gone (it could not connect, say): the next drop here starts another.
            *reaper = None;
        }
        queued
    }

    fn start() -> std::io::Result<ChildStdin> {
        let mut command = Command::new("psql");
        command
            .args(["-X", "-q", "-d"])
            .arg(super::server_url())
            .env("PGOPTIONS", "-c client_min_messages=warning")
            .env("PGAPPNAME", "identity-test-drop")
            .stdin(Stdio::piped())
            .stdout(Stdio::null());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut psql = command.spawn()?;
        let stdin = psql.stdin.take().ok_or_else(|| std::io::Error::other("psql without a standard input"))?;
        // Reaps psql should it exit while this process lives; afterwards, init does.
        std::thread::Builder::new().name("test-database-reaper".into()).spawn(move || {
            let _ = psql.wait();
        })?;
        Ok(stdin)
    }
}

fn drop_database(name: &str) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let mut admin = AsyncPgConnection::establish(&server_url()).await?;
        execute(&mut admin, &drop_statement(name)).await?;
        Ok(())
    })
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
