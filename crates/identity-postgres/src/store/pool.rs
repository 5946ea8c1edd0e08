//! The pool's connections, and when they are checked before use.
//!
//! diesel-async's pool sends `SELECT 1` on every checkout, so that a connection the server
//! has closed (a restart, a fail-over, `pg_terminate_backend`) is found and replaced before a
//! request uses it. That check is a round trip of its own: half of the statements an
//! authenticated request sends.
//!
//! Work that can simply run again makes that check itself: a read, or the `BEGIN` of a
//! transaction, runs on a connection taken without the `SELECT 1`
//! ([`PgStore::unchecked_conn`]); if it fails, it runs once more on a checked connection,
//! exactly as it would have run before. Running a read or a `BEGIN` twice changes nothing, so
//! the answer is the same as with the check; a connection known to be closed (`is_broken`) is
//! never handed out either way.

use std::pin::Pin;

use diesel::result::Error as DieselError;
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, PoolError, PoolableConnection};
use identity_core::ports::RepoError;

use super::{Conn, PgStore};
use crate::errors::repo_error;

/// A read in progress on a connection ([`PgStore::read`]'s argument returns one).
pub(crate) type Reading<'c, T> = Pin<Box<dyn Future<Output = Result<T, DieselError>> + Send + 'c>>;

tokio::task_local! {
    /// Set while [`PgStore::unchecked_conn`] takes a connection: its checkout skips `SELECT 1`.
    static UNCHECKED: ();
}

/// diesel-async's connection manager, whose checks [`PgStore::unchecked_conn`] can skip.
pub(crate) struct Manager(pub(crate) AsyncDieselConnectionManager<AsyncPgConnection>);

impl deadpool::managed::Manager for Manager {
    type Type = AsyncPgConnection;
    type Error = PoolError;

    async fn create(&self) -> Result<AsyncPgConnection, PoolError> {
        self.0.create().await
    }

    async fn recycle(
        &self,
        conn: &mut AsyncPgConnection,
        metrics: &deadpool::managed::Metrics,
    ) -> deadpool::managed::RecycleResult<PoolError> {
        // A connection known to be closed, or left in a transaction, is never handed out.
        if UNCHECKED.try_with(|()| ()).is_ok() && !std::thread::panicking() && !conn.is_broken() {
            return Ok(());
        }
        self.0.recycle(conn, metrics).await
    }
}

impl PgStore {
    /// A connection of the pool without the `SELECT 1` of a checkout: only for work that,
    /// failing, runs again on [`PgStore::conn`]'s (see the module's documentation).
    pub(crate) async fn unchecked_conn(&self) -> Result<Conn, RepoError> {
        UNCHECKED.scope((), self.conn()).await
    }

    /// Runs `read` on an [`Self::unchecked_conn`], and once more on a checked connection if
    /// that fails: for reads only, where running twice changes nothing.
    pub(crate) async fn read<T, F>(&self, read: F) -> Result<T, RepoError>
    where
        F: for<'c> Fn(&'c mut Conn) -> Reading<'c, T> + Send + Sync,
    {
        let mut conn = self.unchecked_conn().await?;
        if let Ok(found) = read(&mut conn).await {
            return Ok(found);
        }
        // The failed connection goes back: the next checkout's `SELECT 1` drops it if the
        // server closed it.
        drop(conn);
        let mut conn = self.conn().await?;
        read(&mut conn).await.map_err(repo_error)
    }
}

#[cfg(all(test, feature = "testkit"))]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use diesel_async::RunQueryDsl;
    use identity_core::UserId;
    use identity_core::ports::{UnitOfWork, UserRepository};

    use crate::testkit::{TestDatabase, connect, server_url};
    use crate::{PgStore, PoolSettings};

    /// Ends every connection the store has open, as a restart or a fail-over would.
    async fn cut(database: &TestDatabase) {
        let mut admin = connect(&server_url()).await.unwrap();
        diesel::sql_query(format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{}' AND pid <> pg_backend_pid()",
            database.name()
        ))
        .execute(&mut admin)
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn reads_and_transactions_carry_on_over_connections_the_server_closed() {
        let database = TestDatabase::create().await;
        let store =
            PgStore::connect(database.url(), &PoolSettings { max_size: 2, ..PoolSettings::default() }).await.unwrap();
        let nobody = UserId::from_uuid(uuid::Uuid::now_v7());
        for round in 0..5 {
            store.find_by_id(nobody).await.unwrap();
            cut(&database).await;
            // Right after the cut: the read finds its connection closed and reads again.
            assert_eq!(store.find_by_id(nobody).await.unwrap(), None, "round {round}");
            cut(&database).await;
            let tx = store.begin().await.unwrap_or_else(|e| panic!("round {round}: {e}"));
            tx.commit().await.unwrap();
        }
    }

    #[tokio::test]
    async fn a_read_that_fails_runs_once_more_on_a_checked_connection() {
        let database = TestDatabase::create().await;
        let store =
            PgStore::connect(database.url(), &PoolSettings { max_size: 2, ..PoolSettings::default() }).await.unwrap();
        let calls = AtomicUsize::new(0);
        let answer = store
            .read(|conn| {
                let call = calls.fetch_add(1, Ordering::SeqCst);
                Box::pin(async move {
                    if call == 0 {
                        return Err(diesel::result::Error::BrokenTransactionManager);
                    }
                    diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>("7")).get_result::<i32>(conn).await
                })
            })
            .await
            .unwrap();
        assert_eq!((answer, AtomicUsize::load(&calls, Ordering::SeqCst)), (7, 2));

        // Twice failed: the second error is the answer, and nothing runs a third time.
        let calls = AtomicUsize::new(0);
        let failed = store
            .read(|_| {
                calls.fetch_add(1, Ordering::SeqCst);
                Box::pin(async { Err::<(), _>(diesel::result::Error::NotFound) })
            })
            .await;
        assert!(failed.is_err());
        assert_eq!(AtomicUsize::load(&calls, Ordering::SeqCst), 2);
    }
}
