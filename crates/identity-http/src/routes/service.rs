//! Routes for other services, with a service client's credentials (HTTP Basic or a
//! `client_credentials` token) and the scope each one names: token introspection (RFC 7662),
//! user reads and settings reads. The gate (`crate::gate`) authenticates the client and checks
//! the scope before a handler runs.

use actix_web::{HttpResponse, get, post, web};
use identity_core::domain::Introspection;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use super::private_json;
use super::views::UserView;
use crate::error::{ApiError, Problem};
use crate::extract::{CurrentService, FormBody};
use crate::state::AppState;

/// The form of RFC 7662 §2.1.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntrospectionForm {
    /// The token to look at: an access token (a user's, or a service client's).
    #[schema(example = "v4.public.eyJ…")]
    pub token: String,
    /// `access_token` or `refresh_token`: a hint only (every token is looked at the same way;
    /// a refresh token is never active here).
    #[schema(example = "access_token")]
    pub token_type_hint: Option<String>,
}

/// RFC 7662 §2.2. An inactive token is exactly `{"active": false}`: nothing says why.
#[derive(Debug, Default, Serialize, ToSchema)]
#[schema(example = json!({
    "active": true, "token_type": "Bearer", "sub": "0190b8a0-0000-7000-8000-000000000001",
    "sid": "0190b8a0-0000-7000-8000-000000000002", "username": "ada@example.com",
    "iat": 1765000000, "exp": 1765000900, "iss": "identity", "aud": "identity",
    "roles": ["user"], "amr": ["pwd"], "aal": 1
}))]
pub struct IntrospectionAnswer {
    pub active: bool,
    /// `Bearer`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
    /// The user (a user's token) or the client (a service token).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<Uuid>,
    /// The session (a user's token).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<Uuid>,
    /// The user's email address (a user's token).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The service client (a service token).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<Uuid>,
    /// Seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// The scopes of a service token, space separated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The user's roles now (a user's token), sorted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// How the user signed in (RFC 8176: `pwd`, `otp`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    /// Authenticator assurance level, 1 or 2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aal: Option<u8>,
}

impl From<Option<Introspection>> for IntrospectionAnswer {
    fn from(found: Option<Introspection>) -> Self {
        match found {
            None => Self::default(),
            Some(Introspection::User { sub, sid, iat, exp, iss, aud, roles, amr, email }) => Self {
                active: true,
                token_type: Some("Bearer"),
                sub: Some(sub),
                sid: Some(sid),
                username: Some(email),
                iat: Some(iat.timestamp()),
                exp: Some(exp.timestamp()),
                iss: Some(iss),
                aud: Some(aud),
                aal: Some(match identity_core::usecases::Aal::of(&amr) {
                    identity_core::usecases::Aal::One => 1,
                    identity_core::usecases::Aal::Two => 2,
                }),
                roles: Some(roles),
                amr: Some(amr),
                ..Self::default()
            },
            Some(Introspection::Service { client_id, iat, exp, iss, aud, scope }) => Self {
                active: true,
                token_type: Some("Bearer"),
                sub: Some(client_id),
                client_id: Some(client_id),
                iat: Some(iat.timestamp()),
                exp: Some(exp.timestamp()),
                iss: Some(iss),
                aud: Some(aud),
                scope: Some(scope.join(" ")),
                ..Self::default()
            },
        }
    }
}

/// Token introspection (RFC 7662), for service clients with `tokens:introspect`: an access
/// token that works now (its session live, its account active; or a service token of a
/// client not revoked) is `active` with its claims; anything else (expired, a revoked
/// session, a refresh token, garbage) is exactly `{"active": false}`.
#[utoipa::path(
    operation_id = "introspect_token",
    tag = "service",
    request_body(content = IntrospectionForm, content_type = "application/x-www-form-urlencoded"),
    security(("service_basic" = ["tokens:introspect"]), ("service_token" = ["tokens:introspect"])),
    responses(
        (status = OK, body = IntrospectionAnswer),
        (status = UNAUTHORIZED, description = "`unauthenticated`: no service credentials, or wrong ones (`WWW-Authenticate: Basic`)", body = Problem, content_type = "application/problem+json",
         headers(("WWW-Authenticate" = String, description = "The schemes service routes take"))),
        (status = FORBIDDEN, description = "`forbidden`: the client lacks `tokens:introspect`", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: no `token`, or an unknown or repeated field", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/tokens/introspect")]
pub async fn introspect(
    state: web::Data<AppState>,
    service: CurrentService,
    form: FormBody<IntrospectionForm>,
) -> Result<HttpResponse, ApiError> {
    let FormBody(form) = form;
    let found = state.services.clients.introspect(&service.0, &form.token).await?;
    Ok(private_json(IntrospectionAnswer::from(found)))
}

/// A user as other services read it (`users:read`); deleted accounts too, with their status.
#[utoipa::path(
    operation_id = "service_get_user",
    tag = "service",
    params(("id" = Uuid, Path, description = "User id")),
    security(("service_basic" = ["users:read"]), ("service_token" = ["users:read"])),
    responses(
        (status = OK, body = UserView),
        (status = UNAUTHORIZED, description = "`unauthenticated`: no service credentials, or wrong ones", body = Problem, content_type = "application/problem+json"),
        (status = FORBIDDEN, description = "`forbidden`: the client lacks `users:read`", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such user", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/service/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    service: CurrentService,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let user = state.services.clients.read_user(&service.0, id.into_inner()).await?;
    Ok(private_json(UserView::from(&user)))
}

/// A settings namespace for another service.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceSettings {
    #[schema(example = "ai")]
    pub namespace: String,
    /// Every field with its value or default; **secrets in clear** (`null` when not set).
    #[schema(example = json!({"provider": "openai", "model": "gpt-4.1", "api_key": "sk-…"}))]
    pub values: Map<String, Value>,
}

/// A settings namespace with its secrets in clear, for the service that needs them
/// (`settings:read:<namespace>`, e.g. `settings:read:ai` for the AI service's key). Audited as
/// `settings.read` on every read.
#[utoipa::path(
    operation_id = "service_get_settings",
    tag = "service",
    params(("namespace" = String, Path, description = "Settings namespace (`ai`, …)")),
    security(("service_basic" = ["settings:read:{namespace}"]), ("service_token" = ["settings:read:{namespace}"])),
    responses(
        (status = OK, body = ServiceSettings),
        (status = UNAUTHORIZED, description = "`unauthenticated`: no service credentials, or wrong ones", body = Problem, content_type = "application/problem+json"),
        (status = FORBIDDEN, description = "`forbidden`: the client lacks `settings:read:<namespace>` (no client holds one for an unknown namespace)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/service/settings/{namespace}")]
pub async fn get_settings(
    state: web::Data<AppState>,
    service: CurrentService,
    namespace: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (namespace, values) = state.services.settings.reveal(&service.0, &namespace.into_inner()).await?;
    Ok(private_json(ServiceSettings { namespace: namespace.name.to_owned(), values }))
}
