//! The outbox relay in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use identity_core::DomainEvent;
use identity_core::ports::{
    Backlog, EventPublisher, Outbox, OutboxEntry, ParkedEntry, PublishError, RelayReport, RepoError,
};

use super::MemoryStore;

#[async_trait]
impl Outbox for MemoryStore {
    async fn pending(&self, limit: usize) -> Result<Vec<OutboxEntry>, RepoError> {
        let state = self.state.lock().await;
        Ok(state.outbox.iter().filter(|e| e.delivery.is_waiting()).take(limit).cloned().collect())
    }

    async fn relay(
        &self,
        limit: usize,
        publisher: &dyn EventPublisher,
        now: DateTime<Utc>,
    ) -> Result<RelayReport, RepoError> {
        // The lock is held while publishing: one relay at a time, like SKIP LOCKED would do.
        // Entries are decoded values here, so nothing is ever parked.
        let mut state = self.state.lock().await;
        let batch: Vec<DomainEvent> =
            state.outbox.iter().filter(|e| e.delivery.is_due(now)).take(limit).map(|e| e.event.clone()).collect();
        let mut report = RelayReport::default();
        if batch.is_empty() {
            return Ok(report);
        }
        let error = publisher.publish(&batch).await.err();
        let message = error.as_ref().map(ToString::to_string);
        for entry in state.outbox.iter_mut().filter(|e| batch.iter().any(|b| b.id == e.event.id)) {
            match error.as_ref().and_then(|e| e.failure(entry.event.id)).zip(message.as_deref()) {
                Some((failure, message)) => {
                    entry.delivery.fail(failure, message, now);
                    report.failed += 1;
                }
                None => {
                    entry.delivery.publish(now);
                    report.published += 1;
                }
            }
        }
        report.error = message;
        report.unavailable = matches!(error, Some(PublishError::Unavailable(_)));
        // Published entries stay until retention deletes them (`Retention::purge`), as on
        // PostgreSQL.
        Ok(report)
    }

    async fn parked(&self, _limit: usize) -> Result<Vec<ParkedEntry>, RepoError> {
        Ok(Vec::new())
    }

    async fn parked_count(&self) -> Result<u64, RepoError> {
        Ok(0)
    }

    async fn committed(&self) {
        self.committed.notified().await;
    }

    async fn backlog(&self) -> Result<Backlog, RepoError> {
        let state = self.state.lock().await;
        let waiting = state.outbox.iter().filter(|e| e.delivery.is_waiting());
        Ok(Backlog { waiting: waiting.clone().count() as u64, oldest: waiting.map(|e| e.event.occurred_at).min() })
    }
}
