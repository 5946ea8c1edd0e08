//! Passwords: forgotten (a mailed link), reset with the link, and changed while signed in.

use std::sync::Arc;

use crate::accounts::common::Accounts;
use crate::domain::{
    Email, EventType, FieldError, OneTimePurpose, PasswordChangedData, PasswordContext, PasswordPolicy,
    RevocationReason, Session, User, UserId, UserStatus, ValidationErrors,
};
use crate::kernel::context::{Context, Mailer, Revoker};
use crate::kernel::throttle::{AccountKey, AuthFlow, Limited, Throttle};
use crate::ports::{ClientInfo, LoginAttempt, Mail, PasswordHasher, SessionSelector, UnitOfWork};
use crate::usecases::{Authenticated, CoreError};

/// Forgotten, reset and changed passwords.
#[derive(Clone)]
pub struct PasswordService {
    pub(crate) ctx: Context,
    pub(crate) uow: Arc<dyn UnitOfWork>,
    pub(crate) hasher: Arc<dyn PasswordHasher>,
    pub(crate) accounts: Accounts,
    pub(crate) throttle: Throttle,
    pub(crate) revoker: Revoker,
    pub(crate) mailer: Mailer,
}

impl PasswordService {
    /// `POST /v1/auth/password/forgot`: mails a single-use reset link when the address has an
    /// active or a locked-out account (a reset is how its owner gets back in). The answer is
    /// the same either way, after the same work: both paths write one transaction with the
    /// same statements and an audit entry.
    pub async fn forgot_password(&self, email: &str, client: &ClientInfo) -> Result<Limited<()>, CoreError> {
        self.throttle.guard(AuthFlow::PasswordReset, client, Some(email), self.forgot_unguarded(email, client)).await
    }

    async fn forgot_unguarded(&self, email: &str, client: &ClientInfo) -> Result<(), CoreError> {
        let email = Email::parse(email).map_err(ValidationErrors::single)?;
        self.mailer.reset_link_cooldown(&email).await?;
        match self.accounts.users.find_by_email(&email).await? {
            Some(user) if user.may_reset_password() => self.send_reset_link(&user, None, client).await,
            _ => self.reset_link_for_nobody(&email, client).await,
        }
    }

    /// The work of [`Self::send_reset_link`] for an address with no account that may reset,
    /// statement for statement: a token made and digested, the same voiding update (it matches
    /// no row), a row in place of the token's (the probe, as a failed `login_attempts` row:
    /// someone asked for a link to an address with no account) and an audit entry, in one
    /// transaction; no mail and nothing a link could redeem.
    async fn reset_link_for_nobody(&self, email: &Email, client: &ClientInfo) -> Result<(), CoreError> {
        let token = self.accounts.secrets.new_token();
        let _ = self.accounts.secrets.digest(&token);
        let nobody = UserId::from_uuid(self.ctx.new_id());
        let now = self.ctx.now();
        let mut tx = self.uow.begin().await?;
        tx.one_time_tokens().consume_one_time_tokens(nobody, OneTimePurpose::ResetPassword, now).await?;
        tx.journal()
            .record_login_attempt(&LoginAttempt {
                user_id: None,
                identifier: email.as_str().to_owned(),
                ip: client.ip,
                user_agent: client.user_agent.as_deref().map(Session::clip_user_agent),
                success: false,
                reason: "password_reset_unknown_account",
                at: now,
            })
            .await?;
        let metadata = serde_json::json!({ "account": false });
        self.ctx
            .finish(tx, &[], self.ctx.audit_entry("password.reset_requested", None, None, client, metadata))
            .await?;
        Ok(())
    }

    /// `POST /v1/auth/password/reset/request`: the signed-in variant, to the caller's address.
    pub async fn request_password_reset(&self, auth: &Authenticated) -> Result<(), CoreError> {
        self.mailer.reset_link_cooldown(&auth.user.email).await?;
        self.send_reset_link(&auth.user, Some(auth.user.id), &auth.client).await
    }

    async fn send_reset_link(&self, user: &User, actor: Option<UserId>, client: &ClientInfo) -> Result<(), CoreError> {
        let mut tx = self.uow.begin().await?;
        let mail = self.accounts.reset_link_mail(tx.as_mut(), user).await?;
        self.mailer.send_in(tx.as_mut(), mail).await?;
        let metadata = serde_json::json!({ "account": true });
        let entry = self.ctx.audit_entry("password.reset_requested", actor, Some(user.id), client, metadata);
        self.ctx.finish(tx, &[], entry).await?;
        Ok(())
    }

