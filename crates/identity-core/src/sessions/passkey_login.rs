//! Signing in with a passkey alone (`POST /v1/auth/passkey/start|finish`): a discoverable
//! credential names its user and proves two factors at once (something held, unlocked by the
//! user's PIN or biometrics: WebAuthn's user verification), so the session it opens has `amr`
//! `[webauthn]` and assurance level 2, the same answer as a password and a second factor.

use crate::domain::User;
use crate::kernel::throttle::{AuthFlow, Limited};
use crate::mfa::domain::PasskeyChallenge;
use crate::sessions::issuer::{DeviceChoice, LoginOutput};
use crate::sessions::login::LoginService;
use crate::sessions::second_factor::PasskeySignInInput;
use crate::usecases::CoreError;

impl LoginService {
    /// `POST /v1/auth/passkey/start`: the options of an assertion by any passkey of this
    /// service, under the client's `auth` bucket.
    pub async fn passkey_start(
        &self,
        client: &crate::ports::ClientInfo,
    ) -> Result<Limited<PasskeyChallenge>, CoreError> {
        self.throttle.guard(AuthFlow::Login, client, None, self.mfa.start_passkey_sign_in()).await
    }

    /// `POST /v1/auth/passkey/finish`: checks the answer against the passkeys of the user it
    /// names and opens a session. An unknown or used challenge, an answer that names no
    /// account of ours or one that may not sign in, and a refused answer all answer
    /// [`CoreError::InvalidCredentials`]; each is recorded as a failed login.
    pub async fn passkey_finish(&self, input: PasskeySignInInput) -> Result<Limited<LoginOutput>, CoreError> {
        let client = input.client.clone();
        self.throttle.guard(AuthFlow::Login, &client, None, self.passkey_sign_in(input)).await
    }

    async fn passkey_sign_in(&self, input: PasskeySignInInput) -> Result<LoginOutput, CoreError> {
        let Some(state) = self.mfa.take_sign_in(input.challenge_id).await? else {
            self.record_failure(None, "", &input.client, "unknown_challenge").await?;
            return Err(CoreError::InvalidCredentials);
        };
        let user = match self.mfa.passkey_user(&input.credential) {
            Some(id) => self.users.find_by_id(id).await?,
            None => None,
        };
        let Some(user) = user.filter(User::is_active) else {
            self.record_failure(None, "", &input.client, "invalid_passkey").await?;
            return Err(CoreError::InvalidCredentials);
        };
        let mut tx = self.uow.begin().await?;
        let proof = self.mfa.prove_passkey(tx.as_mut(), &user, &state, &input.credential, true).await?;
        let Some(proof) = proof else {
            drop(tx);
            self.record_failure(Some(user.id), user.email.as_str(), &input.client, "invalid_passkey").await?;
            return Err(CoreError::InvalidCredentials);
        };
        if self.ctx.settings.require_verified_email && !user.email_verified {
            drop(tx);
            self.record_failure(Some(user.id), user.email.as_str(), &input.client, "email_not_verified").await?;
            return Err(CoreError::EmailNotVerified);
        }
        let amr = vec![proof.amr().to_owned()];
        let metadata = serde_json::json!({ "method": "passkey" });
        self.complete_sign_in(tx, user, &input.client, DeviceChoice::default(), amr, metadata).await
    }
}
