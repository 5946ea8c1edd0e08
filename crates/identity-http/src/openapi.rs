//! The OpenAPI document: generated from the handlers' annotations (routes are collected by
//! `utoipa-actix-web` from the same `configure` the server uses), checked in as
//! `docs/openapi.json` and compared by a test.

use actix_web::App;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes, SecurityScheme,
};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::error::{Problem, ProblemCode, ProblemField};

struct SecuritySchemes;

/// The security schemes of service routes (service clients, with scopes).
pub const SERVICE_BASIC: &str = "service_basic";
pub const SERVICE_TOKEN: &str = "service_token";

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
            SERVICE_BASIC,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some(
                        "A service client (`/v1/admin/service-clients`): its id as user name, its secret as \
                         password. Service routes only; the scopes each one needs are listed with it.",
                    ))
                    .build(),
            ),
        );
        let scopes = identity_core::domain::Scope::known()
            .into_iter()
            .map(|scope| {
                let what = match scope.as_str() {
                    identity_core::domain::Scope::INTROSPECT => "introspect tokens".to_owned(),
                    identity_core::domain::Scope::USERS_READ => "read users".to_owned(),
                    other => format!(
                        "read the settings namespace {:?}, secrets in clear",
                        other.rsplit(':').next().unwrap_or_default()
                    ),
                };
                (scope, what)
            })
            .chain([(
                "settings:read:{namespace}".to_owned(),
                "what a route reading a settings namespace needs: `settings:read:` and the namespace of its path"
                    .to_owned(),
            )])
            .collect::<Vec<_>>();
        components.add_security_scheme(
            SERVICE_TOKEN,
            SecurityScheme::OAuth2(OAuth2::with_description(
                [Flow::ClientCredentials(ClientCredentials::new("/v1/auth/token", Scopes::from_iter(scopes)))],
                "A service client's token from `POST /v1/auth/token` with `grant_type=client_credentials` \
                 (short-lived, as `Authorization: Bearer <token>`). Service routes only.",
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
    )),
    tags(
        (name = "auth", description = "Registration, login and the current user"),
        (name = "tokens", description = "Keys for services that verify access tokens"),
        (name = "passwords", description = "Forgotten, reset and changed passwords"),
        (name = "sessions", description = "The caller's sessions and devices"),
        (name = "realtime", description = "The WebSocket gateway: pushes of the caller's user, instance and session changes (docs/realtime.md)"),
        (name = "mfa", description = "The caller's second factors: an authenticator app (TOTP) and recovery codes"),
        (name = "users", description = "The caller's account and profile"),
        (name = "audit", description = "Security events"),
        (name = "admin", description = "User administration: accounts, their sessions, groups and app grants (the `admin` role)"),
        (name = "groups", description = "Groups, their members and their app grants (the `admin` role)"),
        (name = "agents", description = "The agents catalog: signed-in users read the enabled agents; admins keep it"),
        (name = "instances", description = "Each user's agent instances (versioned: `ETag`/`If-Match`); admins read anyone's"),
        (name = "jobs", description = "Durable background jobs (mail, provisioning, retention): listings, retry, cancel (the `admin` role)"),
        (name = "settings", description = "Namespaced admin settings with encrypted secrets (the `admin` role)"),
        (name = "service-clients", description = "Other services' credentials: scopes, secrets shown once, rotation, revocation (the `admin` role)"),
        (name = "service", description = "For other services, with a service client's credentials: token introspection (RFC 7662), user and settings reads"),
        (name = "operations", description = "Health and readiness"),
    )
)]
struct ApiDoc;

/// The handlers' annotations as `routes::configure` registers them, over `base`, as JSON.
fn annotations(base: utoipa::openapi::OpenApi) -> serde_json::Value {
    let (_, api) = App::new().into_utoipa_app().openapi(base).configure(crate::routes::configure).split_for_parts();
    serde_json::to_value(&api).unwrap_or_default()
}

