use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::VerifyError;

/// What a verified access token says: who (`sub`), in which session (`sid`), with which roles,
/// and for how long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claims {
    /// The user's id.
    pub sub: Uuid,
    /// The session the token was issued in (one login).
    pub sid: Uuid,
    /// The user's roles when the token was issued (`user`, `admin`, …).
    pub roles: Vec<String>,
    /// How the user authenticated (RFC 8176 values: `pwd`, `otp`, …).
    pub amr: Vec<String>,
    /// When the token was issued.
    pub iat: DateTime<Utc>,
    /// The token is not accepted before this.
    pub nbf: DateTime<Utc>,
    /// The token is not accepted after this.
    pub exp: DateTime<Utc>,
    /// When the user last proved who they are (the login, not a refresh): a service may ask
    /// for a recent one before a sensitive action. Tokens without it count from `iat`.
    pub auth_time: DateTime<Utc>,
    /// The assurance level of the sign-in (NIST SP 800-63B): 1 for one factor, 2 when a
    /// second factor was proved (`amr` lists `otp`, `recovery` or `webauthn`).
    pub aal: u8,
    /// The token's own id.
    pub jti: Uuid,
    /// Who issued the token.
    pub iss: String,
    /// Whom the token is for.
    pub aud: String,
}

impl Claims {
    /// Whether the user had `role` when the token was issued.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

/// The claims as they travel in the token (the identity service's `WireClaims`): RFC 3339
/// times, as PASETO's registered claims are.
#[derive(Deserialize)]
pub(crate) struct WireClaims {
    pub iss: String,
    pub aud: String,
    sub: Uuid,
    sid: Uuid,
    iat: String,
    nbf: String,
    exp: String,
    jti: Uuid,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    amr: Vec<String>,
    /// Absent from tokens issued before the identity service added it: those count from `iat`.
    #[serde(default)]
    auth_time: Option<String>,
    /// Absent from tokens issued before the identity service added it: level 1.
    #[serde(default)]
    aal: Option<u8>,
}

/// The token's footer: the PASERK id (`k4.pid.…`) of the key that signed it.
#[derive(Deserialize)]
pub(crate) struct WireFooter {
    pub kid: String,
}

impl WireClaims {
    /// The claims with their times read, or which time is not RFC 3339.
    pub fn into_claims(self) -> Result<Claims, VerifyError> {
        let iat = time(&self.iat, "iat is not an RFC 3339 time")?;
        let auth_time = match self.auth_time.as_deref() {
            Some(raw) => time(raw, "auth_time is not an RFC 3339 time")?,
            None => iat,
        };
        Ok(Claims {
            sub: self.sub,
            sid: self.sid,
            roles: self.roles,
            amr: self.amr,
            iat,
            nbf: time(&self.nbf, "nbf is not an RFC 3339 time")?,
            exp: time(&self.exp, "exp is not an RFC 3339 time")?,
            auth_time,
            aal: self.aal.unwrap_or(1),
            jti: self.jti,
            iss: self.iss,
            aud: self.aud,
        })
    }
}

fn time(raw: &str, what: &'static str) -> Result<DateTime<Utc>, VerifyError> {
    DateTime::parse_from_rfc3339(raw).map(|t| t.with_timezone(&Utc)).map_err(|_| VerifyError::Malformed(what))
}
