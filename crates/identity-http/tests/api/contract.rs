//! The document and the server agree: every status and problem code an operation can answer
//! is documented for it (generated clients only know what the document says), and the codes
//! are one enum generated from `ProblemCode`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use identity_http::error::ProblemCode;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, spawn_app_with_admin};

fn document() -> Value {
    serde_json::from_str(&identity_http::openapi::openapi_json().unwrap()).unwrap()
}

/// Every operation: (METHOD, path template, operation).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            all.push((method.to_uppercase(), path.clone(), operation.clone()));
        }
    }
    all
}

/// The problem codes an operation documents for `status` (its examples, one per code).
fn documented_codes(operation: &Value, status: u16) -> BTreeSet<String> {
    operation["responses"][status.to_string()]["content"]["application/problem+json"]["examples"]
        .as_object()
        .map(|examples| examples.keys().cloned().collect())
        .unwrap_or_default()
}

const TOKEN: &str = "/v1/auth/token";

#[test]
fn problem_codes_are_one_enum_generated_from_the_server_list() {
    let doc = document();
    // `openapi()` falls back to the bare annotations if its rules' output does not parse.
    assert!(
        doc["components"]["examples"].as_object().is_some_and(|e| e.len() == ProblemCode::ALL.len()),
        "the shared rules were not applied"
    );
    let schemas = &doc["components"]["schemas"];
    let listed: Vec<&str> = ProblemCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(schemas["ProblemCode"]["enum"], json!(listed));
    assert_eq!(schemas["Problem"]["properties"]["code"]["$ref"], "#/components/schemas/ProblemCode");
    // Every code is answered by some operation, except the ones no operation chooses: the
    // framework's own refusals, and account states the login hides behind
    // `invalid_credentials` (no account enumeration), and the authorizer's refusals that no
    // operation's declared need can cause yet (a second factor, a recent sign-in), and the
    // built-in proxy's answers for upstreams.
    let unattached = [
        ProblemCode::BadRequest,
        ProblemCode::MethodNotAllowed,
        ProblemCode::InternalError,
        ProblemCode::AccountLocked,
        ProblemCode::AccountDisabled,
        // The built-in proxy's: its paths are other services', not operations of the document.
        ProblemCode::BadGateway,
        ProblemCode::GatewayTimeout,
    ];
    let mut used = BTreeSet::new();
    for (_, _, operation) in operations(&doc) {
        for status in operation["responses"].as_object().unwrap().keys() {
            used.extend(documented_codes(&operation, status.parse().unwrap()));
        }
    }
    for code in ProblemCode::ALL.iter().filter(|c| !unattached.contains(c)) {
        assert!(used.contains(code.as_str()), "{code} is documented by no operation");
    }
}

