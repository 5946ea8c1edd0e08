//! Admin settings: `GET /v1/admin/settings` (namespaces and schemas),
//! `GET/PATCH /v1/admin/settings/{namespace}`, `POST /v1/admin/settings/{namespace}/test`.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use identity_core::domain::{SINGLE_LINE_PATTERN, VISIBLE_PATTERN};
use identity_core::settings::{FieldKind, FieldSpec, Namespace, SECRET_MAX, URL_MAX, URL_PATTERN};
use identity_core::usecases::{ProbeOutcome, SettingsView};
use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
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
                    FieldKind::Url => ("url", None, None, None, Some(URL_MAX)),
                    FieldKind::Choice(options) => ("choice", Some(options.to_vec()), None, None, None),
                    FieldKind::Integer { min, max } => ("integer", None, Some(min), Some(max), None),
                    FieldKind::Secret => ("secret", None, None, None, Some(SECRET_MAX)),
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

/// The settings operations of the document, one set per namespace of core's registry
/// ([`Namespace::ALL`]): `/v1/admin/settings/ai`, `/v1/admin/settings/ai/test`, … each with
/// the schemas of its own fields (`AiSettings`, `AiSettingsPatch`, `AiSettingsDocument`),
/// generated from the rules core validates with, so the document cannot drift from them and a
/// generated client gets a typed method per namespace. The server serves them all through
/// `/v1/admin/settings/{namespace}`; this replaces that template in the document.
pub fn document_namespaces(doc: &mut Value) {
    if let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
        // Every reference to it is replaced below.
        schemas.remove("SettingsDocument");
        for ns in Namespace::ALL {
            schemas.extend(namespace_schemas(&ns));
        }
    }
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for template in ["/v1/admin/settings/{namespace}", "/v1/admin/settings/{namespace}/test"] {
        let Some(item) = paths.remove(template) else { continue };
        for ns in Namespace::ALL {
            let mut item = item.clone();
            for operation in item.as_object_mut().into_iter().flat_map(|i| i.values_mut()) {
                for_namespace(operation, &ns);
            }
            paths.insert(template.replace("{namespace}", ns.name), item);
        }
    }
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// One operation of a settings template, made the namespace's own.
fn for_namespace(operation: &mut Value, ns: &Namespace) {
    let prefix = super::pascal(ns.name);
    if let Some(id) = operation["operationId"].as_str() {
        operation["operationId"] = json!(id.replace("_settings", &format!("_{}_settings", ns.name)));
    }
    if let Some(parameters) = operation.get_mut("parameters").and_then(Value::as_array_mut) {
        parameters.retain(|p| p["name"] != "namespace");
    }
    if operation["parameters"].as_array().is_some_and(Vec::is_empty)
        && let Some(operation) = operation.as_object_mut()
    {
        operation.remove("parameters");
    }
    // (`pointer_mut`: indexing a `Value` mutably would insert a `null` where nothing is.)
    let content = operation.pointer_mut("/requestBody/content").and_then(Value::as_object_mut);
    for media in content.into_iter().flat_map(|c| c.values_mut()) {
        media["schema"] = schema_ref(&format!("{prefix}SettingsPatch"));
    }
    if let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) {
        // The namespace is in the path: there is no namespace to miss.
        responses.remove("404");
        if let Some(schema) = responses.get_mut("200").and_then(|r| r.pointer_mut("/content/application~1json/schema"))
            && schema["$ref"] == "#/components/schemas/SettingsDocument"
        {
            *schema = schema_ref(&format!("{prefix}SettingsDocument"));
        }
    }
    let description = operation["description"].as_str().unwrap_or_default().to_owned();
    operation["description"] = json!(format!("The `{}` namespace: {}.\n\n{description}", ns.name, ns.description));
}

/// A value or `null`, as two branches (generators cannot put a pattern on a
/// `["string", "null"]` union, and make a type per branch of a nullable enumeration).
fn or_null(schema: Value) -> Value {
    json!({ "oneOf": [schema, { "type": "null" }] })
}

/// A field's value as a request sends it (`read`: as an answer shows it).
fn field_schema(ns: &Namespace, field: &FieldSpec, read: bool) -> Value {
    let mut schema = match field.kind {
        FieldKind::Text { max } if read => json!({ "type": "string", "maxLength": max }),
        FieldKind::Text { max } => {
            json!({ "type": "string", "minLength": 1, "maxLength": max, "pattern": SINGLE_LINE_PATTERN })
        }
        FieldKind::Url if read => json!({ "type": "string", "maxLength": URL_MAX }),
        FieldKind::Url => json!({ "type": "string", "maxLength": URL_MAX, "pattern": URL_PATTERN }),
        FieldKind::Choice(_) => return schema_ref(&choice_name(ns, field)),
        FieldKind::Integer { min, max } => json!({ "type": "integer", "minimum": min, "maximum": max }),
        FieldKind::Secret if read => {
            json!({ "type": "string", "description": "A hint of the stored secret, such as `sk-…abcd`" })
        }
        FieldKind::Secret => {
            json!({ "type": "string", "minLength": 1, "maxLength": SECRET_MAX, "pattern": VISIBLE_PATTERN })
        }
    };
    if let Some(default) = field.default {
        schema["default"] = default.to_json();
    }
    schema
}

