//! Passkeys: registering one (`/v1/mfa/webauthn/register/start|finish`), and the assertions
//! that the login's second step, a re-authentication and a passwordless sign-in check.
//!
//! A ceremony's state stays server-side: in the code store for [`PASSKEY_CEREMONY_TTL`], under
//! a key naming its purpose, its user (when there is one) and a random challenge id the client
//! sends back; finishing takes it, so an answer is checked against it once. The login's second
//! step keeps its assertion's state in the waiting sign-in instead.

use std::time::Duration as StdDuration;

use uuid::Uuid;

use super::model::{MfaKind, MfaMethod, PASSKEY_CEREMONY_TTL, PasskeyChallenge, parse_label};
use super::service::{MfaService, Proof, notice};
use crate::authz::{Need, authorize};
use crate::domain::{EventType, FieldError, User, UserId, ValidationErrors};
use crate::ports::{Ceremony, PasskeyCredential, PasskeyError, Transaction};
use crate::usecases::{Authenticated, CoreError};

/// What a passkey ceremony is for: part of its state's key.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CeremonyPurpose {
    /// Registering a passkey of the user.
    Registration,
    /// A re-authentication of the user (step-up).
    Reauthentication,
    /// A sign-in without a password: no user yet.
    SignIn,
}

impl CeremonyPurpose {
    fn key(self, user: Option<UserId>, challenge_id: Uuid) -> String {
        let purpose = match self {
            Self::Registration => "registration",
            Self::Reauthentication => "reauthentication",
            Self::SignIn => "sign-in",
        };
        match user {
            Some(user) => format!("webauthn:{purpose}:{user}:{challenge_id}"),
            None => format!("webauthn:{purpose}:{challenge_id}"),
        }
    }
}

fn ceremony_ttl() -> StdDuration {
    PASSKEY_CEREMONY_TTL.to_std().unwrap_or(StdDuration::from_secs(300))
}

/// An answer that does not prove what it must, as the client sees it: 422 on `credential`.
fn refused(error: PasskeyError) -> CoreError {
    match error {
        PasskeyError::Refused(reason) => ValidationErrors::single(FieldError::new(
            "credential",
            "refused",
            format!("the passkey was refused: {reason}"),
        ))
        .into(),
        PasskeyError::Internal(error) => CoreError::Internal(error),
    }
}

fn unknown_challenge() -> CoreError {
    ValidationErrors::single(FieldError::new(
        "challenge_id",
        "unknown_challenge",
        "no such ceremony: it expired, was finished, or is another user's; start again",
    ))
    .into()
}

impl MfaService {
    /// Begins registering a passkey (step-up: a recent authentication). The user's passkeys
    /// are excluded (an authenticator holding one is not asked to make another).
    pub async fn start_passkey_registration(&self, auth: &Authenticated) -> Result<PasskeyChallenge, CoreError> {
        authorize(auth, self.ctx.recent_authentication())?;
        let existing = passkeys(&self.mfa.methods_of(auth.user.id).await?);
        let user = &auth.user;
        let display =
            user.profile.display_name.as_deref().or(user.profile.name.as_deref()).unwrap_or(user.email.as_str());
        let ceremony = self
            .passkeys
            .start_registration(user.id.as_uuid(), user.email.as_str(), display, &existing)
            .map_err(refused)?;
        self.keep(CeremonyPurpose::Registration, Some(user.id), ceremony).await
    }

    /// Finishes a registration with the browser's answer: the passkey is a confirmed second
    /// factor at once (the first factor of an account also answers its recovery codes, shown
    /// this once). Audited and emitted as `mfa.enabled`; the user is mailed.
    pub async fn finish_passkey_registration(
        &self,
        auth: &Authenticated,
        challenge_id: Uuid,
        response: &serde_json::Value,
        label: Option<&str>,
    ) -> Result<(MfaMethod, Option<Vec<String>>), CoreError> {
        authorize(auth, Need::Caller)?;
        let label = parse_label(label.unwrap_or("Passkey")).map_err(ValidationErrors::single)?;
        let key = CeremonyPurpose::Registration.key(Some(auth.user.id), challenge_id);
        let state = self.codes.take(&key).await?.ok_or_else(unknown_challenge)?;
        let credential = self.passkeys.finish_registration(&state, response).map_err(refused)?;
        let now = self.ctx.now();
        let mut tx = self.uow.begin().await?;
        let methods = tx.mfa().lock_methods_of(auth.user.id).await?;
        let first = !methods.iter().any(MfaMethod::is_confirmed);
        let method = MfaMethod {
            id: self.ctx.new_id(),
            user_id: auth.user.id,
            kind: MfaKind::WebAuthn,
            label,
            sealed_secret: String::new(),
            passkey: Some(credential),
            confirmed_at: Some(now),
            created_at: now,
            last_used_at: None,
            last_step: None,
        };
        // A credential registered already (to this account or another) is a conflict of the
        // store: 422 `already_registered` on `credential`.
        tx.mfa().insert_method(&method).await?;
        let codes = if first { Some(self.new_recovery_codes(tx.as_mut(), auth.user.id).await?) } else { None };
        self.mailer.send_in(tx.as_mut(), notice(&auth.user, "A passkey was added to your account")).await?;
        let event = self.changed(EventType::MfaEnabled, &auth.user, &method, false, true);
        let metadata = serde_json::json!({ "method": method.id, "kind": method.kind.as_str() });
        let entry = self.ctx.audit_entry("mfa.enabled", Some(auth.user.id), Some(auth.user.id), &auth.client, metadata);
        self.ctx.finish(tx, &[event], entry).await?;
        Ok((method, codes))
    }

