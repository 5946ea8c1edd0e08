//! `/v1/admin/jobs`: the durable job queues as admins see them (like Flower for Celery):
//! listings by kind and state, one job with its attempts, last error and timings, and retry
//! or cancel (audited as `job.retried`, `job.cancelled`).

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use identity_core::Job;
use identity_core::usecases::JobQuery;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::private_json;
use crate::error::{ApiError, Problem};
use crate::extract::CurrentUser;
use crate::state::AppState;

/// A job. A mail job's payload names the kind of mail and the masked recipient; its codes
/// and links are sealed and never shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobView {
    pub id: Uuid,
    /// `mail`, `provision_instance` or `retention`.
    #[schema(example = "mail")]
    pub kind: String,
    /// `queued` (waiting for `run_at`: a first run or a retry), `running`, `succeeded`,
    /// `dead` (out of attempts, or failed for good) or `cancelled`.
    #[schema(example = "queued")]
    pub state: String,
    #[schema(example = json!({"mail": "password_reset", "to": "a***@example.com"}))]
    pub payload: Value,
    /// Higher runs first.
    pub priority: i16,
    /// Runs started so far.
    pub attempts: i32,
    pub max_attempts: i32,
    /// When it is (or was) due.
    pub run_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When its last run started.
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The worker running it, while it runs.
    pub locked_by: Option<String>,
    /// When its lease ends, while it runs: another worker takes it over after that.
    pub locked_until: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// What its successful run reported (retention: what it deleted, by table).
    pub result: Option<Value>,
    /// A second enqueue under this key was not made: the job runs once.
    pub unique_key: Option<String>,
}

impl From<&Job> for JobView {
    fn from(job: &Job) -> Self {
        Self {
            id: job.id.as_uuid(),
            kind: job.kind.as_str().to_owned(),
            state: job.state.as_str().to_owned(),
            payload: job.payload.clone(),
            priority: job.priority,
            attempts: job.attempts,
            max_attempts: job.max_attempts,
            run_at: job.run_at,
            created_at: job.created_at,
            updated_at: job.updated_at,
            started_at: job.started_at,
            finished_at: job.finished_at,
            locked_by: job.locked_by.clone(),
            locked_until: job.locked_until,
            last_error: job.last_error.clone(),
            result: job.result.clone(),
            unique_key: job.unique_key.clone(),
        }
    }
}

/// One page of jobs, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobPage {
    pub items: Vec<JobView>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Filters of the job listing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobSearch {
    /// Only jobs of this kind.
    #[param(pattern = "^(mail|provision_instance|retention)?$")]
    pub kind: Option<String>,
    /// Only jobs in this state.
    #[param(pattern = "^(queued|running|succeeded|dead|cancelled)?$")]
    pub state: Option<String>,
    /// Items per page, 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The jobs of every queue, newest first (admins only).
#[utoipa::path(
    operation_id = "admin_list_jobs",
    tag = "jobs",
    params(JobSearch),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = OK, body = JobPage),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: bad `kind`, `state`, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/jobs")]
pub async fn admin_list_jobs(
    state: web::Data<AppState>,
    user: CurrentUser,
    search: crate::extract::Query<JobSearch>,
) -> Result<HttpResponse, ApiError> {
    let search = search.into_inner();
    let query = JobQuery { kind: search.kind, state: search.state, limit: search.limit, cursor: search.cursor };
    let page = state.services.jobs.list(&user.0, query).await?;
    Ok(private_json(JobPage { items: page.items.iter().map(JobView::from).collect(), next_cursor: page.next_cursor }))
}

/// One job: its attempts, last error, result and timings (admins only).
#[utoipa::path(
    operation_id = "admin_get_job",
    tag = "jobs",
    params(("id" = Uuid, Path, description = "Job id")),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = OK, body = JobView),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such job", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/jobs/{id}")]
pub async fn admin_get_job(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(private_json(JobView::from(&state.services.jobs.get(&user.0, id.into_inner()).await?)))
}

/// Runs a dead, cancelled or waiting job again now, with its attempts reset (admins only;
/// audited as `job.retried`).
#[utoipa::path(
    operation_id = "admin_retry_job",
    tag = "jobs",
    params(("id" = Uuid, Path, description = "Job id")),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = OK, body = JobView),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such job", body = Problem, content_type = "application/problem+json"),
        (status = CONFLICT, description = "`job_state_conflict`: the job is running or succeeded", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/jobs/{id}/retry")]
pub async fn admin_retry_job(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(private_json(JobView::from(&state.services.jobs.retry(&user.0, id.into_inner()).await?)))
}

/// Cancels a queued job: it will not run (admins only; audited as `job.cancelled`).
#[utoipa::path(
    operation_id = "admin_cancel_job",
    tag = "jobs",
    params(("id" = Uuid, Path, description = "Job id")),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = OK, body = JobView),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such job", body = Problem, content_type = "application/problem+json"),
        (status = CONFLICT, description = "`job_state_conflict`: the job is running or already over", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/jobs/{id}/cancel")]
pub async fn admin_cancel_job(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(private_json(JobView::from(&state.services.jobs.cancel(&user.0, id.into_inner()).await?)))
}
