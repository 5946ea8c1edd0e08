//! The one list of problem codes: every `code` a problem document can carry, with its HTTP
//! status and meaning. `ApiError` only takes a [`ProblemCode`], so the server cannot answer a
//! code this list lacks, and the OpenAPI document's `ProblemCode` enum is generated from it.

use actix_web::http::StatusCode;
use serde::{Serialize, Serializer};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

macro_rules! problem_codes {
    ($($variant:ident = $code:literal, $status:ident, $meaning:literal;)+) => {
        /// A stable machine code of a problem document; clients branch on it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ProblemCode {
            $(#[doc = $meaning] $variant,)+
        }

        impl ProblemCode {
            /// Every code, in the order of the list.
            pub const ALL: &'static [ProblemCode] = &[$(ProblemCode::$variant,)+];

            /// The code as it appears on the wire (`malformed_body`, …).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ProblemCode::$variant => $code,)+
                }
            }

            /// The status a problem with this code answers with.
            pub const fn status(self) -> StatusCode {
                match self {
                    $(ProblemCode::$variant => StatusCode::$status,)+
                }
            }

            /// What the code means, for people (the OpenAPI document's description).
            pub const fn meaning(self) -> &'static str {
                match self {
                    $(ProblemCode::$variant => $meaning,)+
                }
            }
        }
    };
}

