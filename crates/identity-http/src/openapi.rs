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
    components(schemas(Problem, ProblemField, crate::routes::settings::SettingsNamespace)),
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
    let (_, mut api) =
        App::new().into_utoipa_app().openapi(ApiDoc::openapi()).configure(crate::routes::configure).split_for_parts();
    describe_responses(&mut api);
    api
}

/// OpenAPI 3.1 requires a description on every response: the ones a route left without get
/// their status's reason phrase (`OK`, `Created`, …).
fn describe_responses(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    for item in api.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ];
        for operation in operations.into_iter().flatten() {
            for (status, response) in &mut operation.responses.responses {
                if let RefOr::T(response) = response
                    && response.description.is_empty()
                {
                    let reason = status
                        .parse::<u16>()
                        .ok()
                        .and_then(|s| actix_web::http::StatusCode::from_u16(s).ok())
                        .and_then(|s| s.canonical_reason());
                    response.description = reason.unwrap_or("Response").to_owned();
                }
            }
        }
    }
}

/// The document as `docs/openapi.json` holds it: pretty JSON with a final newline.
pub fn openapi_json() -> anyhow::Result<String> {
    Ok(openapi().to_pretty_json()? + "\n")
}
