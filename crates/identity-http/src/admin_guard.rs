//! The gate of the authenticated routes: a request for a documented operation with a security
//! requirement is authenticated (`CurrentUser`: 401 `unauthenticated`, then 403
//! `csrf_rejected` for a cookie without an allowed origin) and, for a `/v1/admin/*` operation,
//! authorized (`AdminUserService::authorize_admin`, which audits refusals: 403 `forbidden`)
//! before anything else looks at it. The handler's extractors (JSON body, query, path) run only
//! for a caller who passed, so the order is the same on every route: 401, then 403, then the
//! input's 400/404/413/415/422; a caller without a live session never learns the schema from a
//! 422. A handler's extractors are polled together (the first to fail answers), so putting the
//! caller first among its arguments is not enough: a session looked up in PostgreSQL or Redis
//! is still pending when a malformed query has already failed.
//!
//! Which operations are gated comes from the handlers' annotations (`security(...)`), the
//! same ones the OpenAPI document shows. Paths and methods that reach no handler are left
//! alone: they stay 404 and 405.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use crate::error::refuse;
use crate::extract::CurrentUser;
use crate::state::AppState;

/// Where the admin operations live.
const PREFIX: &str = "/v1/admin/";

/// The template of the operation that `method path` reaches, if it reaches one that needs a
/// caller: one with a security requirement, and every admin operation.
pub fn secured_route(method: &str, path: &str) -> Option<&'static str> {
    let parts: Vec<&str> = path.split('/').collect();
    crate::openapi::served_routes()
        .iter()
        .find(|route| route.methods.iter().any(|m| m == method) && route.matches(&parts))
        .filter(|route| route.template.starts_with(PREFIX) || route.secured.iter().any(|m| m == method))
        .map(|route| route.template.as_str())
}

/// The template of the admin operation `method path` reaches, if it reaches one.
pub fn admin_route(method: &str, path: &str) -> Option<&'static str> {
    secured_route(method, path).filter(|template| template.starts_with(PREFIX))
}

pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // The path as the router sees it (percent-encoded letters decoded).
    let template = secured_route(req.method().as_str(), req.match_info().as_str());
    let (Some(template), Some(state)) = (template, req.app_data::<web::Data<AppState>>().cloned()) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let auth = match req.extract::<CurrentUser>().await {
        Ok(CurrentUser(auth)) => auth,
        Err(error) => return Ok(refuse(req, error)),
    };
    if template.starts_with(PREFIX)
        && let Err(error) = state.services.admin.authorize_admin(&auth, req.method().as_str(), template).await
    {
        return Ok(refuse(req, error.into()));
    }
    // The handler's `CurrentUser` takes it from here instead of authenticating again.
    req.extensions_mut().insert(auth);
    Ok(next.call(req).await?.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_admin_operation_a_request_reaches() {
        let id = "0190b8a0-0000-7000-8000-000000000000";
        assert_eq!(admin_route("GET", "/v1/admin/users"), Some("/v1/admin/users"));
        assert_eq!(admin_route("POST", "/v1/admin/users"), Some("/v1/admin/users"));
        assert_eq!(admin_route("PATCH", &format!("/v1/admin/users/{id}")), Some("/v1/admin/users/{id}"));
        assert_eq!(admin_route("PATCH", "/v1/admin/settings/ai"), Some("/v1/admin/settings/{namespace}"));
        // No handler: left to the 404 and 405 answers.
        assert_eq!(admin_route("PUT", &format!("/v1/admin/users/{id}")), None);
        assert_eq!(admin_route("GET", &format!("/v1/admin/users/{id}/nothing")), None);
        assert_eq!(admin_route("GET", "/v1/admin/users/"), None);
        assert_eq!(admin_route("GET", "/v1/users/me"), None);
    }

    #[test]
    fn finds_every_operation_that_needs_a_caller() {
        let id = "0190b8a0-0000-7000-8000-000000000000";
        assert_eq!(secured_route("GET", "/v1/users/me"), Some("/v1/users/me"));
        assert_eq!(secured_route("GET", "/v1/sessions"), Some("/v1/sessions"));
        assert_eq!(secured_route("PATCH", &format!("/v1/devices/{id}")), Some("/v1/devices/{id}"));
        assert_eq!(secured_route("POST", "/v1/auth/password/change"), Some("/v1/auth/password/change"));
        assert_eq!(secured_route("GET", "/v1/admin/users"), Some("/v1/admin/users"));
        // Public operations, and what reaches no handler, are left alone.
        for (method, path) in [
            ("POST", "/v1/auth/login"),
            ("POST", "/v1/auth/refresh"),
            ("POST", "/v1/auth/register"),
            ("GET", "/health"),
            ("PUT", "/v1/users/me"),
            ("GET", "/v1/nothing"),
        ] {
            assert_eq!(secured_route(method, path), None, "{method} {path}");
        }
    }
}