problem_codes! {
    MalformedBody = "malformed_body", BAD_REQUEST, "The body is empty, not valid JSON, or could not be read.";
    InvalidToken = "invalid_token", BAD_REQUEST, "The token from the mail is unknown, expired or already used.";
    InvalidMfaToken = "invalid_mfa_token", UNAUTHORIZED, "The sign-in is no longer waiting for a second factor (expired, finished, or too many wrong codes): sign in again.";
    InvalidCode = "invalid_code", BAD_REQUEST, "The code is wrong or expired; `attempts_left` says how many tries remain.";
    InvalidIdempotencyKey = "invalid_idempotency_key", BAD_REQUEST, "`Idempotency-Key` is not 1–255 visible ASCII characters.";
    BadRequest = "bad_request", BAD_REQUEST, "The HTTP request itself is invalid (refused before reaching an operation).";
    Unauthenticated = "unauthenticated", UNAUTHORIZED, "The access token is missing, invalid or expired, or its session or account ended.";
    InvalidMfaCode = "invalid_mfa_code", UNAUTHORIZED, "The second factor's code is wrong or was already used; `attempts_left` says how many tries the `mfa_token` has left.";
    MfaRequired = "mfa_required", FORBIDDEN, "A second factor is needed: a session signed in with one (`REQUIRE_MFA_FOR_ADMINS`), or the factor's code with the password.";
    InvalidCredentials = "invalid_credentials", UNAUTHORIZED, "Unknown account, wrong password, or an account that may not sign in.";
    InvalidRefreshToken = "invalid_refresh_token", UNAUTHORIZED, "The refresh token is missing, unknown or expired.";
    RefreshTokenReused = "refresh_token_reused", UNAUTHORIZED, "An already used refresh token was replayed: the session is revoked.";
    Forbidden = "forbidden", FORBIDDEN, "Signed in, but not allowed to do this (e.g. not an admin).";
    ReauthenticationRequired = "reauthentication_required", FORBIDDEN, "The operation needs a recent proof of who you are: `POST /v1/auth/reauthenticate` (`REAUTH_MAX_AGE_SECONDS`), then retry.";
    PreconditionFailed = "precondition_failed", PRECONDITION_FAILED, "`If-Match` names a version that is no longer current: read the resource again, then retry.";
    PreconditionRequired = "precondition_required", PRECONDITION_REQUIRED, "A change of a versioned resource needs `If-Match` with the `ETag` it was read with.";
    CsrfRejected = "csrf_rejected", FORBIDDEN, "A cookie-authenticated unsafe request came without an allowed `Origin`.";
    AccountLocked = "account_locked", FORBIDDEN, "The account is locked.";
    AccountDisabled = "account_disabled", FORBIDDEN, "The account is disabled.";
    EmailNotVerified = "email_not_verified", FORBIDDEN, "The address must be verified first (`REQUIRE_VERIFIED_EMAIL`).";
    NotFound = "not_found", NOT_FOUND, "No such resource (or not the caller's).";
    MethodNotAllowed = "method_not_allowed", METHOD_NOT_ALLOWED, "The resource exists but not with this method; see `Allow`.";
    EmailTaken = "email_taken", CONFLICT, "The address already has an account.";
    UsernameTaken = "username_taken", CONFLICT, "The username is taken.";
    GroupNameTaken = "group_name_taken", CONFLICT, "A group with this name (regardless of case) exists.";
    MfaAlreadyEnabled = "mfa_already_enabled", CONFLICT, "An authenticator app is set up already: remove it before setting up another.";
    MfaNotEnabled = "mfa_not_enabled", CONFLICT, "The account has no second factor to go with this.";
    LastAdmin = "last_admin", CONFLICT, "The last active admin must stay an active admin.";
    JobStateConflict = "job_state_conflict", CONFLICT, "The job's state does not allow this (cancel a running job, retry a succeeded one).";
    IdempotencyInProgress = "idempotency_in_progress", CONFLICT, "A request with this `Idempotency-Key` is still running; see `Retry-After`.";
    PayloadTooLarge = "payload_too_large", PAYLOAD_TOO_LARGE, "The body is larger than `MAX_BODY_BYTES`.";
    UnsupportedMediaType = "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE, "The body is not of the documented content type.";
    ValidationFailed = "validation_failed", UNPROCESSABLE_ENTITY, "Fields or parameters are missing, unknown or invalid; `errors` names each.";
    IdempotencyKeyReused = "idempotency_key_reused", UNPROCESSABLE_ENTITY, "This `Idempotency-Key` was used with another request body.";
    RateLimited = "rate_limited", TOO_MANY_REQUESTS, "Too many requests from this client; see `Retry-After` and `RateLimit-*`.";
    Cooldown = "cooldown", TOO_MANY_REQUESTS, "A mail was sent moments ago; see `Retry-After`.";
    LoginThrottled = "login_throttled", TOO_MANY_REQUESTS, "Too many failed sign-ins for this account; see `Retry-After`.";
    InternalError = "internal_error", INTERNAL_SERVER_ERROR, "An unexpected error; nothing about it is disclosed.";
    BadGateway = "bad_gateway", BAD_GATEWAY, "The built-in proxy could not reach the upstream of the path, or it broke off its answer.";
    ServiceUnavailable = "service_unavailable", SERVICE_UNAVAILABLE, "A dependency is down; see `Retry-After`.";
    Overloaded = "overloaded", SERVICE_UNAVAILABLE, "Password hashing is saturated; see `Retry-After`.";
    TooManySockets = "too_many_sockets", SERVICE_UNAVAILABLE, "The user's or the replica's WebSocket limit is reached, or the replica is stopping; see `Retry-After`.";
    GatewayTimeout = "gateway_timeout", GATEWAY_TIMEOUT, "The upstream of a proxied path did not connect or answer in time (`PROXY_*_TIMEOUT_SECONDS`).";
}

impl ProblemCode {
    /// The code named `code` on the wire.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.as_str() == code)
    }
}

impl std::fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ProblemCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl utoipa::PartialSchema for ProblemCode {
    fn schema() -> RefOr<Schema> {
        let meanings: Vec<String> = Self::ALL
            .iter()
            .map(|c| format!("- `{}` ({}): {}", c.as_str(), c.status().as_u16(), c.meaning()))
            .collect();
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(format!(
                "Stable machine code of a problem; clients branch on it. New codes may be added.\n\n{}",
                meanings.join("\n")
            )))
            .enum_values(Some(Self::ALL.iter().map(|c| c.as_str())))
            .examples([serde_json::json!("validation_failed")])
            .into()
    }
}

impl utoipa::ToSchema for ProblemCode {}

#[cfg(test)]
mod tests {
    use super::ProblemCode;

    #[test]
    fn codes_are_unique_snake_case_and_errors() {
        let mut seen = std::collections::BTreeSet::new();
        for code in ProblemCode::ALL {
            assert!(seen.insert(code.as_str()), "{code} twice");
            assert!(code.as_str().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{code}");
            assert!(code.status().as_u16() >= 400, "{code}");
            assert_eq!(ProblemCode::parse(code.as_str()), Some(*code));
        }
    }
}
