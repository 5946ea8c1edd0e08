//! Accounts: who a user is (the user aggregate, its email, username, password and profile)
//! and the flows that make and change one: registration and verification, passwords,
//! the caller's profile, and the admins' view of users.

mod admin;
pub(crate) mod common;
mod email;
mod email_change;
mod listing;
mod password;
mod passwords;
pub mod profile;
mod profiles;
mod registration;
mod store;
mod user;

pub(crate) use common::Accounts;

/// The accounts' aggregates and value objects.
pub mod domain {
    pub use super::email::Email;
    pub use super::listing::{SearchPrefix, UserFilter};
    pub use super::password::{Password, PasswordContext, PasswordPolicy, PolicyMode};
    pub use super::profile;
    pub use super::user::{NewUser, PasswordHash, Profile, Role, User, UserId, UserStatus, Username};
}

/// What the accounts need of a store.
pub mod ports {
    pub use super::store::{OneTimeTokenWrites, UserRepository, UserWrites};
}

/// The accounts' use cases.
pub mod usecases {
    pub use super::admin::{AdminGrant, AdminGranted, AdminNewUser, AdminUserChange, AdminUserService, UserQuery};
    pub use super::common::RegisterInput;
    pub use super::email_change::EmailChangeService;
    pub use super::passwords::PasswordService;
    pub use super::profiles::ProfileService;
    pub use super::registration::{ConfirmRegistrationInput, RegistrationRequested, RegistrationService};
}
