//! Traces (docs/operations.md): the trace context an event is recorded in, kept in its outbox
//! row, and a span per query of a traced request. Both do nothing unless traces are exported
//! (`OTEL_EXPORTER_OTLP_ENDPOINT`): without OpenTelemetry's layer the current span belongs to
//! no trace, so nothing is captured and no query is instrumented.

use std::collections::HashMap;

use diesel::connection::{Instrumentation, InstrumentationEvent};
use identity_core::ports::TraceContext;
use opentelemetry::trace::TraceContextExt;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Whether the current span belongs to an exported trace.
pub(crate) fn traced() -> bool {
    tracing::Span::current().context().span().span_context().is_valid()
}

/// The W3C trace context of the current span, when it belongs to an exported trace.
pub(crate) fn current() -> Option<TraceContext> {
    let cx = tracing::Span::current().context();
    if !cx.span().span_context().is_valid() {
        return None;
    }
    let mut fields: HashMap<String, String> = HashMap::new();
    opentelemetry::global::get_text_map_propagator(|propagator| propagator.inject_context(&cx, &mut fields));
    Some(TraceContext {
        traceparent: fields.remove("traceparent")?,
        tracestate: fields.remove("tracestate").filter(|state| !state.is_empty()),
    })
}

/// A `postgres` span (client) from each query's start to its end, a child of the span that ran
/// it. The span names the operation (`SELECT`, `INSERT`…), never the statement: diesel's text
/// of a query carries its bind values (password hashes among them).
#[derive(Default)]
pub(crate) struct QuerySpans {
    /// Queries in flight on the connection, oldest first (diesel-async pipelines them).
    open: std::collections::VecDeque<tracing::Span>,
}

impl Instrumentation for QuerySpans {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartQuery { query, .. } => {
                // Outside a traced request (the pooled connection went on to other work), no span.
                if !traced() {
                    return;
                }
                let mut operation = Prefix::default();
                let _ = std::fmt::Write::write_fmt(&mut operation, format_args!("{query}"));
                let operation = operation.keyword();
                let span = tracing::info_span!(
                    "postgres",
                    otel.name = %format_args!("postgres {operation}"),
                    otel.kind = "client",
                    db.system = "postgresql",
                    db.operation = operation,
                );
                self.open.push_back(span);
            }
            InstrumentationEvent::FinishQuery { error, .. } => {
                if let Some(span) = self.open.pop_front()
                    && let Some(error) = error
                {
                    span.record("otel.status_code", "ERROR");
                    span.in_scope(|| tracing::debug!(error = %error, "query failed"));
                }
            }
            _ => {}
        }
    }
}

/// The first few bytes written to it; writing more fails, which stops the formatting early.
#[derive(Default)]
struct Prefix {
    bytes: [u8; 16],
    len: usize,
}

impl Prefix {
    /// The statement's first word, upper-cased (`SELECT`), `QUERY` when there is none.
    fn keyword(&self) -> &'static str {
        let text = std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default();
        let word = text.trim_start().split(|c: char| !c.is_ascii_alphabetic()).next().unwrap_or_default();
        const KNOWN: [&str; 10] =
            ["SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"];
        KNOWN.into_iter().find(|known| known.eq_ignore_ascii_case(word)).unwrap_or("QUERY")
    }
}

impl std::fmt::Write for Prefix {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let room = self.bytes.len() - self.len;
        let take = s.len().min(room);
        self.bytes[self.len..self.len + take].copy_from_slice(&s.as_bytes()[..take]);
        self.len += take;
        if take < s.len() { Err(std::fmt::Error) } else { Ok(()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operation_is_the_first_word_and_never_more() {
        let keyword = |text: &str| {
            let mut prefix = Prefix::default();
            let _ = std::fmt::Write::write_str(&mut prefix, text);
            prefix.keyword()
        };
        assert_eq!(keyword("SELECT \"users\".\"id\" FROM \"users\" -- binds: [\"$argon2id$…\"]"), "SELECT");
        assert_eq!(keyword("  insert into outbox"), "INSERT");
        assert_eq!(keyword("VACUUM"), "QUERY");
        assert_eq!(keyword(""), "QUERY");
    }

    #[test]
    fn nothing_is_captured_outside_a_trace() {
        assert_eq!(current(), None);
        assert!(!traced());
    }
}
