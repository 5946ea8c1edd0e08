//! Sessions: how a user proves who they are and stays signed in (password login, the token
//! endpoint, refresh-token rotation, sessions, devices, revocation).

pub(crate) mod issuer;
mod login;
mod model;
mod passkey_login;
mod revocation;
mod second_factor;
mod service;
mod store;

pub(crate) use issuer::SessionIssuer;

/// Sessions, devices, refresh and one-time tokens.
pub mod domain {
    pub use super::model::{
        Device, DeviceId, OneTimePurpose, OneTimeToken, RefreshToken, RefreshTokenId, Revocation, RevocationReason,
        Session, SessionId, TokenDigest,
    };
}

/// What the sessions need of a store.
pub mod ports {
    pub use super::store::{LoginAttempt, SessionRepository, SessionSelector, SessionWrites};
}

/// The sessions' use cases.
pub mod usecases {
    pub use super::issuer::{DeviceInput, LoginOutput, MfaPending, SignIn};
    pub use super::login::{LoginInput, LoginService, TokenGrant};
    pub use super::revocation::SessionStoreRevocations;
    pub use super::second_factor::{FactorInput, MfaLoginInput, PasskeySignInInput, Reauthenticated};
    pub use super::service::{MAX_PAGE, PAGE_CURSOR_PATTERN, Page, SessionService, page_request};
}
