//! Every store port on PostgreSQL: the pool, the unit of work and its transactions. Each
//! aggregate's reads and writes live in a file of their own.

mod access;
mod agents;
mod jobs;
mod journal;
mod mfa;
mod one_time_tokens;
mod outbox;
mod pool;
mod service_clients;
mod sessions;
mod settings;
mod users;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use deadpool::managed::{Object, Pool};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, TransactionManager};
use identity_core::SearchPrefix;
use identity_core::ports::{HealthCheck, RepoError, Transaction, UnitOfWork};
use tokio::sync::Notify;

use crate::credentials::DatabaseUrl;
use crate::errors::{pool_error, repo_error};

pub(crate) type Conn = Object<pool::Manager>;
type Tm = <Conn as AsyncConnection>::TransactionManager;

/// `query FOR UPDATE OF tables`: locks the rows of the tables named only. Diesel's
/// `for_update()` locks every table of a join, which PostgreSQL refuses for the nullable side
/// of an outer join (a user's profile). The locked rows are read as their latest committed
/// versions, as a `SELECT … FOR UPDATE` on its own reads them.
#[derive(Debug, Clone)]
pub(crate) struct ForUpdateOf<Q> {
    query: Q,
    tables: &'static str,
}

impl<Q> ForUpdateOf<Q> {
    pub(crate) fn new(query: Q, tables: &'static str) -> Self {
        Self { query, tables }
    }
}

impl<Q: diesel::query_builder::QueryFragment<diesel::pg::Pg>> diesel::query_builder::QueryFragment<diesel::pg::Pg>
    for ForUpdateOf<Q>
{
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> diesel::QueryResult<()> {
        self.query.walk_ast(out.reborrow())?;
        out.push_sql(" FOR UPDATE OF ");
        out.push_sql(self.tables);
        Ok(())
    }
}

impl<Q> diesel::query_builder::QueryId for ForUpdateOf<Q> {
    type QueryId = ();
    // Cached by its SQL text, as every statement without a static id.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: diesel::query_builder::Query> diesel::query_builder::Query for ForUpdateOf<Q> {
    type SqlType = Q::SqlType;
}

/// `query`, kept prepared by PostgreSQL like every other statement: diesel never caches an
/// `UPDATE`, nor an `INSERT` with an optional column (`DEFAULT` or a bind, so its text
/// varies), and so has the server parse and plan them again each time, which costs more than
/// running them. Wrapped, the statement is cached under its SQL text and bind types, so each
/// shape it takes is a prepared statement of its own: exact whatever the values. For the
/// statements of the hot paths (a sign-in's, a registration's, a job's), not for ones whose
/// text grows with their input (a batch of any size).
#[derive(Debug, Clone)]
pub(crate) struct Prepared<Q>(pub(crate) Q);

/// `.prepared()` on any statement: [`Prepared`].
pub(crate) trait Prepare: Sized {
    fn prepared(self) -> Prepared<Self> {
        Prepared(self)
    }
}

impl<Q> Prepare for Q {}

impl<Q: diesel::query_builder::QueryFragment<diesel::pg::Pg>> diesel::query_builder::QueryFragment<diesel::pg::Pg>
    for Prepared<Q>
{
    fn walk_ast<'b>(&'b self, out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>) -> diesel::QueryResult<()> {
        self.0.walk_ast(out)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &diesel::pg::Pg) -> diesel::QueryResult<bool> {
        Ok(true)
    }
}

impl<Q> diesel::query_builder::QueryId for Prepared<Q> {
    type QueryId = ();
    // Cached by its SQL text and bind types, never by its Rust type (whose text can vary).
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: diesel::query_builder::Query> diesel::query_builder::Query for Prepared<Q> {
    type SqlType = Q::SqlType;
}

/// Pool sizing and timeouts.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_size: usize,
    /// How long a request waits for a connection before it gets a 503.
    pub wait_timeout: Duration,
    /// How long opening (or checking) one connection may take: a server that accepts TCP but
    /// never answers fails the attempt instead of hanging it.
    pub connect_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self { max_size: 16, wait_timeout: Duration::from_secs(5), connect_timeout: Duration::from_secs(10) }
    }
}

/// Every store port on PostgreSQL.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool<pool::Manager>,
    /// Rung when a transaction that recorded events commits (`Outbox::committed`).
    committed: Arc<Notify>,
}

impl PgStore {
    /// Builds the pool (connections open lazily) and checks that one connection works.
    pub async fn connect(url: &str, settings: &PoolSettings) -> anyhow::Result<Self> {
        let store = Self::lazy(url, settings)?;
        store.ping().await?;
        Ok(store)
    }

