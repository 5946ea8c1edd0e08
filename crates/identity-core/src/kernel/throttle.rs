//! Throttling: the `auth` rate-limit bucket of every sign-in flow (SPEC §7), and the
//! per-account failure counter: every check of a password — a login, or a re-authentication
//! of a signed-in user (password change, account deletion, and later second factors) — counts
//! its failures here, backs off and locks the same way.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use crate::domain::{FieldError, User, UserStatus, ValidationErrors};
use crate::kernel::context::{Context, Mailer};
use crate::ports::{
    ClientInfo, CodeStore, LoginAttempt, Mail, PasswordHasher, RateDecision, RateLimiter, Secrets, UnitOfWork,
    Verification,
};
use crate::usecases::{Authenticated, CoreError};

/// What a flow answered, with the rate-limit decision it was admitted under (its
/// `RateLimit-*` headers go on the answer, success or error).
#[derive(Debug)]
pub struct Limited<T> {
    pub decision: RateDecision,
    pub outcome: Result<T, CoreError>,
}

/// The flows the `auth` bucket guards. Each has its own per-account budget, so one flow
/// aimed at an address (failed logins, say) never blocks another (registering it); the
/// per-client budget is shared by all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFlow {
    Login,
    Registration,
    Verification,
    PasswordReset,
}

impl AuthFlow {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Registration => "registration",
            Self::Verification => "verification",
            Self::PasswordReset => "password_reset",
        }
    }
}

/// Rate limits and failure counting, shared by every flow that checks a password or is
/// guarded by the `auth` bucket.
#[derive(Clone)]
pub(crate) struct Throttle {
    pub ctx: Context,
    pub codes: Arc<dyn CodeStore>,
    pub limiter: Arc<dyn RateLimiter>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub uow: Arc<dyn UnitOfWork>,
    pub secrets: Arc<dyn Secrets>,
    pub mailer: Mailer,
}

/// Which account failures are counted for: a known account by its id (whether it was named
/// by address or by username), an unknown identifier by its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AccountKey(String);

impl AccountKey {
    /// The counter of a known account.
    pub(crate) fn of(user: &User) -> Self {
        Self(format!("user:{}", user.id.as_uuid().simple()))
    }
}

impl Throttle {
    /// The counter of the account `identifier` names: `user`'s when it names one.
    pub(crate) fn account_key(&self, user: Option<&User>, identifier: &str) -> AccountKey {
        match user {
            Some(user) => AccountKey::of(user),
            None => AccountKey(format!("id:{}", self.identifier_key(identifier))),
        }
    }

    /// How long the account must still wait before its next attempt, if it must.
    pub(crate) async fn backoff(&self, account: &AccountKey) -> Result<Option<StdDuration>, CoreError> {
        Ok(self.codes.time_to_live(&format!("login:backoff:{}", account.0)).await?)
    }

    /// Counts a failed check of `account`'s password: past `login_backoff_after` failures the
    /// next attempt must wait (doubling up to `login_backoff_max`); at `lockout_threshold` an
    /// existing active account is locked for `lockout_duration` and its owner told by mail.
    pub(crate) async fn count_failure(
        &self,
        account: &AccountKey,
        user: Option<&User>,
        client: &ClientInfo,
    ) -> Result<(), CoreError> {
        let window = self.ctx.settings.login_failure_window.to_std().unwrap_or(StdDuration::from_secs(900));
        let failures = self.codes.increment(&format!("login:failures:{}", account.0), window).await?;
        let failures = u32::try_from(failures).unwrap_or(u32::MAX);
        let after = self.ctx.settings.login_backoff_after;
        if after > 0 && failures >= after {
            let exponent = (failures - after).min(20);
            let max = self.ctx.settings.login_backoff_max.to_std().unwrap_or(StdDuration::from_secs(900));
            let wait = StdDuration::from_secs(1u64 << exponent).min(max);
            self.codes.put(&format!("login:backoff:{}", account.0), "1", wait).await?;
        }
        let threshold = self.ctx.settings.lockout_threshold;
        if let Some(user) = user.filter(|u| threshold > 0 && failures >= threshold && u.status == UserStatus::Active) {
            let now = self.ctx.now();
            let mut tx = self.uow.begin().await?;
            let Some(mut locked) = tx.users().lock_user(user.id).await? else { return Ok(()) };
            // An admin's lock or a running lock-out stays as it is; an expired lock-out locks again.
            let expired = locked.status == UserStatus::Locked && locked.locked_until.is_some_and(|until| until <= now);
            if locked.status != UserStatus::Active && !expired {
                return Ok(());
            }
            locked.set_status(UserStatus::Locked, now);
            locked.locked_until = Some(now + self.ctx.settings.lockout_duration);
            locked.updated_at = now;
            tx.users().update_user(&locked).await?;
            let minutes = u64::try_from(self.ctx.settings.lockout_duration.num_minutes()).unwrap_or(15);
            self.mailer.send_in(tx.as_mut(), Mail::AccountLocked { to: locked.email.clone(), minutes }).await?;
            let metadata = serde_json::json!({ "failures": failures, "locked_until": locked.locked_until });
            self.ctx
                .finish(tx, &[], self.ctx.audit_entry("account.locked", None, Some(locked.id), client, metadata))
                .await?;
        }
        Ok(())
    }

    /// Forgets the failures of `account` (after a success, or a password reset).
    pub(crate) async fn clear_failures(&self, account: &AccountKey) -> Result<(), CoreError> {
        self.codes.delete(&format!("login:failures:{}", account.0)).await?;
        self.codes.delete(&format!("login:backoff:{}", account.0)).await?;
        Ok(())
    }

