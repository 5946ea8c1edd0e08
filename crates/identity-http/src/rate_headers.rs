//! The `RateLimit-*` header fields (IETF draft `RateLimit` header fields) of a rate-limit
//! decision: on a refusal (`error`), on the answer of a flow that passed its check (`limits`)
//! and on the token endpoint's answers (`routes::oauth`).

use identity_core::ports::RateDecision;

/// `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (seconds).
pub fn rate_headers(decision: &RateDecision) -> Vec<(&'static str, String)> {
    vec![
        ("RateLimit-Limit", decision.limit.to_string()),
        ("RateLimit-Remaining", decision.remaining.to_string()),
        ("RateLimit-Reset", (decision.reset_after.as_secs_f64().ceil() as u64).to_string()),
    ]
}
