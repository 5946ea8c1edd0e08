//! What only PostgreSQL has of the job queue (the contract suite in `store::contract` checks
//! the rest): claims on separate connections that skip each other's rows instead of waiting
//! (`FOR UPDATE SKIP LOCKED`), the shared database's `jobs` table and a retention that
//! touches only that database's tables, and both schemas' migrations going down and up.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use diesel::sql_types::{Bool, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use identity_core::domain::{JobId, JobKind, JobState, NewJob, Purged, REQUEST_KEY_TTL, RetentionPolicy, Transition};
use identity_core::ports::{JobQueue, Retention};
use identity_core::testkit::fixtures;
use identity_postgres::testkit::{TestDatabase, server_url};
use identity_postgres::{PgStore, PoolSettings};
use uuid::Uuid;

const LEASE: Duration = Duration::seconds(30);

async fn connect(url: &str) -> PgStore {
    PgStore::connect(url, &PoolSettings { max_size: 4, ..PoolSettings::default() })
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {url}: {e:#}"))
}

fn mail(now: DateTime<Utc>) -> NewJob {
    NewJob::new(JobId::from_uuid(Uuid::now_v7()), JobKind::Mail, serde_json::json!({}), 3, now)
}

#[derive(diesel::QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    flag: bool,
}

/// Whether `table` exists in the database of `conn`.
async fn has_table(conn: &mut AsyncPgConnection, table: &str) -> bool {
    let found: Flag = diesel::sql_query("SELECT to_regclass($1) IS NOT NULL AS flag")
        .bind::<Text, _>(table)
        .get_result(conn)
        .await
        .unwrap();
    found.flag
}

/// Another worker's claim caught between its `SELECT … FOR UPDATE SKIP LOCKED` and its commit
/// holds its rows: a claim meanwhile takes the others at once, without waiting for them.
#[tokio::test]
async fn a_claim_skips_the_jobs_another_claim_holds_without_waiting() {
    let database = TestDatabase::create().await;
    let store = connect(database.url()).await;
    let now = fixtures::now();
    let jobs: Vec<NewJob> = (0..3).map(|n| mail(now - Duration::minutes(3 - n))).collect();
    for job in &jobs {
        assert!(store.enqueue(job).await.unwrap());
    }
    let mut other = AsyncPgConnection::establish(database.url()).await.unwrap();
    other.batch_execute("BEGIN").await.unwrap();
    diesel::sql_query("SELECT id FROM jobs WHERE id = $1 FOR UPDATE")
        .bind::<SqlUuid, _>(jobs[0].id.as_uuid())
        .execute(&mut other)
        .await
        .unwrap();

    let claim = store.claim(&[JobKind::Mail], "w", now, LEASE, 10);
    let claimed = tokio::time::timeout(std::time::Duration::from_secs(5), claim)
        .await
        .expect("a claim does not wait for rows another claim holds")
        .unwrap();
    assert_eq!(claimed.iter().map(|job| job.id).collect::<Vec<_>>(), vec![jobs[1].id, jobs[2].id]);

    other.batch_execute("ROLLBACK").await.unwrap();
    let rest = store.claim(&[JobKind::Mail], "w", now, LEASE, 10).await.unwrap();
    assert_eq!(rest.iter().map(|job| job.id).collect::<Vec<_>>(), vec![jobs[0].id]);
}

/// Two replicas (two pools, so separate connections), claiming in parallel threads until the
/// queue is empty, never get the same job.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_claiming_in_parallel_never_share_a_job() {
    let database = TestDatabase::create().await;
    let (first, second) = (connect(database.url()).await, connect(database.url()).await);
    let now = fixtures::now();
    let mut enqueued = HashSet::new();
    for _ in 0..60 {
        let job = mail(now);
        assert!(first.enqueue(&job).await.unwrap());
        enqueued.insert(job.id);
    }
    let replica = |store: PgStore, name: &'static str| {
        tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let claimed = store.claim(&JobKind::ALL, name, now, LEASE, 2).await.unwrap();
                if claimed.is_empty() {
                    return mine;
                }
                mine.extend(claimed.into_iter().map(|job| job.id));
            }
        })
    };
    let (a, b) = tokio::join!(replica(first.clone(), "a"), replica(second, "b"));
    let (a, b) = (a.unwrap(), b.unwrap());
    let claimed: HashSet<JobId> = a.iter().chain(&b).copied().collect();
    assert_eq!(claimed.len(), a.len() + b.len(), "no job claimed twice");
    assert_eq!(claimed, enqueued, "every job claimed");
    for id in claimed {
        assert_eq!(first.find_job(id).await.unwrap().unwrap().attempts, 1);
    }
}

/// A database of the shared schema (`migrations-shared/`), dropped at the end of the test
/// (or, when the test fails, by `cargo xtask test`'s sweep of `identity_test_*`).
struct SharedDatabase {
    name: String,
    url: String,
}

impl SharedDatabase {
    async fn create() -> Self {
        let admin_url = server_url();
        let name = format!("identity_test_shared_{}", Uuid::now_v7().simple());
        let mut admin = AsyncPgConnection::establish(&admin_url).await.unwrap();
        admin.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
        let url = format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0);
        identity_postgres::run_shared_migrations(&url).await.unwrap();
        Self { name, url }
    }

    async fn drop_database(self) {
        let mut admin = AsyncPgConnection::establish(&server_url()).await.unwrap();
        admin.batch_execute(&format!("DROP DATABASE {} WITH (FORCE)", self.name)).await.unwrap();
    }
}

