//! Signing in with a password (`/v1/auth/login`, the password grant of `/v1/auth/token`) and
//! exchanging refresh tokens (`/v1/auth/refresh`, the refresh grant).

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::domain::{
    Device, DeviceId, Email, FieldError, RefreshToken, RefreshTokenId, RevocationReason, User, UserId, UserStatus,
    Username, ValidationErrors,
};
use crate::kernel::context::{Context, Revoker};
use crate::kernel::throttle::{AccountKey, AuthFlow, Limited, Throttle};
use crate::ports::{
    ClientInfo, CodeStore, PasswordHasher, SessionRepository, SessionSelector, Transaction, UnitOfWork, UserRepository,
    Verification,
};
use crate::sessions::issuer::{DeviceChoice, DeviceInput, LoginOutput, SessionIssuer, SignIn};

use crate::usecases::{CoreError, MfaService};

/// A login, as sent by the client: `identifier` is an email address or a username.
#[derive(Debug, Clone, Default)]
pub struct LoginInput {
    pub identifier: String,
    pub password: String,
    pub device: Option<DeviceInput>,
    pub client: ClientInfo,
}

impl LoginInput {
    /// The account a login body names: its `email`, else its `username`. Each one given is
    /// checked like the one used (blank or with control characters, it is refused even when
    /// the other one is used), so a body is refused or accepted whatever the server picks.
    pub fn identifier(email: Option<String>, username: Option<String>) -> Result<String, CoreError> {
        let mut errors = ValidationErrors::new();
        for (field, value) in [("email", &email), ("username", &username)] {
            if let Some(value) = value {
                if value.trim().is_empty() {
                    errors.push(FieldError::new(field, "required", "may not be blank (leave it out instead)"));
                }
                errors.collect(crate::domain::single_line(field, value));
            }
        }
        errors.into_result()?;
        Ok(email.or(username).unwrap_or_default())
    }
}

/// What the OAuth2 token endpoint is asked for (RFC 6749 §4.3 and §6).
#[derive(Debug, Clone)]
pub enum TokenGrant {
    /// `grant_type=password`: `username` is an email address or a username.
    Password { username: String, password: String },
    /// `grant_type=refresh_token`.
    RefreshToken(String),
}

/// Password sign-in and refresh-token exchange.
#[derive(Clone)]
pub struct LoginService {
    pub(crate) ctx: Context,
    pub(crate) users: Arc<dyn UserRepository>,
    /// Finds the known device a login names.
    pub(crate) devices: Arc<dyn SessionRepository>,
    pub(crate) uow: Arc<dyn UnitOfWork>,
    pub(crate) hasher: Arc<dyn PasswordHasher>,
    pub(crate) issuer: SessionIssuer,
    pub(crate) throttle: Throttle,
    pub(crate) revoker: Revoker,
    /// The second factors a sign-in may need, and proves.
    pub(crate) mfa: MfaService,
    /// Sign-ins waiting for their second factor.
    pub(crate) codes: Arc<dyn CodeStore>,
}

impl LoginService {
    /// `POST /v1/auth/login`: the `auth` bucket of the client and the account first (a refusal
    /// is recorded as a `rate_limited` attempt), then [`Self::sign_in`].
    pub async fn login(&self, input: LoginInput) -> Result<Limited<SignIn>, CoreError> {
        let identifier = input.identifier.clone();
        let client = input.client.clone();
        match self.throttle.guard(AuthFlow::Login, &client, Some(&identifier), self.sign_in(input)).await {
            Err(refused @ CoreError::RateLimited(_)) => {
                self.throttle.record_rate_limited_login(&identifier, &client).await?;
                Err(refused)
            }
            answer => answer,
        }
    }

    /// `POST /v1/auth/token`: a password grant is a login (the same bucket, the same
    /// recording, the same answers) that cannot take a second factor: an account with one is
    /// refused with [`CoreError::MfaRequired`] after its right password. A refresh grant is a
    /// refresh under the client's bucket.
    pub async fn token(&self, grant: TokenGrant, client: ClientInfo) -> Result<Limited<LoginOutput>, CoreError> {
        match grant {
            TokenGrant::Password { username, password } => {
                let Limited { decision, outcome } =
                    self.login(LoginInput { identifier: username, password, device: None, client }).await?;
                let outcome = match outcome {
                    Ok(SignIn::Complete(out)) => Ok(out),
                    Ok(SignIn::SecondFactor(pending)) => {
                        self.forget_second_factor(&pending.mfa_token).await?;
                        Err(CoreError::MfaRequired)
                    }
                    Err(error) => Err(error),
                };
                Ok(Limited { decision, outcome })
            }
            TokenGrant::RefreshToken(token) => {
                self.throttle.guard(AuthFlow::Login, &client, None, self.rotate(&token, &client)).await
            }
        }
    }

