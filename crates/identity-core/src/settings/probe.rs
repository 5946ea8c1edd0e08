//! The connection check of a settings namespace.

use std::time::Duration;

use async_trait::async_trait;

use crate::domain::settings::SecretValue;

/// A request of a connection check (`POST /v1/admin/settings/{namespace}/test`).
#[derive(Clone, PartialEq, Eq)]
pub struct ProbeRequest {
    pub url: String,
    /// Header names and values; values may hold secrets (never logged).
    pub headers: Vec<(String, SecretValue)>,
    pub timeout: Duration,
}

impl std::fmt::Debug for ProbeRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("ProbeRequest").field("url", &self.url).field("headers", &names).finish()
    }
}

/// How a connection check went at the HTTP level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeResponse {
    /// The server answered with this status.
    Status(u16),
    /// No answer: refused, unresolvable, TLS failure or timeout (a short reason).
    Failed(String),
}

/// Makes the `GET` of a connection check (no redirects are followed; the body is not read).
#[async_trait]
pub trait HttpProbe: Send + Sync + 'static {
    async fn get(&self, request: &ProbeRequest) -> ProbeResponse;
}
