//! Redis adapter (deadpool-redis). Every key is prefixed with `REDIS_KEY_PREFIX`, so several
//! deployments or test runs share one Redis without seeing each other's keys. The one-time
//! code store, cooldowns, rate limits, idempotency records and the session revocation cache
//! build on [`RedisStore`].
//!
//! Expiry and rate limits run on Redis's clock (one clock for every replica), not on the
//! service's `Clock` port. Tests that move the service clock make the same time pass here with
//! [`RedisStore::elapse`] (feature `testkit`).

use std::time::Duration;

use async_trait::async_trait;
use deadpool_redis::redis::{AsyncCommands, RedisError, Script};
use deadpool_redis::{Connection, Pool, Runtime};
use identity_core::SessionId;
use identity_core::ports::{CodeStore, HealthCheck, RateDecision, RateLimiter, RepoError, RevocationList};

mod trace;

#[cfg(any(test, feature = "testkit"))]
pub mod tls_server;

/// A pooled Redis connection with a key prefix.
#[derive(Clone)]
pub struct RedisStore {
    pool: Pool,
    prefix: String,
}

impl RedisStore {
    /// Builds the pool and checks that Redis answers, with the default connection timeout
    /// (10 s).
    pub async fn connect(url: &str, prefix: impl Into<String>) -> anyhow::Result<Self> {
        Self::connect_within(url, prefix, Duration::from_secs(10)).await
    }

    /// Builds the pool and checks that Redis answers. Opening a connection (now and whenever
    /// the pool opens one later) and waiting for a free one each give up after `timeout`, so
    /// a Redis that accepts TCP but never answers fails requests with 503 instead of hanging
    /// them. Each command has the Redis client's own response timeout (500 ms).
    pub async fn connect_within(url: &str, prefix: impl Into<String>, timeout: Duration) -> anyhow::Result<Self> {
        let store = Self::lazy(url, prefix, timeout)?;
        store.ping().await?;
        Ok(store)
    }

    /// [`RedisStore::connect_within`] without the check: the pool opens connections when
    /// commands need them, so a Redis that is down at start-up fails those commands (503) and
    /// the readiness check until it answers. A malformed URL is still an error here.
    pub fn lazy(url: &str, prefix: impl Into<String>, timeout: Duration) -> anyhow::Result<Self> {
        Self::lazy_with_ca(url, prefix, timeout, None)
    }

    /// [`RedisStore::lazy`] trusting `ca` (`REDIS_CA_FILE`) instead of the system's roots for a
    /// `rediss://` URL. TLS is rustls: the certificate must be issued for the URL's host and
    /// chain up to a root; the redis crate's `rediss://…#insecure` skips both.
    pub fn lazy_with_ca(
        url: &str,
        prefix: impl Into<String>,
        timeout: Duration,
        ca: Option<&identity_tls::CaBundle>,
    ) -> anyhow::Result<Self> {
        let connection = deadpool_redis::redis::AsyncConnectionConfig::new().set_connection_timeout(Some(timeout));
        let tls = url.starts_with("rediss://");
        if tls {
            // The redis crate builds its TLS configuration on the process's default provider.
            identity_tls::provider();
        }
        let client = match ca {
            Some(ca) if tls => {
                let certificates = deadpool_redis::redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(ca.pem().as_bytes().to_vec()),
                };
                deadpool_redis::redis::Client::build_with_tls(url, certificates)?
            }
            Some(_) => anyhow::bail!("a CA file applies to a rediss:// URL only"),
            None => deadpool_redis::redis::Client::open(url)?,
        };
        let manager = deadpool_redis::Manager::new_with_config(client.get_connection_info().clone(), connection)?;
        let pool = Pool::builder(manager)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(timeout))
            .create_timeout(Some(timeout))
            .recycle_timeout(Some(timeout))
            .build()?;
        Ok(Self { pool, prefix: prefix.into() })
    }

    /// `prefix` + `key`: the only way keys are built.
    /// Connections of the pool: (in use, idle, most allowed), for the metrics.
    pub fn pool_use(&self) -> (usize, usize, usize) {
        let status = self.pool.status();
        (status.size.saturating_sub(status.available), status.available, status.max_size)
    }

    pub fn key(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }

    /// Where the rate limiter keeps `key`'s theoretical arrival time.
    fn rate_key(&self, key: &str) -> String {
        self.key(&format!("{RATE}{key}"))
    }

    pub async fn connection(&self) -> anyhow::Result<Connection> {
        Ok(self.pool.get().await?)
    }

    pub async fn ping(&self) -> anyhow::Result<()> {
        let mut conn = self.connection().await?;
        let pong: String = deadpool_redis::redis::cmd("PING").query_async(&mut conn).await?;
        anyhow::ensure!(pong == "PONG", "unexpected PING answer {pong:?}");
        Ok(())
    }

    /// Stores `value` under the prefixed `key` for `ttl_secs`.
    pub async fn set_ex(&self, key: &str, value: &str, ttl_secs: u64) -> anyhow::Result<()> {
        let mut conn = self.connection().await?;
        let _: () = conn.set_ex(self.key(key), value, ttl_secs).await?;
        Ok(())
    }

    pub async fn get(&self, key: &str) -> anyhow::Result<Option<String>> {
        let mut conn = self.connection().await?;
        Ok(conn.get(self.key(key)).await?)
    }
}

