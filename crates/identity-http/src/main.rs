//! `identity` — the server binary. `identity --help` lists its commands ([`USAGE`]).

use std::process::ExitCode;

use identity_http::config::{Config, ProcessEnv};
use identity_http::{Application, telemetry};
use secrecy::ExposeSecret;

/// What `identity --help` prints.
const USAGE: &str = "\
Usage: identity [COMMAND]

Commands:
  serve               serve the API (the default)
  migrate             apply the pending database migrations to DATABASE_URL and exit
  openapi             print the OpenAPI document (docs/openapi.json) and exit
  create-admin EMAIL  give the account with EMAIL the admin role (needs DATABASE_URL or DATABASE_SECRET_ARN)
  keygen              print a new signing key for PASETO_SECRET_KEY, its public key and kid
  help                print this help (also -h, --help)

Options:
  -h, --help     print this help
  -V, --version  print the version

Configuration comes from environment variables (empty counts as unset); the main ones:
  BIND_ADDR, PORT         where to listen (0.0.0.0:8080)
  DATABASE_URL            postgres://… (unset: an in-memory store, lost at exit)
  REDIS_URL               redis://… (codes, cooldowns, rate limits, revocations)
  AMQP_URL                amqp://… (domain events, published from the outbox)
  PASETO_SECRET_KEY       the signing key, PASERK k4.secret.… from `identity keygen`
                          (unset: a fresh key each start, tokens die with the process)
  SMTP_URL                smtp://… (unset: mails are written to the log)
  ALLOWED_ORIGINS         browser origins allowed to call (CORS, CSRF check)
  BOOTSTRAP_ADMIN_EMAIL   the account that becomes the first admin
  LOG_FORMAT, RUST_LOG    json or pretty; the log filter (info)
  OTEL_EXPORTER_OTLP_ENDPOINT
                          http://collector:4318: traces over OTLP/HTTP (unset: none)
Each secret may be read from a file instead: NAME_FILE (e.g. PASETO_SECRET_KEY_FILE).
Every variable, with its default: docs/configuration.md.
";

#[allow(clippy::print_stdout)]
fn print_stdout(text: &str) {
    print!("{text}");
}

