use actix_web::cookie::{Cookie, SameSite as CookieSameSite, time::Duration as CookieDuration};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, get, post, web};
use chrono::{DateTime, Utc};
use identity_core::ports::ClientInfo;
use identity_core::usecases::{ConfirmRegistrationInput, DeviceInput, LoginInput, LoginOutput, RegisterInput, SignIn};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::views::{MfaRequiredResponse, SessionView, UserView};
use crate::client::client_info;
use crate::config::SameSite;
use crate::error::{ApiError, Problem};
use crate::extract::{CurrentUser, JsonBody, OptionalJsonBody};
use crate::limits::limited;
use crate::state::{AppState, CookieSettings};

/// Registration (one-step, and step one of two-step).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// Case-insensitively unique; stored lower-cased.
    #[schema(example = "ada@example.com", format = Email, min_length = 3, max_length = 254)]
    pub email: String,
    /// 8–128 characters (by default; the policy is configurable), not a common password, not
    /// built on the address, the username or the service's name, not mostly repeated or
    /// sequential characters.
    #[schema(example = "correct horse battery staple", format = Password, min_length = 8, max_length = 128)]
    pub password: String,
    /// Optional unique login name: 3–32 of `a-z 0-9 . _ -` (upper case is lowered), starting
    /// with a letter or digit.
    #[serde(default)]
    #[schema(example = "ada", pattern = "^[A-Za-z0-9][A-Za-z0-9._-]{2,31}$")]
    pub username: Option<String>,
    /// Optional display name, up to 100 characters.
    #[serde(default)]
    #[schema(example = "Ada Lovelace")]
    pub name: Option<String>,
}

impl RegisterRequest {
    fn into_input(self, client: ClientInfo) -> RegisterInput {
        RegisterInput {
            email: self.email,
            password: self.password,
            username: self.username,
            name: self.name,
            client,
            request: None,
        }
    }
}

/// Creates an account with an unverified address, mails a verification link and emits
/// `user.registered`. With `REQUIRE_VERIFIED_EMAIL` the account can sign in once verified.
#[utoipa::path(
    operation_id = "register",
    tag = "auth",
    request_body = RegisterRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the first answer is replayed for 24 h (same body), another body with the same key is a 422")),
    responses(
        (status = CREATED, description = "The new account (`Idempotent-Replayed: true` on a replay)", body = UserView),
        (status = CONFLICT, description = "`email_taken` (not with `REGISTRATION_HIDE_TAKEN_EMAILS`: then a taken address gets a 201 like a free one and its owner a mail), `username_taken`, or `idempotency_in_progress`", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: missing or invalid fields, weak password", body = Problem, content_type = "application/problem+json"),
        (status = TOO_MANY_REQUESTS, description = "`rate_limited`; see `Retry-After` and `RateLimit-*`", body = Problem, content_type = "application/problem+json"),
        (status = SERVICE_UNAVAILABLE, description = "`overloaded`: password hashing is saturated, or `service_unavailable`: a dependency is down; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
// Retries with the same `Idempotency-Key` get the first answer (see `crate::idempotency`).
#[post("/register", wrap = "actix_web::middleware::from_fn(crate::idempotency::middleware)")]
pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    keyed: crate::idempotency::Keyed,
    body: JsonBody<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let input = RegisterInput { request: keyed.0, ..body.0.into_input(client_info(&req, &state)) };
    let answer = state.services.registration.register(input).await;
    limited(answer, |user| {
        HttpResponse::Created().insert_header((header::CACHE_CONTROL, "no-store")).json(UserView::from(&user))
    })
}

/// The answer of step one: the same for free and taken addresses.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationPending {
    #[schema(example = "pending")]
    pub status: &'static str,
    /// How long the mailed code stays valid.
    #[schema(example = 600)]
    pub code_ttl_seconds: u64,
}

/// Two-step registration, step one: validates everything and mails a 6-digit code. Answers
/// 202 whether or not the address already has an account (that owner gets a different mail).
#[utoipa::path(
    operation_id = "register_request",
    tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = ACCEPTED, description = "A code is on its way (or the owner was told they have an account)", body = RegistrationPending),
        (status = CONFLICT, description = "`username_taken`", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`", body = Problem, content_type = "application/problem+json"),
        (status = TOO_MANY_REQUESTS, description = "`cooldown`: a code was sent moments ago, or `rate_limited`; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/register/request")]
pub async fn register_request(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let answer = state.services.registration.request_registration(body.0.into_input(client_info(&req, &state))).await;
    limited(answer, |pending| {
        HttpResponse::Accepted()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(RegistrationPending { status: "pending", code_ttl_seconds: pending.code_ttl_secs })
    })
}

/// Step two of two-step registration.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmRegistrationRequest {
    #[schema(example = "ada@example.com", format = Email, min_length = 3, max_length = 254)]
    pub email: String,
    /// The 6-digit code from the mail.
    #[schema(example = "042517", pattern = "^[0-9]{6}$")]
    pub code: String,
}

/// Two-step registration, step two: creates the account with a verified address and signs
/// in (same answer and cookies as login). Five wrong codes void the registration.
#[utoipa::path(
    operation_id = "register_confirm",
    tag = "auth",
    request_body = ConfirmRegistrationRequest,
    responses(
        (status = CREATED, description = "Account created and signed in", body = LoginResponse),
        (status = BAD_REQUEST, description = "`invalid_code`: wrong or expired code, with `attempts_left`", body = Problem, content_type = "application/problem+json"),
        (status = CONFLICT, description = "`email_taken`: registered meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/register/confirm")]
pub async fn register_confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<ConfirmRegistrationRequest>,
) -> Result<HttpResponse, ApiError> {
    let JsonBody(body) = body;
    let input = ConfirmRegistrationInput { email: body.email, code: body.code, client: client_info(&req, &state) };
    let answer = state.services.registration.confirm_registration(input).await;
    limited(answer, |out| signed_in(HttpResponse::Created(), &state.cookies, &out))
}

/// A token from a verification mail.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyEmailRequest {
    /// The token from the mail (URL-safe base64).
    #[schema(min_length = 1, max_length = 256, pattern = "^[A-Za-z0-9_-]+$")]
    pub token: String,
}

/// Confirms an address with the token from the verification mail (single use).
#[utoipa::path(
    operation_id = "verify_email",
    tag = "auth",
    request_body = VerifyEmailRequest,
    responses(
        (status = OK, description = "The address is verified", body = UserView),
        (status = BAD_REQUEST, description = "`invalid_token`: unknown, expired or used", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/email/verify")]
pub async fn verify_email(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<VerifyEmailRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = state.services.registration.verify_email(&body.0.token, &client_info(&req, &state)).await?;
    Ok(super::private_json(UserView::from(&user)))
}

/// An address to send a mail to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailRequest {
    #[schema(example = "ada@example.com", format = Email, min_length = 3, max_length = 254)]
    pub email: String,
}

/// Sends a new verification mail when the address has an unverified account; answers 202
/// either way.
#[utoipa::path(
    operation_id = "resend_verification",
    tag = "auth",
    request_body = EmailRequest,
    responses(
        (status = ACCEPTED, description = "Sent if there was something to send"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`", body = Problem, content_type = "application/problem+json"),
        (status = TOO_MANY_REQUESTS, description = "`cooldown` or `rate_limited`; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/email/verify/resend")]
