//! The agents catalog: `GET /v1/agents` for signed-in users, `/v1/admin/agents` for admins.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use identity_core::usecases::AgentQuery;
use identity_core::{Agent, AgentFields};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::private_json;
use crate::error::{ApiError, Problem};
use crate::extract::{CurrentUser, JsonBody};
use crate::state::AppState;

/// An agent of the catalog.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentView {
    pub id: Uuid,
    #[schema(example = "Writer")]
    pub name: String,
    #[schema(example = "Drafts and edits text with you.")]
    pub description: String,
    #[schema(example = "writing")]
    pub category: String,
    #[schema(example = json!(["drafting", "editing"]))]
    pub tags: Vec<String>,
    /// Users see and instantiate enabled agents only.
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Agent> for AgentView {
    fn from(agent: &Agent) -> Self {
        Self {
            id: agent.id.as_uuid(),
            name: agent.name.clone(),
            description: agent.description.clone(),
            category: agent.category.clone(),
            tags: agent.tags.clone(),
            enabled: agent.enabled,
            created_at: agent.created_at,
            updated_at: agent.updated_at,
        }
    }
}

/// One page of agents, by id.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentPage {
    pub items: Vec<AgentView>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Search and filters of the catalog.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgentSearch {
    /// Case-insensitive prefix of the agent's name.
    pub q: Option<String>,
    /// Only agents of this category.
    #[param(pattern = "^([a-z0-9][a-z0-9-]{0,31})?$")]
    pub category: Option<String>,
    /// Only agents with this tag.
    #[param(pattern = "^([a-z0-9][a-z0-9-]{0,31})?$")]
    pub tag: Option<String>,
    /// Items per page, 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl From<AgentSearch> for AgentQuery {
    fn from(search: AgentSearch) -> Self {
        Self { q: search.q, category: search.category, tag: search.tag, limit: search.limit, cursor: search.cursor }
    }
}

fn page(page: identity_core::usecases::Page<Agent>) -> HttpResponse {
    private_json(AgentPage { items: page.items.iter().map(AgentView::from).collect(), next_cursor: page.next_cursor })
}

/// The enabled agents of the catalog, by id, in stable cursor pages.
#[utoipa::path(
    operation_id = "list_agents",
    tag = "agents",
    params(AgentSearch),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = OK, body = AgentPage),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: bad `category`, `tag`, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/agents")]
pub async fn list_agents(
    state: web::Data<AppState>,
    _user: CurrentUser,
    search: crate::extract::Query<AgentSearch>,
) -> Result<HttpResponse, ApiError> {
    Ok(page(state.services.agents.list(search.into_inner().into()).await?))
}

/// One enabled agent.
#[utoipa::path(
    operation_id = "get_agent",
    tag = "agents",
    params(("id" = Uuid, Path, description = "Agent id")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = OK, body = AgentView),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such enabled agent", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/agents/{id}")]
pub async fn get_agent(
    state: web::Data<AppState>,
    _user: CurrentUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(private_json(AgentView::from(&state.services.agents.get(id.into_inner()).await?)))
}

/// Every agent of the catalog, disabled ones too (admins only).
#[utoipa::path(
    operation_id = "admin_list_agents",
    tag = "agents",
    params(AgentSearch),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = OK, body = AgentPage),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: bad `category`, `tag`, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/agents")]
pub async fn admin_list_agents(
    state: web::Data<AppState>,
    user: CurrentUser,
    search: crate::extract::Query<AgentSearch>,
) -> Result<HttpResponse, ApiError> {
    Ok(page(state.services.agents.admin_list(&user.0, search.into_inner().into()).await?))
}

/// One agent, disabled or not (admins only).
#[utoipa::path(
    operation_id = "admin_get_agent",
    tag = "agents",
    params(("id" = Uuid, Path, description = "Agent id")),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = OK, body = AgentView),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such agent", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/agents/{id}")]
pub async fn admin_get_agent(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(private_json(AgentView::from(&state.services.agents.admin_get(&user.0, id.into_inner()).await?)))
}

