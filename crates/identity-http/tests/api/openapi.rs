#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;

use crate::helpers::{Backend, spawn_app};

/// `docs/openapi.json` is what the code generates; regenerate with `cargo xtask openapi`.
#[test]
fn checked_in_document_is_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
    let generated = identity_http::openapi::openapi_json().unwrap();
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(committed == generated, "docs/openapi.json is stale: run `cargo xtask openapi` and commit the result");
}

#[test]
fn document_describes_routes_errors_and_security() {
    let doc: Value = serde_json::from_str(&identity_http::openapi::openapi_json().unwrap()).unwrap();
    for path in ["/health", "/ready", "/.well-known/paserk", "/v1/auth/register", "/v1/auth/login", "/v1/auth/me"] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["cookie"]["in"], "cookie");
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    let register = &doc["paths"]["/v1/auth/register"]["post"]["responses"];
    for status in ["201", "400", "409", "413", "415", "422"] {
        assert!(register[status].is_object(), "register {status} undocumented");
    }
    assert!(register["422"]["content"]["application/problem+json"].is_object());
    assert!(doc["paths"]["/v1/auth/me"]["get"]["security"].is_array());
}

#[tokio::test]
async fn served_document_and_swagger_ui() {
    let app = spawn_app(Backend::Memory).await;
    let served = app.get_json("/openapi.json").await;
    let generated: Value = serde_json::from_str(&identity_http::openapi::openapi_json().unwrap()).unwrap();
    assert_eq!(served, generated);

    let res = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(res.status(), 308);
    assert_eq!(res.headers()["location"], "/docs/");
    let res = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(gunzipped(res).await.contains("swagger-ui"));
    // Served from the binary: the bundle is there without any network.
    let res = app.client.get(app.url("/docs/swagger-ui-bundle.js")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(gunzipped(res).await.contains("SwaggerUIBundle"));
}

/// The body of a Swagger UI asset: kept gzipped in the binary and served as it is, with
/// `Content-Encoding: gzip`, which browsers undo.
async fn gunzipped(res: reqwest::Response) -> String {
    use std::io::Read;
    assert_eq!(res.headers()["content-encoding"], "gzip");
    let bytes = res.bytes().await.unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut text).unwrap();
    text
}

