//! Service clients in memory.

use async_trait::async_trait;
use identity_core::domain::ServiceClient;
use identity_core::ports::{PageRequest, RepoError, ServiceClientRepository, ServiceClientWrites};
use uuid::Uuid;

use super::{MemoryStore, MemoryTransaction, State, page};

#[async_trait]
impl ServiceClientRepository for MemoryStore {
    async fn find_service_client(&self, id: Uuid) -> Result<Option<ServiceClient>, RepoError> {
        Ok(self.state.lock().await.service_clients.get(&id).cloned())
    }

    async fn list_service_clients(&self, request: PageRequest) -> Result<Vec<ServiceClient>, RepoError> {
        let state = self.state.lock().await;
        Ok(page(state.service_clients.values().collect(), |client: &ServiceClient| client.id, request))
    }
}

#[async_trait]
impl ServiceClientWrites for MemoryTransaction {
    async fn insert_service_client(&mut self, client: &ServiceClient) -> Result<(), RepoError> {
        if self.state()?.service_clients.contains_key(&client.id) {
            return Err(RepoError::Unknown(anyhow::anyhow!("service client {} exists", client.id)));
        }
        let client = client.clone();
        self.write(|state| {
            let id = client.id;
            state.service_clients.insert(id, client);
            Box::new(move |state: &mut State| {
                state.service_clients.remove(&id);
            })
        })
    }

    async fn lock_service_client(&mut self, id: Uuid) -> Result<Option<ServiceClient>, RepoError> {
        Ok(self.state()?.service_clients.get(&id).cloned())
    }

    async fn update_service_client(&mut self, client: &ServiceClient) -> Result<(), RepoError> {
        let Some(stored) = self.state()?.service_clients.get(&client.id).cloned() else {
            return Err(RepoError::Unknown(anyhow::anyhow!("no service client {}", client.id)));
        };
        let mut updated = client.clone();
        updated.created_at = stored.created_at;
        self.write(|state| {
            state.service_clients.insert(updated.id, updated);
            Box::new(move |state: &mut State| {
                state.service_clients.insert(stored.id, stored);
            })
        })
    }
}
