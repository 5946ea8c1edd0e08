//! `/v1/mfa`: the caller's second factors. Enrolling an authenticator app (TOTP) and
//! confirming it with a first code, listing, renaming and removing factors, and new recovery
//! codes. Adding or removing a factor and new recovery codes need a recent authentication
//! (step-up: `POST /v1/auth/reauthenticate`). Secrets and recovery codes are shown once, in
//! the answer that makes them, and never again.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use identity_core::domain::{MfaKind, MfaMethod};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::private_json;
use crate::error::{ApiError, Problem};
use crate::extract::{CurrentUser, JsonBody, OptionalJsonBody};
use crate::state::AppState;

/// The kinds of second factor.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MfaMethodType {
    /// An authenticator app: time-based one-time passwords (RFC 6238, 6 digits, 30 s).
    Totp,
    /// A passkey (WebAuthn).
    Webauthn,
}

impl From<MfaKind> for MfaMethodType {
    fn from(kind: MfaKind) -> Self {
        match kind {
            MfaKind::Totp => Self::Totp,
            MfaKind::WebAuthn => Self::Webauthn,
        }
    }
}

/// One of the caller's second factors (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct MfaMethodView {
    pub id: Uuid,
    #[serde(rename = "type")]
    pub kind: MfaMethodType,
    /// The user's name for it.
    #[schema(example = "Phone")]
    pub label: String,
    pub created_at: DateTime<Utc>,
    /// When a code of it was last accepted; `null`: never since it was confirmed.
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<&MfaMethod> for MfaMethodView {
    fn from(method: &MfaMethod) -> Self {
        Self {
            id: method.id,
            kind: method.kind.into(),
            label: method.label.clone(),
            created_at: method.created_at,
            last_used_at: method.last_used_at,
        }
    }
}

/// The caller's second factors and how many recovery codes are left.
#[derive(Debug, Serialize, ToSchema)]
pub struct MfaMethods {
    /// Confirmed factors, oldest first; empty: sign-ins need the password only.
    pub methods: Vec<MfaMethodView>,
    /// Unused recovery codes (0 without a factor).
    #[schema(example = 10)]
    pub recovery_codes_left: usize,
}

/// Optional: a name for the authenticator app.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollTotpRequest {
    /// 1–64 characters, one line (default `Authenticator app`).
    #[serde(default)]
    #[schema(example = "Phone", min_length = 1, max_length = 64)]
    pub label: Option<String>,
}

/// A TOTP enrolment just begun. The secret is shown this once: the app takes it from the QR
/// code, the URI or typed in; then `POST /v1/mfa/totp/confirm` with the first code (within
/// 10 minutes).
#[derive(Debug, Serialize, ToSchema)]
pub struct TotpEnrollment {
    /// The factor, pending until confirmed (not listed before).
    pub method: MfaMethodView,
    /// The shared secret, base32 (RFC 4648, no padding), to type in.
    #[schema(example = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")]
    pub secret: String,
    /// The `otpauth://totp/…` URI apps read (the QR code holds it).
    #[schema(
        example = "otpauth://totp/identity:ada%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=identity"
    )]
    pub otpauth_uri: String,
    /// The QR code of `otpauth_uri`, as an SVG document.
    pub qr_svg: String,
}

/// The first code of the app being enrolled.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmTotpRequest {
    /// The 6 digits the app shows now.
    #[schema(example = "123456", min_length = 1, max_length = 64)]
    pub code: String,
}

/// A confirmed factor, and the recovery codes when it is the account's first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfirmedTotp {
    pub method: MfaMethodView,
    /// Ten single-use codes that sign in when the app is lost, shown this once (store them
    /// safely): only when this is the account's first factor, `null` otherwise.
    #[schema(example = json!(["7KQ2-M4ZD-1X9P", "0C5T-WB8E-NH3R"]))]
    pub recovery_codes: Option<Vec<String>>,
}

/// A new name for a factor.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameMfaMethod {
    /// 1–64 characters, one line.
    #[schema(example = "Work phone", min_length = 1, max_length = 64)]
    pub label: String,
}

/// New recovery codes, shown this once; the older ones no longer work.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodes {
    /// Ten single-use codes (`xxxx-xxxx-xxxx`; case, dashes and spaces do not matter when
    /// typed back).
    #[schema(example = json!(["7KQ2-M4ZD-1X9P", "0C5T-WB8E-NH3R"]))]
    pub recovery_codes: Vec<String>,
}

