use chrono::{DateTime, Utc};
use uuid::Uuid;

use std::sync::Arc;

use crate::authz::{Need, authorize};
use crate::domain::{AuditFilter, AuditRecord, FieldError, UserId, ValidationErrors};
use crate::ports::AuditRepository;
use crate::usecases::{Authenticated, CoreError, Page, page_request};

/// Filters of the admin audit search (all optional).
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub subject: Option<Uuid>,
    pub actor: Option<Uuid>,
    pub action: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

/// The cursors of audit pages, as the OpenAPI document's pattern: empty (the first page) or
/// the number of the last entry of the page before.
pub const AUDIT_CURSOR_PATTERN: &str = "^(-?[0-9]{1,18})?$";

fn before_id(cursor: Option<&str>) -> Result<Option<i64>, CoreError> {
    match cursor.filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(raw) => raw.parse::<i64>().map(Some).map_err(|_| {
            ValidationErrors::single(FieldError::new("cursor", "invalid_cursor", "this cursor is not one we issued"))
                .into()
        }),
    }
}

/// The audit log: the caller's own security events, and the admin search.
#[derive(Clone)]
pub struct AuditService {
    pub(crate) audit: Arc<dyn AuditRepository>,
}

impl AuditService {
    /// The caller's own security events, newest first.
    pub async fn own_audit(
        &self,
        auth: &Authenticated,
        limit: Option<usize>,
        cursor: Option<&str>,
    ) -> Result<Page<AuditRecord>, CoreError> {
        let (limit, request) = page_request(limit, None)?;
        let filter = AuditFilter {
            subject: Some(auth.user.id),
            before_id: before_id(cursor)?,
            limit: request.limit,
            ..AuditFilter::default()
        };
        Ok(Page::from_fetched(self.audit.list_audit(&filter).await?, limit, |e| e.id.to_string()))
    }

    /// Every audit entry matching `query` (admins only), newest first.
    pub async fn search_audit(&self, auth: &Authenticated, query: AuditQuery) -> Result<Page<AuditRecord>, CoreError> {
        authorize(auth, Need::ADMIN)?;
        if let Some(action) = &query.action {
            crate::domain::single_line("action", action).map_err(ValidationErrors::single)?;
        }
        let (limit, request) = page_request(query.limit, None)?;
        let filter = AuditFilter {
            subject: query.subject.map(UserId::from_uuid),
            actor: query.actor.map(UserId::from_uuid),
            action: query.action.filter(|a| !a.is_empty()),
            since: query.since,
            until: query.until,
            before_id: before_id(query.cursor.as_deref())?,
            limit: request.limit,
        };
        Ok(Page::from_fetched(self.audit.list_audit(&filter).await?, limit, |e| e.id.to_string()))
    }
}
