//! Password hashing, access tokens, secret values and secrets at rest.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::settings::SecretValue;
use crate::domain::{Password, PasswordHash, PasswordPolicy, SessionId, TokenDigest, UserId};

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    Invalid,
    /// `needs_rehash`: the hash uses older parameters; store a new one.
    Valid {
        needs_rehash: bool,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Too many hashes are waiting: shed the request (HTTP 503 with `Retry-After`).
    #[error("password hashing is saturated")]
    Overloaded { retry_after_secs: u64 },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Slow, salted password hashing.
#[async_trait]
pub trait PasswordHasher: Send + Sync + 'static {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError>;
    async fn verify(&self, password: &Password, hash: &PasswordHash) -> Result<Verification, HashError>;
    /// Spends the same work as [`PasswordHasher::verify`] without a real hash, so a login for
    /// an unknown account takes as long as one for a known account.
    async fn verify_dummy(&self, password: &Password) -> Result<(), HashError>;
}

impl dyn PasswordHasher {
    /// Checks a password offered as typed (login, the password grant, re-authentication)
    /// against a stored hash, and returns its NFKC form with the outcome. The NFKC form is
    /// tried first: every hash is made of it since passwords are normalised. When that fails
    /// and NFKC changed what was typed, the form as typed is tried too: a hash stored before
    /// then was made of it. Its match is `Valid { needs_rehash: true }`, so the caller stores
    /// a hash of the NFKC form, the one returned, as it does for a hash with older parameters.
    ///
    /// A password NFKC leaves as it is (every ASCII one) costs one hash, right or wrong, as it
    /// always did. One NFKC changes costs a second hash when the first does not match. That is
    /// acceptable: only those passwords pay it, the cost is bounded (two hashes, never more),
    /// and it tells nothing about the account, since [`Self::verify_typed_dummy`] makes an
    /// unknown account pay the same.
    pub(crate) async fn verify_typed(
        &self,
        typed: &str,
        hash: &PasswordHash,
    ) -> Result<(Password, Verification), HashError> {
        let password = PasswordPolicy::candidate(typed);
        let verified = self.verify(&password, hash).await?;
        if verified != Verification::Invalid {
            return Ok((password, verified));
        }
        let Some(legacy) = PasswordPolicy::legacy_candidate(typed) else {
            return Ok((password, verified));
        };
        let verified = match self.verify(&legacy, hash).await? {
            Verification::Valid { .. } => Verification::Valid { needs_rehash: true },
            Verification::Invalid => Verification::Invalid,
        };
        Ok((password, verified))
    }

    /// Spends the work [`Self::verify_typed`] spends on a wrong password, without a hash: one
    /// dummy verification, two when NFKC changes what was typed.
    pub(crate) async fn verify_typed_dummy(&self, typed: &str) -> Result<(), HashError> {
        self.verify_dummy(&PasswordPolicy::candidate(typed)).await?;
        if let Some(legacy) = PasswordPolicy::legacy_candidate(typed) {
            self.verify_dummy(&legacy).await?;
        }
        Ok(())
    }
}

/// The claims of an access token (SPEC §3).
#[derive(Debug, Clone, PartialEq)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    pub sub: UserId,
    pub sid: SessionId,
    pub iat: DateTime<Utc>,
    pub nbf: DateTime<Utc>,
    pub exp: DateTime<Utc>,
    pub jti: Uuid,
    pub roles: Vec<String>,
    /// How the user proved who they are in this session (`pwd`, later `otp`, `webauthn`).
    pub amr: Vec<String>,
    /// When they last did (the session's sign-in; OIDC's `auth_time`): what step-up
    /// freshness is measured from, unchanged by refreshes.
    pub auth_time: DateTime<Utc>,
}

impl AccessClaims {
    /// The token's lifetime in whole seconds (`expires_in` of a token answer): a token is
    /// answered in the instant it is issued, so this is `exp − iat`, on the service's `Clock`.
    pub fn lifetime_secs(&self) -> i64 {
        (self.exp - self.iat).num_seconds().max(0)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Malformed, wrongly signed, signed by an unknown key, or for another issuer/audience.
    #[error("invalid token: {0}")]
    Invalid(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Signs and verifies access tokens (PASETO v4.public).
pub trait TokenIssuer: Send + Sync + 'static {
    fn issue(&self, claims: &AccessClaims) -> Result<String, TokenError>;
    /// Checks format, signature, key id, issuer and audience, and returns the claims. Time
    /// validity (`nbf`, `exp`) is the use case's to check against its [`Clock`](crate::ports::Clock).
    fn verify(&self, token: &str) -> Result<AccessClaims, TokenError>;
    /// Signs a service client's token (the `client_credentials` grant). Never verifies as a
    /// user's access token, nor a user's token as a service token.
    fn issue_service(&self, claims: &crate::domain::ServiceClaims) -> Result<String, TokenError>;
    /// [`verify`](Self::verify) for service tokens.
    fn verify_service(&self, token: &str) -> Result<crate::domain::ServiceClaims, TokenError>;
}

/// Secret values: random tokens and codes, their digests, and the deterministic successor
/// of a refresh token (so a replay inside the grace window gets the same successor without
/// the successor ever being stored).
pub trait Secrets: Send + Sync + 'static {
    /// A new URL-safe token with at least 256 bits of randomness.
    fn new_token(&self) -> String;
    /// A uniformly random numeric code of `digits` digits.
    fn new_code(&self, digits: u32) -> String;
    /// The digest stored and looked up instead of a token.
    fn digest(&self, token: &str) -> TokenDigest;
    /// A digest under a server key (HMAC): for secrets too short to withstand a search of
    /// their plain digests once a database leaks (recovery codes: 60 bits).
    fn keyed_digest(&self, value: &str) -> TokenDigest;
    /// The refresh token that replaces `token`: keyed, deterministic, unguessable.
    fn successor(&self, token: &str) -> String;
    /// Compares two secrets in constant time.
    fn equal(&self, a: &str, b: &str) -> bool;
}

/// Encrypts secrets at rest (settings secrets). `context` names where the secret belongs
/// (`settings/ai/api_key`) and is authenticated with it, so a sealed value moved elsewhere
/// does not open.
pub trait SecretBox: Send + Sync + 'static {
    fn seal(&self, secret: &SecretValue, context: &str) -> anyhow::Result<String>;
    /// Fails when the value was tampered with, sealed for another context or with another key.
    fn open(&self, sealed: &str, context: &str) -> anyhow::Result<SecretValue>;
}