/// Begins enrolling an authenticator app (TOTP): a new secret, shown this once, as base32, an
/// `otpauth://` URI and its QR code. It becomes a factor once confirmed with a first code
/// (`POST /v1/mfa/totp/confirm`, within 10 minutes); an unconfirmed enrolment is replaced by
/// the next one. One authenticator app per account. Needs a recent authentication.
#[utoipa::path(
    operation_id = "enroll_totp",
    tag = "mfa",
    request_body(content = Option<EnrollTotpRequest>, description = "Optional: leave the body out (no `null`) for the default label"),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = OK, body = TotpEnrollment),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = FORBIDDEN, description = "`reauthentication_required`: no authentication within `REAUTH_MAX_AGE_SECONDS` (`POST /v1/auth/reauthenticate`, then retry), or `csrf_rejected`", body = Problem, content_type = "application/problem+json"),
        (status = CONFLICT, description = "`mfa_already_enabled`: an authenticator app is set up already (remove it first)", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: a bad `label`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/mfa/totp/enroll")]
pub async fn enroll_totp(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: OptionalJsonBody<EnrollTotpRequest>,
) -> Result<HttpResponse, ApiError> {
    let label = body.0.and_then(|b| b.label);
    let enrolment = state.services.mfa.enrol_totp(&user.0, label.as_deref()).await?;
    Ok(private_json(TotpEnrollment {
        method: MfaMethodView::from(&enrolment.method),
        secret: enrolment.secret,
        otpauth_uri: enrolment.otpauth_uri,
        qr_svg: enrolment.qr_svg,
    }))
}

/// Confirms the pending enrolment with the app's current code: from now on sign-ins need a
/// second factor. The account's first factor also answers its recovery codes, shown this
/// once. Emits `mfa.enabled`; the user is mailed.
#[utoipa::path(
    operation_id = "confirm_totp",
    tag = "mfa",
    request_body = ConfirmTotpRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = OK, body = ConfirmedTotp),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = FORBIDDEN, description = "`csrf_rejected`", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no enrolment waiting for its first code (none begun, or it expired after 10 minutes)", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: a wrong or already used code (the error names the field `code`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/mfa/totp/confirm")]
pub async fn confirm_totp(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: JsonBody<ConfirmTotpRequest>,
) -> Result<HttpResponse, ApiError> {
    let (method, recovery_codes) = state.services.mfa.confirm_totp(&user.0, &body.0.code).await?;
    Ok(private_json(ConfirmedTotp { method: MfaMethodView::from(&method), recovery_codes }))
}

/// The caller's second factors (never their secrets) and how many recovery codes are left.
#[utoipa::path(
    operation_id = "list_mfa_methods",
    tag = "mfa",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = OK, body = MfaMethods),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/mfa/methods")]
pub async fn list_mfa_methods(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    let overview = state.services.mfa.overview(&user.0).await?;
    Ok(private_json(MfaMethods {
        methods: overview.methods.iter().map(MfaMethodView::from).collect(),
        recovery_codes_left: overview.recovery_codes_left,
    }))
}

/// Renames one of the caller's factors.
#[utoipa::path(
    operation_id = "rename_mfa_method",
    tag = "mfa",
    params(("id" = Uuid, Path, description = "Factor id")),
    request_body = RenameMfaMethod,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = OK, body = MfaMethodView),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = FORBIDDEN, description = "`csrf_rejected`", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such factor of the caller's", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: a bad `label`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/mfa/methods/{id}")]
pub async fn rename_mfa_method(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
    body: JsonBody<RenameMfaMethod>,
) -> Result<HttpResponse, ApiError> {
    let method = state.services.mfa.rename(&user.0, id.into_inner(), &body.0.label).await?;
    Ok(private_json(MfaMethodView::from(&method)))
}

/// Removes one of the caller's factors; removing the last one voids the recovery codes (and
/// sign-ins need the password only). Needs a recent authentication. Emits `mfa.disabled`; the
/// user is mailed.
#[utoipa::path(
    operation_id = "delete_mfa_method",
    tag = "mfa",
    params(("id" = Uuid, Path, description = "Factor id")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = NO_CONTENT, description = "Removed"),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = FORBIDDEN, description = "`reauthentication_required`: no authentication within `REAUTH_MAX_AGE_SECONDS` (`POST /v1/auth/reauthenticate`, then retry), or `csrf_rejected`", body = Problem, content_type = "application/problem+json"),
        (status = NOT_FOUND, description = "`not_found`: no such factor of the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/mfa/methods/{id}")]
pub async fn delete_mfa_method(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state.services.mfa.remove(&user.0, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// New recovery codes, shown this once; the older ones stop working. Needs a recent
/// authentication and a second factor.
#[utoipa::path(
    operation_id = "regenerate_recovery_codes",
    tag = "mfa",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = OK, body = RecoveryCodes),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = FORBIDDEN, description = "`reauthentication_required`: no authentication within `REAUTH_MAX_AGE_SECONDS` (`POST /v1/auth/reauthenticate`, then retry), or `csrf_rejected`", body = Problem, content_type = "application/problem+json"),
        (status = CONFLICT, description = "`mfa_not_enabled`: the account has no second factor", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/mfa/recovery-codes")]
pub async fn regenerate_recovery_codes(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, ApiError> {
    let recovery_codes = state.services.mfa.regenerate_recovery_codes(&user.0).await?;
    Ok(private_json(RecoveryCodes { recovery_codes }))
}