fn unavailable(error: impl Into<anyhow::Error>) -> RepoError {
    RepoError::Unavailable(error.into().context("redis"))
}

fn redis_error(error: RedisError) -> RepoError {
    unavailable(error)
}

/// Milliseconds for `PX`, at least 1.
fn millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl RedisStore {
    async fn conn(&self) -> Result<trace::Traced, RepoError> {
        self.pool.get().await.map(trace::Traced).map_err(unavailable)
    }
}

#[async_trait]
impl CodeStore for RedisStore {
    async fn put(&self, key: &str, value: &str, ttl: Duration) -> Result<(), RepoError> {
        let mut conn = self.conn().await?;
        deadpool_redis::redis::cmd("SET")
            .arg(self.key(key))
            .arg(value)
            .arg("PX")
            .arg(millis(ttl))
            .query_async::<()>(&mut conn)
            .await
            .map_err(redis_error)
    }

    async fn put_if_absent(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, RepoError> {
        let mut conn = self.conn().await?;
        let set: Option<String> = deadpool_redis::redis::cmd("SET")
            .arg(self.key(key))
            .arg(value)
            .arg("NX")
            .arg("PX")
            .arg(millis(ttl))
            .query_async(&mut conn)
            .await
            .map_err(redis_error)?;
        Ok(set.is_some())
    }

    async fn get(&self, key: &str) -> Result<Option<String>, RepoError> {
        let mut conn = self.conn().await?;
        conn.get(self.key(key)).await.map_err(redis_error)
    }

    async fn take(&self, key: &str) -> Result<Option<String>, RepoError> {
        let mut conn = self.conn().await?;
        deadpool_redis::redis::cmd("GETDEL").arg(self.key(key)).query_async(&mut conn).await.map_err(redis_error)
    }

    async fn delete(&self, key: &str) -> Result<(), RepoError> {
        let mut conn = self.conn().await?;
        conn.del::<_, ()>(self.key(key)).await.map_err(redis_error)
    }

    async fn increment(&self, key: &str, ttl: Duration) -> Result<u64, RepoError> {
        // One script: the counter and its expiry are set together or not at all.
        let script = Script::new(
            "local n = redis.call('INCR', KEYS[1]) \
             if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end \
             return n",
        );
        let mut conn = self.conn().await?;
        script.key(self.key(key)).arg(millis(ttl)).invoke_async(&mut conn).await.map_err(redis_error)
    }

    async fn time_to_live(&self, key: &str) -> Result<Option<Duration>, RepoError> {
        let mut conn = self.conn().await?;
        let ms: i64 =
            deadpool_redis::redis::cmd("PTTL").arg(self.key(key)).query_async(&mut conn).await.map_err(redis_error)?;
        // -2: no such key; -1: no expiry (never written by this adapter).
        Ok(u64::try_from(ms).ok().map(Duration::from_millis))
    }
}

#[async_trait]
impl RevocationList for RedisStore {
    async fn revoke(&self, session: SessionId, ttl: Duration) -> Result<(), RepoError> {
        self.put(&format!("revoked-session:{session}"), "1", ttl).await
    }

    async fn is_revoked(&self, session: SessionId) -> Result<bool, RepoError> {
        let mut conn = self.conn().await?;
        conn.exists(self.key(&format!("revoked-session:{session}"))).await.map_err(redis_error)
    }
}

/// The namespace of the rate limiter's keys, under the prefix.
const RATE: &str = "rate:";

/// GCRA in one script, on Redis's own clock (replicas' clocks never enter): the key holds
/// the theoretical arrival time in microseconds; a refused request changes nothing.
/// Returns {allowed, remaining, reset_after_us, retry_after_us}.
const GCRA: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local emission = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + emission
local allow_at = new_tat - period
if now < allow_at then
  return {0, 0, tat - now, allow_at - now}
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now) / 1000))
return {1, math.floor((period - (new_tat - now)) / emission), new_tat - now, 0}
"#;

