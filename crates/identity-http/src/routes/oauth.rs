//! `POST /v1/auth/token`: the login as an OAuth2 token endpoint (RFC 6749 §4.3 password
//! grant and §6 refresh), so Swagger UI's *Authorize* and OAuth2 client libraries work; and
//! service clients' tokens (§4.4 `client_credentials`).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError, post, web};
use futures_util::StreamExt;
use identity_core::ports::AccessClaims;
use identity_core::usecases::{CoreError, TokenGrant};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::TokenType;
use crate::client::client_info;
use crate::error::ApiError;
use crate::extract::BodyLimit;
use crate::state::AppState;

/// The grants the token endpoint serves.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum GrantType {
    Password,
    RefreshToken,
    ClientCredentials,
}

/// The form of the token endpoint (`application/x-www-form-urlencoded`). Parameters it does
/// not know are ignored, as RFC 6749 §3.2 asks; each one may be sent once.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenForm {
    /// `password` (with `username` and `password`), `refresh_token` (with `refresh_token`) or
    /// `client_credentials` (a service client: HTTP Basic, or `client_id` and `client_secret`).
    #[schema(value_type = GrantType, example = "password")]
    pub grant_type: Option<String>,
    /// Email address or username (password grant).
    pub username: Option<String>,
    #[schema(format = Password)]
    pub password: Option<String>,
    /// Refresh grant.
    pub refresh_token: Option<String>,
    /// `client_credentials`: the scopes asked for, space separated (default: all of the
    /// client's). Ignored by the other grants.
    pub scope: Option<String>,
    /// `client_credentials` without HTTP Basic: the service client's id. Ignored by the other
    /// grants (public clients).
    pub client_id: Option<String>,
    /// `client_credentials` without HTTP Basic: the service client's secret.
    #[schema(format = Password)]
    pub client_secret: Option<String>,
}

impl TokenForm {
    /// The first field holding a character it cannot hold: a control character in the
    /// one-line fields, NUL in the password (no store can keep it).
    fn invalid_field(&self) -> Option<&'static str> {
        let control =
            |value: &Option<String>| value.as_deref().is_some_and(|v| identity_core::single_line("", v).is_err());
        [
            ("grant_type", &self.grant_type),
            ("username", &self.username),
            ("refresh_token", &self.refresh_token),
            ("scope", &self.scope),
            ("client_id", &self.client_id),
            ("client_secret", &self.client_secret),
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
    pub token_type: TokenType,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: i64,
    /// Not for `client_credentials` (a service asks for a new token instead).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// `client_credentials`: the scopes granted, space separated.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "tokens:introspect users:read")]
    pub scope: Option<String>,
}

/// The `error` of an RFC 6749 §5.2 answer.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OAuthErrorCode {
    /// The form is missing, malformed, of another content type, too large, misses a required
    /// parameter, repeats one, or holds a character it cannot hold.
    InvalidRequest,
    /// Wrong credentials, an account that may not sign in, or a bad refresh token.
    InvalidGrant,
    /// `client_credentials`: no client credentials, wrong ones, or a revoked client (401).
    InvalidClient,
    /// `client_credentials`: a scope the client does not hold.
    InvalidScope,
    /// A `grant_type` other than `password`, `refresh_token` and `client_credentials`.
    UnsupportedGrantType,
    /// Rate-limited (429), or overloaded or a dependency is down (503); see `Retry-After`.
    TemporarilyUnavailable,
    /// An unexpected error (500).
    ServerError,
}

impl OAuthErrorCode {
    fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidGrant => "invalid_grant",
            Self::InvalidClient => "invalid_client",
            Self::InvalidScope => "invalid_scope",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::ServerError => "server_error",
        }
    }
}

/// RFC 6749 §5.2 error body: every error of the token endpoint has this shape.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"error": "invalid_grant", "error_description": "invalid email, username or password"}))]
pub struct OAuthError {
    pub error: OAuthErrorCode,
    /// What went wrong, for a human.
    pub error_description: String,
}

/// An RFC 6749 error answer.
pub struct OAuthRefusal {
    status: StatusCode,
    error: OAuthErrorCode,
    description: String,
    /// `Retry-After` and `RateLimit-*` of a refusal that has them.
    headers: Vec<(header::HeaderName, header::HeaderValue)>,
}

impl OAuthRefusal {
    fn bad_request(error: OAuthErrorCode, description: impl Into<String>) -> Self {
        Self { status: StatusCode::BAD_REQUEST, error, description: description.into(), headers: Vec::new() }
    }

    fn invalid_request(description: impl Into<String>) -> Self {
        Self::bad_request(OAuthErrorCode::InvalidRequest, description)
    }

    /// 401 `invalid_client` with the challenge of HTTP Basic (RFC 6749 §5.2).
    fn invalid_client() -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            error: OAuthErrorCode::InvalidClient,
            description: "unknown client, wrong secret or revoked client".into(),
            headers: vec![(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Basic realm=\"identity\""))],
        }
    }

    fn response(self) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status);
        for header in self.headers {
            builder.insert_header(header);
        }
        let mut response = builder
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::PRAGMA, "no-cache"))
            .json(OAuthError { error: self.error, error_description: self.description });
        // The outcome metrics count it by its RFC 6749 code.
        response.extensions_mut().insert(crate::access_log::Outcome(self.error.as_str()));
        response
    }
}

