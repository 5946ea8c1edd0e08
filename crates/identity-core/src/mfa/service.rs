//! Second factors: enrolling and confirming TOTP, recovery codes, listing, renaming and
//! removing methods; and checking a second factor at sign-in
//! ([`MfaService::prove`], which the login's second step calls).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::model::{
    MfaKind, MfaMethod, RECOVERY_CODES, TotpEnrolment, accepted_step, normalise_recovery_code, parse_label,
    recovery_code,
};
use super::otp::OtpGenerator;
use super::store::MfaRepository;
use crate::authz::{Need, authorize};
use crate::domain::settings::SecretValue;
use crate::domain::{DomainEvent, EventType, FieldError, MfaChangedData, TokenDigest, User, UserId, ValidationErrors};
use crate::kernel::context::{Context, Mailer};
use crate::ports::{Mail, SecretBox, Secrets, Transaction, UnitOfWork};
use crate::usecases::{Authenticated, CoreError};

/// A user's second factors as they see them, and how many recovery codes are left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaOverview {
    /// Confirmed methods, oldest first.
    pub methods: Vec<MfaMethod>,
    pub recovery_codes_left: usize,
}

/// How a second factor was proved at sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// A TOTP code (`amr`: `otp`).
    Totp,
    /// A recovery code (`amr`: `recovery`); this many are left.
    RecoveryCode { left: usize },
    /// A passkey's assertion (`amr`: `webauthn`).
    Passkey,
}

impl Proof {
    pub fn amr(self) -> &'static str {
        match self {
            Self::Totp => MfaKind::Totp.amr(),
            Self::RecoveryCode { .. } => "recovery",
            Self::Passkey => MfaKind::WebAuthn.amr(),
        }
    }
}

/// Second factors.
#[derive(Clone)]
pub struct MfaService {
    pub(crate) ctx: Context,
    pub(crate) mfa: Arc<dyn MfaRepository>,
    pub(crate) uow: Arc<dyn UnitOfWork>,
    pub(crate) secret_box: Arc<dyn SecretBox>,
    pub(crate) otp: Arc<dyn OtpGenerator>,
    pub(crate) secrets: Arc<dyn Secrets>,
    pub(crate) mailer: Mailer,
    /// The WebAuthn relying party.
    pub(crate) passkeys: Arc<dyn crate::ports::PasskeyVerifier>,
    /// Passkey ceremonies' states between start and finish.
    pub(crate) codes: Arc<dyn crate::ports::CodeStore>,
}

impl MfaService {
    /// Begins a TOTP enrolment (step-up: a recent authentication): a new secret, shown this
    /// once as base32, an `otpauth://` URI and its QR code. A user has one TOTP: with a
    /// confirmed one this is a conflict (remove it first); an unconfirmed one is replaced.
    pub async fn enrol_totp(&self, auth: &Authenticated, label: Option<&str>) -> Result<TotpEnrolment, CoreError> {
        authorize(auth, self.ctx.recent_authentication())?;
        let label = parse_label(label.unwrap_or("Authenticator app")).map_err(ValidationErrors::single)?;
        let now = self.ctx.now();
        let secret = self.otp.new_secret();
        let encoded = self.otp.encode(&secret);
        let id = self.ctx.new_id();
        let sealed = self
            .secret_box
            .seal(&SecretValue::new(encoded.clone()), &MfaMethod::seal_context(id))
            .map_err(CoreError::Internal)?;
        let method = MfaMethod {
            id,
            user_id: auth.user.id,
            kind: MfaKind::Totp,
            label,
            sealed_secret: sealed,
            passkey: None,
            confirmed_at: None,
            created_at: now,
            last_used_at: None,
            last_step: None,
        };
        let mut tx = self.uow.begin().await?;
        let existing = tx.mfa().lock_methods_of(auth.user.id).await?;
        if existing.iter().any(|m| m.kind == MfaKind::Totp && m.is_confirmed()) {
            return Err(CoreError::MfaAlreadyEnabled);
        }
        for pending in existing.iter().filter(|m| !m.is_confirmed()) {
            tx.mfa().delete_method(pending.id).await?;
        }
        tx.mfa().insert_method(&method).await?;
        tx.commit().await?;
        let uri = self.otp.uri(&secret, &self.ctx.settings.issuer, auth.user.email.as_str());
        let qr_svg = self.otp.qr_svg(&uri);
        Ok(TotpEnrolment { method, secret: encoded, otpauth_uri: uri, qr_svg })
    }

