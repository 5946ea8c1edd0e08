//! The answers of the flows the `auth` bucket guards: the bucket's `RateLimit-*` headers go on
//! every answer, success or error.

use actix_web::HttpResponse;
use identity_core::ports::RateDecision;

use crate::error::ApiError;
use crate::rate_headers::rate_headers;

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
