//! The gate of the routes that need a caller: a request for a documented operation with a
//! security requirement is authenticated (`CurrentUser`: 401 `unauthenticated`, then 403
//! `csrf_rejected` for a cookie without an allowed origin) and authorized against the need the
//! operation declares (core's `decide`, through `AuthorizationService::authorize_route`, which
//! audits refusals: 403 `forbidden`) before anything else looks at it. The handler's
//! extractors (JSON body, query, path) run only for a caller who passed, so the order is the
//! same on every route: 401, then 403, then the input's 400/404/413/415/422; a caller without a
//! live session never learns the schema from a 422. A handler's extractors are polled together
//! (the first to fail answers), so putting the caller first among its arguments is not enough:
//! a session looked up in PostgreSQL or Redis is still pending when a malformed query has
//! already failed.
//!
//! What each operation needs comes from its handler's annotation (`security(("bearer" = []))`
//! for any caller, `security(("bearer" = ["admin"]))` for an admin, `("service_basic" =
//! ["users:read"])` for a service client holding a scope), the same one the OpenAPI document
//! shows: no URL is matched against a prefix. A service route authenticates a service client
//! (`CurrentService`: HTTP Basic or a `client_credentials` token), and its scope's `{name}`
//! segments take the path's values. Paths and methods that reach no handler
//! are left alone: they stay 404 and 405.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use identity_core::usecases::{Caller, Need};

use crate::error::refuse;
use crate::extract::{CurrentService, CurrentUser};
use crate::state::AppState;

/// The template of the operation `method path` reaches and what it needs, if it reaches one
/// that needs a caller.
pub fn secured_route(method: &str, path: &str) -> Option<(&'static str, Need)> {
    let parts: Vec<&str> = path.split('/').collect();
    let route = crate::openapi::served_routes()
        .iter()
        .find(|route| route.methods.iter().any(|m| m == method) && route.matches(&parts))?;
    let need = route.needs.iter().find(|(m, _)| m == method).map(|(_, need)| *need)?;
    Some((route.template.as_str(), need))
}

pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // The path as the router sees it (percent-encoded letters decoded).
    let path = req.match_info().as_str().to_owned();
    let route = secured_route(req.method().as_str(), &path);
    let (Some((template, need)), Some(state)) = (route, req.app_data::<web::Data<AppState>>().cloned()) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let method = req.method().as_str().to_owned();
    let decision = match need {
        // A service route: a service client, holding the scope with the path's values filled in.
        Need::Scope(scope) => {
            let caller = match req.extract::<CurrentService>().await {
                Ok(CurrentService(service)) => Caller::from(service),
                Err(error) => return Ok(refuse(req, error)),
            };
            let scope = fill_in(scope, template, &path);
            (state.services.authz.authorize_scope(&caller, &scope, &method, template).await, caller)
        }
        need => {
            let caller = match req.extract::<CurrentUser>().await {
                Ok(CurrentUser(auth)) => Caller::from(auth),
                Err(error) => return Ok(refuse(req, error)),
            };
            (state.services.authz.authorize_route(&caller, need, &method, template).await, caller)
        }
    };
    let caller = match decision {
        (Ok(()), caller) => caller,
        (Err(error), _) => return Ok(refuse(req, error.into())),
    };
    // The handler's `CurrentUser` or `CurrentService` takes it from here instead of
    // authenticating again.
    req.extensions_mut().insert(caller);
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// A declared scope with the path's values in place of its `{name}` segments' names:
/// `settings:read:{namespace}` for `/v1/service/settings/ai` (template
/// `/v1/service/settings/{namespace}`) is `settings:read:ai`.
fn fill_in(scope: &str, template: &str, path: &str) -> String {
    let mut filled = scope.to_owned();
    for (segment, value) in template.split('/').zip(path.split('/')) {
        if segment.starts_with('{') && filled.contains(segment) {
            filled = filled.replace(segment, value);
        }
    }
    filled
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_take_the_values_of_the_path() {
        let template = "/v1/service/settings/{namespace}";
        assert_eq!(fill_in("settings:read:{namespace}", template, "/v1/service/settings/ai"), "settings:read:ai");
        assert_eq!(fill_in("users:read", "/v1/service/users/{id}", "/v1/service/users/x"), "users:read");
    }

    #[test]
    fn finds_what_each_operation_needs() {
        let id = "0190b8a0-0000-7000-8000-000000000000";
        let admin = |method: &str, path: &str| secured_route(method, path).filter(|(_, need)| *need == Need::ADMIN);
        assert_eq!(admin("GET", "/v1/admin/users"), Some(("/v1/admin/users", Need::ADMIN)));
        assert_eq!(admin("POST", "/v1/admin/users"), Some(("/v1/admin/users", Need::ADMIN)));
        assert_eq!(admin("PATCH", &format!("/v1/admin/users/{id}")), Some(("/v1/admin/users/{id}", Need::ADMIN)));
        assert_eq!(admin("PATCH", "/v1/admin/settings/ai"), Some(("/v1/admin/settings/{namespace}", Need::ADMIN)));
        for (method, path, template) in [
            ("GET", "/v1/users/me".to_owned(), "/v1/users/me"),
            ("GET", "/v1/sessions".to_owned(), "/v1/sessions"),
            ("PATCH", format!("/v1/devices/{id}"), "/v1/devices/{id}"),
            ("POST", "/v1/auth/password/change".to_owned(), "/v1/auth/password/change"),
        ] {
            assert_eq!(secured_route(method, &path), Some((template, Need::Caller)), "{method} {path}");
        }
        // Public operations, and what reaches no handler, are left alone.
        for (method, path) in [
            ("POST", "/v1/auth/login".to_owned()),
            ("POST", "/v1/auth/refresh".to_owned()),
            ("POST", "/v1/auth/register".to_owned()),
            ("GET", "/health".to_owned()),
            ("PUT", "/v1/users/me".to_owned()),
            ("GET", "/v1/nothing".to_owned()),
            ("PUT", format!("/v1/admin/users/{id}")),
            ("GET", format!("/v1/admin/users/{id}/nothing")),
            ("GET", "/v1/admin/users/".to_owned()),
        ] {
            assert_eq!(secured_route(method, &path), None, "{method} {path}");
        }
    }
}
