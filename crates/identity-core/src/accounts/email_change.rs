//! Changing the account's address: asked for while signed in (with a recent sign-in), made by
//! the single-use link mailed to the new address.
//!
//! The pending change lives in the code store (no table): under the hex digest of the link's
//! token (`email-change:token:<digest>`, the token itself is never stored) the account, its
//! address when the change was asked for, the new address and the session that asked; and
//! under the account (`email-change:user:<id>`) the digest of its latest link, so only the
//! latest link works. Both live `EMAIL_VERIFICATION_TTL_SECONDS`. Confirming takes the token's
//! entry (atomically: of two confirmations one gets it), so a link works once.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use serde::{Deserialize, Serialize};

use crate::accounts::common::Accounts;
use crate::domain::{
    Email, EventType, FieldError, RevocationReason, SessionId, User, UserId, UserUpdatedData, ValidationErrors,
};
use crate::kernel::context::{Context, Mailer, Revoker};
use crate::kernel::{hex, link};
use crate::ports::{ClientInfo, CodeStore, Mail, SessionSelector, UnitOfWork};
use crate::usecases::{Authenticated, CoreError};

/// A change of address waiting for its link, as the code store keeps it.
#[derive(Serialize, Deserialize)]
struct Pending {
    user_id: uuid::Uuid,
    /// The address when the change was asked for: a link outlived by another change is void.
    old_email: String,
    new_email: String,
    /// The session that asked: the one the change leaves signed in.
    session_id: uuid::Uuid,
}

fn token_key(digest: &str) -> String {
    format!("email-change:token:{digest}")
}

fn latest_key(user: UserId) -> String {
    format!("email-change:user:{user}")
}

/// Changing the caller's address (`POST /v1/users/me/email`, `POST /v1/users/me/email/confirm`).
#[derive(Clone)]
pub struct EmailChangeService {
    pub(crate) ctx: Context,
    pub(crate) uow: Arc<dyn UnitOfWork>,
    pub(crate) accounts: Accounts,
    pub(crate) codes: Arc<dyn CodeStore>,
    pub(crate) revoker: Revoker,
    pub(crate) mailer: Mailer,
}

impl EmailChangeService {
    fn link_ttl(&self) -> StdDuration {
        self.ctx.settings.email_verification_ttl.to_std().unwrap_or(StdDuration::from_secs(86_400))
    }

    /// `POST /v1/users/me/email`: needs a recent sign-in. Mails a single-use link to
    /// `new_email` and a notice (naming the new address masked) to the current one. A taken
    /// address gets the same answer, after the same work, and the same mails: only the
    /// confirmation tells (409 `email_taken`), and only to whoever holds the link, that is the
    /// new mailbox. One request per account and one per new address per mail cooldown.
    /// Audited as `email.change_requested`.
    pub async fn request_email_change(&self, auth: &Authenticated, new_email: &str) -> Result<(), CoreError> {
        crate::authz::authorize(auth, self.ctx.recent_authentication())?;
        let user = &auth.user;
        let new_email = Email::parse_field("new_email", new_email).map_err(ValidationErrors::single)?;
        if new_email == user.email {
            return Err(ValidationErrors::single(FieldError::new(
                "new_email",
                "unchanged",
                "this is already the account's address",
            ))
            .into());
        }
        self.mailer.cooldown(&format!("email-change:cooldown:user:{}", user.id)).await?;
        self.mailer.cooldown(&format!("email-change:cooldown:{new_email}")).await?;

        let token = self.accounts.secrets.new_token();
        let digest = hex(&self.accounts.secrets.digest(&token).0);
        let pending = Pending {
            user_id: user.id.as_uuid(),
            old_email: user.email.as_str().to_owned(),
            new_email: new_email.as_str().to_owned(),
            session_id: auth.claims.sid.as_uuid(),
        };
        let json = serde_json::to_string(&pending).map_err(|e| CoreError::Internal(e.into()))?;
        let ttl = self.link_ttl();
        self.codes.put(&token_key(&digest), &json, ttl).await?;
        // Only the latest link works: an earlier one is void from now on.
        self.codes.put(&latest_key(user.id), &digest, ttl).await?;

        let mut tx = self.uow.begin().await?;
        let confirm = Mail::EmailChangeConfirm {
            to: new_email.clone(),
            link: link(&self.ctx.settings.email_change_url_template, &token),
            ttl_minutes: ttl.as_secs().div_ceil(60),
        };
        self.mailer.send_in(tx.as_mut(), confirm).await?;
        let notice = Mail::EmailChangeNotice { to: user.email.clone(), new_email: new_email.masked() };
        self.mailer.send_in(tx.as_mut(), notice).await?;
        let metadata = serde_json::json!({ "new_email": new_email.as_str() });
        let entry =
            self.ctx.audit_entry("email.change_requested", Some(user.id), Some(user.id), &auth.client, metadata);
        self.ctx.finish(tx, &[], entry).await
    }

