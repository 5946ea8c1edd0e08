//! Response bodies: what clients see of the domain. Never a hash, never a secret.

use chrono::{DateTime, Utc};
use identity_core::usecases::{MfaPending, Page};
use identity_core::{Device, Session, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The enumeration of `Region` codes, for the OpenAPI document.
pub fn region_schema() -> utoipa::openapi::Object {
    code_schema(identity_core::profile::Region::ALL.iter().map(|r| r.code()), "US")
}

/// The enumeration of `Currency` codes, for the OpenAPI document.
pub fn currency_schema() -> utoipa::openapi::Object {
    code_schema(identity_core::profile::Currency::ALL.iter().map(|c| c.code()), "USD")
}

/// A unit type whose schema is a named component (`$name`) made by `$schema`: where `null`
/// is allowed too (a patch), generated clients get one enum type and an optional value, not
/// a type per branch of a `["string", "null"]` union.
macro_rules! named_schema {
    ($(#[$doc:meta])* $type:ident, $name:literal, $schema:expr) => {
        $(#[$doc])*
        pub struct $type;

        impl utoipa::PartialSchema for $type {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::Schema::Object($schema).into()
            }
        }

        impl utoipa::ToSchema for $type {
            fn name() -> std::borrow::Cow<'static, str> {
                $name.into()
            }
        }
    };
}

named_schema!(
    /// A region code (`Region`).
    RegionCode,
    "Region",
    region_schema()
);
named_schema!(
    /// A currency code (`Currency`).
    CurrencyCode,
    "Currency",
    currency_schema()
);

named_schema!(
    /// An IANA time zone name (`TimeZone`).
    TimeZoneName,
    "TimeZone",
    code_schema(identity_core::profile::time_zone_names(), "Europe/Berlin")
);

fn code_schema(codes: impl Iterator<Item = &'static str>, example: &str) -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(codes))
        .examples([serde_json::json!(example)])
        .build()
}

/// The account statuses.
pub const STATUSES: [identity_core::UserStatus; 4] = [
    identity_core::UserStatus::Active,
    identity_core::UserStatus::Locked,
    identity_core::UserStatus::Disabled,
    identity_core::UserStatus::Deleted,
];

/// An account status.
pub fn status_schema() -> utoipa::openapi::Object {
    code_schema(STATUSES.iter().map(|s| s.as_str()), "active")
}

named_schema!(
    /// An account status (`AccountStatus`).
    AccountStatus,
    "AccountStatus",
    status_schema()
);

/// A set of roles (`user` is every account's).
pub fn roles_schema() -> utoipa::openapi::schema::Array {
    let role = code_schema(identity_core::Role::KNOWN.iter().copied(), "user");
    utoipa::openapi::schema::ArrayBuilder::new().items(role).unique_items(true).build()
}

/// A set of roles to set, or `null` (no change): a role listed twice counts once, so the
/// list need not be unique (what the server answers is).
pub fn nullable_roles_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{SchemaType, Type};
    let mut schema = roles_schema();
    schema.schema_type = SchemaType::from_iter([Type::Array, Type::Null]);
    schema.unique_items = false;
    schema
}

/// Personal data; every field but the ids is changeable with `PATCH /v1/users/me`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileView {
    #[schema(example = "Ada Lovelace")]
    pub name: Option<String>,
    pub display_name: Option<String>,
    pub company: Option<String>,
    /// E.164.
    #[schema(example = "+4915112345678")]
    pub phone: Option<String>,
    /// Telegram username, without `@`.
    pub telegram: Option<String>,
    pub avatar_url: Option<String>,
    /// BCP 47.
    #[schema(example = "en")]
    pub locale: String,
    /// IANA time zone.
    #[schema(example = "UTC")]
    pub time_zone: String,
    #[schema(schema_with = region_schema)]
    pub region: &'static str,
    #[schema(schema_with = currency_schema)]
    pub currency: &'static str,
    pub preferences: super::preferences::Preferences,
}

