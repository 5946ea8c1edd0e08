//! Expiring values and rate limits in memory. Time is the [`Clock`] port, as everywhere in
//! the service: production passes the system clock; a test moves its own clock, and values
//! expire, cooldowns end and rate limits refill without anyone sleeping.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use identity_core::SessionId;
use identity_core::ports::{Clock, CodeStore, RateDecision, RateLimiter, RepoError, RevocationList};

/// A point in time on the [`Clock`].
type Time = DateTime<Utc>;

/// `at + d`, saturating at the end of time.
fn after(at: Time, d: Duration) -> Time {
    TimeDelta::from_std(d).ok().and_then(|d| at.checked_add_signed(d)).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// `at - d`, saturating at the beginning of time.
fn before(at: Time, d: Duration) -> Time {
    TimeDelta::from_std(d).ok().and_then(|d| at.checked_sub_signed(d)).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// How long from `from` to `to`; zero when `to` is not later.
fn between(from: Time, to: Time) -> Duration {
    (to - from).to_std().unwrap_or(Duration::ZERO)
}

/// Expired entries are swept on every this many writes, so memory stays bounded.
const SWEEP_EVERY: u64 = 1024;

struct Entries<K> {
    map: HashMap<K, (String, Time)>,
    writes: u64,
}

impl<K> Default for Entries<K> {
    fn default() -> Self {
        Self { map: HashMap::new(), writes: 0 }
    }
}

impl<K: std::hash::Hash + Eq> Entries<K> {
    fn live(&self, key: &K, now: Time) -> Option<&(String, Time)> {
        self.map.get(key).filter(|(_, until)| *until > now)
    }

    fn insert(&mut self, key: K, value: String, until: Time, now: Time) {
        self.writes += 1;
        if self.writes.is_multiple_of(SWEEP_EVERY) {
            self.map.retain(|_, (_, until)| *until > now);
        }
        self.map.insert(key, (value, until));
    }
}

fn poisoned() -> RepoError {
    RepoError::Unknown(anyhow::anyhow!("the in-memory code store lock was poisoned"))
}

/// [`CodeStore`] in memory (the embedded default). Expiry follows `clock`.
#[derive(Clone)]
pub struct MemoryCodeStore {
    entries: Arc<Mutex<Entries<String>>>,
    clock: Arc<dyn Clock>,
}

impl MemoryCodeStore {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self { entries: Arc::default(), clock }
    }

    fn lock(&self) -> Result<MutexGuard<'_, Entries<String>>, RepoError> {
        self.entries.lock().map_err(|_| poisoned())
    }

    /// The keys held now, live or not yet swept (for tests and diagnostics).
    pub fn keys(&self) -> Vec<String> {
        self.lock().map(|entries| entries.map.keys().cloned().collect()).unwrap_or_default()
    }
}

#[async_trait]
impl CodeStore for MemoryCodeStore {
    async fn put(&self, key: &str, value: &str, ttl: Duration) -> Result<(), RepoError> {
        let now = self.clock.now();
        self.lock()?.insert(key.to_owned(), value.to_owned(), after(now, ttl), now);
        Ok(())
    }

    async fn put_if_absent(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, RepoError> {
        let now = self.clock.now();
        let mut entries = self.lock()?;
        if entries.live(&key.to_owned(), now).is_some() {
            return Ok(false);
        }
        entries.insert(key.to_owned(), value.to_owned(), after(now, ttl), now);
        Ok(true)
    }

    async fn get(&self, key: &str) -> Result<Option<String>, RepoError> {
        Ok(self.lock()?.live(&key.to_owned(), self.clock.now()).map(|(v, _)| v.clone()))
    }

    async fn take(&self, key: &str) -> Result<Option<String>, RepoError> {
        let now = self.clock.now();
        let removed = self.lock()?.map.remove(key);
        Ok(removed.filter(|(_, until)| *until > now).map(|(v, _)| v))
    }

    async fn delete(&self, key: &str) -> Result<(), RepoError> {
        self.lock()?.map.remove(key);
        Ok(())
    }

    async fn increment(&self, key: &str, ttl: Duration) -> Result<u64, RepoError> {
        let now = self.clock.now();
        let mut entries = self.lock()?;
        let (count, until) = match entries.live(&key.to_owned(), now) {
            Some((value, until)) => (value.parse::<u64>().unwrap_or(0) + 1, *until),
            None => (1, after(now, ttl)),
        };
        entries.insert(key.to_owned(), count.to_string(), until, now);
        Ok(count)
    }

    async fn time_to_live(&self, key: &str) -> Result<Option<Duration>, RepoError> {
        let now = self.clock.now();
        Ok(self.lock()?.live(&key.to_owned(), now).map(|(_, until)| between(now, *until)))
    }
}

/// [`RevocationList`] in memory: enough for one process (the embedded default). Entries end
/// with their TTL on `clock`.
#[derive(Clone)]
pub struct MemoryRevocations {
    entries: Arc<Mutex<Entries<SessionId>>>,
    clock: Arc<dyn Clock>,
}

impl MemoryRevocations {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self { entries: Arc::default(), clock }
    }
}

