//! Traces over OTLP (docs/operations.md). With an OTLP endpoint set (`OTEL_EXPORTER_OTLP_ENDPOINT`
//! or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), the spans of requests, queries, Redis commands,
//! password hashing and event publishing are exported by OpenTelemetry's batch processor (a
//! thread of its own) over OTLP/HTTP with protobuf, and the W3C trace context (`traceparent`,
//! `tracestate`) is read from requests and written into the events' AMQP headers. Without an
//! endpoint there is no exporter, no layer and no propagator: nothing of this runs.
//!
//! The SDK reads its standard variables itself (endpoint, `OTEL_EXPORTER_OTLP_HEADERS`,
//! `OTEL_EXPORTER_OTLP_TIMEOUT`, `OTEL_TRACES_SAMPLER`/`_ARG`, `OTEL_BSP_*`,
//! `OTEL_RESOURCE_ATTRIBUTES`); `crate::config::OtelConfig` has checked them first.

use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::http::header::HeaderMap;
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::config::OtelConfig;

/// Whether spans are exported: set once, by [`start`]. The request span declares its
/// OpenTelemetry fields only then, so the logs of a service without traces stay as they were.
static EXPORTING: AtomicBool = AtomicBool::new(false);

/// Whether spans are exported (this process called [`start`] with an endpoint).
pub fn exporting() -> bool {
    EXPORTING.load(Ordering::Relaxed)
}

/// The exporter and its batch processor, running.
pub struct Traces {
    provider: SdkTracerProvider,
}

/// Starts the exporter and installs the W3C propagator when `config` has an endpoint;
/// `None` (nothing started) when it has none.
pub fn start(config: &OtelConfig) -> anyhow::Result<Option<Traces>> {
    let Some((var, _)) = &config.endpoint else { return Ok(None) };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .build()
        .map_err(|e| anyhow::anyhow!("{var}: cannot set up the OTLP exporter: {e}"))?;
    let mut resource =
        Resource::builder().with_attribute(opentelemetry::KeyValue::new("service.version", env!("CARGO_PKG_VERSION")));
    if let Some(name) = &config.service_name {
        resource = resource.with_service_name(name.clone());
    }
    let provider = SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource.build()).build();
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    EXPORTING.store(true, Ordering::Relaxed);
    Ok(Some(Traces { provider }))
}

impl Traces {
    /// The tracer `crate::telemetry`'s OpenTelemetry layer hands spans to.
    pub fn tracer(&self) -> SdkTracer {
        self.provider.tracer("identity")
    }

    /// Exports the spans still buffered and stops the exporter: the last step of a graceful
    /// stop, after the relays published their last events. Blocks until the export is done
    /// (at most `OTEL_EXPORTER_OTLP_TIMEOUT`, 10 s by default).
    pub fn shutdown(self) {
        if let Err(error) = self.provider.shutdown() {
            tracing::warn!(%error, "the last spans could not be exported");
        }
    }
}

/// Makes `span` a child of the trace the request's `traceparent` (and `tracestate`) name, if
/// it names one. Call it before the span is first entered.
pub fn continue_trace(span: &tracing::Span, headers: &HeaderMap) {
    let parent = opentelemetry::global::get_text_map_propagator(|propagator| propagator.extract(&Headers(headers)));
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
}

/// Names the exported span of `span` (`POST /v1/auth/register`, once the route is known): a
/// span already started takes no `otel.name` any more.
pub fn rename(span: &tracing::Span, name: String) {
    span.context().span().update_name(name);
}

/// A request's headers, as the propagator reads them.
struct Headers<'a>(&'a HeaderMap);

impl opentelemetry::propagation::Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|name| name.as_str()).collect()
    }
}
