//! The outbox relay on PostgreSQL (`FOR UPDATE SKIP LOCKED`, parking of undecodable rows).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use identity_core::ports::{
    Backlog, EventPublisher, Outbox, OutboxEntry, ParkedEntry, PublishError, RelayReport, RepoError, Transaction,
};
use identity_core::{Delivery, DomainEvent};
use uuid::Uuid;

use super::{Conn, PgStore};
use crate::errors::repo_error;
use crate::models::{DeliveryRow, OutboxRow, ParkedRow};
use crate::schema::outbox;

/// Writes back the relay's columns of the row `id` as core's [`Delivery`] left them.
async fn store_delivery(conn: &mut Conn, id: Uuid, delivery: &Delivery) -> Result<(), RepoError> {
    diesel::update(outbox::table.find(id)).set(DeliveryRow::from(delivery)).execute(conn).await.map_err(repo_error)?;
    Ok(())
}

#[async_trait]
impl Outbox for PgStore {
    async fn pending(&self, limit: usize) -> Result<Vec<OutboxEntry>, RepoError> {
        let mut conn = self.conn().await?;
        // `Delivery::is_waiting`, in SQL.
        let rows: Vec<OutboxRow> = outbox::table
            .filter(outbox::published_at.is_null())
            .filter(outbox::parked_at.is_null())
            .order(outbox::seq)
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .select(OutboxRow::as_select())
            .load(&mut conn)
            .await
            .map_err(repo_error)?;
        // A row that cannot be decoded is not pending: the next relay pass parks it.
        Ok(rows.into_iter().filter_map(|r| r.into_domain().ok()).collect())
    }

    async fn relay(
        &self,
        limit: usize,
        publisher: &dyn EventPublisher,
        now: DateTime<Utc>,
    ) -> Result<RelayReport, RepoError> {
        let mut tx = self.transaction().await?;
        let conn = tx.conn()?;
        // `Delivery::is_due`, in SQL (`next_attempt_at` is core's, stored by `store_delivery`).
        // SKIP LOCKED: concurrent relays (one per replica) each take different rows.
        let rows: Vec<OutboxRow> = outbox::table
            .filter(outbox::published_at.is_null())
            .filter(outbox::parked_at.is_null())
            .filter(outbox::next_attempt_at.is_null().or(outbox::next_attempt_at.le(now)))
            .order(outbox::seq)
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .select(OutboxRow::as_select())
            .for_update()
            .skip_locked()
            .load(conn)
            .await
            .map_err(repo_error)?;
        let mut report = RelayReport::default();
        if rows.is_empty() {
            return Ok(report);
        }
        let mut entries = Vec::with_capacity(rows.len());
        let mut traces = Vec::with_capacity(rows.len());
        for row in rows {
            let (id, seq, event_type) = (row.id, row.seq, row.event_type.clone());
            let trace = row.trace();
            let mut delivery = Delivery::from(row.delivery.clone());
            match row.into_domain() {
                Ok(entry) => {
                    entries.push(entry);
                    traces.push(trace);
                }
                Err(reason) => {
                    delivery.park(reason, now);
                    store_delivery(conn, id, &delivery).await?;
                    report.parked.push(ParkedEntry {
                        id,
                        seq,
                        event_type,
                        attempts: delivery.attempts,
                        last_error: delivery.last_error,
                        parked_at: now,
                    });
                }
            }
        }
        if !entries.is_empty() {
            let events: Vec<DomainEvent> = entries.iter().map(|e| e.event.clone()).collect();
            let error = publisher.publish_traced(&events, &traces).await.err();
            let message = error.as_ref().map(ToString::to_string);
            let conn = tx.conn()?;
            let mut confirmed = Vec::new();
            for mut entry in entries {
                match error.as_ref().and_then(|e| e.failure(entry.event.id)).zip(message.as_deref()) {
                    Some((failure, message)) => {
                        entry.delivery.fail(failure, message, now);
                        store_delivery(conn, entry.event.id, &entry.delivery).await?;
                        report.failed += 1;
                    }
                    None => confirmed.push(entry.event.id),
                }
            }
            if !confirmed.is_empty() {
                // `Delivery::publish` of every confirmed row, in one statement: it sets the
                // same columns to the same values on each.
                let mut published = Delivery::default();
                published.publish(now);
                diesel::update(outbox::table.filter(outbox::id.eq_any(&confirmed)))
                    .set((
                        outbox::published_at.eq(published.published_at),
                        outbox::next_attempt_at.eq(published.next_attempt_at),
                    ))
                    .execute(conn)
                    .await
                    .map_err(repo_error)?;
            }
            report.published = confirmed.len();
            report.error = message;
            report.unavailable = matches!(error, Some(PublishError::Unavailable(_)));
        }
        Box::new(tx).commit().await?;
        Ok(report)
    }

    async fn parked(&self, limit: usize) -> Result<Vec<ParkedEntry>, RepoError> {
        let mut conn = self.conn().await?;
        let rows: Vec<ParkedRow> = outbox::table
            .filter(outbox::published_at.is_null())
            .filter(outbox::parked_at.is_not_null())
            .order(outbox::seq)
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .select(ParkedRow::as_select())
            .load(&mut conn)
            .await
            .map_err(repo_error)?;
        Ok(rows.into_iter().filter_map(ParkedRow::into_domain).collect())
    }

