//! Audit: the append-only record of who did what, and its searches.

mod model;
mod service;
mod store;

/// Audit entries and their filter.
pub mod domain {
    pub use super::model::{AuditEntry, AuditFilter, AuditRecord};
}

/// What the audit needs of a store (entries are written through
/// [`JournalWrites`](crate::ports::JournalWrites)).
pub mod ports {
    pub use super::store::AuditRepository;
}

/// The audit use cases.
pub mod usecases {
    pub use super::service::{AUDIT_CURSOR_PATTERN, AuditQuery, AuditService};
}
