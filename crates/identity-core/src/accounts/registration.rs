use std::time::Duration as StdDuration;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::accounts::common::{Accounts, RegisterInput};
use crate::domain::{
    Email, EventType, FieldError, NewUser, OneTimePurpose, PasswordHash, Profile, User, UserVerifiedData, Username,
    ValidationErrors,
};
use crate::kernel::context::{Context, Mailer};
use crate::kernel::hex;
use crate::kernel::throttle::{AuthFlow, Limited, Throttle};
use crate::ports::{ClientInfo, CodeStore, Mail, PasswordHasher, UnitOfWork};
use crate::sessions::issuer::{DeviceChoice, LoginOutput, SessionIssuer};
use crate::usecases::CoreError;

/// What step one of a two-step registration answered. Always the same for taken and free
/// addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistrationRequested {
    pub code_ttl_secs: u64,
}

/// Step two: the address and the code from the mail.
#[derive(Debug, Clone, Default)]
pub struct ConfirmRegistrationInput {
    pub email: String,
    pub code: String,
    pub client: ClientInfo,
}

/// The pending registration kept in the code store (password already hashed; the code only
/// as a digest).
#[derive(Serialize, Deserialize)]
struct Pending {
    email: String,
    password_hash: String,
    username: Option<String>,
    name: Option<String>,
    code_digest: String,
}

fn pending_key(email: &Email) -> String {
    format!("registration:pending:{email}")
}

fn attempts_key(email: &Email) -> String {
    format!("registration:attempts:{email}")
}

fn cooldown_key(email: &Email) -> String {
    format!("registration:cooldown:{email}")
}

/// New accounts: one-step registration with a mailed link, two-step registration with a
/// mailed code, and verifying an address.
#[derive(Clone)]
pub struct RegistrationService {
    pub(crate) ctx: Context,
    pub(crate) uow: Arc<dyn UnitOfWork>,
    pub(crate) hasher: Arc<dyn PasswordHasher>,
    pub(crate) codes: Arc<dyn CodeStore>,
    pub(crate) accounts: Accounts,
    pub(crate) issuer: SessionIssuer,
    pub(crate) mailer: Mailer,
    pub(crate) throttle: Throttle,
}

impl RegistrationService {
    /// `POST /v1/auth/register` under the `auth` bucket of the client and the address: see
    /// [`Self::register_unguarded`].
    pub async fn register(&self, input: RegisterInput) -> Result<Limited<User>, CoreError> {
        let (client, email) = (input.client.clone(), input.email.clone());
        self.throttle.guard(AuthFlow::Registration, &client, Some(&email), self.register_unguarded(input)).await
    }

    /// `POST /v1/auth/register/request` under the `auth` bucket: see [`Self::request_unguarded`].
    pub async fn request_registration(
        &self,
        input: RegisterInput,
    ) -> Result<Limited<RegistrationRequested>, CoreError> {
        let (client, email) = (input.client.clone(), input.email.clone());
        self.throttle.guard(AuthFlow::Registration, &client, Some(&email), self.request_unguarded(input)).await
    }

    /// `POST /v1/auth/register/confirm` under the `auth` bucket: see [`Self::confirm_unguarded`].
    pub async fn confirm_registration(
        &self,
        input: ConfirmRegistrationInput,
    ) -> Result<Limited<LoginOutput>, CoreError> {
        let (client, email) = (input.client.clone(), input.email.clone());
        self.throttle.guard(AuthFlow::Registration, &client, Some(&email), self.confirm_unguarded(input)).await
    }

    /// `POST /v1/auth/email/resend` under the `auth` bucket: see [`Self::resend_unguarded`].
    pub async fn resend_verification(&self, email: &str, client: &ClientInfo) -> Result<Limited<()>, CoreError> {
        self.throttle.guard(AuthFlow::Verification, client, Some(email), self.resend_unguarded(email)).await
    }

    /// One-step registration: validates everything, hashes the password, stores the user
    /// unverified with its `user.registered` event in one transaction, and mails a
    /// verification link. A taken address is a 409 `email_taken`, unless
    /// `hide_taken_emails`: then it gets the answer a free one gets, after the same work, and
    /// its owner a mail instead.
    async fn register_unguarded(&self, input: RegisterInput) -> Result<User, CoreError> {
        // A retry whose first attempt made the account, but whose answer was lost.
        if let Some(user) = self.accounts.made_by(input.request.as_ref()).await? {
            return Ok(user);
        }
        let valid = self.accounts.validate_registration(&input)?;
        // Cheap checks first, so a taken address costs no hash (unless it must not show).
        // The unique constraints decide races between two registrations of the same address.
        let owner = if self.ctx.settings.hide_taken_emails {
            // The username first: its 409 must not depend on whether the address is taken.
            self.accounts.ensure_username_free(valid.username.as_ref()).await?;
            self.accounts.users.find_by_email(&valid.email).await?
        } else {
            if self.accounts.users.find_by_email(&valid.email).await?.is_some() {
                return Err(CoreError::EmailTaken);
            }
            self.accounts.ensure_username_free(valid.username.as_ref()).await?;
            None
        };
        let password_hash = self.hasher.hash(&valid.password).await?;
        let user = self.accounts.new_user(NewUser {
            email: valid.email,
            username: valid.username,
            password_hash,
            email_verified: false,
            name: valid.name,
        });
        if let Some(owner) = owner {
            return self.registered_in_appearance(owner, user, &input.client).await;
        }
        match self.insert_registered(&user, &input).await {
            Err(CoreError::EmailTaken) if self.ctx.settings.hide_taken_emails => {
                // Registered meanwhile by a racing request: the same answer, the same mail.
                let owner = self.accounts.users.find_by_email(&user.email).await?.ok_or(CoreError::EmailTaken)?;
                self.registered_in_appearance(owner, user, &input.client).await
            }
            Err(error) => Err(error),
            Ok(()) => Ok(user),
        }
    }

