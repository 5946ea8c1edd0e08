//! Who a request comes from: the client's address (the peer, or behind trusted proxies the
//! address they forwarded) and its `User-Agent`, as core's `ClientInfo`.

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::http::header;
use identity_core::ports::ClientInfo;

use crate::state::AppState;

/// The client's address: the peer, or — when the peer is a trusted proxy — the right-most
/// `X-Forwarded-For` entry that is not itself a trusted proxy.
pub fn client_ip(req: &HttpRequest, trusted: &[ipnet::IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|ip| ip.trim().parse().ok())
        .collect();
    forwarded.iter().rev().find(|ip| !is_trusted(ip)).or(forwarded.first()).copied().or(Some(peer))
}

/// The client a use case records: its address and `User-Agent`.
pub(crate) fn client_info(req: &HttpRequest, state: &AppState) -> ClientInfo {
    ClientInfo {
        ip: client_ip(req, &state.trusted_proxies),
        user_agent: req.headers().get(header::USER_AGENT).and_then(|v| user_agent(v.as_bytes())),
    }
}

/// A `User-Agent` as text: bytes that are not UTF-8 (obs-text) become U+FFFD, control
/// characters are dropped, so whatever a client sends can be stored.
fn user_agent(raw: &[u8]) -> Option<String> {
    let text: String = String::from_utf8_lossy(raw).chars().filter(|c| !c.is_control()).collect();
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}
