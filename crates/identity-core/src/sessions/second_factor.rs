//! The second step of a sign-in (`POST /v1/auth/login/mfa`) and re-authentication of a
//! signed-in user (`POST /v1/auth/reauthenticate`, step-up).
//!
//! A right password for an account with a second factor issues nothing: it answers an
//! `mfa_token`, a random value whose digest names the waiting sign-in in the code store for
//! [`MFA_TOKEN_TTL`]. It is no access token (no route takes it as one) and works for the
//! second step only, until a factor is proved or [`MFA_MAX_ATTEMPTS`] wrong codes void it.
//! Wrong codes also count against the account like wrong passwords (back-off, lock-out), and
//! the password step never forgets those failures: only a finished sign-in does.

use std::time::Duration as StdDuration;

use crate::authz::{Need, authorize};
use crate::domain::{DeviceId, FieldError, Session, User, UserId, ValidationErrors};
use crate::kernel::throttle::{AccountKey, AuthFlow, Limited};
use crate::mfa::domain::{MFA_MAX_ATTEMPTS, MFA_TOKEN_TTL, MfaChallenge};
use crate::ports::{AccessClaims, ClientInfo, LoginAttempt};
use crate::sessions::issuer::{DeviceChoice, LoginOutput, MfaPending, SignIn};
use crate::sessions::login::{LoginInput, LoginService};
use crate::usecases::{Authenticated, CoreError, Proof};

/// The second step of a sign-in, as sent by the client.
#[derive(Debug, Clone, Default)]
pub struct MfaLoginInput {
    pub mfa_token: String,
    /// `totp`, `recovery_code` or `webauthn`.
    pub method: String,
    /// The code (`totp`, `recovery_code`).
    pub code: String,
    /// The passkey's answer (`webauthn`): the `PublicKeyCredential` as JSON.
    pub credential: Option<serde_json::Value>,
    pub client: ClientInfo,
}

/// A second factor offered with a re-authentication: a code, or a passkey's answer to the
/// ceremony `challenge_id` (from `POST /v1/auth/reauthenticate/passkey`).
#[derive(Debug, Clone, Default)]
pub struct FactorInput {
    pub method: String,
    pub code: String,
    pub challenge_id: Option<uuid::Uuid>,
    pub credential: Option<serde_json::Value>,
}

/// A sign-in with a passkey alone (`POST /v1/auth/passkey/finish`).
#[derive(Debug, Clone)]
pub struct PasskeySignInInput {
    pub challenge_id: uuid::Uuid,
    /// The browser's answer: the `PublicKeyCredential` as JSON.
    pub credential: serde_json::Value,
    pub client: ClientInfo,
}

/// The method name of a passkey at the second step.
const PASSKEY_METHOD: &str = "webauthn";

/// A session whose user just proved who they are again: a fresh access token that says so.
#[derive(Debug, Clone)]
pub struct Reauthenticated {
    pub access_token: String,
    pub claims: AccessClaims,
    pub session: Session,
}

impl LoginService {
    /// After a right password for an account with a second factor: the waiting sign-in is
    /// stored under the digest of a new `mfa_token`, the attempt recorded as `mfa_required`.
    /// A lock-out that ran out, or a hash upgrade, is written now.
    pub(crate) async fn await_second_factor(
        &self,
        user: &User,
        input: &LoginInput,
        user_changed: bool,
        methods: Vec<&'static str>,
    ) -> Result<SignIn, CoreError> {
        let mfa_token = self.issuer.secrets.new_token();
        let assertion =
            if methods.contains(&PASSKEY_METHOD) { self.mfa.start_passkey_assertion(user.id).await? } else { None };
        let (passkey_state, passkey_options) = assertion.map(|c| (c.state, c.options)).unzip();
        let challenge = MfaChallenge {
            user_id: user.id.as_uuid(),
            passkey_state,
            device_name: input.device.as_ref().and_then(|d| d.name.clone()),
            device_id: input.device.as_ref().and_then(|d| d.id),
        };
        let value = serde_json::to_string(&challenge).map_err(|e| CoreError::Internal(e.into()))?;
        self.codes.put(&self.challenge_key(&mfa_token), &value, ttl()).await?;
        let mut tx = self.uow.begin().await?;
        if user_changed {
            tx.users().update_user(user).await?;
        }
        tx.journal()
            .record_login_attempt(&self.attempt(Some(user), user.email.as_str(), &input.client, "mfa_required"))
            .await?;
        tx.commit().await?;
        Ok(SignIn::SecondFactor(MfaPending {
            mfa_token,
            methods,
            expires_in: MFA_TOKEN_TTL.num_seconds(),
            passkey_options,
        }))
    }

