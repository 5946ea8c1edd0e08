//! The built-in authenticated reverse proxy, wired (`PROXY_ROUTES`; docs/integration.md
//! "Built-in proxy"). A request under a route's prefix is authenticated like on every route
//! (`CurrentUser`: a bearer token or the access cookie, 401 `unauthenticated`, then 403
//! `csrf_rejected` for a cookie without an allowed origin on an unsafe request), checked
//! against the route's app by core's rule (`AccessService::verify_forwarded`, as forward-auth:
//! 403 `forbidden`), and only then handed to `identity_proxy`, which forwards it with the
//! caller's `X-User-*` headers and streams both bodies. The upstream is never called for a
//! refused request. An unreachable upstream is 502 `bad_gateway`, a slow one 504
//! `gateway_timeout`.
//!
//! The proxied paths are other services' APIs: they are not in the OpenAPI document, and the
//! gate (`crate::gate`) leaves them alone (no documented operation matches them).

use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use identity_core::usecases::ForwardCheck;
use identity_proxy::{Forwarded, Identity, Outgoing, Proxy, ProxyError, Routes, Settings};

use crate::access_log::RequestId;
use crate::config::ProxyConfig;
use crate::error::{ApiError, ProblemCode};
use crate::extract::CurrentUser;
use crate::state::AppState;

/// The routes and the client that forwards to them.
pub struct Gateway {
    routes: Routes,
    proxy: Proxy,
}

/// The gateway of `config`; `None` when no route is configured (the proxy is off).
pub fn gateway(config: &ProxyConfig) -> anyhow::Result<Option<web::Data<Gateway>>> {
    if config.routes.is_empty() {
        return Ok(None);
    }
    let settings = Settings { connect_timeout: config.connect_timeout, timeout: config.timeout };
    let proxy = Proxy::new(settings).map_err(|e| anyhow::anyhow!("cannot build the proxy's HTTP client: {e}"))?;
    for route in config.routes.iter() {
        tracing::info!(route = %route, "proxying");
    }
    Ok(Some(web::Data::new(Gateway { routes: config.routes.clone(), proxy })))
}

/// Serves every route's prefix and what lies below it (longest prefixes first, so the access
/// log names the route that took the request).
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig, gateway: Option<&web::Data<Gateway>>) {
    let Some(gateway) = gateway else { return };
    cfg.app_data(gateway.clone());
    for route in gateway.routes.iter() {
        cfg.route(&route.prefix, web::route().to(forward));
        cfg.route(&format!("{}/{{tail:.*}}", route.prefix), web::route().to(forward));
    }
}

async fn forward(
    req: HttpRequest,
    payload: web::Payload,
    user: CurrentUser,
    state: web::Data<AppState>,
    gateway: web::Data<Gateway>,
) -> Result<HttpResponse, ApiError> {
    // The path as the router matched it (percent-encoded letters decoded).
    let route = gateway.routes.find(req.match_info().as_str()).ok_or_else(ApiError::not_found)?;
    let check = ForwardCheck { role: None, app: route.app.clone(), uri: None };
    let caller = state.services.access.verify_forwarded(&user.0, &check).await?;
    let target = route
        .target(req.uri().path(), req.query_string())
        .ok_or_else(|| ApiError::new(ProblemCode::BadRequest, "a proxied path may not have a '.' or '..' segment"))?;
    let request_id =
        req.extensions().get::<RequestId>().map(|id| id.0.clone()).unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let peer = req.peer_addr().map(|addr| addr.ip());
    let trusted = peer.is_some_and(|ip| state.trusted_proxies.iter().any(|net| net.contains(&ip)));
    let forwarded = Forwarded::of(req.headers(), peer, trusted, req.app_config().secure());
    let identity = Identity {
        user_id: caller.user_id,
        email: caller.email,
        roles: caller.roles,
        session_id: caller.session_id,
        aal: caller.aal,
    };
    let drop_cookies = [state.cookies.access_name.clone(), state.cookies.refresh_name.clone()];
    let outgoing =
        Outgoing { identity: &identity, request_id: &request_id, forwarded: &forwarded, drop_cookies: &drop_cookies };
    let headers = identity_proxy::headers::request_headers(req.headers(), &outgoing);
    gateway.proxy.forward(&req, payload, target, headers).await.map_err(problem)
}

/// What the client is told when forwarding failed; the log line gets the upstream and cause.
fn problem(error: ProxyError) -> ApiError {
    let (code, detail) = match &error {
        ProxyError::Unreachable { .. } => {
            (ProblemCode::BadGateway, "the service behind this path could not be reached")
        }
        ProxyError::Timeout { .. } => {
            (ProblemCode::GatewayTimeout, "the service behind this path did not answer in time")
        }
        ProxyError::ClientBody => (ProblemCode::MalformedBody, "the request body could not be read"),
    };
    ApiError::new(code, detail).with_source(anyhow::Error::new(error))
}