/// The complete document, as served at `/openapi.json`: the handlers' annotations, then what
/// they cannot say (each settings namespace's own operations, "an email or a username"), then
/// [`crate::openapi_rules::apply`] adds what the shared extractors and middleware answer. JSON,
/// not utoipa's types, which have no place for some of it (`if`/`else` beside `properties`).
pub fn openapi() -> serde_json::Value {
    let mut doc = annotations(ApiDoc::openapi());
    crate::routes::settings::document_namespaces(&mut doc);
    crate::routes::auth::login_names_an_account(&mut doc);
    crate::routes::second_factor::second_factor_answers(&mut doc);
    crate::openapi_rules::apply(&mut doc);
    doc
}

/// The document as `docs/openapi.json` holds it: pretty JSON with a final newline.
pub fn openapi_json() -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(&openapi())? + "\n")
}

/// One route the server serves: its template split on `/` (`{id}` segments match any
/// non-empty segment) and its methods, upper case.
pub struct ServedRoute {
    pub template: String,
    pub segments: Vec<String>,
    pub methods: Vec<String>,
    /// What each method's operation needs of its caller, as its security requirement
    /// declares it (`("bearer" = [])`: a signed-in caller; `("bearer" = ["admin"])`: an
    /// admin). Methods without a security requirement are public and absent here.
    pub needs: Vec<(String, identity_core::usecases::Need)>,
}

impl ServedRoute {
    /// Whether `path` (split on `/`) reaches this route's template.
    pub fn matches(&self, parts: &[&str]) -> bool {
        self.segments.len() == parts.len()
            && self.segments.iter().zip(parts).all(|(t, p)| t == p || (t.starts_with('{') && !p.is_empty()))
    }
}

/// Every route the server serves, from the handlers' annotations as `routes::configure`
/// registers them: the templates the router matches (`/v1/admin/settings/{namespace}`),
/// where the document lists each namespace's path of its own.
pub fn served_routes() -> &'static [ServedRoute] {
    static ROUTES: std::sync::OnceLock<Vec<ServedRoute>> = std::sync::OnceLock::new();
    const METHODS: [&str; 7] = ["get", "put", "post", "delete", "options", "head", "patch"];
    ROUTES.get_or_init(|| {
        let doc = annotations(utoipa::openapi::OpenApi::default());
        let Some(paths) = doc["paths"].as_object() else { return Vec::new() };
        paths
            .iter()
            .map(|(template, item)| {
                let operations: Vec<(&String, &serde_json::Value)> =
                    item.as_object().into_iter().flatten().filter(|(k, _)| METHODS.contains(&k.as_str())).collect();
                ServedRoute {
                    template: template.clone(),
                    segments: template.split('/').map(str::to_owned).collect(),
                    methods: operations.iter().map(|(method, _)| method.to_uppercase()).collect(),
                    needs: operations
                        .iter()
                        .filter_map(|(method, operation)| Some((method.to_uppercase(), declared_need(operation)?)))
                        .collect(),
                }
            })
            .collect()
    })
}

/// The roles each alternative of a security requirement states, but those of OAuth2 and
/// service schemes: for an OAuth2 scheme the list holds scopes (none for `oauth2`: the token of
/// the password grant carries roles, not scopes), for a service scheme the scope it needs
/// ([`declared_scope`]); for the others (`bearer`, `cookie`) the roles a caller must hold
/// (OpenAPI 3.1).
fn stated_roles(requirements: &[serde_json::Value]) -> Vec<Vec<&str>> {
    requirements
        .iter()
        .filter_map(|r| r.as_object())
        .flat_map(|r| r.iter())
        .filter(|(scheme, _)| !matches!(scheme.as_str(), "oauth2" | SERVICE_BASIC | SERVICE_TOKEN))
        .map(|(_, roles)| roles.as_array().into_iter().flatten().filter_map(|r| r.as_str()).collect())
        .collect()
}

