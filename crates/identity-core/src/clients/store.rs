//! What service clients need of a store.

use async_trait::async_trait;
use uuid::Uuid;

use super::model::ServiceClient;
use crate::ports::{PageRequest, RepoError};

/// Reads of service clients outside a transaction.
#[async_trait]
pub trait ServiceClientRepository: Send + Sync + 'static {
    /// The client, revoked or not.
    async fn find_service_client(&self, id: Uuid) -> Result<Option<ServiceClient>, RepoError>;
    /// Every client, revoked ones too, newest first (ids are UUIDv7), after the cursor, at
    /// most `page.limit`.
    async fn list_service_clients(&self, page: PageRequest) -> Result<Vec<ServiceClient>, RepoError>;
}

/// Writes of service clients in a transaction.
#[async_trait]
pub trait ServiceClientWrites: Send {
    async fn insert_service_client(&mut self, client: &ServiceClient) -> Result<(), RepoError>;
    /// The client, locked until commit.
    async fn lock_service_client(&mut self, id: Uuid) -> Result<Option<ServiceClient>, RepoError>;
    /// Writes every field but the id and `created_at`.
    async fn update_service_client(&mut self, client: &ServiceClient) -> Result<(), RepoError>;
}
