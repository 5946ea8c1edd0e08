//! The agents catalog and agent instances on PostgreSQL. Their transactions are the store's
//! own ([`PgTransaction`]): the journal of an agents transaction is the outbox (and keyed
//! requests) of the same database.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use identity_core::ports::{
    AgentRepository, AgentWrites, AgentsTransaction, AgentsUnitOfWork, InstanceRepository, InstanceWrites, JobWrites,
    JournalWrites, RepoError, Transaction,
};
use identity_core::{Agent, AgentFilter, AgentId, Instance, InstanceFilter, InstanceId, InstanceState, UserId};
use uuid::Uuid;

use super::{Conn, PgStore, PgTransaction, like_prefix, limit};
use crate::errors::repo_error;
use crate::schema::{agents, instances};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = agents, check_for_backend(diesel::pg::Pg))]
struct AgentRow {
    id: Uuid,
    name: String,
    description: String,
    category: String,
    tags: Vec<String>,
    enabled: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

impl AgentRow {
    fn from_domain(agent: &Agent) -> Self {
        Self {
            id: agent.id.as_uuid(),
            name: agent.name.clone(),
            description: agent.description.clone(),
            category: agent.category.clone(),
            tags: agent.tags.clone(),
            enabled: agent.enabled,
            created_at: agent.created_at,
            updated_at: agent.updated_at,
            deleted_at: agent.deleted_at,
        }
    }

    fn into_domain(self) -> Agent {
        Agent {
            id: AgentId::from_uuid(self.id),
            name: self.name,
            description: self.description,
            category: self.category,
            tags: self.tags,
            enabled: self.enabled,
            created_at: self.created_at,
            updated_at: self.updated_at,
            deleted_at: self.deleted_at,
        }
    }
}

/// What [`AgentWrites::update_agent`] writes: every field but the id and `created_at`.
#[derive(AsChangeset)]
#[diesel(table_name = agents, treat_none_as_null = true)]
struct AgentChanges<'a> {
    name: &'a str,
    description: &'a str,
    category: &'a str,
    tags: &'a Vec<String>,
    enabled: bool,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = instances, check_for_backend(diesel::pg::Pg))]
struct InstanceRow {
    id: Uuid,
    user_id: Uuid,
    agent_id: Uuid,
    name: String,
    config: serde_json::Value,
    state: String,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

impl InstanceRow {
    fn from_domain(instance: &Instance) -> Self {
        Self {
            id: instance.id.as_uuid(),
            user_id: instance.user_id.as_uuid(),
            agent_id: instance.agent_id.as_uuid(),
            name: instance.name.clone(),
            config: instance.config.clone(),
            state: instance.state.as_str().to_owned(),
            version: instance.version,
            created_at: instance.created_at,
            updated_at: instance.updated_at,
            deleted_at: instance.deleted_at,
        }
    }

    fn into_domain(self) -> Result<Instance, RepoError> {
        let state = InstanceState::parse(&self.state).ok_or_else(|| {
            RepoError::Unknown(anyhow::anyhow!("stored state {:?} of instance {}", self.state, self.id))
        })?;
        Ok(Instance {
            id: InstanceId::from_uuid(self.id),
            user_id: UserId::from_uuid(self.user_id),
            agent_id: AgentId::from_uuid(self.agent_id),
            name: self.name,
            config: self.config,
            state,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
            deleted_at: self.deleted_at,
        })
    }
}

/// What [`InstanceWrites::update_instance`] writes: every field but the id, the owner, the
/// agent and `created_at`.
#[derive(AsChangeset)]
#[diesel(table_name = instances, treat_none_as_null = true)]
struct InstanceChanges<'a> {
    name: &'a str,
    config: &'a serde_json::Value,
    state: &'a str,
    version: i64,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

async fn find_agent(conn: &mut Conn, id: AgentId, lock: bool) -> Result<Option<Agent>, RepoError> {
    let query = agents::table.find(id.as_uuid()).select(AgentRow::as_select());
    let row = if lock { query.for_update().first(conn).await.optional() } else { query.first(conn).await.optional() };
    Ok(row.map_err(repo_error)?.map(AgentRow::into_domain))
}

/// The `WHERE` of [`AgentFilter::matches`], by id ascending.
async fn list_agents(conn: &mut Conn, filter: &AgentFilter) -> Result<Vec<Agent>, RepoError> {
    let mut select = agents::table
        .filter(agents::deleted_at.is_null())
        .select(AgentRow::as_select())
        .order(agents::id.asc())
        .limit(limit(filter.limit))
        .into_boxed();
    if filter.enabled_only {
        select = select.filter(agents::enabled.eq(true));
    }
    if let Some(search) = &filter.search {
        select = select.filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("agents.name ILIKE ")
                .bind::<diesel::sql_types::Text, _>(like_prefix(search)),
        );
    }
    if let Some(category) = &filter.category {
        select = select.filter(agents::category.eq(category.clone()));
    }
    if let Some(tag) = &filter.tag {
        // `tags @> ARRAY[tag]`: what the GIN index `agents_tags_idx` serves.
        select = select.filter(agents::tags.contains(vec![tag.clone()]));
    }
    if let Some(after) = filter.after {
        select = select.filter(agents::id.gt(after));
    }
    let rows = select.load(conn).await.map_err(repo_error)?;
    Ok(rows.into_iter().map(AgentRow::into_domain).collect())
}

