use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{AuthService, Authenticated, CoreError, link};
use crate::domain::{
    Device, DeviceId, DomainEvent, Email, EventType, FieldError, NewUser, OneTimePurpose, OneTimeToken, PasswordPolicy,
    Profile, RefreshToken, RefreshTokenId, RevocationReason, Role, Session, SessionCreatedData, SessionId, User,
    UserId, UserRegisteredData, UserStatus, Username, ValidationErrors,
};
use crate::ports::{AccessClaims, ClientInfo, LoginAttempt, Mail, SessionSelector, Transaction, Verification};

/// Registration, as sent by the client.
#[derive(Debug, Clone, Default)]
pub struct RegisterInput {
    pub email: String,
    pub password: String,
    pub username: Option<String>,
    pub name: Option<String>,
    pub client: ClientInfo,
}

/// The device a login comes from: a known device's id (from an earlier login) and/or a name.
#[derive(Debug, Clone, Default)]
pub struct DeviceInput {
    pub id: Option<Uuid>,
    pub name: Option<String>,
}

/// A login, as sent by the client: `identifier` is an email address or a username.
#[derive(Debug, Clone, Default)]
pub struct LoginInput {
    pub identifier: String,
    pub password: String,
    pub device: Option<DeviceInput>,
    pub client: ClientInfo,
}

/// A signed-in session with its tokens: the answer of login, registration confirm and refresh.
#[derive(Debug, Clone)]
pub struct LoginOutput {
    pub access_token: String,
    pub claims: AccessClaims,
    /// The opaque refresh token: shown once, stored only as a digest.
    pub refresh_token: String,
    pub session: Session,
    pub user: User,
}

/// The device a new session belongs to: a known device of the user's (looked up before the
/// transaction), or a new one with an optional name.
#[derive(Debug, Clone, Default)]
pub(super) struct DeviceChoice {
    pub known: Option<Device>,
    pub name: Option<String>,
}

/// Validated registration input.
pub(super) struct ValidRegistration {
    pub email: Email,
    pub password: crate::domain::Password,
    pub username: Option<Username>,
    pub name: Option<String>,
}