    /// `POST /v1/users/me/email/confirm`: the token from the link alone proves the change (no
    /// sign-in needed: the link may be opened on another device). Takes the token (it works
    /// once), switches the address, marks it verified and ends every session of the account
    /// but the one that asked for the change. `InvalidToken` for an unknown, expired, used or
    /// superseded token, or one for an address the account no longer has; `EmailTaken` when
    /// another account has the new address by now. Emits `user.updated` (`changed:
    /// ["email"]`) and audits `email.changed`.
    pub async fn confirm_email_change(&self, token: &str, client: &ClientInfo) -> Result<User, CoreError> {
        let token = token.trim();
        if token.is_empty() {
            return Err(ValidationErrors::single(FieldError::new(
                "token",
                "required",
                "the token from the mail is required",
            ))
            .into());
        }
        let digest = hex(&self.accounts.secrets.digest(token).0);
        let Some(json) = self.codes.take(&token_key(&digest)).await? else {
            return Err(CoreError::InvalidToken);
        };
        let pending: Pending = serde_json::from_str(&json).map_err(|e| CoreError::Internal(e.into()))?;
        let user_id = UserId::from_uuid(pending.user_id);
        let latest = self.codes.get(&latest_key(user_id)).await?;
        if !latest.is_some_and(|latest| self.accounts.secrets.equal(&latest, &digest)) {
            return Err(CoreError::InvalidToken);
        }
        self.codes.delete(&latest_key(user_id)).await?;
        let new_email = Email::from_trusted(pending.new_email);
        // Checked before the transaction; the unique constraint decides a race with a
        // registration of the address.
        if self.accounts.users.find_by_email(&new_email).await?.is_some() {
            return Err(CoreError::EmailTaken);
        }

        let now = self.ctx.now();
        let mut tx = self.uow.begin().await?;
        let mut user = tx.users().lock_user(user_id).await?.ok_or(CoreError::InvalidToken)?;
        if !user.is_active() || user.email.as_str() != pending.old_email {
            return Err(CoreError::InvalidToken);
        }
        let old_email = std::mem::replace(&mut user.email, new_email);
        user.email_verified = true;
        user.updated_at = now;
        tx.users().update_user(&user).await?;
        let keep = SessionId::from_uuid(pending.session_id);
        let reason = RevocationReason::EmailChanged;
        let revoked = tx.sessions().revoke_sessions(user.id, SessionSelector::AllExcept(keep), now, reason).await?;
        let mut events = self.ctx.revoked_events(&user, &revoked, reason);
        events.push(self.ctx.event(
            EventType::UserUpdated,
            user.id.as_uuid(),
            &user,
            &UserUpdatedData { user_id: user.id.as_uuid(), changed: vec!["email".to_owned()], updated_at: now },
        ));
        let metadata = serde_json::json!({
            "old_email": old_email.as_str(),
            "new_email": user.email.as_str(),
            "sessions_revoked": revoked.len(),
        });
        let entry = self.ctx.audit_entry("email.changed", None, Some(user.id), client, metadata);
        // The mailed link proved the new address.
        self.accounts.grant_bootstrap_admin(tx.as_mut(), &mut user, client).await?;
        self.revoker.finish(tx, &events, entry, &revoked).await?;
        Ok(user)
    }
}
