//! Passkeys (WebAuthn): registering one as a factor (`/v1/mfa/webauthn/register/…`), signing in
//! with one alone (`/v1/auth/passkey/…`), and the assertion a re-authentication takes
//! (`/v1/auth/reauthenticate/passkey`). Each ceremony has two steps: `start` answers the
//! options to hand to `navigator.credentials.create()` / `.get()` as `publicKey`, with a
//! `challenge_id`; `finish` takes the browser's `PublicKeyCredential` (as JSON: `id`, `rawId`,
//! `type`, `response`, base64url fields) with that `challenge_id`. A ceremony's state stays on
//! the server for 5 minutes and is used once.

use actix_web::{HttpRequest, HttpResponse, post, web};
use identity_core::domain::PasskeyChallenge;
use identity_core::usecases::PasskeySignInInput;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::signed_in;
use super::mfa::MfaMethodView;
use super::private_json;
use crate::client::client_info;
use crate::error::{ApiError, Problem};
use crate::extract::{CurrentUser, JsonBody};
use crate::limits::limited;
use crate::state::AppState;

/// A passkey ceremony begun.
#[derive(Debug, Serialize, ToSchema)]
pub struct PasskeyChallengeResponse {
    /// Send it back with the browser's answer (within 5 minutes, once).
    pub challenge_id: Uuid,
    /// The `publicKey` options for `navigator.credentials.create()` (registration) or `.get()`
    /// (sign-in), with binary fields as base64url strings.
    #[schema(value_type = Object)]
    pub public_key: serde_json::Value,
}

impl From<PasskeyChallenge> for PasskeyChallengeResponse {
    fn from(challenge: PasskeyChallenge) -> Self {
        Self { challenge_id: challenge.challenge_id, public_key: challenge.options }
    }
}

/// The browser's answer to a passkey ceremony.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeyAnswer {
    /// From the ceremony's `start`.
    pub challenge_id: Uuid,
    /// The `PublicKeyCredential` the browser answered, as JSON (binary fields base64url).
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

/// The browser's answer to a registration, and a name for the passkey.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterPasskeyRequest {
    pub challenge_id: Uuid,
    /// The `PublicKeyCredential` `navigator.credentials.create()` answered, as JSON.
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
    /// 1–64 characters, one line (default `Passkey`).
    #[serde(default)]
    #[schema(example = "Laptop", min_length = 1, max_length = 64)]
    pub label: Option<String>,
}

/// A registered passkey, and the recovery codes when it is the account's first factor.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisteredPasskey {
    pub method: MfaMethodView,
    /// Ten single-use codes, shown this once: only with the account's first factor, `null`
    /// otherwise.
    pub recovery_codes: Option<Vec<String>>,
}

/// Begins registering a passkey of the caller (a factor, and a sign-in of its own: the
/// credential is discoverable). Needs a recent authentication. The caller's passkeys are
/// excluded, so one authenticator is not registered twice.
#[utoipa::path(
    operation_id = "start_passkey_registration",
    tag = "mfa",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = OK, body = PasskeyChallengeResponse),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = FORBIDDEN, description = "`reauthentication_required`: no authentication within `REAUTH_MAX_AGE_SECONDS`, or `csrf_rejected`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/mfa/webauthn/register/start")]
pub async fn start_passkey_registration(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, ApiError> {
    let challenge = state.services.mfa.start_passkey_registration(&user.0).await?;
    Ok(private_json(PasskeyChallengeResponse::from(challenge)))
}

/// Finishes registering a passkey with the browser's answer: it is a factor at once (sign-ins
/// then need a second factor, which it is). The account's first factor also answers its
/// recovery codes. Emits `mfa.enabled`; the user is mailed.
#[utoipa::path(
    operation_id = "finish_passkey_registration",
    tag = "mfa",
    request_body = RegisterPasskeyRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = OK, body = RegisteredPasskey),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = FORBIDDEN, description = "`csrf_rejected`", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: an unknown, expired or used `challenge_id`, an answer that was refused (another origin or RP ID, another challenge, a bad signature), a passkey registered already, or a bad `label`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/mfa/webauthn/register/finish")]
