//! The actix-web extractor: a handler that takes [`Authenticated`] runs only for a request
//! with a valid access token.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};

use crate::{Claims, Verifier, VerifyError};

/// The claims of the request's valid access token, read from `Authorization: Bearer <token>`
/// (or, without that header, from the cookie [`Config::cookie`](crate::Config::cookie) names)
/// and checked by the [`Verifier`] registered as `web::Data<Verifier>`.
///
/// A request without a valid token is answered 401 `application/problem+json` with
/// `WWW-Authenticate: Bearer`, and the handler does not run; take `Option<Authenticated>` for
/// a handler that serves anonymous requests too.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Claims);

impl Deref for Authenticated {
    type Target = Claims;

    fn deref(&self) -> &Claims {
        &self.0
    }
}

/// Why [`Authenticated`] refused a request; its answer is an RFC 9457 problem document.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization: Bearer` header (nor the configured cookie). 401.
    #[error("no access token: send it as `Authorization: Bearer <token>`")]
    Missing,
    /// The token is not accepted. 401, or 503 when the keys cannot be fetched (the token may
    /// be valid: the client should retry, not sign in again).
    #[error(transparent)]
    Invalid(VerifyError),
    /// The app has no `web::Data<Verifier>`: a mistake in the service, answered 500.
    #[error("no Verifier is registered: add App::app_data(web::Data::new(verifier))")]
    NotConfigured,
}

impl AuthError {
    /// The problem's stable `code`.
    fn code(&self) -> &'static str {
        match self.status_code() {
            StatusCode::UNAUTHORIZED => "unauthenticated",
            StatusCode::SERVICE_UNAVAILABLE => "service_unavailable",
            _ => "internal_error",
        }
    }
}

impl ResponseError for AuthError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Missing => StatusCode::UNAUTHORIZED,
            Self::Invalid(VerifyError::KeysUnavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Invalid(_) => StatusCode::UNAUTHORIZED,
            Self::NotConfigured => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let mut response = HttpResponse::build(status);
        response.content_type("application/problem+json");
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        if status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((header::RETRY_AFTER, "5"));
        }
        // The same shape as the identity service's own problems (minus its `type` URNs).
        let detail = match self {
            // The reason names the identity service's URL: for the service's log, not the client.
            Self::Invalid(VerifyError::KeysUnavailable(_)) => "the token cannot be checked right now".to_owned(),
            other => other.to_string(),
        };
        response.body(
            serde_json::json!({
                "type": "about:blank",
                "title": status.canonical_reason().unwrap_or("Error"),
                "status": status.as_u16(),
                "code": self.code(),
                "detail": detail,
            })
            .to_string(),
        )
    }
}

impl FromRequest for Authenticated {
    type Error = AuthError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AuthError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verifier = req.app_data::<web::Data<Verifier>>().cloned();
        let token = verifier.as_ref().and_then(|verifier| token(req, verifier.config().cookie.as_deref()));
        Box::pin(async move {
            let verifier = verifier.ok_or(AuthError::NotConfigured)?;
            let token = token.ok_or(AuthError::Missing)?;
            verifier.verify(&token).await.map(Authenticated).map_err(AuthError::Invalid)
        })
    }
}

/// The token of `Authorization: Bearer <token>`; without that header, the value of the cookie
/// `cookie`. An `Authorization` header of another scheme gives none.
fn token(req: &HttpRequest, cookie: Option<&str>) -> Option<String> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let (scheme, token) = value.to_str().ok()?.trim().split_once(' ')?;
        let token = token.trim();
        return (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned());
    }
    let cookie = req.cookie(cookie?)?;
    let token = cookie.value().trim();
    (!token.is_empty()).then(|| token.to_owned())
}