/// What generated clients rely on, for every operation: a unique operation id and a tag;
/// admin routes secured and documenting 403; every error answer a problem document; every
/// schema reference resolvable.
#[test]
fn every_operation_is_complete_for_generated_clients() {
    let doc: Value = serde_json::from_str(&identity_http::openapi::openapi_json().unwrap()).unwrap();
    let mut ids = std::collections::BTreeSet::new();
    let mut problems = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let at = format!("{} {path}", method.to_uppercase());
            match op["operationId"].as_str() {
                Some(id) if ids.insert(id.to_owned()) => {}
                other => problems.push(format!("{at}: operationId {other:?} missing or repeated")),
            }
            if op["tags"].as_array().is_none_or(Vec::is_empty) {
                problems.push(format!("{at}: no tag"));
            }
            if path.starts_with("/v1/admin") {
                if op["security"].as_array().is_none_or(Vec::is_empty) {
                    problems.push(format!("{at}: admin route without security"));
                }
                if !op["responses"]["403"].is_object() {
                    problems.push(format!("{at}: admin route without a documented 403"));
                }
            }
            for (status, response) in op["responses"].as_object().unwrap() {
                // OpenAPI 3.1 requires it; validators and generators refuse responses without.
                if response["description"].as_str().is_none_or(str::is_empty) {
                    problems.push(format!("{at}: {status} has no description"));
                }
                // Two documented exceptions: readiness reports its checks, and the OAuth2 token
                // endpoint answers in RFC 6749's error format that OAuth2 clients parse.
                let exempt = path == "/v1/auth/token" || (path == "/ready" && status == "503");
                let error = status.parse::<u16>().is_ok_and(|s| s >= 400) && !exempt;
                if error && !response["content"]["application/problem+json"].is_object() {
                    problems.push(format!("{at}: {status} is not a problem document"));
                }
            }
        }
    }
    fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    out.push(r);
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    for r in all {
        // `#/components/schemas/X`, `#/components/examples/X`, …
        if !doc.pointer(r.trim_start_matches('#')).is_some_and(Value::is_object) {
            problems.push(format!("dangling reference {r}"));
        }
    }
    assert!(ids.len() > 50, "only {} operations", ids.len());
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Every documented operation is served at the documented path: a client generated from the
/// document never calls a route that does not exist (without credentials or a body, a real
/// route answers 2xx, 400, 401, 413, 415 or 422 — never 404 or 405).
#[tokio::test]
async fn every_documented_path_is_served() {
    let app = spawn_app(Backend::Memory).await;
    let doc: Value = serde_json::from_str(&identity_http::openapi::openapi_json().unwrap()).unwrap();
    let mut missing = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let concrete = path
            .split('/')
            .map(|segment| match segment {
                "{namespace}" => "ai".to_owned(),
                "{app_key}" => "docs".to_owned(),
                s if s.starts_with('{') => uuid::Uuid::now_v7().to_string(),
                s => s.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("/");
        for method in item.as_object().unwrap().keys() {
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let status = app.client.request(method.clone(), app.url(&concrete)).send().await.unwrap().status();
            if status == 404 || status == 405 {
                missing.push(format!("{method} {path} → {status}"));
            }
        }
    }
    assert!(missing.is_empty(), "documented but not served: {missing:#?}");
}

/// The documented settings schemas follow the namespaces core validates against: each
/// namespace its own paths, operations and schemas, with exactly its fields.
#[test]
fn settings_schemas_follow_the_namespaces() {
    let doc: Value = serde_json::from_str(&identity_http::openapi::openapi_json().unwrap()).unwrap();
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["AiProvider"]["enum"], serde_json::json!(identity_core::settings::AI_PROVIDERS));
    assert!(doc["paths"]["/v1/admin/settings/{namespace}"].is_null(), "one path per namespace");
    for (prefix, namespace) in [("Ai", identity_core::settings::AI), ("Documents", identity_core::settings::DOCUMENTS)]
    {
        let name = namespace.name;
        let path = &doc["paths"][format!("/v1/admin/settings/{name}")];
        assert_eq!(path["get"]["operationId"], format!("admin_get_{name}_settings"));
        assert_eq!(path["patch"]["operationId"], format!("admin_update_{name}_settings"));
        let patch = &path["patch"]["requestBody"]["content"]["application/merge-patch+json"]["schema"]["$ref"];
        assert_eq!(*patch, format!("#/components/schemas/{prefix}SettingsPatch"));
        let answer = &path["patch"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"];
        assert_eq!(*answer, format!("#/components/schemas/{prefix}SettingsDocument"));
        let test = &doc["paths"][format!("/v1/admin/settings/{name}/test")]["post"];
        assert_eq!(test["operationId"], format!("admin_test_{name}_settings"));
        assert_eq!(test["requestBody"]["required"], false);
        let mut fields: Vec<&str> = namespace.fields.iter().map(|f| f.name).collect();
        fields.sort_unstable();
        for schema in [format!("{prefix}Settings"), format!("{prefix}SettingsPatch")] {
            let mut documented: Vec<&str> =
                schemas[&schema]["properties"].as_object().unwrap().keys().map(String::as_str).collect();
            documented.sort_unstable();
            assert_eq!(documented, fields, "{schema}");
            assert_eq!(schemas[&schema]["additionalProperties"], false, "{schema}");
        }
        assert_eq!(
            schemas[format!("{prefix}SettingsDocument")]["properties"]["namespace"]["enum"],
            serde_json::json!([name])
        );
    }
}

/// Every path the OpenAPI document lists and every route template the router matches (the
/// document lists `/v1/admin/settings/ai` where the router has `…/{namespace}`), plus what the
/// server serves undocumented (the metrics, the document itself, Swagger UI and the pages
/// mailed links open): the route labels a metric may carry.
pub fn documented_paths() -> std::collections::BTreeSet<String> {
    let doc = identity_http::openapi::openapi();
    let mut paths: std::collections::BTreeSet<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    paths.extend(identity_http::openapi::served_routes().iter().map(|route| route.template.clone()));
    paths.extend(["/metrics", "/openapi.json", "/docs", "/docs/{_:.*}"].map(str::to_owned));
    paths.extend(identity_http::pages::ROUTES.map(str::to_owned));
    paths
}

/// `docs/operations.txt` lists every operation (`METHOD /path operation_id`): an operation id
/// is a method name in every generated client, so adding, removing or renaming one must show
/// in the diff of that file. `BLESS=1` rewrites it.
#[test]
fn operation_ids_match_the_checked_in_list() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/operations.txt");
    let generated = identity_http::openapi::operation_list();
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let old: std::collections::BTreeSet<&str> = committed.lines().collect();
    let new: std::collections::BTreeSet<&str> = generated.lines().collect();
    let mut diff: Vec<String> = old.difference(&new).map(|l| format!("- {l}")).collect();
    diff.extend(new.difference(&old).map(|l| format!("+ {l}")));
    assert!(
        diff.is_empty() && committed == generated,
        "docs/operations.txt differs from the document (run with BLESS=1 to accept):\n{}",
        diff.join("\n")
    );
    // Every operation is named explicitly (`operation_id = "…"` in `#[utoipa::path]`): a
    // default id is the Rust function's name and would change with a refactoring.
    let sources = concat!(env!("CARGO_MANIFEST_DIR"), "/src/routes");
    for entry in std::fs::read_dir(sources).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for block in text.split("#[utoipa::path(").skip(1) {
            let head = block.split(")]\n").next().unwrap();
            // (Or, in a `macro_rules!` that writes several operations, from its invocations'
            // string literals: `verify_with!(verify_post, post, "verify_forwarded_post")`.)
            assert!(
                head.contains("operation_id = \"") || head.contains("operation_id = $operation"),
                "an operation without operation_id:\n{head}"
            );
        }
    }
    // Admin operations say so in their name.
    for line in generated.lines() {
        let parts: Vec<&str> = line.split(' ').collect();
        assert_eq!(parts[1].starts_with("/v1/admin/"), parts[2].starts_with("admin_"), "{line}");
    }
}
