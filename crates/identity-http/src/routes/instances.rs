//! The caller's agent instances (`/v1/instances`) and admins' reads of anyone's.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use identity_core::Instance;
use identity_core::usecases::{InstanceChange, NewInstance, Page};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{ApiError, Problem};
use crate::extract::{CurrentUser, JsonBody};
use crate::state::AppState;

/// An agent instance.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstanceView {
    pub id: Uuid,
    pub user_id: Uuid,
    pub agent_id: Uuid,
    #[schema(example = "My writer")]
    pub name: String,
    /// The instance's configuration (a JSON object).
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>, example = json!({"tone": "friendly"}))]
    pub config: serde_json::Value,
    #[schema(pattern = "^(provisioning|ready|failed|stopped)$", example = "ready")]
    pub state: String,
    /// Grows by one with every change; the `ETag` is this number in quotes.
    #[schema(example = 1, minimum = 1)]
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Instance> for InstanceView {
    fn from(instance: &Instance) -> Self {
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
        }
    }
}

/// One page of instances, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstancePage {
    pub items: Vec<InstanceView>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Filters of an instance listing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InstanceSearch {
    /// Only instances in this state.
    #[param(pattern = "^(provisioning|ready|failed|stopped)?$")]
    pub state: Option<String>,
    /// Items per page, 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The instance with its `ETag`, never cached, in the answer `builder` starts.
fn versioned(mut builder: actix_web::HttpResponseBuilder, instance: &Instance) -> HttpResponse {
    builder
        .insert_header((header::ETAG, instance.etag()))
        .insert_header(("Cache-Control", "no-store"))
        .json(InstanceView::from(instance))
}

/// 200 with the instance and its `ETag`.
fn one(instance: &Instance) -> HttpResponse {
    versioned(HttpResponse::Ok(), instance)
}

fn page(page: Page<Instance>) -> HttpResponse {
    super::private_json(InstancePage {
        items: page.items.iter().map(InstanceView::from).collect(),
        next_cursor: page.next_cursor,
    })
}

fn if_match(req: &HttpRequest) -> Result<Option<&str>, ApiError> {
    req.headers()
        .get(header::IF_MATCH)
        .map(|value| value.to_str().map_err(|_| ApiError::from(identity_core::usecases::CoreError::PreconditionFailed)))
        .transpose()
}

/// A new instance.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstanceInput {
    /// An enabled agent of the catalog.
    pub agent_id: Uuid,
    /// 1–100 characters.
    #[schema(example = "My writer", min_length = 1, max_length = 100)]
    pub name: String,
    /// A JSON object of at most 16 KiB (`{}` when absent).
    #[schema(value_type = Option<std::collections::HashMap<String, serde_json::Value>>, example = json!({"tone": "friendly"}))]
    pub config: Option<serde_json::Value>,
}

/// Creates an instance of an agent for the caller; emits `instance.created` in the same
/// transaction. Honours `Idempotency-Key`.
#[utoipa::path(
    operation_id = "create_instance",
    tag = "instances",
    request_body = InstanceInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body get the first answer again (24 h)")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = CREATED, body = InstanceView, headers(("Location" = String, description = "The new instance"), ("ETag" = String, description = "Its version"))),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: bad name or config, or `agent_id` names no enabled agent (`unknown_agent`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/instances", wrap = "actix_web::middleware::from_fn(crate::idempotency::middleware)")]
pub async fn create_instance(
    state: web::Data<AppState>,
    user: CurrentUser,
    keyed: crate::idempotency::Keyed,
    body: JsonBody<InstanceInput>,
) -> Result<HttpResponse, ApiError> {
    let JsonBody(body) = body;
    let input = NewInstance { agent_id: body.agent_id, name: body.name, config: body.config };
    let instance = state.services.instances.create(&user.0, input, keyed.0.as_ref()).await?;
    let mut created = HttpResponse::Created();
    created.insert_header(("Location", format!("/v1/instances/{}", instance.id)));
    Ok(versioned(created, &instance))
}

/// The caller's instances, newest first, in stable cursor pages.
#[utoipa::path(
    operation_id = "list_instances",
    tag = "instances",
    params(InstanceSearch),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = OK, body = InstancePage),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: bad `state`, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/instances")]
