//! Rate limits at the edge: which client a request is from (trusted proxies), the `auth`
//! bucket check, and the `RateLimit-*` headers (IETF draft `RateLimit` header fields).

use std::net::IpAddr;

use actix_web::{HttpRequest, HttpResponse};
use identity_core::ports::RateDecision;

use crate::error::ApiError;

/// The client's address: the peer, or — when the peer is a trusted proxy — the right-most
/// `X-Forwarded-For` entry that is not itself a trusted proxy.
pub fn client_ip(req: &HttpRequest, trusted: &[ipnet::IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|ip| ip.trim().parse().ok())
        .collect();
    forwarded.iter().rev().find(|ip| !is_trusted(ip)).or(forwarded.first()).copied().or(Some(peer))
}

/// `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (seconds).
pub fn rate_headers(decision: &RateDecision) -> Vec<(&'static str, String)> {
    vec![
        ("RateLimit-Limit", decision.limit.to_string()),
        ("RateLimit-Remaining", decision.remaining.to_string()),
        ("RateLimit-Reset", (decision.reset_after.as_secs_f64().ceil() as u64).to_string()),
    ]
}

/// A passed rate-limit check; its headers go on the answer, success or error.
pub struct Limited(pub RateDecision);

impl Limited {
    pub fn apply(self, result: Result<HttpResponse, ApiError>) -> Result<HttpResponse, ApiError> {
        let headers = rate_headers(&self.0);
        match result {
            Ok(mut response) => {
                for (name, value) in headers {
                    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&value) {
                        response
                            .headers_mut()
                            .insert(actix_web::http::header::HeaderName::from_static(lower(name)), value);
                    }
                }
                Ok(response)
            }
            Err(error) => Err(headers.into_iter().fold(error, |e, (name, value)| e.with_header(name, value))),
        }
    }
}

fn lower(name: &'static str) -> &'static str {
    match name {
        "RateLimit-Limit" => "ratelimit-limit",
        "RateLimit-Remaining" => "ratelimit-remaining",
        _ => "ratelimit-reset",
    }
}

/// The answer of a flow guarded by the `auth` bucket: `ok` makes the success response, and
/// the bucket's `RateLimit-*` headers go on it, success or error (a refusal carries its own).
pub fn limited<T>(
    answer: Result<identity_core::usecases::Limited<T>, identity_core::usecases::CoreError>,
    ok: impl FnOnce(T) -> HttpResponse,
) -> Result<HttpResponse, ApiError> {
    let answer = answer?;
    Limited(answer.decision).apply(answer.outcome.map(ok).map_err(ApiError::from))
}