impl From<CoreError> for OAuthRefusal {
    fn from(error: CoreError) -> Self {
        let description = error.to_string();
        match error {
            CoreError::Validation(_) => Self::invalid_request(description),
            CoreError::RateLimited(_)
            | CoreError::LoginThrottled { .. }
            | CoreError::Cooldown { .. }
            | CoreError::Overloaded { .. }
            | CoreError::Unavailable(_)
            | CoreError::Internal(_) => {
                // The problem answer's status and headers (`Retry-After`, `RateLimit-*`), in
                // RFC 6749's body; a 5xx is logged with its cause by the access line.
                let problem = ApiError::from(error);
                let answer = problem.error_response();
                let status = answer.status();
                let error = if status == StatusCode::INTERNAL_SERVER_ERROR {
                    OAuthErrorCode::ServerError
                } else {
                    OAuthErrorCode::TemporarilyUnavailable
                };
                let keep =
                    |name: &header::HeaderName| name == header::RETRY_AFTER || name.as_str().starts_with("ratelimit-");
                let headers =
                    answer.headers().iter().filter(|(n, _)| keep(n)).map(|(n, v)| (n.clone(), v.clone())).collect();
                Self { status, error, description: problem.problem().detail, headers }
            }
            // Only after the right password: the grant cannot take the second factor.
            CoreError::MfaRequired => Self::bad_request(
                OAuthErrorCode::InvalidGrant,
                "mfa_required: the account has a second factor; sign in with POST /v1/auth/login, then POST /v1/auth/login/mfa",
            ),
            // Credentials, account state and refresh tokens: one answer, no oracle.
            _ => Self::bad_request(OAuthErrorCode::InvalidGrant, description),
        }
    }
}

/// Reads the form: RFC 6749 §4.3.2 wants `application/x-www-form-urlencoded`; anything else,
/// an unreadable or oversized body, or a malformed form is an `invalid_request`.
async fn read_form(req: &HttpRequest, mut payload: web::Payload) -> Result<TokenForm, OAuthRefusal> {
    let is_form = req.mime_type().ok().flatten().is_some_and(|m| {
        m.type_() == actix_web::mime::APPLICATION && m.subtype() == actix_web::mime::WWW_FORM_URLENCODED
    });
    if !is_form {
        return Err(OAuthRefusal::invalid_request("send the form as application/x-www-form-urlencoded"));
    }
    let limit = req.app_data::<BodyLimit>().copied().unwrap_or(BodyLimit(64 * 1024)).0;
    let too_large = || OAuthRefusal::invalid_request(format!("the form is larger than {limit} bytes"));
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| OAuthRefusal::invalid_request("the form could not be read"))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    serde_urlencoded::from_bytes::<TokenForm>(&body)
        .map_err(|e| OAuthRefusal::invalid_request(format!("the form is invalid: {e}")))
}

/// OAuth2 token endpoint (RFC 6749): `grant_type=password` (with `username`, `password`),
/// `grant_type=refresh_token`, or `grant_type=client_credentials` for a service client (HTTP
/// Basic, or `client_id` and `client_secret`; a short-lived token with `scope` and no refresh
/// token), as `application/x-www-form-urlencoded`. Every error, of the
/// request or of the grant, is an RFC 6749 §5.2 JSON answer (`{"error": "invalid_grant", …}`)
/// with `Cache-Control: no-store`; rate limits and outages keep their `Retry-After`.
#[utoipa::path(
    operation_id = "oauth_token",
    tag = "auth",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = OK, description = "Tokens", body = TokenResponse),
        (status = BAD_REQUEST, description = "`invalid_request` (the form: content type, size, syntax, a missing or repeated parameter, a character it cannot hold), `invalid_grant` (wrong credentials, an account that may not sign in, a bad refresh token), `invalid_scope` (a scope the service client does not hold) or `unsupported_grant_type`", body = OAuthError,
         example = json!({"error": "invalid_grant", "error_description": "invalid email, username or password"})),
        (status = UNAUTHORIZED, description = "`invalid_client`: `client_credentials` without client credentials, with wrong ones, or of a revoked client", body = OAuthError,
         headers(("WWW-Authenticate" = String, description = "`Basic realm=\"identity\"`")),
         example = json!({"error": "invalid_client", "error_description": "unknown client, wrong secret or revoked client"})),
        (status = TOO_MANY_REQUESTS, description = "`temporarily_unavailable`: rate-limited or throttled; see `Retry-After` and `RateLimit-*`", body = OAuthError,
         headers(("Retry-After" = u32, description = "Seconds to wait")),
         example = json!({"error": "temporarily_unavailable", "error_description": "too many requests; retry later"})),
        (status = INTERNAL_SERVER_ERROR, description = "`server_error`", body = OAuthError,
         example = json!({"error": "server_error", "error_description": "an unexpected error occurred"})),
        (status = SERVICE_UNAVAILABLE, description = "`temporarily_unavailable`: overloaded or a dependency is down; see `Retry-After`", body = OAuthError,
         headers(("Retry-After" = u32, description = "Seconds to wait")),
         example = json!({"error": "temporarily_unavailable", "error_description": "a dependency is unavailable; retry shortly"})),
    )
)]
#[post("/token")]
pub async fn token(req: HttpRequest, state: web::Data<AppState>, payload: web::Payload) -> HttpResponse {
    match grant(&req, &state, payload).await {
        Ok(response) | Err(response) => response,
    }
}

