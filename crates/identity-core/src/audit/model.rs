use std::net::IpAddr;

use chrono::{DateTime, Utc};

use crate::domain::UserId;

/// One security event for the append-only audit log, written in the same transaction as
/// the change it records.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// Who did it (`None`: someone not signed in, or the system).
    pub actor: Option<UserId>,
    /// Whose account it concerns.
    pub subject: Option<UserId>,
    /// `user.registered`, `login.failed`, `password.changed`, … (see docs/operations.md).
    pub action: &'static str,
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub metadata: serde_json::Value,
    pub at: DateTime<Utc>,
}

/// A stored audit entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    /// Increasing with time; the cursor of audit pages.
    pub id: i64,
    pub actor: Option<UserId>,
    pub subject: Option<UserId>,
    pub action: String,
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub metadata: serde_json::Value,
    pub at: DateTime<Utc>,
}

/// Which audit entries to list (all conditions must hold), newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    pub subject: Option<UserId>,
    pub actor: Option<UserId>,
    pub action: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Only entries with an id below this (the cursor).
    pub before_id: Option<i64>,
    pub limit: usize,
}
