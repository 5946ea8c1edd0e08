//! The outbox relay in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use identity_core::DomainEvent;
use identity_core::ports::{
    Backlog, EventPublisher, Outbox, OutboxEntry, ParkedEntry, RelayReport, RepoError, retry_delay,
};

use super::MemoryStore;

#[async_trait]
impl Outbox for MemoryStore {
    async fn pending(&self, limit: usize) -> Result<Vec<OutboxEntry>, RepoError> {
        let state = self.state.lock().await;
        Ok(state.outbox.iter().filter(|e| e.published_at.is_none()).take(limit).cloned().collect())
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
        let batch: Vec<DomainEvent> = state
            .outbox
            .iter()
            .filter(|e| e.published_at.is_none() && e.next_attempt_at.is_none_or(|at| at <= now))
            .take(limit)
            .map(|e| e.event.clone())
            .collect();
        let mut report = RelayReport::default();
        if batch.is_empty() {
            return Ok(report);
        }
        let outcome = publisher.publish(&batch).await;
        for entry in state.outbox.iter_mut().filter(|e| batch.iter().any(|b| b.id == e.event.id)) {
            match &outcome {
                Err(error) if error.failed(entry.event.id) => {
                    entry.attempts += 1;
                    entry.last_error = Some(error.to_string());
                    if error.retry_later() {
                        entry.next_attempt_at = Some(now + retry_delay(entry.attempts));
                    }
                    report.failed += 1;
                }
                _ => {
                    entry.published_at = Some(now);
                    report.published += 1;
                }
            }
        }
        report.error = outcome.err().map(|e| e.to_string());
        // Published entries are not needed any more; keep memory bounded.
        state.outbox.retain(|e| e.published_at.is_none());
        Ok(report)
    }

    async fn parked(&self, _limit: usize) -> Result<Vec<ParkedEntry>, RepoError> {
        Ok(Vec::new())
    }

    async fn parked_count(&self) -> Result<u64, RepoError> {
        Ok(0)
    }

    async fn backlog(&self) -> Result<Backlog, RepoError> {
        let state = self.state.lock().await;
        let waiting = state.outbox.iter().filter(|e| e.published_at.is_none());
        Ok(Backlog { waiting: waiting.clone().count() as u64, oldest: waiting.map(|e| e.event.occurred_at).min() })
    }
}
