//! The HTTP section: where the server listens, what it accepts, how it stops, which browsers
//! and proxies it trusts, and its cookies.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::{ConfigError, Reader, SameSite, invalid};

/// Read by the server (listener, limits, CORS/CSRF, shutdown) and the cookie writer.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub bind_addr: IpAddr,
    pub port: u16,
    pub max_body_bytes: usize,
    /// After SIGTERM/SIGINT: how long `/ready` answers 503 while requests are still served
    /// (so load balancers stop sending), before the listener closes.
    pub shutdown_drain: Duration,
    /// Then: how long in-flight requests may take to finish before they are cut off.
    pub shutdown_timeout: Duration,
    /// Where `GET /metrics` is served instead of the public listener (`METRICS_ADDR`,
    /// `ip:port`); unset, the public listener serves it.
    pub metrics_addr: Option<SocketAddr>,
    /// Origins browsers may call the API from (CORS) and that cookie-authenticated unsafe
    /// requests must come from (CSRF). Exact `scheme://host[:port]`.
    pub allowed_origins: Vec<String>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub cookies: CookieConfig,
}

/// The auth cookies' names and attributes (their lifetimes are the tokens').
#[derive(Debug, Clone)]
pub struct CookieConfig {
    pub access_name: String,
    pub refresh_name: String,
    pub secure: bool,
    pub same_site: SameSite,
}

pub(super) fn read(r: &Reader<'_>) -> Result<HttpConfig, ConfigError> {
    let cookie_same_site = match r.string("COOKIE_SAME_SITE", "lax").to_ascii_lowercase().as_str() {
        "strict" => SameSite::Strict,
        "lax" => SameSite::Lax,
        "none" => SameSite::None,
        other => {
            return Err(invalid("COOKIE_SAME_SITE", format!("{other:?} is not one of strict, lax, none")));
        }
    };
    let cookie_secure = r.boolean("COOKIE_SECURE", true)?;
    if cookie_same_site == SameSite::None && !cookie_secure {
        return Err(invalid(
            "COOKIE_SAME_SITE",
            "SameSite=None requires COOKIE_SECURE=true (browsers drop the cookie)",
        ));
    }
    let auth_cookie_name = r.string("AUTH_COOKIE_NAME", "identity_access");
    if !auth_cookie_name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
        return Err(invalid("AUTH_COOKIE_NAME", "use letters, digits, '_', '-' and '.' only"));
    }
    let refresh_cookie_name = r.string("AUTH_REFRESH_COOKIE_NAME", "identity_refresh");
    if !refresh_cookie_name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        || refresh_cookie_name == auth_cookie_name
    {
        return Err(invalid(
            "AUTH_REFRESH_COOKIE_NAME",
            "use letters, digits, '_', '-' and '.', and another name than AUTH_COOKIE_NAME",
        ));
    }
    let allowed_origins = match r.get("ALLOWED_ORIGINS") {
        None => Vec::new(),
        Some(raw) => raw
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(|origin| {
                let valid = (origin.starts_with("https://") || origin.starts_with("http://"))
                    && !origin.trim_start_matches("https://").trim_start_matches("http://").contains('/')
                    && !origin.contains('*');
                if valid {
                    Ok(origin.trim_end_matches('/').to_owned())
                } else {
                    Err(invalid(
                        "ALLOWED_ORIGINS",
                        format!("{origin:?} is not an origin like https://app.example.com (no path, no wildcard)"),
                    ))
                }
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    let trusted_proxies = match r.get("TRUSTED_PROXIES") {
        None => Vec::new(),
        Some(raw) => raw
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse::<ipnet::IpNet>()
                    .or_else(|_| p.parse::<IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| invalid("TRUSTED_PROXIES", format!("{p:?} is not an IP address or CIDR range")))
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    Ok(HttpConfig {
        bind_addr: r.parse("BIND_ADDR", IpAddr::from([0, 0, 0, 0]), "an IP address")?,
        port: r.parse("PORT", 8080, "a port number (0-65535)")?,
        max_body_bytes: r.number("MAX_BODY_BYTES", 64 * 1024, 1024, 16 * 1024 * 1024)?,
        shutdown_drain: r.seconds("SHUTDOWN_DRAIN_SECONDS", 5, 0, 300)?,
        shutdown_timeout: r.seconds("SHUTDOWN_TIMEOUT_SECONDS", 25, 1, 600)?,
        metrics_addr: match r.get("METRICS_ADDR") {
            None => None,
            Some(raw) => Some(raw.parse().map_err(|_| {
                invalid("METRICS_ADDR", format!("{raw:?} is not an address with a port (say 0.0.0.0:9100)"))
            })?),
        },
        allowed_origins,
        trusted_proxies,
        cookies: CookieConfig {
            access_name: auth_cookie_name,
            refresh_name: refresh_cookie_name,
            secure: cookie_secure,
            same_site: cookie_same_site,
        },
    })
}