impl AuthService {
    pub(super) fn validate_registration(&self, input: &RegisterInput) -> Result<ValidRegistration, CoreError> {
        let mut errors = ValidationErrors::new();
        let email = errors.collect(Email::parse(&input.email));
        let password = errors.collect(self.settings.password_policy.check("password", &input.password, email.as_ref()));
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

    pub(super) async fn ensure_username_free(&self, username: Option<&Username>) -> Result<(), CoreError> {
        if let Some(username) = username
            && self.ports.users.find_by_username(username).await?.is_some()
        {
            return Err(CoreError::UsernameTaken);
        }
        Ok(())
    }

    pub(super) fn new_user(&self, new: NewUser) -> User {
        let now = self.now();
        let mut roles = BTreeSet::from([Role::new(Role::USER)]);
        if self.is_bootstrap_admin(&new.email) {
            roles.insert(Role::new(Role::ADMIN));
        }
        User {
            id: UserId::from_uuid(self.ports.ids.new_id()),
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

    pub(super) fn registered_event(&self, user: &User) -> DomainEvent {
        self.event(
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
    pub(super) async fn verification_mail(&self, tx: &mut dyn Transaction, user: &User) -> Result<Mail, CoreError> {
        let token = self.ports.secrets.new_token();
        let now = self.now();
        tx.consume_one_time_tokens(user.id, OneTimePurpose::VerifyEmail, now).await?;
        tx.insert_one_time_token(&OneTimeToken {
            id: self.ports.ids.new_id(),
            purpose: OneTimePurpose::VerifyEmail,
            user_id: user.id,
            email: Some(user.email.clone()),
            digest: self.ports.secrets.digest(&token),
            created_at: now,
            expires_at: now + self.settings.email_verification_ttl,
            consumed_at: None,
        })
        .await?;
        Ok(Mail::VerifyEmail {
            to: user.email.clone(),
            link: link(&self.settings.email_verification_url_template, &token),
            token,
        })
    }

    /// One-step registration: validates everything, hashes the password, stores the user
    /// unverified with its `user.registered` event in one transaction, and mails a
    /// verification link. A taken address is a 409 `email_taken`, unless
    /// `hide_taken_emails`: then it gets the answer a free one gets, after the same work, and
    /// its owner a mail instead.
    pub async fn register(&self, input: RegisterInput) -> Result<User, CoreError> {
        let valid = self.validate_registration(&input)?;
        // Cheap checks first, so a taken address costs no hash (unless it must not show).
        // The unique constraints decide races between two registrations of the same address.
        let owner = if self.settings.hide_taken_emails {
            // The username first: its 409 must not depend on whether the address is taken.
            self.ensure_username_free(valid.username.as_ref()).await?;
            self.ports.users.find_by_email(&valid.email).await?
        } else {
            if self.ports.users.find_by_email(&valid.email).await?.is_some() {
                return Err(CoreError::EmailTaken);
            }
            self.ensure_username_free(valid.username.as_ref()).await?;
            None
        };
        let password_hash = self.ports.hasher.hash(&valid.password).await?;
        let user = self.new_user(NewUser {
            email: valid.email,
            username: valid.username,
            password_hash,
            email_verified: false,
            name: valid.name,
        });
        if let Some(owner) = owner {
            return self.registered_in_appearance(owner, user, &input.client).await;
        }
        match self.insert_registered(&user, &input.client).await {
            Err(CoreError::EmailTaken) if self.settings.hide_taken_emails => {
                // Registered meanwhile by a racing request: the same answer, the same mail.
                let owner = self.ports.users.find_by_email(&user.email).await?.ok_or(CoreError::EmailTaken)?;
                self.registered_in_appearance(owner, user, &input.client).await
            }
            Err(error) => Err(error),
            Ok(mail) => {
                self.send(mail).await;
                Ok(user)
            }
        }
    }

    /// Stores a new registration with its event, verification token and audit entry; returns
    /// the verification mail to send.
    async fn insert_registered(&self, user: &User, client: &ClientInfo) -> Result<Mail, CoreError> {
        let mut tx = self.ports.uow.begin().await?;
        tx.insert_user(user).await?;
        let mail = self.verification_mail(tx.as_mut(), user).await?;
        tx.record_events(&[self.registered_event(user)]).await?;
        let metadata = serde_json::json!({ "method": "one_step" });
        tx.record_audit(&self.audit_entry("user.registered", None, Some(user.id), client, metadata)).await?;
        tx.commit().await?;
        Ok(mail)
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
        let mut tx = self.ports.uow.begin().await?;
        let metadata = serde_json::json!({ "method": "one_step" });
        tx.record_audit(&self.audit_entry("registration.duplicate", None, Some(owner.id), client, metadata)).await?;
        tx.commit().await?;
        self.send(Mail::AlreadyRegistered { to: owner.email }).await;
        Ok(unsaved)
    }

    /// Password login. Unknown accounts, wrong passwords and deleted accounts all answer
    /// [`CoreError::InvalidCredentials`] after the same hashing work. Every attempt is recorded.
    pub async fn login(&self, input: LoginInput) -> Result<LoginOutput, CoreError> {
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
        let password = PasswordPolicy::candidate(&input.password);
        // The account is looked up first (one read, known or not) so that its failures are
        // counted once, whether it is named by address or by username.
        let found = self.find_by_identifier(&input.identifier).await?;
        let found = found.filter(|u| u.status != UserStatus::Deleted && u.deleted_at.is_none());
        let account = self.account_key(found.as_ref(), &input.identifier);
        if let Some(wait) = self.backoff(&account).await? {
            // Refused before any hashing: the attacker pays nothing, and neither do we.
            self.record_failure(found.as_ref().map(|u| u.id), &input, "throttled").await?;
            return Err(CoreError::LoginThrottled { retry_after_secs: wait.as_secs().max(1) });
        }
        let Some(mut user) = found else {
            self.ports.hasher.verify_dummy(&password).await?;
            self.record_failure(None, &input, "unknown_account").await?;
            self.count_failure(&account, None, &input.client).await?;
            return Err(CoreError::InvalidCredentials);
        };
        let verified = self.ports.hasher.verify(&password, &user.password_hash).await?;
        let now = self.now();
        // A lock-out ends by itself.
        let lock_expired = user.status == UserStatus::Locked && user.locked_until.is_some_and(|until| until <= now);
        if lock_expired {
            user.status = UserStatus::Active;
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
            self.record_failure(Some(user.id), &input, reason).await?;
            self.count_failure(&account, Some(&user), &input.client).await?;
            return Err(CoreError::InvalidCredentials);
        }
        let needs_rehash = matches!(verified, Verification::Valid { needs_rehash: true });
        // Only someone who knows the password of an active account learns it is unverified.
        if self.settings.require_verified_email && !user.email_verified {
            self.record_failure(Some(user.id), &input, "email_not_verified").await?;
            return Err(CoreError::EmailNotVerified);
        }
        if needs_rehash {
            user.password_hash = self.ports.hasher.hash(&password).await?;
        }

        user.last_login_at = Some(now);
        user.updated_at = now;
        // Reads outside the transaction happen before it begins.
        let known = match input.device.as_ref().and_then(|d| d.id) {
            Some(id) => {
                self.ports.sessions.find_device(DeviceId::from_uuid(id)).await?.filter(|d| d.user_id == user.id)
            }
            None => None,
        };
        let mut tx = self.ports.uow.begin().await?;
        tx.update_user(&user).await?;
        let device = DeviceChoice { known, name: device_name };
        let (session, refresh_token) = self.open_session(tx.as_mut(), &user, &input.client, device).await?;
        tx.record_login_attempt(&LoginAttempt {
            user_id: Some(user.id),
            identifier: user.email.as_str().to_owned(),
            ip: input.client.ip,
            user_agent: input.client.user_agent.as_deref().map(Session::clip_user_agent),
            success: true,
            reason: "ok",
            at: now,
        })
        .await?;
        let metadata = serde_json::json!({ "session_id": session.id.as_uuid(), "unlocked": lock_expired });
        tx.record_audit(&self.audit_entry("login.succeeded", Some(user.id), Some(user.id), &input.client, metadata))
            .await?;
        tx.commit().await?;
        // A success forgets the failures.
        self.clear_failures(&account).await?;

        let claims = self.claims_for(&user, &session);
        let access_token = self.ports.tokens.issue(&claims)?;
        Ok(LoginOutput { access_token, claims, refresh_token, session, user })
    }

    async fn record_failure(
        &self,
        user: Option<UserId>,
        input: &LoginInput,
        reason: &'static str,
    ) -> Result<(), CoreError> {
        let identifier = Email::parse(&input.identifier)
            .map(|e| e.as_str().to_owned())
            .unwrap_or_else(|_| input.identifier.trim().chars().take(254).collect());
        let mut tx = self.ports.uow.begin().await?;
        tx.record_login_attempt(&LoginAttempt {
            user_id: user,
            identifier,
            ip: input.client.ip,
            user_agent: input.client.user_agent.as_deref().map(Session::clip_user_agent),
            success: false,
            reason,
            at: self.now(),
        })
        .await?;
        let metadata = serde_json::json!({ "reason": reason });
        tx.record_audit(&self.audit_entry("login.failed", None, user, &input.client, metadata)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Opens a session for `user` in `tx`: the device (an existing one of the user's, or a
    /// new one), the session row, its first refresh token and `session.created`. Returns the
    /// session and the refresh token's plain text.
    pub(super) async fn open_session(
        &self,
        tx: &mut dyn Transaction,
        user: &User,
        client: &ClientInfo,
        device: DeviceChoice,
    ) -> Result<(Session, String), CoreError> {
        let now = self.now();
        let user_agent = client.user_agent.as_deref().map(Session::clip_user_agent);
        let DeviceChoice { known, name } = device;
        let device = match known {
            Some(mut known) => {
                known.last_seen_at = now;
                if name.is_some() {
                    known.name = name;
                }
                tx.update_device(&known).await?;
                known
            }
            None => {
                let new = Device {
                    id: DeviceId::from_uuid(self.ports.ids.new_id()),
                    user_id: user.id,
                    name,
                    user_agent: user_agent.clone(),
                    created_at: now,
                    last_seen_at: now,
                };
                tx.insert_device(&new).await?;
                new
            }
        };
        let session = Session {
            id: SessionId::from_uuid(self.ports.ids.new_id()),
            user_id: user.id,
            device_id: Some(device.id),
            user_agent,
            ip: client.ip,
            amr: vec!["pwd".into()],
            created_at: now,
            last_seen_at: now,
            expires_at: now + self.settings.session_ttl,
            revoked_at: None,
        };
        tx.insert_session(&session).await?;
        let refresh_token = self.ports.secrets.new_token();
        tx.insert_refresh_token(&RefreshToken {
            id: RefreshTokenId::from_uuid(self.ports.ids.new_id()),
            session_id: session.id,
            digest: self.ports.secrets.digest(&refresh_token),
            issued_at: now,
            expires_at: session.expires_at,
            consumed_at: None,
            replaced_by: None,
            revoked_at: None,
        })
        .await?;
        let event = self.event(
            EventType::SessionCreated,
            session.id.as_uuid(),
            user,
            &SessionCreatedData {
                session_id: session.id.as_uuid(),
                user_id: user.id.as_uuid(),
                user_agent: session.user_agent.as_deref(),
                ip: session.ip.map(|ip| ip.to_string()),
                amr: &session.amr,
                expires_at: session.expires_at,
            },
        );
        tx.record_events(&[event]).await?;
        Ok((session, refresh_token))
    }

    async fn find_by_identifier(&self, identifier: &str) -> Result<Option<User>, CoreError> {
        // Input that is neither a valid address nor a valid username matches no account.
        if identifier.contains('@') {
            match Email::parse(identifier) {
                Ok(email) => Ok(self.ports.users.find_by_email(&email).await?),
                Err(_) => Ok(None),
            }
        } else {
            match Username::parse(identifier) {
                Ok(username) => Ok(self.ports.users.find_by_username(&username).await?),
                Err(_) => Ok(None),
            }
        }
    }

    pub(super) fn claims_for(&self, user: &User, session: &Session) -> AccessClaims {
        let now = self.now();
        // An access token never outlives its session.
        let exp = (now + self.settings.access_token_ttl).min(session.expires_at);
        AccessClaims {
            iss: self.settings.issuer.clone(),
            aud: self.settings.audience.clone(),
            sub: user.id,
            sid: session.id,
            iat: now,
            nbf: now,
            exp,
            jti: self.ports.ids.new_id(),
            roles: user.role_names(),
            amr: session.amr.clone(),
        }
    }

    /// Exchanges a refresh token for a new pair. The used token is consumed; replaying it
    /// within the grace window returns the same successor (racing tabs, retried requests);
    /// replaying it later revokes the whole session.
    pub async fn refresh(&self, token: &str, client: &ClientInfo) -> Result<LoginOutput, CoreError> {
        if token.is_empty() {
            return Err(CoreError::InvalidRefreshToken);
        }
        let digest = self.ports.secrets.digest(token);
        let mut tx = self.ports.uow.begin().await?;
        let Some(mut current) = tx.lock_refresh_token(&digest).await? else {
            return Err(CoreError::InvalidRefreshToken);
        };
        let now = self.now();
        let session = tx.session(current.session_id).await?.ok_or(CoreError::InvalidRefreshToken)?;
        if current.revoked_at.is_some() || !session.is_live(now, None) || current.expires_at <= now {
            return Err(CoreError::InvalidRefreshToken);
        }
        if session.is_idle(now, self.settings.session_idle_timeout) {
            self.end_idle_session(tx, &session, client).await?;
            return Err(CoreError::InvalidRefreshToken);
        }
        let user = tx.lock_user(session.user_id).await?.ok_or(CoreError::InvalidRefreshToken)?;
        if !user.is_active() {
            return Err(CoreError::InvalidRefreshToken);
        }

        let successor = match current.consumed_at {
            None => {
                let plain = self.ports.secrets.successor(token);
                let next = RefreshToken {
                    id: RefreshTokenId::from_uuid(self.ports.ids.new_id()),
                    session_id: session.id,
                    digest: self.ports.secrets.digest(&plain),
                    issued_at: now,
                    expires_at: session.expires_at,
                    consumed_at: None,
                    replaced_by: None,
                    revoked_at: None,
                };
                tx.insert_refresh_token(&next).await?;
                current.consumed_at = Some(now);
                current.replaced_by = Some(next.id);
                tx.update_refresh_token(&current).await?;
                tx.touch_session(session.id, now).await?;
                plain
            }
            Some(consumed_at) if now - consumed_at <= self.settings.refresh_reuse_grace => {
                self.live_successor(tx.as_mut(), token, &current, now).await?
            }
            Some(_) => {
                let revoked = tx
                    .revoke_sessions(
                        user.id,
                        SessionSelector::One(session.id),
                        now,
                        RevocationReason::RefreshTokenReuse,
                    )
                    .await?;
                tx.record_events(&self.revoked_events(&user, &revoked, RevocationReason::RefreshTokenReuse.as_str()))
                    .await?;
                let metadata = serde_json::json!({ "session_id": session.id.as_uuid() });
                tx.record_audit(&self.audit_entry("session.refresh_reused", None, Some(user.id), client, metadata))
                    .await?;
                tx.commit().await?;
                self.publish_revocations(&revoked).await?;
                return Err(CoreError::RefreshTokenReused);
            }
        };
        tx.commit().await?;
        let claims = self.claims_for(&user, &session);
        let access_token = self.ports.tokens.issue(&claims)?;
        Ok(LoginOutput { access_token, claims, refresh_token: successor, session, user })
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
            let next = tx.refresh_token(next_id).await?.ok_or(CoreError::InvalidRefreshToken)?;
            plain = self.ports.secrets.successor(&plain);
            if next.digest != self.ports.secrets.digest(&plain) {
                // The successor was derived with another key: nothing to hand back.
                return Err(CoreError::InvalidRefreshToken);
            }
            match next.consumed_at {
                None if next.revoked_at.is_none() => return Ok(plain),
                Some(at) if now - at <= self.settings.refresh_reuse_grace && next.revoked_at.is_none() => link = next,
                _ => return Err(CoreError::InvalidRefreshToken),
            }
        }
        Err(CoreError::InvalidRefreshToken)
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
    pub(super) async fn revoke(
        &self,
        auth: &Authenticated,
        selector: SessionSelector,
        reason: RevocationReason,
    ) -> Result<Vec<Session>, CoreError> {
        self.revoke_for(auth, &auth.user, selector, reason).await
    }

    /// Ends `user`'s sessions picked by `selector` on behalf of `actor` (the user themself or
    /// an admin), with `session.revoked` events and one audit entry.
    pub(super) async fn revoke_for(
        &self,
        actor: &Authenticated,
        user: &User,
        selector: SessionSelector,
        reason: RevocationReason,
    ) -> Result<Vec<Session>, CoreError> {
        let mut tx = self.ports.uow.begin().await?;
        let revoked = tx.revoke_sessions(user.id, selector, self.now(), reason).await?;
        tx.record_events(&self.revoked_events(user, &revoked, reason.as_str())).await?;
        let ids: Vec<Uuid> = revoked.iter().map(|s| s.id.as_uuid()).collect();
        let metadata = serde_json::json!({ "reason": reason.as_str(), "sessions": ids });
        let entry = self.audit_entry("session.revoked", Some(actor.user.id), Some(user.id), &actor.client, metadata);
        tx.record_audit(&entry).await?;
        tx.commit().await?;
        self.publish_revocations(&revoked).await?;
        Ok(revoked)
    }

    /// How far ahead of this clock an access token's `iat` may be: replicas' clocks drift a
    /// little; a token issued further ahead was not issued by a replica of ours.
    pub const ACCESS_TOKEN_MAX_CLOCK_SKEW_SECONDS: i64 = 60;

    /// Whether the times of `claims` are ones this service gives its tokens: issued no later
    /// than [`Self::ACCESS_TOKEN_MAX_CLOCK_SKEW_SECONDS`] ahead of `now`, valid for no longer
    /// than `access_token_ttl` from issue (shorter is fine: a token ends with its session),
    /// and valid at `now`. So no token accepted at `now` outlives `now + ttl + skew`.
    fn token_times_acceptable(&self, claims: &crate::ports::AccessClaims, now: DateTime<Utc>) -> bool {
        let skew = chrono::Duration::seconds(Self::ACCESS_TOKEN_MAX_CLOCK_SKEW_SECONDS);
        claims.iat <= now + skew
            && claims.exp - claims.iat <= self.settings.access_token_ttl
            && claims.nbf <= now
            && now < claims.exp
    }

    /// Checks an access token: it must verify, have coherent times and be within its validity
    /// window, belong to a session that was not revoked, and to an active user.
    pub async fn authenticate(&self, token: &str) -> Result<Authenticated, CoreError> {
        let claims = self.ports.tokens.verify(token)?;
        if !self.token_times_acceptable(&claims, self.now()) {
            return Err(CoreError::Unauthenticated);
        }
        if self.ports.revocations.is_revoked(claims.sid).await? {
            return Err(CoreError::Unauthenticated);
        }
        let user = self.ports.users.find_by_id(claims.sub).await?.ok_or(CoreError::Unauthenticated)?;
        if !user.is_active() {
            return Err(CoreError::Unauthenticated);
        }
        Ok(Authenticated { user, claims, client: ClientInfo::default() })
    }

    /// `GET /v1/auth/me`: the caller with its current session.
    pub async fn current_user(&self, auth: &Authenticated) -> Result<Session, CoreError> {
        let session = self.ports.sessions.find_session(auth.claims.sid).await?.ok_or(CoreError::Unauthenticated)?;
        if session.user_id != auth.user.id || !session.is_live(self.now(), self.settings.session_idle_timeout) {
            return Err(CoreError::Unauthenticated);
        }
        Ok(session)
    }
}
