use uuid::Uuid;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::domain::{Device, DeviceId, RevocationReason, Session, SessionId, ValidationErrors};
use crate::kernel::context::{Context, Revoker};
use crate::ports::{
    AccessClaims, ClientInfo, PageRequest, RevocationList, SessionRepository, SessionSelector, TokenIssuer, UnitOfWork,
    UserRepository,
};
use crate::usecases::{Authenticated, CoreError};

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
    pub(crate) fn from_fetched(mut items: Vec<T>, limit: usize, cursor: impl Fn(&T) -> String) -> Self {
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(cursor)
        } else {
            None
        };
        Self { items, next_cursor }
    }
}

/// The cursors [`page_request`] takes, as the OpenAPI document's pattern: empty (the first
/// page) or the UUID of the last item of the page before. Any UUID is a valid position.
pub const PAGE_CURSOR_PATTERN: &str =
    "^([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})?$";

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

/// Who the caller is (access tokens), and the caller's sessions and devices.
#[derive(Clone)]
pub struct SessionService {
    pub(crate) ctx: Context,
    pub(crate) users: Arc<dyn UserRepository>,
    pub(crate) sessions: Arc<dyn SessionRepository>,
    pub(crate) uow: Arc<dyn UnitOfWork>,
    pub(crate) tokens: Arc<dyn TokenIssuer>,
    pub(crate) revocations: Arc<dyn RevocationList>,
    pub(crate) revoker: Revoker,
}

impl SessionService {
    /// How far ahead of this clock an access token's `iat` may be: replicas' clocks drift a
    /// little; a token issued further ahead was not issued by a replica of ours.
    pub const ACCESS_TOKEN_MAX_CLOCK_SKEW_SECONDS: i64 = 60;

    /// Whether the times of `claims` are ones this service gives its tokens: issued no later
    /// than [`Self::ACCESS_TOKEN_MAX_CLOCK_SKEW_SECONDS`] ahead of `now`, valid for no longer
    /// than `access_token_ttl` from issue (shorter is fine: a token ends with its session),
    /// and valid at `now`. So no token accepted at `now` outlives `now + ttl + skew`.
    fn token_times_acceptable(&self, claims: &AccessClaims, now: DateTime<Utc>) -> bool {
        let skew = chrono::Duration::seconds(Self::ACCESS_TOKEN_MAX_CLOCK_SKEW_SECONDS);
        claims.iat <= now + skew
            && claims.exp - claims.iat <= self.ctx.settings.access_token_ttl
            && claims.nbf <= now
            && now < claims.exp
    }

    /// Checks an access token: it must verify, have coherent times and be within its validity
    /// window, belong to a live session (not revoked, expired or idle: [`Session::is_live`])
    /// of the token's user, who must be active.
    ///
    /// The session is read with its user in one read ([`SessionRepository::find_session_with_user`]):
    /// the store's `revoked_at` is the revocation check, exact on every replica the moment the
    /// revocation commits, and it costs no round trip beyond the user's read.
    pub async fn authenticate(&self, token: &str) -> Result<Authenticated, CoreError> {
        let claims = self.tokens.verify(token)?;
        let now = self.ctx.now();
        if !self.token_times_acceptable(&claims, now) {
            return Err(CoreError::Unauthenticated);
        }
        let (session, user) =
            self.sessions.find_session_with_user(claims.sid).await?.ok_or(CoreError::Unauthenticated)?;
        if session.user_id != claims.sub
            || !session.is_live(now, self.ctx.settings.session_idle_timeout)
            || !user.is_active()
        {
            return Err(CoreError::Unauthenticated);
        }
        Ok(Authenticated { user, session, claims, client: ClientInfo::default(), at: now })
    }

    /// `GET /v1/auth/me`: the caller's current session, as [`Self::authenticate`] read it,
    /// still live now.
    pub async fn current_user(&self, auth: &Authenticated) -> Result<Session, CoreError> {
        if auth.session.user_id != auth.user.id
            || !auth.session.is_live(self.ctx.now(), self.ctx.settings.session_idle_timeout)
        {
            return Err(CoreError::Unauthenticated);
        }
        Ok(auth.session.clone())
    }

