//! Create requests made with an `Idempotency-Key`, as the transaction that creates the
//! resource records them.
//!
//! The HTTP layer keeps each keyed request's answer in the code store and replays it to a
//! retry. That record is written after the creating transaction commits, so a replica that
//! dies between the two leaves a resource without an answer: the retry would run again and
//! be told the address (or name) is taken. The creating transaction therefore also records
//! the request, and a retry that finds no answer finds this record and answers with the
//! resource it made.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

/// How long a keyed create request is remembered: as long as its answer is kept.
pub const REQUEST_KEY_TTL: Duration = Duration::hours(24);

/// A keyed request as the caller identifies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestKey {
    /// Who made it, on which route, with which key (an opaque digest made by the caller; at
    /// most 512 characters).
    pub key: String,
    /// A digest of the request body: the same key with another body is a different request.
    pub fingerprint: String,
}

/// A keyed request that created `resource` at `at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    pub key: String,
    pub fingerprint: String,
    pub resource: Uuid,
    pub at: DateTime<Utc>,
}

impl RequestRecord {
    /// Whether a retry at `now` still gets what this request made.
    pub fn is_current(&self, now: DateTime<Utc>) -> bool {
        now - self.at < REQUEST_KEY_TTL
    }
}
