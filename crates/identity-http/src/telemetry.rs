//! Structured logs (tracing). JSON by default (`LOG_FORMAT=pretty` for people), one line per
//! event, filtered by `RUST_LOG`, with the request id on every line of a request and one
//! access line per request (`crate::access_log`). Secrets never reach a log: passwords and hashes print as
//! `<redacted>`, tokens are not logged, and configuration errors name the variable only.

use tracing::Subscriber;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::{EnvFilter, layer::SubscriberExt};

use crate::config::LogFormat;

/// A subscriber writing to `writer`; the server uses stdout, tests a buffer.
pub fn subscriber<W>(format: LogFormat, filter: &str, writer: W) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    // tokio-postgres logs bind parameters (password hashes among them) at debug level: it is
    // held at info whatever RUST_LOG says, so no log level can leak a secret.
    let filter = EnvFilter::try_new(filter)
        .unwrap_or_else(|_| EnvFilter::new("info"))
        .add_directive(quiet("tokio_postgres"))
        .add_directive(quiet("diesel_async"));
    let registry = tracing_subscriber::registry().with(filter);
    match format {
        LogFormat::Json => Box::new(registry.with(
            tracing_subscriber::fmt::layer().json().with_current_span(true).with_span_list(false).with_writer(writer),
        )),
        LogFormat::Pretty => Box::new(registry.with(tracing_subscriber::fmt::layer().with_writer(writer))),
    }
}

fn quiet(target: &str) -> tracing_subscriber::filter::Directive {
    format!("{target}=info").parse().unwrap_or_else(|_| tracing_subscriber::filter::LevelFilter::INFO.into())
}

/// Installs the global subscriber writing to stdout.
pub fn init(format: LogFormat, filter: &str) -> anyhow::Result<()> {
    tracing::subscriber::set_global_default(subscriber(format, filter, std::io::stdout))?;
    Ok(())
}
