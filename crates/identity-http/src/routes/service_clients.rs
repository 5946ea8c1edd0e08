//! `/v1/admin/service-clients`: other services' credentials, as admins keep them. A secret
//! is shown once, in the answer that creates it; only its digest is stored.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Duration, Utc};
use identity_core::domain::{IssuedSecret, NewServiceClient, ServiceClient, ServiceClientChange};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::private_json;
use crate::error::{ApiError, Problem};
use crate::extract::{CurrentUser, JsonBody, OptionalJsonBody};
use crate::state::AppState;

/// One of a client's secrets that still works (never the secret itself).
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientSecretView {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    /// When it stops working (an older secret after a rotation); `null`: until the next one.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A service client.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceClientView {
    /// Its `client_id`: the user name of HTTP Basic and of the token endpoint.
    pub id: Uuid,
    #[schema(example = "billing")]
    pub name: String,
    /// What it may do, sorted.
    #[schema(example = json!(["tokens:introspect", "users:read"]))]
    pub scopes: Vec<String>,
    /// The secrets that work now, newest first.
    pub secrets: Vec<ClientSecretView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set once revoked: nothing of it authenticates any more.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ServiceClientView {
    fn new(client: &ServiceClient, now: DateTime<Utc>) -> Self {
        Self {
            id: client.id,
            name: client.name.clone(),
            scopes: client.scopes.iter().cloned().collect(),
            secrets: client
                .live_secrets(now)
                .map(|s| ClientSecretView { id: s.id, created_at: s.created_at, expires_at: s.expires_at })
                .collect(),
            created_at: client.created_at,
            updated_at: client.updated_at,
            revoked_at: client.revoked_at,
        }
    }
}

/// A client with a secret just issued. The secret is shown this once: store it now.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedClientSecret {
    pub client: ServiceClientView,
    /// The client's id, again, as OAuth2 names it.
    pub client_id: Uuid,
    /// The secret (256 random bits, URL-safe base64): HTTP Basic's password, or `client_secret`
    /// at the token endpoint.
    #[schema(example = "q5uC0m1Lr4JjQ9n3U2xR8wVt6YbZa7Hk1sDfGhJkLmN")]
    pub client_secret: String,
}

impl IssuedClientSecret {
    fn new(issued: &IssuedSecret, now: DateTime<Utc>) -> Self {
        Self {
            client: ServiceClientView::new(&issued.client, now),
            client_id: issued.client.id,
            client_secret: issued.secret.clone(),
        }
    }
}

/// The scopes a client may hold, at least one (a scope listed twice counts once).
fn scopes_schema() -> utoipa::openapi::schema::Array {
    let scope = utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(identity_core::domain::Scope::known()))
        .examples([serde_json::json!("users:read")])
        .build();
    utoipa::openapi::schema::ArrayBuilder::new().items(scope).min_items(Some(1)).build()
}

/// [`scopes_schema`], or `null` (no change).
fn nullable_scopes_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{SchemaType, Type};
    let mut schema = scopes_schema();
    schema.schema_type = SchemaType::from_iter([Type::Array, Type::Null]);
    schema
}

/// A new service client.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateServiceClient {
    /// 1–100 characters, one line.
    #[schema(example = "billing", min_length = 1, max_length = 100)]
    pub name: String,
    /// At least one of `tokens:introspect`, `users:read`, `settings:read:<namespace>`.
    #[schema(schema_with = scopes_schema, example = json!(["tokens:introspect", "users:read"]))]
    pub scopes: Vec<String>,
}

/// A change of a service client: what is given changes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateServiceClient {
    #[schema(example = "billing", min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Replaces the scopes (a scope taken away counts at once, for its tokens too).
    #[schema(schema_with = nullable_scopes_schema)]
    pub scopes: Option<Vec<String>>,
}

/// How a rotation treats the older secrets.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateSecret {
    /// How long the older secrets keep working, 0–604800 seconds (default 3600): the time to
    /// roll the new secret out. `0` ends them now.
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 604800, example = 3600)]
    #[serde(default, deserialize_with = "integral")]
    pub overlap_seconds: Option<i64>,
}

/// A whole number, in whichever form JSON writes it (`106` or `106.0`: JSON Schema's
/// `integer` takes both); anything else is a type error naming the field.
fn integral<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    let Some(number) = Option::<serde_json::Number>::deserialize(deserializer)? else { return Ok(None) };
    if let Some(n) = number.as_i64() {
        return Ok(Some(n));
    }
    match number.as_f64() {
        // `as` saturates: beyond i64 it is out of range anyway, and the range check says so.
        Some(f) if f.fract() == 0.0 => Ok(Some(f as i64)),
        _ => Err(serde::de::Error::custom(format!("{number} is not a whole number"))),
    }
}

