use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::views::UserView;
use crate::client::client_info;
use crate::error::{ApiError, Problem};
use crate::extract::{CurrentUser, JsonBody};
use crate::state::AppState;

/// A JSON merge patch (RFC 7386) of the profile: absent fields stay, `null` clears (or
/// restores the default of `locale`, `time_zone`, `region`, `currency`), `preferences` merges
/// key by key. Any other field (`email`, `status`, `roles`, ids, …) is refused with a 422
/// naming it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ProfilePatch {
    /// Up to 100 characters (`null` clears it; `""` is refused).
    #[schema(min_length = 1, max_length = 100)]
    name: Option<String>,
    /// Up to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    display_name: Option<String>,
    /// Up to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    company: Option<String>,
    /// E.164, e.g. `+4915112345678`.
    #[schema(schema_with = phone_schema)]
    phone: Option<String>,
    /// 5–32 of `A-Z a-z 0-9 _`, starting with a letter; a leading `@` is dropped.
    #[schema(pattern = "^@?[A-Za-z][A-Za-z0-9_]{4,31}$", example = "ada_lovelace")]
    telegram: Option<String>,
    /// `https://` only, at most 2048 characters.
    #[schema(schema_with = avatar_url_schema)]
    avatar_url: Option<String>,
    /// BCP 47, e.g. `pt-BR`.
    #[schema(schema_with = locale_schema)]
    locale: Option<String>,
    /// IANA, e.g. `Europe/Berlin`; `null` restores the default (`UTC`).
    #[schema(value_type = Option<super::views::TimeZoneName>)]
    time_zone: Option<String>,
    /// `null` restores the default (`US`).
    #[schema(value_type = Option<super::views::RegionCode>)]
    region: Option<String>,
    /// `null` restores the default (`USD`).
    #[schema(value_type = Option<super::views::CurrencyCode>)]
    currency: Option<String>,
    /// Merged into the stored document key by key (RFC 7386: `null` removes a key); unknown
    /// sections or keys are refused.
    #[schema(value_type = Option<super::preferences::PreferencesPatch>)]
    preferences: Option<serde_json::Value>,
}

/// A text or `null`, in the form `pattern` states (core's own rule, see `identity_core::profile`).
fn nullable_text(pattern: &str, max_length: Option<usize>, example: &str) -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{SchemaType, Type};
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .pattern(Some(pattern))
        .max_length(max_length)
        .examples([serde_json::json!(example)])
        .build()
}

fn phone_schema() -> utoipa::openapi::Object {
    nullable_text(identity_core::profile::PHONE_PATTERN, None, "+4915112345678")
}

fn avatar_url_schema() -> utoipa::openapi::Object {
    let max = Some(identity_core::profile::AVATAR_URL_MAX);
    nullable_text(identity_core::profile::AVATAR_URL_PATTERN, max, "https://cdn.example.com/ada.png")
}

fn locale_schema() -> utoipa::openapi::Object {
    nullable_text(identity_core::profile::LOCALE_PATTERN, None, "pt-BR")
}

/// The caller's account and profile.
#[utoipa::path(
    operation_id = "get_profile",
    tag = "users",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = OK, body = UserView),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/users/me")]
pub async fn get_me(user: CurrentUser) -> HttpResponse {
    super::private_json(UserView::from(&user.0.user))
}

/// Changes profile fields (JSON merge patch; `application/merge-patch+json` or
/// `application/json`). Emits `user.updated` with the changed fields.
#[utoipa::path(
    operation_id = "update_profile",
    tag = "users",
    request_body(content = ProfilePatch, content_type = "application/merge-patch+json"),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = OK, description = "The updated account", body = UserView),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: each invalid, read-only or unknown field named", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/users/me")]
pub async fn patch_me(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: JsonBody<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let updated = state.services.profile.update_profile(&user.0, &body.0).await?;
    Ok(super::private_json(UserView::from(&updated)))
}

/// The password that confirms a deletion.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteAccountRequest {
    #[schema(format = Password, min_length = 1)]
    pub password: String,
}