    /// `POST /v1/auth/password/reset`: consumes the token once, stores the new password and
    /// ends every session. Using the link also proves the address, so it becomes verified.
    pub async fn reset_password(
        &self,
        token: &str,
        new_password: &str,
        client: &ClientInfo,
    ) -> Result<User, CoreError> {
        let mut errors = ValidationErrors::new();
        if token.trim().is_empty() {
            errors.push(FieldError::new("token", "required", "the token from the mail is required"));
        }
        if new_password.is_empty() {
            errors.push(FieldError::new("new_password", "required", "a new password is required"));
        }
        errors.into_result()?;
        let digest = self.accounts.secrets.digest(token.trim());
        let now = self.ctx.now();
        let mut tx = self.uow.begin().await?;
        let record = tx.one_time_tokens().lock_one_time_token(OneTimePurpose::ResetPassword, &digest).await?;
        let Some(record) = record.filter(|t| t.consumed_at.is_none() && t.expires_at > now) else {
            return Err(CoreError::InvalidToken);
        };
        let mut user = tx.users().lock_user(record.user_id).await?.ok_or(CoreError::InvalidToken)?;
        if !user.may_reset_password() || record.email.as_ref() != Some(&user.email) {
            return Err(CoreError::InvalidToken);
        }
        let password = self
            .ctx
            .settings
            .password_policy
            .check("new_password", new_password, PasswordContext::of(&user))
            .map_err(ValidationErrors::single)?;
        user.password_hash = self.hasher.hash(&password).await?;
        user.email_verified = true;
        user.updated_at = now;
        // Proving the address ends a lock-out (not an admin's lock: that account cannot reset).
        let unlocked = user.status == UserStatus::Locked;
        if unlocked {
            user.set_status(UserStatus::Active, now);
            user.locked_until = None;
        }
        tx.users().update_user(&user).await?;
        tx.one_time_tokens().consume_one_time_tokens(user.id, OneTimePurpose::ResetPassword, now).await?;
        let revoked =
            tx.sessions().revoke_sessions(user.id, SessionSelector::All, now, RevocationReason::PasswordReset).await?;
        let mut events = self.ctx.revoked_events(&user, &revoked, RevocationReason::PasswordReset);
        events.push(self.ctx.event(
            EventType::PasswordChanged,
            user.id.as_uuid(),
            &user,
            &PasswordChangedData { user_id: user.id.as_uuid(), method: "reset", changed_at: now },
        ));
        let metadata = serde_json::json!({ "sessions_revoked": revoked.len(), "unlocked": unlocked });
        let entry = self.ctx.audit_entry("password.reset", None, Some(user.id), client, metadata);
        // The mailed link proved the address.
        self.accounts.grant_bootstrap_admin(tx.as_mut(), &mut user, client).await?;
        self.mailer.send_in(tx.as_mut(), Mail::PasswordChanged { to: user.email.clone() }).await?;
        self.revoker.finish(tx, &events, entry, &revoked).await?;
        // The failures that led to the lock-out are forgotten with it.
        self.throttle.clear_failures(&AccountKey::of(&user)).await?;
        Ok(user)
    }

    /// `POST /v1/auth/password/change`: needs the current password; ends every other session.
    pub async fn change_password(
        &self,
        auth: &Authenticated,
        current: &str,
        new_password: &str,
    ) -> Result<(), CoreError> {
        crate::authz::authorize(auth, self.ctx.recent_authentication())?;
        let mut errors = ValidationErrors::new();
        if current.is_empty() {
            errors.push(FieldError::new("current_password", "required", "the current password is required"));
        }
        let new = errors.collect(self.ctx.settings.password_policy.check(
            "new_password",
            new_password,
            PasswordContext::of(&auth.user),
        ));
        if !current.is_empty() && PasswordPolicy::same_password(current, new_password) {
            errors.push(FieldError::new("new_password", "unchanged", "the new password is the current one"));
        }
        errors.into_result()?;
        let Some(new) = new else {
            return Err(CoreError::Internal(anyhow::anyhow!("validated password lost")));
        };
        self.throttle.reauthenticate_with_password(auth, "current_password", current, "password.change").await?;
        let hash = self.hasher.hash(&new).await?;
        let now = self.ctx.now();
        let mut tx = self.uow.begin().await?;
        let mut user = tx.users().lock_user(auth.user.id).await?.ok_or(CoreError::Unauthenticated)?;
        if user.password_hash != auth.user.password_hash {
            // Changed meanwhile by another request: the current password we checked is stale.
            return Err(ValidationErrors::single(FieldError::new(
                "current_password",
                "incorrect",
                "the current password is not correct",
            ))
            .into());
        }
        user.password_hash = hash;
        user.updated_at = now;
        tx.users().update_user(&user).await?;
        let revoked = tx
            .sessions()
            .revoke_sessions(
                user.id,
                SessionSelector::AllExcept(auth.claims.sid),
                now,
                RevocationReason::PasswordChanged,
            )
            .await?;
        let mut events = self.ctx.revoked_events(&user, &revoked, RevocationReason::PasswordChanged);
        events.push(self.ctx.event(
            EventType::PasswordChanged,
            user.id.as_uuid(),
            &user,
            &PasswordChangedData { user_id: user.id.as_uuid(), method: "change", changed_at: now },
        ));
        let metadata = serde_json::json!({ "sessions_revoked": revoked.len() });
        self.mailer.send_in(tx.as_mut(), Mail::PasswordChanged { to: user.email.clone() }).await?;
        self.revoker
            .finish(
                tx,
                &events,
                self.ctx.audit_entry("password.changed", Some(user.id), Some(user.id), &auth.client, metadata),
                &revoked,
            )
            .await?;
        Ok(())
    }
}
