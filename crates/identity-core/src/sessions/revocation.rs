use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::domain::SessionId;
use crate::ports::{Clock, RepoError, RevocationList, SessionRepository};

/// The revocation list when no shared cache is configured: asks the session store itself
/// (one read per authenticated request), so revocations still reach every replica at once.
pub struct SessionStoreRevocations {
    sessions: Arc<dyn SessionRepository>,
    clock: Arc<dyn Clock>,
    idle_timeout: Option<chrono::Duration>,
}

impl SessionStoreRevocations {
    pub fn new(sessions: Arc<dyn SessionRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { sessions, clock, idle_timeout: None }
    }

    /// Counts sessions idle for `idle_timeout` as revoked too (`SESSION_IDLE_TIMEOUT_SECONDS`).
    pub fn with_idle_timeout(mut self, idle_timeout: Option<chrono::Duration>) -> Self {
        self.idle_timeout = idle_timeout;
        self
    }
}

#[async_trait]
impl RevocationList for SessionStoreRevocations {
    async fn revoke(&self, _session: SessionId, _ttl: Duration) -> Result<(), RepoError> {
        // The store already holds `revoked_at`; nothing else to remember.
        Ok(())
    }

    async fn is_revoked(&self, session: SessionId) -> Result<bool, RepoError> {
        let session = self.sessions.find_session(session).await?;
        Ok(!session.is_some_and(|s| s.is_live(self.clock.now(), self.idle_timeout)))
    }
}
