use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::EmailRequest;
use crate::client::client_info;
use crate::error::{ApiError, Problem};
use crate::extract::{CurrentUser, JsonBody};
use crate::limits::limited;
use crate::state::AppState;

/// Mails a single-use reset link when the address has an active account; always 202.
#[utoipa::path(
    operation_id = "forgot_password",
    tag = "passwords",
    request_body = EmailRequest,
    responses(
        (status = ACCEPTED, description = "A link is on its way if the address has an account"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`", body = Problem, content_type = "application/problem+json"),
        (status = TOO_MANY_REQUESTS, description = "`cooldown` or `rate_limited`; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/password/forgot")]
pub async fn forgot(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<EmailRequest>,
) -> Result<HttpResponse, ApiError> {
    let answer = state.services.passwords.forgot_password(&body.0.email, &client_info(&req, &state)).await;
    limited(answer, |()| HttpResponse::Accepted().finish())
}

/// A reset token from the mail and the new password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordRequest {
    /// The token from the mail (URL-safe base64).
    #[schema(min_length = 1, max_length = 256, pattern = "^[A-Za-z0-9_-]+$")]
    pub token: String,
    /// 8–128 characters by default (see registration).
    #[schema(format = Password, example = "a brand new passphrase", min_length = 8, max_length = 128)]
    pub new_password: String,
}

/// Sets a new password with the token from the reset mail (single use, expires) and ends
/// every session of the account.
#[utoipa::path(
    operation_id = "reset_password",
    tag = "passwords",
    request_body = ResetPasswordRequest,
    responses(
        (status = NO_CONTENT, description = "Password changed; every session ended"),
        (status = BAD_REQUEST, description = "`invalid_token`: unknown, expired or used", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: weak new password", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/password/reset")]
pub async fn reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<ResetPasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let JsonBody(body) = body;
    state.services.passwords.reset_password(&body.token, &body.new_password, &client_info(&req, &state)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Mails a reset link to the signed-in caller's own address.
#[utoipa::path(
    operation_id = "request_password_reset",
    tag = "passwords",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = ACCEPTED, description = "A link is on its way"),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = TOO_MANY_REQUESTS, description = "`cooldown`; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/password/reset/request")]
pub async fn reset_request(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    state.services.passwords.request_password_reset(&user.0).await?;
    Ok(HttpResponse::Accepted().finish())
}

/// The current and the new password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    #[schema(format = Password, min_length = 1)]
    pub current_password: String,
    /// 8–128 characters by default (see registration).
    #[schema(format = Password, min_length = 8, max_length = 128)]
    pub new_password: String,
}

/// Changes the password (the current one is required) and ends every other session.
#[utoipa::path(
    operation_id = "change_password",
    tag = "passwords",
    request_body = ChangePasswordRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = NO_CONTENT, description = "Changed; other sessions ended"),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: wrong current password (`current_password`/`incorrect`; counted like a failed login) or weak new one", body = Problem, content_type = "application/problem+json"),
        (status = TOO_MANY_REQUESTS, description = "`login_throttled`: too many wrong passwords for this account; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/password/change")]
pub async fn change(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: JsonBody<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let JsonBody(body) = body;
    state.services.passwords.change_password(&user.0, &body.current_password, &body.new_password).await?;
    Ok(HttpResponse::NoContent().finish())
}