    /// Confirms the pending TOTP enrolment with a code from the app: from now on sign-ins
    /// need a second factor. The first factor of an account also answers its recovery codes,
    /// shown this once. Audited and emitted as `mfa.enabled`; the user is mailed.
    pub async fn confirm_totp(
        &self,
        auth: &Authenticated,
        code: &str,
    ) -> Result<(MfaMethod, Option<Vec<String>>), CoreError> {
        authorize(auth, Need::Caller)?;
        let now = self.ctx.now();
        let mut tx = self.uow.begin().await?;
        let methods = tx.mfa().lock_methods_of(auth.user.id).await?;
        let Some(mut method) = methods.iter().find(|m| m.kind == MfaKind::Totp && !m.is_confirmed()).cloned() else {
            return Err(CoreError::NotFound);
        };
        if method.is_expired_enrolment(now) {
            tx.mfa().delete_method(method.id).await?;
            tx.commit().await?;
            return Err(CoreError::NotFound);
        }
        let Some(step) = self.totp_step_of(&method, code, now)? else {
            return Err(invalid_code());
        };
        let first = !methods.iter().any(MfaMethod::is_confirmed);
        method.confirmed_at = Some(now);
        method.last_step = Some(step);
        method.last_used_at = Some(now);
        tx.mfa().update_method(&method).await?;
        let codes = if first { Some(self.new_recovery_codes(tx.as_mut(), auth.user.id).await?) } else { None };
        self.mailer
            .send_in(tx.as_mut(), notice(&auth.user, "An authenticator app was added as a second factor"))
            .await?;
        let event = self.changed(EventType::MfaEnabled, &auth.user, &method, false, true);
        let metadata = serde_json::json!({ "method": method.id, "kind": method.kind.as_str() });
        let entry = self.ctx.audit_entry("mfa.enabled", Some(auth.user.id), Some(auth.user.id), &auth.client, metadata);
        self.ctx.finish(tx, &[event], entry).await?;
        Ok((method, codes))
    }

    /// The caller's confirmed methods and how many recovery codes are left.
    pub async fn overview(&self, auth: &Authenticated) -> Result<MfaOverview, CoreError> {
        authorize(auth, Need::Caller)?;
        self.overview_of(auth.user.id).await
    }

    pub(crate) async fn overview_of(&self, user: UserId) -> Result<MfaOverview, CoreError> {
        let methods = self.mfa.methods_of(user).await?.into_iter().filter(MfaMethod::is_confirmed).collect();
        let left = self.mfa.recovery_codes_of(user).await?.iter().filter(|c| c.used_at.is_none()).count();
        Ok(MfaOverview { methods, recovery_codes_left: left })
    }

    /// Renames one of the caller's methods.
    pub async fn rename(&self, auth: &Authenticated, id: Uuid, label: &str) -> Result<MfaMethod, CoreError> {
        authorize(auth, Need::Caller)?;
        let label = parse_label(label).map_err(ValidationErrors::single)?;
        let mut tx = self.uow.begin().await?;
        let methods = tx.mfa().lock_methods_of(auth.user.id).await?;
        let mut method = methods.into_iter().find(|m| m.id == id && m.is_confirmed()).ok_or(CoreError::NotFound)?;
        method.label = label;
        tx.mfa().update_method(&method).await?;
        tx.commit().await?;
        Ok(method)
    }

    /// Removes one of the caller's methods (step-up: a recent authentication); removing the
    /// last one voids the recovery codes. Audited and emitted as `mfa.disabled`; the user is
    /// mailed.
    pub async fn remove(&self, auth: &Authenticated, id: Uuid) -> Result<(), CoreError> {
        authorize(auth, self.ctx.recent_authentication())?;
        let mut tx = self.uow.begin().await?;
        let methods = tx.mfa().lock_methods_of(auth.user.id).await?;
        let method = methods.iter().find(|m| m.id == id && m.is_confirmed()).ok_or(CoreError::NotFound)?;
        tx.mfa().delete_method(method.id).await?;
        let last = !methods.iter().any(|m| m.id != id && m.is_confirmed());
        if last {
            tx.mfa().replace_recovery_codes(auth.user.id, &[]).await?;
        }
        self.mailer.send_in(tx.as_mut(), notice(&auth.user, "A second factor was removed from your account")).await?;
        let event = self.changed(EventType::MfaDisabled, &auth.user, method, false, !last);
        let metadata = serde_json::json!({ "method": method.id, "kind": method.kind.as_str(), "last": last });
        let entry =
            self.ctx.audit_entry("mfa.disabled", Some(auth.user.id), Some(auth.user.id), &auth.client, metadata);
        self.ctx.finish(tx, &[event], entry).await
    }

