//! The agents catalog and agent instances in memory, in the same store (and outbox) as the
//! rest: the embedded default has one database.

use std::collections::BTreeMap;

use async_trait::async_trait;
use identity_core::ports::{
    AgentRepository, AgentWrites, AgentsTransaction, AgentsUnitOfWork, InstanceRepository, InstanceWrites,
    JournalWrites, RepoError,
};
use identity_core::{Agent, AgentFilter, AgentId, Instance, InstanceFilter, InstanceId, UserId};

use super::{MemoryStore, MemoryTransaction, State};

/// Agents and instances, ordered by id (UUIDv7: creation order).
#[derive(Clone, Default)]
pub(super) struct Agents {
    agents: BTreeMap<AgentId, Agent>,
    instances: BTreeMap<InstanceId, Instance>,
    /// Ids of the messages of other services handled, with when (retention forgets old ones).
    consumed: BTreeMap<uuid::Uuid, chrono::DateTime<chrono::Utc>>,
}

impl Agents {
    /// Forgets the messages handled before `before`; how many.
    pub(super) fn forget_consumed_before(&mut self, before: chrono::DateTime<chrono::Utc>) -> u64 {
        let count = self.consumed.len();
        self.consumed.retain(|_, at| *at >= before);
        (count - self.consumed.len()) as u64
    }
}

#[async_trait]
impl AgentRepository for MemoryStore {
    async fn find_agent(&self, id: AgentId) -> Result<Option<Agent>, RepoError> {
        Ok(self.state.lock().await.agents.agents.get(&id).cloned())
    }

    async fn list_agents(&self, filter: &AgentFilter) -> Result<Vec<Agent>, RepoError> {
        let state = self.state.lock().await;
        Ok(state.agents.agents.values().filter(|a| filter.matches(a)).take(filter.limit).cloned().collect())
    }
}

#[async_trait]
impl InstanceRepository for MemoryStore {
    async fn find_instance(&self, id: InstanceId) -> Result<Option<Instance>, RepoError> {
        Ok(self.state.lock().await.agents.instances.get(&id).cloned())
    }

    async fn list_instances(&self, filter: &InstanceFilter) -> Result<Vec<Instance>, RepoError> {
        let state = self.state.lock().await;
        Ok(state.agents.instances.values().rev().filter(|i| filter.matches(i)).take(filter.limit).cloned().collect())
    }
}

#[async_trait]
impl AgentsUnitOfWork for MemoryStore {
    async fn begin_agents(&self) -> Result<Box<dyn AgentsTransaction>, RepoError> {
        Ok(Box::new(self.transaction().await))
    }
}

#[async_trait]
impl AgentsTransaction for MemoryTransaction {
    fn agents(&mut self) -> &mut dyn AgentWrites {
        self
    }

    fn instances(&mut self) -> &mut dyn InstanceWrites {
        self
    }

    fn journal(&mut self) -> &mut dyn JournalWrites {
        self
    }

    fn jobs(&mut self) -> &mut dyn identity_core::ports::JobWrites {
        self
    }

    async fn commit(self: Box<Self>) -> Result<(), RepoError> {
        identity_core::ports::Transaction::commit(self).await
    }
}

impl MemoryTransaction {
    /// Replaces (or inserts) one row and remembers how to take it back.
    fn put<K: Ord + Clone + Send + 'static, V: Clone + Send + 'static>(
        &mut self,
        table: fn(&mut State) -> &mut BTreeMap<K, V>,
        key: K,
        value: V,
    ) -> Result<(), RepoError> {
        self.write(move |state| {
            let previous = table(state).insert(key.clone(), value);
            Box::new(move |state: &mut State| match previous {
                Some(previous) => {
                    table(state).insert(key, previous);
                }
                None => {
                    table(state).remove(&key);
                }
            })
        })
    }
}

fn agents(state: &mut State) -> &mut BTreeMap<AgentId, Agent> {
    &mut state.agents.agents
}

fn instances(state: &mut State) -> &mut BTreeMap<InstanceId, Instance> {
    &mut state.agents.instances
}

#[async_trait]
impl AgentWrites for MemoryTransaction {
    async fn insert_agent(&mut self, agent: &Agent) -> Result<(), RepoError> {
        self.put(agents, agent.id, agent.clone())
    }

    async fn lock_agent(&mut self, id: AgentId) -> Result<Option<Agent>, RepoError> {
        Ok(self.state()?.agents.agents.get(&id).cloned())
    }

    async fn update_agent(&mut self, agent: &Agent) -> Result<(), RepoError> {
        self.put(agents, agent.id, agent.clone())
    }
}

#[async_trait]
impl InstanceWrites for MemoryTransaction {
    async fn insert_instance(&mut self, instance: &Instance) -> Result<(), RepoError> {
        self.put(instances, instance.id, instance.clone())
    }

    async fn lock_instance(&mut self, id: InstanceId) -> Result<Option<Instance>, RepoError> {
        Ok(self.state()?.agents.instances.get(&id).cloned())
    }

    async fn update_instance(&mut self, instance: &Instance) -> Result<(), RepoError> {
        self.put(instances, instance.id, instance.clone())
    }

    async fn lock_instances_of(&mut self, user: UserId) -> Result<Vec<Instance>, RepoError> {
        Ok(self.state()?.agents.instances.values().filter(|i| i.user_id == user && i.is_live()).cloned().collect())
    }

    async fn record_consumed(&mut self, id: uuid::Uuid, at: chrono::DateTime<chrono::Utc>) -> Result<bool, RepoError> {
        if self.state()?.agents.consumed.contains_key(&id) {
            return Ok(false);
        }
        self.write(move |state| {
            state.agents.consumed.insert(id, at);
            Box::new(move |state: &mut State| {
                state.agents.consumed.remove(&id);
            })
        })?;
        Ok(true)
    }
}