pub async fn list_instances(
    state: web::Data<AppState>,
    user: CurrentUser,
    search: crate::extract::Query<InstanceSearch>,
) -> Result<HttpResponse, ApiError> {
    let InstanceSearch { state: wanted, limit, cursor } = search.into_inner();
    Ok(page(state.services.instances.list(&user.0, wanted.as_deref(), limit, cursor.as_deref()).await?))
}

/// One of the caller's instances, with its `ETag` (another user's is 404).
#[utoipa::path(
    operation_id = "get_instance",
    tag = "instances",
    params(("id" = Uuid, Path, description = "Instance id")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = OK, body = InstanceView, headers(("ETag" = String, description = "Its version"))),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such instance of the caller", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/instances/{id}")]
pub async fn get_instance(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(one(&state.services.instances.get(&user.0, id.into_inner()).await?))
}

/// A change of an instance (JSON merge patch): absent fields stay; `config` merges into the
/// stored configuration (a `null` member removes that key).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstancePatch {
    #[schema(example = "Renamed writer", min_length = 1, max_length = 100)]
    pub name: Option<String>,
    #[schema(value_type = Option<std::collections::HashMap<String, serde_json::Value>>, example = json!({"tone": null, "length": "short"}))]
    pub config: Option<serde_json::Value>,
}

/// Changes the caller's instance. Needs `If-Match` with the `ETag` it was read with: 428
/// without it, 412 when the instance changed since. Emits `instance.updated` with the changed
/// fields in the same transaction.
#[utoipa::path(
    operation_id = "update_instance",
    tag = "instances",
    params(
        ("id" = Uuid, Path, description = "Instance id"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the instance was read with: needed (428 `precondition_required` without it)"),
    ),
    request_body(content = InstancePatch, content_type = "application/merge-patch+json"),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = OK, body = InstanceView, headers(("ETag" = String, description = "The new version"))),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such instance of the caller", body = Problem, content_type = "application/problem+json"),
        (status = PRECONDITION_FAILED, description = "`precondition_failed`: the instance changed since it was read", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: bad name or config", body = Problem, content_type = "application/problem+json"),
        (status = PRECONDITION_REQUIRED, description = "`precondition_required`: no `If-Match`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/instances/{id}")]
pub async fn update_instance(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
    body: JsonBody<InstancePatch>,
) -> Result<HttpResponse, ApiError> {
    let JsonBody(body) = body;
    let change = InstanceChange { name: body.name, config: body.config };
    Ok(one(&state.services.instances.update(&user.0, id.into_inner(), if_match(&req)?, change).await?))
}

/// Deletes the caller's instance (a soft delete; `If-Match`, when given, must name its
/// version). Emits `instance.deleted`.
#[utoipa::path(
    operation_id = "delete_instance",
    tag = "instances",
    params(
        ("id" = Uuid, Path, description = "Instance id"),
        ("If-Match" = Option<String>, Header, description = "Delete only this version"),
    ),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = NO_CONTENT, description = "Deleted"),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such instance of the caller", body = Problem, content_type = "application/problem+json"),
        (status = PRECONDITION_FAILED, description = "`precondition_failed`: the instance changed since it was read", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/instances/{id}")]
pub async fn delete_instance(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state.services.instances.delete(&user.0, id.into_inner(), if_match(&req)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A user's instances (admins only), newest first.
#[utoipa::path(
    operation_id = "admin_list_user_instances",
    tag = "instances",
    params(("id" = Uuid, Path, description = "User id"), InstanceSearch),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = OK, body = InstancePage),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: bad `state`, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/users/{id}/instances")]
pub async fn admin_list_user_instances(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
    search: crate::extract::Query<InstanceSearch>,
) -> Result<HttpResponse, ApiError> {
    let InstanceSearch { state: wanted, limit, cursor } = search.into_inner();
    let found = state
        .services
        .instances
        .admin_list(&user.0, id.into_inner(), wanted.as_deref(), limit, cursor.as_deref())
        .await?;
    Ok(page(found))
}

/// Any user's instance (admins only).
#[utoipa::path(
    operation_id = "admin_get_instance",
    tag = "instances",
    params(("id" = Uuid, Path, description = "Instance id")),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = OK, body = InstanceView, headers(("ETag" = String, description = "Its version"))),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such instance", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/instances/{id}")]
pub async fn admin_get_instance(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(one(&state.services.instances.admin_get(&user.0, id.into_inner()).await?))
}
