//! Login attempts, the audit log and the outbox's writes in memory.

use async_trait::async_trait;
use identity_core::domain::{REQUEST_KEY_TTL, RequestRecord};
use identity_core::ports::{AuditRepository, JournalWrites, LoginAttempt, OutboxEntry, RepoError, RequestLog};
use identity_core::{AuditEntry, AuditFilter, AuditRecord, Delivery, DomainEvent};

use super::{MemoryStore, MemoryTransaction, State};

/// Login attempts kept in memory (the oldest are dropped beyond this).
const MAX_LOGIN_ATTEMPTS: usize = 10_000;

#[async_trait]
impl JournalWrites for MemoryTransaction {
    async fn record_login_attempt(&mut self, attempt: &LoginAttempt) -> Result<(), RepoError> {
        let attempt = attempt.clone();
        self.write(|state| {
            let dropped =
                if state.login_attempts.len() >= MAX_LOGIN_ATTEMPTS { state.login_attempts.pop_front() } else { None };
            state.login_attempts.push_back(attempt);
            Box::new(move |state: &mut State| {
                state.login_attempts.pop_back();
                if let Some(dropped) = dropped {
                    state.login_attempts.push_front(dropped);
                }
            })
        })
    }

    async fn record_audit(&mut self, entry: &AuditEntry) -> Result<(), RepoError> {
        let entry = entry.clone();
        self.write(|state| {
            let id = state.audit.last().map_or(1, |last| last.id + 1);
            state.audit.push(AuditRecord {
                id,
                actor: entry.actor,
                subject: entry.subject,
                action: entry.action.to_owned(),
                ip: entry.ip,
                user_agent: entry.user_agent,
                metadata: entry.metadata,
                at: entry.at,
            });
            Box::new(|state: &mut State| {
                state.audit.pop();
            })
        })
    }

    async fn record_request(&mut self, record: &RequestRecord) -> Result<(), RepoError> {
        let record = record.clone();
        self.write(|state| {
            let forgotten: Vec<RequestRecord> = state
                .requests
                .extract_if(|_, kept| record.at - kept.at >= REQUEST_KEY_TTL)
                .map(|(_, kept)| kept)
                .collect();
            let key = record.key.clone();
            let replaced = state.requests.insert(key.clone(), record);
            Box::new(move |state: &mut State| {
                state.requests.remove(&key);
                if let Some(replaced) = replaced {
                    state.requests.insert(key, replaced);
                }
                state.requests.extend(forgotten.into_iter().map(|kept| (kept.key.clone(), kept)));
            })
        })
    }

    async fn record_events(&mut self, events: &[DomainEvent]) -> Result<(), RepoError> {
        self.recorded |= !events.is_empty();
        let events = events.to_vec();
        self.write(|state| {
            let (len, seq) = (state.outbox.len(), state.next_seq);
            for event in events {
                state.next_seq += 1;
                state.outbox.push(OutboxEntry { seq: state.next_seq, event, delivery: Delivery::default() });
            }
            Box::new(move |state: &mut State| {
                state.outbox.truncate(len);
                state.next_seq = seq;
            })
        })
    }
}

#[async_trait]
impl RequestLog for MemoryStore {
    async fn find_request(&self, key: &str) -> Result<Option<RequestRecord>, RepoError> {
        Ok(self.state.lock().await.requests.get(key).cloned())
    }
}

#[async_trait]
impl AuditRepository for MemoryStore {
    async fn list_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>, RepoError> {
        let state = self.state.lock().await;
        Ok(state
            .audit
            .iter()
            .rev()
            .filter(|e| filter.subject.is_none_or(|s| e.subject == Some(s)))
            .filter(|e| filter.actor.is_none_or(|a| e.actor == Some(a)))
            .filter(|e| filter.action.as_ref().is_none_or(|a| &e.action == a))
            .filter(|e| filter.since.is_none_or(|t| e.at >= t))
            .filter(|e| filter.until.is_none_or(|t| e.at <= t))
            .filter(|e| filter.before_id.is_none_or(|id| e.id < id))
            .take(filter.limit)
            .cloned()
            .collect())
    }
}
