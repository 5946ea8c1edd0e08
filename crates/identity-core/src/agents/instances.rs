//! Users' agent instances: each user creates, reads, changes and deletes their own; admins
//! read anyone's. Every change writes its `instance.*` event in the same transaction as the
//! instance row, and bumps the version that `ETag`/`If-Match` and the events carry.

use std::sync::Arc;

use serde_json::Value;
use uuid::Uuid;

use super::model::{AgentId, Instance, InstanceFilter, InstanceId, InstanceState, parse_name};
use super::store::{AgentRepository, AgentsUnitOfWork, InstanceRepository};
use crate::authz::{Need, authorize};
use crate::domain::{DomainEvent, EventType, FieldError, InstanceData, RequestKey, UserId, ValidationErrors};
use crate::kernel::Requests;
use crate::kernel::context::Context;
use crate::usecases::{Authenticated, CoreError, Page, page_request};

/// `POST /v1/instances`.
#[derive(Debug, Clone)]
pub struct NewInstance {
    pub agent_id: Uuid,
    pub name: String,
    /// `{}` when not given.
    pub config: Option<Value>,
}

/// `PATCH /v1/instances/{id}`: a JSON merge patch of the instance (`config` merges into the
/// stored configuration).
#[derive(Debug, Clone, Default)]
pub struct InstanceChange {
    pub name: Option<String>,
    pub config: Option<Value>,
}

/// An `instance.updated` another service published (a provisioner moving an instance to
/// `ready`, say): the version it made and the fields it changed.
#[derive(Debug, Clone)]
pub struct ExternalInstanceUpdate {
    /// The message id consumers deduplicate on.
    pub message_id: Uuid,
    pub instance_id: Uuid,
    pub version: i64,
    pub state: Option<String>,
    pub name: Option<String>,
    pub config: Option<Value>,
}

/// What became of an [`ExternalInstanceUpdate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consumed {
    /// Applied, and re-emitted as this service's `instance.updated`.
    Applied,
    /// The message was handled before.
    Duplicate,
    /// The instance already has this version or a later one.
    Stale,
    /// No such live instance.
    Unknown,
}

impl Consumed {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Duplicate => "duplicate",
            Self::Stale => "stale",
            Self::Unknown => "unknown",
        }
    }
}

#[derive(Clone)]
pub struct InstanceService {
    pub(crate) ctx: Context,
    pub(crate) agents: Arc<dyn AgentRepository>,
    pub(crate) instances: Arc<dyn InstanceRepository>,
    pub(crate) uow: Arc<dyn AgentsUnitOfWork>,
    /// Keyed creates, recorded in the instances' own database.
    pub(crate) requests: Requests,
}

impl InstanceService {
    /// Creates an instance of an enabled agent for the caller. A retry with the same
    /// `Idempotency-Key` and body answers the instance the first attempt made.
    pub async fn create(
        &self,
        auth: &Authenticated,
        input: NewInstance,
        request: Option<&RequestKey>,
    ) -> Result<Instance, CoreError> {
        if let Some(id) = self.requests.made(request).await?
            && let Some(instance) = self.instances.find_instance(InstanceId::from_uuid(id)).await?
            && instance.user_id == auth.user.id
        {
            return Ok(instance);
        }
        let mut errors = ValidationErrors::new();
        let name = errors.collect(parse_name("name", &input.name));
        let config = input.config.unwrap_or_else(|| Value::Object(serde_json::Map::new()));
        errors.collect(Instance::check_config(&config));
        let agent = self.agents.find_agent(AgentId::from_uuid(input.agent_id)).await?;
        if !agent.is_some_and(|agent| agent.enabled && agent.deleted_at.is_none()) {
            errors.push(FieldError::new("agent_id", "unknown_agent", "no enabled agent has this id"));
        }
        errors.into_result()?;
        let now = self.ctx.now();
        let instance = Instance {
            id: InstanceId::from_uuid(self.ctx.new_id()),
            user_id: auth.user.id,
            agent_id: AgentId::from_uuid(input.agent_id),
            name: name.unwrap_or_default(),
            config,
            // Its provisioning job (below) moves it to `ready` or `failed`.
            state: InstanceState::Provisioning,
            version: 1,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        };
        let mut tx = self.uow.begin_agents().await?;
        tx.instances().insert_instance(&instance).await?;
        tx.jobs().enqueue(&self.provisioning_job(&instance)).await?;
        tx.journal().record_events(&[self.event(EventType::InstanceCreated, &instance, Vec::new())]).await?;
        self.requests.record(tx.journal(), request, instance.id.as_uuid()).await?;
        tx.commit().await?;
        Ok(instance)
    }

