//! The store's read ports (one per aggregate, used outside a transaction) and [`StorePorts`],
//! one store adapter seen through all of its ports. Writes go through a
//! [`Transaction`](super::Transaction).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Outbox, RepoError, UnitOfWork};
pub use crate::domain::UserFilter;
use crate::domain::settings::StoredSettings;
use crate::domain::{
    AppGrant, Device, DeviceId, Email, Grantee, Group, GroupId, GroupMember, Session, SessionId, User, UserId, Username,
};

/// Reads of the user aggregate outside a transaction.
#[async_trait]
pub trait UserRepository: Send + Sync + 'static {
    async fn find_by_id(&self, id: UserId) -> Result<Option<User>, RepoError>;
    /// Case-insensitive: `email` is already normalised.
    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, RepoError>;
    async fn find_by_username(&self, username: &Username) -> Result<Option<User>, RepoError>;
    /// Users for which [`UserFilter::matches`] holds, by id ascending, at most `filter.limit`.
    async fn list_users(&self, filter: &UserFilter) -> Result<Vec<User>, RepoError>;
}

/// A page request: at most `limit` items after the item with id `after` (newest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: usize,
    pub after: Option<Uuid>,
}

/// Reads of sessions and devices outside a transaction.
#[async_trait]
pub trait SessionRepository: Send + Sync + 'static {
    async fn find_session(&self, id: SessionId) -> Result<Option<Session>, RepoError>;
    /// The user's sessions that are live at `now` by [`Session::is_live`] (neither revoked
    /// nor expired, nor idle for `idle_timeout` when there is one), newest first.
    async fn list_live_sessions(
        &self,
        user: UserId,
        now: DateTime<Utc>,
        idle_timeout: Option<chrono::Duration>,
        page: PageRequest,
    ) -> Result<Vec<Session>, RepoError>;
    async fn find_device(&self, id: DeviceId) -> Result<Option<Device>, RepoError>;
    /// The user's devices, most recently created first.
    async fn list_devices(&self, user: UserId, page: PageRequest) -> Result<Vec<Device>, RepoError>;
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
            requests: Arc::new(store),
        }
    }
}

/// Reads of the keyed create requests that transactions recorded
/// ([`JournalWrites::record_request`](super::JournalWrites::record_request)).
#[async_trait]
pub trait RequestLog: Send + Sync + 'static {
    /// The request recorded under `key`, if any (current or not: see
    /// [`RequestRecord::is_current`](crate::domain::RequestRecord::is_current)).
    async fn find_request(&self, key: &str) -> Result<Option<crate::domain::RequestRecord>, RepoError>;
}

/// Reads of the audit log.
#[async_trait]
pub trait AuditRepository: Send + Sync + 'static {
    /// Entries matching `filter`, newest first, at most `filter.limit`.
    async fn list_audit(
        &self,
        filter: &crate::domain::AuditFilter,
    ) -> Result<Vec<crate::domain::AuditRecord>, RepoError>;
}

/// Reads of groups, memberships and app grants outside a transaction.
#[async_trait]
pub trait AccessRepository: Send + Sync + 'static {
    async fn find_group(&self, id: GroupId) -> Result<Option<Group>, RepoError>;
    /// Groups whose name starts with `query` (a [`SearchPrefix`](crate::domain::SearchPrefix):
    /// case-insensitive; all when `None` or blank), by id ascending after `page.after`, at most
    /// `page.limit`.
    async fn list_groups(&self, query: Option<&str>, page: PageRequest) -> Result<Vec<Group>, RepoError>;
    /// Members of the group, by user id ascending after `page.after`, at most `page.limit`.
    async fn list_members(&self, group: GroupId, page: PageRequest) -> Result<Vec<GroupMember>, RepoError>;
    /// The groups the user is a member of, by name.
    async fn groups_of(&self, user: UserId) -> Result<Vec<Group>, RepoError>;
    /// The grants given to any of `grantees`, by app key.
    async fn grants_of(&self, grantees: &[Grantee]) -> Result<Vec<AppGrant>, RepoError>;
}

/// Reads of the admin settings outside a transaction.
#[async_trait]
pub trait SettingsRepository: Send + Sync + 'static {
    /// The stored settings of `namespace`; `None` when nothing was ever stored.
    async fn get_settings(&self, namespace: &str) -> Result<Option<StoredSettings>, RepoError>;
}
