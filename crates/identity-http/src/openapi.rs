//! The OpenAPI document: generated from the handlers' annotations (routes are collected by
//! `utoipa-actix-web` from the same `configure` the server uses), checked in as
//! `docs/openapi.json` and compared by a test.

use actix_web::App;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::error::{Problem, ProblemField};

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
    components(schemas(Problem, ProblemField)),
    tags(
        (name = "auth", description = "Registration, login and the current user"),
        (name = "tokens", description = "Keys for services that verify access tokens"),
        (name = "passwords", description = "Forgotten, reset and changed passwords"),
        (name = "sessions", description = "The caller's sessions and devices"),
        (name = "users", description = "The caller's account and profile"),
        (name = "audit", description = "Security events"),
        (name = "admin", description = "Administration (the `admin` role)"),
        (name = "groups", description = "Groups, memberships and app grants (the `admin` role)"),
        (name = "settings", description = "Namespaced admin settings with encrypted secrets (the `admin` role)"),
        (name = "operations", description = "Health and readiness"),
    )
)]
struct ApiDoc;

/// The complete document, as served at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, api) =
        App::new().into_utoipa_app().openapi(ApiDoc::openapi()).configure(crate::routes::configure).split_for_parts();
    api
}

/// The document as `docs/openapi.json` holds it: pretty JSON with a final newline.
pub fn openapi_json() -> anyhow::Result<String> {
    Ok(openapi().to_pretty_json()? + "\n")
}
