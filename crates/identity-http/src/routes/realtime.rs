//! The WebSocket gateway's routes (`docs/realtime.md`): the upgrade, authenticated before it
//! happens, the one-time tickets of browsers that cannot send a header, and the caller's
//! presence (kept by the sockets' heartbeats). Which
//! credential a request carries and the socket's life are `identity-gateway`'s; who it is and
//! what a ticket opens, core's (`RealtimeService`).

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use identity_core::domain::{Presence, TICKET_TTL};
use identity_gateway::{Credential, NoCredential, Refused};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiError, Problem, ProblemCode};
use crate::extract::CurrentUser;
use crate::state::AppState;

/// A one-time ticket that opens one socket of the caller's session.
#[derive(Debug, Serialize, ToSchema)]
pub struct WsTicketView {
    /// Give it as `GET /v1/ws?ticket=…` within `expires_in` seconds; it works once.
    pub ticket: String,
    /// Seconds the ticket stays valid (30).
    pub expires_in: u64,
}

/// Opens the caller's real-time socket (WebSocket, `101 Switching Protocols`). The request is
/// authenticated before the upgrade by a one-time `?ticket=` (`POST /v1/ws/ticket`), an
/// `Authorization: Bearer` header, or the access cookie (then the `Origin` must be the API's
/// own or one of `ALLOWED_ORIGINS`). An access token in the URL is never accepted. Frames,
/// close codes and resynchronisation: `docs/realtime.md`.
#[utoipa::path(
    operation_id = "open_socket",
    tag = "realtime",
    params(("ticket" = Option<String>, Query, description = "A one-time ticket from `POST /v1/ws/ticket`")),
    responses(
        (status = SWITCHING_PROTOCOLS, description = "The socket is open: JSON frames `{type, id, time, data}`"),
        (status = BAD_REQUEST, description = "`bad_request`: not a WebSocket upgrade", body = Problem, content_type = "application/problem+json"),
        (status = UNAUTHORIZED, description = "`unauthenticated`: no credential, an invalid, expired or revoked one, a used or expired ticket, or an access token in the URL", body = Problem, content_type = "application/problem+json"),
        (status = FORBIDDEN, description = "`csrf_rejected`: the access cookie without an allowed `Origin`", body = Problem, content_type = "application/problem+json"),
        (status = SERVICE_UNAVAILABLE, description = "`too_many_sockets`: the user's or this replica's socket limit is reached, or the replica is stopping; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/ws")]
pub async fn open_socket(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let credential =
        identity_gateway::credential(&req, &state.cookies.access_name).map_err(|refused| match refused {
            NoCredential::TokenInUrl => ApiError::new(
                ProblemCode::Unauthenticated,
                "an access token in the URL is never accepted: use a ticket (POST /v1/ws/ticket) or a header",
            ),
            NoCredential::Missing => ApiError::unauthenticated(),
        })?;
    let realtime = &state.services.realtime;
    let grant = match credential {
        Credential::Ticket(ticket) => realtime.redeem_ticket(&ticket).await?,
        Credential::Bearer(token) => realtime.open(&token).await?,
        Credential::Cookie(token) => {
            let grant = realtime.open(&token).await?;
            crate::security::check_socket_origin(&req, &state.allowed_origins)?;
            grant
        }
    };
    let admission = state.gateway.admit(grant.owner).map_err(|refused| {
        let detail = match refused {
            Refused::PerUser => "this user has as many sockets open as allowed; close one and retry",
            Refused::Replica => "this replica has as many sockets open as it takes; retry shortly",
            Refused::Stopping => "this replica is stopping; reconnect",
        };
        ApiError::new(ProblemCode::TooManySockets, detail).with_header("retry-after", "5".to_owned())
    })?;
    let settings = state.gateway.settings();
    identity_gateway::upgrade(
        &req,
        body,
        admission,
        grant,
        realtime.clone(),
        settings.max_frame_bytes,
        settings.ping_interval,
    )
    .map_err(|_| ApiError::new(ProblemCode::BadRequest, "this endpoint speaks WebSocket: send an upgrade request"))
}

/// A one-time ticket for `GET /v1/ws?ticket=…`: valid 30 seconds, used once, bound to the
/// caller's session. For browsers, whose WebSocket API cannot send an `Authorization` header.
#[utoipa::path(
    operation_id = "create_socket_ticket",
    tag = "realtime",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = OK, body = WsTicketView),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/ws/ticket")]
pub async fn create_socket_ticket(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    let ticket = state.services.realtime.issue_ticket(&user.0).await?;
    Ok(super::private_json(WsTicketView { ticket: ticket.ticket, expires_in: TICKET_TTL.as_secs() }))
}

/// A device of the caller's that was active lately.
#[derive(Debug, Serialize, ToSchema)]
pub struct DevicePresenceView {
    /// The device (`GET /v1/devices`).
    pub device_id: Uuid,
    #[schema(example = "Work laptop")]
    pub device_name: Option<String>,
    /// Its latest `presence:active` heartbeat.
    pub last_active_at: DateTime<Utc>,
}

/// Which of the caller's devices were active within `WS_PRESENCE_TTL_SECONDS`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PresenceView {
    /// The most recently active first.
    pub devices: Vec<DevicePresenceView>,
    /// Whether any device was active within the TTL.
    pub online: bool,
}

impl From<&Presence> for PresenceView {
    fn from(presence: &Presence) -> Self {
        let devices = presence
            .devices
            .iter()
            .map(|d| DevicePresenceView {
                device_id: d.device_id.as_uuid(),
                device_name: d.device_name.clone(),
                last_active_at: d.last_active_at,
            })
            .collect();
        Self { devices, online: presence.online() }
    }
}

/// A user's presence at a glance (the admin user view).
#[derive(Debug, Serialize, ToSchema)]
pub struct PresenceSummary {
    /// Whether any of the user's devices was active within `WS_PRESENCE_TTL_SECONDS`.
    pub online: bool,
    /// The latest heartbeat within the TTL; `null` when offline.
    pub last_active_at: Option<DateTime<Utc>>,
}

impl From<&Presence> for PresenceSummary {
    fn from(presence: &Presence) -> Self {
        Self { online: presence.online(), last_active_at: presence.last_active_at() }
    }
}

/// The caller's devices active lately: those whose sockets sent a `presence:active`
/// heartbeat within `WS_PRESENCE_TTL_SECONDS` (`docs/realtime.md`).
#[utoipa::path(
    operation_id = "get_presence",
    tag = "realtime",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = OK, body = PresenceView),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/users/me/presence")]
pub async fn get_presence(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    let presence = state.services.realtime.presence(user.0.user.id).await?;
    Ok(super::private_json(PresenceView::from(&presence)))
}
