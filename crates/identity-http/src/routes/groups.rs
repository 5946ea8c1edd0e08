//! Groups, memberships and app grants (admins), and `GET /v1/users/me/apps`.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use chrono::{DateTime, Utc};
use identity_core::usecases::GroupChange;
use identity_core::{AppGrant, Grantee, Group, GroupId, GroupMember, UserApp, UserId};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::private_json;
use super::views::PageQuery;
use crate::error::{ApiError, Problem};
use crate::extract::{CurrentUser, JsonBody};
use crate::state::AppState;

/// A group of users; app grants given to it reach every member.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupView {
    pub id: Uuid,
    #[schema(example = "Editors")]
    pub name: String,
    #[schema(example = "Everyone who edits documents")]
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Group> for GroupView {
    fn from(group: &Group) -> Self {
        Self {
            id: group.id.as_uuid(),
            name: group.name.as_str().to_owned(),
            description: group.description.clone(),
            created_at: group.created_at,
            updated_at: group.updated_at,
        }
    }
}

/// One page of groups, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupPage {
    pub items: Vec<GroupView>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Groups, without paging (a user's groups).
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupList {
    pub items: Vec<GroupView>,
}

/// A member of a group.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub user_id: Uuid,
    #[schema(example = "ada@example.com")]
    pub email: String,
    #[schema(example = "Ada Lovelace")]
    pub name: Option<String>,
    #[schema(schema_with = super::views::status_schema)]
    pub status: String,
    pub added_at: DateTime<Utc>,
}

impl From<&GroupMember> for MemberView {
    fn from(member: &GroupMember) -> Self {
        Self {
            user_id: member.user_id.as_uuid(),
            email: member.email.as_str().to_owned(),
            name: member.name.clone(),
            status: member.status.as_str().to_owned(),
            added_at: member.added_at,
        }
    }
}

/// One page of members, by user id.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberPage {
    pub items: Vec<MemberView>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// An app granted to a user or a group.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppGrantView {
    #[schema(example = "docs")]
    pub app_key: String,
    pub granted_at: DateTime<Utc>,
    /// The admin who granted it (`null` once that account is gone).
    pub granted_by: Option<Uuid>,
}

impl From<&AppGrant> for AppGrantView {
    fn from(grant: &AppGrant) -> Self {
        Self {
            app_key: grant.app_key.as_str().to_owned(),
            granted_at: grant.granted_at,
            granted_by: grant.granted_by.map(|u| u.as_uuid()),
        }
    }
}

/// Apps granted to one grantee, by app key.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppGrantList {
    pub items: Vec<AppGrantView>,
}

/// A group through which a user has an app.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupRef {
    pub id: Uuid,
    #[schema(example = "Editors")]
    pub name: String,
}

/// An app the user may open, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserAppView {
    #[schema(example = "docs")]
    pub app_key: String,
    /// Granted to the user directly.
    pub direct: bool,
    /// The user's groups that were granted the app, by name.
    pub groups: Vec<GroupRef>,
}

/// The apps a user may open: the union of their own grants and their groups', by app key.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserAppList {
    pub items: Vec<UserAppView>,
}

impl UserAppList {
    fn from_apps(apps: &[UserApp]) -> Self {
        let items = apps
            .iter()
            .map(|app| UserAppView {
                app_key: app.app_key.as_str().to_owned(),
                direct: app.direct,
                groups: app.groups.iter().map(|(id, name)| GroupRef { id: id.as_uuid(), name: name.clone() }).collect(),
            })
            .collect();
        Self { items }
    }
}

/// Search of the group list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GroupSearch {
    /// Case-insensitive prefix of the group name.
    pub query: Option<String>,
    /// Items per page, 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Lists groups (admins only), oldest first, in stable cursor pages.
