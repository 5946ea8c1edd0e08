//! Forwarding one request and streaming both bodies, with timeouts.
//!
//! Neither body is held: the client's body goes to the upstream chunk by chunk through a
//! bounded channel (actix's `Payload` lives on the worker's thread, reqwest wants a `Send`
//! stream), and the upstream's answer goes back to the client as it arrives. Memory per
//! request is a few chunks, whatever the size of the bodies.
//!
//! Timeouts: connecting may take `connect_timeout`; after that the upstream must make progress
//! at least every `timeout` — answer its status and headers within `timeout` of the last
//! chunk of the request body it took, then send each chunk of its body within `timeout` of the
//! previous one. A slow upstream is [`ProxyError::Timeout`] before the answer started; after
//! that, the client's connection is cut (the status was already sent).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use actix_web::body::SizedStream;
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::{Stream, StreamExt};
use tokio::time::Instant;
use tracing::Instrument;
use url::Url;

/// How the proxy talks to upstreams.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Longest wait for a TCP (and TLS) connection to an upstream.
    pub connect_timeout: Duration,
    /// Longest silence of an upstream once connected (see the module's documentation).
    pub timeout: Duration,
}

/// Chunks of a request body in flight between the client and the upstream.
const CHANNEL_CHUNKS: usize = 8;

/// Why a request could not be forwarded.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// Connection refused, no such host, reset, or an answer that is not HTTP.
    #[error("the upstream {upstream} could not be reached")]
    Unreachable {
        upstream: String,
        #[source]
        source: reqwest::Error,
    },
    /// No connection within the connect timeout, or no answer within the timeout.
    #[error("the upstream {upstream} did not answer within {after:?}")]
    Timeout { upstream: String, after: Duration },
    /// The client's body broke off (its connection, or a malformed chunked body).
    #[error("the request body could not be read")]
    ClientBody,
}

/// Marks an answer that is the upstream's (in the response's extensions): error statuses in it
/// are the upstream's to shape, not the framework's.
#[derive(Debug, Clone, Copy)]
pub struct Proxied;

/// The HTTP client of the proxy: one connection pool for every upstream.
#[derive(Debug, Clone)]
pub struct Proxy {
    client: reqwest::Client,
    settings: Settings,
}

impl Proxy {
    pub fn new(settings: Settings) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            // A proxy passes redirects on; it never follows them itself.
            .redirect(reqwest::redirect::Policy::none())
            // Upstreams are reached directly, whatever HTTP_PROXY says.
            .no_proxy()
            .tcp_nodelay(true)
            .build()?;
        Ok(Self { client, settings })
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Sends `req` (its method, `headers` as [`crate::headers::request_headers`] made them, and
    /// its body from `payload`) to `target` and answers with what the upstream answered,
    /// its body streamed.
    pub async fn forward(
        &self,
        req: &HttpRequest,
        payload: web::Payload,
        target: Url,
        headers: reqwest::header::HeaderMap,
    ) -> Result<HttpResponse, ProxyError> {
        let upstream = origin(&target);
        let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes()).unwrap_or(reqwest::Method::GET);
        let span = tracing::info_span!(
            "proxy",
            otel.name = %format_args!("{method} {upstream}"),
            otel.kind = "client",
            http.request.method = %method,
            server.address = %upstream,
            http.response.status_code = tracing::field::Empty,
        );
        let mut headers = headers;
        trace_context(&mut headers, &span);
        let started = Instant::now();
        let activity = Arc::new(Activity::default());
        let client_failed = Arc::new(AtomicBool::new(false));
        let mut request = self.client.request(method, target).headers(headers);
        if has_body(req) {
            request = request.body(reqwest::Body::wrap_stream(upload(
                payload,
                started,
                activity.clone(),
                client_failed.clone(),
            )));
        }
        let send = request.send().instrument(span.clone());
        tokio::pin!(send);
        // The upstream must answer within `timeout` of the last chunk of the body it took.
        let answer = loop {
            let deadline = activity.last(started) + self.settings.timeout;
            tokio::select! {
                answer = &mut send => break answer,
                () = tokio::time::sleep_until(deadline) => {
                    if activity.last(started) + self.settings.timeout <= Instant::now() {
                        return Err(ProxyError::Timeout { upstream, after: self.settings.timeout });
                    }
                }
            }
        };
        let answer = match answer {
            Ok(answer) => answer,
            Err(_) if client_failed.load(Ordering::SeqCst) => return Err(ProxyError::ClientBody),
            Err(source) if source.is_timeout() => {
                return Err(ProxyError::Timeout { upstream, after: self.settings.connect_timeout });
            }
            Err(source) => return Err(ProxyError::Unreachable { upstream, source }),
        };
        let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
        span.record("http.response.status_code", status.as_u16());
        let mut response = HttpResponse::build(status);
        for header in crate::headers::response_headers(answer.headers()) {
            response.append_header(header);
        }
        let length = answer
            .headers()
            .get(reqwest::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let body = idle_timeout(answer.bytes_stream(), self.settings.timeout);
        let mut response = match length {
            Some(length) => response.body(SizedStream::new(length, body)),
            None => response.streaming(body),
        };
        response.extensions_mut().insert(Proxied);
        Ok(response)
    }
}

/// `scheme://host:port` of a URL, for messages (never its path or query).
fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// Whether the request has a body to forward: it declares a length or a transfer coding.
fn has_body(req: &HttpRequest) -> bool {
    req.headers().contains_key(actix_web::http::header::TRANSFER_ENCODING)
        || req.headers().contains_key(actix_web::http::header::CONTENT_LENGTH)
}

/// When the upstream last made progress, as milliseconds after the request started.
#[derive(Debug, Default)]
struct Activity(AtomicU64);

impl Activity {
    fn touch(&self, started: Instant) {
        let elapsed = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.0.fetch_max(elapsed, Ordering::Relaxed);
    }

