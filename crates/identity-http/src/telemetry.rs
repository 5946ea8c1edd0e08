//! Structured logs (tracing). JSON by default (`LOG_FORMAT=pretty` for people), one line per
//! event, filtered by `RUST_LOG`, with the request id on every line of a request and one
//! access line per request (`crate::access_log`). Secrets never reach a log: passwords and hashes print as
//! `<redacted>`, tokens are not logged, and configuration errors name the variable only.

use tracing::Subscriber;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::{EnvFilter, layer::SubscriberExt};

use crate::config::LogFormat;

/// A subscriber writing to `writer`; the server uses stdout, tests a buffer.
pub fn subscriber<W>(format: LogFormat, filter: &str, writer: W) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    traced_subscriber(format, filter, writer, None)
}

/// [`subscriber`], whose spans also go to `tracer` when there is one (`crate::otel`): spans
/// only, the service's own (libraries' spans, lapin's connection loop say, are not exported),
/// as the filter lets them through (`RUST_LOG`; they are at INFO); log events stay logs.
pub fn traced_subscriber<W>(
    format: LogFormat,
    filter: &str,
    writer: W,
    tracer: Option<opentelemetry_sdk::trace::SdkTracer>,
) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    // tokio-postgres logs bind parameters (password hashes among them) at debug level: it is
    // held at info whatever RUST_LOG says, so no log level can leak a secret.
    let filter = EnvFilter::try_new(filter)
        .unwrap_or_else(|_| EnvFilter::new("info"))
        .add_directive(quiet("tokio_postgres"))
        .add_directive(quiet("diesel_async"))
        // lapin warns of every message RabbitMQ returns with the whole message (an event's
        // personal data); the AMQP adapter logs each one itself, by outbox id and type.
        .add_directive(
            "lapin::returned_messages=error"
                .parse()
                .unwrap_or_else(|_| tracing_subscriber::filter::LevelFilter::INFO.into()),
        );
    let spans = tracer.map(|tracer| {
        tracing_opentelemetry::layer().with_tracer(tracer).with_threads(false).with_filter(
            tracing_subscriber::filter::filter_fn(|metadata| {
                metadata.is_span() && metadata.target().starts_with("identity")
            }),
        )
    });
    let registry = tracing_subscriber::registry().with(filter).with(MalformedRequests).with(spans);
    match format {
        LogFormat::Json => Box::new(registry.with(
            tracing_subscriber::fmt::layer().json().with_current_span(true).with_span_list(false).with_writer(writer),
        )),
        // Colours only on a terminal: piped into a file (`| tee identity.log`) the text stays plain.
        LogFormat::Pretty => Box::new(
            registry.with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
                    .with_writer(writer),
            ),
        ),
    }
}

/// A request whose head does not parse (an invalid header value or name, a repeated or
/// invalid `Content-Length`, a request line that is not HTTP, a head too large) is answered by
/// actix-http itself, a bare 400 (431 for a head too large), before any middleware sees it: no
/// access line. It then logs `stream error: request parse error: …` at ERROR (target
/// `actix_http::h1::dispatcher`), though nothing failed on the server's side. This layer drops
/// that event and writes the request's access line instead, at INFO as every client error
/// (target `access`, method `-`, route `unmatched`, the status and the parse error as `cause`;
/// there is no request id, nor a client address to give). Other errors of the dispatcher (I/O,
/// internal) are left as they are.
///
/// The line is dispatched from within the dropped event's dispatch: that reaches the
/// subscriber when it is the global default, as [`init`] (and the tests) install it.
struct MalformedRequests;

/// The target of actix-http's HTTP/1 connection errors.
const DISPATCHER: &str = "actix_http::h1::dispatcher";

impl<S: Subscriber> Layer<S> for MalformedRequests {
    fn event_enabled(&self, event: &tracing::Event<'_>, _: Context<'_, S>) -> bool {
        let metadata = event.metadata();
        if metadata.target() != DISPATCHER || *metadata.level() != tracing::Level::ERROR {
            return true;
        }
        let mut message = Message::default();
        event.record(&mut message);
        let Some(cause) = message.0.strip_prefix("stream error: ").filter(|c| c.starts_with("request parse error"))
        else {
            return true;
        };
        let status: u16 = if cause.ends_with("message head is too large") { 431 } else { 400 };
        tracing::info!(target: "access", method = "-", route = "unmatched", status, cause, "request");
        false
    }
}

/// The `message` of an event, as written.
#[derive(Default)]
struct Message(String);

impl tracing::field::Visit for Message {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

fn quiet(target: &str) -> tracing_subscriber::filter::Directive {
    format!("{target}=info").parse().unwrap_or_else(|_| tracing_subscriber::filter::LevelFilter::INFO.into())
}

/// Installs the global subscriber writing to stdout (and its spans to `tracer`, if any).
pub fn init(
    format: LogFormat,
    filter: &str,
    tracer: Option<opentelemetry_sdk::trace::SdkTracer>,
) -> anyhow::Result<()> {
    tracing::subscriber::set_global_default(traced_subscriber(format, filter, std::io::stdout, tracer))?;
    Ok(())
}
