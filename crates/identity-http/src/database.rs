//! The main database's URL, as the configuration gives it: fixed (`DATABASE_URL`,
//! `DATABASE_URL_FILE`, `DATABASE_SECRET_FILE`) or fetched from AWS Secrets Manager
//! (`DATABASE_SECRET_ARN`, [`SecretUrl`]) when first needed and again when PostgreSQL refuses
//! its credentials (a rotated secret; `identity_postgres::DatabaseUrl`).

use std::time::Duration;

use identity_aws::SecretsManager;
use identity_postgres::{DatabaseUrl, UrlSource};
use secrecy::ExposeSecret;

use crate::config::{ConfigError, DatabaseSecret, SECRET_ARN, StoreConfig};
use crate::dependencies::{Dependency, POSTGRES};

/// At most one fetch of a rotated secret per this long, however many connections fail.
pub const REFETCH_EVERY: Duration = Duration::from_secs(5);

/// The dependency PostgreSQL is when its credentials come from Secrets Manager: start-up and
/// `/ready` name `DATABASE_SECRET_ARN`.
pub const POSTGRES_BY_SECRET: Dependency = Dependency { name: "PostgreSQL", var: SECRET_ARN };

/// The main database and the variable that names it, if the store is PostgreSQL.
pub fn main_database(store: &StoreConfig) -> Result<Option<(DatabaseUrl, Dependency)>, ConfigError> {
    if let Some(secret) = &store.database_secret {
        let source = SecretUrl { secret: secret.clone(), client: tokio::sync::OnceCell::new() };
        return Ok(Some((DatabaseUrl::from_source(source, REFETCH_EVERY), POSTGRES_BY_SECRET)));
    }
    let Some(url) = &store.database_url else { return Ok(None) };
    let database =
        DatabaseUrl::fixed(url.expose_secret()).map_err(|message| ConfigError { var: POSTGRES.var, message })?;
    Ok(Some((database, POSTGRES)))
}

/// Makes the client, saying which AWS settings the environment gives it.
async fn client(secret: &DatabaseSecret) -> Result<SecretsManager, identity_aws::FetchError> {
    tracing::info!(
        variable = SECRET_ARN,
        aws_settings = ?secret.aws_settings,
        "the database's credentials come from AWS Secrets Manager (the SDK's standard credential chain)"
    );
    SecretsManager::from_env(&secret.id).await
}

/// The database URL in a Secrets Manager secret (the JSON of an RDS secret), fetched with the
/// SDK's standard credential chain.
pub struct SecretUrl {
    secret: DatabaseSecret,
    /// Made at the first fetch (the chain may ask instance metadata for the region).
    client: tokio::sync::OnceCell<SecretsManager>,
}

#[async_trait::async_trait]
impl UrlSource for SecretUrl {
    fn name(&self) -> &'static str {
        SECRET_ARN
    }

    async fn fetch(&self) -> anyhow::Result<String> {
        let client = self.client.get_or_try_init(|| client(&self.secret)).await?;
        let text = client.fetch(&self.secret.id).await?;
        let url = self.secret.url_from(text.expose_secret())?;
        Ok(url.expose_secret().to_owned())
    }
}
