//! Provisioning: a new instance starts `provisioning`; its job (enqueued with the instance,
//! in the same transaction) asks the provisioner to set it up and moves it to `ready`, or to
//! `failed` when the provisioner refuses it or every attempt failed. Each move is an
//! `instance.updated` event with the new version.

use std::sync::Arc;

use async_trait::async_trait;

use super::instances::InstanceService;
use super::model::{Instance, InstanceId, InstanceState};
use crate::domain::{EventType, Job, JobId, JobKind, NewJob};
use crate::usecases::{CoreError, JobError, JobHandler};

/// Sets up an instance elsewhere (`INSTANCE_PROVISIONER_URL`: an HTTP POST of the instance).
#[async_trait]
pub trait InstanceProvisioner: Send + Sync + 'static {
    /// `Ok` once the instance is set up; `Retry` when the provisioner is down or answered a
    /// temporary failure; `Fail` when it refused the instance.
    async fn provision(&self, instance: &Instance) -> Result<(), JobError>;
}

/// No provisioner configured: every instance is ready at once.
pub struct Immediate;

#[async_trait]
impl InstanceProvisioner for Immediate {
    async fn provision(&self, _instance: &Instance) -> Result<(), JobError> {
        Ok(())
    }
}

impl InstanceService {
    /// The job that provisions `instance`, keyed by it (one per instance).
    pub(crate) fn provisioning_job(&self, instance: &Instance) -> NewJob {
        let payload =
            serde_json::json!({ "instance_id": instance.id.as_uuid(), "user_id": instance.user_id.as_uuid() });
        NewJob::new(
            JobId::from_uuid(self.ctx.new_id()),
            JobKind::ProvisionInstance,
            payload,
            self.ctx.settings.job_max_attempts,
            self.ctx.now(),
        )
        .with_unique_key(format!("provision:{}", instance.id))
    }

    /// Moves a live instance still `provisioning` to `state`, with its event; `false` when it
    /// is gone or no longer provisioning (deleted, or moved by another service meanwhile).
    pub(crate) async fn finish_provisioning(&self, id: InstanceId, state: InstanceState) -> Result<bool, CoreError> {
        let mut tx = self.uow.begin_agents().await?;
        let Some(mut instance) = tx.instances().lock_instance(id).await? else { return Ok(false) };
        if !instance.is_live() || instance.state != InstanceState::Provisioning {
            return Ok(false);
        }
        instance.state = state;
        instance.bump(self.ctx.now());
        tx.instances().update_instance(&instance).await?;
        tx.journal().record_events(&[self.event(EventType::InstanceUpdated, &instance, vec!["state"])]).await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// Runs `provision_instance` jobs.
pub struct ProvisionHandler {
    pub instances: InstanceService,
    pub provisioner: Arc<dyn InstanceProvisioner>,
}

impl ProvisionHandler {
    fn instance_id(job: &Job) -> Result<InstanceId, JobError> {
        job.payload
            .get("instance_id")
            .and_then(|id| id.as_str())
            .and_then(|id| uuid::Uuid::try_parse(id).ok())
            .map(InstanceId::from_uuid)
            .ok_or_else(|| JobError::Fail("the job names no instance".into()))
    }
}

#[async_trait]
impl JobHandler for ProvisionHandler {
    fn kind(&self) -> JobKind {
        JobKind::ProvisionInstance
    }

    async fn run(&self, job: &Job) -> Result<Option<serde_json::Value>, JobError> {
        let id = Self::instance_id(job)?;
        let retry = |e: CoreError| JobError::Retry(e.to_string());
        let found = self.instances.instances.find_instance(id).await.map_err(|e| JobError::Retry(e.to_string()))?;
        let Some(instance) = found.filter(|i| i.is_live() && i.state == InstanceState::Provisioning) else {
            return Ok(Some(serde_json::json!({ "skipped": "the instance is gone or no longer provisioning" })));
        };
        self.provisioner.provision(&instance).await?;
        self.instances.finish_provisioning(id, InstanceState::Ready).await.map_err(retry)?;
        Ok(Some(serde_json::json!({ "state": "ready" })))
    }

    async fn gave_up(&self, job: &Job) -> Result<(), CoreError> {
        if let Ok(id) = Self::instance_id(job) {
            self.instances.finish_provisioning(id, InstanceState::Failed).await?;
        }
        Ok(())
    }
}