    /// `POST /v1/auth/refresh`: exchanges a refresh token for a new pair. The used token is
    /// consumed; replaying it within the grace window returns the same successor (racing
    /// tabs, retried requests); replaying it later revokes the whole session.
    pub async fn refresh(&self, token: &str, client: &ClientInfo) -> Result<LoginOutput, CoreError> {
        self.rotate(token, client).await
    }

    /// Password login. Unknown accounts, wrong passwords and deleted accounts all answer
    /// [`CoreError::InvalidCredentials`] after the same hashing work. Every attempt is recorded.
    /// An account with a second factor answers [`SignIn::SecondFactor`] to the right password.
    async fn sign_in(&self, input: LoginInput) -> Result<SignIn, CoreError> {
        let mut errors = ValidationErrors::new();
        if input.identifier.trim().is_empty() {
            errors.push(FieldError::new("email", "required", "an email address or username is required"));
        }
        errors.collect(crate::domain::single_line("email", input.identifier.trim()));
        if input.password.is_empty() {
            errors.push(FieldError::new("password", "required", "a password is required"));
        }
        errors.collect(crate::domain::no_nul("password", &input.password));
        let device_name = match input.device.as_ref().and_then(|d| d.name.as_deref()) {
            Some(raw) => errors.collect(Device::parse_name("device.name", raw)),
            None => None,
        };
        errors.into_result()?;
        // The account is looked up first (one read, known or not) so that its failures are
        // counted once, whether it is named by address or by username.
        let found = self.find_by_identifier(&input.identifier).await?;
        let found = found.filter(|u| !u.is_deleted());
        let account = self.throttle.account_key(found.as_ref(), &input.identifier);
        if let Some(wait) = self.throttle.backoff(&account).await? {
            // Refused before any hashing: the attacker pays nothing, and neither do we.
            self.record_failure(found.as_ref().map(|u| u.id), &input.identifier, &input.client, "throttled").await?;
            return Err(CoreError::LoginThrottled { retry_after_secs: wait.as_secs().max(1) });
        }
        let Some(mut user) = found else {
            self.hasher.verify_typed_dummy(&input.password).await?;
            self.record_failure(None, &input.identifier, &input.client, "unknown_account").await?;
            self.throttle.count_failure(&account, None, &input.client).await?;
            return Err(CoreError::InvalidCredentials);
        };
        // A hash stored before passwords were normalised matches the password as typed: it
        // needs a rehash like a hash with older parameters.
        let (password, verified) = self.hasher.verify_typed(&input.password, &user.password_hash).await?;
        let now = self.ctx.now();
        // A lock-out ends by itself.
        let lock_expired = user.status == UserStatus::Locked && user.locked_until.is_some_and(|until| until <= now);
        if lock_expired {
            user.set_status(UserStatus::Active, now);
            user.locked_until = None;
        }
        // A locked or disabled account answers every password, right or wrong, exactly as a
        // wrong one (after the same hashing work, counted the same way): guessing on while it
        // is locked teaches nothing. Its owner learns of a lock-out from the mail.
        let refusal = match (&verified, user.status) {
            (Verification::Invalid, _) => Some("invalid_password"),
            (_, UserStatus::Locked) => Some("locked"),
            (_, UserStatus::Disabled | UserStatus::Deleted) => Some("disabled"),
            (_, UserStatus::Active) => None,
        };
        if let Some(reason) = refusal {
            self.record_failure(Some(user.id), &input.identifier, &input.client, reason).await?;
            self.throttle.count_failure(&account, Some(&user), &input.client).await?;
            return Err(CoreError::InvalidCredentials);
        }
        let needs_rehash = matches!(verified, Verification::Valid { needs_rehash: true });
        // Only someone who knows the password of an active account learns it is unverified.
        if self.ctx.settings.require_verified_email && !user.email_verified {
            self.record_failure(Some(user.id), &input.identifier, &input.client, "email_not_verified").await?;
            return Err(CoreError::EmailNotVerified);
        }
        if needs_rehash {
            user.password_hash = self.hasher.hash(&password).await?;
        }
        let methods = self.mfa.sign_in_methods(user.id).await?;
        if !methods.is_empty() {
            // Nothing is issued yet, and the failures are not forgotten: only a finished
            // sign-in does that.
            return self.await_second_factor(&user, &input, lock_expired || needs_rehash, methods).await;
        }

        // Reads outside the transaction happen before it begins.
        let known = match input.device.as_ref().and_then(|d| d.id) {
            Some(id) => self.devices.find_device(DeviceId::from_uuid(id)).await?.filter(|d| d.user_id == user.id),
            None => None,
        };
        let tx = self.uow.begin().await?;
        let device = DeviceChoice { known, name: device_name };
        let metadata = serde_json::json!({ "unlocked": lock_expired });
        let out = self.complete_sign_in(tx, user, &input.client, device, vec!["pwd".to_owned()], metadata).await?;
        Ok(SignIn::Complete(out))
    }