    /// The caller's live instances, newest first, optionally in one state.
    pub async fn list(
        &self,
        auth: &Authenticated,
        state: Option<&str>,
        limit: Option<usize>,
        cursor: Option<&str>,
    ) -> Result<Page<Instance>, CoreError> {
        self.page(auth.user.id, state, limit, cursor).await
    }

    /// One of the caller's live instances; anyone else's is not found.
    pub async fn get(&self, auth: &Authenticated, id: Uuid) -> Result<Instance, CoreError> {
        self.instances
            .find_instance(InstanceId::from_uuid(id))
            .await?
            .filter(|instance| instance.user_id == auth.user.id && instance.is_live())
            .ok_or(CoreError::NotFound)
    }

    /// Changes the caller's instance if `if_match` names its current version (428 without
    /// one, 412 when stale). A patch that changes nothing writes nothing.
    pub async fn update(
        &self,
        auth: &Authenticated,
        id: Uuid,
        if_match: Option<&str>,
        change: InstanceChange,
    ) -> Result<Instance, CoreError> {
        let mut errors = ValidationErrors::new();
        let name = change.name.as_deref().and_then(|raw| errors.collect(parse_name("name", raw)));
        if let Some(patch) = &change.config {
            errors.collect(Instance::check_config(patch));
        }
        errors.into_result()?;
        // A bad input is a 422 whatever the version: checked before the precondition.
        let if_match = if_match.ok_or(CoreError::PreconditionRequired)?;
        let mut tx = self.uow.begin_agents().await?;
        let mut instance = self.own(tx.instances().lock_instance(InstanceId::from_uuid(id)).await?, auth)?;
        if !instance.matches_etag(if_match) {
            return Err(CoreError::PreconditionFailed);
        }
        let mut changed = Vec::new();
        if let Some(name) = name.filter(|name| *name != instance.name) {
            instance.name = name;
            changed.push("name");
        }
        if let Some(patch) = change.config {
            let mut config = instance.config.clone();
            crate::profile::merge_patch(&mut config, &patch);
            Instance::check_config(&config).map_err(ValidationErrors::single)?;
            if config != instance.config {
                instance.config = config;
                changed.push("config");
            }
        }
        if changed.is_empty() {
            return Ok(instance);
        }
        instance.bump(self.ctx.now());
        tx.instances().update_instance(&instance).await?;
        tx.journal().record_events(&[self.event(EventType::InstanceUpdated, &instance, changed)]).await?;
        tx.commit().await?;
        Ok(instance)
    }

    /// Soft-deletes the caller's instance (`If-Match`, when given, must name its version).
    pub async fn delete(&self, auth: &Authenticated, id: Uuid, if_match: Option<&str>) -> Result<(), CoreError> {
        let mut tx = self.uow.begin_agents().await?;
        let mut instance = self.own(tx.instances().lock_instance(InstanceId::from_uuid(id)).await?, auth)?;
        if if_match.is_some_and(|tag| !instance.matches_etag(tag)) {
            return Err(CoreError::PreconditionFailed);
        }
        instance.delete(self.ctx.now());
        tx.instances().update_instance(&instance).await?;
        tx.journal().record_events(&[self.event(EventType::InstanceDeleted, &instance, vec!["state"])]).await?;
        Ok(tx.commit().await?)
    }

    /// `GET /v1/admin/users/{id}/instances`: any user's live instances.
    pub async fn admin_list(
        &self,
        auth: &Authenticated,
        user: Uuid,
        state: Option<&str>,
        limit: Option<usize>,
        cursor: Option<&str>,
    ) -> Result<Page<Instance>, CoreError> {
        authorize(auth, Need::ADMIN)?;
        self.page(UserId::from_uuid(user), state, limit, cursor).await
    }

    /// `GET /v1/admin/instances/{id}`: any live instance.
    pub async fn admin_get(&self, auth: &Authenticated, id: Uuid) -> Result<Instance, CoreError> {
        authorize(auth, Need::ADMIN)?;
        self.instances
            .find_instance(InstanceId::from_uuid(id))
            .await?
            .filter(Instance::is_live)
            .ok_or(CoreError::NotFound)
    }

