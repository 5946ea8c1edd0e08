use diesel::Connection;
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// The migrations of the top-level `migrations/` folder, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// Applies every pending migration to the database at `url` and returns the versions applied.
///
/// Diesel's migration harness is synchronous; it runs on its own thread (with a runtime of
/// its own), so this works from any async runtime flavour.
pub async fn run_migrations(url: &str) -> anyhow::Result<Vec<String>> {
    let url = url.to_owned();
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new().name("migrations".into()).spawn(move || {
        let result = (|| -> anyhow::Result<Vec<String>> {
            let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)?;
            let applied =
                conn.run_pending_migrations(MIGRATIONS).map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
            Ok(applied.into_iter().map(|v| v.to_string()).collect())
        })();
        let _ = tx.send(result);
    })?;
    rx.await.map_err(|_| anyhow::anyhow!("the migration thread died"))?
}
