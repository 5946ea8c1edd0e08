//! The store's read ports (one per aggregate, used outside a transaction) and [`StorePorts`],
//! one store adapter seen through all of its ports. Writes go through a
//! [`Transaction`](crate::ports::Transaction).

use std::sync::Arc;

use async_trait::async_trait;
use uuid::Uuid;

pub use crate::domain::UserFilter;
use crate::ports::{AccessRepository, AuditRepository, SessionRepository, SettingsRepository, UserRepository};
use crate::ports::{JobQueue, Outbox, RepoError, Retention, ServiceClientRepository, UnitOfWork};

/// A page request: at most `limit` items after the item with id `after` (newest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: usize,
    pub after: Option<Uuid>,
}

/// One store adapter, seen through each of its store ports (what the composition root wires
/// and what the store contract suite tests).
#[derive(Clone)]
pub struct StorePorts {
    pub users: Arc<dyn UserRepository>,
    pub audit: Arc<dyn AuditRepository>,
    pub access: Arc<dyn AccessRepository>,
    pub settings: Arc<dyn SettingsRepository>,
    pub sessions: Arc<dyn SessionRepository>,
    pub uow: Arc<dyn UnitOfWork>,
    pub outbox: Arc<dyn Outbox>,
    pub requests: Arc<dyn RequestLog>,
    pub jobs: Arc<dyn JobQueue>,
    pub retention: Arc<dyn Retention>,
    pub service_clients: Arc<dyn ServiceClientRepository>,
    pub mfa: Arc<dyn crate::ports::MfaRepository>,
}

impl StorePorts {
    /// Builds one from a store that implements every port.
    pub fn from_store<S>(store: S) -> Self
    where
        S: UserRepository
            + SessionRepository
            + UnitOfWork
            + Outbox
            + AuditRepository
            + AccessRepository
            + SettingsRepository
            + RequestLog
            + JobQueue
            + Retention
            + ServiceClientRepository
            + crate::ports::MfaRepository
            + Clone,
    {
        Self {
            users: Arc::new(store.clone()),
            audit: Arc::new(store.clone()),
            access: Arc::new(store.clone()),
            settings: Arc::new(store.clone()),
            sessions: Arc::new(store.clone()),
            uow: Arc::new(store.clone()),
            outbox: Arc::new(store.clone()),
            requests: Arc::new(store.clone()),
            jobs: Arc::new(store.clone()),
            retention: Arc::new(store.clone()),
            service_clients: Arc::new(store.clone()),
            mfa: Arc::new(store),
        }
    }
}

/// Reads of the keyed create requests that transactions recorded
/// ([`JournalWrites::record_request`](crate::ports::JournalWrites::record_request)).
#[async_trait]
pub trait RequestLog: Send + Sync + 'static {
    /// The request recorded under `key`, if any (current or not: see
    /// [`RequestRecord::is_current`](crate::domain::RequestRecord::is_current)).
    async fn find_request(&self, key: &str) -> Result<Option<crate::domain::RequestRecord>, RepoError>;
}
