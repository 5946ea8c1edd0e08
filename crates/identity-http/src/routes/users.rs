use actix_web::{HttpResponse, delete, get, patch, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::views::UserView;
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
