//! Header hygiene in both directions.
//!
//! Towards the upstream: hop-by-hop headers go (RFC 9110 §7.6.1: `Connection`, `Keep-Alive`,
//! `Proxy-Connection`, `TE`, `Trailer`, `Transfer-Encoding`, `Upgrade`, `Proxy-Authorization`,
//! `Proxy-Authenticate`, and every header `Connection` names), and so does whatever the client
//! claimed about itself in the headers the proxy sets (every `X-User-*`, `X-Session-Id`,
//! `X-Request-Id`, `X-Forwarded-*`, `Forwarded`); then the proxy's own are added. `Host` is
//! the upstream's (the client's is `X-Forwarded-Host`), `Expect` was answered by the proxy.
//! The auth cookies are taken out of `Cookie`; `Authorization` passes unchanged, so an
//! upstream may verify the bearer token itself (`identity-verifier`).
//!
//! Towards the client: hop-by-hop headers go; everything else the upstream said passes as it
//! said it, repeated headers (`Set-Cookie`) included.

use actix_web::http::header::HeaderMap as ActixHeaders;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

/// The hop-by-hop headers of RFC 9110 §7.6.1 (and the non-standard `Proxy-Connection`,
/// `Keep-Alive`), lower-case.
pub const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "proxy-authorization",
    "proxy-authenticate",
];

/// Who the caller is, as the upstream is told (`X-User-Id`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub user_id: String,
    pub email: String,
    pub roles: Vec<String>,
    pub session_id: String,
    /// `1` or `2`.
    pub aal: u8,
}

/// The `X-Forwarded-*` values of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forwarded {
    /// `X-Forwarded-For`: the client addresses, nearest last.
    pub for_chain: String,
    /// `X-Forwarded-Proto`: `http` or `https`.
    pub proto: String,
    /// `X-Forwarded-Host`: the host the client asked for.
    pub host: Option<String>,
}

impl Forwarded {
    /// What to forward for a request from `peer`. A trusted peer (a proxy in front of this
    /// one) is believed: its chain is extended with its address and its proto and host are
    /// kept. Anyone else's claims are dropped: the chain is the peer alone, the proto is the
    /// connection's (`secure`), the host is `Host`.
    pub fn of(headers: &ActixHeaders, peer: Option<std::net::IpAddr>, peer_trusted: bool, secure: bool) -> Self {
        let text = |name: &str| {
            let values: Vec<&str> = headers
                .get_all(name)
                .filter_map(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .collect();
            (!values.is_empty()).then(|| values.join(", "))
        };
        let peer = peer.map(|ip| ip.to_string()).unwrap_or_else(|| "unknown".to_owned());
        let own_proto = if secure { "https" } else { "http" }.to_owned();
        let host = text("host");
        if peer_trusted {
            let for_chain = match text("x-forwarded-for") {
                Some(chain) => format!("{chain}, {peer}"),
                None => peer,
            };
            let proto = text("x-forwarded-proto")
                .and_then(|p| p.split(',').next().map(|p| p.trim().to_ascii_lowercase()))
                .filter(|p| p == "http" || p == "https")
                .unwrap_or(own_proto);
            Self { for_chain, proto, host: text("x-forwarded-host").or(host) }
        } else {
            Self { for_chain: peer, proto: own_proto, host }
        }
    }
}

/// What the proxy adds to a request.
#[derive(Debug, Clone)]
pub struct Outgoing<'a> {
    pub identity: &'a Identity,
    pub request_id: &'a str,
    pub forwarded: &'a Forwarded,
    /// Cookies taken out of `Cookie` (the auth cookies).
    pub drop_cookies: &'a [String],
}