pub async fn resend_verification(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<EmailRequest>,
) -> Result<HttpResponse, ApiError> {
    let answer = state.services.registration.resend_verification(&body.0.email, &client_info(&req, &state)).await;
    limited(answer, |()| HttpResponse::Accepted().finish())
}

/// The device a login comes from.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceRequest {
    /// `session.device_id` of an earlier login from this browser or app.
    #[serde(default)]
    pub id: Option<Uuid>,
    /// A name for the device (shown in the device list).
    #[serde(default)]
    #[schema(example = "Ada's laptop", min_length = 1, max_length = 100)]
    pub name: Option<String>,
}

/// Password login with an email address or a username.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The account's email address (or give `username`).
    #[serde(default)]
    #[schema(example = "ada@example.com", min_length = 1)]
    pub email: Option<String>,
    /// The account's username (instead of `email`).
    #[serde(default)]
    #[schema(min_length = 1)]
    pub username: Option<String>,
    #[schema(example = "correct horse battery staple", format = Password, min_length = 1)]
    pub password: String,
    #[serde(default, deserialize_with = "object_or_null")]
    pub device: Option<DeviceRequest>,
}

/// `LoginRequest` names the account by `email` or by `username`: at least one of them is a
/// string (core refuses a login that names neither). Added to the generated schema, which
/// has no way to say "one of these fields".
pub fn login_names_an_account(doc: &mut serde_json::Value) {
    if let Some(schema) = doc.pointer_mut("/components/schemas/LoginRequest").and_then(|s| s.as_object_mut()) {
        // `if`/`else` rather than `anyOf`: generated clients keep one `LoginRequest` type.
        let named =
            |field: &str| serde_json::json!({ "required": [field], "properties": { field: { "type": "string" } } });
        schema.insert("if".to_owned(), named("email"));
        schema.insert("else".to_owned(), named("username"));
    }
}

/// A nested object of a body: serde would also take a struct from an array (`[id, name]`);
/// the document says object, so that is refused (422) like any other type.
fn object_or_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::de::Error;
    match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Null => Ok(None),
        value @ serde_json::Value::Object(_) => serde_json::from_value(value).map(Some).map_err(D::Error::custom),
        other => Err(D::Error::custom(format!("invalid type: {}, expected an object", kind(&other)))),
    }
}