    /// Begins an assertion by one of the caller's passkeys, for a re-authentication.
    pub async fn start_passkey_reauthentication(&self, auth: &Authenticated) -> Result<PasskeyChallenge, CoreError> {
        authorize(auth, Need::Caller)?;
        let Some(ceremony) = self.start_passkey_assertion(auth.user.id).await? else {
            return Err(CoreError::MfaNotEnabled);
        };
        self.keep(CeremonyPurpose::Reauthentication, Some(auth.user.id), ceremony).await
    }

    /// Takes the state of the caller's re-authentication ceremony `challenge_id`.
    pub(crate) async fn take_reauthentication(&self, user: UserId, challenge_id: Uuid) -> Result<String, CoreError> {
        let key = CeremonyPurpose::Reauthentication.key(Some(user), challenge_id);
        self.codes.take(&key).await?.ok_or_else(unknown_challenge)
    }

    /// Begins a sign-in without a password (any discoverable passkey of this service).
    pub(crate) async fn start_passkey_sign_in(&self) -> Result<PasskeyChallenge, CoreError> {
        let ceremony = self.passkeys.start_discoverable().map_err(refused)?;
        self.keep(CeremonyPurpose::SignIn, None, ceremony).await
    }

    /// Takes the state of sign-in ceremony `challenge_id` (`None`: unknown, expired or used).
    pub(crate) async fn take_sign_in(&self, challenge_id: Uuid) -> Result<Option<String>, CoreError> {
        Ok(self.codes.take(&CeremonyPurpose::SignIn.key(None, challenge_id)).await?)
    }

    /// The user a sign-in's answer names (its user handle), before it is checked.
    pub(crate) fn passkey_user(&self, response: &serde_json::Value) -> Option<UserId> {
        self.passkeys.identify(response).ok().map(|(user, _)| UserId::from_uuid(user))
    }

    /// An assertion by one of `user`'s passkeys, when they have one: the login's second step
    /// offers it with the `mfa_token`.
    pub(crate) async fn start_passkey_assertion(&self, user: UserId) -> Result<Option<Ceremony>, CoreError> {
        let credentials = passkeys(&self.mfa.methods_of(user).await?);
        if credentials.is_empty() {
            return Ok(None);
        }
        self.passkeys.start_authentication(&credentials).map(Some).map_err(refused)
    }

    /// Checks a passkey's answer to the ceremony `state` in `tx` (the transaction that opens
    /// or renews the session), against `user`'s passkeys, locked: the passkey that signed is
    /// marked used and its counter stored. `discoverable`: a sign-in without a password.
    /// `None` for an answer that proves nothing.
    pub(crate) async fn prove_passkey(
        &self,
        tx: &mut dyn Transaction,
        user: &User,
        state: &str,
        response: &serde_json::Value,
        discoverable: bool,
    ) -> Result<Option<Proof>, CoreError> {
        let methods = tx.mfa().lock_methods_of(user.id).await?;
        let credentials = passkeys(&methods);
        if credentials.is_empty() {
            return Ok(None);
        }
        let checked = if discoverable {
            self.passkeys.finish_discoverable(state, response, &credentials)
        } else {
            self.passkeys.finish_authentication(state, response, &credentials)
        };
        let assertion = match checked {
            Ok(assertion) => assertion,
            Err(PasskeyError::Refused(_)) => return Ok(None),
            Err(PasskeyError::Internal(error)) => return Err(CoreError::Internal(error)),
        };
        let signer = methods
            .into_iter()
            .find(|m| m.passkey.as_ref().is_some_and(|p| p.credential_id == assertion.credential_id));
        if let Some(mut method) = signer {
            method.last_used_at = Some(self.ctx.now());
            if let (Some(updated), Some(passkey)) = (assertion.updated, method.passkey.as_mut()) {
                passkey.credential = updated;
            }
            tx.mfa().update_method(&method).await?;
        }
        Ok(Some(Proof::Passkey))
    }

    /// Keeps a ceremony's state for [`PASSKEY_CEREMONY_TTL`] under a new challenge id.
    async fn keep(
        &self,
        purpose: CeremonyPurpose,
        user: Option<UserId>,
        ceremony: Ceremony,
    ) -> Result<PasskeyChallenge, CoreError> {
        let challenge_id = self.ctx.new_id();
        self.codes.put(&purpose.key(user, challenge_id), &ceremony.state, ceremony_ttl()).await?;
        Ok(PasskeyChallenge { challenge_id, options: ceremony.options })
    }
}

/// The passkeys among `methods`.
fn passkeys(methods: &[MfaMethod]) -> Vec<PasskeyCredential> {
    methods.iter().filter(|m| m.is_confirmed()).filter_map(|m| m.passkey.clone()).collect()
}