    /// Checks the signed-in caller's password again before a sensitive change (`purpose`, e.g.
    /// `password.change`). A wrong password is a 422 on `field`, counted like a failed login
    /// (back-off, lock-out) and audited as `reauth.failed`; while the account must wait, the
    /// check is refused with `LoginThrottled` before any hashing.
    pub(crate) async fn reauthenticate_with_password(
        &self,
        auth: &Authenticated,
        field: &'static str,
        password: &str,
        purpose: &'static str,
    ) -> Result<(), CoreError> {
        self.check_password(auth, field, password, purpose).await?;
        self.clear_failures(&AccountKey::of(&auth.user)).await
    }

    /// [`Self::reauthenticate_with_password`] without forgetting the failures on success: for
    /// a check a second factor must complete (the failures are forgotten once it does, so a
    /// known password does not reset the count of wrong codes).
    pub(crate) async fn check_password(
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
        // A hash stored before passwords were normalised matches too; it is upgraded at the
        // next login, not here.
        match self.hasher.verify_typed(password, &auth.user.password_hash).await?.1 {
            Verification::Valid { .. } => Ok(()),
            Verification::Invalid => {
                self.audit_reauth_failure(auth, purpose, "invalid_password").await?;
                self.count_failure(&account, Some(&auth.user), &auth.client).await?;
                Err(ValidationErrors::single(FieldError::new(field, "incorrect", "the password is not correct")).into())
            }
        }
    }

    pub(crate) async fn audit_reauth_failure(
        &self,
        auth: &Authenticated,
        purpose: &'static str,
        reason: &'static str,
    ) -> Result<(), CoreError> {
        let metadata = serde_json::json!({ "purpose": purpose, "reason": reason });
        let entry =
            self.ctx.audit_entry("reauth.failed", Some(auth.user.id), Some(auth.user.id), &auth.client, metadata);
        let tx = self.uow.begin().await?;
        self.ctx.finish(tx, &[], entry).await?;
        Ok(())
    }
}

impl Throttle {
    /// The `auth` bucket of SPEC §7: `auth_rate_limit_per_minute` requests per client address
    /// and, separately, per target account of `flow` (normalised, known or not, so the limit
    /// reveals nothing). Returns the tighter of the two decisions; refuses with `RateLimited`.
    pub(crate) async fn check_auth_rate(
        &self,
        flow: AuthFlow,
        ip: Option<IpAddr>,
        account: Option<&str>,
    ) -> Result<RateDecision, CoreError> {
        let limit = self.ctx.settings.auth_rate_limit_per_minute;
        let period = StdDuration::from_secs(60);
        let account = account.filter(|a| !a.trim().is_empty());
        let keys = [
            ip.map(|ip| format!("auth:ip:{ip}")),
            account.map(|a| format!("auth:{}:account:{}", flow.as_str(), self.identifier_key(a))),
        ];
        let mut tightest: Option<RateDecision> = None;
        for key in keys.into_iter().flatten() {
            let decision = self.limiter.hit(&key, limit, period).await?;
            if !decision.allowed {
                return Err(CoreError::RateLimited(decision));
            }
            if tightest.is_none_or(|t| decision.remaining < t.remaining) {
                tightest = Some(decision);
            }
        }
        Ok(tightest.unwrap_or(RateDecision {
            allowed: true,
            limit,
            remaining: limit,
            reset_after: StdDuration::ZERO,
            retry_after: StdDuration::ZERO,
        }))
    }

    /// Runs a flow's `work` under its `auth` bucket for the client and `account`: refused with
    /// `RateLimited` before any of the work is done; otherwise the work's outcome, with the
    /// decision whose headers go on the answer.
    pub(crate) async fn guard<T>(
        &self,
        flow: AuthFlow,
        client: &ClientInfo,
        account: Option<&str>,
        work: impl std::future::Future<Output = Result<T, CoreError>>,
    ) -> Result<Limited<T>, CoreError> {
        let decision = self.check_auth_rate(flow, client.ip, account).await?;
        Ok(Limited { decision, outcome: work.await })
    }

    /// What keys derived from an identifier a client sent (an address or a username, valid or
    /// not) use in the code store: the hex digest of its normalised form. Raw client bytes (CR,
    /// LF, escape sequences) never reach a key name, and every key has the same length.
    pub(crate) fn identifier_key(&self, identifier: &str) -> String {
        crate::kernel::hex(&self.secrets.digest(&identifier.trim().to_lowercase()).0)
    }

    /// Records that a login for `identifier` was refused by the rate limit: a `login_attempts`
    /// row with reason `rate_limited`, at most one a minute per client and identifier, so a
    /// flood of refusals cannot turn into a flood of writes.
    pub(crate) async fn record_rate_limited_login(
        &self,
        identifier: &str,
        client: &ClientInfo,
    ) -> Result<(), CoreError> {
        let ip = client.ip.map(|ip| ip.to_string()).unwrap_or_default();
        let marker = format!("login:rate-limited-logged:{ip}:{}", self.identifier_key(identifier));
        if !self.codes.put_if_absent(&marker, "1", StdDuration::from_secs(60)).await? {
            return Ok(());
        }
        let mut tx = self.uow.begin().await?;
        tx.journal()
            .record_login_attempt(&LoginAttempt {
                user_id: None,
                identifier: identifier.trim().to_lowercase().chars().take(254).collect(),
                ip: client.ip,
                user_agent: client.user_agent.as_deref().map(crate::domain::Session::clip_user_agent),
                success: false,
                reason: "rate_limited",
                at: self.ctx.now(),
            })
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