fn kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Array(_) => "sequence",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::Bool(_) => "boolean",
        _ => "value",
    }
}

/// How to present the access token: `Authorization: Bearer <token>` (RFC 6750), the same
/// from every endpoint that issues one.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub enum TokenType {
    Bearer,
}

/// A session and its tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// PASETO v4.public access token; also sent as `X-Auth-Token` and an `HttpOnly` cookie.
    pub access_token: String,
    pub token_type: TokenType,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: i64,
    pub expires_at: DateTime<Utc>,
    /// Opaque refresh token for `POST /v1/auth/refresh` (also an `HttpOnly` cookie scoped to
    /// `/v1/auth`). Single use: every refresh returns a new one.
    pub refresh_token: String,
    pub user: UserView,
    pub session: SessionView,
    /// Only after a sign-in with a recovery code: how many unused ones are left (new ones:
    /// `POST /v1/mfa/recovery-codes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 9)]
    pub recovery_codes_left: Option<usize>,
}

fn cookie(
    settings: &CookieSettings,
    name: &str,
    value: &str,
    path: &str,
    max_age: std::time::Duration,
) -> Cookie<'static> {
    let max_age = i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX);
    Cookie::build(name.to_owned(), value.to_owned())
        .path(path.to_owned())
        .http_only(true)
        .secure(settings.secure)
        .same_site(match settings.same_site {
            SameSite::Strict => CookieSameSite::Strict,
            SameSite::Lax => CookieSameSite::Lax,
            SameSite::None => CookieSameSite::None,
        })
        .max_age(CookieDuration::seconds(max_age))
        .finish()
}

/// Where the refresh cookie is sent: the auth routes only.
const REFRESH_COOKIE_PATH: &str = "/v1/auth";

/// The answer of every sign-in (login, registration confirm, refresh): tokens in the body,
/// the access token as `X-Auth-Token`, both as `HttpOnly` cookies.
pub(crate) fn signed_in(mut builder: HttpResponseBuilder, cookies: &CookieSettings, out: &LoginOutput) -> HttpResponse {
    let expires_in = out.claims.lifetime_secs();
    with_access_token(&mut builder, cookies, &out.access_token)
        .cookie(cookie(
            cookies,
            &cookies.refresh_name,
            &out.refresh_token,
            REFRESH_COOKIE_PATH,
            cookies.refresh_max_age,
        ))
        .json(LoginResponse {
            access_token: out.access_token.clone(),
            token_type: TokenType::Bearer,
            expires_in,
            expires_at: out.claims.exp,
            refresh_token: out.refresh_token.clone(),
            user: UserView::from(&out.user),
            session: SessionView::from(&out.session),
            recovery_codes_left: out.recovery_codes_left,
        })
}

/// What every answer that hands out an access token carries: no caching, the token as
/// `X-Auth-Token` and as the `HttpOnly` access cookie.
pub(crate) fn with_access_token<'a>(
    builder: &'a mut HttpResponseBuilder,
    cookies: &CookieSettings,
    access_token: &str,
) -> &'a mut HttpResponseBuilder {
    builder
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .insert_header(("X-Auth-Token", access_token))
        .cookie(cookie(cookies, &cookies.access_name, access_token, "/", cookies.access_max_age))
}

/// Both auth cookies, expired.
fn signed_out(mut builder: HttpResponseBuilder, cookies: &CookieSettings) -> HttpResponse {
    let zero = std::time::Duration::ZERO;
    builder
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(cookie(cookies, &cookies.access_name, "", "/", zero))
        .cookie(cookie(cookies, &cookies.refresh_name, "", REFRESH_COOKIE_PATH, zero))
        .finish()
}

/// What a login answers: signed in, or waiting for a second factor (`mfa_required: true`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
// Made once per login and serialised at once: boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum LoginAnswer {
    SignedIn(LoginResponse),
    MfaRequired(MfaRequiredResponse),
}

