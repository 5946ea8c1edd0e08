//! The transactional outbox: [`JournalWrites::record_events`] and the relay of [`Outbox`].

use std::sync::Mutex;

use async_trait::async_trait;

use super::{StoreUnderTest, insert};
use crate::domain::*;
use crate::ports::*;
use crate::testkit::fixtures::{self, unique_email};

pub async fn committed_events_are_pending_in_order(store: &StoreUnderTest) {
    let user = fixtures::user(unique_email());
    let events = vec![
        fixtures::event(EventType::UserRegistered, user.id.as_uuid()),
        fixtures::event(EventType::SessionCreated, uuid::Uuid::now_v7()),
    ];
    insert(store, &user, &events).await.unwrap();
    let more = fixtures::event(EventType::SessionCreated, uuid::Uuid::now_v7());
    let mut tx = store.uow.begin().await.unwrap();
    tx.journal().record_events(std::slice::from_ref(&more)).await.unwrap();
    tx.commit().await.unwrap();

    let pending = store.outbox.pending(1000).await.unwrap();
    let ours: Vec<_> = pending.iter().filter(|e| events.iter().chain([&more]).any(|x| x.id == e.event.id)).collect();
    assert_eq!(ours.len(), 3);
    assert_eq!(ours[0].event, events[0]);
    assert_eq!(ours[1].event, events[1]);
    assert_eq!(ours[2].event, more);
    assert!(ours[0].seq < ours[1].seq && ours[1].seq < ours[2].seq);
    assert!(ours.iter().all(|e| e.delivery.published_at.is_none()));
}

pub async fn backlog_counts_waiting_rows_and_the_oldest(store: &StoreUnderTest) {
    assert_eq!(store.outbox.backlog().await.unwrap(), Backlog::default());
    let user = fixtures::user(unique_email());
    let mut first = fixtures::event(EventType::UserRegistered, user.id.as_uuid());
    first.occurred_at -= chrono::Duration::seconds(30);
    let second = fixtures::event(EventType::SessionCreated, uuid::Uuid::now_v7());
    insert(store, &user, &[first.clone(), second]).await.unwrap();
    let backlog = store.outbox.backlog().await.unwrap();
    assert_eq!(backlog.waiting, 2);
    let oldest = backlog.oldest.unwrap();
    assert!((oldest - first.occurred_at).num_milliseconds().abs() < 1, "{oldest} vs {}", first.occurred_at);
    let publisher = RecordingPublisher::new(Answer::Confirm);
    store.outbox.relay(100, &publisher, chrono::Utc::now()).await.unwrap();
    assert_eq!(store.outbox.backlog().await.unwrap(), Backlog::default());
}

/// Whether [`Outbox::committed`] resolves now (polled once: it holds a wake-up or it does not).
fn rung(store: &StoreUnderTest) -> bool {
    let mut committed = store.outbox.committed();
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    committed.as_mut().poll(&mut cx).is_ready()
}

pub async fn a_commit_that_recorded_events_wakes_the_relay_once(store: &StoreUnderTest) {
    let _ = rung(store);
    // A commit without events, and a transaction with events that is rolled back: no.
    insert(store, &fixtures::user(unique_email()), &[]).await.unwrap();
    assert!(!rung(store), "a commit without events woke the relay");
    let mut tx = store.uow.begin().await.unwrap();
    tx.journal().record_events(&[fixtures::event(EventType::SessionCreated, uuid::Uuid::now_v7())]).await.unwrap();
    drop(tx);
    assert!(!rung(store), "a rolled-back transaction woke the relay");
    // Committed with events: once, however many commits came before the relay looked.
    let user = fixtures::user(unique_email());
    insert(store, &user, &[fixtures::event(EventType::UserRegistered, user.id.as_uuid())]).await.unwrap();
    let mut tx = store.uow.begin().await.unwrap();
    tx.journal().record_events(&[fixtures::event(EventType::SessionCreated, uuid::Uuid::now_v7())]).await.unwrap();
    tx.commit().await.unwrap();
    assert!(rung(store), "a commit with events did not wake the relay");
    assert!(!rung(store), "one wake-up for what was committed before the relay looked");
}

/// How a [`RecordingPublisher`] answers.
enum Answer {
    Confirm,
    /// The broker is down: nothing is confirmed.
    Unavailable,
    /// The broker refuses these events and confirms the others.
    Refuse(Vec<uuid::Uuid>),
}

/// Records what it confirmed; fails as told.
struct RecordingPublisher {
    answer: Answer,
    offered: Mutex<Vec<DomainEvent>>,
    seen: Mutex<Vec<DomainEvent>>,
}

impl RecordingPublisher {
    fn new(answer: Answer) -> Self {
        Self { answer, offered: Mutex::new(Vec::new()), seen: Mutex::new(Vec::new()) }
    }

