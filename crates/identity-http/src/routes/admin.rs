use actix_web::{HttpResponse, delete, get, patch, post, web};
use identity_core::usecases::{AdminNewUser, AdminUserChange, UserQuery};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::views::UserView;
use crate::error::{ApiError, Problem};
use crate::extract::{CurrentUser, JsonBody};
use crate::state::AppState;

/// Search and filters of the admin user list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserSearch {
    /// Case-insensitive prefix of the email address or the name.
    pub query: Option<String>,
    /// Only accounts in this status (deleted accounts are listed only when asked for).
    #[param(schema_with = super::views::status_schema)]
    pub status: Option<String>,
    /// Only users with this role, e.g. `admin`.
    pub role: Option<String>,
    /// Items per page, 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of users, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserPage {
    pub items: Vec<UserView>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Lists users (admins only): stable cursor pages that never skip or repeat a row, even
/// while accounts are being created.
#[utoipa::path(
    operation_id = "admin_list_users",
    tag = "admin",
    params(UserSearch),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = OK, body = UserPage),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: bad `status`, `role`, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    user: CurrentUser,
    search: crate::extract::Query<UserSearch>,
) -> Result<HttpResponse, ApiError> {
    let UserSearch { query, status, role, limit, cursor } = search.into_inner();
    let page = state.services.admin.list_users(&user.0, UserQuery { query, status, role, limit, cursor }).await?;
    let items = page.items.iter().map(UserView::from).collect();
    Ok(super::private_json(UserPage { items, next_cursor: page.next_cursor }))
}

/// An account an admin creates.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminCreateUser {
    #[schema(example = "grace@example.com", format = Email, min_length = 3, max_length = 254)]
    pub email: String,
    /// Leave it out to mail the user an invitation link to choose their own
    /// (`INVITATION_TTL_SECONDS`, single use; using it verifies the address).
    #[schema(format = Password, min_length = 8, max_length = 128)]
    pub password: Option<String>,
    /// 3–32 of `a-z 0-9 . _ -`, starting with a letter or digit.
    #[schema(example = "grace", pattern = "^[A-Za-z0-9][A-Za-z0-9._-]{2,31}$")]
    pub username: Option<String>,
    #[schema(example = "Grace Hopper")]
    pub name: Option<String>,
    /// Roles besides `user` (which every account has).
    #[schema(schema_with = super::views::nullable_roles_schema)]
    pub roles: Option<Vec<String>>,
    /// Treat the address as verified (default `false`).
    pub email_verified: Option<bool>,
}

/// Creates an account (admins only). Honours `Idempotency-Key`.
#[utoipa::path(
    operation_id = "admin_create_user",
    tag = "admin",
    request_body = AdminCreateUser,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body get the first answer again (24 h)")),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = CREATED, body = UserView, headers(("Location" = String, description = "The new account"))),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = CONFLICT, description = "`email_taken` or `username_taken`", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: each invalid field named", body = Problem, content_type = "application/problem+json"),
        (status = SERVICE_UNAVAILABLE, description = "`overloaded`: password hashing is saturated", body = Problem, content_type = "application/problem+json"),
    )
)]
// Retries with the same `Idempotency-Key` get the first answer (see `crate::idempotency`).
#[post("/admin/users", wrap = "actix_web::middleware::from_fn(crate::idempotency::middleware)")]
pub async fn create_user(
    state: web::Data<AppState>,
    user: CurrentUser,
    keyed: crate::idempotency::Keyed,
    body: JsonBody<AdminCreateUser>,
) -> Result<HttpResponse, ApiError> {
    let JsonBody(body) = body;
    let input = AdminNewUser {
        email: body.email,
        password: body.password,
        username: body.username,
        name: body.name,
        roles: body.roles,
        email_verified: body.email_verified,
        request: keyed.0,
    };
    let created = state.services.admin.admin_create_user(&user.0, input).await?;
    Ok(super::created(format!("/v1/admin/users/{}", created.id), UserView::from(&created)))
}

/// One user as an admin sees it: the account, and whether the user is online.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminUserDetail {
    #[serde(flatten)]
    pub user: UserView,
    /// Whether one of the user's devices sent a `presence:active` heartbeat lately.
    pub presence: super::realtime::PresenceSummary,
}

/// One user (admins only; deleted accounts too), with their presence.
#[utoipa::path(
    operation_id = "admin_get_user",
    tag = "admin",
    params(("id" = Uuid, Path, description = "User id")),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = OK, body = AdminUserDetail),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such user", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let found = state.services.admin.get_user(&user.0, id.into_inner()).await?;
    // Asked only once the caller is known to be an admin (`get_user` checked).
    let presence = state.services.realtime.presence(found.id).await?;
    Ok(super::private_json(AdminUserDetail {
        user: UserView::from(&found),
        presence: super::realtime::PresenceSummary::from(&presence),
    }))
}

/// What an admin changes: roles and/or status.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminUserPatch {
    /// The complete set of roles.
    #[schema(schema_with = super::views::nullable_roles_schema)]
    pub roles: Option<Vec<String>>,
    /// Leaving `active` ends every session; `active` restores a deleted account.
    #[schema(value_type = Option<super::views::AccountStatus>)]
    pub status: Option<String>,
}

async fn change(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
    change: AdminUserChange,
) -> Result<HttpResponse, ApiError> {
    let updated = state.services.admin.admin_change_user(&user.0, id, change).await?;
    Ok(super::private_json(UserView::from(&updated)))
}

fn status(value: &str) -> AdminUserChange {
    AdminUserChange { status: Some(value.to_owned()), ..AdminUserChange::default() }
}

