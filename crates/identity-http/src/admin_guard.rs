//! The gate of the admin routes: a request for a documented `/v1/admin/*` operation is
//! authenticated and authorized (`AdminUserService::authorize_admin`, which audits refusals) before
//! anything else looks at it. The handler's extractors (JSON body, query, path) run only for
//! admins, so a caller who is not one gets 401 or 403 whatever the body, and never learns the
//! schema from 422s. (A handler's extractors are polled together, so putting the caller
//! first among its arguments would not be enough.)
//!
//! Paths and methods that reach no handler are left alone: they stay 404 and 405.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use crate::error::refuse;
use crate::extract::CurrentUser;
use crate::state::AppState;

/// Where the admin operations live.
const PREFIX: &str = "/v1/admin/";

/// The template of the admin operation `method path` reaches, if it reaches one.
pub fn admin_route(method: &str, path: &str) -> Option<&'static str> {
    if !path.starts_with(PREFIX) {
        return None;
    }
    let parts: Vec<&str> = path.split('/').collect();
    crate::openapi::served_routes()
        .iter()
        .filter(|route| route.template.starts_with(PREFIX))
        .find(|route| route.methods.iter().any(|m| m == method) && route.matches(&parts))
        .map(|route| route.template.as_str())
}

pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // The path as the router sees it (percent-encoded letters decoded).
    let template = admin_route(req.method().as_str(), req.match_info().as_str());
    let (Some(template), Some(state)) = (template, req.app_data::<web::Data<AppState>>().cloned()) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let auth = match req.extract::<CurrentUser>().await {
        Ok(CurrentUser(auth)) => auth,
        Err(error) => return Ok(refuse(req, error)),
    };
    if let Err(error) = state.services.admin.authorize_admin(&auth, req.method().as_str(), template).await {
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
}
