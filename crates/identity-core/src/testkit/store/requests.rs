//! Keyed create requests: [`RequestLog`](crate::ports::RequestLog) and
//! [`JournalWrites::record_request`](crate::ports::JournalWrites::record_request).

use chrono::Duration;

use super::StoreUnderTest;
use crate::domain::*;
use crate::testkit::fixtures;

fn record(key: &str, fingerprint: &str, at: chrono::DateTime<chrono::Utc>) -> RequestRecord {
    RequestRecord { key: key.into(), fingerprint: fingerprint.into(), resource: uuid::Uuid::now_v7(), at }
}

pub async fn requests_are_recorded_with_their_transaction_and_replaced(store: &StoreUnderTest) {
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let now = fixtures::now();
    let first = record(&format!("anonymous:/v1/auth/register:{tag}"), "body-1", now);
    let mut tx = store.uow.begin().await.unwrap();
    tx.journal().record_request(&first).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.requests.find_request(&first.key).await.unwrap(), Some(first.clone()));
    assert_eq!(store.requests.find_request(&format!("{}x", first.key)).await.unwrap(), None);

    // Rolled back with the transaction that made the resource.
    let lost = record(&format!("anonymous:/v1/auth/register:{tag}-lost"), "body", now);
    {
        let mut tx = store.uow.begin().await.unwrap();
        tx.journal().record_request(&lost).await.unwrap();
    }
    assert_eq!(store.requests.find_request(&lost.key).await.unwrap(), None);

    // The same key again (its first resource is gone, say): the newer record wins.
    let again = record(&first.key, "body-2", now + Duration::seconds(1));
    let mut tx = store.uow.begin().await.unwrap();
    tx.journal().record_request(&again).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.requests.find_request(&first.key).await.unwrap(), Some(again));
}

pub async fn requests_older_than_a_day_are_forgotten_by_later_ones(store: &StoreUnderTest) {
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let now = fixtures::now();
    let old = record(&format!("{tag}:old"), "a", now);
    let young = record(&format!("{tag}:young"), "b", now + Duration::hours(1));
    let mut tx = store.uow.begin().await.unwrap();
    tx.journal().record_request(&old).await.unwrap();
    tx.journal().record_request(&young).await.unwrap();
    tx.commit().await.unwrap();
    assert!(old.is_current(now + REQUEST_KEY_TTL - Duration::seconds(1)));
    assert!(!old.is_current(now + REQUEST_KEY_TTL));

    let later = record(&format!("{tag}:later"), "c", now + REQUEST_KEY_TTL);
    let mut tx = store.uow.begin().await.unwrap();
    tx.journal().record_request(&later).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.requests.find_request(&old.key).await.unwrap(), None, "a day old: forgotten");
    assert_eq!(store.requests.find_request(&young.key).await.unwrap(), Some(young));
    assert_eq!(store.requests.find_request(&later.key).await.unwrap(), Some(later));
}
