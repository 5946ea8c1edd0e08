//! The agents catalog: signed-in users read the enabled agents; admins keep it (audited, with
//! `agent.*` events).

use std::sync::Arc;

use uuid::Uuid;

use super::model::{Agent, AgentFields, AgentFilter, AgentId};
use super::store::{AgentRepository, AgentsTransaction, AgentsUnitOfWork};
use crate::authz::{Need, authorize};
use crate::domain::{AgentData, AgentDeletedData, AuditEntry, EventType, SearchPrefix, ValidationErrors};
use crate::kernel::context::Context;
use crate::ports::UnitOfWork;
use crate::usecases::{Authenticated, CoreError, Page, page_request};

/// A listing of the catalog: `?q=&category=&tag=&limit=&cursor=`.
#[derive(Debug, Clone, Default)]
pub struct AgentQuery {
    pub q: Option<String>,
    pub category: Option<String>,
    pub tag: Option<String>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

#[derive(Clone)]
pub struct AgentService {
    pub(crate) ctx: Context,
    pub(crate) agents: Arc<dyn AgentRepository>,
    pub(crate) uow: Arc<dyn AgentsUnitOfWork>,
    /// The main database, for the audit entries of admins' changes when the agents live in
    /// another one (`separate`).
    pub(crate) audit: Arc<dyn UnitOfWork>,
    pub(crate) separate: bool,
}

impl AgentService {
    /// `GET /v1/agents`: the enabled agents, by id.
    pub async fn list(&self, query: AgentQuery) -> Result<Page<Agent>, CoreError> {
        self.page(query, true).await
    }

    /// `GET /v1/agents/{id}`: an enabled agent (a disabled or deleted one is not found).
    pub async fn get(&self, id: Uuid) -> Result<Agent, CoreError> {
        self.find(id).await.ok().filter(|agent| agent.enabled).ok_or(CoreError::NotFound)
    }

    /// `GET /v1/admin/agents`: every agent that was not deleted, disabled ones too.
    pub async fn admin_list(&self, auth: &Authenticated, query: AgentQuery) -> Result<Page<Agent>, CoreError> {
        authorize(auth, Need::ADMIN)?;
        self.page(query, false).await
    }

    /// `GET /v1/admin/agents/{id}`.
    pub async fn admin_get(&self, auth: &Authenticated, id: Uuid) -> Result<Agent, CoreError> {
        authorize(auth, Need::ADMIN)?;
        self.find(id).await
    }

    /// `POST /v1/admin/agents`.
    pub async fn create(&self, auth: &Authenticated, fields: AgentFields) -> Result<Agent, CoreError> {
        authorize(auth, Need::ADMIN)?;
        let agent = self.new_agent(fields.validate(true)?);
        let mut tx = self.uow.begin_agents().await?;
        tx.agents().insert_agent(&agent).await?;
        let event = self.agent_event(EventType::AgentCreated, &agent, Vec::new());
        tx.journal().record_events(&[event]).await?;
        let metadata = serde_json::json!({ "agent_id": agent.id.as_uuid(), "name": agent.name });
        self.commit(tx, self.ctx.audit_entry("agent.created", Some(auth.user.id), None, &auth.client, metadata))
            .await?;
        Ok(agent)
    }

    /// `PATCH /v1/admin/agents/{id}`: the given fields; nothing changed, nothing written.
    pub async fn update(&self, auth: &Authenticated, id: Uuid, fields: AgentFields) -> Result<Agent, CoreError> {
        authorize(auth, Need::ADMIN)?;
        let fields = fields.validate(false)?;
        let mut tx = self.uow.begin_agents().await?;
        let mut agent = Self::lock_live(tx.as_mut(), id).await?;
        let changed = fields.apply(&mut agent);
        if changed.is_empty() {
            return Ok(agent);
        }
        agent.updated_at = self.ctx.now();
        tx.agents().update_agent(&agent).await?;
        let event = self.agent_event(EventType::AgentUpdated, &agent, changed.clone());
        tx.journal().record_events(&[event]).await?;
        let metadata = serde_json::json!({ "agent_id": agent.id.as_uuid(), "changed": changed });
        self.commit(tx, self.ctx.audit_entry("agent.updated", Some(auth.user.id), None, &auth.client, metadata))
            .await?;
        Ok(agent)
    }

    /// `DELETE /v1/admin/agents/{id}`: the agent leaves the catalog; instances keep it.
    pub async fn delete(&self, auth: &Authenticated, id: Uuid) -> Result<(), CoreError> {
        authorize(auth, Need::ADMIN)?;
        let mut tx = self.uow.begin_agents().await?;
        let mut agent = Self::lock_live(tx.as_mut(), id).await?;
        let now = self.ctx.now();
        agent.deleted_at = Some(now);
        agent.updated_at = now;
        tx.agents().update_agent(&agent).await?;
        let data = AgentDeletedData { agent_id: agent.id.as_uuid(), deleted_at: now };
        let event = self.ctx.event_about(EventType::AgentDeleted, agent.id.as_uuid(), None, &data);
        tx.journal().record_events(&[event]).await?;
        let metadata = serde_json::json!({ "agent_id": agent.id.as_uuid(), "name": agent.name });
        self.commit(tx, self.ctx.audit_entry("agent.deleted", Some(auth.user.id), None, &auth.client, metadata)).await
    }

