//! The request id and one access line per request.
//!
//! Every request gets an id: the client's `X-Request-Id` when it is a plausible one (1–128
//! characters of `A–Z a–z 0–9 . _ : -`), a new UUIDv7 otherwise. It is echoed as
//! `X-Request-Id` and is on every log line written while the request runs (the `request`
//! span). When the answer is ready one line is written (target `access`): request id, method,
//! route template (never the raw path or the query: they can hold ids, tokens or addresses;
//! requests that match no route are `unmatched`), status, duration and client address. Client
//! errors (4xx) are ordinary answers and log at INFO; server errors log at ERROR with the
//! cause chain. A request whose head does not parse never gets here (actix-http answers it 400,
//! or 431 for a head too large): `crate::telemetry` writes its access line. With traces
//! exported (`crate::otel`), the `request` span is the request's server span, a child of the
//! caller's `traceparent`.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use tracing::Instrument;

use crate::error::ApiError;
use crate::state::AppState;

/// The outcome code of an answer that is not a problem document (the token endpoint's RFC 6749
/// errors), set by the handler in the response's extensions for the outcome metrics.
#[derive(Debug, Clone, Copy)]
pub struct Outcome(pub &'static str);

/// The id of the request being served (in the request's extensions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The client's id when it is one we can log and echo safely.
fn client_request_id(value: &HeaderValue) -> Option<String> {
    let id = value.to_str().ok()?;
    let plausible = (1..=128).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
    plausible.then(|| id.to_owned())
}

/// The route template of a request (`/v1/admin/users/{id}`), `unmatched` when no route took it.
pub fn route_of(req: &actix_web::HttpRequest) -> String {
    req.match_pattern().unwrap_or_else(|| "unmatched".to_owned())
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req.headers().get(&HEADER).and_then(client_request_id).unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let client = req
        .app_data::<web::Data<AppState>>()
        .and_then(|state| crate::client::client_ip(req.request(), &state.trusted_proxies))
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    let method = req.method().to_string();
    let traced = crate::otel::exporting();
    let span = if traced {
        // A server span of the trace the request's `traceparent` names (or of a new one),
        // named `METHOD /route/{template}` once the route is known.
        let span = tracing::info_span!(
            "request",
            request_id = %id,
            otel.name = %method,
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            http.request.method = %method,
            http.route = tracing::field::Empty,
            http.response.status_code = tracing::field::Empty,
        );
        crate::otel::continue_trace(&span, req.headers());
        span
    } else {
        tracing::info_span!("request", request_id = %id)
    };
    let started = Instant::now();
    let outcome = next.call(req).instrument(span.clone()).await;
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    let _entered = span.enter();
    match outcome {
        Ok(mut res) => {
            let status = res.status().as_u16();
            let route = route_of(res.request());
            let code = res
                .response()
                .error()
                .and_then(|e| e.as_error::<ApiError>())
                .map(ApiError::code)
                .or_else(|| res.response().extensions().get::<Outcome>().map(|o| o.0));
            crate::metrics::record_request(&method, &route, status, duration_ms / 1000.0, code);
            if traced {
                crate::otel::rename(&span, format!("{method} {route}"));
                span.record("http.route", route.as_str());
                span.record("http.response.status_code", status);
                if res.status().is_server_error() {
                    span.record("otel.status_code", "ERROR");
                }
            }
            // `/ready` answering 503 reports a state (a dependency down, or draining), it is not
            // a failure of the request: the readiness check logs what is down.
            if res.status().is_server_error() && route != "/ready" {
                let cause = res.response().error().map(cause_chain).unwrap_or_default();
                tracing::error!(target: "access", method, route, status, duration_ms, client, cause, "request failed");
            } else {
                tracing::info!(target: "access", method, route, status, duration_ms, client, "request");
            }
            if let Ok(value) = HeaderValue::from_str(&id) {
                res.headers_mut().insert(HEADER, value);
            }
            Ok(res)
        }
        Err(error) => {
            // An error no handler turned into an answer: actix answers it with its status.
            let status = error.as_response_error().status_code().as_u16();
            let cause = cause_chain(&error);
            let code = error.as_error::<ApiError>().map(ApiError::code);
            crate::metrics::record_request(&method, "unmatched", status, duration_ms / 1000.0, code);
            if traced {
                crate::otel::rename(&span, format!("{method} unmatched"));
                span.record("http.response.status_code", status);
                if status >= 500 {
                    span.record("otel.status_code", "ERROR");
                }
            }
            if status >= 500 {
                tracing::error!(target: "access", method, route = "unmatched", status, duration_ms, client, cause, "request failed");
            } else {
                tracing::info!(target: "access", method, route = "unmatched", status, duration_ms, client, "request");
            }
            Err(error)
        }
    }
}

/// What went wrong, outermost first (`a: b: c`), for a server error's log line.
fn cause_chain(error: &actix_web::Error) -> String {
    match error.as_error::<ApiError>() {
        Some(api) => api.cause_chain(),
        None => error.to_string(),
    }
}
