//! The one mapping from errors to HTTP answers: RFC 9457 `application/problem+json` with a
//! stable machine `code`. 5xx are logged with their whole cause chain and never leak it.

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use identity_core::usecases::CoreError;
use identity_core::{FieldError, ValidationErrors};
use serde::Serialize;
use utoipa::ToSchema;

pub use crate::problem_code::ProblemCode;

/// One invalid field.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemField {
    /// The JSON field the problem is about (`email`, `password`, `device.name`, …).
    #[schema(example = "email")]
    pub field: String,
    /// Stable machine code (`required`, `invalid_email`, `too_short`, `common_password`,
    /// `invalid_characters` for NUL or a control character the field cannot hold, or an
    /// invisible or text-direction character in a name, …). A new
    /// password refused by the policy has one code per reason: `too_short`, `too_long`,
    /// `common_password`, `contains_email`, `contains_username`, `contains_service_name`,
    /// `repetitive_password`, `sequential_password` (and, with the strict policy,
    /// `missing_uppercase`, `missing_special`, `forbidden_word`).
    #[schema(example = "invalid_email")]
    pub code: String,
    /// Human-readable explanation.
    #[schema(example = "this is not a valid email address")]
    pub message: String,
}

impl From<&FieldError> for ProblemField {
    fn from(e: &FieldError) -> Self {
        Self { field: e.field.clone(), code: e.code.to_owned(), message: e.message.clone() }
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:identity:problem:validation_failed",
    "title": "Unprocessable Entity",
    "status": 422,
    "detail": "email: this is not a valid email address",
    "code": "validation_failed",
    "errors": [{"field": "email", "code": "invalid_email", "message": "this is not a valid email address"}]
}))]
pub struct Problem {
    /// URI identifying the problem type: `urn:identity:problem:<code>`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary (the HTTP reason phrase).
    pub title: String,
    pub status: u16,
    /// What went wrong, for a human.
    pub detail: String,
    /// Stable machine code; clients branch on this.
    pub code: ProblemCode,
    /// Invalid fields, for `validation_failed`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
    /// Wrong registration codes still allowed before the registration is void
    /// (`invalid_code` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts_left: Option<u32>,
}

