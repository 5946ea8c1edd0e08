//! The durable job queue and retention on PostgreSQL. The rules are core's ([`Job`]): the
//! claim selects what is claimable with `FOR UPDATE SKIP LOCKED` (so concurrent workers take
//! different jobs), lets core claim or expire each row, and writes the rows back; a
//! transition locks its job, lets core apply it, and writes it back. Times are always the
//! caller's `now` (the clock port), never the database's.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Timestamptz};
use diesel::upsert::DecoratableTarget;
use diesel_async::RunQueryDsl;
use identity_core::domain::{
    Job, JobFilter, JobId, JobKind, JobState, NewJob, Purged, QueueDepth, REQUEST_KEY_TTL, RetentionPolicy, Transition,
};
use identity_core::ports::{JobQueue, JobWrites, RepoError, Retention, Transaction, Transitioned};
use serde_json::Value;
use uuid::Uuid;

use super::{Conn, PgStore, PgTransaction, Prepare, limit};
use crate::errors::repo_error;
use crate::schema::jobs;

/// A row of `jobs`: every column, written back whole after core changed the job.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = jobs, check_for_backend(diesel::pg::Pg), treat_none_as_null = true)]
struct JobRow {
    id: Uuid,
    kind: String,
    payload: Value,
    sealed: Option<String>,
    unique_key: Option<String>,
    priority: i16,
    state: String,
    attempts: i32,
    max_attempts: i32,
    run_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    locked_until: Option<DateTime<Utc>>,
    locked_by: Option<String>,
    last_error: Option<String>,
    result: Option<Value>,
}

impl JobRow {
    fn from_domain(job: &Job) -> Self {
        Self {
            id: job.id.as_uuid(),
            kind: job.kind.as_str().to_owned(),
            payload: job.payload.clone(),
            sealed: job.sealed.clone(),
            unique_key: job.unique_key.clone(),
            priority: job.priority,
            state: job.state.as_str().to_owned(),
            attempts: job.attempts,
            max_attempts: job.max_attempts,
            run_at: job.run_at,
            created_at: job.created_at,
            updated_at: job.updated_at,
            started_at: job.started_at,
            finished_at: job.finished_at,
            locked_until: job.locked_until,
            locked_by: job.locked_by.clone(),
            last_error: job.last_error.clone(),
            result: job.result.clone(),
        }
    }

    fn into_domain(self) -> Result<Job, RepoError> {
        let kind = JobKind::parse(&self.kind)
            .ok_or_else(|| RepoError::Unknown(anyhow::anyhow!("stored kind {:?} of job {}", self.kind, self.id)))?;
        let state = JobState::parse(&self.state)
            .ok_or_else(|| RepoError::Unknown(anyhow::anyhow!("stored state {:?} of job {}", self.state, self.id)))?;
        Ok(Job {
            id: JobId::from_uuid(self.id),
            kind,
            payload: self.payload,
            sealed: self.sealed,
            unique_key: self.unique_key,
            priority: self.priority,
            state,
            attempts: self.attempts,
            max_attempts: self.max_attempts,
            run_at: self.run_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
            started_at: self.started_at,
            finished_at: self.finished_at,
            locked_until: self.locked_until,
            locked_by: self.locked_by,
            last_error: self.last_error,
            result: self.result,
        })
    }
}

/// The names of `kinds` as stored.
fn kind_names(kinds: &[JobKind]) -> Vec<&'static str> {
    kinds.iter().map(|kind| kind.as_str()).collect()
}

/// Inserts `job` unless its unique key is taken (`ON CONFLICT` on `jobs_unique_key_idx`):
/// whether it was inserted. A taken id is an error, not a duplicate.
async fn insert_job(conn: &mut Conn, job: &NewJob) -> Result<bool, RepoError> {
    let inserted = diesel::insert_into(jobs::table)
        .values(JobRow::from_domain(&job.clone().into_job()))
        .on_conflict(jobs::unique_key)
        .filter_target(jobs::unique_key.is_not_null())
        .do_nothing()
        .prepared()
        .execute(conn)
        .await
        .map_err(repo_error)?;
    Ok(inserted == 1)
}

/// Writes `job` back over its row.
async fn store_job(conn: &mut Conn, job: &Job) -> Result<(), RepoError> {
    diesel::update(jobs::table.find(job.id.as_uuid()))
        .set(JobRow::from_domain(job))
        .prepared()
        .execute(conn)
        .await
        .map_err(repo_error)?;
    Ok(())
}

/// A transaction of its own on a connection of the pool (rolled back if dropped).
async fn begin(store: &PgStore) -> Result<PgTransaction, RepoError> {
    store.transaction().await
}

