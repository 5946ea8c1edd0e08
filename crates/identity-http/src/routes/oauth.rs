//! `POST /v1/auth/token`: the login as an OAuth2 token endpoint (RFC 6749 §4.3 password
//! grant and §6 refresh), so Swagger UI's *Authorize* and OAuth2 client libraries work.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, post, web};
use identity_core::ports::AccessClaims;
use identity_core::usecases::{CoreError, TokenGrant};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::client_info;
use crate::error::ApiError;
use crate::state::AppState;

/// The form of the token endpoint (`application/x-www-form-urlencoded`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenForm {
    /// `password` or `refresh_token`.
    #[schema(example = "password")]
    pub grant_type: String,
    /// Email address or username (password grant).
    pub username: Option<String>,
    #[schema(format = Password)]
    pub password: Option<String>,
    /// Refresh grant.
    pub refresh_token: Option<String>,
    /// Accepted and ignored (scopes are not used).
    pub scope: Option<String>,
    /// Accepted and ignored (public clients).
    pub client_id: Option<String>,
}

impl TokenForm {
    /// The first field holding a character it cannot hold: a control character in the
    /// one-line fields, NUL in the password (no store can keep it).
    fn invalid_field(&self) -> Option<&'static str> {
        let control =
            |value: &Option<String>| value.as_deref().is_some_and(|v| identity_core::single_line("", v).is_err());
        if identity_core::single_line("", &self.grant_type).is_err() {
            return Some("grant_type");
        }
        [
            ("username", &self.username),
            ("refresh_token", &self.refresh_token),
            ("scope", &self.scope),
            ("client_id", &self.client_id),
        ]
        .into_iter()
        .find(|(_, value)| control(value))
        .map(|(name, _)| name)
        .or_else(|| {
            self.password.as_deref().is_some_and(|p| identity_core::no_nul("", p).is_err()).then_some("password")
        })
    }
}

/// RFC 6749 §5.1.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    #[schema(example = "bearer")]
    pub token_type: &'static str,
    #[schema(example = 900)]
    pub expires_in: i64,
    pub refresh_token: String,
}

/// RFC 6749 §5.2 error body.
#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthError {
    /// `invalid_request`, `invalid_grant`, `unsupported_grant_type`, `temporarily_unavailable`.
    #[schema(example = "invalid_grant")]
    pub error: &'static str,
    pub error_description: String,
}

fn oauth_error(status: StatusCode, error: &'static str, description: impl Into<String>) -> HttpResponse {
    let mut response = HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(OAuthError { error, error_description: description.into() });
    // The outcome metrics count it by its RFC 6749 code.
    response.extensions_mut().insert(crate::access_log::Outcome(error));
    response
}

fn from_core(error: CoreError) -> Result<HttpResponse, ApiError> {
    Ok(match error {
        CoreError::Validation(e) => oauth_error(StatusCode::BAD_REQUEST, "invalid_request", e.to_string()),
        CoreError::InvalidCredentials
        | CoreError::InvalidRefreshToken
        | CoreError::RefreshTokenReused
        | CoreError::AccountLocked
        | CoreError::AccountDisabled
        | CoreError::EmailNotVerified => oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", error.to_string()),
        // Overload and outages keep their problem document and Retry-After.
        other => return Err(other.into()),
    })
}

/// OAuth2 token endpoint: `grant_type=password` (with `username`, `password`) or
/// `grant_type=refresh_token`. Errors follow RFC 6749 (`400 {"error": "invalid_grant"}`).
#[utoipa::path(
    operation_id = "oauth_token",
    tag = "auth",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = OK, description = "Tokens", body = TokenResponse),
        (status = BAD_REQUEST, description = "RFC 6749 error: `invalid_request`, `invalid_grant`, `unsupported_grant_type`", body = OAuthError),
        (status = SERVICE_UNAVAILABLE, description = "Overloaded or a dependency is down", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/token")]
pub async fn token(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, ApiError> {
    let form = form.into_inner();
    if let Some(field) = form.invalid_field() {
        return Ok(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            format!("{field} contains a character that is not allowed (NUL or a control character)"),
        ));
    }
    let grant = match form.grant_type.as_str() {
        "password" => {
            let (Some(username), Some(password)) = (form.username, form.password) else {
                return Ok(oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "username and password are required",
                ));
            };
            TokenGrant::Password { username, password }
        }
        "refresh_token" => {
            let Some(refresh) = form.refresh_token else {
                return Ok(oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "refresh_token is required"));
            };
            TokenGrant::RefreshToken(refresh)
        }
        other => {
            return Ok(oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                format!("grant_type {other:?} is not supported; use password or refresh_token"),
            ));
        }
    };
    // A refusal of the rate limit is a problem+json 429 like every other route's; the
    // grant's own failures are RFC 6749 errors.
    let answer = state.services.login.token(grant, client_info(&req, &state)).await?;
    crate::limits::Limited(answer.decision).apply(match answer.outcome {
        Ok(out) => Ok(token_response(out.access_token, &out.claims, out.refresh_token)),
        Err(e) => from_core(e),
    })
}

fn token_response(access_token: String, claims: &AccessClaims, refresh_token: String) -> HttpResponse {
    let expires_in = claims.lifetime_secs();
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(TokenResponse { access_token, token_type: "bearer", expires_in, refresh_token })
}