    /// The end of every sign-in, in `tx`: the user's last login, the session (signed in with
    /// the methods of `amr`), the successful attempt and `login.succeeded` (`metadata` with the
    /// session's id added), committed; then the account's failures are forgotten.
    pub(crate) async fn complete_sign_in(
        &self,
        mut tx: Box<dyn Transaction>,
        mut user: User,
        client: &ClientInfo,
        device: DeviceChoice,
        amr: Vec<String>,
        mut metadata: serde_json::Value,
    ) -> Result<LoginOutput, CoreError> {
        let now = self.ctx.now();
        user.last_login_at = Some(now);
        user.updated_at = now;
        tx.users().update_user(&user).await?;
        let (session, refresh_token) = self.issuer.open_session(tx.as_mut(), &user, client, device, amr).await?;
        tx.journal().record_login_attempt(&self.attempt(Some(&user), user.email.as_str(), client, "ok")).await?;
        if let Some(fields) = metadata.as_object_mut() {
            fields.insert("session_id".to_owned(), session.id.to_string().into());
        }
        let entry = self.ctx.audit_entry("login.succeeded", Some(user.id), Some(user.id), client, metadata);
        self.ctx.finish(tx, &[], entry).await?;
        self.throttle.clear_failures(&AccountKey::of(&user)).await?;
        self.issuer.signed_in(user, session, refresh_token)
    }

    /// Records a failed attempt (a `login_attempts` row and `login.failed` in the audit log).
    pub(crate) async fn record_failure(
        &self,
        user: Option<UserId>,
        identifier: &str,
        client: &ClientInfo,
        reason: &'static str,
    ) -> Result<(), CoreError> {
        let identifier = Email::parse(identifier)
            .map(|e| e.as_str().to_owned())
            .unwrap_or_else(|_| identifier.trim().chars().take(254).collect());
        let mut tx = self.uow.begin().await?;
        let mut attempt = self.attempt(None, &identifier, client, reason);
        attempt.user_id = user;
        tx.journal().record_login_attempt(&attempt).await?;
        let metadata = serde_json::json!({ "reason": reason });
        self.ctx.finish(tx, &[], self.ctx.audit_entry("login.failed", None, user, client, metadata)).await?;
        Ok(())
    }

    /// Drops a waiting sign-in nobody can finish (the password grant's).
    async fn forget_second_factor(&self, mfa_token: &str) -> Result<(), CoreError> {
        self.codes.delete(&self.challenge_key(mfa_token)).await?;
        Ok(())
    }

    async fn find_by_identifier(&self, identifier: &str) -> Result<Option<User>, CoreError> {
        // Input that is neither a valid address nor a valid username matches no account.
        if identifier.contains('@') {
            match Email::parse(identifier) {
                Ok(email) => Ok(self.users.find_by_email(&email).await?),
                Err(_) => Ok(None),
            }
        } else {
            match Username::parse(identifier) {
                Ok(username) => Ok(self.users.find_by_username(&username).await?),
                Err(_) => Ok(None),
            }
        }
    }