/// The lower-case names listed in the `Connection` headers of a message.
fn connection_names<'a>(values: impl Iterator<Item = &'a [u8]>) -> Vec<String> {
    values
        .filter_map(|v| std::str::from_utf8(v).ok())
        .flat_map(|v| v.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .filter(|name| !name.is_empty())
        .collect()
}

/// Whether a header is hop-by-hop in a message whose `Connection` named `named`.
pub fn is_hop_by_hop(name: &str, named: &[String]) -> bool {
    let name = name.to_ascii_lowercase();
    HOP_BY_HOP.contains(&name.as_str()) || named.contains(&name)
}

/// Whether a header is one the proxy sets about the caller or the request: a client's own is
/// never passed on.
pub fn is_set_by_proxy(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with("x-user-")
        || name.starts_with("x-forwarded-")
        || matches!(name.as_str(), "x-session-id" | "x-request-id" | "forwarded")
}

/// The headers the upstream gets for a request that came with `incoming`.
pub fn request_headers(incoming: &ActixHeaders, out: &Outgoing<'_>) -> HeaderMap {
    let named = connection_names(incoming.get_all("connection").map(|v| v.as_bytes()));
    let mut headers = HeaderMap::with_capacity(incoming.len() + 8);
    for (name, value) in incoming.iter() {
        let name = name.as_str();
        if is_hop_by_hop(name, &named) || is_set_by_proxy(name) || matches!(name, "host" | "expect") {
            continue;
        }
        let value = if name == "cookie" {
            match without_cookies(value.as_bytes(), out.drop_cookies) {
                Some(kept) => kept,
                None => continue,
            }
        } else {
            value.as_bytes().to_vec()
        };
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_bytes(&value)) {
            headers.append(name, value);
        }
    }
    let mut set = |name: &'static str, value: &str| {
        if let Ok(value) = HeaderValue::from_bytes(value.as_bytes()) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    let identity = out.identity;
    set("x-user-id", &identity.user_id);
    set("x-user-email", &identity.email);
    set("x-user-roles", &identity.roles.join(","));
    set("x-session-id", &identity.session_id);
    set("x-user-aal", &identity.aal.to_string());
    set("x-request-id", out.request_id);
    set("x-forwarded-for", &out.forwarded.for_chain);
    set("x-forwarded-proto", &out.forwarded.proto);
    if let Some(host) = &out.forwarded.host {
        set("x-forwarded-host", host);
    }
    headers
}

/// A `Cookie` value without the cookies named `drop`; `None` when nothing is left.
fn without_cookies(value: &[u8], drop: &[String]) -> Option<Vec<u8>> {
    let Ok(text) = std::str::from_utf8(value) else { return Some(value.to_vec()) };
    let kept: Vec<&str> = text
        .split(';')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .filter(|pair| {
            let name = pair.split_once('=').map_or(*pair, |(name, _)| name).trim();
            !drop.iter().any(|d| d == name)
        })
        .collect();
    (!kept.is_empty()).then(|| kept.join("; ").into_bytes())
}