/// A user account as its owner sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    #[schema(example = "ada@example.com")]
    pub email: String,
    #[schema(example = "ada")]
    pub username: Option<String>,
    pub email_verified: bool,
    #[schema(schema_with = status_schema)]
    pub status: String,
    #[schema(schema_with = roles_schema)]
    pub roles: Vec<String>,
    pub profile: ProfileView,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.as_uuid(),
            email: user.email.as_str().to_owned(),
            username: user.username.as_ref().map(|u| u.as_str().to_owned()),
            email_verified: user.email_verified,
            status: user.status.as_str().to_owned(),
            roles: user.role_names(),
            profile: ProfileView {
                name: user.profile.name.clone(),
                display_name: user.profile.display_name.clone(),
                company: user.profile.company.clone(),
                phone: user.profile.phone.clone(),
                telegram: user.profile.telegram.clone(),
                avatar_url: user.profile.avatar_url.clone(),
                locale: user.profile.locale.clone(),
                time_zone: user.profile.time_zone.clone(),
                region: user.profile.region.code(),
                currency: user.profile.currency.code(),
                preferences: super::preferences::Preferences(user.profile.preferences.clone()),
            },
            created_at: user.created_at,
            updated_at: user.updated_at,
            last_login_at: user.last_login_at,
        }
    }
}

/// A signed-in session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub id: Uuid,
    /// The device the session belongs to; send it back as `device.id` at the next login from
    /// the same browser or app.
    pub device_id: Option<Uuid>,
    pub user_agent: Option<String>,
    #[schema(example = "203.0.113.7")]
    pub ip: Option<String>,
    /// How the user proved who they are (RFC 8176: `pwd`, `otp`, `recovery`, `webauthn`), at
    /// sign-in or at the latest re-authentication.
    #[schema(example = json!(["pwd", "otp"]))]
    pub amr: Vec<String>,
    /// The assurance level `amr` reaches: 1 (one factor) or 2 (a second factor).
    #[schema(minimum = 1, maximum = 2, example = 2)]
    pub aal: u8,
    /// When the user last proved who they are (sign-in or re-authentication); sensitive
    /// changes need this within `REAUTH_MAX_AGE_SECONDS`.
    pub auth_time: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl From<&Session> for SessionView {
    fn from(session: &Session) -> Self {
        Self {
            id: session.id.as_uuid(),
            device_id: session.device_id.map(|d| d.as_uuid()),
            user_agent: session.user_agent.clone(),
            ip: session.ip.map(|ip| ip.to_string()),
            amr: session.amr.clone(),
            aal: session.aal(),
            auth_time: session.auth_time,
            created_at: session.created_at,
            last_seen_at: session.last_seen_at,
            expires_at: session.expires_at,
        }
    }
}

/// A device a user signed in from.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceView {
    pub id: Uuid,
    #[schema(example = "Work laptop")]
    pub name: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

impl From<&Device> for DeviceView {
    fn from(device: &Device) -> Self {
        Self {
            id: device.id.as_uuid(),
            name: device.name.clone(),
            user_agent: device.user_agent.clone(),
            created_at: device.created_at,
            last_seen_at: device.last_seen_at,
        }
    }
}

/// A session in a list, marked when it is the caller's own.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionListItem {
    #[serde(flatten)]
    pub session: SessionView,
    /// The session this request was made with.
    pub current: bool,
}

/// One page of sessions.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionPage {
    pub items: Vec<SessionListItem>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// One page of devices.
#[derive(Debug, Serialize, ToSchema)]
pub struct DevicePage {
    pub items: Vec<DeviceView>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl DevicePage {
    pub fn from_page(page: &Page<Device>) -> Self {
        Self { items: page.items.iter().map(DeviceView::from).collect(), next_cursor: page.next_cursor.clone() }
    }
}

/// `?limit=&cursor=` of every list.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
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