#[async_trait]
impl RateLimiter for RedisStore {
    async fn hit(&self, key: &str, limit: u32, period: Duration) -> Result<RateDecision, RepoError> {
        let limit = limit.max(1);
        let period_us = u64::try_from(period.as_micros()).unwrap_or(u64::MAX).max(1);
        let emission_us = (period_us / u64::from(limit)).max(1);
        let mut conn = self.conn().await?;
        let (allowed, remaining, reset_us, retry_us): (i64, i64, i64, i64) = Script::new(GCRA)
            .key(self.rate_key(key))
            .arg(emission_us)
            .arg(period_us)
            .invoke_async(&mut conn)
            .await
            .map_err(redis_error)?;
        let micros = |v: i64| Duration::from_micros(u64::try_from(v).unwrap_or(0));
        Ok(RateDecision {
            allowed: allowed == 1,
            limit,
            remaining: u32::try_from(remaining).unwrap_or(0),
            reset_after: micros(reset_us),
            retry_after: micros(retry_us),
        })
    }
}

/// Ages the keys given as KEYS by ARGV[1] milliseconds: a TTL that runs out deletes its key,
/// a longer one is shortened; keys under ARGV[2] (rate limits) also have their theoretical
/// arrival time (microseconds) moved back, as [`GCRA`] would see it after that wait. Keys
/// without a TTL are left alone.
#[cfg(any(test, feature = "testkit"))]
const AGE: &str = r#"
local by_ms = tonumber(ARGV[1])
local rate = ARGV[2]
for _, key in ipairs(KEYS) do
  local ttl = redis.call('PTTL', key)
  if ttl > 0 then
    if ttl <= by_ms then
      redis.call('DEL', key)
    else
      local tat = nil
      if string.sub(key, 1, #rate) == rate then tat = tonumber(redis.call('GET', key)) end
      if tat then
        redis.call('SET', key, string.format('%.0f', tat - by_ms * 1000), 'PX', ttl - by_ms)
      else
        redis.call('PEXPIRE', key, ttl - by_ms)
      end
    end
  end
end
return #KEYS
"#;

#[cfg(any(test, feature = "testkit"))]
impl RedisStore {
    /// Test-only time travel: makes `by` (in whole milliseconds) pass for every key under this
    /// store's prefix, as if Redis's clock had moved. TTLs shrink by `by` (a key whose TTL
    /// runs out is deleted) and rate-limit arrival times move back by `by`, so values expire,
    /// cooldowns end and rate limits refill. Redis's own clock keeps running; tests pair this
    /// with moving the service's `Clock` by the same amount.
    ///
    /// Only for tests, on a prefix of their own: it rewrites every key under the prefix, one
    /// batch at a time (not one atomic step), and never runs in production builds.
    pub async fn elapse(&self, by: Duration) -> anyhow::Result<()> {
        let by_ms = u64::try_from(by.as_millis())?;
        if by_ms == 0 {
            return Ok(());
        }
        let mut conn = self.connection().await?;
        // SCAN may return a key twice; ageing it twice would be wrong, so collect first.
        let pattern = format!("{}*", glob_escape(&self.prefix));
        let mut keys = std::collections::BTreeSet::new();
        let mut cursor = 0u64;
        loop {
            let (next, batch): (u64, Vec<String>) = deadpool_redis::redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut conn)
                .await?;
            keys.extend(batch);
            if next == 0 {
                break;
            }
            cursor = next;
        }
        let keys: Vec<String> = keys.into_iter().collect();
        let script = Script::new(AGE);
        for chunk in keys.chunks(500) {
            let mut invocation = script.prepare_invoke();
            for key in chunk {
                invocation.key(key);
            }
            let _: i64 = invocation.arg(by_ms).arg(self.key(RATE)).invoke_async(&mut conn).await?;
        }
        Ok(())
    }
}

/// For the contract suites: time passes for a Redis store by ageing its keys.
#[cfg(any(test, feature = "testkit"))]
#[async_trait]
impl identity_core::testkit::time::TimeTravel for RedisStore {
    async fn elapse(&self, by: Duration) {
        if let Err(error) = RedisStore::elapse(self, by).await {
            panic!("ageing the keys under {:?} failed: {error:#}", self.prefix);
        }
    }
}

