//! The relay's bookkeeping of one outbox row: when it is due, what a publish or a failure
//! records, when it is parked. Both outbox stores apply these rules (the memory store calls
//! them; the PostgreSQL store stores what they compute and says [`Delivery::is_due`] in SQL),
//! and the store contract suite checks both against them.

use chrono::{DateTime, Duration, Utc};

/// How long the relay leaves a row the broker refused before offering it again: 1 s after
/// the first refusal, doubling with every further one, at most 5 minutes.
pub fn retry_delay(attempts: i32) -> Duration {
    let exponent = attempts.saturating_sub(1).clamp(0, 16).unsigned_abs();
    Duration::seconds(2_i64.pow(exponent)).min(Duration::minutes(5))
}

/// How a publish of a row failed, which decides when it is offered again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishFailure {
    /// Nothing is known about the row (broker unreachable, confirms missing): it stays due,
    /// so the next pass offers it again in order; the relay's own backoff paces that pass.
    Unavailable,
    /// The broker refused this row while it confirmed others: it waits [`retry_delay`], so
    /// it cannot block the head of the queue.
    Refused,
}

/// Where an outbox row stands: published, parked, or waiting with the failed attempts so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Delivery {
    pub published_at: Option<DateTime<Utc>>,
    /// Failed publish attempts so far (parking counts as one).
    pub attempts: i32,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// Not offered to a publisher before this time (set when the broker refused this row).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Set aside because the relay could not decode it: never offered again until an operator
    /// re-queues it (`docs/operations.md`).
    pub parked_at: Option<DateTime<Utc>>,
}

impl Delivery {
    /// Whether the row still waits to be published (due now or later): unpublished and not
    /// parked. This is what `pending` lists and `backlog` counts.
    pub fn is_waiting(&self) -> bool {
        self.published_at.is_none() && self.parked_at.is_none()
    }

    /// Whether a relay pass at `now` claims the row: it is waiting and its `next_attempt_at`
    /// is unset or not after `now`.
    ///
    /// PostgreSQL: `published_at IS NULL AND parked_at IS NULL AND (next_attempt_at IS NULL
    /// OR next_attempt_at <= now)`.
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.is_waiting() && self.next_attempt_at.is_none_or(|at| at <= now)
    }

    /// The publisher confirmed the row at `now`.
    pub fn publish(&mut self, now: DateTime<Utc>) {
        self.published_at = Some(now);
        self.next_attempt_at = None;
    }

    /// A publish of the row failed at `now` with `error`: one more attempt, the error kept,
    /// and the time of the next offer as `failure` says (never parked: a broker's failure
    /// loses nothing).
    pub fn fail(&mut self, failure: PublishFailure, error: &str, now: DateTime<Utc>) {
        self.attempts = self.attempts.saturating_add(1);
        self.last_error = Some(error.to_owned());
        self.next_attempt_at = match failure {
            PublishFailure::Unavailable => None,
            PublishFailure::Refused => Some(now + retry_delay(self.attempts)),
        };
    }

    /// The relay could not decode the row at `now` (`reason` says why): it is set aside, as
    /// one more failed attempt, so it does not hold back the rows after it.
    pub fn park(&mut self, reason: String, now: DateTime<Utc>) {
        self.attempts = self.attempts.saturating_add(1);
        self.last_error = Some(reason);
        self.parked_at = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::seconds(seconds)
    }

    #[test]
    fn the_retry_delay_doubles_up_to_five_minutes() {
        let delays: Vec<i64> = (0..=10).map(|n| retry_delay(n).num_seconds()).collect();
        assert_eq!(delays, [1, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300]);
        assert_eq!(retry_delay(i32::MAX), Duration::minutes(5));
        assert_eq!(retry_delay(-3), Duration::seconds(1));
    }

    #[test]
    fn a_new_row_is_due_and_a_published_or_parked_one_never() {
        let fresh = Delivery::default();
        assert!(fresh.is_waiting() && fresh.is_due(at(0)));
        let mut published = fresh.clone();
        published.publish(at(5));
        assert_eq!(published.published_at, Some(at(5)));
        assert!(!published.is_waiting() && !published.is_due(at(10)));
        let mut parked = fresh;
        parked.park("unknown event type".into(), at(5));
        assert_eq!((parked.attempts, parked.last_error.as_deref()), (1, Some("unknown event type")));
        assert_eq!(parked.parked_at, Some(at(5)));
        assert!(!parked.is_waiting() && !parked.is_due(at(10)));
    }

    #[test]
    fn an_outage_keeps_the_row_due() {
        let mut row = Delivery::default();
        for attempt in 1..=3 {
            row.fail(PublishFailure::Unavailable, "connection refused", at(attempt.into()));
            assert_eq!(row.attempts, attempt);
            assert_eq!(row.last_error.as_deref(), Some("connection refused"));
            assert_eq!(row.next_attempt_at, None);
            assert!(row.is_due(at(attempt.into())));
        }
    }

    #[test]
    fn a_refused_row_waits_longer_after_every_refusal() {
        let mut row = Delivery::default();
        row.fail(PublishFailure::Refused, "queue full", at(100));
        assert_eq!((row.attempts, row.next_attempt_at), (1, Some(at(101))));
        assert!(!row.is_due(at(100)) && row.is_due(at(101)) && row.is_waiting());
        row.fail(PublishFailure::Refused, "queue full", at(101));
        assert_eq!((row.attempts, row.next_attempt_at), (2, Some(at(103))));
        // An outage after a refusal makes it due again at once.
        row.fail(PublishFailure::Unavailable, "connection refused", at(103));
        assert_eq!((row.attempts, row.next_attempt_at), (3, None));
        row.publish(at(104));
        assert_eq!((row.published_at, row.next_attempt_at, row.attempts), (Some(at(104)), None, 3));
    }
}
