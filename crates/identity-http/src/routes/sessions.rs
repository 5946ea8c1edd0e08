use actix_web::{HttpResponse, delete, get, patch, web};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::views::{DevicePage, DeviceView, PageQuery, SessionListItem, SessionPage, SessionView};
use crate::error::{ApiError, Problem};
use crate::extract::{CurrentUser, JsonBody};
use crate::state::AppState;

/// The caller's live sessions, newest first, the current one marked.
#[utoipa::path(
    operation_id = "list_sessions",
    tag = "sessions",
    params(PageQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = OK, body = SessionPage),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: bad `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/sessions")]
pub async fn list_sessions(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: crate::extract::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = state.services.sessions.list_sessions(&user.0, query.limit, query.cursor.as_deref()).await?;
    let current = user.0.claims.sid;
    let items = page
        .items
        .iter()
        .map(|s| SessionListItem { session: SessionView::from(s), current: s.id == current })
        .collect();
    Ok(HttpResponse::Ok().json(SessionPage { items, next_cursor: page.next_cursor }))
}

/// Ends one of the caller's sessions. Someone else's session answers 404.
#[utoipa::path(
    operation_id = "delete_session",
    tag = "sessions",
    params(("id" = Uuid, Path, description = "Session id")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = NO_CONTENT, description = "Ended"),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such live session of the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/sessions/{id}")]
pub async fn delete_session(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state.services.sessions.revoke_session(&user.0, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's devices, newest first.
#[utoipa::path(
    operation_id = "list_devices",
    tag = "sessions",
    params(PageQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = OK, body = DevicePage),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/devices")]
pub async fn list_devices(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: crate::extract::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = state.services.sessions.list_devices(&user.0, query.limit, query.cursor.as_deref()).await?;
    Ok(HttpResponse::Ok().json(DevicePage::from_page(&page)))
}

/// A new name for a device.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameDeviceRequest {
    #[schema(example = "Work laptop", min_length = 1, max_length = 100)]
    pub name: String,
}

/// Renames one of the caller's devices.
#[utoipa::path(
    operation_id = "rename_device",
    tag = "sessions",
    params(("id" = Uuid, Path, description = "Device id")),
    request_body = RenameDeviceRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = OK, body = DeviceView),
        (status = NOT_FOUND, description = "`not_found`: no such device of the caller's", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/devices/{id}")]
pub async fn rename_device(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
    body: JsonBody<RenameDeviceRequest>,
) -> Result<HttpResponse, ApiError> {
    let device = state.services.sessions.rename_device(&user.0, id.into_inner(), &body.0.name).await?;
    Ok(HttpResponse::Ok().json(DeviceView::from(&device)))
}

/// Forgets one of the caller's devices and ends its sessions.
#[utoipa::path(
    operation_id = "delete_device",
    tag = "sessions",
    params(("id" = Uuid, Path, description = "Device id")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = NO_CONTENT, description = "Removed; its sessions ended"),
        (status = NOT_FOUND, description = "`not_found`: no such device of the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/devices/{id}")]
pub async fn delete_device(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state.services.sessions.delete_device(&user.0, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
