//! Real time (SPEC §3 "Real time"): what the WebSocket gateway pushes to whom. Which domain
//! events reach which user's sockets and as which frame (`{type, id, time, data}`), the close
//! codes, the messages a client may send, and the one-time tickets that open a socket where a
//! browser cannot send a header. The sockets themselves are the gateway's (`identity-gateway`).

mod model;
mod service;

/// Frames, close codes, client messages, socket grants and tickets.
pub mod domain {
    pub use super::model::{
        Audience, ClientMessage, CloseCode, Frame, Push, SocketGrant, SocketOwner, TICKET_TTL, WsTicket,
    };
}

/// The real-time use cases.
pub mod usecases {
    pub use super::service::RealtimeService;
}
