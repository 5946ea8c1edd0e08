//! Who is calling: [`Caller`], one type for every kind of caller, and what a user's session
//! proves about them ([`Assurance`]).

use chrono::{DateTime, Utc};

use crate::domain::{Role, ServiceCaller, Session, User};
use crate::ports::{AccessClaims, ClientInfo};

/// Who is calling. Every route and use case that needs a caller is asked about one of these
/// through [`decide`](super::decide).
#[derive(Debug, Clone)]
// One per request, made once and moved into the request's extensions: boxing the user would
// cost an allocation on every authenticated request to save bytes nobody keeps.
#[allow(clippy::large_enum_variant)]
pub enum Caller {
    /// A user, through a live session.
    User(Authenticated),
    /// Another service, through a service client: scopes, no user.
    Service(ServiceCaller),
}

impl Caller {
    /// The user behind the call, if a user is calling.
    pub fn user(&self) -> Option<&Authenticated> {
        match self {
            Self::User(user) => Some(user),
            Self::Service(_) => None,
        }
    }

    /// The service client behind the call, if a service is calling.
    pub fn service(&self) -> Option<&ServiceCaller> {
        match self {
            Self::Service(service) => Some(service),
            Self::User(_) => None,
        }
    }
}

impl From<ServiceCaller> for Caller {
    fn from(service: ServiceCaller) -> Self {
        Self::Service(service)
    }
}

impl From<Authenticated> for Caller {
    fn from(user: Authenticated) -> Self {
        Self::User(user)
    }
}

/// A user calling through one of their sessions, once its access token checked out.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The user as the store holds it now (a role taken away counts at once).
    pub user: User,
    /// The token's session as the store holds it now, read with the user.
    pub session: Session,
    pub claims: AccessClaims,
    /// Where the request came from (for the audit log).
    pub client: ClientInfo,
    /// When the token was checked: what step-up freshness is measured at.
    pub at: DateTime<Utc>,
}

impl Authenticated {
    /// What the session proves about the user.
    pub fn assurance(&self) -> Assurance {
        Assurance::of(&self.claims)
    }

    /// Whether the user holds `role` now.
    pub fn has_role(&self, role: &str) -> bool {
        self.user.roles.contains(&Role::new(role))
    }
}

/// Authenticator assurance level (NIST SP 800-63B): how many kinds of factor the session's
/// sign-in proved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Aal {
    /// One factor (a password, or a mailed link or code).
    One,
    /// Two factors (a password and a one-time code or a security key; a passkey with user
    /// verification).
    Two,
}

impl Aal {
    /// The `amr` values (RFC 8176) of a second factor: a one-time code, a hardware or
    /// software key, WebAuthn, and `recovery` (a recovery code: a look-up secret).
    pub const SECOND_FACTORS: [&'static str; 6] = ["otp", "hwk", "swk", "webauthn", "mfa", "recovery"];

    /// The level the methods of `amr` reach.
    pub fn of(amr: &[String]) -> Self {
        if amr.iter().any(|method| Self::SECOND_FACTORS.contains(&method.as_str())) { Self::Two } else { Self::One }
    }

    /// The level as a number (the `aal` of tokens, sessions and forward-auth): 1 or 2.
    pub fn number(self) -> u8 {
        match self {
            Self::One => 1,
            Self::Two => 2,
        }
    }

    /// As forward-auth and the session views show it: `aal1`, `aal2`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::One => "aal1",
            Self::Two => "aal2",
        }
    }
}

/// What a session proves about its user: the level reached and when they last proved it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assurance {
    pub level: Aal,
    /// The session's sign-in (or its latest step-up): the `auth_time` claim.
    pub authenticated_at: DateTime<Utc>,
}

impl Assurance {
    pub fn of(claims: &AccessClaims) -> Self {
        Self { level: Aal::of(&claims.amr), authenticated_at: claims.auth_time }
    }
}