/// `ai.provider` → `AiProvider`.
fn choice_name(ns: &Namespace, field: &FieldSpec) -> String {
    format!("{}{}", super::pascal(ns.name), super::pascal(field.name))
}

/// A namespace's component schemas: its choices, its values as read, its patch and its
/// document.
fn namespace_schemas(ns: &Namespace) -> Map<String, Value> {
    let prefix = super::pascal(ns.name);
    let mut schemas = Map::new();
    let mut values = Map::new();
    let mut patch = Map::new();
    for field in ns.fields {
        if let FieldKind::Choice(options) = field.kind {
            schemas.insert(
                choice_name(ns, field),
                json!({ "type": "string", "enum": options, "description": field.description }),
            );
        }
        let read = field_schema(ns, field, true);
        let read = if field.default.is_none() { or_null(read) } else { read };
        values.insert(field.name.to_owned(), with_description(read, field.description));
        let write = or_null(field_schema(ns, field, false));
        patch.insert(field.name.to_owned(), with_description(write, field.description));
    }
    let required: Vec<&str> = ns.fields.iter().map(|f| f.name).collect();
    let secrets: Vec<&str> = ns.fields.iter().filter(|f| f.kind == FieldKind::Secret).map(|f| f.name).collect();
    schemas.insert(
        format!("{prefix}Settings"),
        json!({
            "type": "object",
            "description": format!("The `{}` namespace's values as read: every field, defaults filled in (`null`: unset); secrets only as hints.", ns.name),
            "properties": values,
            "required": required,
            "additionalProperties": false,
        }),
    );
    schemas.insert(
        format!("{prefix}SettingsPatch"),
        json!({
            "type": "object",
            "description": format!("A merge patch of the `{}` namespace: listed fields change, `null` resets one to its default (or removes a secret), a left-out secret is kept, and so is a secret sent back as its own hint.", ns.name),
            "properties": patch,
            "additionalProperties": false,
        }),
    );
    schemas.insert(
        format!("{prefix}SettingsDocument"),
        json!({
            "type": "object",
            "description": format!("The `{}` namespace's settings.", ns.name),
            "properties": {
                "namespace": { "type": "string", "enum": [ns.name] },
                "values": schema_ref(&format!("{prefix}Settings")),
                "secrets_set": secrets_set_schema(&secrets),
                "updated_at": or_null(json!({ "type": "string", "format": "date-time" })),
                "updated_by": or_null(json!({ "type": "string", "format": "uuid" })),
            },
            "required": ["namespace", "values", "secrets_set", "updated_at", "updated_by"],
            "additionalProperties": false,
        }),
    );
    schemas
}

/// The secret fields that hold a value: names of the namespace's secrets (none when it has
/// none; an empty `enum` is not JSON Schema).
fn secrets_set_schema(secrets: &[&str]) -> Value {
    let description = "The secret fields that hold a value.";
    if secrets.is_empty() {
        return json!({ "type": "array", "items": { "type": "string" }, "maxItems": 0, "description": description });
    }
    json!({ "type": "array", "items": { "type": "string", "enum": secrets }, "uniqueItems": true, "description": description })
}

/// `schema` described (a reference keeps the description of what it names).
fn with_description(mut schema: Value, description: &str) -> Value {
    if schema.get("$ref").is_none() {
        schema["description"] = json!(description);
    }
    schema
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

/// Documentation only: [`document_namespaces`] puts each namespace's own document in its place.
impl utoipa::PartialSchema for SettingsDocument {
    fn schema() -> RefOr<Schema> {
        utoipa::openapi::ObjectBuilder::new().into()
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
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
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
    params(("namespace" = String, Path, description = "The namespace (one path per namespace in the document)")),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
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
    params(("namespace" = String, Path, description = "The namespace (one path per namespace in the document)")),
    request_body(
        content = Value,
        content_type = "application/merge-patch+json",
        description = "A partial document of the namespace's fields; `application/json` is accepted too"
    ),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
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
    params(("namespace" = String, Path, description = "The namespace (one path per namespace in the document)")),
    request_body(content = Option<Value>, description = "Values to try instead of the stored ones; optional: leave the body out (no `null`) to test the stored ones"),
    security(("bearer" = ["admin"]), ("cookie" = ["admin"])),
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