/// Signs in: answers the tokens in the body, the access token as `X-Auth-Token`, and both as
/// `HttpOnly` cookies. Unknown accounts and wrong passwords get the same 401
/// `invalid_credentials`. An account with a second factor answers `mfa_required: true` with an
/// `mfa_token` instead (no token, no cookie): `POST /v1/auth/login/mfa` completes the sign-in.
#[utoipa::path(
    operation_id = "login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = OK, description = "Signed in (`LoginResponse`, with the tokens also as `X-Auth-Token` and cookies), or waiting for a second factor (`MfaRequiredResponse`: no token, no cookie)", body = LoginAnswer,
         headers(("X-Auth-Token" = String, description = "The access token (signed in only)"),
                 ("Set-Cookie" = String, description = "Access token (path /) and refresh token (path /v1/auth) as HttpOnly cookies (signed in only)"))),
        (status = UNAUTHORIZED, description = "`invalid_credentials`: unknown account, wrong password, or a locked, disabled or deleted account (whatever the password)", body = Problem, content_type = "application/problem+json"),
        (status = FORBIDDEN, description = "`email_not_verified` (with `REQUIRE_VERIFIED_EMAIL`, only after the right password of an active account)", body = Problem, content_type = "application/problem+json"),
        (status = TOO_MANY_REQUESTS, description = "`rate_limited` (see `Retry-After` and `RateLimit-*`), or `login_throttled` after repeated failures", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`", body = Problem, content_type = "application/problem+json"),
        (status = SERVICE_UNAVAILABLE, description = "`overloaded`: password hashing is saturated, or `service_unavailable`: a dependency is down; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/login")]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let JsonBody(body) = body;
    let identifier = LoginInput::identifier(body.email, body.username)?;
    let device = body.device.map(|d| DeviceInput { id: d.id, name: d.name });
    let input = LoginInput { identifier, password: body.password, device, client: client_info(&req, &state) };
    let answer = state.services.login.login(input).await;
    limited(answer, |out| match out {
        SignIn::Complete(out) => signed_in(HttpResponse::Ok(), &state.cookies, &out),
        SignIn::SecondFactor(pending) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::PRAGMA, "no-cache"))
            .json(MfaRequiredResponse::from(&pending)),
    })
}

/// A refresh token in the body; without one the refresh cookie is used.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    #[serde(default)]
    pub refresh_token: Option<String>,
}

/// Exchanges a refresh token (body or cookie) for a new pair. The old token is consumed;
/// replaying it within `REFRESH_REUSE_GRACE_SECONDS` returns the same new pair's refresh
/// token (racing tabs stay signed in), replaying it later revokes the session.
#[utoipa::path(
    operation_id = "refresh",
    tag = "auth",
    request_body(content = Option<RefreshRequest>, description = "Optional: leave the body out (no `null`) to use the refresh cookie"),
    responses(
        (status = OK, description = "A new pair", body = LoginResponse),
        (status = UNAUTHORIZED, description = "`invalid_refresh_token`, or `refresh_token_reused` (the session was revoked)", body = Problem, content_type = "application/problem+json"),
        (status = FORBIDDEN, description = "`csrf_rejected`: the refresh cookie came without an allowed `Origin`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/refresh")]
pub async fn refresh(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: OptionalJsonBody<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    // The body is optional: a browser relying on the cookie may send none at all.
    let from_body = body.0.and_then(|b| b.refresh_token);
    let from_cookie = || match req.cookie(&state.cookies.refresh_name) {
        // The browser sends the cookie on its own: the request must prove its origin.
        Some(cookie) => {
            crate::security::check_origin(&req, &state.allowed_origins).map(|()| Some(cookie.value().to_owned()))
        }
        None => Ok(None),
    };
    let token = match from_body {
        Some(token) => Some(token),
        None => from_cookie()?,
    }
    .filter(|t| !t.is_empty())
    .ok_or_else(|| ApiError::from(identity_core::usecases::CoreError::InvalidRefreshToken))?;
    let out = state.services.login.refresh(&token, &client_info(&req, &state)).await?;
    Ok(signed_in(HttpResponse::Ok(), &state.cookies, &out))
}

/// Ends this session: its access and refresh tokens stop working, the cookies are cleared.
#[utoipa::path(
    operation_id = "logout",
    tag = "auth",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = NO_CONTENT, description = "Signed out"),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/logout")]
pub async fn logout(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    state.services.sessions.logout(&user.0).await?;
    Ok(signed_out(HttpResponse::NoContent(), &state.cookies))
}

/// Ends every session of the caller, this one included.
#[utoipa::path(
    operation_id = "logout_all",
    tag = "auth",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = NO_CONTENT, description = "Every session ended"),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/logout-all")]
pub async fn logout_all(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    state.services.sessions.logout_all(&user.0).await?;
    Ok(signed_out(HttpResponse::NoContent(), &state.cookies))
}

/// The caller with its current session.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub user: UserView,
    pub session: SessionView,
}

/// Who the access token belongs to (bearer header or auth cookie).
#[utoipa::path(
    operation_id = "current_user",
    tag = "auth",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = OK, body = MeResponse),
        (status = UNAUTHORIZED, description = "`unauthenticated`: missing, invalid or expired token, or ended session", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/me")]
pub async fn me(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    let CurrentUser(auth) = user;
    let session = state.services.sessions.current_user(&auth).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(MeResponse { user: UserView::from(&auth.user), session: SessionView::from(&session) }))
}
