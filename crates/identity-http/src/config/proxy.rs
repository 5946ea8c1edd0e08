//! The proxy section: the built-in authenticated reverse proxy's routes and timeouts
//! (`PROXY_*`, docs/integration.md "Built-in proxy").

use std::time::Duration;

use identity_proxy::Routes;

use super::{ConfigError, Reader, invalid};

/// The paths this service serves itself: no proxy route may take them or lie below them.
const RESERVED: [&str; 11] = [
    "/v1",
    "/.well-known",
    "/health",
    "/ready",
    "/metrics",
    "/openapi.json",
    "/docs",
    "/pages",
    // The pages mailed links open (`crate::pages`).
    "/verify-email",
    "/reset-password",
    "/confirm-email-change",
];

/// Where requests are forwarded (`PROXY_ROUTES`) and how long upstreams may take.
#[derive(Debug, Clone, Default)]
pub struct ProxyConfig {
    /// Empty: the proxy is off.
    pub routes: Routes,
    /// `PROXY_CONNECT_TIMEOUT_SECONDS`: longest wait for a connection to an upstream.
    pub connect_timeout: Duration,
    /// `PROXY_TIMEOUT_SECONDS`: longest silence of a connected upstream (before its answer,
    /// and between two chunks of its body).
    pub timeout: Duration,
}

pub(super) fn read(r: &Reader<'_>) -> Result<ProxyConfig, ConfigError> {
    let routes = match r.get("PROXY_ROUTES") {
        None => Routes::default(),
        Some(raw) => Routes::parse(&raw).map_err(|e| invalid("PROXY_ROUTES", e.to_string()))?,
    };
    for route in routes.iter() {
        if let Some(app) = &route.app
            && let Err(error) = identity_core::domain::AppKey::parse(app)
        {
            return Err(invalid("PROXY_ROUTES", format!("{}: app={app}: {}", route.prefix, error.message)));
        }
        if let Some(own) = RESERVED.iter().find(|own| route.matches(own) || below(&route.prefix, own)) {
            return Err(invalid(
                "PROXY_ROUTES",
                format!("{}: this service serves {own} itself; route another prefix (say /api/…)", route.prefix),
            ));
        }
    }
    Ok(ProxyConfig {
        routes,
        connect_timeout: r.seconds("PROXY_CONNECT_TIMEOUT_SECONDS", 5, 1, 300)?,
        timeout: r.seconds("PROXY_TIMEOUT_SECONDS", 60, 1, 3600)?,
    })
}

/// Whether `path` is `prefix` or below it.
fn below(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::collections::HashMap;

    use crate::config::Config;

    fn load(vars: &[(&str, &str)]) -> Result<Config, crate::config::ConfigError> {
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Config::from_env(&move |name: &str| vars.get(name).cloned())
    }

    #[test]
    fn off_by_default_and_read_when_set() {
        let config = load(&[]).unwrap();
        assert!(config.proxy.routes.is_empty());
        assert_eq!((config.proxy.connect_timeout.as_secs(), config.proxy.timeout.as_secs()), (5, 60));
        let config = load(&[
            ("PROXY_ROUTES", "/api/documents=http://127.0.0.1:8001;app=docs,/api/chat=http://chat:8002"),
            ("PROXY_CONNECT_TIMEOUT_SECONDS", "2"),
            ("PROXY_TIMEOUT_SECONDS", "30"),
        ])
        .unwrap();
        let route = config.proxy.routes.find("/api/documents/1").unwrap();
        assert_eq!(route.app.as_deref(), Some("docs"));
        assert_eq!((config.proxy.connect_timeout.as_secs(), config.proxy.timeout.as_secs()), (2, 30));
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (var, value, says) in [
            ("PROXY_ROUTES", "/api/documents", "PREFIX=URL"),
            ("PROXY_ROUTES", "/api=http://x;app=Docs!", "app key"),
            ("PROXY_ROUTES", "/v1/things=http://x", "serves /v1 itself"),
            ("PROXY_ROUTES", "/v1=http://x", "serves /v1 itself"),
            ("PROXY_ROUTES", "/health=http://x", "serves /health itself"),
            ("PROXY_ROUTES", "/.well-known/x=http://x", "serves /.well-known itself"),
            ("PROXY_ROUTES", "/docs=http://x", "serves /docs itself"),
            ("PROXY_CONNECT_TIMEOUT_SECONDS", "0", "outside"),
            ("PROXY_TIMEOUT_SECONDS", "soon", "whole number"),
        ] {
            let error = load(&[(var, value)]).expect_err(value).to_string();
            assert!(error.contains(var) && error.contains(says), "{var}={value}: {error}");
        }
        // `/v1x` and `/api/v1` are not this service's.
        assert!(load(&[("PROXY_ROUTES", "/v1x=http://x,/api/v1=http://y")]).is_ok());
    }
}
