/// Why a token was not accepted. No variant carries the token or any part of it, so an error
/// can be logged as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// Not a PASETO `v4.public` token with a JSON footer naming its key, or its claims are not
    /// the identity service's (missing, mistyped, a time that is not RFC 3339). Says which.
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// Signed by a key the identity service does not publish (any more), or the keys were
    /// fetched too recently to fetch them again.
    #[error("the token is signed by an unknown key")]
    UnknownKey,
    /// The signature does not match: the token was altered, or forged.
    #[error("the token's signature is invalid")]
    BadSignature,
    /// Issued by another issuer than [`Config::issuer`](crate::Config::issuer).
    #[error("the token is from another issuer")]
    WrongIssuer,
    /// Issued for another audience than [`Config::audience`](crate::Config::audience).
    #[error("the token is meant for another audience")]
    WrongAudience,
    /// Past its `exp` by more than the leeway.
    #[error("the token has expired")]
    Expired,
    /// Before its `nbf`, or issued (`iat`) later than now, by more than the leeway.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// The keys could not be fetched from the identity service (down, unreachable, or an
    /// answer that is not a key set): the token may well be valid. Says why.
    #[error("the token's keys are unavailable: {0}")]
    KeysUnavailable(String),
}

/// A [`Verifier`](crate::Verifier) that cannot be built from what it was given.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A key given to [`Verifier::with_keys`](crate::Verifier::with_keys) is not a PASERK
    /// `k4.public.…` key, or its key id is not that key's `k4.pid.…`. Names the key id (never
    /// the key, in case a secret key was pasted by mistake).
    #[error("key {kid}: {reason}")]
    Key { kid: String, reason: &'static str },
    /// The HTTP client could not be built (its TLS backend did not start).
    #[error("the HTTP client cannot be built: {0}")]
    Client(String),
}