/// The upstream's answer headers as the client gets them: without hop-by-hop ones.
pub fn response_headers(
    upstream: &HeaderMap,
) -> Vec<(actix_web::http::header::HeaderName, actix_web::http::header::HeaderValue)> {
    let named = connection_names(upstream.get_all("connection").iter().map(HeaderValue::as_bytes));
    upstream
        .iter()
        .filter(|(name, _)| !is_hop_by_hop(name.as_str(), &named))
        .filter_map(|(name, value)| {
            let name = actix_web::http::header::HeaderName::from_bytes(name.as_str().as_bytes()).ok()?;
            let value = actix_web::http::header::HeaderValue::from_bytes(value.as_bytes()).ok()?;
            Some((name, value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use actix_web::http::header::{HeaderName as AName, HeaderValue as AValue};

    use super::*;

    fn incoming(pairs: &[(&str, &str)]) -> ActixHeaders {
        let mut headers = ActixHeaders::new();
        for (name, value) in pairs {
            headers.append(AName::from_bytes(name.as_bytes()).unwrap(), AValue::from_str(value).unwrap());
        }
        headers
    }

    fn identity() -> Identity {
        Identity {
            user_id: "u-1".into(),
            email: "ada@example.com".into(),
            roles: vec!["admin".into(), "user".into()],
            session_id: "s-1".into(),
            aal: 2,
        }
    }

    fn forwarded() -> Forwarded {
        Forwarded { for_chain: "10.0.0.9".into(), proto: "http".into(), host: Some("gateway.example".into()) }
    }

    fn all(headers: &HeaderMap, name: &str) -> Vec<String> {
        headers.get_all(name).iter().map(|v| v.to_str().unwrap().to_owned()).collect()
    }

    #[test]
    fn the_clients_identity_headers_are_replaced_not_merged() {
        let sent = incoming(&[
            ("X-User-Id", "attacker"),
            ("x-user-roles", "admin"),
            ("X-USER-EMAIL", "root@example.com"),
            ("x-user-anything", "1"),
            ("x-session-id", "forged"),
            ("x-request-id", "client-chosen"),
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-host", "evil.example"),
            ("forwarded", "for=1.2.3.4"),
            ("accept", "application/json"),
            ("x-user", "not an identity header"),
        ]);
        let identity = identity();
        let forwarded = forwarded();
        let out = Outgoing { identity: &identity, request_id: "req-1", forwarded: &forwarded, drop_cookies: &[] };
        let headers = request_headers(&sent, &out);
        assert_eq!(all(&headers, "x-user-id"), ["u-1"]);
        assert_eq!(all(&headers, "x-user-roles"), ["admin,user"]);
        assert_eq!(all(&headers, "x-user-email"), ["ada@example.com"]);
        assert_eq!(all(&headers, "x-user-aal"), ["2"]);
        assert_eq!(all(&headers, "x-session-id"), ["s-1"]);
        assert_eq!(all(&headers, "x-request-id"), ["req-1"]);
        assert_eq!(all(&headers, "x-forwarded-for"), ["10.0.0.9"]);
        assert_eq!(all(&headers, "x-forwarded-host"), ["gateway.example"]);
        assert_eq!(all(&headers, "x-forwarded-proto"), ["http"]);
        assert!(headers.get("x-user-anything").is_none());
        assert!(headers.get("forwarded").is_none());
        assert_eq!(all(&headers, "accept"), ["application/json"]);
        assert_eq!(all(&headers, "x-user"), ["not an identity header"]);
    }

    #[test]
    fn hop_by_hop_headers_go_both_ways_with_those_connection_names() {
        let sent = incoming(&[
            ("connection", "keep-alive, X-Secret-Hop"),
            ("connection", "x-other-hop"),
            ("keep-alive", "timeout=5"),
            ("proxy-connection", "keep-alive"),
            ("te", "trailers"),
            ("trailer", "x-checksum"),
            ("transfer-encoding", "chunked"),
            ("upgrade", "websocket"),
            ("proxy-authorization", "Basic eDp5"),
            ("x-secret-hop", "1"),
            ("x-other-hop", "1"),
            ("host", "gateway.example"),
            ("expect", "100-continue"),
            ("content-length", "12"),
            ("authorization", "Bearer v4.public.x"),
            ("x-end-to-end", "kept"),
        ]);
        let identity = identity();
        let forwarded = forwarded();
        let out = Outgoing { identity: &identity, request_id: "r", forwarded: &forwarded, drop_cookies: &[] };
        let headers = request_headers(&sent, &out);
        for gone in HOP_BY_HOP.iter().chain(&["x-secret-hop", "x-other-hop", "host", "expect"]) {
            assert!(headers.get(*gone).is_none(), "{gone} was forwarded");
        }
        assert_eq!(all(&headers, "content-length"), ["12"]);
        assert_eq!(all(&headers, "authorization"), ["Bearer v4.public.x"]);
        assert_eq!(all(&headers, "x-end-to-end"), ["kept"]);

        let mut answer = HeaderMap::new();
        for (name, value) in [
            ("connection", "close, x-upstream-hop"),
            ("keep-alive", "timeout=5"),
            ("transfer-encoding", "chunked"),
            ("proxy-authenticate", "Basic"),
            ("upgrade", "h2c"),
            ("trailer", "x-checksum"),
            ("x-upstream-hop", "1"),
            ("content-type", "text/csv; charset=utf-8"),
            ("set-cookie", "a=1"),
            ("set-cookie", "b=2"),
            ("x-end-to-end", "kept"),
        ] {
            answer.append(HeaderName::from_static(name), HeaderValue::from_static(value));
        }
        let passed = response_headers(&answer);
        let names: Vec<&str> = passed.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["content-type", "set-cookie", "set-cookie", "x-end-to-end"]);
        assert_eq!(passed[0].1, "text/csv; charset=utf-8");
    }

    #[test]
    fn auth_cookies_are_taken_out_of_cookie() {
        let identity = identity();
        let forwarded = forwarded();
        let drop = ["identity_access".to_owned(), "identity_refresh".to_owned()];
        let out = Outgoing { identity: &identity, request_id: "r", forwarded: &forwarded, drop_cookies: &drop };
        let sent = incoming(&[("cookie", "theme=dark; identity_access=v4.public.x;lang=fr")]);
        assert_eq!(all(&request_headers(&sent, &out), "cookie"), ["theme=dark; lang=fr"]);
        let only = incoming(&[("cookie", "identity_access=v4.public.x")]);
        assert!(request_headers(&only, &out).get("cookie").is_none());
    }

    #[test]
    fn forwarded_values_are_believed_from_trusted_peers_only() {
        let sent = incoming(&[
            ("host", "gateway.example"),
            ("x-forwarded-for", "203.0.113.7, 10.0.0.2"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "app.example"),
        ]);
        let peer = Some("10.0.0.1".parse().unwrap());
        let trusted = Forwarded::of(&sent, peer, true, false);
        assert_eq!(trusted.for_chain, "203.0.113.7, 10.0.0.2, 10.0.0.1");
        assert_eq!((trusted.proto.as_str(), trusted.host.as_deref()), ("https", Some("app.example")));
        let untrusted = Forwarded::of(&sent, peer, false, false);
        assert_eq!(untrusted.for_chain, "10.0.0.1");
        assert_eq!((untrusted.proto.as_str(), untrusted.host.as_deref()), ("http", Some("gateway.example")));
        let odd = incoming(&[("x-forwarded-proto", "gopher")]);
        assert_eq!(Forwarded::of(&odd, peer, true, true).proto, "https");
    }
}