    async fn parked_count(&self) -> Result<u64, RepoError> {
        let mut conn = self.conn().await?;
        let n: i64 = outbox::table
            .filter(outbox::published_at.is_null())
            .filter(outbox::parked_at.is_not_null())
            .count()
            .get_result(&mut conn)
            .await
            .map_err(repo_error)?;
        Ok(u64::try_from(n).unwrap_or_default())
    }

    async fn committed(&self) {
        self.committed.notified().await;
    }

    async fn backlog(&self) -> Result<Backlog, RepoError> {
        let mut conn = self.conn().await?;
        // `Delivery::is_waiting`, in SQL.
        let (waiting, oldest): (i64, Option<DateTime<Utc>>) = outbox::table
            .filter(outbox::published_at.is_null())
            .filter(outbox::parked_at.is_null())
            .select((diesel::dsl::count_star(), diesel::dsl::min(outbox::occurred_at)))
            .get_result(&mut conn)
            .await
            .map_err(repo_error)?;
        Ok(Backlog { waiting: u64::try_from(waiting).unwrap_or_default(), oldest })
    }
}

/// What only PostgreSQL can hold: rows this version cannot decode (written by a newer
/// version, or by hand).
#[cfg(all(test, feature = "testkit"))]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod parking {
    use std::sync::Mutex;

    use async_trait::async_trait;
    use diesel_async::RunQueryDsl;
    use identity_core::ports::{EventPublisher, Outbox, PublishError, UnitOfWork};
    use identity_core::testkit::fixtures;
    use identity_core::{DomainEvent, EventType};

    use crate::store::{PgStore, PoolSettings};

    #[derive(Default)]
    struct Recording(Mutex<Vec<DomainEvent>>);

    #[async_trait]
    impl EventPublisher for Recording {
        async fn publish(&self, events: &[DomainEvent]) -> Result<(), PublishError> {
            self.0.lock().unwrap().extend_from_slice(events);
            Ok(())
        }
    }

    async fn insert_raw(store: &PgStore, event_type: &str, payload: &str) -> uuid::Uuid {
        let id = uuid::Uuid::now_v7();
        let mut conn = store.conn().await.unwrap();
        diesel::sql_query(format!(
            "INSERT INTO outbox (id, aggregate_type, aggregate_id, type, payload, occurred_at) \
             VALUES ('{id}', 'user', '{id}', '{event_type}', '{payload}'::jsonb, now())"
        ))
        .execute(&mut conn)
        .await
        .unwrap();
        id
    }

    #[tokio::test]
    async fn undecodable_rows_are_parked_and_the_rows_after_them_are_published() {
        let database = crate::testkit::TestDatabase::create().await;
        let store =
            PgStore::connect(database.url(), &PoolSettings { max_size: 4, ..PoolSettings::default() }).await.unwrap();
        let nonsense = insert_raw(&store, "nonsense.event", r#"{"x":1}"#).await;
        let events: Vec<DomainEvent> =
            EventType::ALL.into_iter().map(|t| fixtures::event(t, uuid::Uuid::now_v7())).collect();
        let mut tx = store.begin().await.unwrap();
        tx.journal().record_events(&events).await.unwrap();
        tx.commit().await.unwrap();
        let not_an_object = insert_raw(&store, "user.updated", "[1,2]").await;
        // A row that cannot be decoded is not pending: only the valid ones are.
        let pending = store.pending(1000).await.unwrap();
        assert_eq!(pending.iter().map(|e| e.event.clone()).collect::<Vec<_>>(), events);

        let publisher = Recording::default();
        let now = fixtures::now();
        let report = store.relay(1000, &publisher, now).await.unwrap();
        assert_eq!((report.published, report.failed), (events.len(), 0), "{report:?}");
        assert_eq!(*publisher.0.lock().unwrap(), events, "the rows after the parked one went out, in order");
        assert_eq!(report.parked.len(), 2, "{report:?}");
        let parked = &report.parked[0];
        assert_eq!((parked.id, parked.event_type.as_str(), parked.attempts), (nonsense, "nonsense.event", 1));
        assert!(parked.last_error.as_deref().unwrap().contains("unknown event type \"nonsense.event\""), "{parked:?}");
        assert_eq!(parked.parked_at, now);
        assert_eq!(report.parked[1].id, not_an_object);
        assert!(report.parked[1].last_error.as_deref().unwrap().contains("not a JSON object"), "{report:?}");

        // Operators see them; the relay never claims them again.
        assert_eq!(store.parked(1000).await.unwrap(), report.parked);
        assert_eq!(store.parked(1).await.unwrap(), report.parked[..1]);
        assert_eq!(store.parked_count().await.unwrap(), 2);
        let again = store.relay(1000, &publisher, now).await.unwrap();
        assert_eq!(again, identity_core::ports::RelayReport::default());
        assert!(store.pending(1000).await.unwrap().is_empty());

        // Re-queued after the cause is fixed (docs/operations.md), it is published.
        let mut conn = store.conn().await.unwrap();
        diesel::sql_query(format!(
            "UPDATE outbox SET type = 'user.verified', parked_at = NULL, last_error = NULL WHERE id = '{nonsense}'"
        ))
        .execute(&mut conn)
        .await
        .unwrap();
        let report = store.relay(1000, &publisher, now).await.unwrap();
        assert_eq!((report.published, report.parked.len()), (1, 0), "{report:?}");
        assert_eq!(publisher.0.lock().unwrap().last().unwrap().id, nonsense);
        assert_eq!(store.parked_count().await.unwrap(), 1);
    }
}
