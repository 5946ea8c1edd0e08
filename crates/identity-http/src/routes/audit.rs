use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use identity_core::AuditRecord;
use identity_core::usecases::{AuditQuery, Page};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::views::PageQuery;
use crate::error::{ApiError, Problem};
use crate::extract::CurrentUser;
use crate::state::AppState;

/// One security event.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    pub id: i64,
    /// `user.registered`, `user.verified`, `login.succeeded`, `login.failed`, `account.locked`,
    /// `session.revoked`, `session.refresh_reused`, `device.removed`, `password.changed`,
    /// `password.reset`, `password.reset_requested`, `email.change_requested`, `email.changed`.
    #[schema(example = "login.failed")]
    pub action: String,
    /// Who did it (`null`: not signed in, or the system).
    pub actor_id: Option<Uuid>,
    /// Whose account it concerns.
    pub subject_id: Option<Uuid>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    #[schema(schema_with = metadata_schema)]
    pub metadata: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

fn metadata_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::Object)
        .description(Some(
            "Details of the event, by action (e.g. `{\"reason\": \"wrong_password\"}` for `login.failed`, \
             `{\"namespace\": \"ai\", \"ok\": true, \"status\": 200}` for a settings test): an object of JSON \
             values, never a secret; `{}` when there is nothing to add.",
        ))
        .additional_properties(Some(
            utoipa::openapi::schema::AdditionalProperties::<utoipa::openapi::Schema>::FreeForm(true),
        ))
        .examples([serde_json::json!({"reason": "wrong_password"})])
        .build()
}

impl From<&AuditRecord> for AuditView {
    fn from(r: &AuditRecord) -> Self {
        Self {
            id: r.id,
            action: r.action.clone(),
            actor_id: r.actor.map(|a| a.as_uuid()),
            subject_id: r.subject.map(|s| s.as_uuid()),
            ip: r.ip.map(|ip| ip.to_string()),
            user_agent: r.user_agent.clone(),
            metadata: r.metadata.clone(),
            created_at: r.at,
        }
    }
}

/// One page of audit entries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditView>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl AuditPage {
    fn from_page(page: &Page<AuditRecord>) -> Self {
        Self { items: page.items.iter().map(AuditView::from).collect(), next_cursor: page.next_cursor.clone() }
    }
}

/// The caller's own security events: sign-ins (failed ones too), password and session
/// changes, newest first.
#[utoipa::path(
    operation_id = "list_own_audit",
    tag = "audit",
    params(PageQuery),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = OK, body = AuditPage),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: bad `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/users/me/audit")]
pub async fn own(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: crate::extract::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = state.services.audit.own_audit(&user.0, query.limit, query.cursor.as_deref()).await?;
    Ok(super::private_json(AuditPage::from_page(&page)))
}

/// Filters of the audit search.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditSearch {
    /// Entries about this user.
    pub user_id: Option<Uuid>,
    /// Entries done by this user.
    pub actor_id: Option<Uuid>,
    /// Exactly this action, e.g. `login.failed`.
    pub action: Option<String>,
    /// At or after this time (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// At or before this time (RFC 3339).
    pub until: Option<DateTime<Utc>>,
    /// Items per page, 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Searches the whole audit log (admins only), newest first.
#[utoipa::path(
    operation_id = "admin_search_audit_logs",
    tag = "audit",
    params(AuditSearch),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = OK, body = AuditPage),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: bad filter, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/audit-logs")]
pub async fn search(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: crate::extract::Query<AuditSearch>,
) -> Result<HttpResponse, ApiError> {
    let AuditSearch { user_id, actor_id, action, since, until, limit, cursor } = query.into_inner();
    let query = AuditQuery { subject: user_id, actor: actor_id, action, since, until, limit, cursor };
    let page = state.services.audit.search_audit(&user.0, query).await?;
    Ok(super::private_json(AuditPage::from_page(&page)))
}
