use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use identity_core::SessionId;
use identity_core::ports::{CodeStore, RepoError, RevocationList};

/// Expired entries are swept on every this many writes, so memory stays bounded.
const SWEEP_EVERY: u64 = 1024;

struct Entries<K> {
    map: HashMap<K, (String, Instant)>,
    writes: u64,
}

impl<K> Default for Entries<K> {
    fn default() -> Self {
        Self { map: HashMap::new(), writes: 0 }
    }
}

impl<K: std::hash::Hash + Eq> Entries<K> {
    fn live(&self, key: &K, now: Instant) -> Option<&(String, Instant)> {
        self.map.get(key).filter(|(_, until)| *until > now)
    }

    fn insert(&mut self, key: K, value: String, until: Instant, now: Instant) {
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

/// [`CodeStore`] in memory (the embedded default). Expiry follows the monotonic clock.
#[derive(Clone, Default)]
pub struct MemoryCodeStore {
    entries: Arc<Mutex<Entries<String>>>,
}

impl MemoryCodeStore {
    pub fn new() -> Self {
        Self::default()
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
        let now = Instant::now();
        self.lock()?.insert(key.to_owned(), value.to_owned(), now + ttl, now);
        Ok(())
    }

    async fn put_if_absent(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, RepoError> {
        let now = Instant::now();
        let mut entries = self.lock()?;
        if entries.live(&key.to_owned(), now).is_some() {
            return Ok(false);
        }
        entries.insert(key.to_owned(), value.to_owned(), now + ttl, now);
        Ok(true)
    }

    async fn get(&self, key: &str) -> Result<Option<String>, RepoError> {
        Ok(self.lock()?.live(&key.to_owned(), Instant::now()).map(|(v, _)| v.clone()))
    }

    async fn take(&self, key: &str) -> Result<Option<String>, RepoError> {
        let now = Instant::now();
        let removed = self.lock()?.map.remove(key);
        Ok(removed.filter(|(_, until)| *until > now).map(|(v, _)| v))
    }

    async fn delete(&self, key: &str) -> Result<(), RepoError> {
        self.lock()?.map.remove(key);
        Ok(())
    }

    async fn increment(&self, key: &str, ttl: Duration) -> Result<u64, RepoError> {
        let now = Instant::now();
        let mut entries = self.lock()?;
        let (count, until) = match entries.live(&key.to_owned(), now) {
            Some((value, until)) => (value.parse::<u64>().unwrap_or(0) + 1, *until),
            None => (1, now + ttl),
        };
        entries.insert(key.to_owned(), count.to_string(), until, now);
        Ok(count)
    }

    async fn time_to_live(&self, key: &str) -> Result<Option<Duration>, RepoError> {
        let now = Instant::now();
        Ok(self.lock()?.live(&key.to_owned(), now).map(|(_, until)| until.duration_since(now)))
    }
}

/// [`RevocationList`] in memory: enough for one process (the embedded default).
#[derive(Clone)]
pub struct MemoryRevocations {
    entries: Arc<Mutex<Entries<SessionId>>>,
}

impl MemoryRevocations {
    pub fn new() -> Self {
        Self { entries: Arc::new(Mutex::new(Entries::default())) }
    }
}

impl Default for MemoryRevocations {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl RevocationList for MemoryRevocations {
    async fn revoke(&self, session: SessionId, ttl: Duration) -> Result<(), RepoError> {
        let now = Instant::now();
        self.entries.lock().map_err(|_| poisoned())?.insert(session, String::new(), now + ttl, now);
        Ok(())
    }

    async fn is_revoked(&self, session: SessionId) -> Result<bool, RepoError> {
        Ok(self.entries.lock().map_err(|_| poisoned())?.live(&session, Instant::now()).is_some())
    }
}

#[cfg(test)]
mod contract {
    use std::sync::Arc;

    use identity_core::ports::{CodeStore, RevocationList};

    use super::{MemoryCodeStore, MemoryRevocations};

    identity_core::code_store_contract_tests!(
        async { Arc::new(MemoryCodeStore::new()) as Arc<dyn CodeStore> },
        async { Arc::new(MemoryRevocations::new()) as Arc<dyn RevocationList> }
    );
}

/// GCRA in memory (the embedded default): the theoretical arrival time of each key.
#[derive(Clone, Default)]
pub struct MemoryRateLimiter {
    tat: Arc<Mutex<HashMap<String, Instant>>>,
}

impl MemoryRateLimiter {
    pub fn new() -> Self {
        Self::default()
    }

    /// The keys that have been hit (for tests and diagnostics).
    pub fn keys(&self) -> Vec<String> {
        self.tat.lock().map(|tats| tats.keys().cloned().collect()).unwrap_or_default()
    }
}

#[async_trait]
impl identity_core::ports::RateLimiter for MemoryRateLimiter {
    async fn hit(
        &self,
        key: &str,
        limit: u32,
        period: Duration,
    ) -> Result<identity_core::ports::RateDecision, RepoError> {
        let limit = limit.max(1);
        let emission = period / limit;
        let now = Instant::now();
        let mut tats = self.tat.lock().map_err(|_| poisoned())?;
        if tats.len() > 100_000 {
            tats.retain(|_, tat| *tat > now);
        }
        let tat = tats.get(key).copied().filter(|t| *t > now).unwrap_or(now);
        let new_tat = tat + emission;
        let allow_at = new_tat.checked_sub(period).unwrap_or(now);
        if now < allow_at {
            return Ok(identity_core::ports::RateDecision {
                allowed: false,
                limit,
                remaining: 0,
                reset_after: tat - now,
                retry_after: allow_at - now,
            });
        }
        tats.insert(key.to_owned(), new_tat);
        let headroom = period.saturating_sub(new_tat - now);
        let remaining = u32::try_from(headroom.as_nanos() / emission.as_nanos().max(1)).unwrap_or(u32::MAX);
        Ok(identity_core::ports::RateDecision {
            allowed: true,
            limit,
            remaining,
            reset_after: new_tat - now,
            retry_after: Duration::ZERO,
        })
    }
}

#[cfg(test)]
mod rate_contract {
    use std::sync::Arc;

    use identity_core::ports::RateLimiter;

    use super::MemoryRateLimiter;

    identity_core::rate_limiter_contract_tests!(async { Arc::new(MemoryRateLimiter::new()) as Arc<dyn RateLimiter> });
}
