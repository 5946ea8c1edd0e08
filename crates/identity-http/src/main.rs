//! `identity` — the server binary.
//!
//! ```text
//! identity            serve (the default)
//! identity serve      serve
//! identity migrate    apply database migrations to DATABASE_URL and exit
//! identity openapi    print the OpenAPI document (docs/openapi.json) and exit
//! identity create-admin EMAIL   give the account with EMAIL the admin role (DATABASE_URL)
//! ```

use std::process::ExitCode;

use identity_http::config::{Config, ProcessEnv};
use identity_http::{Application, telemetry};
use secrecy::ExposeSecret;

#[actix_web::main]
async fn main() -> ExitCode {
    let command = std::env::args().nth(1).unwrap_or_else(|| "serve".into());
    if command == "openapi" {
        return match identity_http::openapi::openapi_json() {
            Ok(json) => {
                #[allow(clippy::print_stdout)]
                {
                    print!("{json}");
                }
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("cannot render the OpenAPI document: {error:#}");
                ExitCode::FAILURE
            }
        };
    }
    let config = match Config::from_env(&ProcessEnv) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("identity: {error}");
            return ExitCode::from(2);
        }
    };
    if let Err(error) = telemetry::init(config.log_format, &config.log_filter) {
        eprintln!("identity: cannot set up logging: {error}");
        return ExitCode::FAILURE;
    }
    let result = match command.as_str() {
        "serve" => serve(&config).await,
        "migrate" => migrate(&config).await,
        "create-admin" => create_admin(&config, std::env::args().nth(2)).await,
        other => {
            eprintln!("identity: unknown command {other:?}; expected serve, migrate, openapi or create-admin");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "identity stopped with an error");
            eprintln!("identity: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: &Config) -> anyhow::Result<()> {
    Application::build(config).await?.run_until_stopped().await
}

async fn migrate(config: &Config) -> anyhow::Result<()> {
    let url = config.database_url.as_ref().ok_or_else(|| {
        anyhow::anyhow!(
            "none of DATABASE_URL, DATABASE_URL_FILE, DATABASE_SECRET_FILE is set: there is no database to migrate"
        )
    })?;
    let applied = identity_postgres::run_migrations(url.expose_secret()).await?;
    tracing::info!(applied = ?applied, "migrations applied");
    Ok(())
}

async fn create_admin(config: &Config, email: Option<String>) -> anyhow::Result<()> {
    let email = email.ok_or_else(|| anyhow::anyhow!("usage: identity create-admin EMAIL"))?;
    anyhow::ensure!(config.database_url.is_some(), "DATABASE_URL is not set: an in-memory admin would vanish at exit");
    let wiring = identity_http::bootstrap::wire(config, Default::default()).await?;
    if wiring.state.services.admin.grant_admin(&email).await.map_err(|e| anyhow::anyhow!("{e}"))? {
        tracing::info!("the account now has the admin role");
        Ok(())
    } else {
        anyhow::bail!("no account with that email address; register it first (or set BOOTSTRAP_ADMIN_EMAIL)")
    }
}
