//! New accounts and their single-use links: registration rules, the user a registration
//! creates, its event, and the tokens of verification and password links.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::domain::{
    DomainEvent, Email, EventType, NewUser, OneTimePurpose, OneTimeToken, PasswordContext, Profile, Role, User, UserId,
    UserRegisteredData, UserStatus, UserUpdatedData, Username, ValidationErrors,
};
use crate::kernel::context::Context;
use crate::kernel::link;
use crate::ports::{ClientInfo, Mail, Secrets, Transaction, UserRepository};
use crate::usecases::CoreError;

/// Registration, as sent by the client.
#[derive(Debug, Clone, Default)]
pub struct RegisterInput {
    pub email: String,
    pub password: String,
    pub username: Option<String>,
    pub name: Option<String>,
    pub client: ClientInfo,
    /// The `Idempotency-Key` of the request, if it had one: a retry gets the account the
    /// first attempt made.
    pub request: Option<crate::domain::RequestKey>,
}

/// Validated registration input.
pub(crate) struct ValidRegistration {
    pub email: Email,
    pub password: crate::domain::Password,
    pub username: Option<Username>,
    pub name: Option<String>,
}

/// The rules every new account follows, whoever creates it.
#[derive(Clone)]
pub(crate) struct Accounts {
    pub ctx: Context,
    pub users: Arc<dyn UserRepository>,
    pub secrets: Arc<dyn Secrets>,
    pub requests: crate::kernel::Requests,
}

impl Accounts {
    /// The account an earlier attempt of this keyed request made, if it still exists.
    pub async fn made_by(&self, request: Option<&crate::domain::RequestKey>) -> Result<Option<User>, CoreError> {
        match self.requests.made(request).await? {
            Some(id) => Ok(self.users.find_by_id(UserId::from_uuid(id)).await?),
            None => Ok(None),
        }
    }

    pub fn validate_registration(&self, input: &RegisterInput) -> Result<ValidRegistration, CoreError> {
        let mut errors = ValidationErrors::new();
        let email = errors.collect(Email::parse(&input.email));
        let context = PasswordContext::new(email.as_ref(), input.username.as_deref());
        let password = errors.collect(self.ctx.settings.password_policy.check("password", &input.password, context));
        let username = match input.username.as_deref() {
            Some(raw) => errors.collect(Username::parse(raw)),
            None => None,
        };
        let name = match input.name.as_deref() {
            Some(raw) => errors.collect(Profile::parse_name(raw)).flatten(),
            None => None,
        };
        errors.into_result()?;
        match (email, password) {
            (Some(email), Some(password)) => Ok(ValidRegistration { email, password, username, name }),
            _ => Err(CoreError::Internal(anyhow::anyhow!("validated input lost a field"))),
        }
    }

    pub async fn ensure_username_free(&self, username: Option<&Username>) -> Result<(), CoreError> {
        if let Some(username) = username
            && self.users.find_by_username(username).await?.is_some()
        {
            return Err(CoreError::UsernameTaken);
        }
        Ok(())
    }

    pub fn new_user(&self, new: NewUser) -> User {
        let now = self.ctx.now();
        // `BOOTSTRAP_ADMIN_EMAIL` gets `admin` only once the address is proven
        // ([`Self::grant_bootstrap_admin`]), never by registering it.
        let roles = BTreeSet::from([Role::new(Role::USER)]);
        User {
            id: UserId::from_uuid(self.ctx.new_id()),
            email: new.email,
            username: new.username,
            password_hash: new.password_hash,
            email_verified: new.email_verified,
            status: UserStatus::Active,
            roles,
            profile: Profile { name: new.name, ..Profile::default() },
            created_at: now,
            updated_at: now,
            last_login_at: None,
            deleted_at: None,
            locked_until: None,
        }
    }

    pub fn registered_event(&self, user: &User) -> DomainEvent {
        self.ctx.event(
            EventType::UserRegistered,
            user.id.as_uuid(),
            user,
            &UserRegisteredData {
                user_id: user.id.as_uuid(),
                email: user.email.as_str(),
                username: user.username.as_ref().map(Username::as_str),
                email_verified: user.email_verified,
                registered_at: user.created_at,
            },
        )
    }