    /// New recovery codes (step-up: a recent authentication), shown this once; the old ones
    /// are void. Only for an account with a second factor. Audited as
    /// `mfa.recovery_codes_regenerated`.
    pub async fn regenerate_recovery_codes(&self, auth: &Authenticated) -> Result<Vec<String>, CoreError> {
        authorize(auth, self.ctx.recent_authentication())?;
        let mut tx = self.uow.begin().await?;
        if !tx.mfa().lock_methods_of(auth.user.id).await?.iter().any(MfaMethod::is_confirmed) {
            return Err(CoreError::MfaNotEnabled);
        }
        let codes = self.new_recovery_codes(tx.as_mut(), auth.user.id).await?;
        let entry = self.ctx.audit_entry(
            "mfa.recovery_codes_regenerated",
            Some(auth.user.id),
            Some(auth.user.id),
            &auth.client,
            serde_json::json!({}),
        );
        self.ctx.finish(tx, &[], entry).await?;
        Ok(codes)
    }

    /// An admin removes every factor of a user (who can no longer prove theirs) and their
    /// recovery codes. Audited as `mfa.disabled` with `by_admin`, and emitted as one
    /// `mfa.disabled` (`by_admin`) per confirmed factor; the user is mailed. Nothing happens
    /// (no audit entry, no event, no mail) for a user without a confirmed factor.
    pub async fn admin_remove_all(&self, auth: &Authenticated, user: &User) -> Result<(), CoreError> {
        authorize(auth, Need::ADMIN)?;
        let mut tx = self.uow.begin().await?;
        let methods = tx.mfa().lock_methods_of(user.id).await?;
        for method in &methods {
            tx.mfa().delete_method(method.id).await?;
        }
        tx.mfa().replace_recovery_codes(user.id, &[]).await?;
        if !methods.iter().any(MfaMethod::is_confirmed) {
            return tx.commit().await.map_err(Into::into);
        }
        self.mailer
            .send_in(tx.as_mut(), notice(user, "An administrator removed the second factors of your account"))
            .await?;
        let events: Vec<DomainEvent> = methods
            .iter()
            .filter(|m| m.is_confirmed())
            .map(|m| self.changed(EventType::MfaDisabled, user, m, true, false))
            .collect();
        let metadata = serde_json::json!({ "by_admin": true, "methods": methods.len() });
        let entry = self.ctx.audit_entry("mfa.disabled", Some(auth.user.id), Some(user.id), &auth.client, metadata);
        self.ctx.finish(tx, &events, entry).await
    }

