//! Admin settings: `GET /v1/admin/settings` (namespaces and schemas),
//! `GET/PATCH /v1/admin/settings/{namespace}`, `POST /v1/admin/settings/{namespace}/test`.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use identity_core::settings::{FieldKind, Namespace};
use identity_core::usecases::{ProbeOutcome, SettingsView};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa::openapi::schema::Schema;
use utoipa::openapi::{Ref, RefOr};
use uuid::Uuid;

use super::private_json;
use crate::error::{ApiError, Problem};
use crate::extract::{CurrentUser, JsonBody, OptionalJsonBody};
use crate::state::AppState;

/// One setting of a namespace's schema.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettingFieldView {
    #[schema(example = "api_key")]
    pub name: String,
    /// `text`, `url`, `choice`, `integer` or `secret`.
    #[schema(example = "secret")]
    pub r#type: &'static str,
    /// Stored encrypted; reads show only a hint such as `sk-…abcd`.
    pub secret: bool,
    /// The value when nothing is stored: text, a number, or `null` (unset).
    #[schema(schema_with = default_schema)]
    pub default: Value,
    /// The allowed values of a `choice`.
    pub choices: Option<Vec<&'static str>>,
    /// Bounds of an `integer`.
    pub min: Option<i64>,
    pub max: Option<i64>,
    /// Longest `text`.
    pub max_length: Option<usize>,
    pub description: &'static str,
}

fn default_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{SchemaType, Type};
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Integer, Type::Null]))
        .examples([serde_json::json!("openai"), serde_json::json!(25)])
        .build()
}

/// A settings namespace and its schema.
#[derive(Debug, Serialize, ToSchema)]
pub struct NamespaceView {
    #[schema(example = "ai")]
    pub namespace: &'static str,
    pub description: &'static str,
    pub fields: Vec<SettingFieldView>,
}

impl From<&Namespace> for NamespaceView {
    fn from(ns: &Namespace) -> Self {
        let fields = ns
            .fields
            .iter()
            .map(|f| {
                let (r#type, choices, min, max, max_length) = match f.kind {
                    FieldKind::Text { max } => ("text", None, None, None, Some(max)),
                    FieldKind::Url => ("url", None, None, None, Some(2048)),
                    FieldKind::Choice(options) => ("choice", Some(options.to_vec()), None, None, None),
                    FieldKind::Integer { min, max } => ("integer", None, Some(min), Some(max), None),
                    FieldKind::Secret => ("secret", None, None, None, Some(4096)),
                };
                SettingFieldView {
                    name: f.name.to_owned(),
                    r#type,
                    secret: f.kind == FieldKind::Secret,
                    default: f.default.map_or(Value::Null, |d| d.to_json()),
                    choices,
                    min,
                    max,
                    max_length,
                    description: f.description,
                }
            })
            .collect();
        Self { namespace: ns.name, description: ns.description, fields }
    }
}

/// Every settings namespace.
#[derive(Debug, Serialize, ToSchema)]
pub struct NamespaceList {
    pub items: Vec<NamespaceView>,
}

/// A settings namespace.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum SettingsNamespace {
    Ai,
    Documents,
}

/// The APIs the `ai` namespace can reach (default `openai`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum AiProvider {
    Openai,
    Anthropic,
    AzureOpenai,
    Ollama,
    OpenaiCompatible,
}

/// The `ai` namespace's values as read: every field, defaults filled in (`null`: unset).
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct AiSettings {
    #[schema(required = true)]
    provider: Option<AiProvider>,
    /// `null`: the provider's public endpoint.
    #[schema(required = true, example = "https://api.openai.com/v1")]
    base_url: Option<String>,
    #[schema(required = true, example = "gpt-4o-mini")]
    model: Option<String>,
    /// Never in clear: a hint (`sk-…abcd`), or `null` when unset.
    #[schema(required = true, example = "sk-…abcd")]
    api_key: Option<String>,
}

/// The `documents` namespace's values as read: every field, defaults filled in.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct DocumentsSettings {
    /// 1–1024 MiB (default 25).
    #[schema(example = 25, minimum = 1, maximum = 1024)]
    max_upload_size_mb: i64,
}

