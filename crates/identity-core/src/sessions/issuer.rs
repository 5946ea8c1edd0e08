//! Signing in: a new session with its device, first refresh token and `session.created`, and
//! the access token for it.

use std::sync::Arc;

use uuid::Uuid;

use crate::domain::{
    Device, DeviceId, EventType, RefreshToken, RefreshTokenId, Session, SessionCreatedData, SessionId, User,
};
use crate::kernel::context::Context;
use crate::ports::{AccessClaims, ClientInfo, Secrets, TokenIssuer, Transaction};
use crate::usecases::CoreError;

/// A signed-in session with its tokens: the answer of login, registration confirm and refresh.
#[derive(Debug, Clone)]
pub struct LoginOutput {
    pub access_token: String,
    pub claims: AccessClaims,
    /// The opaque refresh token: shown once, stored only as a digest.
    pub refresh_token: String,
    pub session: Session,
    pub user: User,
    /// After a sign-in with a recovery code: how many unused ones are left.
    pub recovery_codes_left: Option<usize>,
}

/// What a right password answers.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum SignIn {
    /// Signed in: a session and its tokens.
    Complete(LoginOutput),
    /// The account has a second factor: nothing is issued until it is proved.
    SecondFactor(MfaPending),
}

/// A sign-in waiting for its second factor.
#[derive(Debug, Clone)]
pub struct MfaPending {
    /// For `POST /v1/auth/login/mfa` only; shown once, kept only as a digest.
    pub mfa_token: String,
    /// The `method`s the second step takes (`totp`, `webauthn`, `recovery_code`).
    pub methods: Vec<&'static str>,
    /// Seconds the token works.
    pub expires_in: i64,
    /// With passkeys: the options of the assertion the second step takes
    /// (`navigator.credentials.get({publicKey})`).
    pub passkey_options: Option<serde_json::Value>,
}

/// The device a login comes from: a known device's id (from an earlier login) and/or a name.
#[derive(Debug, Clone, Default)]
pub struct DeviceInput {
    pub id: Option<Uuid>,
    pub name: Option<String>,
}

/// The device a new session belongs to: a known device of the user's (looked up before the
/// transaction), or a new one with an optional name.
#[derive(Debug, Clone, Default)]
pub(crate) struct DeviceChoice {
    pub known: Option<Device>,
    pub name: Option<String>,
}

/// Opens sessions and signs their access tokens.
#[derive(Clone)]
pub(crate) struct SessionIssuer {
    pub ctx: Context,
    pub tokens: Arc<dyn TokenIssuer>,
    pub secrets: Arc<dyn Secrets>,
}

impl SessionIssuer {
    /// Opens a session for `user` in `tx`, signed in with the methods of `amr`: the device
    /// (an existing one of the user's, or a new one), the session row, its first refresh
    /// token and `session.created`. Returns the session and the refresh token's plain text.
    pub async fn open_session(
        &self,
        tx: &mut dyn Transaction,
        user: &User,
        client: &ClientInfo,
        device: DeviceChoice,
        amr: Vec<String>,
    ) -> Result<(Session, String), CoreError> {
        let now = self.ctx.now();
        let user_agent = client.user_agent.as_deref().map(Session::clip_user_agent);
        let DeviceChoice { known, name } = device;
        let device = match known {
            Some(mut known) => {
                known.last_seen_at = now;
                if name.is_some() {
                    known.name = name;
                }
                tx.sessions().update_device(&known).await?;
                known
            }
            None => {
                let new = Device {
                    id: DeviceId::from_uuid(self.ctx.new_id()),
                    user_id: user.id,
                    name,
                    user_agent: user_agent.clone(),
                    created_at: now,
                    last_seen_at: now,
                };
                tx.sessions().insert_device(&new).await?;
                new
            }
        };
        let session = Session {
            id: SessionId::from_uuid(self.ctx.new_id()),
            user_id: user.id,
            device_id: Some(device.id),
            user_agent,
            ip: client.ip,
            amr,
            auth_time: now,
            created_at: now,
            last_seen_at: now,
            expires_at: now + self.ctx.settings.session_ttl,
            revoked: None,
        };
        tx.sessions().insert_session(&session).await?;
        let refresh_token = self.secrets.new_token();
        tx.sessions()
            .insert_refresh_token(&RefreshToken {
                id: RefreshTokenId::from_uuid(self.ctx.new_id()),
                session_id: session.id,
                digest: self.secrets.digest(&refresh_token),
                issued_at: now,
                expires_at: session.expires_at,
                consumed_at: None,
                replaced_by: None,
                revoked_at: None,
            })
            .await?;
        let event = self.ctx.event(
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
        tx.journal().record_events(&[event]).await?;
        Ok((session, refresh_token))
    }

    pub fn claims_for(&self, user: &User, session: &Session) -> AccessClaims {
        let now = self.ctx.now();
        // An access token never outlives its session.
        let exp = (now + self.ctx.settings.access_token_ttl).min(session.expires_at);
        AccessClaims {
            iss: self.ctx.settings.issuer.clone(),
            aud: self.ctx.settings.audience.clone(),
            sub: user.id,
            sid: session.id,
            iat: now,
            nbf: now,
            exp,
            jti: self.ctx.new_id(),
            roles: user.role_names(),
            amr: session.amr.clone(),
            auth_time: session.auth_time,
        }
    }

    /// The answer of a sign-in: a fresh access token for `session` with its refresh token.
    pub fn signed_in(&self, user: User, session: Session, refresh_token: String) -> Result<LoginOutput, CoreError> {
        let claims = self.claims_for(&user, &session);
        let access_token = self.tokens.issue(&claims)?;
        Ok(LoginOutput { access_token, claims, refresh_token, session, user, recovery_codes_left: None })
    }
}