#[actix_web::main]
async fn main() -> ExitCode {
    let command = std::env::args().nth(1).unwrap_or_else(|| "serve".into());
    match command.as_str() {
        "help" | "-h" | "--help" => {
            print_stdout(&format!(
                "identity {}: accounts, sign-in and access tokens\n\n{USAGE}",
                env!("CARGO_PKG_VERSION")
            ));
            return ExitCode::SUCCESS;
        }
        "-V" | "--version" => {
            print_stdout(&format!("identity {}\n", env!("CARGO_PKG_VERSION")));
            return ExitCode::SUCCESS;
        }
        "keygen" => return keygen(),
        "openapi" => {
            return match identity_http::openapi::openapi_json() {
                Ok(json) => {
                    print_stdout(&json);
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("cannot render the OpenAPI document: {error:#}");
                    ExitCode::FAILURE
                }
            };
        }
        "serve" | "migrate" | "create-admin" => {}
        other => {
            eprintln!("identity: unknown command {other:?}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    }
    let config = match Config::from_env(&ProcessEnv) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("identity: {error}");
            return ExitCode::from(2);
        }
    };
    // Traces only where requests are served: `migrate` and `create-admin` export none.
    let traces = match command.as_str() {
        "serve" => match identity_http::otel::start(&config.otel) {
            Ok(traces) => traces,
            Err(error) => {
                eprintln!("identity: {error:#}");
                return ExitCode::from(2);
            }
        },
        _ => None,
    };
    if let Err(error) = telemetry::init(config.log.format, &config.log.filter, traces.as_ref().map(|t| t.tracer())) {
        eprintln!("identity: cannot set up logging: {error}");
        return ExitCode::FAILURE;
    }
    if let Some((var, endpoint)) = config.otel.endpoint.as_ref().filter(|_| traces.is_some()) {
        tracing::info!(variable = var, endpoint = %endpoint, "traces: exported over OTLP (http/protobuf)");
    }
    let result = match command.as_str() {
        "migrate" => migrate(&config).await,
        "create-admin" => create_admin(&config, std::env::args().nth(2)).await,
        _ => serve(&config).await,
    };
    // The graceful stop is over (the relays published their last events): export the last spans.
    if let Some(traces) = traces {
        traces.shutdown();
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "identity stopped with an error");
            eprintln!("identity: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Prints a new signing key as lines an operator can paste into an environment file (or
/// `source`): the secret as `PASETO_SECRET_KEY=…`, its public key and kid as comments.
fn keygen() -> ExitCode {
    let keys = match identity_crypto::PasetoKeys::generate() {
        Ok(keys) => keys,
        Err(error) => {
            eprintln!("identity: {error}");
            return ExitCode::FAILURE;
        }
    };
    let public = keys.public_keys().into_iter().next().map(|(_, public)| public).unwrap_or_default();
    print_stdout(&format!(
        "\
# A new PASETO v4.public signing key (Ed25519), from `identity keygen`.
# PASETO_SECRET_KEY is SECRET: whoever holds it can sign access tokens for any account.
# Keep it in a secret store (or a file named by PASETO_SECRET_KEY_FILE, holding the value
# after the =); never commit it, never log it. Every replica gets the same key.
PASETO_SECRET_KEY={secret}
# Public: services verify tokens with it (GET /.well-known/paserk serves it as well).
# When this key is replaced, put its public key in PASETO_VERIFICATION_KEYS for a while.
# public key: {public}
# kid:        {kid}
",
        secret = keys.secret_paserk(),
        kid = keys.signing_kid(),
    ));
    ExitCode::SUCCESS
}

async fn serve(config: &Config) -> anyhow::Result<()> {
    Application::build(config).await?.run_until_stopped().await
}

async fn migrate(config: &Config) -> anyhow::Result<()> {
    let (database, dependency) = identity_http::database::main_database(&config.store)?.ok_or_else(|| {
        anyhow::anyhow!(
            "none of DATABASE_URL, DATABASE_URL_FILE, DATABASE_SECRET_FILE, DATABASE_SECRET_ARN is set: there is no \
             database to migrate"
        )
    })?;
    let applied = identity_postgres::run_migrations_at(&database)
        .await
        .map_err(|e| anyhow::anyhow!("{} ({}): {e:#}", dependency.name, dependency.var))?;
    match applied.as_slice() {
        [] => tracing::info!("database migrations: none pending, the schema is up to date"),
        applied => tracing::info!(applied = ?applied, "database migrations applied"),
    }
    if let Some(shared) = &config.store.shared_database_url {
        let applied = identity_postgres::run_shared_migrations(shared.expose_secret()).await?;
        tracing::info!(applied = ?applied, "shared database (SHARED_DATABASE_URL) migrations");
    }
    Ok(())
}

async fn create_admin(config: &Config, email: Option<String>) -> anyhow::Result<()> {
    let email = email.ok_or_else(|| anyhow::anyhow!("usage: identity create-admin EMAIL"))?;
    anyhow::ensure!(
        config.store.has_database(),
        "DATABASE_URL (or DATABASE_SECRET_ARN) is not set: an in-memory admin would vanish at exit"
    );
    let wiring = identity_http::bootstrap::wire(config, Default::default()).await?;
    use identity_core::usecases::{AdminGrant, AdminGranted};
    match wiring
        .state
        .services
        .admin
        .grant_admin(&email, AdminGrant::Operator)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
    {
        AdminGranted::Granted => tracing::info!("the account now has the admin role"),
        AdminGranted::AlreadyAdmin => tracing::info!("the account already has the admin role"),
        AdminGranted::NoAccount => {
            anyhow::bail!("no account with that email address; register it first (or set BOOTSTRAP_ADMIN_EMAIL)")
        }
        other => anyhow::bail!("the admin role was not granted: {other:?}"),
    }
    Ok(())
}