    /// Stores a new registration with its event, verification token and audit entry; returns
    /// the verification mail to send.
    async fn insert_registered(&self, user: &User, input: &RegisterInput) -> Result<(), CoreError> {
        let client = &input.client;
        let mut tx = self.uow.begin().await?;
        tx.users().insert_user(user).await?;
        self.accounts.requests.record(tx.journal(), input.request.as_ref(), user.id.as_uuid()).await?;
        let mail = self.accounts.verification_mail(tx.as_mut(), user).await?;
        self.mailer.send_in(tx.as_mut(), mail).await?;
        let metadata = serde_json::json!({ "method": "one_step" });
        self.ctx
            .finish(
                tx,
                &[self.accounts.registered_event(user)],
                self.ctx.audit_entry("user.registered", None, Some(user.id), client, metadata),
            )
            .await
    }

    /// `hide_taken_emails` and the address has an account: answer with `unsaved` (a new,
    /// never stored user, as a free address would get), audit the attempt on the owner's
    /// account and mail the owner that someone tried to register their address.
    async fn registered_in_appearance(
        &self,
        owner: User,
        unsaved: User,
        client: &ClientInfo,
    ) -> Result<User, CoreError> {
        let mut tx = self.uow.begin().await?;
        self.mailer.send_in(tx.as_mut(), Mail::AlreadyRegistered { to: owner.email }).await?;
        let metadata = serde_json::json!({ "method": "one_step" });
        self.ctx
            .finish(tx, &[], self.ctx.audit_entry("registration.duplicate", None, Some(owner.id), client, metadata))
            .await?;
        Ok(unsaved)
    }

    fn code_ttl(&self) -> StdDuration {
        self.ctx.settings.registration_code_ttl.to_std().unwrap_or(StdDuration::from_secs(600))
    }

    /// Step one of two-step registration: validates the input, hashes the password and keeps
    /// the pending registration with a 6-digit code for `registration_code_ttl`, then mails
    /// the code. A taken address gets the same answer (and, instead of a code, a mail saying
    /// it already has an account), after the same work.
    async fn request_unguarded(&self, input: RegisterInput) -> Result<RegistrationRequested, CoreError> {
        let valid = self.accounts.validate_registration(&input)?;
        self.accounts.ensure_username_free(valid.username.as_ref()).await?;
        // The cooldown applies to every address, taken or not, so it reveals nothing.
        self.mailer.cooldown(&cooldown_key(&valid.email)).await?;
        let taken = self.accounts.users.find_by_email(&valid.email).await?.is_some();
        // Hash either way: the answer takes as long for a taken address as for a free one.
        let password_hash = self.hasher.hash(&valid.password).await?;
        let answer = RegistrationRequested { code_ttl_secs: self.code_ttl().as_secs() };
        if taken {
            self.mailer.send(Mail::AlreadyRegistered { to: valid.email }).await?;
            return Ok(answer);
        }
        let code = self.accounts.secrets.new_code(6);
        let pending = Pending {
            email: valid.email.as_str().to_owned(),
            password_hash: password_hash.as_phc().to_owned(),
            username: valid.username.as_ref().map(|u| u.as_str().to_owned()),
            name: valid.name,
            code_digest: hex(&self.accounts.secrets.digest(&code).0),
        };
        let json = serde_json::to_string(&pending).map_err(|e| CoreError::Internal(e.into()))?;
        self.codes.put(&pending_key(&valid.email), &json, self.code_ttl()).await?;
        self.codes.delete(&attempts_key(&valid.email)).await?;
        self.mailer
            .send(Mail::RegistrationCode { to: valid.email, code, ttl_minutes: self.code_ttl().as_secs().div_ceil(60) })
            .await?;
        Ok(answer)
    }

    /// Step two: checks the code (after `registration_max_attempts` wrong codes the pending
    /// registration is void), creates the user with a verified address and signs them in.
    async fn confirm_unguarded(&self, input: ConfirmRegistrationInput) -> Result<LoginOutput, CoreError> {
        let mut errors = ValidationErrors::new();
        let email = errors.collect(Email::parse(&input.email));
        let code = input.code.trim();
        if code.is_empty() {
            errors.push(FieldError::new("code", "required", "the code from the mail is required"));
        } else if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            errors.push(FieldError::new("code", "invalid_code", "the code has 6 digits"));
        }
        errors.into_result()?;
        let Some(email) = email else {
            return Err(CoreError::Internal(anyhow::anyhow!("validated email lost")));
        };

