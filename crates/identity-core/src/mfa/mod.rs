//! Second factors (SPEC §3 "MFA"): TOTP that works once per code, recovery codes stored as
//! keyed digests, and the check of a second factor at sign-in. The login's second step lives
//! with the login (`sessions`); the caller's assurance (`amr`, `aal`) with the authorizer.

mod model;
mod otp;
mod passkeys;
mod service;
mod store;
mod webauthn;

/// Methods, recovery codes, one-time-code rules and the login's challenge.
pub mod domain {
    pub use super::model::{
        ENROLMENT_TTL, MFA_MAX_ATTEMPTS, MFA_TOKEN_TTL, MfaChallenge, MfaKind, MfaMethod, PASSKEY_CEREMONY_TTL,
        PasskeyChallenge, RECOVERY_CODES, RecoveryCode, TOTP_PERIOD_SECS, TotpEnrolment, accepted_step,
        normalise_recovery_code, parse_label, recovery_code, totp_step,
    };
}

/// What second factors need of a store and of the OTP algorithm.
pub mod ports {
    pub use super::otp::OtpGenerator;
    pub use super::store::{MfaRepository, MfaWrites};
    pub use super::webauthn::{Assertion, Ceremony, PasskeyCredential, PasskeyError, PasskeyVerifier};
}

/// The second-factor use cases.
pub mod usecases {
    pub use super::service::{MfaOverview, MfaService, Proof};
}
