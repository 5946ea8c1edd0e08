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
    assert!(res.text().await.unwrap().contains("swagger-ui"));
    // Served from the binary: the bundle is there without any network.
    let res = app.client.get(app.url("/docs/swagger-ui-bundle.js")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}
