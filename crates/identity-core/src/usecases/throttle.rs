//! The per-account failure counter: every check of a password — a login, or a
//! re-authentication of a signed-in user (password change, account deletion, and later
//! second factors) — counts its failures here, backs off and locks the same way.

use std::time::Duration as StdDuration;

use super::{AuthService, Authenticated, CoreError};
use crate::domain::{FieldError, PasswordPolicy, User, UserStatus, ValidationErrors};
use crate::ports::{ClientInfo, Mail, Verification};

/// Which account failures are counted for: a known account by its id (whether it was named
/// by address or by username), an unknown identifier by its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct AccountKey(String);

impl AccountKey {
    /// The counter of a known account.
    pub(super) fn of(user: &User) -> Self {
        Self(format!("user:{}", user.id.as_uuid().simple()))
    }
}

impl AuthService {
    /// The counter of the account `identifier` names: `user`'s when it names one.
    pub(super) fn account_key(&self, user: Option<&User>, identifier: &str) -> AccountKey {
        match user {
            Some(user) => AccountKey::of(user),
            None => AccountKey(format!("id:{}", self.identifier_key(identifier))),
        }
    }

    /// How long the account must still wait before its next attempt, if it must.
    pub(super) async fn backoff(&self, account: &AccountKey) -> Result<Option<StdDuration>, CoreError> {
        Ok(self.ports.codes.time_to_live(&format!("login:backoff:{}", account.0)).await?)
    }

    /// Counts a failed check of `account`'s password: past `login_backoff_after` failures the
    /// next attempt must wait (doubling up to `login_backoff_max`); at `lockout_threshold` an
    /// existing active account is locked for `lockout_duration` and its owner told by mail.
    pub(super) async fn count_failure(
        &self,
        account: &AccountKey,
        user: Option<&User>,
        client: &ClientInfo,
    ) -> Result<(), CoreError> {
        let window = self.settings.login_failure_window.to_std().unwrap_or(StdDuration::from_secs(900));
        let failures = self.ports.codes.increment(&format!("login:failures:{}", account.0), window).await?;
        let failures = u32::try_from(failures).unwrap_or(u32::MAX);
        let after = self.settings.login_backoff_after;
        if after > 0 && failures >= after {
            let exponent = (failures - after).min(20);
            let max = self.settings.login_backoff_max.to_std().unwrap_or(StdDuration::from_secs(900));
            let wait = StdDuration::from_secs(1u64 << exponent).min(max);
            self.ports.codes.put(&format!("login:backoff:{}", account.0), "1", wait).await?;
        }
        let threshold = self.settings.lockout_threshold;
        if let Some(user) = user.filter(|u| threshold > 0 && failures >= threshold && u.status == UserStatus::Active) {
            let now = self.now();
            let mut tx = self.ports.uow.begin().await?;
            let Some(mut locked) = tx.lock_user(user.id).await? else { return Ok(()) };
            // An admin's lock or a running lock-out stays as it is; an expired lock-out locks again.
            let expired = locked.status == UserStatus::Locked && locked.locked_until.is_some_and(|until| until <= now);
            if locked.status != UserStatus::Active && !expired {
                return Ok(());
            }
            locked.status = UserStatus::Locked;
            locked.locked_until = Some(now + self.settings.lockout_duration);
            locked.updated_at = now;
            tx.update_user(&locked).await?;
            let metadata = serde_json::json!({ "failures": failures, "locked_until": locked.locked_until });
            tx.record_audit(&self.audit_entry("account.locked", None, Some(locked.id), client, metadata)).await?;
            tx.commit().await?;
            let minutes = u64::try_from(self.settings.lockout_duration.num_minutes()).unwrap_or(15);
            self.send(Mail::AccountLocked { to: locked.email.clone(), minutes }).await;
        }
        Ok(())
    }

    /// Forgets the failures of `account` (after a success, or a password reset).
    pub(super) async fn clear_failures(&self, account: &AccountKey) -> Result<(), CoreError> {
        self.ports.codes.delete(&format!("login:failures:{}", account.0)).await?;
        self.ports.codes.delete(&format!("login:backoff:{}", account.0)).await?;
        Ok(())
    }

    /// Checks the signed-in caller's password again before a sensitive change (`purpose`, e.g.
    /// `password.change`). A wrong password is a 422 on `field`, counted like a failed login
    /// (back-off, lock-out) and audited as `reauth.failed`; while the account must wait, the
    /// check is refused with `LoginThrottled` before any hashing.
    pub(super) async fn reauthenticate_with_password(
        &self,
        auth: &Authenticated,
        field: &'static str,
        password: &str,
        purpose: &'static str,
    ) -> Result<(), CoreError> {
        let account = AccountKey::of(&auth.user);
        if let Some(wait) = self.backoff(&account).await? {
            self.audit_reauth_failure(auth, purpose, "throttled").await?;
            return Err(CoreError::LoginThrottled { retry_after_secs: wait.as_secs().max(1) });
        }
        let candidate = PasswordPolicy::candidate(password);
        match self.ports.hasher.verify(&candidate, &auth.user.password_hash).await? {
            Verification::Valid { .. } => {
                self.clear_failures(&account).await?;
                Ok(())
            }
            Verification::Invalid => {
                self.audit_reauth_failure(auth, purpose, "invalid_password").await?;
                self.count_failure(&account, Some(&auth.user), &auth.client).await?;
                Err(ValidationErrors::single(FieldError::new(field, "incorrect", "the password is not correct")).into())
            }
        }
    }

    async fn audit_reauth_failure(
        &self,
        auth: &Authenticated,
        purpose: &'static str,
        reason: &'static str,
    ) -> Result<(), CoreError> {
        let metadata = serde_json::json!({ "purpose": purpose, "reason": reason });
        let entry = self.audit_entry("reauth.failed", Some(auth.user.id), Some(auth.user.id), &auth.client, metadata);
        let mut tx = self.ports.uow.begin().await?;
        tx.record_audit(&entry).await?;
        tx.commit().await?;
        Ok(())
    }
}
