use std::sync::Arc;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::model::{SocketGrant, SocketOwner, TICKET_TTL, WsTicket};
use crate::domain::{SessionId, UserId};
use crate::kernel::Context;
use crate::ports::{CodeStore, Secrets};
use crate::usecases::{Authenticated, CoreError, SessionService};

/// Who may open a socket, for how long: the upgrade's authentication (a token, or a ticket
/// taken once), tickets, and the renewal of a socket's token.
#[derive(Clone)]
pub struct RealtimeService {
    pub(crate) ctx: Context,
    pub(crate) sessions: SessionService,
    pub(crate) codes: Arc<dyn CodeStore>,
    pub(crate) secrets: Arc<dyn Secrets>,
}

/// What a ticket holds in the code store (under its digest, never the ticket itself).
#[derive(Serialize, Deserialize)]
struct TicketValue {
    user_id: Uuid,
    session_id: Uuid,
    /// When the access token the ticket was asked with expires: the socket's grant.
    expires_at: chrono::DateTime<chrono::Utc>,
}

impl RealtimeService {
    /// The socket an authenticated caller may open: theirs, until their token expires.
    pub fn grant(&self, auth: &Authenticated) -> SocketGrant {
        SocketGrant {
            owner: SocketOwner { user_id: auth.user.id, session_id: auth.claims.sid },
            expires_at: auth.claims.exp,
        }
    }

    /// `POST /v1/ws/ticket`: a one-time ticket for the caller's session, valid for
    /// [`TICKET_TTL`].
    pub async fn issue_ticket(&self, auth: &Authenticated) -> Result<WsTicket, CoreError> {
        let ticket = self.secrets.new_token();
        let value = TicketValue {
            user_id: auth.user.id.as_uuid(),
            session_id: auth.claims.sid.as_uuid(),
            expires_at: auth.claims.exp,
        };
        let value = serde_json::to_string(&value).map_err(|e| CoreError::Internal(e.into()))?;
        self.codes.put(&self.ticket_key(&ticket), &value, TICKET_TTL).await?;
        let ttl = chrono::Duration::from_std(TICKET_TTL).unwrap_or_default();
        Ok(WsTicket { ticket, expires_at: self.ctx.now() + ttl })
    }

    /// The socket a ticket opens, once: taken atomically (of two uses one wins), then its
    /// session must still be live and its user active. Unknown, used or expired:
    /// `Unauthenticated`.
    pub async fn redeem_ticket(&self, ticket: &str) -> Result<SocketGrant, CoreError> {
        // A ticket is one line of token characters: anything else is a malformed query (422),
        // not a credential that failed.
        crate::domain::single_line("ticket", ticket).map_err(crate::domain::ValidationErrors::single)?;
        let value = self.codes.take(&self.ticket_key(ticket)).await?.ok_or(CoreError::Unauthenticated)?;
        let value: TicketValue = serde_json::from_str(&value).map_err(|_| CoreError::Unauthenticated)?;
        let owner = SocketOwner {
            user_id: UserId::from_uuid(value.user_id),
            session_id: SessionId::from_uuid(value.session_id),
        };
        if value.expires_at <= self.ctx.now() || self.sessions.revocations.is_revoked(owner.session_id).await? {
            return Err(CoreError::Unauthenticated);
        }
        let user = self.sessions.users.find_by_id(owner.user_id).await?.ok_or(CoreError::Unauthenticated)?;
        if !user.is_active() {
            return Err(CoreError::Unauthenticated);
        }
        Ok(SocketGrant { owner, expires_at: value.expires_at })
    }

    /// The socket an access token opens (the `Authorization` header or the access cookie).
    pub async fn open(&self, token: &str) -> Result<SocketGrant, CoreError> {
        let auth = self.sessions.authenticate(token).await?;
        Ok(self.grant(&auth))
    }

    /// A client's fresh token (`{"type":"auth","token":…}`): it must be valid and of the
    /// socket's own session; the socket then lives until it expires.
    pub async fn renew(&self, current: &SocketGrant, token: &str) -> Result<SocketGrant, CoreError> {
        let grant = self.open(token).await?;
        if grant.owner != current.owner {
            return Err(CoreError::Unauthenticated);
        }
        Ok(grant)
    }

    /// How long the socket may live on its grant, from now.
    pub fn lifetime(&self, grant: &SocketGrant) -> std::time::Duration {
        (grant.expires_at - self.ctx.now()).to_std().unwrap_or_default()
    }

    fn ticket_key(&self, ticket: &str) -> String {
        format!("ws-ticket:{}", crate::kernel::hex(&self.secrets.digest(ticket).0))
    }
}
