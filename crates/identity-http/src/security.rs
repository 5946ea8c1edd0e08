//! Browser-facing protections: CORS for the configured origins, the CSRF origin check for
//! cookie-authenticated unsafe requests, and security headers on every answer.

use actix_cors::Cors;
use actix_web::HttpRequest;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;

use crate::error::ApiError;

/// The API's own origin as the browser sees it (`scheme://host[:port]`).
fn own_origin(scheme: &str, host: &str) -> String {
    format!("{scheme}://{host}")
}

/// CORS: the configured origins (and the API's own) may call with credentials; any other
/// origin gets no CORS headers, so the browser keeps the answer from it.
pub fn cors(allowed: Vec<String>) -> Cors {
    Cors::default()
        .allowed_origin_fn(move |origin, head| {
            let Ok(origin) = origin.to_str() else { return false };
            if allowed.iter().any(|a| a == origin) {
                return true;
            }
            let host = head.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
            origin == own_origin("https", host) || origin == own_origin("http", host)
        })
        .allowed_methods([Method::GET, Method::POST, Method::PATCH, Method::PUT, Method::DELETE])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            HeaderName::from_static("x-auth-token"),
            HeaderName::from_static("x-request-id"),
            header::RETRY_AFTER,
            HeaderName::from_static("ratelimit-limit"),
            HeaderName::from_static("ratelimit-remaining"),
            HeaderName::from_static("ratelimit-reset"),
            header::LOCATION,
            HeaderName::from_static("idempotent-replayed"),
        ])
        .supports_credentials()
        .max_age(600)
        .block_on_origin_mismatch(false)
}

/// CSRF: an unsafe request authenticated by a cookie must come from the API's own origin or
/// an allowed one. Browsers always send `Origin` on such requests; its absence is refused.
pub fn check_origin(req: &HttpRequest, allowed: &[String]) -> Result<(), ApiError> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let refused = || {
        ApiError::new(
            crate::error::ProblemCode::CsrfRejected,
            "cookie-authenticated requests must come from an allowed origin",
        )
    };
    let origin = req.headers().get(header::ORIGIN).and_then(|o| o.to_str().ok()).ok_or_else(refused)?;
    let info = req.connection_info();
    if origin == own_origin(info.scheme(), info.host()) || allowed.iter().any(|a| a == origin) {
        Ok(())
    } else {
        Err(refused())
    }
}

const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/// Swagger UI: its own scripts and styles only (its inline style attributes need
/// 'unsafe-inline' for styles; no inline script is allowed).
const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                        connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/// Security headers on every answer.
pub async fn headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let docs = req.path().starts_with("/docs");
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    let csp = if docs { DOCS_CSP } else { API_CSP };
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CONTENT_SECURITY_POLICY, csp),
        (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
        (HeaderName::from_static("permissions-policy"), "interest-cohort=()"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    Ok(res)
}
