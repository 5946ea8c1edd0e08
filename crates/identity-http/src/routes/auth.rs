use actix_web::cookie::{Cookie, SameSite as CookieSameSite, time::Duration as CookieDuration};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, get, post, web};
use chrono::{DateTime, Utc};
use identity_core::ports::ClientInfo;
use identity_core::usecases::{
    ConfirmRegistrationInput, DeviceInput, FactorInput, LoginInput, LoginOutput, MfaLoginInput, MfaPending,
    RegisterInput, SignIn,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::views::{SessionView, UserView};
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
    builder
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .insert_header(("X-Auth-Token", out.access_token.as_str()))
        .cookie(cookie(cookies, &cookies.access_name, &out.access_token, "/", cookies.access_max_age))
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

/// Both auth cookies, expired.
fn signed_out(mut builder: HttpResponseBuilder, cookies: &CookieSettings) -> HttpResponse {
    let zero = std::time::Duration::ZERO;
    builder
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(cookie(cookies, &cookies.access_name, "", "/", zero))
        .cookie(cookie(cookies, &cookies.refresh_name, "", REFRESH_COOKIE_PATH, zero))
        .finish()
}

/// A second factor the second step of a sign-in takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MfaMethodName {
    /// A code from the authenticator app (each code works once).
    Totp,
    /// One of the recovery codes shown when the first factor was confirmed (each works once).
    RecoveryCode,
    /// A passkey (WebAuthn): its answer to the assertion offered with the `mfa_token`.
    Webauthn,
}

impl MfaMethodName {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::RecoveryCode => "recovery_code",
            Self::Webauthn => "webauthn",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        [Self::Totp, Self::RecoveryCode, Self::Webauthn].into_iter().find(|m| m.as_str() == raw)
    }
}

/// The right password of an account with a second factor: nothing is issued yet. Send the
/// `mfa_token` with a code to `POST /v1/auth/login/mfa`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MfaRequiredResponse {
    /// Always `true`: what tells this answer from a signed-in one.
    #[schema(example = true)]
    pub mfa_required: bool,
    /// For `POST /v1/auth/login/mfa` only (never a bearer token); works for `expires_in`
    /// seconds and five wrong codes.
    pub mfa_token: String,
    /// The methods the second step takes for this account.
    pub methods: Vec<MfaMethodName>,
    #[schema(example = 300)]
    pub expires_in: i64,
    /// With passkeys (`methods` lists `webauthn`): the `publicKey` options for
    /// `navigator.credentials.get()`; send its answer as `credential`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub webauthn: Option<serde_json::Value>,
}

impl From<&MfaPending> for MfaRequiredResponse {
    fn from(pending: &MfaPending) -> Self {
        Self {
            mfa_required: true,
            mfa_token: pending.mfa_token.clone(),
            methods: pending.methods.iter().filter_map(|m| MfaMethodName::parse(m)).collect(),
            expires_in: pending.expires_in,
            webauthn: pending.passkey_options.clone(),
        }
    }
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
    let answered = body.code.is_some() || body.challenge_id.is_some() || body.credential.is_some();
    let factor = match body.method {
        None if !answered => None,
        None => {
            return Err(identity_core::domain::ValidationErrors::single(identity_core::domain::FieldError::new(
                "method",
                "required",
                "a code or a passkey's answer goes with its `method`",
            ))
            .into());
        }
        Some(method) => Some(FactorInput {
            method: method.as_str().to_owned(),
            code: body.code.unwrap_or_default(),
            challenge_id: body.challenge_id,
            credential: body.credential,
        }),
    };
    let out = state.services.login.reauthenticate(&user.0, &body.password, factor).await?;
    let cookies = &state.cookies;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .insert_header(("X-Auth-Token", out.access_token.as_str()))
        .cookie(cookie(cookies, &cookies.access_name, &out.access_token, "/", cookies.access_max_age))
        .json(ReauthenticateResponse {
            access_token: out.access_token.clone(),
            token_type: TokenType::Bearer,
            expires_in: out.claims.lifetime_secs(),
            expires_at: out.claims.exp,
            session: SessionView::from(&out.session),
        }))
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