    /// The `method`s [`Self::prove`] takes for `user` (`totp`, `webauthn`, `recovery_code` while
    /// codes are left); empty when the account has no second factor, which every password
    /// login asks: then the recovery codes are not read.
    pub async fn sign_in_methods(&self, user: UserId) -> Result<Vec<&'static str>, CoreError> {
        let mut methods: Vec<&'static str> = Vec::new();
        for method in self.mfa.methods_of(user).await?.iter().filter(|m| m.is_confirmed()) {
            if !methods.contains(&method.kind.as_str()) {
                methods.push(method.kind.as_str());
            }
        }
        if !methods.is_empty() && self.mfa.recovery_codes_of(user).await?.iter().any(|c| c.used_at.is_none()) {
            methods.push(RECOVERY_METHOD);
        }
        Ok(methods)
    }

    /// Checks a second factor of `user` at sign-in, in `tx` (the transaction that opens the
    /// session): a TOTP code for a step later than the last one used (so a code works once,
    /// even used twice at the same instant: the methods are locked), or an unused recovery
    /// code (then marked used; audited as `mfa.recovery_code_used` and mailed). `None` for a
    /// wrong code.
    pub async fn prove(
        &self,
        tx: &mut dyn Transaction,
        user: &User,
        method: &str,
        code: &str,
        client: &crate::ports::ClientInfo,
    ) -> Result<Option<Proof>, CoreError> {
        let now = self.ctx.now();
        match method {
            "totp" => {
                let methods = tx.mfa().lock_methods_of(user.id).await?;
                for mut totp in methods.into_iter().filter(|m| m.kind == MfaKind::Totp && m.is_confirmed()) {
                    if let Some(step) = self.totp_step_of(&totp, code, now)? {
                        totp.last_step = Some(step);
                        totp.last_used_at = Some(now);
                        tx.mfa().update_method(&totp).await?;
                        return Ok(Some(Proof::Totp));
                    }
                }
                Ok(None)
            }
            RECOVERY_METHOD => {
                let digest = self.recovery_digest(user.id, code);
                let Some(left) = tx.mfa().use_recovery_code(user.id, &digest, now).await? else {
                    return Ok(None);
                };
                self.mailer
                    .send_in(tx, notice(user, &format!("A recovery code was used to sign in; {left} are left")))
                    .await?;
                let entry = self.ctx.audit_entry(
                    "mfa.recovery_code_used",
                    Some(user.id),
                    Some(user.id),
                    client,
                    serde_json::json!({ "left": left }),
                );
                tx.journal().record_audit(&entry).await?;
                Ok(Some(Proof::RecoveryCode { left }))
            }
            _ => Err(ValidationErrors::single(FieldError::new(
                "method",
                "unknown_method",
                "the method is totp or recovery_code",
            ))
            .into()),
        }
    }

    /// An `mfa.enabled` or `mfa.disabled` event about `method` of `user` (the aggregate);
    /// `enabled_after`: whether the account has a second factor once the change is made.
    pub(super) fn changed(
        &self,
        event_type: EventType,
        user: &User,
        method: &MfaMethod,
        by_admin: bool,
        enabled_after: bool,
    ) -> DomainEvent {
        let data = MfaChangedData {
            user_id: user.id.as_uuid(),
            method_id: method.id,
            kind: method.kind.as_str(),
            by_admin,
            mfa_enabled: enabled_after,
            changed_at: self.ctx.now(),
        };
        self.ctx.event(event_type, user.id.as_uuid(), user, &data)
    }

    /// The step `code` is accepted for under `method`'s secret, if any.
    fn totp_step_of(&self, method: &MfaMethod, code: &str, now: DateTime<Utc>) -> Result<Option<i64>, CoreError> {
        let encoded = self
            .secret_box
            .open(&method.sealed_secret, &MfaMethod::seal_context(method.id))
            .map_err(CoreError::Internal)?;
        let secret = self
            .otp
            .decode(encoded.expose())
            .ok_or_else(|| CoreError::Internal(anyhow::anyhow!("the TOTP secret of {} is not base32", method.id)))?;
        let code = code.trim();
        Ok(accepted_step(
            code,
            now,
            method.last_step,
            |step| self.otp.code(&secret, step),
            |a, b| self.secrets.equal(a, b),
        ))
    }

    /// Ten new recovery codes for `user`, stored as keyed digests in `tx` (the old ones void).
    pub(super) async fn new_recovery_codes(
        &self,
        tx: &mut dyn Transaction,
        user: UserId,
    ) -> Result<Vec<String>, CoreError> {
        let codes: Vec<String> = (0..RECOVERY_CODES)
            .map(|_| {
                // A token's characters are uniform over the 64 symbols of base64url: each one's
                // place in that alphabet, modulo 32, is a uniform Crockford symbol (12: 60 bits).
                let token = self.secrets.new_token();
                recovery_code(
                    token.bytes().filter_map(|b| BASE64URL.iter().position(|a| *a == b)).map(|i| (i % 32) as u8),
                )
            })
            .collect();
        let digests: Vec<TokenDigest> = codes.iter().map(|c| self.recovery_digest(user, c)).collect();
        tx.mfa().replace_recovery_codes(user, &digests).await?;
        Ok(codes)
    }

    /// The keyed digest of a recovery code of `user` (normalised as typed).
    fn recovery_digest(&self, user: UserId, code: &str) -> TokenDigest {
        self.secrets.keyed_digest(&format!("recovery-code:{user}:{}", normalise_recovery_code(code)))
    }
}

/// The `method` of a recovery code at sign-in.
const RECOVERY_METHOD: &str = "recovery_code";

const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn invalid_code() -> CoreError {
    ValidationErrors::single(FieldError::new("code", "invalid_code", "the code is wrong or was already used")).into()
}

pub(super) fn notice(user: &User, what: &str) -> Mail {
    Mail::SecurityNotice { to: user.email.clone(), what: what.to_owned() }
}
