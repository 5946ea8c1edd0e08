use crate::domain::ValidationErrors;
use crate::ports::{Conflict, HashError, RepoError, TokenError};

/// Every way a use case can refuse or fail. The HTTP layer maps each variant to one status
/// and one stable `code`; nothing else decides how an error looks to a client.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error(transparent)]
    Validation(#[from] ValidationErrors),
    #[error("this email address is already registered")]
    EmailTaken,
    #[error("this username is already taken")]
    UsernameTaken,
    /// A keyed create request whose key was used with another request body.
    #[error("this Idempotency-Key was used with another request body")]
    IdempotencyKeyReused,
    /// Unknown account, wrong password, or a deleted account: one answer for all three.
    #[error("invalid email, username or password")]
    InvalidCredentials,
    /// No token, or one that is malformed, forged, expired or whose session ended.
    #[error("missing or invalid access token")]
    Unauthenticated,
    /// A change of a versioned resource without `If-Match`.
    #[error("this change needs an If-Match header with the resource's ETag")]
    PreconditionRequired,
    /// `If-Match` names a version that is no longer current.
    #[error("the resource changed since it was read: read it again, then retry")]
    PreconditionFailed,
    /// The user proved who they are too long ago for this operation: `POST
    /// /v1/auth/reauthenticate`, then retry.
    #[error("this needs a recent sign-in: prove who you are again (POST /v1/auth/reauthenticate), then retry")]
    ReauthenticationRequired,
    /// Unknown, expired or revoked refresh token.
    #[error("the refresh token is invalid or expired; sign in again")]
    InvalidRefreshToken,
    /// A refresh token was used again after its grace window: the session was revoked.
    #[error("this refresh token was already used; the session has been revoked for safety")]
    RefreshTokenReused,
    /// Unknown, expired or already used email-verification or password-reset token.
    #[error("the link or token is invalid, expired or already used")]
    InvalidToken,
    /// Wrong or expired registration code.
    #[error("the code is wrong or expired")]
    InvalidCode { attempts_left: u32 },
    #[error("this account is locked")]
    AccountLocked,
    #[error("this account is disabled")]
    AccountDisabled,
    #[error("this email address is not verified yet")]
    EmailNotVerified,
    #[error("another group already has this name")]
    GroupNameTaken,
    /// The user has a confirmed TOTP already: remove it before enrolling another.
    #[error("an authenticator app is set up already; remove it first")]
    MfaAlreadyEnabled,
    /// Recovery codes without a second factor make no sense.
    #[error("set up a second factor first")]
    MfaNotEnabled,
    /// A second factor is needed and was not given: a session with one factor where the
    /// operation needs two (an admin with `REQUIRE_MFA_FOR_ADMINS`), or a re-authentication
    /// of an account with a factor that brought only the password.
    #[error("this needs a second factor")]
    MfaRequired,
    /// A wrong code at the second step of a login (counted like a wrong password).
    #[error("the code is wrong or was already used")]
    InvalidMfaCode { attempts_left: u32 },
    /// Unknown, expired, used-up or voided `mfa_token`.
    #[error("the sign-in is no longer waiting for a second factor; sign in again")]
    InvalidMfaToken,
    /// The change would leave no active admin.
    #[error("this is the last active admin: make someone else admin first")]
    LastAdmin,
    /// Signed in, but not allowed (e.g. not an admin).
    #[error("you are not allowed to do this")]
    Forbidden,
    /// The resource does not exist, or belongs to someone else.
    #[error("no such resource")]
    NotFound,
    /// An admin asked a job for what its state does not allow (cancel a running job, retry a
    /// succeeded one).
    #[error("the job is {state}")]
    JobStateConflict { state: &'static str },
    /// The same request came too soon after the last one (mail resends).
    #[error("please wait before asking again")]
    Cooldown { retry_after_secs: u64 },
    /// Too many failed logins for this account: wait before the next attempt.
    #[error("too many failed sign-ins for this account; wait before trying again")]
    LoginThrottled { retry_after_secs: u64 },
    /// Too many requests from this client or for this account (the `auth` bucket).
    #[error("too many requests; retry later")]
    RateLimited(crate::ports::RateDecision),
    /// Too much work is queued (password hashing): try again shortly.
    #[error("the service is busy; retry shortly")]
    Overloaded { retry_after_secs: u64 },
    /// A dependency (database, cache) is down.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Internal(anyhow::Error),
}

impl From<RepoError> for CoreError {
    fn from(error: RepoError) -> Self {
        match error {
            RepoError::Conflict(Conflict::Email) => Self::EmailTaken,
            RepoError::Conflict(Conflict::Username) => Self::UsernameTaken,
            RepoError::Conflict(Conflict::GroupName) => Self::GroupNameTaken,
            RepoError::Conflict(Conflict::Passkey) => {
                Self::Validation(crate::domain::ValidationErrors::single(crate::domain::FieldError::new(
                    "credential",
                    "already_registered",
                    "this passkey is registered already",
                )))
            }
            RepoError::Unavailable(e) => Self::Unavailable(e),
            RepoError::Unknown(e) => Self::Internal(e),
        }
    }
}

impl From<HashError> for CoreError {
    fn from(error: HashError) -> Self {
        match error {
            HashError::Overloaded { retry_after_secs } => Self::Overloaded { retry_after_secs },
            HashError::Internal(e) => Self::Internal(e),
        }
    }
}

impl From<TokenError> for CoreError {
    fn from(error: TokenError) -> Self {
        match error {
            TokenError::Invalid(_) => Self::Unauthenticated,
            TokenError::Internal(e) => Self::Internal(e),
        }
    }
}
