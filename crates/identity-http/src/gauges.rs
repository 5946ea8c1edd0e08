//! Gauges read when `GET /metrics` is scraped (what no request updates: pools, the outbox):
//! the composition root builds them, `AppState` holds them, `metrics::render` reads them.

use std::sync::Arc;

use identity_core::ports::{Clock, Outbox};

/// Gauges read when `/metrics` is scraped (what no request updates: pools, the outbox).
#[async_trait::async_trait]
pub trait ScrapeGauges: Send + Sync + 'static {
    async fn record(&self);
}

/// The outbox: rows waiting, how old the oldest is, and parked rows.
pub struct OutboxGauges {
    pub outbox: Arc<dyn Outbox>,
    /// `None` for the main database's outbox (unlabelled series); `Some("shared")` for the
    /// shared database's (`outbox="shared"`).
    pub label: Option<&'static str>,
    /// The service's clock (the age is measured on it, like every other time).
    pub clock: Arc<dyn Clock>,
}

#[async_trait::async_trait]
impl ScrapeGauges for OutboxGauges {
    async fn record(&self) {
        let labels: Vec<(&'static str, &'static str)> = self.label.map(|l| ("outbox", l)).into_iter().collect();
        if let Ok(backlog) = self.outbox.backlog().await {
            metrics::gauge!("identity_outbox_backlog", &labels).set(backlog.waiting as f64);
            let now = self.clock.now();
            let age = backlog.oldest.map(|at| (now - at).num_milliseconds().max(0) as f64 / 1000.0);
            metrics::gauge!("identity_outbox_oldest_unpublished_age_seconds", &labels).set(age.unwrap_or(0.0));
        }
        if let Ok(parked) = self.outbox.parked_count().await {
            metrics::gauge!("identity_outbox_parked", &labels).set(parked as f64);
        }
    }
}

/// A job queue: jobs by kind and state, and how long the oldest due job has waited
/// (`identity_jobs{queue,kind,state}`, `identity_jobs_oldest_seconds{queue,kind}`).
pub struct JobGauges {
    pub queue: Arc<dyn identity_core::ports::JobQueue>,
    /// `main`, or `shared` for the shared database's queue.
    pub label: &'static str,
    pub clock: Arc<dyn Clock>,
}

#[async_trait::async_trait]
impl ScrapeGauges for JobGauges {
    async fn record(&self) {
        if let Ok(depths) = self.queue.depth().await {
            identity_worker::record_depth(self.label, &depths, self.clock.now());
        }
    }
}

/// A connection pool's use: `(in use, idle, most allowed)` read at scrape time.
pub struct PoolGauges {
    pub pool: &'static str,
    pub read: Box<dyn Fn() -> (usize, usize, usize) + Send + Sync>,
}

#[async_trait::async_trait]
impl ScrapeGauges for PoolGauges {
    async fn record(&self) {
        let (in_use, idle, max) = (self.read)();
        for (state, value) in [("in_use", in_use), ("idle", idle), ("max", max)] {
            metrics::gauge!("identity_pool_connections", "pool" => self.pool, "state" => state).set(value as f64);
        }
    }
}
