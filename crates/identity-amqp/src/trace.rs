//! W3C trace context in the messages' headers (docs/operations.md, traces): the publisher
//! writes `traceparent` (and `tracestate`) of each message's `publish` span, which continues
//! the trace the event was recorded in; a consumer's span takes its parent from them. Without
//! exported traces (no `OTEL_EXPORTER_OTLP_ENDPOINT`) the propagator is a no-op: no header is
//! written, none is read.

use std::collections::HashMap;

use identity_core::ports::TraceContext;
use lapin::types::{AMQPValue, FieldTable};
use opentelemetry::trace::TraceContextExt;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The `publish` span (producer) of one event, a child of the trace it was recorded in (or of
/// the current span, when it was recorded in none).
pub(crate) fn publish_span(
    exchange: &str,
    event: &identity_core::DomainEvent,
    recorded: Option<&TraceContext>,
) -> tracing::Span {
    let event_type = event.event_type.as_str();
    let span = tracing::info_span!(
        "publish",
        otel.name = %format_args!("{exchange} publish"),
        otel.kind = "producer",
        messaging.system = "rabbitmq",
        messaging.operation.type = "send",
        messaging.destination.name = exchange,
        messaging.rabbitmq.destination.routing_key = event_type,
        messaging.message.id = %event.id,
    );
    if let Some(recorded) = recorded {
        let mut fields = HashMap::from([("traceparent".to_owned(), recorded.traceparent.clone())]);
        if let Some(state) = &recorded.tracestate {
            fields.insert("tracestate".to_owned(), state.clone());
        }
        continue_trace(&span, &fields);
    }
    span
}

/// Makes the trace `fields` (W3C `traceparent`, `tracestate`) carry the parent of `span`, when
/// they hold a valid one.
fn continue_trace(span: &tracing::Span, fields: &HashMap<String, String>) {
    let parent = opentelemetry::global::get_text_map_propagator(|propagator| propagator.extract(fields));
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
}

/// `span`'s trace context as message headers; empty outside an exported trace.
pub(crate) fn headers(span: &tracing::Span) -> Option<FieldTable> {
    let cx = span.context();
    if !cx.span().span_context().is_valid() {
        return None;
    }
    let mut fields: HashMap<String, String> = HashMap::new();
    opentelemetry::global::get_text_map_propagator(|propagator| propagator.inject_context(&cx, &mut fields));
    let mut headers = FieldTable::default();
    for (name, value) in fields {
        headers.insert(name.into(), AMQPValue::LongString(value.into()));
    }
    (!headers.inner().is_empty()).then_some(headers)
}

/// The `consume` span (consumer) of a delivery, a child of the trace its headers carry.
pub(crate) fn consume_span(queue: &str, headers: Option<&FieldTable>) -> tracing::Span {
    let span = tracing::info_span!(
        "consume",
        otel.name = %format_args!("{queue} process"),
        otel.kind = "consumer",
        messaging.system = "rabbitmq",
        messaging.operation.type = "process",
        messaging.destination.name = queue,
    );
    let fields: HashMap<String, String> = headers
        .map(|headers| {
            headers
                .inner()
                .iter()
                .filter(|(name, _)| matches!(name.as_str(), "traceparent" | "tracestate"))
                .filter_map(|(name, value)| match value {
                    AMQPValue::LongString(text) => Some((name.to_string(), text.to_string())),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    if !fields.is_empty() {
        continue_trace(&span, &fields);
    }
    span
}