/// Every problem answer names its codes, each with an example, and each code is answered
/// with the status it is documented under.
#[test]
fn every_problem_answer_documents_its_codes_with_examples() {
    let doc = document();
    let mut problems = Vec::new();
    for (method, path, operation) in operations(&doc) {
        for (status, response) in operation["responses"].as_object().unwrap() {
            let Some(problem) = response["content"]["application/problem+json"].as_object() else { continue };
            let at = format!("{method} {path} {status}");
            if problem["schema"]["$ref"] != "#/components/schemas/Problem" {
                problems.push(format!("{at}: not the Problem schema"));
            }
            let examples = problem.get("examples").and_then(Value::as_object);
            if examples.is_none_or(|e| e.is_empty()) {
                problems.push(format!("{at}: no problem code documented"));
            }
            for (name, example) in examples.into_iter().flatten() {
                let Some(code) = ProblemCode::parse(name) else {
                    problems.push(format!("{at}: unknown code {name}"));
                    continue;
                };
                if code.status().as_u16().to_string() != *status {
                    problems.push(format!("{at}: {code} is answered with {}", code.status()));
                }
                let reference = example["$ref"].as_str().unwrap_or_default();
                let value =
                    &doc["components"]["examples"][reference.trim_start_matches("#/components/examples/")]["value"];
                if value["code"] != name.as_str()
                    || value["status"].as_u64().map(|s| s.to_string()).as_ref() != Some(status)
                {
                    problems.push(format!("{at}: example of {name} does not match: {value}"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The refusals of the shared extractors and middleware are documented wherever they apply.
#[test]
fn every_operation_documents_what_its_extractors_and_middleware_answer() {
    let doc = document();
    let mut missing = Vec::new();
    for (method, path, operation) in operations(&doc) {
        if ["/health", "/ready", "/.well-known/paserk", TOKEN].contains(&path.as_str()) {
            continue;
        }
        let mut expect = |status: u16, code: &str| {
            if !documented_codes(&operation, status).contains(code) {
                missing.push(format!("{method} {path}: {status} {code}"));
            }
        };
        expect(503, "service_unavailable");
        let content = operation["requestBody"]["content"].as_object();
        if content.is_some_and(|c| c.keys().any(|t| t.contains("json"))) {
            expect(400, "malformed_body");
            expect(413, "payload_too_large");
            expect(415, "unsupported_media_type");
            expect(422, "validation_failed");
        }
        let parameters = operation["parameters"].as_array().cloned().unwrap_or_default();
        if parameters.iter().any(|p| p["in"] == "query") {
            expect(422, "validation_failed");
        }
        if parameters.iter().any(|p| p["in"] == "path") {
            expect(404, "not_found");
        }
        if parameters.iter().any(|p| p["name"] == "Idempotency-Key") {
            expect(400, "invalid_idempotency_key");
            expect(409, "idempotency_in_progress");
            expect(422, "idempotency_key_reused");
        }
        let security = operation["security"].as_array().cloned().unwrap_or_default();
        if !security.is_empty() {
            expect(401, "unauthenticated");
            // The same bearer token, however obtained: Swagger UI's *Authorize* works.
            let bearer = security.iter().any(|r| r.get("bearer").is_some());
            if bearer && !security.iter().any(|r| r.get("oauth2").is_some()) {
                expect(0, "oauth2 alternative to bearer");
            }
        }
        let cookie = security.iter().any(|r| r.get("cookie").is_some());
        if cookie && ["POST", "PUT", "PATCH", "DELETE"].contains(&method.as_str()) {
            expect(403, "csrf_rejected");
        }
        if path.starts_with("/v1/admin/") {
            expect(403, "forbidden");
        }
    }
    assert!(missing.is_empty(), "undocumented answers: {missing:#?}");
}

/// What the schemas promise about input, the server holds to.
#[test]
fn schemas_are_as_strict_as_the_server() {
    let doc = document();
    let limit = doc["paths"]["/v1/devices"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap()
        .clone();
    assert_eq!((limit["schema"]["minimum"].as_f64(), limit["schema"]["maximum"].as_f64()), (Some(1.0), Some(100.0)));
    for (path, method) in [("/v1/auth/refresh", "post"), ("/v1/admin/settings/ai/test", "post")] {
        let body = &doc["paths"][path][method]["requestBody"];
        assert_eq!(body["required"], false, "{path}");
        assert!(!body.to_string().contains("\"null\""), "{path}: a null body is refused: {body}");
    }
    let key = doc["paths"]["/v1/auth/register"]["post"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Idempotency-Key")
        .unwrap()
        .clone();
    assert_eq!(key["schema"]["minLength"], 1);
    assert_eq!(key["schema"]["maxLength"], 255);
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["UserView"]["properties"]["roles"]["items"]["enum"], json!(["admin", "user"]));
    assert_eq!(schemas["UserView"]["properties"]["status"]["enum"], json!(["active", "locked", "disabled", "deleted"]));
    // `null` resets them: one named enum or null, so generated clients get an optional enum.
    for (field, name) in [("region", "Region"), ("currency", "Currency")] {
        let branches = &schemas["ProfilePatch"]["properties"][field]["oneOf"];
        assert_eq!(branches[0]["$ref"], format!("#/components/schemas/{name}"), "{field}");
        assert_eq!(branches[1]["type"], "null", "{field}: null resets it");
        assert_eq!(schemas[name]["type"], "string");
    }
    assert_eq!(schemas["LoginResponse"]["properties"]["token_type"]["$ref"], "#/components/schemas/TokenType");
    assert_eq!(schemas["TokenResponse"]["properties"]["token_type"]["$ref"], "#/components/schemas/TokenType");
    assert_eq!(schemas["TokenType"]["enum"], json!(["Bearer"]));
    // Each namespace's settings are a schema of their own, allowing nothing else.
    for name in ["AiSettings", "DocumentsSettings", "AiSettingsPatch", "DocumentsSettingsPatch"] {
        assert_eq!(schemas[name]["additionalProperties"], false, "{name}");
    }
    let default = &schemas["SettingFieldView"]["properties"]["default"]["type"];
    assert_eq!(*default, json!(["string", "integer", "null"]));
    // Preferences: the sections and keys core validates, nothing else.
    let preferences = &schemas["Preferences"];
    assert_eq!(preferences["additionalProperties"], false);
    for (section, keys) in identity_core::profile::PREFERENCE_SECTIONS {
        for (key, _) in *keys {
            assert!(preferences["properties"][section]["properties"][key].is_object(), "{section}.{key}");
        }
    }
    // The patch: each section a schema of its own, or null (removes the section).
    for (section, keys) in identity_core::profile::PREFERENCE_SECTIONS {
        let branches = &schemas["PreferencesPatch"]["properties"][section]["oneOf"];
        let name = branches[0]["$ref"].as_str().unwrap().rsplit('/').next().unwrap();
        assert_eq!(branches[1]["type"], "null", "{section}");
        assert_eq!(schemas[name]["additionalProperties"], false, "{name}");
        assert_eq!(schemas[name]["properties"].as_object().unwrap().len(), keys.len(), "{name}");
    }
    // Login names an account: `email` if it is a string, else `username` must be one.
    assert_eq!(schemas["LoginRequest"]["if"]["required"], json!(["email"]));
    assert_eq!(schemas["LoginRequest"]["else"]["required"], json!(["username"]));
    // Core's rules on texts, as patterns: a required name holds a visible character, no
    // control character, nothing invisible and no text-direction control; passwords anything
    // but NUL.
    let name = &schemas["NewGroup"]["properties"]["name"];
    assert_eq!(name["pattern"], identity_core::domain::NAME_PATTERN, "{name}");
    for (schema, field, pattern) in [
        ("ProfilePatch", "display_name", identity_core::domain::NAME_PATTERN),
        ("ProfilePatch", "company", identity_core::domain::NAME_PATTERN),
        ("RenameDeviceRequest", "name", identity_core::domain::NAME_PATTERN),
        ("RegisterRequest", "name", identity_core::domain::OPTIONAL_NAME_PATTERN),
        ("LoginRequest", "username", identity_core::domain::SINGLE_LINE_PATTERN),
    ] {
        assert_eq!(schemas[schema]["properties"][field]["pattern"], pattern, "{schema}.{field}");
    }
    let password = &schemas["RegisterRequest"]["properties"]["password"];
    assert_eq!(password["pattern"], identity_core::domain::NO_NUL_PATTERN, "{password}");
    assert!(schemas["TimeZone"]["enum"].as_array().unwrap().iter().any(|z| z == "Europe/Berlin"));
    let cursor = doc["paths"]["/v1/sessions"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "cursor")
        .unwrap()
        .clone();
    assert!(cursor["schema"]["pattern"].as_str().unwrap().contains("[0-9A-Fa-f]{8}-"), "{cursor}");
    let oauth2 = &doc["components"]["securitySchemes"]["oauth2"];
    assert_eq!(oauth2["flows"]["password"]["tokenUrl"], TOKEN);
}

/// One request of a probe: what it sends.
struct Probe {
    name: &'static str,
    token: Option<String>,
    cookie: Option<String>,
    content_type: Option<&'static str>,
    body: Option<&'static str>,
    idempotency_key: Option<&'static str>,
    query: Option<&'static str>,
    bad_path: bool,
}

impl Probe {
    fn new(name: &'static str) -> Self {
        Self {
            name,
            token: None,
            cookie: None,
            content_type: None,
            body: None,
            idempotency_key: None,
            query: None,
            bad_path: false,
        }
    }
}

/// Sends bad requests to every operation, the way a fuzzer would, and checks every answer is
/// a documented status with a documented problem code (an RFC 6749 error for the token
/// endpoint). The requests are refused before any handler runs, so nothing changes.
#[tokio::test]
async fn the_server_answers_only_what_the_document_says() {
    let (app, admin) = spawn_app_with_admin(Backend::Memory).await;
    let (_, user) = app.signed_in_user().await;
    // The fourth caller: a service client holding every scope, with its token.
    let (_, service) = app.service_client_with_every_scope(&admin).await;
    let doc = document();
    let mut undocumented = Vec::new();
    let mut sent = 0;
    for (method, path, operation) in operations(&doc) {
        let secured = operation["security"].as_array().is_some_and(|s| !s.is_empty());
        let has_body = operation["requestBody"].is_object();
        let parameters = operation["parameters"].as_array().cloned().unwrap_or_default();
        let admin_route = path.starts_with("/v1/admin/");
        let service_route = path.starts_with("/v1/service/") || path.starts_with("/v1/tokens/");
        // Signed in where a token is needed, as an admin where the route is an admin's, as a
        // service client where it is a service's.
        let caller = || {
            secured.then(|| match (admin_route, service_route) {
                (true, _) => admin.clone(),
                (_, true) => service.clone(),
                _ => user.clone(),
            })
        };
        let mut probes = vec![Probe::new("anonymous")];
        if has_body {
            probes.push(Probe {
                content_type: Some("text/plain"),
                body: Some("x"),
                token: caller(),
                ..Probe::new("type")
            });
            let json = if path == TOKEN { "application/x-www-form-urlencoded" } else { "application/json" };
            probes.push(Probe { content_type: Some(json), body: Some("{"), token: caller(), ..Probe::new("syntax") });
            probes.push(Probe { content_type: Some(json), body: Some("[]"), token: caller(), ..Probe::new("shape") });
            probes.push(Probe { content_type: Some(json), body: Some("null"), token: caller(), ..Probe::new("null") });
        }
        if parameters.iter().any(|p| p["in"] == "query") {
            probes.push(Probe { query: Some("limit=0&cursor=nope"), token: caller(), ..Probe::new("query") });
        }
        if parameters.iter().any(|p| p["in"] == "path") {
            probes.push(Probe { bad_path: true, token: caller(), ..Probe::new("path") });
        }
        if parameters.iter().any(|p| p["name"] == "Idempotency-Key") {
            probes.push(Probe { idempotency_key: Some("has space"), token: caller(), ..Probe::new("key") });
        }
        if secured && ["POST", "PUT", "PATCH", "DELETE"].contains(&method.as_str()) {
            let token = if admin_route { admin.clone() } else { user.clone() };
            probes.push(Probe { cookie: Some(token), ..Probe::new("csrf") });
        }
        if admin_route {
            probes.push(Probe { token: Some(user.clone()), ..Probe::new("not an admin") });
        }
        for probe in probes {
            // Without a body an operation would run: only probes that are refused are sent.
            let refused_anyway = probe.body.is_some()
                || probe.query.is_some()
                || probe.bad_path
                || probe.idempotency_key.is_some()
                || probe.cookie.is_some()
                || probe.name == "not an admin"
                || (probe.name == "anonymous" && (secured || has_body));
            if !refused_anyway {
                continue;
            }
            let concrete = path
                .split('/')
                .map(|segment| match segment {
                    s if s.starts_with('{') && probe.bad_path => "not-an-id".to_owned(),
                    "{namespace}" => "ai".to_owned(),
                    "{app_key}" => "docs".to_owned(),
                    s if s.starts_with('{') => uuid::Uuid::now_v7().to_string(),
                    s => s.to_owned(),
                })
                .collect::<Vec<_>>()
                .join("/");
            let url = match probe.query {
                Some(query) => app.url(&format!("{concrete}?{query}")),
                None => app.url(&concrete),
            };
            let mut request = app.client.request(Method::from_bytes(method.as_bytes()).unwrap(), url);
            if let Some(token) = &probe.token {
                request = request.bearer_auth(token);
            }
            if let Some(token) = &probe.cookie {
                request = request.header("Cookie", format!("identity_access={token}"));
            }
            if let Some(content_type) = probe.content_type {
                request = request.header("Content-Type", content_type);
            }
            if let Some(body) = probe.body {
                request = request.body(body);
            }
            if let Some(key) = probe.idempotency_key {
                request = request.header("Idempotency-Key", key);
            }
            let res = request.send().await.unwrap();
            sent += 1;
            let status = res.status().as_u16();
            let content_type = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
            let body: Value = res.json().await.unwrap_or(Value::Null);
            let at = format!("{method} {path} ({}): {status} {body}", probe.name);
            if status < 400 {
                undocumented.push(format!("{at}: a refused request succeeded"));
                continue;
            }
            if !operation["responses"][status.to_string()].is_object() {
                undocumented.push(format!("{at}: status undocumented"));
                continue;
            }
            if path == TOKEN {
                let error = body["error"].as_str().unwrap_or_default();
                let codes = &doc["components"]["schemas"]["OAuthErrorCode"]["enum"];
                if !codes.as_array().unwrap().contains(&json!(error)) {
                    undocumented.push(format!("{at}: not an RFC 6749 error"));
                }
                continue;
            }
            if content_type.as_deref() != Some("application/problem+json") {
                undocumented.push(format!("{at}: not a problem document"));
            }
            let code = body["code"].as_str().unwrap_or_default();
            if !documented_codes(&operation, status).contains(code) {
                undocumented.push(format!("{at}: code undocumented"));
            }
        }
    }
    assert!(undocumented.is_empty(), "answers the document does not describe: {undocumented:#?}");
    assert!(sent > 150, "only {sent} probes");
    // The probes changed nothing: both callers are still signed in.
    assert_eq!(app.me_with_bearer(&admin).await.status(), 200);
    assert_eq!(app.me_with_bearer(&user).await.status(), 200);
}

/// `/v1/auth/token` answers RFC 6749 §5.2 errors whatever is wrong with the request, never a
/// problem document: OAuth2 client libraries parse `error`.
#[tokio::test]
async fn the_token_endpoint_answers_rfc6749_errors_in_every_case() {
    let (app, _) = spawn_app_with_admin(Backend::Memory).await;
    let form = "application/x-www-form-urlencoded";
    let big = format!("grant_type=password&username=a&password={}", "x".repeat(70 * 1024));
    let cases: Vec<(Option<&str>, String, &str)> = vec![
        (Some(form), "grant_type=client_credentials".into(), "invalid_client"),
        (Some(form), "grant_type=client_credentials&client_id=x&client_secret=y".into(), "invalid_client"),
        (Some(form), "grant_type=implicit".into(), "unsupported_grant_type"),
        (Some(form), "username=ada&password=secret".into(), "invalid_request"),
        (Some(form), "grant_type=".into(), "invalid_request"),
        (Some(form), "grant_type=password&grant_type=refresh_token".into(), "invalid_request"),
        (Some(form), "grant_type=password&username=ada".into(), "invalid_request"),
        (Some(form), "grant_type=refresh_token".into(), "invalid_request"),
        (Some(form), big, "invalid_request"),
        (Some(form), String::new(), "invalid_request"),
        (Some("application/json"), r#"{"grant_type":"password"}"#.into(), "invalid_request"),
        (Some("text/plain"), "grant_type=password".into(), "invalid_request"),
        (None, "grant_type=password".into(), "invalid_request"),
        (Some(form), "grant_type=password&username=nobody%40example.com&password=wrong".into(), "invalid_grant"),
        (Some(form), "grant_type=refresh_token&refresh_token=nope".into(), "invalid_grant"),
    ];
    for (content_type, body, error) in cases {
        let mut request = app.client.post(app.url(TOKEN)).body(body.clone());
        if let Some(content_type) = content_type {
            request = request.header("Content-Type", content_type);
        }
        let res = request.send().await.unwrap();
        let shown = &body[..body.len().min(60)];
        // A client that did not authenticate is 401 (RFC 6749 §5.2), everything else 400.
        let status = if error == "invalid_client" { 401 } else { 400 };
        assert_eq!(res.status(), status, "{content_type:?} {shown}");
        assert_eq!(res.headers()["cache-control"], "no-store");
        assert_eq!(res.headers()["content-type"], "application/json");
        let answer: Value = res.json().await.unwrap();
        assert_eq!(answer["error"], error, "{content_type:?} {shown}: {answer}");
        assert!(answer["error_description"].as_str().is_some_and(|d| !d.is_empty()), "{answer}");
    }
}

/// A nested object given as an array (which serde would take for a struct) is refused like
/// any value of the wrong type: the document says object.
#[tokio::test]
async fn nested_objects_must_be_objects() {
    let (app, _) = spawn_app_with_admin(Backend::Memory).await;
    let (email, _) = app.signed_in().await;
    let body = json!({ "email": email, "password": crate::helpers::PASSWORD, "device": [null, "laptop"] });
    let problem =
        crate::helpers::assert_problem(app.post_json("/v1/auth/login", &body).await, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "device", "{problem}");
    let body = json!({ "email": email, "password": crate::helpers::PASSWORD, "device": { "name": "laptop" } });
    assert_eq!(app.post_json("/v1/auth/login", &body).await.status(), 200);
}