/// A tag or a category: a lower-case slug.
#[derive(ToSchema)]
#[schema(value_type = String, pattern = "^[a-z0-9][a-z0-9-]{0,31}$", example = "drafting")]
pub struct Slug(#[allow(dead_code)] String);

/// A new agent of the catalog.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgent {
    /// 1–100 characters.
    #[schema(example = "Writer", min_length = 1, max_length = 100)]
    pub name: String,
    /// At most 2000 characters.
    #[schema(example = "Drafts and edits text with you.", max_length = 2000)]
    pub description: Option<String>,
    /// A lower-case slug.
    #[schema(example = "writing", pattern = "^[a-z0-9][a-z0-9-]{0,31}$")]
    pub category: String,
    /// At most 16 lower-case slugs; kept sorted and distinct.
    #[schema(value_type = Option<Vec<Slug>>, example = json!(["drafting", "editing"]), max_items = 16)]
    pub tags: Option<Vec<String>>,
    /// `true` when not given.
    pub enabled: Option<bool>,
}

impl From<NewAgent> for AgentFields {
    fn from(input: NewAgent) -> Self {
        Self {
            name: Some(input.name),
            description: input.description,
            category: Some(input.category),
            tags: input.tags,
            enabled: input.enabled,
        }
    }
}

/// A change of an agent: absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentPatch {
    /// 1–100 characters.
    #[schema(example = "Writer", min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// At most 2000 characters.
    #[schema(example = "Drafts and edits text with you.", max_length = 2000)]
    pub description: Option<String>,
    /// A lower-case slug.
    #[schema(example = "writing", pattern = "^[a-z0-9][a-z0-9-]{0,31}$")]
    pub category: Option<String>,
    /// At most 16 lower-case slugs; kept sorted and distinct.
    #[schema(value_type = Option<Vec<Slug>>, example = json!(["drafting", "editing"]), max_items = 16)]
    pub tags: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

impl From<AgentPatch> for AgentFields {
    fn from(input: AgentPatch) -> Self {
        Self {
            name: input.name,
            description: input.description,
            category: input.category,
            tags: input.tags,
            enabled: input.enabled,
        }
    }
}

/// Adds an agent to the catalog (admins only; audited as `agent.created`, emits
/// `agent.created`). Honours `Idempotency-Key`.
#[utoipa::path(
    operation_id = "admin_create_agent",
    tag = "agents",
    request_body = NewAgent,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body get the first answer again (24 h)")),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = CREATED, body = AgentView, headers(("Location" = String, description = "The new agent"))),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: each invalid or missing field named", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/agents", wrap = "actix_web::middleware::from_fn(crate::idempotency::middleware)")]
pub async fn admin_create_agent(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: JsonBody<NewAgent>,
) -> Result<HttpResponse, ApiError> {
    let agent = state.services.agents.create(&user.0, body.0.into()).await?;
    Ok(super::created(format!("/v1/admin/agents/{}", agent.id), AgentView::from(&agent)))
}

/// Changes an agent (admins only; audited as `agent.updated`, emits `agent.updated` with the
/// changed fields). Disabling it hides it from users; their instances stay.
#[utoipa::path(
    operation_id = "admin_update_agent",
    tag = "agents",
    params(("id" = Uuid, Path, description = "Agent id")),
    request_body = AgentPatch,
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = OK, body = AgentView),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such agent", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: each invalid field named", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/admin/agents/{id}")]
pub async fn admin_update_agent(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
    body: JsonBody<AgentPatch>,
) -> Result<HttpResponse, ApiError> {
    let agent = state.services.agents.update(&user.0, id.into_inner(), body.0.into()).await?;
    Ok(private_json(AgentView::from(&agent)))
}

/// Removes an agent from the catalog (admins only; audited and emitted as `agent.deleted`).
/// Instances of it keep naming it.
#[utoipa::path(
    operation_id = "admin_delete_agent",
    tag = "agents",
    params(("id" = Uuid, Path, description = "Agent id")),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = NO_CONTENT, description = "Deleted"),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such agent", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/admin/agents/{id}")]
pub async fn admin_delete_agent(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state.services.agents.delete(&user.0, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