    /// `POST /v1/auth/login/mfa`: the `auth` bucket of the client first, then the second step.
    pub async fn login_mfa(&self, input: MfaLoginInput) -> Result<Limited<LoginOutput>, CoreError> {
        let client = input.client.clone();
        self.throttle.guard(AuthFlow::Login, &client, None, self.second_step(input)).await
    }

    /// Completes a sign-in with a second factor: a TOTP code (once per time step) or an unused
    /// recovery code. Opens the session with `amr` `[pwd, otp]` or `[pwd, recovery]`.
    async fn second_step(&self, input: MfaLoginInput) -> Result<LoginOutput, CoreError> {
        let mut errors = ValidationErrors::new();
        for (field, value) in [("mfa_token", &input.mfa_token), ("method", &input.method)] {
            if value.trim().is_empty() {
                errors.push(FieldError::new(field, "required", "may not be blank"));
            }
            errors.collect(crate::domain::single_line(field, value));
        }
        check_answer(&mut errors, &input.method, &input.code, input.credential.as_ref());
        errors.into_result()?;
        let key = self.challenge_key(&input.mfa_token);
        let challenge: MfaChallenge = match self.codes.get(&key).await? {
            Some(raw) => serde_json::from_str(&raw).map_err(|_| CoreError::InvalidMfaToken)?,
            None => return Err(CoreError::InvalidMfaToken),
        };
        let user = self.users.find_by_id(UserId::from_uuid(challenge.user_id)).await?;
        let Some(user) = user.filter(User::is_active) else {
            // Locked, disabled or deleted meanwhile: the sign-in is over.
            self.codes.delete(&key).await?;
            return Err(CoreError::InvalidMfaToken);
        };
        let account = AccountKey::of(&user);
        if let Some(wait) = self.throttle.backoff(&account).await? {
            self.record_failure(Some(user.id), user.email.as_str(), &input.client, "throttled").await?;
            return Err(CoreError::LoginThrottled { retry_after_secs: wait.as_secs().max(1) });
        }
        let known = match challenge.device_id {
            Some(id) => self.devices.find_device(DeviceId::from_uuid(id)).await?.filter(|d| d.user_id == user.id),
            None => None,
        };
        let mut tx = self.uow.begin().await?;
        let proof = match (input.method.as_str(), &challenge.passkey_state, &input.credential) {
            (PASSKEY_METHOD, Some(state), Some(answer)) => {
                self.mfa.prove_passkey(tx.as_mut(), &user, state, answer, false).await?
            }
            // An account without passkeys proves nothing with one.
            (PASSKEY_METHOD, _, _) => None,
            (method, _, _) => self.mfa.prove(tx.as_mut(), &user, method, &input.code, &input.client).await?,
        };
        let Some(proof) = proof else {
            // Nothing of the transaction is kept.
            drop(tx);
            self.record_failure(Some(user.id), user.email.as_str(), &input.client, "invalid_mfa_code").await?;
            self.throttle.count_failure(&account, Some(&user), &input.client).await?;
            let attempts_key = format!("{key}:attempts");
            let attempts = self.codes.increment(&attempts_key, ttl()).await?;
            let attempts = u32::try_from(attempts).unwrap_or(u32::MAX);
            if attempts >= MFA_MAX_ATTEMPTS {
                self.codes.delete(&key).await?;
                self.codes.delete(&attempts_key).await?;
            }
            return Err(CoreError::InvalidMfaCode { attempts_left: MFA_MAX_ATTEMPTS.saturating_sub(attempts) });
        };
        // The waiting sign-in is used up by this request only (of two racing, one wins).
        if self.codes.take(&key).await?.is_none() {
            return Err(CoreError::InvalidMfaToken);
        }
        self.codes.delete(&format!("{key}:attempts")).await?;
        let device = DeviceChoice { known, name: challenge.device_name };
        let amr = vec!["pwd".to_owned(), proof.amr().to_owned()];
        let metadata = serde_json::json!({ "second_factor": proof.amr() });
        let mut out = self.complete_sign_in(tx, user, &input.client, device, amr, metadata).await?;
        if let Proof::RecoveryCode { left } = proof {
            out.recovery_codes_left = Some(left);
        }
        Ok(out)
    }

