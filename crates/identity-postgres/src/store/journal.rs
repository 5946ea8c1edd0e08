//! Login attempts, the audit log and the outbox's writes on PostgreSQL.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use identity_core::DomainEvent;
use identity_core::domain::{REQUEST_KEY_TTL, RequestRecord};
use identity_core::ports::{AuditRepository, JournalWrites, LoginAttempt, RepoError, RequestLog};

use super::{PgStore, PgTransaction, Prepare, limit};
use crate::errors::repo_error;
use crate::models::{NewLoginAttemptRow, NewOutboxRow};
use crate::schema::{login_attempts, outbox, request_keys};

#[async_trait]
impl JournalWrites for PgTransaction {
    async fn record_login_attempt(&mut self, attempt: &LoginAttempt) -> Result<(), RepoError> {
        let conn = self.conn()?;
        diesel::insert_into(login_attempts::table)
            .values(NewLoginAttemptRow::from_domain(attempt))
            .prepared()
            .execute(conn)
            .await
            .map_err(repo_error)?;
        Ok(())
    }

    async fn record_audit(&mut self, entry: &identity_core::AuditEntry) -> Result<(), RepoError> {
        use crate::schema::audit_logs;
        let conn = self.conn()?;
        diesel::insert_into(audit_logs::table)
            .values((
                audit_logs::user_id.eq(entry.subject.map(|u| u.as_uuid())),
                audit_logs::actor_id.eq(entry.actor.map(|u| u.as_uuid())),
                audit_logs::action.eq(entry.action),
                audit_logs::ip_addr.eq(entry.ip.map(ipnet::IpNet::from)),
                audit_logs::user_agent.eq(entry.user_agent.as_deref()),
                audit_logs::metadata.eq(&entry.metadata),
                audit_logs::created_at.eq(entry.at),
            ))
            .execute(conn)
            .await
            .map_err(repo_error)?;
        Ok(())
    }

    async fn record_request(&mut self, record: &RequestRecord) -> Result<(), RepoError> {
        let conn = self.conn()?;
        diesel::delete(request_keys::table.filter(request_keys::created_at.le(record.at - REQUEST_KEY_TTL)))
            .execute(conn)
            .await
            .map_err(repo_error)?;
        let values = (
            request_keys::key.eq(&record.key),
            request_keys::fingerprint.eq(&record.fingerprint),
            request_keys::resource_id.eq(record.resource),
            request_keys::created_at.eq(record.at),
        );
        diesel::insert_into(request_keys::table)
            .values(values)
            .on_conflict(request_keys::key)
            .do_update()
            .set(values)
            .execute(conn)
            .await
            .map_err(repo_error)?;
        Ok(())
    }

    async fn record_events(&mut self, events: &[DomainEvent]) -> Result<(), RepoError> {
        if events.is_empty() {
            return Ok(());
        }
        self.recorded = true;
        let conn = self.conn()?;
        let rows: Vec<NewOutboxRow> = events.iter().map(NewOutboxRow::from_domain).collect();
        let insert = diesel::insert_into(outbox::table).values(rows);
        // One event, the usual case, is a statement kept prepared; a batch's text grows with it.
        if events.len() == 1 { insert.prepared().execute(conn).await } else { insert.execute(conn).await }
            .map_err(repo_error)?;
        Ok(())
    }
}

#[async_trait]
impl RequestLog for PgStore {
    async fn find_request(&self, key: &str) -> Result<Option<RequestRecord>, RepoError> {
        let mut conn = self.conn().await?;
        let row: Option<(String, String, uuid::Uuid, chrono::DateTime<chrono::Utc>)> = request_keys::table
            .find(key)
            .select((request_keys::key, request_keys::fingerprint, request_keys::resource_id, request_keys::created_at))
            .first(&mut conn)
            .await
            .optional()
            .map_err(repo_error)?;
        Ok(row.map(|(key, fingerprint, resource, at)| RequestRecord { key, fingerprint, resource, at }))
    }
}

#[async_trait]
impl AuditRepository for PgStore {
    async fn list_audit(
        &self,
        filter: &identity_core::AuditFilter,
    ) -> Result<Vec<identity_core::AuditRecord>, RepoError> {
        use crate::models::AuditRow;
        use crate::schema::audit_logs;
        let mut conn = self.conn().await?;
        let mut query = audit_logs::table.into_boxed();
        if let Some(subject) = filter.subject {
            query = query.filter(audit_logs::user_id.eq(subject.as_uuid()));
        }
        if let Some(actor) = filter.actor {
            query = query.filter(audit_logs::actor_id.eq(actor.as_uuid()));
        }
        if let Some(action) = &filter.action {
            query = query.filter(audit_logs::action.eq(action.clone()));
        }
        if let Some(since) = filter.since {
            query = query.filter(audit_logs::created_at.ge(since));
        }
        if let Some(until) = filter.until {
            query = query.filter(audit_logs::created_at.le(until));
        }
        if let Some(before) = filter.before_id {
            query = query.filter(audit_logs::id.lt(before));
        }
        let rows: Vec<AuditRow> = query
            .order(audit_logs::id.desc())
            .limit(limit(filter.limit))
            .select(AuditRow::as_select())
            .load(&mut conn)
            .await
            .map_err(repo_error)?;
        Ok(rows.into_iter().map(AuditRow::into_domain).collect())
    }
}