    /// Exchanges a refresh token for a new pair. The used token is consumed; replaying it
    /// within the grace window returns the same successor (racing tabs, retried requests);
    /// replaying it later revokes the whole session.
    async fn rotate(&self, token: &str, client: &ClientInfo) -> Result<LoginOutput, CoreError> {
        if token.is_empty() {
            return Err(CoreError::InvalidRefreshToken);
        }
        let digest = self.issuer.secrets.digest(token);
        let mut tx = self.uow.begin().await?;
        let Some((mut current, session, user)) = tx.sessions().lock_refresh_token(&digest).await? else {
            return Err(CoreError::InvalidRefreshToken);
        };
        let now = self.ctx.now();
        if current.revoked_at.is_some() || !session.is_live(now, None) || current.expires_at <= now {
            return Err(CoreError::InvalidRefreshToken);
        }
        if session.is_idle(now, self.ctx.settings.session_idle_timeout) {
            self.revoker.end_idle_session(tx, &session, client).await?;
            return Err(CoreError::InvalidRefreshToken);
        }
        if !user.is_active() {
            return Err(CoreError::InvalidRefreshToken);
        }

        let successor = match current.consumed_at {
            None => {
                let plain = self.issuer.secrets.successor(token);
                let next = RefreshToken {
                    id: RefreshTokenId::from_uuid(self.ctx.new_id()),
                    session_id: session.id,
                    digest: self.issuer.secrets.digest(&plain),
                    issued_at: now,
                    expires_at: session.expires_at,
                    consumed_at: None,
                    replaced_by: None,
                    revoked_at: None,
                };
                current.consumed_at = Some(now);
                current.replaced_by = Some(next.id);
                tx.sessions().rotate_refresh_token(&current, &next, now).await?;
                plain
            }
            Some(consumed_at) if now - consumed_at <= self.ctx.settings.refresh_reuse_grace => {
                self.live_successor(tx.as_mut(), token, &current, now).await?
            }
            Some(_) => {
                let revoked = tx
                    .sessions()
                    .revoke_sessions(
                        user.id,
                        SessionSelector::One(session.id),
                        now,
                        RevocationReason::RefreshTokenReuse,
                    )
                    .await?;
                tx.journal()
                    .record_events(&self.ctx.revoked_events(&user, &revoked, RevocationReason::RefreshTokenReuse))
                    .await?;
                let metadata = serde_json::json!({ "session_id": session.id.as_uuid() });
                self.revoker
                    .finish(
                        tx,
                        &[],
                        self.ctx.audit_entry("session.refresh_reused", None, Some(user.id), client, metadata),
                        &revoked,
                    )
                    .await?;
                return Err(CoreError::RefreshTokenReused);
            }
        };
        tx.commit().await?;
        self.issuer.signed_in(user, session, successor)
    }

    /// Follows the rotation chain from a token consumed within the grace window to the live
    /// token at its end, re-deriving each successor's plain text from its parent.
    async fn live_successor(
        &self,
        tx: &mut dyn Transaction,
        token: &str,
        from: &RefreshToken,
        now: DateTime<Utc>,
    ) -> Result<String, CoreError> {
        let mut plain = token.to_owned();
        let mut link = from.clone();
        // Each hop is one rotation; a chain this long inside one grace window is not a browser.
        for _ in 0..16 {
            let next_id = link.replaced_by.ok_or(CoreError::InvalidRefreshToken)?;
            let next = tx.sessions().refresh_token(next_id).await?.ok_or(CoreError::InvalidRefreshToken)?;
            plain = self.issuer.secrets.successor(&plain);
            if next.digest != self.issuer.secrets.digest(&plain) {
                // The successor was derived with another key: nothing to hand back.
                return Err(CoreError::InvalidRefreshToken);
            }
            match next.consumed_at {
                None if next.revoked_at.is_none() => return Ok(plain),
                Some(at) if now - at <= self.ctx.settings.refresh_reuse_grace && next.revoked_at.is_none() => {
                    link = next
                }
                _ => return Err(CoreError::InvalidRefreshToken),
            }
        }
        Err(CoreError::InvalidRefreshToken)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A login names its account by email or username; a field that is given but blank or
    /// holds control characters is refused even when the other one names the account.
    #[test]
    fn a_login_names_its_account_by_email_or_username() {
        let email = || Some("ada@example.com".to_owned());
        assert_eq!(LoginInput::identifier(email(), None).unwrap(), "ada@example.com");
        assert_eq!(LoginInput::identifier(None, Some("ada".into())).unwrap(), "ada");
        assert_eq!(LoginInput::identifier(email(), Some("ada".into())).unwrap(), "ada@example.com");
        for username in ["", "  ", "a\u{84}"] {
            assert!(LoginInput::identifier(email(), Some(username.into())).is_err(), "{username:?}");
        }
    }
}
