//! The real-time gateway (SPEC §3 "Real time", `docs/realtime.md`): the sockets of this
//! replica and what reaches them.
//!
//! [`Gateway`] is the registry of the replica's sockets, bounded per user and per replica, and
//! the fan-out: [`Gateway::dispatch`] asks core which sockets a domain event reaches
//! ([`Push::of`](identity_core::domain::Push::of)) and queues its frame on each, never
//! waiting: a socket whose bounded send buffer is full is a slow consumer and is closed (1008).
//! [`upgrade`] turns an authenticated request into a socket and runs it ([`socket`]): frames
//! out, pings, the client's messages, the token's expiry. Events come from the in-process bus
//! or from this replica's own queue on the events exchange (the composition root feeds
//! [`Gateway::dispatch`]); identity-http authenticates the request before the upgrade.

mod feed;
mod hub;
mod socket;

pub use feed::{EVENT_TYPES, spawn_bus_feed};
pub use hub::{Admission, Gateway, GatewaySettings, Refused};
pub use socket::upgrade;

/// Metric names (described by identity-http's `/metrics`; listed in `docs/operations.md`).
pub mod metric {
    /// Gauge: open sockets.
    pub const CONNECTIONS: &str = "identity_ws_connections";
    /// Counter: frames written to sockets.
    pub const FRAMES_SENT: &str = "identity_ws_frames_sent_total";
    /// Counter: frames not delivered because a socket's send buffer was full.
    pub const FRAMES_DROPPED: &str = "identity_ws_frames_dropped_total";
    /// Counter: sockets closed (1008) because they did not read fast enough.
    pub const SLOW_CONSUMERS: &str = "identity_ws_slow_consumer_disconnects_total";
    /// Counter: upgrades refused by a limit, by `reason` (`user`, `replica`, `stopping`).
    pub const REFUSED: &str = "identity_ws_refused_total";
}

/// Where a socket's credential came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// `Authorization: Bearer …` (non-browser clients).
    Bearer(String),
    /// The access cookie (browsers): only with an allowed `Origin`.
    Cookie(String),
    /// `?ticket=` from `POST /v1/ws/ticket`.
    Ticket(String),
}

/// Why a request carries no acceptable credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoCredential {
    /// Nothing at all.
    Missing,
    /// An access token in the URL (`?token=`, `?access_token=`): never accepted (URLs end up
    /// in logs and histories).
    TokenInUrl,
}

/// The credential of an upgrade request: a ticket in the query, else the `Authorization`
/// header (Bearer), else the access cookie named `cookie_name`. An access token in the query
/// is refused whatever else the request holds.
pub fn credential(req: &actix_web::HttpRequest, cookie_name: &str) -> Result<Credential, NoCredential> {
    // Percent-decoded, as every query of the API is (a ticket with a control character is then
    // refused as such by core, not taken for another ticket).
    let pairs = actix_web::web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map_err(|_| NoCredential::Missing)?
        .into_inner();
    let mut ticket = None;
    for (name, value) in pairs {
        match name.as_str() {
            "token" | "access_token" => return Err(NoCredential::TokenInUrl),
            "ticket" if !value.is_empty() => ticket = Some(value),
            _ => {}
        }
    }
    if let Some(ticket) = ticket {
        return Ok(Credential::Ticket(ticket));
    }
    if let Some(value) = req.headers().get(actix_web::http::header::AUTHORIZATION) {
        let value = value.to_str().map_err(|_| NoCredential::Missing)?;
        let (scheme, token) = value.split_once(' ').ok_or(NoCredential::Missing)?;
        let token = token.trim();
        return if scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() {
            Ok(Credential::Bearer(token.to_owned()))
        } else {
            Err(NoCredential::Missing)
        };
    }
    req.cookie(cookie_name)
        .map(|c| c.value().to_owned())
        .filter(|t| !t.is_empty())
        .map(Credential::Cookie)
        .ok_or(NoCredential::Missing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn a_token_in_the_url_is_refused_whatever_else_comes() {
        let req = TestRequest::get()
            .uri("/v1/ws?access_token=abc")
            .insert_header(("authorization", "Bearer good"))
            .to_http_request();
        assert_eq!(credential(&req, "access"), Err(NoCredential::TokenInUrl));
        let req = TestRequest::get().uri("/v1/ws?token=abc").to_http_request();
        assert_eq!(credential(&req, "access"), Err(NoCredential::TokenInUrl));
    }

    #[test]
    fn ticket_then_header_then_cookie() {
        let req =
            TestRequest::get().uri("/v1/ws?ticket=t1").insert_header(("authorization", "Bearer b")).to_http_request();
        assert_eq!(credential(&req, "access"), Ok(Credential::Ticket("t1".into())));
        let req = TestRequest::get()
            .uri("/v1/ws")
            .insert_header(("authorization", "Bearer b"))
            .cookie(actix_web::cookie::Cookie::new("access", "c"))
            .to_http_request();
        assert_eq!(credential(&req, "access"), Ok(Credential::Bearer("b".into())));
        let req =
            TestRequest::get().uri("/v1/ws").cookie(actix_web::cookie::Cookie::new("access", "c")).to_http_request();
        assert_eq!(credential(&req, "access"), Ok(Credential::Cookie("c".into())));
        let req = TestRequest::get().uri("/v1/ws").to_http_request();
        assert_eq!(credential(&req, "access"), Err(NoCredential::Missing));
    }
}
