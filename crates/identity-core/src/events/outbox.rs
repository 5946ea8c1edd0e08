//! The transactional outbox and the broker it is relayed to.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::{Delivery, DomainEvent, PublishFailure};
use crate::ports::RepoError;

/// A stored event waiting in (or already out of) the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    /// Position in the outbox: strictly increasing in commit order within one store.
    pub seq: i64,
    pub event: DomainEvent,
    /// Published, parked or waiting, with the failed attempts so far (the rules of core's
    /// [`Delivery`]).
    pub delivery: Delivery,
}

/// An outbox row the relay could not decode (an event type this version does not know, a
/// malformed row). It is set aside instead of blocking the rows after it, and stays until an
/// operator fixes the cause and re-queues it (`docs/operations.md`).
#[derive(Debug, Clone, PartialEq)]
pub struct ParkedEntry {
    pub id: Uuid,
    pub seq: i64,
    /// The stored type, as written (it may name no [`crate::EventType`]).
    pub event_type: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub parked_at: DateTime<Utc>,
}

/// What one relay pass did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RelayReport {
    /// Rows the publisher confirmed, now marked published.
    pub published: usize,
    /// Rows whose publish failed: still pending, with `attempts` and `last_error` recorded.
    pub failed: usize,
    /// The publisher's error when `failed > 0`.
    pub error: Option<String>,
    /// Whether the publisher could not reach the broker ([`PublishError::Unavailable`]): the
    /// relay then backs off. Refused rows wait their own retry time and hold nothing back,
    /// so a pass that only had refusals is followed by the next at once.
    pub unavailable: bool,
    /// Rows parked by this pass (each row is reported once: parked rows are not claimed again).
    pub parked: Vec<ParkedEntry>,
}

impl RelayReport {
    /// How many rows the pass claimed.
    pub fn claimed(&self) -> usize {
        self.published + self.failed + self.parked.len()
    }
}

/// The transactional outbox, read by the relay. What happens to a row is decided in core
/// ([`Delivery`]); both adapters apply it (checked by the store contract suite):
///
/// - [`Outbox::relay`] claims up to `limit` rows that are due ([`Delivery::is_due`]) in `seq`
///   order; rows another relay holds are skipped (PostgreSQL: `FOR UPDATE SKIP LOCKED`), so
///   replicas never publish a row twice at the same time.
/// - A claimed row that cannot be decoded is *parked* ([`Delivery::park`]). It is reported
///   once, never claimed again until re-queued, and does not hold back the rows after it.
/// - The other claimed rows go to the publisher in one call, in `seq` order. Confirmed rows are
///   published ([`Delivery::publish`]); each unconfirmed row records the failure
///   ([`Delivery::fail`], with [`PublishError::failure`]): a row the broker refused
///   ([`PublishError::Rejected`]) waits its `retry_delay`, so it cannot block the head of the
///   queue; on [`PublishError::Unavailable`] every row of the call stays due: nothing is parked
///   or lost, the relay's own backoff paces the retry, and order is kept.
#[async_trait]
pub trait Outbox: Send + Sync + 'static {
    /// Up to `limit` waiting entries ([`Delivery::is_waiting`]: due or not), oldest first.
    /// Rows that cannot be decoded are left out (the relay parks them).
    async fn pending(&self, limit: usize) -> Result<Vec<OutboxEntry>, RepoError>;
    /// One relay pass at time `now` (see the trait's rules). `Err` only when the store itself
    /// failed; publisher failures are recorded on the rows and reported.
    async fn relay(
        &self,
        limit: usize,
        publisher: &dyn EventPublisher,
        now: DateTime<Utc>,
    ) -> Result<RelayReport, RepoError>;
    /// Up to `limit` parked rows, oldest first.
    async fn parked(&self, limit: usize) -> Result<Vec<ParkedEntry>, RepoError>;
    /// How many rows are parked.
    async fn parked_count(&self) -> Result<u64, RepoError>;
    /// The rows waiting to be published ([`Delivery::is_waiting`]: due or not)
    /// and when the oldest of them happened: what `/metrics` reports as the relay's lag.
    async fn backlog(&self) -> Result<Backlog, RepoError>;
    /// Resolves once a transaction of this process that recorded events has committed since
    /// the last time it resolved: the relay then runs a pass at once instead of at its next
    /// tick, so a change reaches the broker (and the sockets) in milliseconds. Commits of
    /// other processes are not seen: their own relay takes them, or this one at its tick.
    /// The default never resolves (the relay polls).
    async fn committed(&self) {
        std::future::pending::<()>().await
    }
}

/// The outbox rows still to be published.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backlog {
    pub waiting: u64,
    /// `occurred_at` of the oldest waiting row.
    pub oldest: Option<DateTime<Utc>>,
}

/// Why a publish failed.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// Nothing is known about the events (broker unreachable, connection or channel lost,
    /// confirms missing): retry them all later.
    #[error("broker unavailable: {0:#}")]
    Unavailable(#[source] anyhow::Error),
    /// The broker refused these events (nack) and confirmed every other one of the call.
    #[error("broker refused {} event(s): {reason}", .ids.len())]
    Rejected { ids: Vec<Uuid>, reason: String },
}

impl PublishError {
    /// How the publish of the event `id` of the failed call failed; `None` when the broker
    /// confirmed it.
    pub fn failure(&self, id: Uuid) -> Option<PublishFailure> {
        match self {
            Self::Unavailable(_) => Some(PublishFailure::Unavailable),
            Self::Rejected { ids, .. } => ids.contains(&id).then_some(PublishFailure::Refused),
        }
    }

    /// Whether the event `id` of the failed call went unconfirmed.
    pub fn failed(&self, id: Uuid) -> bool {
        self.failure(id).is_some()
    }
}

/// The W3C trace context (`traceparent`, `tracestate`) an event was recorded in, kept with it
/// in the outbox so that its message continues the trace of the request that caused it.
/// Opaque here: the adapters write and read it (docs/operations.md, traces).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    pub traceparent: String,
    pub tracestate: Option<String>,
}

/// Delivers events to the message broker (or the in-process bus).
#[async_trait]
pub trait EventPublisher: Send + Sync {
    /// Publishes every event, in order, and returns once the broker confirmed all of them.
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), PublishError>;

    /// [`publish`](Self::publish), with the trace context each event was recorded in (`traces`
    /// is parallel to `events`; `None` where there was none). A publisher whose messages carry
    /// trace context continues it; the default drops it.
    async fn publish_traced(
        &self,
        events: &[DomainEvent],
        traces: &[Option<TraceContext>],
    ) -> Result<(), PublishError> {
        let _ = traces;
        self.publish(events).await
    }
}