/// Changes a user's roles and/or status (admins only). The last active admin keeps both.
#[utoipa::path(
    operation_id = "admin_update_user",
    tag = "admin",
    params(("id" = Uuid, Path, description = "User id")),
    request_body = AdminUserPatch,
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = OK, body = UserView),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such user", body = Problem, content_type = "application/problem+json"),
        (status = CONFLICT, description = "`last_admin`", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: unknown role or status", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/admin/users/{id}")]
pub async fn patch_user(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
    body: JsonBody<AdminUserPatch>,
) -> Result<HttpResponse, ApiError> {
    let JsonBody(body) = body;
    change(&state, &user, id.into_inner(), AdminUserChange { roles: body.roles, status: body.status }).await
}

/// Locks an account (admins only): it cannot sign in and its sessions end.
#[utoipa::path(
    operation_id = "admin_lock_user",
    tag = "admin",
    params(("id" = Uuid, Path, description = "User id")),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = OK, description = "The locked account", body = UserView),
        (status = NOT_FOUND, description = "`not_found`: no such user", body = Problem, content_type = "application/problem+json"),
        (status = CONFLICT, description = "`last_admin`: the last active admin stays active", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/users/{id}/lock")]
pub async fn lock_user(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    change(&state, &user, id.into_inner(), status("locked")).await
}

/// Unlocks an account (admins only).
#[utoipa::path(
    operation_id = "admin_unlock_user",
    tag = "admin",
    params(("id" = Uuid, Path, description = "User id")),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = OK, description = "The active account", body = UserView),
        (status = NOT_FOUND, description = "`not_found`: no such user", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/users/{id}/unlock")]
pub async fn unlock_user(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    change(&state, &user, id.into_inner(), status("active")).await
}

/// Soft-deletes an account (admins only); `POST …/restore` brings it back.
#[utoipa::path(
    operation_id = "admin_delete_user",
    tag = "admin",
    params(("id" = Uuid, Path, description = "User id")),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = NO_CONTENT, description = "Deleted (soft): its sessions ended"),
        (status = NOT_FOUND, description = "`not_found`: no such user", body = Problem, content_type = "application/problem+json"),
        (status = CONFLICT, description = "`last_admin`: the last active admin stays active", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/admin/users/{id}")]
pub async fn delete_user(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state.services.admin.admin_change_user(&user.0, id.into_inner(), status("deleted")).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Restores a soft-deleted account (admins only).
#[utoipa::path(
    operation_id = "admin_restore_user",
    tag = "admin",
    params(("id" = Uuid, Path, description = "User id")),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = OK, description = "The restored account", body = UserView),
        (status = NOT_FOUND, description = "`not_found`: no such user", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/users/{id}/restore")]
pub async fn restore_user(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    change(&state, &user, id.into_inner(), status("active")).await
}

/// Ends every session of a user (admins only).
#[utoipa::path(
    operation_id = "admin_revoke_sessions",
    tag = "admin",
    params(("id" = Uuid, Path, description = "User id")),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = NO_CONTENT, description = "Every session ended"),
        (status = NOT_FOUND, description = "`not_found`: no such user", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/admin/users/{id}/sessions")]
pub async fn revoke_sessions(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state.services.admin.admin_revoke_sessions(&user.0, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Removes every second factor of a user and their recovery codes (admins only): for a user
/// who lost their authenticator app and their codes; they then sign in with the password
/// alone. Emits `mfa.disabled` (`by_admin`) per factor and audits it; the user is mailed. A
/// user without a factor: nothing changes, still 204.
#[utoipa::path(
    operation_id = "admin_delete_user_mfa",
    tag = "admin",
    params(("id" = Uuid, Path, description = "User id")),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = NO_CONTENT, description = "The user has no second factor any more"),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such user", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/admin/users/{id}/mfa")]
pub async fn delete_user_mfa(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let target = state.services.admin.get_user(&user.0, id.into_inner()).await?;
    state.services.mfa.admin_remove_all(&user.0, &target).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Mails the user a password reset link (admins only); the answer carries nothing.
///
/// As `password/forgot` does (and Keycloak's "credential reset"): the admin never sees the
/// token nor sets the password. The single-use link (`PASSWORD_RESET_URL_TEMPLATE`, valid
/// `PASSWORD_RESET_TTL_SECONDS`) voids older ones; redeeming it at
/// `POST /v1/auth/password/reset` ends every session of the account. This call ends none
/// (`DELETE /v1/admin/users/{id}/sessions` does). Audited as `password.reset_requested`
/// (actor the admin, metadata `via: admin`).
#[utoipa::path(
    operation_id = "admin_request_password_reset",
    tag = "admin",
    params(("id" = Uuid, Path, description = "User id")),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = ACCEPTED, description = "A reset link is on its way to the user's address"),
        (status = FORBIDDEN, description = "`forbidden`: not an admin; `account_disabled` or `account_locked`: the account is disabled or locked by an admin, so a link could not be used (a lock-out after failed sign-ins is mailed: the reset ends it)", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such user, or a deleted one", body = Problem, content_type = "application/problem+json"),
        (status = TOO_MANY_REQUESTS, description = "`cooldown`: a reset link went to this address moments ago (`MAIL_COOLDOWN_SECONDS`, shared with `password/forgot`); see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/users/{id}/password-reset")]
pub async fn request_password_reset(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state.services.admin.admin_request_password_reset(&user.0, id.into_inner()).await?;
    Ok(HttpResponse::Accepted().finish())
}