    fn last(&self, started: Instant) -> Instant {
        started + Duration::from_millis(self.0.load(Ordering::Relaxed))
    }
}

type BodyStream = Pin<Box<dyn Stream<Item = Result<Bytes, io::Error>> + Send>>;

/// The client's body as a `Send` stream: a task on the worker's thread reads the payload into
/// a bounded channel, so at most [`CHANNEL_CHUNKS`] chunks wait for a slow upstream.
fn upload(
    payload: web::Payload,
    started: Instant,
    activity: Arc<Activity>,
    client_failed: Arc<AtomicBool>,
) -> BodyStream {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, io::Error>>(CHANNEL_CHUNKS);
    let mut payload = payload.into_inner();
    actix_web::rt::spawn(async move {
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| {
                client_failed.store(true, Ordering::SeqCst);
                io::Error::other(e.to_string())
            });
            let failed = chunk.is_err();
            // The upstream stopped reading (it answered, or failed): stop too.
            if tx.send(chunk).await.is_err() || failed {
                break;
            }
        }
    });
    Box::pin(futures_util::stream::unfold(rx, move |mut rx| {
        let activity = activity.clone();
        async move {
            let chunk = rx.recv().await?;
            // Taken by the upstream: the answer's deadline moves on.
            activity.touch(started);
            Some((chunk, rx))
        }
    }))
}

/// The upstream's body, cut off when it sends nothing for `idle`.
fn idle_timeout(body: impl Stream<Item = reqwest::Result<Bytes>> + Send + 'static, idle: Duration) -> BodyStream {
    let body = Box::pin(body);
    Box::pin(futures_util::stream::unfold(Some(body), move |body| async move {
        let mut body = body?;
        match tokio::time::timeout(idle, body.next()).await {
            Ok(Some(Ok(chunk))) => Some((Ok(chunk), Some(body))),
            Ok(Some(Err(error))) => Some((Err(io::Error::other(error)), None)),
            Ok(None) => None,
            Err(_) => Some((Err(io::Error::new(io::ErrorKind::TimedOut, "the upstream went silent")), None)),
        }
    }))
}

/// With exported traces, the upstream gets the trace context of the `proxy` span (a child of
/// the request's) instead of the caller's `traceparent`/`tracestate`; without, the headers are
/// left as they are (the caller's pass through).
fn trace_context(headers: &mut reqwest::header::HeaderMap, span: &tracing::Span) {
    use opentelemetry::trace::TraceContextExt;
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    let cx = span.context();
    if !cx.span().span_context().is_valid() {
        return;
    }
    let mut fields: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    opentelemetry::global::get_text_map_propagator(|propagator| propagator.inject_context(&cx, &mut fields));
    headers.remove("tracestate");
    for (name, value) in fields {
        if let (Ok(name), Ok(value)) =
            (reqwest::header::HeaderName::from_bytes(name.as_bytes()), reqwest::header::HeaderValue::from_str(&value))
        {
            headers.insert(name, value);
        }
    }
}