    /// Ends the caller's current session.
    pub async fn logout(&self, auth: &Authenticated) -> Result<(), CoreError> {
        self.revoke(auth, SessionSelector::One(auth.claims.sid), RevocationReason::Logout).await.map(|_| ())
    }

    /// Ends every session of the caller, this one included.
    pub async fn logout_all(&self, auth: &Authenticated) -> Result<usize, CoreError> {
        self.revoke(auth, SessionSelector::All, RevocationReason::LogoutAll).await.map(|r| r.len())
    }

    /// Ends the caller's sessions picked by `selector`, with events and an audit entry.
    async fn revoke(
        &self,
        auth: &Authenticated,
        selector: SessionSelector,
        reason: RevocationReason,
    ) -> Result<Vec<Session>, CoreError> {
        self.revoker.revoke_for(auth, &auth.user, selector, reason).await
    }

    /// The caller's live sessions, newest first.
    pub async fn list_sessions(
        &self,
        auth: &Authenticated,
        limit: Option<usize>,
        cursor: Option<&str>,
    ) -> Result<Page<Session>, CoreError> {
        let (limit, request) = page_request(limit, cursor)?;
        let idle_timeout = self.ctx.settings.session_idle_timeout;
        let items = self.sessions.list_live_sessions(auth.user.id, self.ctx.now(), idle_timeout, request).await?;
        Ok(Page::from_fetched(items, limit, |s| s.id.as_uuid().simple().to_string()))
    }

    /// Ends one of the caller's sessions. Someone else's session is "not found".
    pub async fn revoke_session(&self, auth: &Authenticated, id: Uuid) -> Result<(), CoreError> {
        let id = SessionId::from_uuid(id);
        let session = self.sessions.find_session(id).await?;
        if !session.is_some_and(|s| {
            s.user_id == auth.user.id && s.is_live(self.ctx.now(), self.ctx.settings.session_idle_timeout)
        }) {
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
        let items = self.sessions.list_devices(auth.user.id, request).await?;
        Ok(Page::from_fetched(items, limit, |d| d.id.as_uuid().simple().to_string()))
    }

    async fn own_device(&self, auth: &Authenticated, id: Uuid) -> Result<Device, CoreError> {
        self.sessions
            .find_device(DeviceId::from_uuid(id))
            .await?
            .filter(|d| d.user_id == auth.user.id)
            .ok_or(CoreError::NotFound)
    }

    pub async fn rename_device(&self, auth: &Authenticated, id: Uuid, name: &str) -> Result<Device, CoreError> {
        let name = Device::parse_name("name", name).map_err(ValidationErrors::single)?;
        let mut device = self.own_device(auth, id).await?;
        device.name = Some(name);
        let mut tx = self.uow.begin().await?;
        tx.sessions().update_device(&device).await?;
        tx.commit().await?;
        Ok(device)
    }

    /// Forgets a device and ends its sessions.
    pub async fn delete_device(&self, auth: &Authenticated, id: Uuid) -> Result<(), CoreError> {
        let device = self.own_device(auth, id).await?;
        let now = self.ctx.now();
        let mut tx = self.uow.begin().await?;
        let revoked = tx
            .sessions()
            .revoke_sessions(auth.user.id, SessionSelector::Device(device.id), now, RevocationReason::DeviceRemoved)
            .await?;
        tx.journal()
            .record_events(&self.ctx.revoked_events(&auth.user, &revoked, RevocationReason::DeviceRemoved))
            .await?;
        tx.sessions().delete_device(device.id).await?;
        let ids: Vec<Uuid> = revoked.iter().map(|s| s.id.as_uuid()).collect();
        let metadata = serde_json::json!({ "device_id": device.id.as_uuid(), "sessions": ids });
        let entry =
            self.ctx.audit_entry("device.removed", Some(auth.user.id), Some(auth.user.id), &auth.client, metadata);
        self.revoker.finish(tx, &[], entry, &revoked).await?;
        Ok(())
    }
}
