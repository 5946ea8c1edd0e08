//! Access control, decided in one place: what an operation needs of its caller ([`Need`]) and
//! the one decision every route and every use case asks ([`authorize`]).
//!
//! The caller is [`Authenticated`]: a user's live session, its claims (`amr`, `sid`) and the
//! user as the store holds it now, so a role taken away counts at once, whatever the token
//! says. Service clients (scopes) and second factors (assurance, freshness) join as further
//! kinds of caller and further needs; a route declares its need next to its handler (in the
//! document, its security requirement's roles), never by the shape of its URL.

use super::{Authenticated, CoreError};
use crate::domain::Role;

/// What an operation needs of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// A signed-in caller with a live session.
    Caller,
    /// A caller who holds this role now.
    Role(&'static str),
}

impl Need {
    /// The admin routes and use cases.
    pub const ADMIN: Self = Self::Role(Role::ADMIN);

    /// The need a security requirement's roles state (`[]`: any caller; `["admin"]`: an
    /// admin). `None` for a role core does not know: a route may not require what no caller
    /// can hold.
    pub fn from_roles(roles: &[&str]) -> Option<Self> {
        match roles {
            [] => Some(Self::Caller),
            [role] => Role::KNOWN.iter().find(|known| **known == *role).map(|known| Self::Role(known)),
            _ => None,
        }
    }

    /// The roles a security requirement states for this need.
    pub fn roles(self) -> Vec<&'static str> {
        match self {
            Self::Caller => Vec::new(),
            Self::Role(role) => vec![role],
        }
    }
}

/// Why a caller is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No caller, or no live session (401 `unauthenticated`).
    Unauthenticated,
    /// A caller who does not hold what the operation needs (403 `forbidden`).
    Forbidden,
}

impl From<Refusal> for CoreError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Unauthenticated => Self::Unauthenticated,
            Refusal::Forbidden => Self::Forbidden,
        }
    }
}

/// The decision: may `caller` (`None`: nobody signed in) do what `need` asks?
pub fn decide(caller: Option<&Authenticated>, need: Need) -> Result<(), Refusal> {
    let Some(caller) = caller else { return Err(Refusal::Unauthenticated) };
    match need {
        Need::Caller => Ok(()),
        Need::Role(role) if caller.user.roles.contains(&Role::new(role)) => Ok(()),
        Need::Role(_) => Err(Refusal::Forbidden),
    }
}

/// [`decide`] for a use case, whose caller is signed in: the refusal as a [`CoreError`].
pub fn authorize(caller: &Authenticated, need: Need) -> Result<(), CoreError> {
    Ok(decide(Some(caller), need)?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::domain::{Email, PasswordHash, Profile, SessionId, User, UserId, UserStatus};
    use crate::ports::{AccessClaims, ClientInfo};

    fn caller(roles: &[&'static str]) -> Authenticated {
        let now = chrono::Utc::now();
        let user = User {
            id: UserId::from_uuid(uuid::Uuid::now_v7()),
            email: Email::parse("caller@example.com").unwrap(),
            username: None,
            password_hash: PasswordHash::from_phc("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA".into()),
            email_verified: true,
            status: UserStatus::Active,
            roles: roles.iter().map(|r| Role::new(*r)).collect::<BTreeSet<_>>(),
            profile: Profile::default(),
            created_at: now,
            updated_at: now,
            last_login_at: None,
            deleted_at: None,
            locked_until: None,
        };
        let claims = AccessClaims {
            iss: "identity".into(),
            aud: "identity".into(),
            sub: user.id,
            sid: SessionId::from_uuid(uuid::Uuid::now_v7()),
            iat: now,
            nbf: now,
            exp: now,
            jti: uuid::Uuid::now_v7(),
            // The token's roles count for nothing: the store's do.
            roles: vec![Role::ADMIN.into()],
            amr: vec!["pwd".into()],
        };
        Authenticated { user, claims, client: ClientInfo::default() }
    }

    #[test]
    fn roles_state_needs_and_back() {
        assert_eq!(Need::from_roles(&[]), Some(Need::Caller));
        assert_eq!(Need::from_roles(&["admin"]), Some(Need::ADMIN));
        assert_eq!(Need::from_roles(&["superuser"]), None, "no caller can hold an unknown role");
        assert_eq!(Need::from_roles(&["admin", "user"]), None);
        for need in [Need::Caller, Need::ADMIN] {
            assert_eq!(Need::from_roles(&need.roles()), Some(need));
        }
    }

    #[test]
    fn nobody_is_unauthenticated_and_a_missing_role_is_forbidden() {
        let user = caller(&[Role::USER]);
        let admin = caller(&[Role::USER, Role::ADMIN]);
        assert_eq!(decide(None, Need::Caller), Err(Refusal::Unauthenticated));
        assert_eq!(decide(None, Need::ADMIN), Err(Refusal::Unauthenticated));
        assert_eq!(decide(Some(&user), Need::Caller), Ok(()));
        assert_eq!(decide(Some(&user), Need::ADMIN), Err(Refusal::Forbidden));
        assert_eq!(decide(Some(&admin), Need::ADMIN), Ok(()));
        assert!(matches!(authorize(&user, Need::ADMIN), Err(CoreError::Forbidden)));
    }
}
