//! Admin settings: `GET /v1/admin/settings` (namespaces and schemas),
//! `GET/PATCH /v1/admin/settings/{namespace}`, `POST /v1/admin/settings/{namespace}/test`.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use identity_core::settings::{FieldKind, Namespace};
use identity_core::usecases::{ProbeOutcome, SettingsView};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use super::private_json;
use crate::error::{ApiError, Problem};
use crate::extract::{CurrentUser, JsonBody};
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
    /// The value when nothing is stored (`null`: unset).
    #[schema(value_type = Object)]
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

/// The `ai` namespace's values. Reads list every field (defaults filled in); a PATCH sends
/// only what changes, `null` resetting a field (or removing the key).
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)]
pub struct AiSettings {
    provider: Option<AiProvider>,
    /// `null`: the provider's public endpoint.
    #[schema(example = "https://api.openai.com/v1")]
    base_url: Option<String>,
    #[schema(example = "gpt-4o-mini")]
    model: Option<String>,
    /// Write-only in clear: reads show a hint (`sk-…abcd`), or `null` when unset. Leave it out
    /// of a PATCH to keep it.
    #[schema(example = "sk-…abcd")]
    api_key: Option<String>,
}

/// The `documents` namespace's values.
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)]
pub struct DocumentsSettings {
    /// 1–1024 MiB (default 25).
    #[schema(example = 25, minimum = 1, maximum = 1024)]
    max_upload_size_mb: Option<i64>,
}

/// The fields of one namespace: `AiSettings` for `ai`, `DocumentsSettings` for `documents`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum SettingsValues {
    Ai(AiSettings),
    Documents(DocumentsSettings),
}

/// A namespace's settings: every field with its stored value or default; secrets as hints.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettingsDocument {
    #[schema(example = "ai")]
    pub namespace: &'static str,
    #[schema(value_type = SettingsValues)]
    pub values: Map<String, Value>,
    /// The secret fields that hold a value.
    #[schema(example = json!(["api_key"]))]
    pub secrets_set: Vec<&'static str>,
    /// `null` until first saved.
    pub updated_at: Option<DateTime<Utc>>,
    pub updated_by: Option<Uuid>,
}

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
        (status = NOT_FOUND, description = "No such namespace", body = Problem, content_type = "application/problem+json"),
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
        content = SettingsValues,
        content_type = "application/merge-patch+json",
        description = "A partial document of the namespace's fields (`AiSettings` for `ai`, `DocumentsSettings` for `documents`); `application/json` is accepted too"
    ),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = OK, body = SettingsDocument),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "No such namespace", body = Problem, content_type = "application/problem+json"),
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
    request_body(content = Option<SettingsValues>, description = "Values to try instead of the stored ones (optional)"),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = OK, body = SettingsTestResult),
        (status = FORBIDDEN, description = "`forbidden`: not an admin", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "No such namespace", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: the tried values are invalid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/settings/{namespace}/test")]
pub async fn test_settings(
    state: web::Data<AppState>,
    user: CurrentUser,
    namespace: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let patch: Option<Value> =
        if body.iter().all(u8::is_ascii_whitespace) { None } else { Some(crate::extract::parse(&body)?) };
    let outcome = state.services.settings.test_settings(&user.0, &namespace, patch.as_ref()).await?;
    Ok(private_json(SettingsTestResult::from(outcome)))
}