#[utoipa::path(
    operation_id = "admin_list_groups",
    tag = "groups",
    params(GroupSearch),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = OK, body = GroupPage),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: bad `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/groups")]
pub async fn list_groups(
    state: web::Data<AppState>,
    user: CurrentUser,
    search: crate::extract::Query<GroupSearch>,
) -> Result<HttpResponse, ApiError> {
    let GroupSearch { query, limit, cursor } = search.into_inner();
    let page = state.services.access.list_groups(&user.0, query.as_deref(), limit, cursor.as_deref()).await?;
    Ok(private_json(GroupPage {
        items: page.items.iter().map(GroupView::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// A new group.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGroup {
    /// 1–100 characters, unique regardless of case.
    #[schema(example = "Editors", min_length = 1, max_length = 100)]
    pub name: String,
    /// At most 1000 characters.
    #[schema(example = "Everyone who edits documents")]
    pub description: Option<String>,
}

/// Creates a group (admins only). Honours `Idempotency-Key`.
#[utoipa::path(
    operation_id = "admin_create_group",
    tag = "groups",
    request_body = NewGroup,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body get the first answer again (24 h)")),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = CREATED, body = GroupView, headers(("Location" = String, description = "The new group"))),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = CONFLICT, description = "`group_name_taken`", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: bad name or description", body = Problem, content_type = "application/problem+json"),
    )
)]
// Retries with the same `Idempotency-Key` get the first answer (see `crate::idempotency`).
#[post("/admin/groups", wrap = "actix_web::middleware::from_fn(crate::idempotency::middleware)")]
pub async fn create_group(
    state: web::Data<AppState>,
    user: CurrentUser,
    keyed: crate::idempotency::Keyed,
    body: JsonBody<NewGroup>,
) -> Result<HttpResponse, ApiError> {
    let JsonBody(body) = body;
    let group =
        state.services.access.create_group(&user.0, &body.name, body.description.as_deref(), keyed.0.as_ref()).await?;
    Ok(super::created(format!("/v1/admin/groups/{}", group.id), GroupView::from(&group)))
}

/// One group (admins only).
#[utoipa::path(
    operation_id = "admin_get_group",
    tag = "groups",
    params(("id" = Uuid, Path, description = "Group id")),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = OK, body = GroupView),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such group", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/groups/{id}")]
pub async fn get_group(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(private_json(GroupView::from(&state.services.access.get_group(&user.0, id.into_inner()).await?)))
}

/// `null` and absent differ: `Some(None)` clears the field.
fn nullable<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

/// A change of a group: absent fields stay, `description: null` clears it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupPatch {
    #[schema(example = "Senior editors", min_length = 1, max_length = 100)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
}

/// Renames a group or changes its description (admins only).
#[utoipa::path(
    operation_id = "admin_update_group",
    tag = "groups",
    params(("id" = Uuid, Path, description = "Group id")),
    request_body = GroupPatch,
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = OK, body = GroupView),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such group", body = Problem, content_type = "application/problem+json"),
        (status = CONFLICT, description = "`group_name_taken`", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/admin/groups/{id}")]
pub async fn patch_group(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
    body: JsonBody<GroupPatch>,
) -> Result<HttpResponse, ApiError> {
    let JsonBody(body) = body;
    let change = GroupChange { name: body.name, description: body.description };
    Ok(private_json(GroupView::from(&state.services.access.update_group(&user.0, id.into_inner(), change).await?)))
}

/// Deletes a group with its memberships and grants (admins only).
#[utoipa::path(
    operation_id = "admin_delete_group",
    tag = "groups",
    params(("id" = Uuid, Path, description = "Group id")),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = NO_CONTENT, description = "Deleted"),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such group", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/admin/groups/{id}")]
pub async fn delete_group(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state.services.access.delete_group(&user.0, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Members of a group (admins only), by user id.
#[utoipa::path(
    operation_id = "admin_list_group_members",
    tag = "groups",
    params(("id" = Uuid, Path, description = "Group id"), PageQuery),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = OK, body = MemberPage),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such group", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: bad `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/groups/{id}/members")]
pub async fn list_members(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
    query: crate::extract::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page =
        state.services.access.list_members(&user.0, id.into_inner(), query.limit, query.cursor.as_deref()).await?;
    Ok(private_json(MemberPage {
        items: page.items.iter().map(MemberView::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Adds a user to a group (admins only; idempotent).
#[utoipa::path(
    operation_id = "admin_add_group_member",
    tag = "groups",
    params(("id" = Uuid, Path, description = "Group id"), ("user_id" = Uuid, Path, description = "User id")),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = NO_CONTENT, description = "The user is a member"),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such group or user", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/admin/groups/{id}/members/{user_id}")]
pub async fn add_member(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (group, member) = path.into_inner();
    state.services.access.add_member(&user.0, group, member).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Removes a user from a group (admins only).
#[utoipa::path(
    operation_id = "admin_remove_group_member",
    tag = "groups",
    params(("id" = Uuid, Path, description = "Group id"), ("user_id" = Uuid, Path, description = "User id")),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = NO_CONTENT, description = "Removed"),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such group, or the user is not a member", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/admin/groups/{id}/members/{user_id}")]