/// Deletes the caller's account (soft delete, confirmed with the current password): every
/// session ends at once, the address stays reserved, the data is kept for the retention
/// period and an admin can restore it. Emits `user.deleted`.
#[utoipa::path(
    operation_id = "delete_account",
    tag = "users",
    request_body = DeleteAccountRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = NO_CONTENT, description = "Deleted; signed out everywhere"),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: missing or wrong password (`password`/`incorrect`; counted like a failed login)", body = Problem, content_type = "application/problem+json"),
        (status = TOO_MANY_REQUESTS, description = "`login_throttled`: too many wrong passwords for this account; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
        (status = CONFLICT, description = "`last_admin`: the last active admin cannot delete their account", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/users/me")]
pub async fn delete_me(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: JsonBody<DeleteAccountRequest>,
) -> Result<HttpResponse, ApiError> {
    state.services.profile.delete_account(&user.0, &body.0.password).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The address the account should have.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailChangeRequest {
    #[schema(example = "ada@new.example", format = Email, min_length = 3, max_length = 254)]
    pub new_email: String,
}

/// Asks to change the caller's address (step-up: needs a sign-in or `POST
/// /v1/auth/reauthenticate` within `REAUTH_MAX_AGE_SECONDS`). Mails a single-use link to the
/// new address (valid `EMAIL_VERIFICATION_TTL_SECONDS`, `EMAIL_CHANGE_URL_TEMPLATE`) and a
/// notice naming the new address masked to the current one; nothing changes until the link is
/// used (`POST /v1/users/me/email/confirm`). A new request voids the earlier link. An address
/// that already has an account gets the same answer and the same mails: only the confirmation
/// tells. Audited as `email.change_requested`.
#[utoipa::path(
    operation_id = "request_email_change",
    tag = "users",
    request_body = EmailChangeRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = ACCEPTED, description = "The link is on its way to the new address"),
        (status = UNAUTHORIZED, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = FORBIDDEN, description = "`reauthentication_required`: the last sign-in is older than `REAUTH_MAX_AGE_SECONDS`; `POST /v1/auth/reauthenticate`, then retry with its token", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: `new_email` missing or not an address (`invalid_email`), or the account's address already (`unchanged`)", body = Problem, content_type = "application/problem+json"),
        (status = TOO_MANY_REQUESTS, description = "`cooldown`: one request per account, and one per new address, per `MAIL_COOLDOWN_SECONDS`; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/users/me/email")]
pub async fn request_email_change(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: JsonBody<EmailChangeRequest>,
) -> Result<HttpResponse, ApiError> {
    state.services.email_change.request_email_change(&user.0, &body.0.new_email).await?;
    Ok(HttpResponse::Accepted().finish())
}

/// The token from the email-change link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmEmailChangeRequest {
    /// The token from the mail (URL-safe base64).
    #[schema(min_length = 1, max_length = 256, pattern = "^[A-Za-z0-9_-]+$")]
    pub token: String,
}

/// Makes the change of address with the token from the link mailed to the new address (single
/// use; no sign-in needed, the token proves it, so the link works on any device). The new
/// address is verified; every session of the account ends except the one that asked for the
/// change (reason `revoked_by_user`). Emits `user.updated` (`changed: ["email"]`); audited as
/// `email.changed`.
#[utoipa::path(
    operation_id = "confirm_email_change",
    tag = "users",
    request_body = ConfirmEmailChangeRequest,
    responses(
        (status = OK, description = "The account with its new address", body = UserView),
        (status = BAD_REQUEST, description = "`invalid_token`: unknown, expired, used or superseded by a later request, or the account's address changed since", body = Problem, content_type = "application/problem+json"),
        (status = CONFLICT, description = "`email_taken`: another account has the new address", body = Problem, content_type = "application/problem+json"),
        (status = UNPROCESSABLE_ENTITY, description = "`validation_failed`: no token", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/users/me/email/confirm")]
pub async fn confirm_email_change(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody<ConfirmEmailChangeRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = state.services.email_change.confirm_email_change(&body.0.token, &client_info(&req, &state)).await?;
    Ok(super::private_json(UserView::from(&user)))
}
