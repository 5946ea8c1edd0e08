//! The second step of a sign-in (`POST /v1/auth/login/mfa`) and step-up
//! (`POST /v1/auth/reauthenticate`): what they take and answer. What a factor proves, and
//! when one is needed, is core's (`LoginService`).

use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::{DateTime, Utc};
use identity_core::usecases::{FactorInput, MfaLoginInput};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::{LoginResponse, TokenType, signed_in, with_access_token};
use super::views::{MfaMethodName, SessionView};
use crate::client::client_info;
use crate::error::{ApiError, Problem};
use crate::extract::{CurrentUser, JsonBody};
use crate::limits::limited;
use crate::state::AppState;

/// What a second factor's answer holds depends on its `method`: a code (`totp`,
/// `recovery_code`), or the passkey's `credential` object (`webauthn`, with the
/// `challenge_id` of its ceremony at re-authentication); without a `method` (re-authentication
/// of an account without a factor), none of them. Added to the generated schemas, which have
/// no way to relate one field to another.
pub fn second_factor_answers(doc: &mut serde_json::Value) {
    use serde_json::json;
    let webauthn = json!({ "required": ["method"], "properties": { "method": { "const": "webauthn" } } });
    let answer = |passkey: serde_json::Value| {
        json!({
            "if": webauthn,
            "then": passkey,
            "else": { "required": ["code"], "properties": { "code": { "type": "string" } } },
        })
    };
    let at_login = answer(json!({ "required": ["credential"], "properties": { "credential": { "type": "object" } } }));
    let step_up = answer(json!({
        "required": ["challenge_id", "credential"],
        "properties": { "challenge_id": { "type": "string" }, "credential": { "type": "object" } },
    }));
    if let Some(schema) = doc.pointer_mut("/components/schemas/MfaLoginRequest").and_then(|s| s.as_object_mut()) {
        for (key, value) in at_login.as_object().into_iter().flatten() {
            schema.insert(key.clone(), value.clone());
        }
    }
    if let Some(schema) = doc.pointer_mut("/components/schemas/ReauthenticateRequest").and_then(|s| s.as_object_mut()) {
        let absent = json!({ "type": "null" });
        schema.insert(
            "if".to_owned(),
            json!({ "required": ["method"], "properties": { "method": { "type": "string" } } }),
        );
        schema.insert("then".to_owned(), step_up);
        schema.insert(
            "else".to_owned(),
            json!({ "properties": { "code": absent, "challenge_id": absent, "credential": absent } }),
        );
    }
}

/// The second step of a sign-in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaLoginRequest {
    /// From the login's `mfa_required` answer.
    #[schema(min_length = 1)]
    pub mfa_token: String,
    pub method: MfaMethodName,
    /// `totp`: the 6 digits of the authenticator app; `recovery_code`: a recovery code
    /// (`XXXX-XXXX-XXXX`; case, dashes and spaces do not matter).
    #[serde(default)]
    #[schema(example = "123456", min_length = 1, max_length = 64)]
    pub code: Option<String>,
    /// `webauthn`: the `PublicKeyCredential` `navigator.credentials.get()` answered to the
    /// login's `webauthn` options, as JSON.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub credential: Option<serde_json::Value>,
}