async fn grant(req: &HttpRequest, state: &AppState, payload: web::Payload) -> Result<HttpResponse, HttpResponse> {
    let refuse = |refusal: OAuthRefusal| refusal.response();
    let form = read_form(req, payload).await.map_err(refuse)?;
    if let Some(field) = form.invalid_field() {
        return Err(refuse(OAuthRefusal::invalid_request(format!(
            "{field} contains a character that is not allowed (NUL or a control character)"
        ))));
    }
    let grant = match form.grant_type.as_deref() {
        None | Some("") => return Err(refuse(OAuthRefusal::invalid_request("grant_type is required"))),
        Some("password") => {
            let (Some(username), Some(password)) = (form.username, form.password) else {
                return Err(refuse(OAuthRefusal::invalid_request("username and password are required")));
            };
            TokenGrant::Password { username, password }
        }
        Some("refresh_token") => {
            let Some(refresh) = form.refresh_token else {
                return Err(refuse(OAuthRefusal::invalid_request("refresh_token is required")));
            };
            TokenGrant::RefreshToken(refresh)
        }
        Some("client_credentials") => return client_credentials(req, state, form).await.map_err(refuse),
        Some(other) => {
            return Err(refuse(OAuthRefusal::bad_request(
                OAuthErrorCode::UnsupportedGrantType,
                format!("grant_type {other:?} is not supported; use password, refresh_token or client_credentials"),
            )));
        }
    };
    let answer = state.services.login.token(grant, client_info(req, state)).await.map_err(|e| refuse(e.into()))?;
    // The bucket's `RateLimit-*` headers go on the answer, success or error.
    let mut response = match answer.outcome {
        Ok(out) => token_response(out.access_token, &out.claims, out.refresh_token),
        Err(e) => refuse(e.into()),
    };
    for (name, value) in crate::rate_headers::rate_headers(&answer.decision) {
        if let (Ok(name), Ok(value)) =
            (header::HeaderName::try_from(name.to_ascii_lowercase()), header::HeaderValue::from_str(&value))
        {
            response.headers_mut().insert(name, value);
        }
    }
    Ok(response)
}

fn token_response(access_token: String, claims: &AccessClaims, refresh_token: String) -> HttpResponse {
    let expires_in = claims.lifetime_secs();
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(TokenResponse {
            access_token,
            token_type: TokenType::Bearer,
            expires_in,
            refresh_token: Some(refresh_token),
            scope: None,
        })
}

/// The `client_credentials` grant (RFC 6749 §4.4): the client authenticates with HTTP Basic
/// or with `client_id` and `client_secret` in the form (one way, not both, §2.3.1).
async fn client_credentials(
    req: &HttpRequest,
    state: &AppState,
    form: TokenForm,
) -> Result<HttpResponse, OAuthRefusal> {
    use crate::extract::{ServiceCredentials, service_credentials};
    let basic = match service_credentials(req) {
        Some(ServiceCredentials::Basic { client_id, secret }) => Some((client_id, secret)),
        _ => None,
    };
    let (client_id, secret) = match (basic, form.client_secret) {
        (Some(_), Some(_)) => {
            return Err(OAuthRefusal::invalid_request("authenticate the client one way: HTTP Basic or the form"));
        }
        (Some(basic), None) => basic,
        (None, Some(secret)) => (form.client_id.unwrap_or_default(), secret),
        (None, None) => return Err(OAuthRefusal::invalid_client()),
    };
    let client = client_info(req, state);
    let (access_token, claims) =
        match state.services.clients.issue_token(&client_id, &secret, form.scope.as_deref(), client).await {
            Ok(issued) => issued,
            Err(CoreError::Unauthenticated) => return Err(OAuthRefusal::invalid_client()),
            Err(CoreError::Validation(errors)) if errors.0.iter().any(|e| e.code == "invalid_scope") => {
                let message = errors.0.into_iter().map(|e| e.message).collect::<Vec<_>>().join("; ");
                return Err(OAuthRefusal::bad_request(OAuthErrorCode::InvalidScope, message));
            }
            Err(other) => return Err(other.into()),
        };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(TokenResponse {
            access_token,
            token_type: TokenType::Bearer,
            expires_in: (claims.exp - claims.iat).num_seconds().max(0),
            refresh_token: None,
            scope: Some(claims.scope.join(" ")),
        }))
}