async fn insert_agent(conn: &mut Conn, agent: &Agent) -> Result<(), RepoError> {
    diesel::insert_into(agents::table).values(AgentRow::from_domain(agent)).execute(conn).await.map_err(repo_error)?;
    Ok(())
}

async fn update_agent(conn: &mut Conn, agent: &Agent) -> Result<(), RepoError> {
    let changes = AgentChanges {
        name: &agent.name,
        description: &agent.description,
        category: &agent.category,
        tags: &agent.tags,
        enabled: agent.enabled,
        updated_at: agent.updated_at,
        deleted_at: agent.deleted_at,
    };
    let updated =
        diesel::update(agents::table.find(agent.id.as_uuid())).set(changes).execute(conn).await.map_err(repo_error)?;
    if updated != 1 {
        return Err(RepoError::Unknown(anyhow::anyhow!("no agent {} to update", agent.id)));
    }
    Ok(())
}

async fn find_instance(conn: &mut Conn, id: InstanceId, lock: bool) -> Result<Option<Instance>, RepoError> {
    let query = instances::table.find(id.as_uuid()).select(InstanceRow::as_select());
    let row = if lock { query.for_update().first(conn).await.optional() } else { query.first(conn).await.optional() };
    row.map_err(repo_error)?.map(InstanceRow::into_domain).transpose()
}

/// The `WHERE` of [`InstanceFilter::matches`], newest first.
async fn list_instances(conn: &mut Conn, filter: &InstanceFilter) -> Result<Vec<Instance>, RepoError> {
    let mut select = instances::table
        .filter(instances::user_id.eq(filter.user.as_uuid()))
        .filter(instances::deleted_at.is_null())
        .select(InstanceRow::as_select())
        .order(instances::id.desc())
        .limit(limit(filter.limit))
        .into_boxed();
    if let Some(state) = filter.state {
        select = select.filter(instances::state.eq(state.as_str()));
    }
    if let Some(after) = filter.after {
        select = select.filter(instances::id.lt(after));
    }
    let rows = select.load(conn).await.map_err(repo_error)?;
    rows.into_iter().map(InstanceRow::into_domain).collect()
}

async fn lock_instances_of(conn: &mut Conn, user: UserId) -> Result<Vec<Instance>, RepoError> {
    let rows = instances::table
        .filter(instances::user_id.eq(user.as_uuid()))
        .filter(instances::deleted_at.is_null())
        .select(InstanceRow::as_select())
        .order(instances::id.asc())
        .for_update()
        .load(conn)
        .await
        .map_err(repo_error)?;
    rows.into_iter().map(InstanceRow::into_domain).collect()
}

async fn insert_instance(conn: &mut Conn, instance: &Instance) -> Result<(), RepoError> {
    diesel::insert_into(instances::table)
        .values(InstanceRow::from_domain(instance))
        .execute(conn)
        .await
        .map_err(repo_error)?;
    Ok(())
}

