//! A `redis` span (client) per command of a traced request (docs/operations.md, traces), named
//! by the command (`SET`, `EVALSHA`…), never its keys or values. Outside an exported trace
//! (no `OTEL_EXPORTER_OTLP_ENDPOINT`, or work no request started) commands go straight through.

use deadpool_redis::Connection;
use deadpool_redis::redis::aio::ConnectionLike;
use deadpool_redis::redis::{Arg, Cmd, Pipeline, RedisFuture, Value};
use opentelemetry::trace::TraceContextExt;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// A pooled connection whose commands are spans of the current trace.
pub(crate) struct Traced(pub(crate) Connection);

/// Whether the current span belongs to an exported trace.
fn traced() -> bool {
    tracing::Span::current().context().span().span_context().is_valid()
}

fn span(operation: &str) -> tracing::Span {
    tracing::info_span!(
        "redis",
        otel.name = %format_args!("redis {operation}"),
        otel.kind = "client",
        db.system = "redis",
        db.operation = operation,
    )
}

impl ConnectionLike for Traced {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        if !traced() {
            return self.0.req_packed_command(cmd);
        }
        let name = match cmd.args_iter().next() {
            Some(Arg::Simple(name)) => String::from_utf8_lossy(name).to_ascii_uppercase(),
            _ => "COMMAND".to_owned(),
        };
        Box::pin(self.0.req_packed_command(cmd).instrument(span(&name)))
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        if !traced() {
            return self.0.req_packed_commands(pipeline, offset, count);
        }
        Box::pin(self.0.req_packed_commands(pipeline, offset, count).instrument(span("PIPELINE")))
    }

    fn get_db(&self) -> i64 {
        self.0.get_db()
    }
}