/// The shared database has the queue, and its retention deletes what aged out of its own
/// tables (it has no sessions, tokens or login attempts to purge, and asks for none).
#[tokio::test]
async fn the_shared_database_has_the_queue_and_a_retention_of_its_own_tables() {
    let shared = SharedDatabase::create().await;
    let store = connect(&shared.url).await;
    let mut conn = AsyncPgConnection::establish(&shared.url).await.unwrap();
    assert!(has_table(&mut conn, "jobs").await);
    assert!(!has_table(&mut conn, "sessions").await, "the shared schema only");

    let now = fixtures::now();
    let policy = RetentionPolicy::at(now, Duration::days(7));
    let old = policy.history_before - Duration::hours(1);
    // A job that finished long ago, one that waits: the queue works here as in the main one.
    let done = mail(old);
    let waiting = mail(old);
    assert!(store.enqueue(&done).await.unwrap());
    let claimed = store.claim(&[JobKind::Mail], "w", old, LEASE, 1).await.unwrap();
    assert_eq!(claimed.iter().map(|job| job.id).collect::<Vec<_>>(), vec![done.id]);
    let succeed = Transition::Succeed { worker: "w".into(), result: None };
    store.transition(done.id, &succeed, old).await.unwrap();
    assert!(store.enqueue(&waiting).await.unwrap());
    // Aged-out and live rows of the other shared tables.
    for (published_at, seq) in [(Some(old), 1), (Some(now), 2), (None, 3)] {
        diesel::sql_query(
            "INSERT INTO outbox (id, aggregate_type, aggregate_id, type, payload, occurred_at, published_at) \
             VALUES ($1, 'instance', $1, 'instance.updated', '{}'::jsonb, $2, $3)",
        )
        .bind::<SqlUuid, _>(Uuid::now_v7())
        .bind::<Timestamptz, _>(old - Duration::minutes(seq))
        .bind::<diesel::sql_types::Nullable<Timestamptz>, _>(published_at)
        .execute(&mut conn)
        .await
        .unwrap();
    }
    for at in [old, now] {
        diesel::sql_query("INSERT INTO consumed_messages (id, consumed_at) VALUES ($1, $2)")
            .bind::<SqlUuid, _>(Uuid::now_v7())
            .bind::<Timestamptz, _>(at)
            .execute(&mut conn)
            .await
            .unwrap();
    }
    for at in [now - REQUEST_KEY_TTL - Duration::minutes(1), now - Duration::minutes(1)] {
        diesel::sql_query(
            "INSERT INTO request_keys (key, fingerprint, resource_id, created_at) VALUES ($1, 'f', $2, $3)",
        )
        .bind::<Text, _>(Uuid::now_v7().to_string())
        .bind::<SqlUuid, _>(Uuid::now_v7())
        .bind::<Timestamptz, _>(at)
        .execute(&mut conn)
        .await
        .unwrap();
    }

    let purged = store.purge(&policy).await.unwrap();
    assert_eq!(purged, Purged { request_keys: 1, outbox: 1, consumed_messages: 1, jobs: 1, ..Purged::default() });
    assert_eq!(store.find_job(done.id).await.unwrap(), None);
    assert_eq!(store.find_job(waiting.id).await.unwrap().unwrap().state, JobState::Queued);
    assert_eq!(store.purge(&policy).await.unwrap(), Purged::default());

    drop((store, conn));
    shared.drop_database().await;
}

/// Reverts every migration `migrations` gives on an empty database, checks `jobs` is gone, and
/// applies them again. Diesel's harness is synchronous: it runs on a thread of its own.
fn down_and_up(migrations: fn() -> diesel_migrations::EmbeddedMigrations) {
    use diesel::Connection;
    use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
    use diesel_migrations::MigrationHarness;

    std::thread::spawn(move || {
        let admin_url = server_url();
        let name = format!("identity_test_downup_{}", Uuid::now_v7().simple());
        let mut admin = <AsyncConnectionWrapper<AsyncPgConnection> as Connection>::establish(&admin_url).unwrap();
        diesel::RunQueryDsl::execute(diesel::sql_query(format!("CREATE DATABASE {name}")), &mut admin).unwrap();
        let url = format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0);
        {
            let mut conn = <AsyncConnectionWrapper<AsyncPgConnection> as Connection>::establish(&url).unwrap();
            let applied = conn.run_pending_migrations(migrations()).unwrap().len();
            let reverted = conn.revert_all_migrations(migrations()).unwrap().len();
            assert_eq!(reverted, applied, "every migration goes down");
            let jobs: Flag = diesel::RunQueryDsl::get_result(
                diesel::sql_query("SELECT to_regclass('jobs') IS NULL AS flag"),
                &mut conn,
            )
            .unwrap();
            assert!(jobs.flag, "jobs is dropped");
            assert_eq!(conn.run_pending_migrations(migrations()).unwrap().len(), applied, "and up again");
        }
        let drop = format!("DROP DATABASE {name} WITH (FORCE)");
        diesel::RunQueryDsl::execute(diesel::sql_query(drop), &mut admin).unwrap();
    })
    .join()
    .unwrap();
}

const MIGRATIONS: diesel_migrations::EmbeddedMigrations = diesel_migrations::embed_migrations!("../../migrations");
const SHARED_MIGRATIONS: diesel_migrations::EmbeddedMigrations =
    diesel_migrations::embed_migrations!("../../migrations-shared");

#[test]
fn the_main_migrations_go_down_and_up() {
    down_and_up(|| MIGRATIONS);
}

#[test]
fn the_shared_migrations_go_down_and_up() {
    down_and_up(|| SHARED_MIGRATIONS);
}