#[async_trait]
impl RevocationList for MemoryRevocations {
    async fn revoke(&self, session: SessionId, ttl: Duration) -> Result<(), RepoError> {
        let now = self.clock.now();
        self.entries.lock().map_err(|_| poisoned())?.insert(session, String::new(), after(now, ttl), now);
        Ok(())
    }

    async fn is_revoked(&self, session: SessionId) -> Result<bool, RepoError> {
        Ok(self.entries.lock().map_err(|_| poisoned())?.live(&session, self.clock.now()).is_some())
    }
}

#[cfg(test)]
mod contract {
    use std::sync::Arc;

    use identity_core::ports::{CodeStore, RevocationList};
    use identity_core::testkit::time::{ManualClock, TimeTravel};

    use super::{MemoryCodeStore, MemoryRevocations};

    identity_core::code_store_contract_tests!(
        async {
            let clock = ManualClock::default();
            (
                Arc::new(MemoryCodeStore::new(Arc::new(clock.clone()))) as Arc<dyn CodeStore>,
                Arc::new(clock) as Arc<dyn TimeTravel>,
            )
        },
        async {
            let clock = ManualClock::default();
            (
                Arc::new(MemoryRevocations::new(Arc::new(clock.clone()))) as Arc<dyn RevocationList>,
                Arc::new(clock) as Arc<dyn TimeTravel>,
            )
        }
    );
}

/// GCRA in memory (the embedded default): the theoretical arrival time of each key, on
/// `clock`.
#[derive(Clone)]
pub struct MemoryRateLimiter {
    tat: Arc<Mutex<HashMap<String, Time>>>,
    clock: Arc<dyn Clock>,
}

impl MemoryRateLimiter {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self { tat: Arc::default(), clock }
    }

    /// The keys that have been hit (for tests and diagnostics).
    pub fn keys(&self) -> Vec<String> {
        self.tat.lock().map(|tats| tats.keys().cloned().collect()).unwrap_or_default()
    }
}

#[async_trait]
impl RateLimiter for MemoryRateLimiter {
    async fn hit(&self, key: &str, limit: u32, period: Duration) -> Result<RateDecision, RepoError> {
        let limit = limit.max(1);
        let emission = period / limit;
        let now = self.clock.now();
        let mut tats = self.tat.lock().map_err(|_| poisoned())?;
        if tats.len() > 100_000 {
            tats.retain(|_, tat| *tat > now);
        }
        // A full bucket's TAT is `now + period`; one further ahead means the clock stepped
        // back. Clamp it (and keep it clamped), so a step back costs at most a full bucket,
        // never the length of the step.
        let ceiling = after(now, period);
        let tat = match tats.get(key).copied().filter(|t| *t > now) {
            Some(tat) if tat > ceiling => {
                tats.insert(key.to_owned(), ceiling);
                ceiling
            }
            Some(tat) => tat,
            None => now,
        };
        let new_tat = after(tat, emission);
        let allow_at = before(new_tat, period);
        if now < allow_at {
            return Ok(RateDecision {
                allowed: false,
                limit,
                remaining: 0,
                reset_after: between(now, tat),
                retry_after: between(now, allow_at),
            });
        }
        tats.insert(key.to_owned(), new_tat);
        let headroom = period.saturating_sub(between(now, new_tat));
        let remaining = u32::try_from(headroom.as_nanos() / emission.as_nanos().max(1)).unwrap_or(u32::MAX);
        Ok(RateDecision {
            allowed: true,
            limit,
            remaining,
            reset_after: between(now, new_tat),
            retry_after: Duration::ZERO,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod clock_steps {
    use std::sync::Arc;
    use std::time::Duration;

    use identity_core::ports::RateLimiter;
    use identity_core::testkit::time::ManualClock;

    use super::MemoryRateLimiter;

    /// The system clock stepping back an hour (an NTP correction) must not refuse a client
    /// for that hour: the bucket counts as full, and fills as usual from there.
    #[tokio::test]
    async fn a_clock_stepping_back_costs_at_most_a_full_bucket() {
        let clock = ManualClock::default();
        let limiter = MemoryRateLimiter::new(Arc::new(clock.clone()));
        let period = Duration::from_secs(60);
        for _ in 0..3 {
            assert!(limiter.hit("client", 10, period).await.unwrap().allowed);
        }
        clock.shift(chrono::Duration::hours(-1));
        let full = limiter.hit("client", 10, period).await.unwrap();
        assert!(!full.allowed);
        assert!(full.retry_after <= Duration::from_secs(6), "{full:?}");
        clock.shift(chrono::Duration::seconds(6));
        assert!(limiter.hit("client", 10, period).await.unwrap().allowed);
    }
}

#[cfg(test)]
mod rate_contract {
    use std::sync::Arc;

    use identity_core::ports::RateLimiter;
    use identity_core::testkit::time::{ManualClock, TimeTravel};

    use super::MemoryRateLimiter;

    identity_core::rate_limiter_contract_tests!(async {
        let clock = ManualClock::default();
        (
            Arc::new(MemoryRateLimiter::new(Arc::new(clock.clone()))) as Arc<dyn RateLimiter>,
            Arc::new(clock) as Arc<dyn TimeTravel>,
        )
    });
}
