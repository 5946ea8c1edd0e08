//! The OpenAPI document: generated from the handlers' annotations (routes are collected by
//! `utoipa-actix-web` from the same `configure` the server uses), checked in as
//! `docs/openapi.json` and compared by a test.

use actix_web::App;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes, SecurityScheme,
};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::error::{Problem, ProblemCode, ProblemField};

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("PASETO v4.public")
                    .description(Some(
                        "The access token from `POST /v1/auth/login`, as `Authorization: Bearer <token>`.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "oauth2",
            SecurityScheme::OAuth2(OAuth2::with_description(
                [Flow::Password(Password::new("/v1/auth/token", Scopes::new()))],
                "The OAuth2 password grant of `POST /v1/auth/token` (Swagger UI's *Authorize*): the token it \
                 returns is sent as `Authorization: Bearer <token>`, so every operation that takes `bearer` \
                 takes this too.",
            )),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "identity_access",
                "The `HttpOnly` access-token cookie set at login (name: `AUTH_COOKIE_NAME`).",
            ))),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "identity",
        description = "Identity and user-account service: registration, login, sessions and tokens.\n\nErrors are RFC 9457 `application/problem+json` documents with a stable `code`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    modifiers(&SecuritySchemes),
    components(schemas(
        Problem,
        ProblemField,
        ProblemCode,
        crate::routes::settings::SettingsNamespace,
        crate::routes::settings::AiSettingsDocument,
        crate::routes::settings::DocumentsSettingsDocument,
        crate::routes::settings::AiSettingsPatch,
        crate::routes::settings::DocumentsSettingsPatch,
    )),
    tags(
        (name = "auth", description = "Registration, login and the current user"),
        (name = "tokens", description = "Keys for services that verify access tokens"),
        (name = "passwords", description = "Forgotten, reset and changed passwords"),
        (name = "sessions", description = "The caller's sessions and devices"),
        (name = "users", description = "The caller's account and profile"),
        (name = "audit", description = "Security events"),
        (name = "admin", description = "User administration: accounts, their sessions, groups and app grants (the `admin` role)"),
        (name = "groups", description = "Groups, their members and their app grants (the `admin` role)"),
        (name = "settings", description = "Namespaced admin settings with encrypted secrets (the `admin` role)"),
        (name = "operations", description = "Health and readiness"),
    )
)]
struct ApiDoc;

/// The complete document, as served at `/openapi.json`: the handlers' annotations, then
/// [`crate::openapi_rules::apply`] adds what the shared extractors and middleware answer.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, api) =
        App::new().into_utoipa_app().openapi(ApiDoc::openapi()).configure(crate::routes::configure).split_for_parts();
    let Ok(mut doc) = serde_json::to_value(&api) else { return api };
    crate::openapi_rules::apply(&mut doc);
    // A test compares the served document with this one: a lossy round trip would show.
    serde_json::from_value(doc).unwrap_or(api)
}

/// The document as `docs/openapi.json` holds it: pretty JSON with a final newline.
pub fn openapi_json() -> anyhow::Result<String> {
    Ok(openapi().to_pretty_json()? + "\n")
}

/// Every operation as `METHOD /path operation_id`, one a line, in document order: the list
/// `docs/operations.txt` holds, so that a renamed operation (a renamed method in every
/// generated client) is a visible, deliberate change.
pub fn operation_list() -> String {
    let doc = serde_json::to_value(openapi()).unwrap_or_default();
    let mut lines = String::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            let id = operation["operationId"].as_str().unwrap_or("-");
            lines.push_str(&format!("{} {path} {id}\n", method.to_uppercase()));
        }
    }
    lines
}