/// A merge patch of the `ai` namespace: listed fields change, `null` resets one (or removes
/// the API key), a left-out `api_key` is kept.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct AiSettingsPatch {
    provider: Option<AiProvider>,
    #[schema(example = "https://api.openai.com/v1")]
    base_url: Option<String>,
    #[schema(example = "gpt-4o-mini")]
    model: Option<String>,
    /// Write-only: send the key in clear; sending back its hint keeps it.
    api_key: Option<String>,
}

/// A merge patch of the `documents` namespace (`null` resets to the default).
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct DocumentsSettingsPatch {
    /// 1–1024 MiB.
    #[schema(example = 25, minimum = 1, maximum = 1024)]
    max_upload_size_mb: Option<i64>,
}

/// The body of a settings PATCH or test: `AiSettingsPatch` for `ai`, `DocumentsSettingsPatch`
/// for `documents` (the path's namespace decides; neither allows the other's fields).
pub struct SettingsPatch;

impl utoipa::PartialSchema for SettingsPatch {
    fn schema() -> RefOr<Schema> {
        utoipa::openapi::schema::AnyOfBuilder::new()
            .item(Ref::from_schema_name("AiSettingsPatch"))
            .item(Ref::from_schema_name("DocumentsSettingsPatch"))
            .description(Some("The fields of the path's namespace: `AiSettingsPatch` for `ai`, `DocumentsSettingsPatch` for `documents`."))
            .into()
    }
}

impl utoipa::ToSchema for SettingsPatch {}

/// A namespace's settings (what `SettingsDocument` holds for `ai`).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct AiSettingsDocument {
    #[schema(schema_with = ai_namespace)]
    namespace: String,
    values: AiSettings,
    /// The secret fields that hold a value.
    #[schema(example = json!(["api_key"]))]
    secrets_set: Vec<String>,
    updated_at: Option<DateTime<Utc>>,
    updated_by: Option<Uuid>,
}

/// A namespace's settings (what `SettingsDocument` holds for `documents`).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct DocumentsSettingsDocument {
    #[schema(schema_with = documents_namespace)]
    namespace: String,
    values: DocumentsSettings,
    /// Always empty: the namespace has no secrets.
    secrets_set: Vec<String>,
    updated_at: Option<DateTime<Utc>>,
    updated_by: Option<Uuid>,
}

fn one_value(value: &str) -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some([value]))
        .build()
}

fn ai_namespace() -> utoipa::openapi::Object {
    one_value(identity_core::settings::AI.name)
}

fn documents_namespace() -> utoipa::openapi::Object {
    one_value(identity_core::settings::DOCUMENTS.name)
}

/// A namespace's settings: every field with its stored value or default; secrets as hints.
/// `namespace` tells which shape `values` has.
#[derive(Debug, Serialize)]
pub struct SettingsDocument {
    pub namespace: &'static str,
    pub values: Map<String, Value>,
    /// The secret fields that hold a value.
    pub secrets_set: Vec<&'static str>,
    /// `null` until first saved.
    pub updated_at: Option<DateTime<Utc>>,
    pub updated_by: Option<Uuid>,
}

impl utoipa::PartialSchema for SettingsDocument {
    fn schema() -> RefOr<Schema> {
        let reference = |name: &str| format!("#/components/schemas/{name}");
        let discriminator = utoipa::openapi::Discriminator::with_mapping(
            "namespace",
            [
                (identity_core::settings::AI.name, reference("AiSettingsDocument")),
                (identity_core::settings::DOCUMENTS.name, reference("DocumentsSettingsDocument")),
            ],
        );
        utoipa::openapi::schema::OneOfBuilder::new()
            .item(Ref::from_schema_name("AiSettingsDocument"))
            .item(Ref::from_schema_name("DocumentsSettingsDocument"))
            .discriminator(Some(discriminator))
            .description(Some("A namespace's settings: every field with its stored value or default; secrets as hints. `namespace` tells the shape of `values`."))
            .into()
    }
}

impl utoipa::ToSchema for SettingsDocument {}