#[async_trait]
impl JobWrites for PgTransaction {
    async fn enqueue(&mut self, job: &NewJob) -> Result<bool, RepoError> {
        insert_job(self.conn()?, job).await
    }
}

#[async_trait]
impl JobQueue for PgStore {
    /// One statement: a transaction of its own.
    async fn enqueue(&self, job: &NewJob) -> Result<bool, RepoError> {
        insert_job(&mut self.conn().await?, job).await
    }

    async fn claim(
        &self,
        kinds: &[JobKind],
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit_to: usize,
    ) -> Result<Vec<Job>, RepoError> {
        if kinds.is_empty() || limit_to == 0 {
            return Ok(Vec::new());
        }
        let mut tx = begin(self).await?;
        let conn = tx.conn()?;
        // `Job::is_claimable`, in SQL, so that the rows locked are the ones claimed; the rows
        // other workers are claiming are skipped, not waited for.
        let rows: Vec<JobRow> = jobs::table
            .filter(jobs::kind.eq_any(kind_names(kinds)))
            .filter(
                jobs::state.eq(JobState::Queued.as_str()).and(jobs::run_at.le(now)).or(jobs::state
                    .eq(JobState::Running.as_str())
                    .and(jobs::locked_until.is_null().or(jobs::locked_until.lt(now)))),
            )
            .order((jobs::priority.desc(), jobs::run_at.asc(), jobs::id.asc()))
            .limit(limit(limit_to))
            .select(JobRow::as_select())
            .for_update()
            .skip_locked()
            .prepared()
            .load(conn)
            .await
            .map_err(repo_error)?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in rows {
            let mut job = row.into_domain()?;
            if job.is_spent(now) {
                job.expire(now);
            } else {
                job.claim(worker, now, lease);
            }
            store_job(conn, &job).await?;
            if job.state == JobState::Running {
                claimed.push(job);
            }
        }
        Box::new(tx).commit().await?;
        Ok(claimed)
    }