    /// Builds the pool without opening a connection: a database that is down at start-up
    /// fails the requests (503) and the readiness check until it answers.
    /// The URL's `sslmode` and `sslrootcert` are honoured as libpq does ([`PgTarget`]).
    pub fn lazy(url: &str, settings: &PoolSettings) -> anyhow::Result<Self> {
        Self::lazy_at(DatabaseUrl::fixed(url).map_err(anyhow::Error::msg)?, settings)
    }

    /// [`Self::lazy`] at a [`DatabaseUrl`]: a new connection the server refuses for its
    /// credentials fetches them again (a rotated secret).
    pub fn lazy_at(database: DatabaseUrl, settings: &PoolSettings) -> anyhow::Result<Self> {
        let mut config = ManagerConfig::default();
        config.custom_setup = Box::new(move |_url| {
            let database = database.clone();
            Box::pin(async move { database.connect().await })
        });
        // The URL given here is never used: `custom_setup` connects.
        let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config("postgres://", config);
        let pool = Pool::builder(pool::Manager(manager))
            .max_size(settings.max_size)
            .wait_timeout(Some(settings.wait_timeout))
            .create_timeout(Some(settings.connect_timeout))
            .recycle_timeout(Some(settings.connect_timeout))
            .runtime(deadpool::Runtime::Tokio1)
            .build()?;
        Ok(Self { pool, committed: Arc::default() })
    }

    async fn conn(&self) -> Result<Conn, RepoError> {
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        // Within an exported trace, a span per query (crate::trace); otherwise nothing.
        if crate::trace::traced() {
            AsyncConnection::set_instrumentation(&mut *conn, crate::trace::QuerySpans::default());
        }
        Ok(conn)
    }

    /// Runs `SELECT 1`.
    pub async fn ping(&self) -> anyhow::Result<()> {
        let mut conn = self.conn().await?;
        diesel::sql_query("SELECT 1").execute(&mut conn).await?;
        Ok(())
    }
}

/// A digest as the text columns hold it: lower-case hex.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// [`hex`] back to 32 bytes; `None` for anything else.
fn unhex(raw: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if raw.len() != 64 {
        return None;
    }
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(raw.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The `ILIKE` pattern of a [`SearchPrefix`]: the prefix with `LIKE`'s wildcards and escape
/// character matched literally, then `%`.
fn like_prefix(search: &SearchPrefix) -> String {
    let escaped = search.as_str().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("{escaped}%")
}

#[async_trait]
impl UnitOfWork for PgStore {
    async fn begin(&self) -> Result<Box<dyn Transaction>, RepoError> {
        Ok(Box::new(self.transaction().await?))
    }
}

impl PgStore {
    /// A transaction on a connection of the pool (rolled back if dropped): every port's.
    /// Its `BEGIN` is the connection's check ([`pool`]): if it fails on an unchecked
    /// connection, the transaction begins on a checked one.
    async fn transaction(&self) -> Result<PgTransaction, RepoError> {
        let mut conn = self.unchecked_conn().await?;
        if Tm::begin_transaction(&mut conn).await.is_err() {
            drop(conn);
            conn = self.conn().await?;
            Tm::begin_transaction(&mut conn).await.map_err(repo_error)?;
        }
        Ok(PgTransaction { conn: Some(conn), recorded: false, committed: self.committed.clone() })
    }
}

/// A transaction on one pooled connection. Dropped without commit, it is rolled back (and
/// if even that cannot run, the pool discards the connection rather than reuse it).
struct PgTransaction {
    conn: Option<Conn>,
    /// Whether it recorded events: its commit then rings `committed`.
    recorded: bool,
    committed: Arc<Notify>,
}

impl PgTransaction {
    fn conn(&mut self) -> Result<&mut Conn, RepoError> {
        self.conn.as_mut().ok_or_else(|| RepoError::Unknown(anyhow::anyhow!("transaction already finished")))
    }
}

#[async_trait]
impl Transaction for PgTransaction {
    async fn commit(mut self: Box<Self>) -> Result<(), RepoError> {
        let mut conn =
            self.conn.take().ok_or_else(|| RepoError::Unknown(anyhow::anyhow!("transaction already finished")))?;
        Tm::commit_transaction(&mut conn).await.map_err(repo_error)?;
        if self.recorded {
            self.committed.notify_one();
        }
        Ok(())
    }
}

impl Drop for PgTransaction {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(error) = Tm::rollback_transaction(&mut conn).await {
                    tracing::warn!(%error, "rollback of an abandoned transaction failed");
                }
            });
        }
    }
}

#[async_trait]
impl HealthCheck for PgStore {
    fn name(&self) -> &'static str {
        "postgres"
    }

    async fn check(&self) -> anyhow::Result<()> {
        self.ping().await
    }
}

#[cfg(all(test, feature = "testkit"))]
mod contract {
    use identity_core::testkit::store::StoreUnderTest;