pub async fn remove_member(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (group, member) = path.into_inner();
    state.services.access.remove_member(&user.0, group, member).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The apps granted to a group (admins only).
#[utoipa::path(
    operation_id = "admin_list_group_apps",
    tag = "groups",
    params(("id" = Uuid, Path, description = "Group id")),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = OK, body = AppGrantList),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such group", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/groups/{id}/apps")]
pub async fn group_apps(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let grants = state.services.access.group_apps(&user.0, id.into_inner()).await?;
    Ok(private_json(AppGrantList { items: grants.iter().map(AppGrantView::from).collect() }))
}

/// Grants an app to every member of a group (admins only; idempotent).
#[utoipa::path(
    operation_id = "admin_grant_group_app",
    tag = "groups",
    params(("id" = Uuid, Path, description = "Group id"), ("app_key" = String, Path, description = "App key, e.g. `docs`")),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = NO_CONTENT, description = "The group has the app"),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such group", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: bad `app_key`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/admin/groups/{id}/apps/{app_key}")]
pub async fn grant_group_app(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let (group, app) = path.into_inner();
    state.services.access.grant_app(&user.0, Grantee::Group(GroupId::from_uuid(group)), &app).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Takes an app back from a group (admins only).
#[utoipa::path(
    operation_id = "admin_revoke_group_app",
    tag = "groups",
    params(("id" = Uuid, Path, description = "Group id"), ("app_key" = String, Path, description = "App key")),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = NO_CONTENT, description = "Revoked"),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such group, or it does not have the app", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: bad `app_key`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/admin/groups/{id}/apps/{app_key}")]
pub async fn revoke_group_app(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let (group, app) = path.into_inner();
    state.services.access.revoke_app(&user.0, Grantee::Group(GroupId::from_uuid(group)), &app).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The groups of a user (admins only), by name.
#[utoipa::path(
    operation_id = "admin_list_user_groups",
    tag = "admin",
    params(("id" = Uuid, Path, description = "User id")),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = OK, body = GroupList),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such user", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/users/{id}/groups")]
pub async fn user_groups(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let groups = state.services.access.user_groups(&user.0, id.into_inner()).await?;
    Ok(private_json(GroupList { items: groups.iter().map(GroupView::from).collect() }))
}

/// The apps a user may open, direct and through groups (admins only).
#[utoipa::path(
    operation_id = "admin_list_user_apps",
    tag = "admin",
    params(("id" = Uuid, Path, description = "User id")),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = OK, body = UserAppList),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such user", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/users/{id}/apps")]
pub async fn user_apps(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(private_json(UserAppList::from_apps(&state.services.access.user_apps(&user.0, id.into_inner()).await?)))
}

/// Grants an app to one user (admins only; idempotent).
#[utoipa::path(
    operation_id = "admin_grant_user_app",
    tag = "admin",
    params(("id" = Uuid, Path, description = "User id"), ("app_key" = String, Path, description = "App key, e.g. `docs`")),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = NO_CONTENT, description = "The user has the app"),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such user", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: bad `app_key`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/admin/users/{id}/apps/{app_key}")]
pub async fn grant_user_app(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let (target, app) = path.into_inner();
    state.services.access.grant_app(&user.0, Grantee::User(UserId::from_uuid(target)), &app).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Takes a directly granted app back from a user (admins only). Grants through groups stay.
#[utoipa::path(
    operation_id = "admin_revoke_user_app",
    tag = "admin",
    params(("id" = Uuid, Path, description = "User id"), ("app_key" = String, Path, description = "App key")),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = NO_CONTENT, description = "Revoked"),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such user, or no direct grant of the app", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: bad `app_key`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/admin/users/{id}/apps/{app_key}")]
pub async fn revoke_user_app(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let (target, app) = path.into_inner();
    state.services.access.revoke_app(&user.0, Grantee::User(UserId::from_uuid(target)), &app).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The apps the signed-in user may open: their own grants and their groups', by app key.
#[utoipa::path(
    operation_id = "list_my_apps",
    tag = "users",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = OK, body = UserAppList),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/users/me/apps")]
pub async fn my_apps(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    Ok(private_json(UserAppList::from_apps(&state.services.access.my_apps(&user.0).await?)))
}
