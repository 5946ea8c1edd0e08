//! Time for tests: a clock the test moves, and [`TimeTravel`], the handle a contract suite
//! uses to let time pass for the adapter under test instead of sleeping.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};

use crate::ports::Clock;

/// Lets time pass for an adapter under test. An adapter that reads the [`Clock`] port is
/// handed a [`ManualClock`], which moves; an adapter on a server with a clock of its own
/// (Redis) ages what it stored instead (shorter TTLs, earlier rate-limit arrival times).
#[async_trait]
pub trait TimeTravel: Send + Sync {
    /// Everything the adapter holds is `by` older afterwards.
    async fn elapse(&self, by: Duration);
}

/// A [`Clock`] that stands still until the test moves it. Clones share the time.
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(start)))
    }

    /// Moves the clock by `by`, either way (a negative `by` is a clock set back).
    pub fn shift(&self, by: TimeDelta) {
        *self.0.lock().unwrap() += by;
    }
}

impl Default for ManualClock {
    /// A clock standing at a fixed instant (2027-01-15), so tests do not depend on the date.
    fn default() -> Self {
        Self::new(DateTime::from_timestamp(1_800_000_000, 0).unwrap())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

#[async_trait]
impl TimeTravel for ManualClock {
    async fn elapse(&self, by: Duration) {
        self.shift(TimeDelta::from_std(by).expect("a test elapses less than 292 million years"));
    }
}
