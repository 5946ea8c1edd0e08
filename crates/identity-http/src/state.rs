//! What handlers share: the use cases and the HTTP-only settings.

use std::sync::Arc;
use std::time::Duration;

use identity_core::usecases::Services;

use crate::config::SameSite;

/// How auth cookies are set.
#[derive(Debug, Clone)]
pub struct CookieSettings {
    pub access_name: String,
    /// The refresh-token cookie, scoped to `/v1/auth`.
    pub refresh_name: String,
    pub secure: bool,
    pub same_site: SameSite,
    pub access_max_age: Duration,
    pub refresh_max_age: Duration,
}

pub struct AppState {
    /// The use cases, one service per concern.
    pub services: Services,
    pub cookies: CookieSettings,
    /// The dependencies `GET /ready` checks (empty in the embedded mode).
    pub checks: Vec<crate::dependencies::ReadyCheck>,
    /// Public keys for `GET /.well-known/paserk`: `(kid, k4.public.…)`.
    pub public_keys: Vec<(String, String)>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Origins cookie-authenticated unsafe requests may come from (besides the API's own).
    pub allowed_origins: Vec<String>,
    /// Kept answers of `Idempotency-Key` requests.
    pub codes: Arc<dyn identity_core::ports::CodeStore>,
    /// Set when the process was told to stop: `/ready` answers 503 from then on.
    pub draining: Arc<std::sync::atomic::AtomicBool>,
    /// Whether the database's migrations have run (PostgreSQL down at start-up: not yet, and
    /// requests that need it answer 503).
    pub migrations: crate::dependencies::Migrations,
    /// Gauges `GET /metrics` reads when scraped (pools, the outbox).
    pub gauges: Vec<Arc<dyn crate::gauges::ScrapeGauges>>,
    /// The outbox, for the parked-row count `GET /ready` reports.
    pub outbox: Arc<dyn identity_core::ports::Outbox>,
    /// This replica's WebSocket sockets (`GET /v1/ws`).
    pub gateway: Arc<identity_gateway::Gateway>,
}
