//! Prometheus metrics: `GET /metrics` renders what every part of the process recorded through
//! the `metrics` facade (one recorder per process), plus gauges read at scrape time (the
//! process, and the pools and outbox of `crate::gauges`). `docs/operations.md` lists every
//! series and what to alert on.

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::state::AppState;

/// Upper bounds of the latency histograms, in seconds.
const LATENCY_BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// The process's recorder (installed on first use; every server of the process shares it).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &LATENCY_BUCKETS)
            .map(PrometheusBuilder::build_recorder)
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        let handle = recorder.handle();
        // Fails only when another recorder is installed already (then its series are not ours).
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics shows only scrape-time gauges");
        }
        describe();
        handle
    })
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!("identity_http_requests_total", "HTTP requests by method, route template and status class");
    describe_histogram!(
        "identity_http_request_duration_seconds",
        Unit::Seconds,
        "HTTP request latency by method, route template and status class"
    );
    describe_counter!("identity_auth_outcomes_total", "Outcomes of login, token, registration and refresh by result");
    describe_counter!("identity_rate_limited_total", "Requests refused by a rate limit, by bucket and route");
    describe_counter!("identity_load_shed_total", "Requests shed because a resource was saturated, by reason");
    describe_histogram!("identity_password_hash_duration_seconds", Unit::Seconds, "Time one Argon2 hash takes");
    describe_histogram!(
        "identity_password_hash_queue_wait_seconds",
        Unit::Seconds,
        "Time a password hash waited for a hashing slot"
    );
    describe_gauge!("identity_outbox_backlog", "Outbox rows waiting to be published");
    describe_gauge!("identity_outbox_oldest_unpublished_age_seconds", Unit::Seconds, "Age of the oldest waiting row");
    describe_gauge!("identity_outbox_parked", "Outbox rows the relay could not decode and set aside");
    describe_counter!(
        identity_amqp::REFUSED,
        "Events RabbitMQ did not take (returned unroutable, or nacked) by reason and type; each is retried"
    );
    describe_gauge!(identity_gateway::metric::CONNECTIONS, "Open WebSockets (GET /v1/ws)");
    describe_counter!(identity_gateway::metric::FRAMES_SENT, "Frames written to WebSockets");
    describe_counter!(
        identity_gateway::metric::FRAMES_DROPPED,
        "Frames not delivered to a WebSocket (its send buffer was full, or the gateway fell behind the bus)"
    );
    describe_counter!(
        identity_gateway::metric::SLOW_CONSUMERS,
        "WebSockets closed (1008) because they did not read fast enough"
    );
    describe_counter!(identity_gateway::metric::REFUSED, "WebSocket upgrades refused by a limit, by reason");
    describe_gauge!("identity_pool_connections", "Connections of a pool by pool and state (in_use, idle, max)");
    describe_gauge!("process_resident_memory_bytes", Unit::Bytes, "Resident memory");
    describe_gauge!("process_virtual_memory_bytes", Unit::Bytes, "Virtual memory");
    describe_gauge!("process_cpu_seconds_total", Unit::Seconds, "User and system CPU time");
    describe_gauge!("process_open_fds", "Open file descriptors");
    describe_gauge!("process_threads", "Threads");
    describe_gauge!("process_start_time_seconds", Unit::Seconds, "Start time since the Unix epoch");
    identity_worker::describe_metrics();
}

/// The status class label of a status code (`2xx`, `4xx`, …): bounded, unlike the code.
pub fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// The flow a route's outcome is counted for, when it is one of the sign-in flows.
pub fn flow_of(route: &str) -> Option<&'static str> {
    match route {
        "/v1/auth/login" => Some("login"),
        "/v1/auth/token" => Some("token"),
        "/v1/auth/register" | "/v1/auth/register/request" | "/v1/auth/register/confirm" => Some("registration"),
        "/v1/auth/refresh" => Some("refresh"),
        _ => None,
    }
}

/// Counts one answered request: its method, route template and status class, its latency, and
/// for the sign-in flows its outcome (`ok`, or the problem code) and rate-limit refusals.
pub fn record_request(method: &str, route: &str, status: u16, seconds: f64, code: Option<&str>) {
    let class = status_class(status);
    let labels = [("method", method.to_owned()), ("route", route.to_owned()), ("status", class.to_owned())];
    metrics::counter!("identity_http_requests_total", &labels).increment(1);
    metrics::histogram!("identity_http_request_duration_seconds", &labels).record(seconds);
    if code == Some("rate_limited") {
        metrics::counter!("identity_rate_limited_total", "bucket" => "auth", "route" => route.to_owned()).increment(1);
    }
    if let Some(flow) = flow_of(route) {
        let result = match code {
            Some(code) => code.to_owned(),
            None if class == "2xx" => "ok".to_owned(),
            None => class.to_owned(),
        };
        metrics::counter!("identity_auth_outcomes_total", "flow" => flow, "result" => result).increment(1);
    }
}

/// `GET /metrics` (Prometheus text format 0.0.4).
pub async fn render(state: web::Data<AppState>) -> HttpResponse {
    let handle = handle();
    crate::process_stats::record();
    for gauge in &state.gauges {
        gauge.record().await;
    }
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(handle.render())
}