/// An error answer. Build one from a [`CoreError`] or with the constructors below.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: ProblemCode,
    detail: String,
    errors: Vec<ProblemField>,
    retry_after: Option<u32>,
    attempts_left: Option<u32>,
    headers: Vec<(&'static str, String)>,
    source: Option<anyhow::Error>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl ApiError {
    /// A problem with `code`, answered with the code's status.
    pub fn new(code: ProblemCode, detail: impl Into<String>) -> Self {
        Self {
            status: code.status(),
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
            attempts_left: None,
            headers: Vec::new(),
            source: None,
        }
    }

    /// The same problem with another status (the framework's own refusals: 414, 431, …).
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub fn validation(errors: &[FieldError]) -> Self {
        let detail = match errors {
            [one] => format!("{}: {}", one.field, one.message),
            _ => "some fields are invalid".to_owned(),
        };
        Self {
            errors: errors.iter().map(ProblemField::from).collect(),
            ..Self::new(ProblemCode::ValidationFailed, detail)
        }
    }

    pub fn malformed(detail: impl Into<String>) -> Self {
        Self::new(ProblemCode::MalformedBody, detail)
    }

    pub fn unauthenticated() -> Self {
        Self::new(ProblemCode::Unauthenticated, "missing or invalid access token")
    }

    pub fn not_found() -> Self {
        Self::new(ProblemCode::NotFound, "no such resource")
    }

    fn internal(source: anyhow::Error) -> Self {
        Self { source: Some(source), ..Self::new(ProblemCode::InternalError, "an unexpected error occurred") }
    }

    fn unavailable(source: anyhow::Error) -> Self {
        Self {
            source: Some(source),
            retry_after: Some(5),
            ..Self::new(ProblemCode::ServiceUnavailable, "a dependency is unavailable; retry shortly")
        }
    }

    /// The same problem with what caused it, for the access line's cause chain (never shown
    /// to the client).
    pub fn with_source(mut self, source: anyhow::Error) -> Self {
        self.source = Some(source);
        self
    }

    /// Adds a header to the error answer (rate-limit headers on refusals).
    pub fn with_header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    pub fn code(&self) -> &'static str {
        self.code.as_str()
    }

    pub fn problem(&self) -> Problem {
        Problem {
            problem_type: format!("urn:identity:problem:{}", self.code),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code,
            errors: self.errors.clone(),
            attempts_left: self.attempts_left,
        }
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(errors: ValidationErrors) -> Self {
        Self::validation(errors.errors())
    }
}

impl From<CoreError> for ApiError {
    fn from(error: CoreError) -> Self {
        let detail = error.to_string();
        match error {
            CoreError::Validation(errors) => errors.into(),
            CoreError::EmailTaken => Self::new(ProblemCode::EmailTaken, detail),
            CoreError::UsernameTaken => Self::new(ProblemCode::UsernameTaken, detail),
            CoreError::IdempotencyKeyReused => Self::new(ProblemCode::IdempotencyKeyReused, detail),
            CoreError::InvalidCredentials => Self::new(ProblemCode::InvalidCredentials, detail),
            CoreError::Unauthenticated => Self::unauthenticated(),
            CoreError::InvalidRefreshToken => Self::new(ProblemCode::InvalidRefreshToken, detail),
            CoreError::RefreshTokenReused => Self::new(ProblemCode::RefreshTokenReused, detail),
            CoreError::InvalidToken => Self::new(ProblemCode::InvalidToken, detail),
            CoreError::InvalidCode { attempts_left } => {
                Self { attempts_left: Some(attempts_left), ..Self::new(ProblemCode::InvalidCode, detail) }
            }
            CoreError::NotFound => Self::not_found(),
            CoreError::Forbidden => Self::new(ProblemCode::Forbidden, detail),
            CoreError::ReauthenticationRequired => Self::new(ProblemCode::ReauthenticationRequired, detail),
            CoreError::PreconditionFailed => Self::new(ProblemCode::PreconditionFailed, detail),
            CoreError::PreconditionRequired => Self::new(ProblemCode::PreconditionRequired, detail),
            CoreError::GroupNameTaken => Self::new(ProblemCode::GroupNameTaken, detail),
            CoreError::MfaAlreadyEnabled => Self::new(ProblemCode::MfaAlreadyEnabled, detail),
            CoreError::MfaNotEnabled => Self::new(ProblemCode::MfaNotEnabled, detail),
            CoreError::MfaRequired => Self::new(ProblemCode::MfaRequired, detail),
            CoreError::InvalidMfaToken => Self::new(ProblemCode::InvalidMfaToken, detail),
            CoreError::InvalidMfaCode { attempts_left } => {
                Self { attempts_left: Some(attempts_left), ..Self::new(ProblemCode::InvalidMfaCode, detail) }
            }
            CoreError::LastAdmin => Self::new(ProblemCode::LastAdmin, detail),
            CoreError::JobStateConflict { .. } => Self::new(ProblemCode::JobStateConflict, detail),
            CoreError::Cooldown { retry_after_secs } => {
                Self { retry_after: Some(secs(retry_after_secs)), ..Self::new(ProblemCode::Cooldown, detail) }
            }
            CoreError::AccountLocked => Self::new(ProblemCode::AccountLocked, detail),
            CoreError::AccountDisabled => Self::new(ProblemCode::AccountDisabled, detail),
            CoreError::EmailNotVerified => Self::new(ProblemCode::EmailNotVerified, detail),
            CoreError::RateLimited(decision) => {
                let mut error = Self {
                    retry_after: Some(secs(decision.retry_after.as_secs_f64().ceil().max(1.0) as u64)),
                    ..Self::new(ProblemCode::RateLimited, detail)
                };
                for (name, value) in crate::rate_headers::rate_headers(&decision) {
                    error = error.with_header(name, value);
                }
                error
            }
            CoreError::LoginThrottled { retry_after_secs } => {
                Self { retry_after: Some(secs(retry_after_secs)), ..Self::new(ProblemCode::LoginThrottled, detail) }
            }
            CoreError::Overloaded { retry_after_secs } => {
                Self { retry_after: Some(secs(retry_after_secs)), ..Self::new(ProblemCode::Overloaded, detail) }
            }
            CoreError::Unavailable(source) => Self::unavailable(source),
            CoreError::Internal(source) => Self::internal(source),
        }
    }
}

impl ApiError {
    /// The problem code and what caused it, outermost first (`a: b: c`), for the log.
    pub fn cause_chain(&self) -> String {
        match &self.source {
            Some(source) => format!("{}: {source:#}", self.code),
            None => self.code.as_str().to_owned(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        // Logged once, by the access line (`crate::access_log`), with `cause_chain`.
        let mut response = HttpResponse::build(self.status);
        response.content_type("application/problem+json");
        response.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        if let Some(secs) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        for (name, value) in &self.headers {
            response.insert_header((*name, value.as_str()));
        }
        // A route that takes other credentials (service routes: Basic) says so itself.
        if self.status == StatusCode::UNAUTHORIZED
            && !self.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("www-authenticate"))
        {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        response.json(self.problem())
    }
}

/// Seconds for `Retry-After`, saturating.
fn secs(value: u64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// A middleware's refusal: the problem document as the answer to `req` (an answer, not an
/// error, so outer middleware still adds its headers).
pub(crate) fn refuse(req: ServiceRequest, error: ApiError) -> ServiceResponse<BoxBody> {
    req.into_response(error.error_response())
}
