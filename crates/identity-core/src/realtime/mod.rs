//! Real time (SPEC §3 "Real time"): what the WebSocket gateway pushes to whom. Which domain
//! events reach which user's sockets and as which frame (`{type, id, time, data}`), the close
//! codes, the messages a client may send, the one-time tickets that open a socket where a
//! browser cannot send a header, and presence (the devices a user was active on lately). The
//! sockets themselves are the gateway's (`identity-gateway`).

mod model;
mod presence;
mod service;

/// Frames, close codes, client messages, socket grants, tickets and presence.
pub mod domain {
    pub use super::model::{
        Audience, ClientMessage, CloseCode, Frame, Push, SocketGrant, SocketOwner, TICKET_TTL, WsTicket,
    };
    pub use super::presence::{DevicePresence, HEARTBEAT_MIN_INTERVAL, Heartbeats, Presence, SESSION_TOUCH_INTERVAL};
}

/// The real-time use cases.
pub mod usecases {
    pub use super::service::RealtimeService;
}