    /// Creates an email-verification token for `user` in `tx` and returns the mail to send
    /// after commit.
    pub async fn verification_mail(&self, tx: &mut dyn Transaction, user: &User) -> Result<Mail, CoreError> {
        let token = self.secrets.new_token();
        let now = self.ctx.now();
        tx.one_time_tokens().consume_one_time_tokens(user.id, OneTimePurpose::VerifyEmail, now).await?;
        tx.one_time_tokens()
            .insert_one_time_token(&OneTimeToken {
                id: self.ctx.new_id(),
                purpose: OneTimePurpose::VerifyEmail,
                user_id: user.id,
                email: Some(user.email.clone()),
                digest: self.secrets.digest(&token),
                created_at: now,
                expires_at: now + self.ctx.settings.email_verification_ttl,
                consumed_at: None,
            })
            .await?;
        Ok(Mail::VerifyEmail {
            to: user.email.clone(),
            link: link(&self.ctx.settings.email_verification_url_template, &token),
            token,
        })
    }

    /// A new password reset link for `user` in `tx` (voiding older ones, valid for
    /// `PASSWORD_RESET_TTL_SECONDS`): the mail to send after commit.
    pub async fn reset_link_mail(&self, tx: &mut dyn Transaction, user: &User) -> Result<Mail, CoreError> {
        let ttl = self.ctx.settings.password_reset_ttl;
        let token = self.password_token(tx, user, ttl).await?;
        Ok(Mail::PasswordReset {
            to: user.email.clone(),
            link: link(&self.ctx.settings.password_reset_url_template, &token),
            ttl_minutes: u64::try_from(ttl.num_minutes()).unwrap_or(60),
        })
    }

    /// Whether `email` is `BOOTSTRAP_ADMIN_EMAIL` (that account gets `admin` once it proves
    /// the address).
    pub fn is_bootstrap_admin(&self, email: &Email) -> bool {
        self.ctx.settings.bootstrap_admin_email.as_ref() == Some(email)
    }

    /// Gives `user` the `admin` role in `tx` when its address is `BOOTSTRAP_ADMIN_EMAIL` and
    /// proven (`email_verified`), and it does not hold the role yet: audited as `role.granted`
    /// (`via: bootstrap`) with a `user.updated` event (`changed: ["roles"]`). Called wherever an
    /// address becomes proven (the mailed link or code, a mailed reset link) and at start-up,
    /// so whoever merely registers the address first gets nothing.
    pub async fn grant_bootstrap_admin(
        &self,
        tx: &mut dyn Transaction,
        user: &mut User,
        client: &ClientInfo,
    ) -> Result<bool, CoreError> {
        if !self.is_bootstrap_admin(&user.email) || !user.email_verified || !user.is_active() {
            return Ok(false);
        }
        self.grant_admin_in(tx, user, None, "bootstrap", client).await
    }

    /// Gives `user` the `admin` role in `tx` unless it has it: the roles, `updated_at`, a
    /// `role.granted` audit entry (`actor`, metadata `via`) and a `user.updated` event.
    /// `Ok(false)` when there was nothing to grant.
    pub async fn grant_admin_in(
        &self,
        tx: &mut dyn Transaction,
        user: &mut User,
        actor: Option<UserId>,
        via: &'static str,
        client: &ClientInfo,
    ) -> Result<bool, CoreError> {
        let admin = Role::new(Role::ADMIN);
        if user.roles.contains(&admin) {
            return Ok(false);
        }
        let now = self.ctx.now();
        user.roles.insert(admin);
        user.updated_at = now;
        tx.users().set_roles(user.id, &user.roles).await?;
        tx.users().update_user(user).await?;
        let event = self.ctx.event(
            EventType::UserUpdated,
            user.id.as_uuid(),
            user,
            &UserUpdatedData { user_id: user.id.as_uuid(), changed: vec!["roles".to_owned()], updated_at: now },
        );
        tx.journal().record_events(&[event]).await?;
        let metadata = serde_json::json!({ "role": Role::ADMIN, "via": via });
        tx.journal()
            .record_audit(&self.ctx.audit_entry("role.granted", actor, Some(user.id), client, metadata))
            .await?;
        Ok(true)
    }

    /// A new single-use link token to choose a password (voiding older ones), valid for `ttl`;
    /// `POST /v1/auth/password/reset` redeems it.
    pub async fn password_token(
        &self,
        tx: &mut dyn Transaction,
        user: &User,
        ttl: chrono::Duration,
    ) -> Result<String, CoreError> {
        let token = self.secrets.new_token();
        let now = self.ctx.now();
        tx.one_time_tokens().consume_one_time_tokens(user.id, OneTimePurpose::ResetPassword, now).await?;
        tx.one_time_tokens()
            .insert_one_time_token(&OneTimeToken {
                id: self.ctx.new_id(),
                purpose: OneTimePurpose::ResetPassword,
                user_id: user.id,
                email: Some(user.email.clone()),
                digest: self.secrets.digest(&token),
                created_at: now,
                expires_at: now + ttl,
                consumed_at: None,
            })
            .await?;
        Ok(token)
    }
}
