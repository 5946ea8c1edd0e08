use uuid::Uuid;

use super::{AuthService, Authenticated, CoreError};
use crate::domain::{Device, DeviceId, RevocationReason, Session, SessionId, ValidationErrors};
use crate::ports::{ClientInfo, PageRequest, SessionSelector, Transaction};

/// One page of a list: `next_cursor` is set when more items follow.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Largest page a client may ask for; the default is 50.
pub const MAX_PAGE: usize = 100;

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched items; `cursor` names the last item kept.
    pub(super) fn from_fetched(mut items: Vec<T>, limit: usize, cursor: impl Fn(&T) -> String) -> Self {
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(cursor)
        } else {
            None
        };
        Self { items, next_cursor }
    }
}

/// Parses `?limit=&cursor=` into a request for `limit + 1` items.
pub fn page_request(limit: Option<usize>, cursor: Option<&str>) -> Result<(usize, PageRequest), CoreError> {
    let limit = limit.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ValidationErrors::single(crate::domain::FieldError::new(
            "limit",
            "out_of_range",
            format!("limit is between 1 and {MAX_PAGE}"),
        ))
        .into());
    }
    let after = match cursor.filter(|c| !c.is_empty()) {
        Some(raw) => Some(Uuid::try_parse(raw).map_err(|_| {
            ValidationErrors::single(crate::domain::FieldError::new(
                "cursor",
                "invalid_cursor",
                "this cursor is not one we issued",
            ))
        })?),
        None => None,
    };
    Ok((limit, PageRequest { limit: limit + 1, after }))
}

impl AuthService {
    /// The caller's live sessions, newest first.
    pub async fn list_sessions(
        &self,
        auth: &Authenticated,
        limit: Option<usize>,
        cursor: Option<&str>,
    ) -> Result<Page<Session>, CoreError> {
        let (limit, request) = page_request(limit, cursor)?;
        let idle_timeout = self.settings.session_idle_timeout;
        let items = self.ports.sessions.list_live_sessions(auth.user.id, self.now(), idle_timeout, request).await?;
        Ok(Page::from_fetched(items, limit, |s| s.id.as_uuid().simple().to_string()))
    }

    /// Ends one of the caller's sessions. Someone else's session is "not found".
    pub async fn revoke_session(&self, auth: &Authenticated, id: Uuid) -> Result<(), CoreError> {
        let id = SessionId::from_uuid(id);
        let session = self.ports.sessions.find_session(id).await?;
        if !session
            .is_some_and(|s| s.user_id == auth.user.id && s.is_live(self.now(), self.settings.session_idle_timeout))
        {
            return Err(CoreError::NotFound);
        }
        self.revoke(auth, SessionSelector::One(id), RevocationReason::RevokedByUser).await?;
        Ok(())
    }

    /// The caller's devices, newest first.
    pub async fn list_devices(
        &self,
        auth: &Authenticated,
        limit: Option<usize>,
        cursor: Option<&str>,
    ) -> Result<Page<Device>, CoreError> {
        let (limit, request) = page_request(limit, cursor)?;
        let items = self.ports.sessions.list_devices(auth.user.id, request).await?;
        Ok(Page::from_fetched(items, limit, |d| d.id.as_uuid().simple().to_string()))
    }

    async fn own_device(&self, auth: &Authenticated, id: Uuid) -> Result<Device, CoreError> {
        self.ports
            .sessions
            .find_device(DeviceId::from_uuid(id))
            .await?
            .filter(|d| d.user_id == auth.user.id)
            .ok_or(CoreError::NotFound)
    }

    pub async fn rename_device(&self, auth: &Authenticated, id: Uuid, name: &str) -> Result<Device, CoreError> {
        let name = Device::parse_name("name", name).map_err(ValidationErrors::single)?;
        let mut device = self.own_device(auth, id).await?;
        device.name = Some(name);
        let mut tx = self.ports.uow.begin().await?;
        tx.update_device(&device).await?;
        tx.commit().await?;
        Ok(device)
    }

    /// Forgets a device and ends its sessions.
    pub async fn delete_device(&self, auth: &Authenticated, id: Uuid) -> Result<(), CoreError> {
        let device = self.own_device(auth, id).await?;
        let now = self.now();
        let mut tx = self.ports.uow.begin().await?;
        let revoked = tx
            .revoke_sessions(auth.user.id, SessionSelector::Device(device.id), now, RevocationReason::DeviceRemoved)
            .await?;
        tx.record_events(&self.revoked_events(&auth.user, &revoked, RevocationReason::DeviceRemoved.as_str())).await?;
        tx.delete_device(device.id).await?;
        let ids: Vec<Uuid> = revoked.iter().map(|s| s.id.as_uuid()).collect();
        let metadata = serde_json::json!({ "device_id": device.id.as_uuid(), "sessions": ids });
        let entry = self.audit_entry("device.removed", Some(auth.user.id), Some(auth.user.id), &auth.client, metadata);
        tx.record_audit(&entry).await?;
        tx.commit().await?;
        self.publish_revocations(&revoked).await?;
        Ok(())
    }
}

impl AuthService {
    /// A refresh found its session idle for `session_idle_timeout`: ends it in `tx` (reason
    /// `idle_timeout`, with its `session.revoked` event and audit entry) and commits. The
    /// refresh then answers as for any invalid refresh token.
    pub(super) async fn end_idle_session(
        &self,
        mut tx: Box<dyn Transaction>,
        session: &Session,
        client: &ClientInfo,
    ) -> Result<(), CoreError> {
        let reason = RevocationReason::IdleTimeout;
        let Some(user) = tx.lock_user(session.user_id).await? else {
            return Ok(());
        };
        let revoked = tx.revoke_sessions(user.id, SessionSelector::One(session.id), self.now(), reason).await?;
        tx.record_events(&self.revoked_events(&user, &revoked, reason.as_str())).await?;
        let ids: Vec<Uuid> = revoked.iter().map(|s| s.id.as_uuid()).collect();
        let metadata = serde_json::json!({ "reason": reason.as_str(), "sessions": ids });
        tx.record_audit(&self.audit_entry("session.revoked", None, Some(user.id), client, metadata)).await?;
        tx.commit().await?;
        self.publish_revocations(&revoked).await
    }
}