        let max = self.ctx.settings.registration_max_attempts;
        let Some(json) = self.codes.get(&pending_key(&email)).await? else {
            return Err(CoreError::InvalidCode { attempts_left: 0 });
        };
        let pending: Pending = serde_json::from_str(&json).map_err(|e| CoreError::Internal(e.into()))?;
        let offered = hex(&self.accounts.secrets.digest(code).0);
        if !self.accounts.secrets.equal(&offered, &pending.code_digest) {
            let used = self.codes.increment(&attempts_key(&email), self.code_ttl()).await?;
            let used = u32::try_from(used).unwrap_or(u32::MAX);
            if used >= max {
                self.codes.delete(&pending_key(&email)).await?;
                self.codes.delete(&attempts_key(&email)).await?;
            }
            return Err(CoreError::InvalidCode { attempts_left: max.saturating_sub(used) });
        }
        // Of two confirmations racing with the right code, one takes the registration.
        if self.codes.take(&pending_key(&email)).await?.is_none() {
            return Err(CoreError::InvalidCode { attempts_left: 0 });
        }
        self.codes.delete(&attempts_key(&email)).await?;

        let mut user = self.accounts.new_user(NewUser {
            email,
            username: pending.username.map(Username::from_trusted),
            password_hash: PasswordHash::from_phc(pending.password_hash),
            email_verified: true,
            name: pending.name.and_then(|n| Profile::parse_name(&n).ok().flatten()),
        });
        user.last_login_at = Some(user.created_at);
        let mut tx = self.uow.begin().await?;
        tx.users().insert_user(&user).await?;
        tx.journal().record_events(&[self.accounts.registered_event(&user)]).await?;
        let metadata = serde_json::json!({ "method": "two_step" });
        let entry = self.ctx.audit_entry("user.registered", None, Some(user.id), &input.client, metadata);
        // The mailed code proved the address.
        self.accounts.grant_bootstrap_admin(tx.as_mut(), &mut user, &input.client).await?;
        let (session, refresh_token) = self
            .issuer
            .open_session(tx.as_mut(), &user, &input.client, DeviceChoice::default(), vec!["pwd".into()])
            .await?;
        self.ctx.finish(tx, &[], entry).await?;
        self.issuer.signed_in(user, session, refresh_token)
    }

    /// Confirms an address with the token from the verification mail.
    pub async fn verify_email(&self, token: &str, client: &ClientInfo) -> Result<User, CoreError> {
        if token.trim().is_empty() {
            return Err(ValidationErrors::single(FieldError::new(
                "token",
                "required",
                "the token from the mail is required",
            ))
            .into());
        }
        let digest = self.accounts.secrets.digest(token.trim());
        let now = self.ctx.now();
        let mut tx = self.uow.begin().await?;
        let record = tx.one_time_tokens().lock_one_time_token(OneTimePurpose::VerifyEmail, &digest).await?;
        let Some(record) = record.filter(|t| t.consumed_at.is_none() && t.expires_at > now) else {
            return Err(CoreError::InvalidToken);
        };
        let mut user = tx.users().lock_user(record.user_id).await?.ok_or(CoreError::InvalidToken)?;
        // A link for an address the account no longer has proves nothing.
        if record.email.as_ref() != Some(&user.email) || !user.is_active() {
            return Err(CoreError::InvalidToken);
        }
        tx.one_time_tokens().consume_one_time_tokens(user.id, OneTimePurpose::VerifyEmail, now).await?;
        if !user.email_verified {
            user.email_verified = true;
            user.updated_at = now;
            tx.users().update_user(&user).await?;
            let event = self.ctx.event(
                EventType::UserVerified,
                user.id.as_uuid(),
                &user,
                &UserVerifiedData { user_id: user.id.as_uuid(), email: user.email.as_str(), verified_at: now },
            );
            tx.journal().record_events(&[event]).await?;
            let metadata = serde_json::json!({ "email": user.email.as_str() });
            tx.journal()
                .record_audit(&self.ctx.audit_entry("user.verified", None, Some(user.id), client, metadata))
                .await?;
        }
        self.accounts.grant_bootstrap_admin(tx.as_mut(), &mut user, client).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Sends a new verification mail to an unverified account. Answers the same whether the
    /// address has an account or not.
    async fn resend_unguarded(&self, email: &str) -> Result<(), CoreError> {
        let email = Email::parse(email).map_err(ValidationErrors::single)?;
        self.mailer.cooldown(&format!("verification:cooldown:{email}")).await?;
        let Some(user) = self.accounts.users.find_by_email(&email).await? else {
            return Ok(());
        };
        if user.email_verified || !user.is_active() {
            return Ok(());
        }
        let mut tx = self.uow.begin().await?;
        let mail = self.accounts.verification_mail(tx.as_mut(), &user).await?;
        self.mailer.send_in(tx.as_mut(), mail).await?;
        tx.commit().await?;
        Ok(())
    }
}
