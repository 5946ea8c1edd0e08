//! The authenticated reverse proxy (`PROXY_ROUTES`, issue 21 point 5): requests under a
//! configured path prefix go to a feature service, with who the caller is in `X-User-*`
//! headers.
//!
//! This crate moves requests; it does not decide who may pass. The server (identity-http)
//! authenticates the caller as on every route and asks core whether they hold the route's app
//! ([`Route::app`]), then hands the request here:
//!
//! - [`routes`]: the `PROXY_ROUTES` grammar and the longest-prefix match;
//! - [`headers`]: what is stripped and injected in each direction;
//! - [`forward`]: the streaming forward with its timeouts.

pub mod forward;
pub mod headers;
pub mod routes;

pub use forward::{Proxied, Proxy, ProxyError, Settings};
pub use headers::{Forwarded, Identity, Outgoing};
pub use routes::{Route, RouteError, Routes};