    /// `POST /v1/auth/reauthenticate` (step-up, "sudo mode"): the caller proves who they are
    /// again — the password, and a second factor when the account has one — and the session
    /// records it (`auth_time`, and `amr`). Answers a fresh access token saying so; sensitive
    /// changes then work for `REAUTH_MAX_AGE_SECONDS`. Failures count like failed logins.
    pub async fn reauthenticate(
        &self,
        auth: &Authenticated,
        password: &str,
        factor: Option<FactorInput>,
    ) -> Result<Reauthenticated, CoreError> {
        authorize(auth, Need::Caller)?;
        let mut errors = ValidationErrors::new();
        if password.is_empty() {
            errors.push(FieldError::new("password", "required", "a password is required"));
        }
        if let Some(factor) = &factor {
            if factor.method.trim().is_empty() {
                errors.push(FieldError::new(
                    "method",
                    "required",
                    "a code or a passkey's answer goes with its `method`",
                ));
            }
            errors.collect(crate::domain::single_line("method", &factor.method));
            check_answer(&mut errors, &factor.method, &factor.code, factor.credential.as_ref());
            if factor.method == PASSKEY_METHOD && factor.challenge_id.is_none() {
                errors.push(FieldError::new("challenge_id", "required", "a passkey answers a challenge_id"));
            }
        }
        errors.into_result()?;
        let methods = self.mfa.sign_in_methods(auth.user.id).await?;
        self.throttle.check_password(auth, "password", password, "reauthenticate").await?;
        let account = AccountKey::of(&auth.user);
        let mut tx = self.uow.begin().await?;
        let mut amr = vec!["pwd".to_owned()];
        if !methods.is_empty() {
            let Some(factor) = factor else {
                return Err(CoreError::MfaRequired);
            };
            let proof = match (factor.method.as_str(), factor.challenge_id, &factor.credential) {
                (PASSKEY_METHOD, Some(challenge_id), Some(answer)) => {
                    let state = self.mfa.take_reauthentication(auth.user.id, challenge_id).await?;
                    self.mfa.prove_passkey(tx.as_mut(), &auth.user, &state, answer, false).await?
                }
                (PASSKEY_METHOD, _, _) => None,
                (method, _, _) => self.mfa.prove(tx.as_mut(), &auth.user, method, &factor.code, &auth.client).await?,
            };
            let Some(proof) = proof else {
                drop(tx);
                self.throttle.audit_reauth_failure(auth, "reauthenticate", "invalid_mfa_code").await?;
                self.throttle.count_failure(&account, Some(&auth.user), &auth.client).await?;
                let field = if factor.method == PASSKEY_METHOD { "credential" } else { "code" };
                return Err(ValidationErrors::single(FieldError::new(
                    field,
                    "invalid_code",
                    "the code is wrong or was already used, or the passkey was refused",
                ))
                .into());
            };
            amr.push(proof.amr().to_owned());
        }
        let now = self.ctx.now();
        let mut session = tx.sessions().session(auth.claims.sid).await?.ok_or(CoreError::Unauthenticated)?;
        if !session.is_live(now, self.ctx.settings.session_idle_timeout) {
            return Err(CoreError::Unauthenticated);
        }
        tx.sessions().reauthenticate_session(session.id, &amr, now).await?;
        session.amr = amr;
        session.auth_time = now;
        let metadata = serde_json::json!({ "session_id": session.id.as_uuid(), "amr": session.amr });
        let entry = self.ctx.audit_entry(
            "session.reauthenticated",
            Some(auth.user.id),
            Some(auth.user.id),
            &auth.client,
            metadata,
        );
        self.ctx.finish(tx, &[], entry).await?;
        self.throttle.clear_failures(&account).await?;
        let claims = self.issuer.claims_for(&auth.user, &session);
        let access_token = self.issuer.tokens.issue(&claims)?;
        Ok(Reauthenticated { access_token, claims, session })
    }

    /// Where a waiting sign-in is kept: under the digest of its token, never the token.
    pub(crate) fn challenge_key(&self, mfa_token: &str) -> String {
        format!("mfa:login:{}", crate::kernel::hex(&self.issuer.secrets.digest(mfa_token).0))
    }

    pub(crate) fn attempt(
        &self,
        user: Option<&User>,
        identifier: &str,
        client: &ClientInfo,
        reason: &'static str,
    ) -> LoginAttempt {
        LoginAttempt {
            user_id: user.map(|u| u.id),
            identifier: identifier.to_owned(),
            ip: client.ip,
            user_agent: client.user_agent.as_deref().map(Session::clip_user_agent),
            success: reason == "ok",
            reason,
            at: self.ctx.now(),
        }
    }
}

/// A second factor's answer fits its method: a code for `totp` and `recovery_code` (one
/// line), a passkey's answer (an object) for `webauthn`.
fn check_answer(errors: &mut ValidationErrors, method: &str, code: &str, credential: Option<&serde_json::Value>) {
    if method == PASSKEY_METHOD {
        if !credential.is_some_and(serde_json::Value::is_object) {
            errors.push(FieldError::new("credential", "required", "a passkey's answer (an object) is required"));
        }
    } else {
        if code.trim().is_empty() {
            errors.push(FieldError::new("code", "required", "may not be blank"));
        }
        errors.collect(crate::domain::single_line("code", code));
    }
}

fn ttl() -> StdDuration {
    MFA_TOKEN_TTL.to_std().unwrap_or(StdDuration::from_secs(300))
}
