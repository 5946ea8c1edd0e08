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

/// The methods a cross-origin caller may use, in the order `Access-Control-Allow-Methods`
/// lists them.
const ALLOWED_METHODS: [&str; 5] = ["GET", "POST", "PATCH", "PUT", "DELETE"];

/// The request headers a cross-origin caller may send, in the order
/// `Access-Control-Allow-Headers` lists them.
const ALLOWED_HEADERS: [&str; 5] = ["authorization", "content-type", "accept", "idempotency-key", "x-request-id"];

/// The response headers a cross-origin caller may read, in the order
/// `Access-Control-Expose-Headers` lists them.
const EXPOSED_HEADERS: [&str; 8] = [
    "x-auth-token",
    "x-request-id",
    "retry-after",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
    "location",
    "idempotent-replayed",
];

/// CORS: the configured origins (and the API's own) may call with credentials; any other
/// origin gets no CORS headers, so the browser keeps the answer from it. The lists it answers
/// are put in their declared order by [`cors_lists`].
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
        .allowed_methods(ALLOWED_METHODS)
        .allowed_headers(ALLOWED_HEADERS.map(HeaderName::from_static))
        .expose_headers(EXPOSED_HEADERS.map(HeaderName::from_static))
        .supports_credentials()
        .max_age(600)
        .block_on_origin_mismatch(false)
}

/// The CORS lists in their declared order (wraps [`cors`]). actix-cors keeps each list in a
/// `HashSet` and joins it in that set's order, which differs from one worker, process and
/// start to the next: the same answer would carry the same names in another order each time.
/// Where it wrote a list, this writes the declared one instead.
pub async fn cors_lists(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    static LISTS: std::sync::OnceLock<[(HeaderName, HeaderValue); 3]> = std::sync::OnceLock::new();
    let lists = LISTS.get_or_init(|| {
        let join = |names: &[&str]| HeaderValue::from_str(&names.join(", ")).unwrap_or(HeaderValue::from_static(""));
        [
            (header::ACCESS_CONTROL_ALLOW_METHODS, join(&ALLOWED_METHODS)),
            (header::ACCESS_CONTROL_ALLOW_HEADERS, join(&ALLOWED_HEADERS)),
            (header::ACCESS_CONTROL_EXPOSE_HEADERS, join(&EXPOSED_HEADERS)),
        ]
    });
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    for (name, value) in lists {
        if headers.contains_key(name) {
            headers.insert(name.clone(), value.clone());
        }
    }
    Ok(res)
}

/// CSRF: an unsafe request authenticated by a cookie must come from the API's own origin or
/// an allowed one. Browsers always send `Origin` on such requests; its absence is refused.
pub fn check_origin(req: &HttpRequest, allowed: &[String]) -> Result<(), ApiError> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    check_socket_origin(req, allowed)
}

/// The origin check of a cookie-authenticated WebSocket upgrade (a `GET`, yet a page of any
/// site could open it with the user's cookie): the `Origin` must be the API's own or allowed.
pub fn check_socket_origin(req: &HttpRequest, allowed: &[String]) -> Result<(), ApiError> {
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
    let csp = match req.path() {
        path if path.starts_with("/docs") => DOCS_CSP,
        // The pages mailed links open: their own script, style sheet and API calls.
        path if crate::pages::serves(path) => crate::pages::CSP,
        _ => API_CSP,
    };
    let mut res = next.call(req).await?;
    // An upstream's answer through the built-in proxy keeps its own policy (an app's CSP, a
    // page that may be framed); ours fills in only what it left out.
    let proxied = res.response().extensions().get::<identity_proxy::Proxied>().is_some();
    let headers = res.headers_mut();
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CONTENT_SECURITY_POLICY, csp),
        (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
        (HeaderName::from_static("permissions-policy"), "interest-cohort=()"),
    ] {
        if !(proxied && headers.contains_key(&name)) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    Ok(res)
}