pub async fn finish_passkey_registration(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: JsonBody<RegisterPasskeyRequest>,
) -> Result<HttpResponse, ApiError> {
    let JsonBody(body) = body;
    let (method, recovery_codes) = state
        .services
        .mfa
        .finish_passkey_registration(&user.0, body.challenge_id, &body.credential, body.label.as_deref())
        .await?;
    Ok(private_json(RegisteredPasskey { method: MfaMethodView::from(&method), recovery_codes }))
}

/// Begins a sign-in with a passkey alone (discoverable credentials: the browser offers the
/// user's passkeys for this site, no account named first; `mediation: "conditional"` for
/// autofill is the caller's choice).
#[utoipa::path(
    operation_id = "start_passkey_sign_in",
    tag = "auth",
    responses(
        (status = OK, body = PasskeyChallengeResponse),
        (status = TOO_MANY_REQUESTS, description = "`rate_limited` (see `Retry-After` and `RateLimit-*`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/passkey/start")]
pub async fn start_passkey_sign_in(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let answer = state.services.login.passkey_start(&client_info(&req, &state)).await;
    limited(answer, |challenge| private_json(PasskeyChallengeResponse::from(challenge)))
}

/// Finishes a sign-in with a passkey: the same answer as a login with a password and a second
/// factor (tokens in the body, `X-Auth-Token`, cookies), with `amr` `["webauthn"]` and `aal`
/// 2. An unknown or used challenge, a passkey of no account (or of one that may not sign in)
/// and a refused answer are the same 401 `invalid_credentials`.
#[utoipa::path(
    operation_id = "finish_passkey_sign_in",
    tag = "auth",
    request_body = PasskeyAnswer,
    responses(
        (status = OK, description = "Signed in", body = super::auth::LoginResponse,
         headers(("X-Auth-Token" = String, description = "The access token"),
                 ("Set-Cookie" = String, description = "Access token (path /) and refresh token (path /v1/auth) as HttpOnly cookies"))),
        (status = UNAUTHORIZED, description = "`invalid_credentials`: an unknown, expired or used challenge, or an answer that proves no account's passkey", body = Problem, content_type = "application/problem+json"),
        (status = FORBIDDEN, description = "`email_not_verified` (with `REQUIRE_VERIFIED_EMAIL`)", body = Problem, content_type = "application/problem+json"),
        (status = TOO_MANY_REQUESTS, description = "`rate_limited` (see `Retry-After` and `RateLimit-*`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/passkey/finish")]
pub async fn finish_passkey_sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<PasskeyAnswer>,
) -> Result<HttpResponse, ApiError> {
    let JsonBody(body) = body;
    let input = PasskeySignInInput {
        challenge_id: body.challenge_id,
        credential: body.credential,
        client: client_info(&req, &state),
    };
    let answer = state.services.login.passkey_finish(input).await;
    limited(answer, |out| signed_in(HttpResponse::Ok(), &state.cookies, &out))
}

/// Begins the passkey assertion of a re-authentication: answer it with
/// `POST /v1/auth/reauthenticate` (`method: "webauthn"`, `challenge_id`, `credential`).
#[utoipa::path(
    operation_id = "start_passkey_reauthentication",
    tag = "auth",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = OK, body = PasskeyChallengeResponse),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = FORBIDDEN, description = "`csrf_rejected`", body = Problem, content_type = "application/problem+json"),
        (status = CONFLICT, description = "`mfa_not_enabled`: the account has no passkey", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/reauthenticate/passkey")]
pub async fn start_passkey_reauthentication(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, ApiError> {
    let challenge = state.services.mfa.start_passkey_reauthentication(&user.0).await?;
    Ok(private_json(PasskeyChallengeResponse::from(challenge)))
}
