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
}

impl SessionStoreRevocations {
    pub fn new(sessions: Arc<dyn SessionRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { sessions, clock }
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
        Ok(!session.is_some_and(|s| s.is_live(self.clock.now())))
    }
}
