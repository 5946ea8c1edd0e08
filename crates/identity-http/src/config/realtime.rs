//! The WebSocket gateway (`WS_*`): pings, frame size, send buffer, socket limits.

use super::{ConfigError, Reader};

/// The gateway's bounds, as `identity-gateway` takes them.
pub type RealtimeConfig = identity_gateway::GatewaySettings;

pub(super) fn read(r: &Reader<'_>) -> Result<RealtimeConfig, ConfigError> {
    Ok(RealtimeConfig {
        ping_interval: std::time::Duration::from_millis(r.number("WS_PING_INTERVAL_MS", 30_000, 10, 600_000)?),
        max_frame_bytes: r.number("WS_MAX_FRAME_BYTES", 4096, 128, 1024 * 1024)?,
        send_buffer: r.number("WS_SEND_BUFFER_FRAMES", 64, 1, 10_000)?,
        max_per_user: r.number("WS_MAX_SOCKETS_PER_USER", 16, 1, 10_000)?,
        max_sockets: r.number("WS_MAX_SOCKETS", 10_000, 1, 1_000_000)?,
    })
}