/// `text` with the glob metacharacters of `SCAN MATCH` escaped.
#[cfg(any(test, feature = "testkit"))]
fn glob_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[async_trait]
impl HealthCheck for RedisStore {
    fn name(&self) -> &'static str {
        "redis"
    }

    async fn check(&self) -> anyhow::Result<()> {
        self.ping().await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn url() -> String {
        std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
    }

    async fn store() -> RedisStore {
        let prefix = format!("identity-test:{}:", uuid::Uuid::now_v7().simple());
        RedisStore::connect(&url(), prefix)
            .await
            .unwrap_or_else(|e| panic!("Redis is not reachable at {} ({e:#}); cargo xtask test starts it", url()))
    }

    mod contract {
        use std::sync::Arc;

        use identity_core::ports::{CodeStore, RevocationList};
        use identity_core::testkit::time::TimeTravel;

        identity_core::code_store_contract_tests!(
            async {
                let store = Arc::new(super::store().await);
                (store.clone() as Arc<dyn CodeStore>, store as Arc<dyn TimeTravel>)
            },
            async {
                let store = Arc::new(super::store().await);
                (store.clone() as Arc<dyn RevocationList>, store as Arc<dyn TimeTravel>)
            }
        );

        mod rate {
            use std::sync::Arc;

            use identity_core::ports::RateLimiter;
            use identity_core::testkit::time::TimeTravel;

            identity_core::rate_limiter_contract_tests!(async {
                let store = Arc::new(super::super::store().await);
                (store.clone() as Arc<dyn RateLimiter>, store as Arc<dyn TimeTravel>)
            });
        }
    }

    #[tokio::test]
    async fn keys_are_prefixed_and_expire() {
        let prefix = format!("identity-test:{}:", uuid::Uuid::now_v7().simple());
        let store = RedisStore::connect(&url(), prefix.clone())
            .await
            .unwrap_or_else(|e| panic!("Redis is not reachable at {} ({e:#}); cargo xtask test starts it", url()));
        store.check().await.unwrap();
        store.set_ex("greeting", "hello", 60).await.unwrap();
        assert_eq!(store.get("greeting").await.unwrap().as_deref(), Some("hello"));

        // The raw key carries the prefix; another prefix does not see it.
        let mut conn = store.connection().await.unwrap();
        let raw: Option<String> = conn.get(format!("{prefix}greeting")).await.unwrap();
        assert_eq!(raw.as_deref(), Some("hello"));
        let ttl: i64 = conn.ttl(format!("{prefix}greeting")).await.unwrap();
        assert!((1..=60).contains(&ttl), "ttl {ttl}");
        let other = RedisStore::connect(&url(), "identity-test:other:").await.unwrap();
        assert_eq!(other.get("greeting").await.unwrap(), None);
    }

    /// `elapse` ages what is under its own prefix only: TTLs shrink or run out, rate-limit
    /// arrival times move back, keys without a TTL and other prefixes are left alone.
    #[tokio::test]
    async fn elapse_ages_the_keys_under_the_prefix_only() {
        let (store, other) = (store().await, store().await);
        let minute = Duration::from_secs(60);
        store.put("long", "1", minute).await.unwrap();
        store.put("short", "1", Duration::from_secs(5)).await.unwrap();
        other.put("long", "1", minute).await.unwrap();
        let mut conn = store.connection().await.unwrap();
        let _: () = conn.set(store.key("forever"), "1").await.unwrap();
        for _ in 0..3 {
            assert!(store.hit("k", 3, minute).await.unwrap().allowed);
        }
        assert!(!store.hit("k", 3, minute).await.unwrap().allowed);

        store.elapse(Duration::from_secs(30)).await.unwrap();

        let left = store.time_to_live("long").await.unwrap().unwrap();
        assert!(left <= Duration::from_secs(30) && left > Duration::from_secs(25), "{left:?}");
        assert_eq!(store.get("short").await.unwrap(), None, "a TTL that ran out deletes the key");
        assert!(other.time_to_live("long").await.unwrap().unwrap() > Duration::from_secs(55));
        assert_eq!(conn.ttl::<_, i64>(store.key("forever")).await.unwrap(), -1);
        assert_eq!(store.get("forever").await.unwrap().as_deref(), Some("1"));
        // 30 s of a 20 s emission interval: one request is back, and only one.
        let decision = store.hit("k", 3, minute).await.unwrap();
        assert!(decision.allowed && decision.remaining == 0, "{decision:?}");
        assert!(!store.hit("k", 3, minute).await.unwrap().allowed);
    }
}
