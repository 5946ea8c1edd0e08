//! `/v1/admin/jobs`: what the queues hold, like Flower shows Celery's: listings by kind and
//! state, one job with its attempts, last error and timings, and an admin's retry or cancel
//! (audited). With a shared database for instances there are two queues; the listing merges
//! them newest first (ids are UUIDv7, so one cursor pages both).

use std::sync::Arc;

use uuid::Uuid;

use super::model::{Job, JobFilter, JobId, JobKind, JobState, Refused, Transition};
use super::store::{JobQueue, Transitioned};
use crate::authz::{Need, authorize};
use crate::domain::ValidationErrors;
use crate::kernel::context::Context;
use crate::ports::UnitOfWork;
use crate::usecases::{Authenticated, CoreError, Page, page_request};

/// The filters of `GET /v1/admin/jobs`.
#[derive(Debug, Clone, Default)]
pub struct JobQuery {
    pub kind: Option<String>,
    pub state: Option<String>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

#[derive(Clone)]
pub struct JobService {
    pub(crate) ctx: Context,
    /// The main store's queue first, then the shared database's when it is another one.
    pub(crate) queues: Vec<Arc<dyn JobQueue>>,
    /// Where admins' actions are audited (the main database).
    pub(crate) uow: Arc<dyn UnitOfWork>,
}

impl JobService {
    /// Jobs newest first, optionally of one kind and in one state.
    pub async fn list(&self, auth: &Authenticated, query: JobQuery) -> Result<Page<Job>, CoreError> {
        authorize(auth, Need::ADMIN)?;
        let (limit, page) = page_request(query.limit, query.cursor.as_deref())?;
        let mut errors = ValidationErrors::new();
        let kind = query
            .kind
            .as_deref()
            .filter(|raw| !raw.is_empty())
            .and_then(|raw| errors.collect(JobKind::parse_field("kind", raw)));
        let state = query
            .state
            .as_deref()
            .filter(|raw| !raw.is_empty())
            .and_then(|raw| errors.collect(JobState::parse_field("state", raw)));
        errors.into_result()?;
        let filter = JobFilter { kind, state, before: page.after.map(JobId::from_uuid), limit: page.limit };
        let mut jobs = Vec::new();
        for queue in &self.queues {
            jobs.extend(queue.list_jobs(&filter).await?);
        }
        jobs.sort_by_key(|job| std::cmp::Reverse(job.id));
        jobs.truncate(page.limit);
        Ok(Page::from_fetched(jobs, limit, |job| job.id.to_string()))
    }

    pub async fn get(&self, auth: &Authenticated, id: Uuid) -> Result<Job, CoreError> {
        authorize(auth, Need::ADMIN)?;
        for queue in &self.queues {
            if let Some(job) = queue.find_job(JobId::from_uuid(id)).await? {
                return Ok(job);
            }
        }
        Err(CoreError::NotFound)
    }

    /// Makes a dead, cancelled or waiting job due now with its attempts reset.
    pub async fn retry(&self, auth: &Authenticated, id: Uuid) -> Result<Job, CoreError> {
        self.change(auth, id, Transition::Retry, "job.retried").await
    }

    /// Cancels a queued job.
    pub async fn cancel(&self, auth: &Authenticated, id: Uuid) -> Result<Job, CoreError> {
        self.change(auth, id, Transition::Cancel, "job.cancelled").await
    }

    /// The change is the queue's own transaction (the job may live in the shared database);
    /// its audit entry follows in the main one.
    async fn change(
        &self,
        auth: &Authenticated,
        id: Uuid,
        transition: Transition,
        action: &'static str,
    ) -> Result<Job, CoreError> {
        authorize(auth, Need::ADMIN)?;
        for queue in &self.queues {
            match queue.transition(JobId::from_uuid(id), &transition, self.ctx.now()).await? {
                Transitioned::NotFound => continue,
                Transitioned::Refused(Refused::WrongState | Refused::LeaseLost, job) => {
                    return Err(CoreError::JobStateConflict { state: job.state.as_str() });
                }
                Transitioned::Done(job) => {
                    let metadata = serde_json::json!({ "job_id": id, "kind": job.kind.as_str() });
                    let entry = self.ctx.audit_entry(action, Some(auth.user.id), None, &auth.client, metadata);
                    let tx = self.uow.begin().await?;
                    self.ctx.finish(tx, &[], entry).await?;
                    return Ok(job);
                }
            }
        }
        Err(CoreError::NotFound)
    }
}
