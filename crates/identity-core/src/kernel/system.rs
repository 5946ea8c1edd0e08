//! The service's surroundings: time, ids, health checks, where a request came from.

use std::net::IpAddr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// New ids: UUIDv7 in production, so they sort by creation time.
pub trait IdGenerator: Send + Sync + 'static {
    fn new_id(&self) -> Uuid;
}

/// A dependency `GET /ready` checks.
#[async_trait]
pub trait HealthCheck: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    async fn check(&self) -> anyhow::Result<()>;
    /// Whether requests need it: when a required dependency fails, `/ready` fails; when
    /// another one fails (the broker: events wait in the outbox), it reports it `degraded`.
    fn required(&self) -> bool {
        true
    }
}

/// Where a request came from, recorded on sessions (and later on audit entries).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}