    fn seen_ids(&self) -> Vec<uuid::Uuid> {
        self.seen.lock().unwrap().iter().map(|e| e.id).collect()
    }

    fn offered_ids(&self) -> Vec<uuid::Uuid> {
        self.offered.lock().unwrap().iter().map(|e| e.id).collect()
    }
}

#[async_trait]
impl EventPublisher for RecordingPublisher {
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), PublishError> {
        self.offered.lock().unwrap().extend_from_slice(events);
        match &self.answer {
            Answer::Confirm => {
                self.seen.lock().unwrap().extend_from_slice(events);
                Ok(())
            }
            Answer::Unavailable => Err(PublishError::Unavailable(anyhow::anyhow!("connection refused"))),
            Answer::Refuse(refused) => {
                let ours: Vec<uuid::Uuid> = events.iter().map(|e| e.id).filter(|id| refused.contains(id)).collect();
                self.seen.lock().unwrap().extend(events.iter().filter(|e| !ours.contains(&e.id)).cloned());
                if ours.is_empty() {
                    Ok(())
                } else {
                    Err(PublishError::Rejected { ids: ours, reason: "queue full (nack)".into() })
                }
            }
        }
    }
}

async fn record(store: &StoreUnderTest, events: &[DomainEvent]) {
    let mut tx = store.uow.begin().await.unwrap();
    tx.journal().record_events(events).await.unwrap();
    tx.commit().await.unwrap();
}

fn pending_entry(pending: &[OutboxEntry], event: &DomainEvent) -> OutboxEntry {
    pending.iter().find(|e| e.event.id == event.id).cloned().unwrap_or_else(|| panic!("{event:?} is not pending"))
}

pub async fn relay_marks_published_only_after_the_publisher_confirmed(store: &StoreUnderTest) {
    let user = fixtures::user(unique_email());
    let event = fixtures::event(EventType::UserRegistered, user.id.as_uuid());
    insert(store, &user, std::slice::from_ref(&event)).await.unwrap();

    let failing = RecordingPublisher::new(Answer::Unavailable);
    let report = store.outbox.relay(1000, &failing, fixtures::now()).await.unwrap();
    assert_eq!((report.published, report.failed), (0, 1), "{report:?}");
    assert!(store.outbox.pending(1000).await.unwrap().iter().any(|e| e.event.id == event.id));

    let working = RecordingPublisher::new(Answer::Confirm);
    let report = store.outbox.relay(1000, &working, fixtures::now()).await.unwrap();
    assert_eq!((report.published, report.failed, report.parked.len()), (1, 0, 0), "{report:?}");
    assert_eq!(working.seen_ids(), vec![event.id]);
    assert!(store.outbox.pending(1000).await.unwrap().iter().all(|e| e.event.id != event.id));
    // Published once, never again.
    let again = RecordingPublisher::new(Answer::Confirm);
    assert_eq!(store.outbox.relay(1000, &again, fixtures::now()).await.unwrap(), RelayReport::default());
    assert!(again.offered_ids().is_empty());
}

/// Every event type a use case can record is relayed: none is refused by the store's own
/// reading of the outbox (the defect of issue 8, where all but two types stalled it).
pub async fn every_event_type_is_recorded_and_relayed_in_order(store: &StoreUnderTest) {
    let events: Vec<DomainEvent> =
        EventType::ALL.into_iter().map(|t| fixtures::event(t, uuid::Uuid::now_v7())).collect();
    record(store, &events).await;
    let pending = store.outbox.pending(1000).await.unwrap();
    assert_eq!(pending.iter().map(|e| e.event.clone()).collect::<Vec<_>>(), events);

    let publisher = RecordingPublisher::new(Answer::Confirm);
    let report = store.outbox.relay(1000, &publisher, fixtures::now()).await.unwrap();
    assert_eq!(
        report,
        RelayReport { published: EventType::ALL.len(), failed: 0, error: None, unavailable: false, parked: Vec::new() },
    );
    assert_eq!(*publisher.seen.lock().unwrap(), events, "every type, in order, as recorded");
    assert!(store.outbox.pending(1000).await.unwrap().is_empty());
    assert!(store.outbox.parked(1000).await.unwrap().is_empty());
    assert_eq!(store.outbox.parked_count().await.unwrap(), 0);
}