    async fn transition(
        &self,
        id: JobId,
        transition: &Transition,
        now: DateTime<Utc>,
    ) -> Result<Transitioned, RepoError> {
        let mut tx = begin(self).await?;
        let conn = tx.conn()?;
        let row: Option<JobRow> = jobs::table
            .find(id.as_uuid())
            .select(JobRow::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()
            .map_err(repo_error)?;
        let Some(row) = row else {
            return Ok(Transitioned::NotFound);
        };
        let mut job = row.into_domain()?;
        let outcome = match job.apply(transition, now) {
            Ok(()) => {
                store_job(conn, &job).await?;
                Transitioned::Done(job)
            }
            Err(refused) => Transitioned::Refused(refused, job),
        };
        Box::new(tx).commit().await?;
        Ok(outcome)
    }

    async fn find_job(&self, id: JobId) -> Result<Option<Job>, RepoError> {
        let mut conn = self.conn().await?;
        let row: Option<JobRow> = jobs::table
            .find(id.as_uuid())
            .select(JobRow::as_select())
            .first(&mut conn)
            .await
            .optional()
            .map_err(repo_error)?;
        row.map(JobRow::into_domain).transpose()
    }

    /// The `WHERE` of [`JobFilter::matches`], by id descending. Rows of a kind this version
    /// does not know (written by a newer one) are not listed.
    async fn list_jobs(&self, filter: &JobFilter) -> Result<Vec<Job>, RepoError> {
        let mut conn = self.conn().await?;
        let mut select =
            jobs::table.select(JobRow::as_select()).order(jobs::id.desc()).limit(limit(filter.limit)).into_boxed();
        select = match filter.kind {
            Some(kind) => select.filter(jobs::kind.eq(kind.as_str())),
            None => select.filter(jobs::kind.eq_any(kind_names(&JobKind::ALL))),
        };
        if let Some(state) = filter.state {
            select = select.filter(jobs::state.eq(state.as_str()));
        }
        if let Some(before) = filter.before {
            select = select.filter(jobs::id.lt(before.as_uuid()));
        }
        let rows: Vec<JobRow> = select.load(&mut conn).await.map_err(repo_error)?;
        rows.into_iter().map(JobRow::into_domain).collect()
    }

    async fn depth(&self) -> Result<Vec<QueueDepth>, RepoError> {
        let mut conn = self.conn().await?;
        let groups: Vec<(String, String, i64, Option<DateTime<Utc>>)> = jobs::table
            .filter(jobs::kind.eq_any(kind_names(&JobKind::ALL)))
            .group_by((jobs::kind, jobs::state))
            .select((jobs::kind, jobs::state, diesel::dsl::count_star(), diesel::dsl::min(jobs::run_at)))
            .order((jobs::kind, jobs::state))
            .load(&mut conn)
            .await
            .map_err(repo_error)?;
        groups
            .into_iter()
            .map(|(kind, state, count, oldest_run_at)| {
                let known = JobKind::parse(&kind).zip(JobState::parse(&state));
                let (kind, state) = known
                    .ok_or_else(|| RepoError::Unknown(anyhow::anyhow!("stored kind {kind:?} or state {state:?}")))?;
                Ok(QueueDepth { kind, state, count: u64::try_from(count).unwrap_or_default(), oldest_run_at })
            })
            .collect()
    }
}

/// Whether the database has the main schema's tables (`migrations/`) or only the shared
/// database's (`migrations-shared/`: agents, instances, outbox, request keys, handled
/// messages, jobs). The shared database's store is a [`PgStore`] like the main one, so
/// retention asks the database which one it is: it has `sessions` only when it is a main one.
const HAS_MAIN_SCHEMA: &str = "SELECT to_regclass('sessions') IS NOT NULL AS flag";

/// The deletes of [`Retention::purge`] of the tables only the main database has. `$1` is
/// `expired_before`, `$2` `history_before`. Refresh tokens go first, so that the ones of the
/// sessions deleted next are counted (the foreign key would cascade them silently).
const PURGE_MAIN: [(Table, &str); 5] = [
    (
        Table::RefreshTokens,
        "DELETE FROM refresh_tokens WHERE expires_at < $1 OR session_id IN \
         (SELECT id FROM sessions WHERE expires_at < $1 OR revoked_at < $2)",
    ),
    (Table::Sessions, "DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $2"),
    (Table::OneTimeTokens, "DELETE FROM password_resets WHERE expires_at < $1 OR consumed_at < $1"),
    (Table::OneTimeTokens, "DELETE FROM email_verifications WHERE expires_at < $1 OR consumed_at < $1"),
    (Table::LoginAttempts, "DELETE FROM login_attempts WHERE created_at < $2"),
];

/// The deletes of the tables both databases have. `$3` is `expired_before - REQUEST_KEY_TTL`.
/// Pending and parked outbox rows (unpublished) and queued or running jobs are never touched.
const PURGE_SHARED: [(Table, &str); 4] = [
    (Table::Outbox, "DELETE FROM outbox WHERE published_at < $2"),
    (Table::ConsumedMessages, "DELETE FROM consumed_messages WHERE consumed_at < $2"),
    (Table::RequestKeys, "DELETE FROM request_keys WHERE created_at < $3"),
    (Table::Jobs, "DELETE FROM jobs WHERE state IN ('succeeded', 'dead', 'cancelled') AND finished_at < $2"),
];

/// Which count of [`Purged`] a delete adds to.
#[derive(Clone, Copy)]
enum Table {
    Sessions,
    RefreshTokens,
    OneTimeTokens,
    LoginAttempts,
    RequestKeys,
    Outbox,
    ConsumedMessages,
    Jobs,
}

impl Table {
    fn count(self, purged: &mut Purged) -> &mut u64 {
        match self {
            Self::Sessions => &mut purged.sessions,
            Self::RefreshTokens => &mut purged.refresh_tokens,
            Self::OneTimeTokens => &mut purged.one_time_tokens,
            Self::LoginAttempts => &mut purged.login_attempts,
            Self::RequestKeys => &mut purged.request_keys,
            Self::Outbox => &mut purged.outbox,
            Self::ConsumedMessages => &mut purged.consumed_messages,
            Self::Jobs => &mut purged.jobs,
        }
    }
}

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    flag: bool,
}

#[async_trait]
impl Retention for PgStore {
    /// Every delete in one transaction. On the shared database only its tables are purged
    /// (see [`HAS_MAIN_SCHEMA`]).
    async fn purge(&self, policy: &RetentionPolicy) -> Result<Purged, RepoError> {
        let mut tx = begin(self).await?;
        let conn = tx.conn()?;
        let main: Flag = diesel::sql_query(HAS_MAIN_SCHEMA).get_result(conn).await.map_err(repo_error)?;
        let keys_before = policy.expired_before - REQUEST_KEY_TTL;
        let statements = if main.flag { &PURGE_MAIN[..] } else { &[] };
        let mut purged = Purged::default();
        for (table, sql) in statements.iter().chain(&PURGE_SHARED) {
            let deleted = diesel::sql_query(*sql)
                .bind::<Timestamptz, _>(policy.expired_before)
                .bind::<Timestamptz, _>(policy.history_before)
                .bind::<Timestamptz, _>(keys_before)
                .execute(conn)
                .await
                .map_err(repo_error)?;
            *table.count(&mut purged) += u64::try_from(deleted).unwrap_or_default();
        }
        Box::new(tx).commit().await?;
        Ok(purged)
    }
}