    /// Fills an empty catalog with a few demo agents (the embedded default's first start);
    /// `false` when the catalog had agents. Not audited: no one did it.
    pub async fn seed_demo(&self) -> Result<bool, CoreError> {
        let any = AgentFilter { limit: 1, ..AgentFilter::default() };
        if !self.agents.list_agents(&any).await?.is_empty() {
            return Ok(false);
        }
        let demos = [
            ("Writer", "Drafts and edits text with you.", "writing", &["drafting", "editing"][..]),
            ("Researcher", "Finds, reads and summarises sources.", "research", &["search", "summaries"][..]),
            ("Coder", "Reads, writes and reviews code.", "coding", &["review", "rust", "python"][..]),
        ];
        let mut tx = self.uow.begin_agents().await?;
        for (name, description, category, tags) in demos {
            let agent = self.new_agent(AgentFields {
                name: Some(name.into()),
                description: Some(description.into()),
                category: Some(category.into()),
                tags: Some(tags.iter().map(|t| (*t).to_owned()).collect()),
                enabled: None,
            });
            tx.agents().insert_agent(&agent).await?;
            let event = self.agent_event(EventType::AgentCreated, &agent, Vec::new());
            tx.journal().record_events(&[event]).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// A new agent, enabled unless `fields` say otherwise (already validated).
    fn new_agent(&self, fields: AgentFields) -> Agent {
        let now = self.ctx.now();
        let mut agent = Agent {
            id: AgentId::from_uuid(self.ctx.new_id()),
            name: String::new(),
            description: String::new(),
            category: String::new(),
            tags: Vec::new(),
            enabled: true,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        };
        fields.apply(&mut agent);
        agent
    }

    /// The agent, locked until commit, unless it was deleted.
    async fn lock_live(tx: &mut dyn AgentsTransaction, id: Uuid) -> Result<Agent, CoreError> {
        let found = tx.agents().lock_agent(AgentId::from_uuid(id)).await?;
        found.filter(|agent| agent.deleted_at.is_none()).ok_or(CoreError::NotFound)
    }

    async fn find(&self, id: Uuid) -> Result<Agent, CoreError> {
        self.agents
            .find_agent(AgentId::from_uuid(id))
            .await?
            .filter(|agent| agent.deleted_at.is_none())
            .ok_or(CoreError::NotFound)
    }

    async fn page(&self, query: AgentQuery, enabled_only: bool) -> Result<Page<Agent>, CoreError> {
        let (limit, page) = page_request(query.limit, query.cursor.as_deref())?;
        let mut errors = ValidationErrors::new();
        let category = query
            .category
            .filter(|c| !c.is_empty())
            .and_then(|c| errors.collect(super::model::parse_slug("category", &c)));
        let tag = query.tag.filter(|t| !t.is_empty()).and_then(|t| errors.collect(super::model::parse_slug("tag", &t)));
        errors.into_result()?;
        let filter = AgentFilter {
            search: query.q.as_deref().and_then(SearchPrefix::parse),
            category,
            tag,
            enabled_only,
            after: page.after,
            limit: page.limit,
        };
        let agents = self.agents.list_agents(&filter).await?;
        Ok(Page::from_fetched(agents, limit, |agent| agent.id.to_string()))
    }

    fn agent_event(
        &self,
        event_type: EventType,
        agent: &Agent,
        changed: Vec<&'static str>,
    ) -> crate::domain::DomainEvent {
        let data = AgentData {
            agent_id: agent.id.as_uuid(),
            name: &agent.name,
            category: &agent.category,
            tags: &agent.tags,
            enabled: agent.enabled,
            changed,
            updated_at: agent.updated_at,
        };
        self.ctx.event_about(event_type, agent.id.as_uuid(), None, &data)
    }

    /// Commits an admin's change with its audit entry: in the change's transaction when the
    /// agents live in the main database; otherwise written first in a transaction of the main
    /// database, which commits right after the change's (a failure of either before that
    /// leaves neither).
    async fn commit(&self, mut tx: Box<dyn AgentsTransaction>, entry: AuditEntry) -> Result<(), CoreError> {
        if !self.separate {
            tx.journal().record_audit(&entry).await?;
            return Ok(tx.commit().await?);
        }
        let mut main = self.audit.begin().await?;
        main.journal().record_audit(&entry).await?;
        tx.commit().await?;
        Ok(main.commit().await?)
    }
}
