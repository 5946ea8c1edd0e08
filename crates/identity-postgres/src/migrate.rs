use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::credentials::{CredentialsRefused, DatabaseUrl};
use crate::tls::{Failure, PgTarget};

/// The migrations of the top-level `migrations/` folder, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// The migrations of the database shared with other services (`SHARED_DATABASE_URL`): the
/// agents, instances, outbox and keyed-request tables of `migrations-shared/`.
pub const SHARED_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations-shared");

/// The session advisory lock that serialises migrations: replicas starting together (a
/// rollout, `identity migrate` beside a starting replica) take turns, and the later ones find
/// nothing pending, instead of racing to create the same tables and failing to start.
const MIGRATION_LOCK: i64 = 0x0069_645f_6d69_6772;

/// Applies every pending migration to the database at `url` and returns the versions applied,
/// holding [`MIGRATION_LOCK`] meanwhile.
///
/// Diesel's migration harness is synchronous; it runs on its own thread (with a runtime of
/// its own), so this works from any async runtime flavour.
pub async fn run_migrations(url: &str) -> anyhow::Result<Vec<String>> {
    run(PgTarget::parse(url).map_err(anyhow::Error::msg)?, MIGRATIONS).await
}

/// [`run_migrations`] for the shared database: [`SHARED_MIGRATIONS`].
pub async fn run_shared_migrations(url: &str) -> anyhow::Result<Vec<String>> {
    run(PgTarget::parse(url).map_err(anyhow::Error::msg)?, SHARED_MIGRATIONS).await
}

/// [`run_migrations`] at a [`DatabaseUrl`]: credentials the server refuses are fetched again
/// (a rotated secret) and the run is tried once more.
pub async fn run_migrations_at(database: &DatabaseUrl) -> anyhow::Result<Vec<String>> {
    database.with_target(|target| run(target, MIGRATIONS)).await
}

/// [`run_shared_migrations`] at a [`DatabaseUrl`].
pub async fn run_shared_migrations_at(database: &DatabaseUrl) -> anyhow::Result<Vec<String>> {
    database.with_target(|target| run(target, SHARED_MIGRATIONS)).await
}

async fn run(target: PgTarget, migrations: EmbeddedMigrations) -> anyhow::Result<Vec<String>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new().name("migrations".into()).spawn(move || {
        let result = (|| -> anyhow::Result<Vec<String>> {
            // The connection (TLS as the URL says) is opened on a runtime of this thread's own,
            // whose worker drives it while the synchronous harness blocks on its queries.
            let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
            let conn = runtime.block_on(target.try_connect()).map_err(|failure| match failure {
                Failure::CredentialsRefused(text) => anyhow::Error::new(CredentialsRefused(text)),
                Failure::Other(error) => error.into(),
            })?;
            let _entered = runtime.enter();
            let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::from(conn);
            diesel::RunQueryDsl::execute(
                diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")),
                &mut conn,
            )
            .map_err(|e| anyhow::anyhow!("cannot take the migration lock: {e}"))?;
            let applied: Vec<String> = conn
                .run_pending_migrations(migrations)
                .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?
                .into_iter()
                .map(|v| v.to_string())
                .collect();
            // Closing the connection releases the lock too.
            let _ = diesel::RunQueryDsl::execute(
                diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")),
                &mut conn,
            );
            Ok(applied)
        })();
        let _ = tx.send(result);
    })?;
    rx.await.map_err(|_| anyhow::anyhow!("the migration thread died"))?
}

#[cfg(all(test, feature = "testkit"))]
mod tests {
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

    /// Four replicas migrating one empty database at once all start: one applies every
    /// migration, the others find nothing pending.
    #[tokio::test]
    async fn replicas_migrating_at_once_take_turns() {
        let admin_url = crate::testkit::server_url();
        let name = format!("identity_test_migrate_{}", uuid::Uuid::now_v7().simple());
        let mut admin = AsyncPgConnection::establish(&admin_url).await.unwrap();
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin).await.unwrap();
        let url = format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0);
        let (a, b, c, d) = tokio::join!(
            super::run_migrations(&url),
            super::run_migrations(&url),
            super::run_migrations(&url),
            super::run_migrations(&url)
        );
        diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut admin).await.unwrap();
        let applied: Vec<usize> =
            [a, b, c, d].into_iter().map(|run| run.expect("every replica starts").len()).collect();
        let total = diesel::migration::MigrationSource::<diesel::pg::Pg>::migrations(&super::MIGRATIONS).unwrap().len();
        assert_eq!(applied.iter().filter(|n| **n == total).count(), 1, "{applied:?}");
        assert_eq!(applied.iter().filter(|n| **n == 0).count(), 3, "{applied:?}");
    }
}
