//! The contract of [`CodeStore`], [`RevocationList`] and [`RateLimiter`]. Time passes through
//! a [`TimeTravel`] handle, never by sleeping.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use crate::domain::SessionId;
use crate::ports::{CodeStore, RateLimiter, RevocationList};
use crate::testkit::time::TimeTravel;

fn key(name: &str) -> String {
    format!("contract:{name}:{}", Uuid::now_v7().simple())
}

const MINUTE: Duration = Duration::from_secs(60);

pub async fn put_get_delete_and_overwrite(store: Arc<dyn CodeStore>) {
    let k = key("put");
    assert_eq!(store.get(&k).await.unwrap(), None);
    store.put(&k, "first", MINUTE).await.unwrap();
    assert_eq!(store.get(&k).await.unwrap().as_deref(), Some("first"));
    store.put(&k, "second", MINUTE).await.unwrap();
    assert_eq!(store.get(&k).await.unwrap().as_deref(), Some("second"));
    let ttl = store.time_to_live(&k).await.unwrap().unwrap();
    assert!(ttl <= MINUTE && ttl > Duration::from_secs(50), "{ttl:?}");
    store.delete(&k).await.unwrap();
    assert_eq!(store.get(&k).await.unwrap(), None);
    assert_eq!(store.time_to_live(&k).await.unwrap(), None);
    // Deleting what is not there is fine.
    store.delete(&k).await.unwrap();
}

pub async fn values_expire_after_their_ttl(store: Arc<dyn CodeStore>, time: &dyn TimeTravel) {
    let k = key("ttl");
    store.put(&k, "short-lived", Duration::from_secs(1)).await.unwrap();
    assert!(store.get(&k).await.unwrap().is_some());
    time.elapse(Duration::from_millis(1300)).await;
    assert_eq!(store.get(&k).await.unwrap(), None);
    assert_eq!(store.take(&k).await.unwrap(), None);
    assert!(store.put_if_absent(&k, "again", MINUTE).await.unwrap(), "an expired key is absent");
}

pub async fn put_if_absent_starts_a_cooldown_once(store: Arc<dyn CodeStore>) {
    let k = key("cooldown");
    assert!(store.put_if_absent(&k, "1", MINUTE).await.unwrap());
    assert!(!store.put_if_absent(&k, "2", MINUTE).await.unwrap());
    assert_eq!(store.get(&k).await.unwrap().as_deref(), Some("1"));
    assert!(store.time_to_live(&k).await.unwrap().is_some());
}

pub async fn take_hands_a_value_to_exactly_one_caller(store: Arc<dyn CodeStore>) {
    let k = key("take");
    store.put(&k, "once", MINUTE).await.unwrap();
    let mut handles = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        let k = k.clone();
        handles.push(async move { store.take(&k).await.unwrap() });
    }
    let results = futures_join_all(handles).await;
    assert_eq!(results.iter().filter(|r| r.as_deref() == Some("once")).count(), 1, "{results:?}");
    assert_eq!(store.get(&k).await.unwrap(), None);
}

pub async fn counters_count_from_one(store: Arc<dyn CodeStore>) {
    let k = key("count");
    assert_eq!(store.increment(&k, MINUTE).await.unwrap(), 1);
    assert_eq!(store.increment(&k, MINUTE).await.unwrap(), 2);
    assert_eq!(store.increment(&k, MINUTE).await.unwrap(), 3);
    let ttl = store.time_to_live(&k).await.unwrap().unwrap();
    assert!(ttl <= MINUTE, "{ttl:?}");
    store.delete(&k).await.unwrap();
    assert_eq!(store.increment(&k, MINUTE).await.unwrap(), 1);
}

pub async fn revocations_are_remembered_for_their_ttl(list: &dyn RevocationList, time: &dyn TimeTravel) {
    let revoked = SessionId::from_uuid(Uuid::now_v7());
    let other = SessionId::from_uuid(Uuid::now_v7());
    let brief = SessionId::from_uuid(Uuid::now_v7());
    list.revoke(revoked, MINUTE).await.unwrap();
    list.revoke(brief, Duration::from_secs(1)).await.unwrap();
    assert!(list.is_revoked(revoked).await.unwrap());
    assert!(list.is_revoked(brief).await.unwrap());
    assert!(!list.is_revoked(other).await.unwrap());
    time.elapse(Duration::from_millis(1300)).await;
    assert!(!list.is_revoked(brief).await.unwrap(), "entries end with their ttl");
    assert!(list.is_revoked(revoked).await.unwrap());
}

pub async fn rate_limits_allow_a_burst_then_refuse_with_retry_after(limiter: &dyn RateLimiter) {
    let k = key("rate");
    let period = Duration::from_secs(60);
    for used in 1..=3u32 {
        let d = limiter.hit(&k, 3, period).await.unwrap();
        assert!(d.allowed, "request {used} of 3");
        assert_eq!(d.limit, 3);
        assert_eq!(d.remaining, 3 - used, "request {used}");
        assert_eq!(d.retry_after, Duration::ZERO);
        assert!(d.reset_after > Duration::ZERO && d.reset_after <= period);
    }
    let refused = limiter.hit(&k, 3, period).await.unwrap();
    assert!(!refused.allowed);
    assert_eq!(refused.remaining, 0);
    // One request is earned back every period / limit = 20 s.
    assert!(
        refused.retry_after > Duration::from_secs(15) && refused.retry_after <= Duration::from_secs(20),
        "{refused:?}"
    );
    // Refusals are not counted: the wait does not grow.
    let again = limiter.hit(&k, 3, period).await.unwrap();
    assert!(!again.allowed && again.retry_after <= refused.retry_after);
    // Keys are independent.
    assert!(limiter.hit(&key("other"), 3, period).await.unwrap().allowed);
}

pub async fn rate_limits_refill_over_time(limiter: &dyn RateLimiter, time: &dyn TimeTravel) {
    let k = key("refill");
    // 2 per second: one request back every 500 ms.
    let period = Duration::from_secs(1);
    assert!(limiter.hit(&k, 2, period).await.unwrap().allowed);
    assert!(limiter.hit(&k, 2, period).await.unwrap().allowed);
    assert!(!limiter.hit(&k, 2, period).await.unwrap().allowed);
    time.elapse(Duration::from_millis(600)).await;
    assert!(limiter.hit(&k, 2, period).await.unwrap().allowed);
}

pub async fn concurrent_hits_never_exceed_the_limit(limiter: Arc<dyn RateLimiter>) {
    let k = key("race");
    let hits = (0..20).map(|_| {
        let limiter = limiter.clone();
        let k = k.clone();
        async move { limiter.hit(&k, 5, Duration::from_secs(60)).await.unwrap().allowed }
    });
    let allowed = futures_join_all(hits.collect()).await.into_iter().filter(|a| *a).count();
    assert_eq!(allowed, 5);
}

/// Polls every future to completion, interleaved (no runtime dependency).
pub(crate) async fn futures_join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending { std::task::Poll::Pending } else { std::task::Poll::Ready(()) }
    })
    .await;
    outputs.into_iter().map(|o| o.unwrap()).collect()
}