/// One page of service clients, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceClientPage {
    pub items: Vec<ServiceClientView>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Paging of the listing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ServiceClientSearch {
    /// Items per page, 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})?$")]
    pub cursor: Option<String>,
}

/// Creates a service client and its first secret, shown this once (admins only; audited as
/// `service_client.created`).
#[utoipa::path(
    operation_id = "admin_create_service_client",
    tag = "service-clients",
    request_body = CreateServiceClient,
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = CREATED, body = IssuedClientSecret, headers(("Location" = String, description = "The new client"))),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: a bad `name`, no scope or an unknown one (`unknown_scope`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/service-clients")]
pub async fn create_service_client(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: JsonBody<CreateServiceClient>,
) -> Result<HttpResponse, ApiError> {
    let JsonBody(body) = body;
    let new = NewServiceClient { name: body.name, scopes: body.scopes };
    let issued = state.services.clients.create(&user.0, &new).await?;
    let now = state.services.clients.now();
    Ok(super::created(format!("/v1/admin/service-clients/{}", issued.client.id), IssuedClientSecret::new(&issued, now)))
}

/// The service clients, revoked ones too, newest first (admins only).
#[utoipa::path(
    operation_id = "admin_list_service_clients",
    tag = "service-clients",
    params(ServiceClientSearch),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = OK, body = ServiceClientPage),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: bad `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/service-clients")]
pub async fn list_service_clients(
    state: web::Data<AppState>,
    user: CurrentUser,
    search: crate::extract::Query<ServiceClientSearch>,
) -> Result<HttpResponse, ApiError> {
    let search = search.into_inner();
    let page = state.services.clients.list(&user.0, search.limit, search.cursor.as_deref()).await?;
    let now = state.services.clients.now();
    Ok(private_json(ServiceClientPage {
        items: page.items.iter().map(|c| ServiceClientView::new(c, now)).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// One service client (admins only).
#[utoipa::path(
    operation_id = "admin_get_service_client",
    tag = "service-clients",
    params(("id" = Uuid, Path, description = "Client id")),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = OK, body = ServiceClientView),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such client", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/service-clients/{id}")]
pub async fn get_service_client(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let client = state.services.clients.get(&user.0, id.into_inner()).await?;
    Ok(private_json(ServiceClientView::new(&client, state.services.clients.now())))
}

/// Renames a service client or replaces its scopes (admins only; audited as
/// `service_client.updated`).
#[utoipa::path(
    operation_id = "admin_update_service_client",
    tag = "service-clients",
    params(("id" = Uuid, Path, description = "Client id")),
    request_body = UpdateServiceClient,
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = OK, body = ServiceClientView),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such client", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: a bad `name`, no scope or an unknown one", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/admin/service-clients/{id}")]
pub async fn update_service_client(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
    body: JsonBody<UpdateServiceClient>,
) -> Result<HttpResponse, ApiError> {
    let JsonBody(body) = body;
    let change = ServiceClientChange { name: body.name, scopes: body.scopes };
    let client = state.services.clients.update(&user.0, id.into_inner(), &change).await?;
    Ok(private_json(ServiceClientView::new(&client, state.services.clients.now())))
}

/// Issues a new secret, shown this once; the older ones keep working for `overlap_seconds`
/// (admins only; audited as `service_client.secret_rotated`). No body: an hour's overlap.
#[utoipa::path(
    operation_id = "admin_rotate_service_client_secret",
    tag = "service-clients",
    params(("id" = Uuid, Path, description = "Client id")),
    request_body(content = Option<RotateSecret>, description = "Optional"),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = OK, body = IssuedClientSecret),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such client, or a revoked one", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: `overlap_seconds` out of range", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/service-clients/{id}/secrets")]
pub async fn rotate_service_client_secret(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
    body: OptionalJsonBody<RotateSecret>,
) -> Result<HttpResponse, ApiError> {
    let overlap = body.0.and_then(|b| b.overlap_seconds).unwrap_or(3600);
    // Out-of-range values are core's to refuse; past i64 seconds chrono would panic.
    let overlap = Duration::try_seconds(overlap).unwrap_or(identity_core::usecases::MAX_OVERLAP * 2);
    let issued = state.services.clients.rotate(&user.0, id.into_inner(), overlap).await?;
    Ok(private_json(IssuedClientSecret::new(&issued, state.services.clients.now())))
}

/// Revokes a service client: its secrets and tokens stop working at once; it stays listed
/// (admins only; audited as `service_client.revoked`).
#[utoipa::path(
    operation_id = "admin_revoke_service_client",
    tag = "service-clients",
    params(("id" = Uuid, Path, description = "Client id")),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
    responses(
        (status = NO_CONTENT, description = "Revoked (or it already was)"),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such client", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/admin/service-clients/{id}")]
pub async fn revoke_service_client(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state.services.clients.revoke(&user.0, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
