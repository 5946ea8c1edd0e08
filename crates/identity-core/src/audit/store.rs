//! The audit port: reads of the audit log (entries are written through
//! [`JournalWrites`](crate::ports::JournalWrites)).

use async_trait::async_trait;

use crate::ports::RepoError;

/// Reads of the audit log.
#[async_trait]
pub trait AuditRepository: Send + Sync + 'static {
    /// Entries matching `filter`, newest first, at most `filter.limit`.
    async fn list_audit(
        &self,
        filter: &crate::domain::AuditFilter,
    ) -> Result<Vec<crate::domain::AuditRecord>, RepoError>;
}
