//! What every context shares: validation of text, the errors of stores and use cases, the
//! unit of work, the system ports (clock, ids, secrets, codes, mail), keyed requests, the
//! `auth` throttle and the [`Context`] a use case runs in.

/// A typed id over a UUID (`SessionId`, `InstanceId`, …): `from_uuid`, `as_uuid`, `Display`.
macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(uuid::Uuid);

        impl $name {
            pub fn from_uuid(id: uuid::Uuid) -> Self {
                Self(id)
            }

            pub fn as_uuid(&self) -> uuid::Uuid {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}
pub(crate) use uuid_id;

mod codes;
pub(crate) mod context;
mod core_error;
mod crypto;
mod mail;
mod repo_error;
mod request;
mod requests;
mod store;
mod system;
pub(crate) mod throttle;
mod transaction;
mod validation;

pub(crate) use context::{Context, Mailer, Revoker};
pub(crate) use requests::Requests;
pub(crate) use throttle::Throttle;

/// Shared value types.
pub mod domain {
    pub use super::request::{REQUEST_KEY_TTL, RequestKey, RequestRecord};
    pub use super::validation::{
        FREE_TEXT_PATTERN, FieldError, NAME_PATTERN, NO_CONTROL_PATTERN, NO_NUL_PATTERN, OPTIONAL_NAME_PATTERN,
        SINGLE_LINE_PATTERN, VISIBLE_PATTERN, ValidationErrors, free_text, is_invisible, no_invisible, no_nul,
        single_line, whole_number,
    };
}

/// Shared ports.
pub mod ports {
    pub use super::codes::{CodeStore, RateDecision, RateLimiter, RevocationList};
    pub use super::crypto::{
        AccessClaims, HashError, PasswordHasher, SecretBox, Secrets, TokenError, TokenIssuer, Verification,
    };
    pub use super::mail::{Mail, Notifier};
    pub use super::repo_error::{Conflict, RepoError};
    pub use super::store::{PageRequest, RequestLog, StorePorts, UserFilter};
    pub use super::system::{ClientInfo, Clock, HealthCheck, IdGenerator};
    pub use super::transaction::{JournalWrites, Transaction, UnitOfWork, WritePorts};
}

/// Shared parts of the use cases.
pub mod usecases {
    pub use super::core_error::CoreError;
    pub use super::throttle::{AuthFlow, Limited};
}

/// Lower-case hex of `bytes` (digests in keys and stored codes).
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `template` with `{token}` replaced.
pub(crate) fn link(template: &str, token: &str) -> String {
    template.replace("{token}", token)
}
