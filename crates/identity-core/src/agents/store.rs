//! What agents and instances need of a store. They have a unit of work of their own
//! ([`AgentsUnitOfWork`]): the composition root may put them in the main database or in a
//! database shared with other services, each with its own outbox.

use async_trait::async_trait;

use super::model::{Agent, AgentFilter, AgentId, Instance, InstanceFilter, InstanceId};
use crate::domain::UserId;
use crate::ports::{JournalWrites, RepoError};

/// Reads of the catalog outside a transaction.
#[async_trait]
pub trait AgentRepository: Send + Sync + 'static {
    /// The agent, deleted or not.
    async fn find_agent(&self, id: AgentId) -> Result<Option<Agent>, RepoError>;
    /// Agents for which [`AgentFilter::matches`] holds, by id ascending, at most `filter.limit`.
    async fn list_agents(&self, filter: &AgentFilter) -> Result<Vec<Agent>, RepoError>;
}

/// Reads of instances outside a transaction.
#[async_trait]
pub trait InstanceRepository: Send + Sync + 'static {
    /// The instance, deleted or not.
    async fn find_instance(&self, id: InstanceId) -> Result<Option<Instance>, RepoError>;
    /// Instances for which [`InstanceFilter::matches`] holds, newest first, at most
    /// `filter.limit`.
    async fn list_instances(&self, filter: &InstanceFilter) -> Result<Vec<Instance>, RepoError>;
}

/// Starts transactions over agents and instances (and the outbox and keyed requests of the
/// same database).
#[async_trait]
pub trait AgentsUnitOfWork: Send + Sync + 'static {
    async fn begin_agents(&self) -> Result<Box<dyn AgentsTransaction>, RepoError>;
}

/// One open transaction over agents and instances; dropped without commit, rolled back.
#[async_trait]
pub trait AgentsTransaction: Send {
    fn agents(&mut self) -> &mut dyn AgentWrites;
    fn instances(&mut self) -> &mut dyn InstanceWrites;
    /// The outbox (events) and keyed requests of this database; its audit log and login
    /// attempts only when it is the main database.
    fn journal(&mut self) -> &mut dyn JournalWrites;
    /// The job queue of this database (an instance's provisioning job).
    fn jobs(&mut self) -> &mut dyn crate::ports::JobWrites;
    async fn commit(self: Box<Self>) -> Result<(), RepoError>;
}

/// Writes of the catalog in a transaction.
#[async_trait]
pub trait AgentWrites: Send {
    async fn insert_agent(&mut self, agent: &Agent) -> Result<(), RepoError>;
    /// The agent, locked until commit.
    async fn lock_agent(&mut self, id: AgentId) -> Result<Option<Agent>, RepoError>;
    /// Writes every field but the id and `created_at`.
    async fn update_agent(&mut self, agent: &Agent) -> Result<(), RepoError>;
}

/// Writes of instances in a transaction.
#[async_trait]
pub trait InstanceWrites: Send {
    async fn insert_instance(&mut self, instance: &Instance) -> Result<(), RepoError>;
    /// The instance, locked until commit.
    async fn lock_instance(&mut self, id: InstanceId) -> Result<Option<Instance>, RepoError>;
    /// Writes every field but the id, owner, agent and `created_at`.
    async fn update_instance(&mut self, instance: &Instance) -> Result<(), RepoError>;
    /// The user's live instances, locked until commit, oldest first.
    async fn lock_instances_of(&mut self, user: UserId) -> Result<Vec<Instance>, RepoError>;
    /// Records that the message `id` (an event another service published) is handled;
    /// `false` when it already was (a redelivery or a duplicate: do nothing again).
    async fn record_consumed(&mut self, id: uuid::Uuid, at: chrono::DateTime<chrono::Utc>) -> Result<bool, RepoError>;
}

/// One store adapter seen through the agents' ports (what the composition root wires: the
/// main store, or a store on the database shared with other services).
#[derive(Clone)]
pub struct AgentsPorts {
    pub agents: std::sync::Arc<dyn AgentRepository>,
    pub instances: std::sync::Arc<dyn InstanceRepository>,
    pub uow: std::sync::Arc<dyn AgentsUnitOfWork>,
    /// Keyed creates recorded in this database.
    pub requests: std::sync::Arc<dyn crate::ports::RequestLog>,
    /// The job queue of this database (provisioning jobs) and its retention.
    pub jobs: std::sync::Arc<dyn crate::ports::JobQueue>,
    pub retention: std::sync::Arc<dyn crate::ports::Retention>,
    /// Whether this is another database than the main one (`SHARED_DATABASE_URL`): then the
    /// audit entries of admins' changes cannot share the change's transaction.
    pub separate: bool,
}

impl AgentsPorts {
    pub fn from_store<S>(store: S) -> Self
    where
        S: AgentRepository
            + InstanceRepository
            + AgentsUnitOfWork
            + crate::ports::RequestLog
            + crate::ports::JobQueue
            + crate::ports::Retention
            + Clone,
    {
        Self {
            agents: std::sync::Arc::new(store.clone()),
            instances: std::sync::Arc::new(store.clone()),
            uow: std::sync::Arc::new(store.clone()),
            jobs: std::sync::Arc::new(store.clone()),
            retention: std::sync::Arc::new(store.clone()),
            requests: std::sync::Arc::new(store),
            separate: false,
        }
    }

    /// The same, for a store on a database shared with other services.
    pub fn separate(self) -> Self {
        Self { separate: true, ..self }
    }
}