/// Completes a sign-in that answered `mfa_required`: the same answer as a login (tokens in
/// the body, `X-Auth-Token`, cookies), with `amr` `["pwd", "otp"]` or `["pwd", "recovery"]`.
/// A TOTP code works once; a recovery code works once (the account's owner is mailed, and
/// the audit log says how many are left). Wrong codes count against the account like wrong
/// passwords; the fifth voids the `mfa_token`.
#[utoipa::path(
    operation_id = "login_mfa",
    tag = "auth",
    request_body = MfaLoginRequest,
    responses(
        (status = OK, description = "Signed in", body = LoginResponse,
         headers(("X-Auth-Token" = String, description = "The access token"),
                 ("Set-Cookie" = String, description = "Access token (path /) and refresh token (path /v1/auth) as HttpOnly cookies"))),
        (status = UNAUTHORIZED, description = "`invalid_mfa_code` (wrong or used code; `attempts_left`), or `invalid_mfa_token` (unknown, expired, finished, or voided by five wrong codes: sign in again)", body = Problem, content_type = "application/problem+json"),
        (status = TOO_MANY_REQUESTS, description = "`rate_limited` (see `Retry-After` and `RateLimit-*`), or `login_throttled` after repeated failures", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/login/mfa")]
pub async fn login_mfa(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<MfaLoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let JsonBody(body) = body;
    let input = MfaLoginInput {
        mfa_token: body.mfa_token,
        method: body.method.as_str().to_owned(),
        code: body.code.unwrap_or_default(),
        credential: body.credential,
        client: client_info(&req, &state),
    };
    let answer = state.services.login.login_mfa(input).await;
    limited(answer, |out| signed_in(HttpResponse::Ok(), &state.cookies, &out))
}

/// Proving who you are again, for the sensitive changes of the next
/// `REAUTH_MAX_AGE_SECONDS`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReauthenticateRequest {
    #[schema(format = Password, min_length = 1)]
    pub password: String,
    /// Required when the account has a second factor: with `code` (`totp`,
    /// `recovery_code`), or with `challenge_id` and `credential` (`webauthn`: the answer to
    /// `POST /v1/auth/reauthenticate/passkey`).
    #[serde(default)]
    pub method: Option<MfaMethodName>,
    #[serde(default)]
    #[schema(example = "123456", min_length = 1, max_length = 64)]
    pub code: Option<String>,
    #[serde(default)]
    pub challenge_id: Option<Uuid>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub credential: Option<serde_json::Value>,
}

/// A session whose user just proved who they are again.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReauthenticateResponse {
    /// A new access token carrying the new `auth_time` (and `amr`); also `X-Auth-Token` and
    /// the access cookie. The refresh token does not change.
    pub access_token: String,
    pub token_type: TokenType,
    #[schema(example = 900)]
    pub expires_in: i64,
    pub expires_at: DateTime<Utc>,
    pub session: SessionView,
}

/// Step-up ("sudo mode"): the password again, and a second factor when the account has one.
/// Changing the password or the email, adding or removing a factor, new recovery codes and
/// deleting the account need this within `REAUTH_MAX_AGE_SECONDS` of the sign-in or of the
/// last re-authentication (403 `reauthentication_required` otherwise). Answers a new access
/// token with the new `auth_time`. Failures count like failed logins.
#[utoipa::path(
    operation_id = "reauthenticate",
    tag = "auth",
    security(("bearer" = []), ("cookie" = [])),
    request_body = ReauthenticateRequest,
    responses(
        (status = OK, body = ReauthenticateResponse,
         headers(("X-Auth-Token" = String, description = "The new access token"),
                 ("Set-Cookie" = String, description = "The new access token as an HttpOnly cookie (path /)"))),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = FORBIDDEN, description = "`mfa_required`: the account has a second factor; send `method` and `code` with the password, or `csrf_rejected`", body = Problem, content_type = "application/problem+json"),
        (status = TOO_MANY_REQUESTS, description = "`login_throttled` after repeated failures", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: a wrong password (field `password`), a wrong or used code (field `code`), or `method` without `code`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/reauthenticate")]
pub async fn reauthenticate(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: JsonBody<ReauthenticateRequest>,
) -> Result<HttpResponse, ApiError> {
    let JsonBody(body) = body;
    // Anything of a factor given makes a factor; core says what it lacks.
    let given =
        body.method.is_some() || body.code.is_some() || body.challenge_id.is_some() || body.credential.is_some();
    let factor = given.then(|| FactorInput {
        method: body.method.map(|m| m.as_str().to_owned()).unwrap_or_default(),
        code: body.code.unwrap_or_default(),
        challenge_id: body.challenge_id,
        credential: body.credential,
    });
    let out = state.services.login.reauthenticate(&user.0, &body.password, factor).await?;
    Ok(with_access_token(&mut HttpResponse::Ok(), &state.cookies, &out.access_token).json(ReauthenticateResponse {
        access_token: out.access_token.clone(),
        token_type: TokenType::Bearer,
        expires_in: out.claims.lifetime_secs(),
        expires_at: out.claims.exp,
        session: SessionView::from(&out.session),
    }))
}