    /// Ends every live instance of a deleted account, with an `instance.deleted` each; the
    /// number ended. Runs after the account's deletion committed (the instances may live in
    /// another database).
    pub async fn end_all_of(&self, user: UserId) -> Result<usize, CoreError> {
        let mut tx = self.uow.begin_agents().await?;
        let instances = tx.instances().lock_instances_of(user).await?;
        let now = self.ctx.now();
        let mut events = Vec::with_capacity(instances.len());
        for mut instance in instances {
            instance.delete(now);
            tx.instances().update_instance(&instance).await?;
            events.push(self.event(EventType::InstanceDeleted, &instance, vec!["state"]));
        }
        if events.is_empty() {
            return Ok(0);
        }
        tx.journal().record_events(&events).await?;
        tx.commit().await?;
        Ok(events.len())
    }

    /// Applies another service's `instance.updated` once: a message handled before is a
    /// `Duplicate`, a version not above the instance's is `Stale`; otherwise the fields change,
    /// the instance takes the event's version, and this service emits `instance.updated` for
    /// the user, in the same transaction as the change and the record of the message. A
    /// malformed update (unknown state, bad name or config) is a validation error: the caller
    /// hands the message back, and the broker dead-letters it after its delivery limit.
    pub async fn apply_external(&self, update: ExternalInstanceUpdate) -> Result<Consumed, CoreError> {
        let mut errors = ValidationErrors::new();
        let state = update.state.as_deref().and_then(|raw| errors.collect(InstanceState::parse_live(raw)));
        let name = update.name.as_deref().and_then(|raw| errors.collect(parse_name("name", raw)));
        if let Some(config) = &update.config {
            errors.collect(Instance::check_config(config));
        }
        if update.version < 1 {
            errors.push(FieldError::new("version", "out_of_range", "a version is 1 or more"));
        }
        errors.into_result()?;
        let now = self.ctx.now();
        let mut tx = self.uow.begin_agents().await?;
        if !tx.instances().record_consumed(update.message_id, now).await? {
            return Ok(Consumed::Duplicate);
        }
        let found = tx.instances().lock_instance(InstanceId::from_uuid(update.instance_id)).await?;
        let outcome = match found.filter(Instance::is_live) {
            None => Consumed::Unknown,
            Some(instance) if update.version <= instance.version => Consumed::Stale,
            Some(mut instance) => {
                let mut changed = Vec::new();
                if let Some(state) = state.filter(|s| *s != instance.state) {
                    instance.state = state;
                    changed.push("state");
                }
                if let Some(name) = name.filter(|n| *n != instance.name) {
                    instance.name = name;
                    changed.push("name");
                }
                if let Some(config) = update.config.filter(|c| *c != instance.config) {
                    instance.config = config;
                    changed.push("config");
                }
                instance.version = update.version;
                instance.updated_at = now;
                tx.instances().update_instance(&instance).await?;
                tx.journal().record_events(&[self.event(EventType::InstanceUpdated, &instance, changed)]).await?;
                Consumed::Applied
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }

    fn own(&self, found: Option<Instance>, auth: &Authenticated) -> Result<Instance, CoreError> {
        found.filter(|instance| instance.user_id == auth.user.id && instance.is_live()).ok_or(CoreError::NotFound)
    }

    async fn page(
        &self,
        user: UserId,
        state: Option<&str>,
        limit: Option<usize>,
        cursor: Option<&str>,
    ) -> Result<Page<Instance>, CoreError> {
        let (limit, page) = page_request(limit, cursor)?;
        let state = match state.filter(|s| !s.is_empty()) {
            Some(raw) => Some(InstanceState::parse_live(raw).map_err(ValidationErrors::single)?),
            None => None,
        };
        let filter = InstanceFilter { user, state, after: page.after, limit: page.limit };
        let instances = self.instances.list_instances(&filter).await?;
        Ok(Page::from_fetched(instances, limit, |instance| instance.id.to_string()))
    }

    pub(crate) fn event(&self, event_type: EventType, instance: &Instance, changed: Vec<&'static str>) -> DomainEvent {
        let data = InstanceData {
            instance_id: instance.id.as_uuid(),
            user_id: instance.user_id.as_uuid(),
            agent_id: instance.agent_id.as_uuid(),
            name: &instance.name,
            state: instance.state.as_str(),
            version: instance.version,
            changed,
            updated_at: instance.updated_at,
        };
        self.ctx.event_about(event_type, instance.id.as_uuid(), Some(instance.user_id.as_uuid()), &data)
    }
}