async fn update_instance(conn: &mut Conn, instance: &Instance) -> Result<(), RepoError> {
    let changes = InstanceChanges {
        name: &instance.name,
        config: &instance.config,
        state: instance.state.as_str(),
        version: instance.version,
        updated_at: instance.updated_at,
        deleted_at: instance.deleted_at,
    };
    let updated = diesel::update(instances::table.find(instance.id.as_uuid()))
        .set(changes)
        .execute(conn)
        .await
        .map_err(repo_error)?;
    if updated != 1 {
        return Err(RepoError::Unknown(anyhow::anyhow!("no instance {} to update", instance.id)));
    }
    Ok(())
}

#[async_trait]
impl AgentRepository for PgStore {
    async fn find_agent(&self, id: AgentId) -> Result<Option<Agent>, RepoError> {
        find_agent(&mut self.conn().await?, id, false).await
    }

    async fn list_agents(&self, filter: &AgentFilter) -> Result<Vec<Agent>, RepoError> {
        list_agents(&mut self.conn().await?, filter).await
    }
}

#[async_trait]
impl InstanceRepository for PgStore {
    async fn find_instance(&self, id: InstanceId) -> Result<Option<Instance>, RepoError> {
        find_instance(&mut self.conn().await?, id, false).await
    }

    async fn list_instances(&self, filter: &InstanceFilter) -> Result<Vec<Instance>, RepoError> {
        list_instances(&mut self.conn().await?, filter).await
    }
}

#[async_trait]
impl AgentsUnitOfWork for PgStore {
    /// A transaction like [`UnitOfWork::begin`](identity_core::ports::UnitOfWork::begin)'s.
    async fn begin_agents(&self) -> Result<Box<dyn AgentsTransaction>, RepoError> {
        Ok(Box::new(self.transaction().await?))
    }
}

#[async_trait]
impl AgentsTransaction for PgTransaction {
    fn agents(&mut self) -> &mut dyn AgentWrites {
        self
    }

    fn instances(&mut self) -> &mut dyn InstanceWrites {
        self
    }

    fn journal(&mut self) -> &mut dyn JournalWrites {
        self
    }

    fn jobs(&mut self) -> &mut dyn JobWrites {
        self
    }

    async fn commit(self: Box<Self>) -> Result<(), RepoError> {
        Transaction::commit(self).await
    }
}

#[async_trait]
impl AgentWrites for PgTransaction {
    async fn insert_agent(&mut self, agent: &Agent) -> Result<(), RepoError> {
        insert_agent(self.conn()?, agent).await
    }

    async fn lock_agent(&mut self, id: AgentId) -> Result<Option<Agent>, RepoError> {
        find_agent(self.conn()?, id, true).await
    }

    async fn update_agent(&mut self, agent: &Agent) -> Result<(), RepoError> {
        update_agent(self.conn()?, agent).await
    }
}

#[async_trait]
impl InstanceWrites for PgTransaction {
    async fn insert_instance(&mut self, instance: &Instance) -> Result<(), RepoError> {
        insert_instance(self.conn()?, instance).await
    }

    async fn lock_instance(&mut self, id: InstanceId) -> Result<Option<Instance>, RepoError> {
        find_instance(self.conn()?, id, true).await
    }

    async fn record_consumed(&mut self, id: Uuid, at: DateTime<Utc>) -> Result<bool, RepoError> {
        let inserted = diesel::sql_query(
            "INSERT INTO consumed_messages (id, consumed_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
        )
        .bind::<diesel::sql_types::Uuid, _>(id)
        .bind::<diesel::sql_types::Timestamptz, _>(at)
        .execute(self.conn()?)
        .await
        .map_err(repo_error)?;
        Ok(inserted == 1)
    }

    async fn update_instance(&mut self, instance: &Instance) -> Result<(), RepoError> {
        update_instance(self.conn()?, instance).await
    }

    async fn lock_instances_of(&mut self, user: UserId) -> Result<Vec<Instance>, RepoError> {
        lock_instances_of(self.conn()?, user).await
    }
}