    use super::{PgStore, PoolSettings};
    use crate::testkit::{TestDatabase, WithDatabase};

    async fn store() -> WithDatabase<StoreUnderTest> {
        let database = TestDatabase::create().await;
        let store = PgStore::connect(database.url(), &PoolSettings { max_size: 4, ..PoolSettings::default() })
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {}: {e:#}", database.url()));
        database.with(StoreUnderTest::from_store(store))
    }

    identity_core::store_contract_tests!(store());
}

impl PgStore {
    /// Connections of the pool: (in use, idle, most allowed), for the metrics.
    pub fn pool_use(&self) -> (usize, usize, usize) {
        let status = self.pool.status();
        (status.size.saturating_sub(status.available), status.available, status.max_size)
    }
}

#[cfg(test)]
mod hex_tests {
    #[test]
    fn digests_round_trip_through_hex() {
        let digest = [0xab_u8; 32];
        assert_eq!(super::unhex(&super::hex(&digest)), Some(digest));
        assert_eq!(super::unhex("ab"), None);
        assert_eq!(super::unhex(&"zz".repeat(32)), None);
    }
}

#[cfg(all(test, feature = "testkit"))]
#[allow(clippy::unwrap_used)]
mod prepared_tests {
    use diesel::prelude::*;
    use diesel::sql_types::Text;
    use diesel_async::RunQueryDsl;

    use super::{Conn, PgStore, PoolSettings, Prepare};
    use crate::models::{CiText, NewLoginAttemptRow};
    use crate::schema::login_attempts;
    use crate::testkit::TestDatabase;

    /// What PostgreSQL holds prepared for this connection, by text.
    async fn prepared(conn: &mut Conn) -> Vec<String> {
        #[derive(QueryableByName)]
        struct Statement {
            #[diesel(sql_type = Text)]
            statement: String,
        }
        let rows: Vec<Statement> =
            diesel::sql_query("SELECT statement FROM pg_prepared_statements").load(conn).await.unwrap();
        rows.into_iter().map(|row| row.statement).collect()
    }

    fn attempt(email: Option<&str>) -> NewLoginAttemptRow {
        NewLoginAttemptRow {
            user_id: None,
            email: email.map(|e| CiText(e.to_owned())),
            ip_addr: None,
            user_agent: None,
            success: false,
            reason: Some("invalid_password"),
            created_at: chrono::Utc::now(),
        }
    }

    #[tokio::test]
    async fn updates_and_inserts_with_optional_columns_stay_prepared_one_statement_per_shape() {
        let database = TestDatabase::create().await;
        let store =
            PgStore::connect(database.url(), &PoolSettings { max_size: 1, ..PoolSettings::default() }).await.unwrap();
        let mut conn = store.conn().await.unwrap();
        let count = |statements: &[String], start: &str| statements.iter().filter(|s| s.starts_with(start)).count();
        for _ in 0..3 {
            // `None` is written as `DEFAULT`, `Some` as a bind: two texts, two statements.
            for email in [None, Some("ada@example.com")] {
                diesel::insert_into(login_attempts::table)
                    .values(attempt(email))
                    .prepared()
                    .execute(&mut conn)
                    .await
                    .unwrap();
            }
            diesel::update(login_attempts::table.filter(login_attempts::email.is_null()))
                .set(login_attempts::reason.eq("unknown_account"))
                .prepared()
                .execute(&mut conn)
                .await
                .unwrap();
        }
        let statements = prepared(&mut conn).await;
        assert_eq!(count(&statements, "INSERT INTO \"login_attempts\""), 2, "{statements:#?}");
        assert_eq!(count(&statements, "UPDATE \"login_attempts\""), 1, "{statements:#?}");
        // Unwrapped, diesel has the server parse them each time: nothing more is kept.
        diesel::insert_into(login_attempts::table).values(attempt(None)).execute(&mut conn).await.unwrap();
        assert_eq!(prepared(&mut conn).await.len(), statements.len());

        // And each shape wrote what it was given.
        let written: Vec<(Option<CiText>, Option<String>)> = login_attempts::table
            .select((login_attempts::email, login_attempts::reason))
            .order(login_attempts::id)
            .load(&mut conn)
            .await
            .unwrap();
        let emails: Vec<Option<String>> = written.iter().map(|(e, _)| e.clone().map(|e| e.0)).collect();
        assert_eq!(emails.iter().filter(|e| e.is_none()).count(), 4);
        assert_eq!(emails.iter().filter(|e| e.as_deref() == Some("ada@example.com")).count(), 3);
        let reasons: Vec<&str> =
            written.iter().filter(|(e, _)| e.is_none()).map(|(_, r)| r.as_deref().unwrap()).collect();
        assert_eq!(reasons, ["unknown_account", "unknown_account", "unknown_account", "invalid_password"]);
    }
}