/// The scope a service route states in its service schemes, as one of the scopes a route may
/// declare ([`Scope::DECLARABLE`](identity_core::domain::Scope::DECLARABLE)); a scope that is
/// not one of them is `"undeclarable"`, which no client holds. `None`: not a service route.
fn declared_scope(requirements: &[serde_json::Value]) -> Option<&'static str> {
    let stated = requirements
        .iter()
        .filter_map(|r| r.as_object())
        .flat_map(|r| r.iter())
        .find(|(scheme, _)| matches!(scheme.as_str(), SERVICE_BASIC | SERVICE_TOKEN))?
        .1
        .as_array()
        .and_then(|scopes| scopes.first())
        .and_then(|scope| scope.as_str())
        .unwrap_or_default();
    Some(
        identity_core::domain::Scope::DECLARABLE
            .iter()
            .find(|known| **known == stated)
            .copied()
            .unwrap_or("undeclarable"),
    )
}

/// What an operation's security requirement declares it needs (`None`: public). Every
/// alternative states the same roles, and a role core does not know is declared by no route
/// (both checked by `tests::every_security_requirement_states_a_need`); were one to slip
/// through, the route needs an admin, never nothing. A service route needs its scope.
fn declared_need(operation: &serde_json::Value) -> Option<identity_core::usecases::Need> {
    use identity_core::usecases::Need;
    let requirements = operation["security"].as_array().filter(|r| !r.is_empty())?;
    if let Some(scope) = declared_scope(requirements) {
        return Some(Need::Scope(scope));
    }
    let roles = stated_roles(requirements).into_iter().next().unwrap_or_default();
    Some(Need::from_roles(&roles).unwrap_or(Need::ADMIN))
}

/// Every operation as `METHOD /path operation_id`, one a line, in document order: the list
/// `docs/operations.txt` holds, so that a renamed operation (a renamed method in every
/// generated client) is a visible, deliberate change.
pub fn operation_list() -> String {
    let doc = openapi();
    let mut lines = String::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            let id = operation["operationId"].as_str().unwrap_or("-");
            lines.push_str(&format!("{} {path} {id}\n", method.to_uppercase()));
        }
    }
    lines
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use identity_core::usecases::Need;

    use super::*;

    /// Every secured operation of the document states one need, the same in each of its
    /// alternatives, with roles core knows; every admin operation (the tag `admin` and
    /// everything under `/v1/admin/`) needs an admin, and nothing else does.
    #[test]
    fn every_security_requirement_states_a_need() {
        let doc = openapi();
        let mut admin_operations = 0;
        let mut service_operations = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let Some(requirements) = operation["security"].as_array().filter(|r| !r.is_empty()) else {
                    continue;
                };
                if let Some(scope) = declared_scope(requirements) {
                    // A service route: only service schemes, each stating the one scope.
                    assert_ne!(scope, "undeclarable", "{method} {path}");
                    for requirement in requirements {
                        for (scheme, scopes) in requirement.as_object().unwrap() {
                            assert!([SERVICE_BASIC, SERVICE_TOKEN].contains(&scheme.as_str()), "{method} {path}");
                            assert_eq!(scopes, &serde_json::json!([scope]), "{method} {path}");
                        }
                    }
                    assert!(!path.starts_with("/v1/admin/"), "{method} {path}");
                    service_operations += 1;
                    continue;
                }
                let mut stated = stated_roles(requirements);
                stated.dedup();
                assert_eq!(stated.len(), 1, "{method} {path}: its alternatives state different roles: {stated:?}");
                let need = Need::from_roles(&stated[0]);
                assert!(need.is_some(), "{method} {path}: roles {:?} name no role core knows", stated[0]);
                let admin = path.starts_with("/v1/admin/");
                assert_eq!(need == Some(Need::ADMIN), admin, "{method} {path} needs {need:?}");
                admin_operations += usize::from(admin);
            }
        }
        assert!(admin_operations > 20, "{admin_operations}");
        assert_eq!(service_operations, 3);
        // What the gate reads is what the document states.
        let routes = served_routes();
        let users = routes.iter().find(|r| r.template == "/v1/admin/users").unwrap();
        assert_eq!(users.needs, vec![("GET".to_owned(), Need::ADMIN), ("POST".to_owned(), Need::ADMIN)]);
        let me = routes.iter().find(|r| r.template == "/v1/users/me").unwrap();
        assert!(me.needs.iter().all(|(_, need)| *need == Need::Caller) && !me.needs.is_empty());
    }
}
