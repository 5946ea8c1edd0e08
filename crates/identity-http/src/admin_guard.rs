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

/// One documented admin route: its template, split on `/`, and its methods.
struct Route {
    template: String,
    segments: Vec<String>,
    methods: Vec<String>,
}

/// The admin routes of the OpenAPI document (which lists every route; a test checks every
/// one of them goes through this gate).
fn routes() -> &'static [Route] {
    static ROUTES: std::sync::OnceLock<Vec<Route>> = std::sync::OnceLock::new();
    const METHODS: [&str; 7] = ["get", "put", "post", "delete", "options", "head", "patch"];
    ROUTES.get_or_init(|| {
        let doc = serde_json::to_value(crate::openapi::openapi()).unwrap_or_default();
        let Some(paths) = doc["paths"].as_object() else { return Vec::new() };
        paths
            .iter()
            .filter(|(template, _)| template.starts_with(PREFIX))
            .map(|(template, item)| Route {
                template: template.clone(),
                segments: template.split('/').map(str::to_owned).collect(),
                methods: item
                    .as_object()
                    .map(|ops| ops.keys().filter(|k| METHODS.contains(&k.as_str())).map(|k| k.to_uppercase()).collect())
                    .unwrap_or_default(),
            })
            .collect()
    })
}

/// The template of the admin operation `method path` reaches, if it reaches one.
pub fn admin_route(method: &str, path: &str) -> Option<&'static str> {
    if !path.starts_with(PREFIX) {
        return None;
    }
    let parts: Vec<&str> = path.split('/').collect();
    routes()
        .iter()
        .find(|route| {
            route.methods.iter().any(|m| m == method)
                && route.segments.len() == parts.len()
                && route.segments.iter().zip(&parts).all(|(t, p)| t == p || (t.starts_with('{') && !p.is_empty()))
        })
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