/// A broker that is down loses and parks nothing: every row of the batch records the
/// attempt and the error, stays due, and a later pass publishes them in order.
pub async fn publish_failure_keeps_events_pending_with_attempts_recorded(store: &StoreUnderTest) {
    let events = vec![
        fixtures::event(EventType::UserVerified, uuid::Uuid::now_v7()),
        fixtures::event(EventType::SessionRevoked, uuid::Uuid::now_v7()),
    ];
    record(store, &events).await;
    let down = RecordingPublisher::new(Answer::Unavailable);
    // What core's rule records for each row (`Delivery::fail`); the store must hold the same.
    let mut expected = Delivery::default();
    for attempt in 1..=2 {
        let now = fixtures::now();
        let report = store.outbox.relay(1000, &down, now).await.unwrap();
        assert_eq!((report.published, report.failed, report.parked.len()), (0, 2, 0), "{report:?}");
        assert!(report.error.as_deref().unwrap().contains("connection refused"), "{report:?}");
        assert!(report.unavailable, "the relay is told to back off: {report:?}");
        expected.fail(PublishFailure::Unavailable, report.error.as_deref().unwrap(), now);
        let pending = store.outbox.pending(1000).await.unwrap();
        for event in &events {
            let entry = pending_entry(&pending, event);
            assert_eq!(entry.delivery, expected, "{entry:?}");
            assert_eq!(entry.delivery.attempts, attempt);
            assert!(entry.delivery.last_error.as_deref().unwrap().contains("connection refused"), "{entry:?}");
            assert_eq!(entry.delivery.next_attempt_at, None, "an outage keeps rows due and in order");
            assert_eq!(entry.delivery.published_at, None);
        }
    }
    assert_eq!(down.offered_ids(), [events[0].id, events[1].id, events[0].id, events[1].id]);
    assert_eq!(store.outbox.parked_count().await.unwrap(), 0);

    let up = RecordingPublisher::new(Answer::Confirm);
    let report = store.outbox.relay(1000, &up, fixtures::now()).await.unwrap();
    assert_eq!((report.published, report.failed), (2, 0), "{report:?}");
    assert_eq!(*up.seen.lock().unwrap(), events);
    assert!(store.outbox.pending(1000).await.unwrap().is_empty());
}

/// An event the broker refuses gets a retry time of its own: the others of its batch are
/// published, later events are not held back, and it goes out once its time has come.
pub async fn refused_event_waits_for_its_retry_time_without_blocking_others(store: &StoreUnderTest) {
    let events: Vec<DomainEvent> = [EventType::UserRegistered, EventType::UserUpdated, EventType::UserDeleted]
        .into_iter()
        .map(|t| fixtures::event(t, uuid::Uuid::now_v7()))
        .collect();
    record(store, &events).await;
    let now = fixtures::now();
    let picky = RecordingPublisher::new(Answer::Refuse(vec![events[0].id]));
    let report = store.outbox.relay(1000, &picky, now).await.unwrap();
    assert_eq!((report.published, report.failed, report.parked.len()), (2, 1, 0), "{report:?}");
    assert!(!report.unavailable, "a refusal is no reason to back off: {report:?}");
    assert_eq!(picky.seen_ids(), vec![events[1].id, events[2].id]);
    let pending = store.outbox.pending(1000).await.unwrap();
    assert_eq!(pending.len(), 1, "{pending:?}");
    let refused = pending_entry(&pending, &events[0]);
    assert_eq!(refused.delivery.attempts, 1);
    assert!(refused.delivery.last_error.as_deref().unwrap().contains("queue full"), "{refused:?}");
    assert_eq!(refused.delivery.next_attempt_at, Some(now + retry_delay(1)));
    let mut expected = Delivery::default();
    expected.fail(PublishFailure::Refused, report.error.as_deref().unwrap(), now);
    assert_eq!(refused.delivery, expected, "core's `Delivery::fail`");

    // Before its time it is not offered, and a newer event goes out past it.
    let newer = fixtures::event(EventType::PasswordChanged, uuid::Uuid::now_v7());
    record(store, std::slice::from_ref(&newer)).await;
    let working = RecordingPublisher::new(Answer::Confirm);
    let report = store.outbox.relay(1000, &working, now).await.unwrap();
    assert_eq!((report.published, report.failed), (1, 0), "{report:?}");
    assert_eq!(working.offered_ids(), vec![newer.id]);

    // Refused again: the wait grows.
    let later = now + retry_delay(1);
    let report = store.outbox.relay(1000, &picky, later).await.unwrap();
    assert_eq!((report.published, report.failed), (0, 1), "{report:?}");
    let again = pending_entry(&store.outbox.pending(1000).await.unwrap(), &events[0]);
    assert_eq!(again.delivery.attempts, 2);
    assert_eq!(again.delivery.next_attempt_at, Some(later + retry_delay(2)));
    assert!(retry_delay(2) > retry_delay(1));

    let last = later + retry_delay(2);
    let report = store.outbox.relay(1000, &working, last).await.unwrap();
    assert_eq!((report.published, report.failed), (1, 0), "{report:?}");
    assert_eq!(working.seen_ids(), vec![newer.id, events[0].id]);
    assert!(store.outbox.pending(1000).await.unwrap().is_empty());
    assert_eq!(store.outbox.parked_count().await.unwrap(), 0);
}
