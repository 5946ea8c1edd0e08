//! Login attempts, the audit log and the outbox's writes on PostgreSQL.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use identity_core::DomainEvent;
use identity_core::ports::{AuditRepository, JournalWrites, LoginAttempt, RepoError};

use super::{PgStore, PgTransaction, limit};
use crate::errors::repo_error;
use crate::models::{NewLoginAttemptRow, NewOutboxRow};
use crate::schema::{login_attempts, outbox};

#[async_trait]
impl JournalWrites for PgTransaction {
    async fn record_login_attempt(&mut self, attempt: &LoginAttempt) -> Result<(), RepoError> {
        let conn = self.conn()?;
        diesel::insert_into(login_attempts::table)
            .values(NewLoginAttemptRow::from_domain(attempt))
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

    async fn record_events(&mut self, events: &[DomainEvent]) -> Result<(), RepoError> {
        if events.is_empty() {
            return Ok(());
        }
        let conn = self.conn()?;
        let rows: Vec<NewOutboxRow> = events.iter().map(NewOutboxRow::from_domain).collect();
        diesel::insert_into(outbox::table).values(rows).execute(conn).await.map_err(repo_error)?;
        Ok(())
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