impl From<&SettingsView> for SettingsDocument {
    fn from(view: &SettingsView) -> Self {
        let secrets_set = view
            .namespace
            .fields
            .iter()
            .filter(|f| f.kind == FieldKind::Secret && view.values.get(f.name).is_some_and(|v| !v.is_null()))
            .map(|f| f.name)
            .collect();
        Self {
            namespace: view.namespace.name,
            values: view.values.clone(),
            secrets_set,
            updated_at: view.updated_at,
            updated_by: view.updated_by.map(|u| u.as_uuid()),
        }
    }
}

/// How a connection check went.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettingsTestResult {
    pub ok: bool,
    /// The remote's HTTP status, when it answered.
    #[schema(example = 200)]
    pub status: Option<u16>,
    #[schema(example = 182)]
    pub latency_ms: u64,
    #[schema(example = "openai answered HTTP 200")]
    pub detail: String,
}

impl From<ProbeOutcome> for SettingsTestResult {
    fn from(outcome: ProbeOutcome) -> Self {
        Self { ok: outcome.ok, status: outcome.status, latency_ms: outcome.latency_ms, detail: outcome.detail }
    }
}

/// The settings namespaces and their schemas (admins only).
#[utoipa::path(
    operation_id = "admin_list_settings_namespaces",
    tag = "settings",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = OK, body = NamespaceList),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/settings")]
pub async fn list_namespaces(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    let namespaces = state.services.settings.settings_namespaces(&user.0)?;
    Ok(private_json(NamespaceList { items: namespaces.iter().map(NamespaceView::from).collect() }))
}

/// One namespace's settings (admins only). Secrets are never returned, only hinted.
#[utoipa::path(
    operation_id = "admin_get_settings",
    tag = "settings",
    params(("namespace" = SettingsNamespace, Path, description = "`ai` or `documents`")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = OK, body = SettingsDocument),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such namespace", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/settings/{namespace}")]
pub async fn get_settings(
    state: web::Data<AppState>,
    user: CurrentUser,
    namespace: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let view = state.services.settings.get_settings(&user.0, &namespace).await?;
    Ok(private_json(SettingsDocument::from(&view)))
}

/// Changes settings as a JSON merge patch (admins only): listed fields change, `null` resets
/// a field to its default or removes a secret, left-out secrets are kept (so is a secret sent
/// back as its own hint). Every problem is reported at once, naming the field.
#[utoipa::path(
    operation_id = "admin_update_settings",
    tag = "settings",
    params(("namespace" = SettingsNamespace, Path, description = "`ai` or `documents`")),
    request_body(
        content = SettingsPatch,
        content_type = "application/merge-patch+json",
        description = "A partial document of the namespace's fields (`AiSettings` for `ai`, `DocumentsSettings` for `documents`); `application/json` is accepted too"
    ),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = OK, body = SettingsDocument),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such namespace", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: each unknown or invalid field named", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/admin/settings/{namespace}")]
pub async fn patch_settings(
    state: web::Data<AppState>,
    user: CurrentUser,
    namespace: web::Path<String>,
    body: JsonBody<Value>,
) -> Result<HttpResponse, ApiError> {
    let JsonBody(patch) = body;
    let view = state.services.settings.patch_settings(&user.0, &namespace, &patch).await?;
    Ok(private_json(SettingsDocument::from(&view)))
}

/// Runs the namespace's connection check (admins only): for `ai`, `GET {base_url}/models`
/// with the API key; `documents` has nothing to connect to. An optional body (same shape as
/// a PATCH) is tried over the stored settings without saving it. A failed check is a 200
/// with `ok: false`.
#[utoipa::path(
    operation_id = "admin_test_settings",
    tag = "settings",
    params(("namespace" = SettingsNamespace, Path, description = "`ai` or `documents`")),
    request_body(content = Option<SettingsPatch>, description = "Values to try instead of the stored ones; optional: leave the body out (no `null`) to test the stored ones"),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = OK, body = SettingsTestResult),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such namespace", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: the tried values are invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/settings/{namespace}/test")]
pub async fn test_settings(
    state: web::Data<AppState>,
    user: CurrentUser,
    namespace: web::Path<String>,
    body: OptionalJsonBody<Value>,
) -> Result<HttpResponse, ApiError> {
    let outcome = state.services.settings.test_settings(&user.0, &namespace, body.0.as_ref()).await?;
    Ok(private_json(SettingsTestResult::from(outcome)))
}
