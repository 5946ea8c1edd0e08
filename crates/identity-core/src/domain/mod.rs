//! Aggregates, value objects and domain events.

mod access;
mod audit;
mod email;
mod events;
mod listing;
mod outbox;
mod password;
pub mod profile;
mod request;
mod session;
pub mod settings;
mod user;
mod validation;

pub use access::{AppGrant, AppKey, Grantee, Group, GroupId, GroupMember, GroupName, UserApp};
pub use audit::{AuditEntry, AuditFilter, AuditRecord};
pub use email::Email;
pub use events::{
    DomainEvent, EventType, PasswordChangedData, SessionCreatedData, SessionRevokedData, UserDeletedData,
    UserRegisteredData, UserUpdatedData, UserVerifiedData,
};
pub use listing::{SearchPrefix, UserFilter};
pub use outbox::{Delivery, PublishFailure, retry_delay};
pub use password::{Password, PasswordContext, PasswordPolicy, PolicyMode};
pub use request::{REQUEST_KEY_TTL, RequestKey, RequestRecord};
pub use session::{
    Device, DeviceId, OneTimePurpose, OneTimeToken, RefreshToken, RefreshTokenId, Revocation, RevocationReason,
    Session, SessionId, TokenDigest,
};
pub use user::{NewUser, PasswordHash, Profile, Role, User, UserId, UserStatus, Username};
pub use validation::{
    FREE_TEXT_PATTERN, FieldError, NAME_PATTERN, NO_CONTROL_PATTERN, NO_NUL_PATTERN, OPTIONAL_NAME_PATTERN,
    SINGLE_LINE_PATTERN, VISIBLE_PATTERN, ValidationErrors, free_text, is_invisible, no_invisible, no_nul, single_line,
    whole_number,
};
