//! Service clients on PostgreSQL: one row each, their secrets' digests as JSON.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use identity_core::domain::{ClientSecret, ServiceClient, TokenDigest};
use identity_core::ports::{PageRequest, RepoError, ServiceClientRepository, ServiceClientWrites};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Conn, PgStore, PgTransaction, hex, limit, unhex};
use crate::errors::repo_error;
use crate::schema::service_clients;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = service_clients, check_for_backend(diesel::pg::Pg), treat_none_as_null = true)]
struct ClientRow {
    id: Uuid,
    name: String,
    scopes: Vec<String>,
    secrets: serde_json::Value,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

/// A secret as the `secrets` column holds it.
#[derive(Serialize, Deserialize)]
struct SecretJson {
    id: Uuid,
    digest: String,
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
}

impl ClientRow {
    fn from_domain(client: &ServiceClient) -> Result<Self, RepoError> {
        let secrets: Vec<SecretJson> = client
            .secrets
            .iter()
            .map(|s| SecretJson {
                id: s.id,
                digest: hex(&s.digest.0),
                created_at: s.created_at,
                expires_at: s.expires_at,
            })
            .collect();
        Ok(Self {
            id: client.id,
            name: client.name.clone(),
            scopes: client.scopes.iter().cloned().collect(),
            secrets: serde_json::to_value(secrets).map_err(|e| RepoError::Unknown(e.into()))?,
            created_at: client.created_at,
            updated_at: client.updated_at,
            revoked_at: client.revoked_at,
        })
    }

    fn into_domain(self) -> Result<ServiceClient, RepoError> {
        let broken = |what: &str| RepoError::Unknown(anyhow::anyhow!("service client {}: {what}", self.id));
        let secrets: Vec<SecretJson> =
            serde_json::from_value(self.secrets.clone()).map_err(|_| broken("secrets are not a list of secrets"))?;
        let secrets = secrets
            .into_iter()
            .map(|s| {
                Ok(ClientSecret {
                    id: s.id,
                    digest: TokenDigest(unhex(&s.digest).ok_or_else(|| broken("a digest is not 32 bytes of hex"))?),
                    created_at: s.created_at,
                    expires_at: s.expires_at,
                })
            })
            .collect::<Result<Vec<_>, RepoError>>()?;
        Ok(ServiceClient {
            id: self.id,
            name: self.name,
            scopes: self.scopes.into_iter().collect(),
            secrets,
            created_at: self.created_at,
            updated_at: self.updated_at,
            revoked_at: self.revoked_at,
        })
    }
}

async fn find(conn: &mut Conn, id: Uuid, lock: bool) -> Result<Option<ServiceClient>, RepoError> {
    let query = service_clients::table.find(id).select(ClientRow::as_select());
    let row = if lock { query.for_update().first(conn).await.optional() } else { query.first(conn).await.optional() };
    row.map_err(repo_error)?.map(ClientRow::into_domain).transpose()
}

#[async_trait]
impl ServiceClientRepository for PgStore {
    async fn find_service_client(&self, id: Uuid) -> Result<Option<ServiceClient>, RepoError> {
        find(&mut self.conn().await?, id, false).await
    }

    async fn list_service_clients(&self, page: PageRequest) -> Result<Vec<ServiceClient>, RepoError> {
        let mut select = service_clients::table
            .select(ClientRow::as_select())
            .order(service_clients::id.desc())
            .limit(limit(page.limit))
            .into_boxed();
        if let Some(after) = page.after {
            select = select.filter(service_clients::id.lt(after));
        }
        let rows: Vec<ClientRow> = select.load(&mut self.conn().await?).await.map_err(repo_error)?;
        rows.into_iter().map(ClientRow::into_domain).collect()
    }
}

#[async_trait]
impl ServiceClientWrites for PgTransaction {
    async fn insert_service_client(&mut self, client: &ServiceClient) -> Result<(), RepoError> {
        let row = ClientRow::from_domain(client)?;
        diesel::insert_into(service_clients::table).values(&row).execute(self.conn()?).await.map_err(repo_error)?;
        Ok(())
    }

    async fn lock_service_client(&mut self, id: Uuid) -> Result<Option<ServiceClient>, RepoError> {
        find(self.conn()?, id, true).await
    }

    async fn update_service_client(&mut self, client: &ServiceClient) -> Result<(), RepoError> {
        let row = ClientRow::from_domain(client)?;
        diesel::update(service_clients::table.find(client.id))
            .set((
                service_clients::name.eq(&row.name),
                service_clients::scopes.eq(&row.scopes),
                service_clients::secrets.eq(&row.secrets),
                service_clients::updated_at.eq(row.updated_at),
                service_clients::revoked_at.eq(row.revoked_at),
            ))
            .execute(self.conn()?)
            .await
            .map_err(repo_error)?;
        Ok(())
    }
}
