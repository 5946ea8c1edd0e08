//! Access control, decided in one place: who is calling ([`Caller`]), what an operation needs
//! of them ([`Need`]) and the one decision every route and every use case asks ([`decide`]),
//! with the reason it refuses ([`Refusal`]).
//!
//! A user's caller is [`Authenticated`]: a live session, its claims (`amr`, `auth_time`,
//! `sid`) and the user as the store holds it now, so a role taken away counts at once,
//! whatever the token says. A route declares its need next to its handler (in the document,
//! its security requirement's roles), never by the shape of its URL.

mod caller;
mod service;

pub use caller::{Aal, Assurance, Authenticated, Caller};
use chrono::Duration;
pub use service::AuthorizationService;

use crate::domain::{Role, ServiceCaller};
use crate::usecases::CoreError;

/// What an operation needs of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// A signed-in caller with a live session.
    Caller,
    /// A caller who holds this role now.
    Role(&'static str),
    /// A user whose session proved a second factor ([`Aal::Two`]).
    SecondFactor,
    /// A user who proved who they are at most this long ago (step-up for sensitive actions).
    Recent(Duration),
    /// A service client holding this scope ([`Scope`](crate::domain::Scope); one of
    /// [`Scope::DECLARABLE`](crate::domain::Scope::DECLARABLE), where `{namespace}` stands for
    /// the path's namespace: [`decide_scope`] takes the scope filled in).
    Scope(&'static str),
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

    /// The roles a security requirement states for this need (`None`: a need that is not a
    /// role, which a route states otherwise).
    pub fn roles(self) -> Option<Vec<&'static str>> {
        match self {
            Self::Caller => Some(Vec::new()),
            Self::Role(role) => Some(vec![role]),
            Self::SecondFactor | Self::Recent(_) | Self::Scope(_) => None,
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
    /// A user whose session has one factor where the operation needs two (403
    /// `mfa_required`).
    SecondFactorRequired,
    /// A user who proved who they are too long ago (403 `reauthentication_required`:
    /// `POST /v1/auth/reauthenticate`, then retry).
    ReauthenticationRequired,
}

impl From<Refusal> for CoreError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Unauthenticated => Self::Unauthenticated,
            Refusal::Forbidden => Self::Forbidden,
            Refusal::SecondFactorRequired => Self::MfaRequired,
            Refusal::ReauthenticationRequired => Self::ReauthenticationRequired,
        }
    }
}

/// The decision: may `caller` (`None`: nobody signed in) do what `need` asks?
pub fn decide(caller: Option<&Caller>, need: Need) -> Result<(), Refusal> {
    match caller {
        None => Err(Refusal::Unauthenticated),
        Some(Caller::User(user)) => decide_for_user(user, need),
        Some(service @ Caller::Service(_)) => match need {
            Need::Scope(scope) => decide_scope(Some(service), scope),
            // A service is no user: it has no session, roles or factors.
            _ => Err(Refusal::Forbidden),
        },
    }
}

/// The decision for a scope: may `caller` use what `scope` (filled in: `settings:read:ai`)
/// opens? Only a service client holding it may; a user never does (user routes and service
/// routes are apart).
pub fn decide_scope(caller: Option<&Caller>, scope: &str) -> Result<(), Refusal> {
    match caller {
        None => Err(Refusal::Unauthenticated),
        Some(Caller::Service(service)) if service.has_scope(scope) => Ok(()),
        Some(_) => Err(Refusal::Forbidden),
    }
}

/// [`decide_scope`] for a use case whose caller is a service client: the refusal as a
/// [`CoreError`].
pub fn authorize_service(service: &ServiceCaller, scope: &str) -> Result<(), CoreError> {
    if service.has_scope(scope) { Ok(()) } else { Err(Refusal::Forbidden.into()) }
}

/// [`decide`] for a user's session.
fn decide_for_user(user: &Authenticated, need: Need) -> Result<(), Refusal> {
    match need {
        Need::Caller => Ok(()),
        Need::Role(role) if user.has_role(role) => Ok(()),
        Need::Role(_) => Err(Refusal::Forbidden),
        Need::SecondFactor if user.assurance().level >= Aal::Two => Ok(()),
        Need::SecondFactor => Err(Refusal::SecondFactorRequired),
        Need::Recent(within) if user.at - user.assurance().authenticated_at <= within => Ok(()),
        Need::Recent(_) => Err(Refusal::ReauthenticationRequired),
        // Service routes are for service clients only.
        Need::Scope(_) => Err(Refusal::Forbidden),
    }
}

/// [`decide`] for a use case, whose caller is a signed-in user: the refusal as a [`CoreError`].
pub fn authorize(user: &Authenticated, need: Need) -> Result<(), CoreError> {
    Ok(decide_for_user(user, need)?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::domain::{Email, PasswordHash, Profile, Session, SessionId, User, UserId, UserStatus};
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
            auth_time: now - chrono::Duration::minutes(10),
        };
        let session = Session {
            id: claims.sid,
            user_id: user.id,
            device_id: None,
            user_agent: None,
            ip: None,
            amr: claims.amr.clone(),
            auth_time: claims.auth_time,
            created_at: now,
            last_seen_at: now,
            expires_at: now + chrono::Duration::days(1),
            revoked: None,
        };
        Authenticated { user, session, claims, client: ClientInfo::default(), at: now }
    }

    #[test]
    fn roles_state_needs_and_back() {
        assert_eq!(Need::from_roles(&[]), Some(Need::Caller));
        assert_eq!(Need::from_roles(&["admin"]), Some(Need::ADMIN));
        assert_eq!(Need::from_roles(&["superuser"]), None, "no caller can hold an unknown role");
        assert_eq!(Need::from_roles(&["admin", "user"]), None);
        for need in [Need::Caller, Need::ADMIN] {
            assert_eq!(Need::from_roles(&need.roles().unwrap()), Some(need));
        }
        assert_eq!(Need::SecondFactor.roles(), None);
    }

    #[test]
    fn nobody_is_unauthenticated_and_a_missing_role_is_forbidden() {
        let user = caller(&[Role::USER]);
        let admin = caller(&[Role::USER, Role::ADMIN]);
        assert_eq!(decide(None, Need::Caller), Err(Refusal::Unauthenticated));
        assert_eq!(decide(None, Need::ADMIN), Err(Refusal::Unauthenticated));
        let (user, admin) = (Caller::from(user), Caller::from(admin));
        assert_eq!(decide(Some(&user), Need::Caller), Ok(()));
        assert_eq!(decide(Some(&user), Need::ADMIN), Err(Refusal::Forbidden));
        assert_eq!(decide(Some(&admin), Need::ADMIN), Ok(()));
        assert!(matches!(authorize(user.user().unwrap(), Need::ADMIN), Err(CoreError::Forbidden)));
    }

    #[test]
    fn a_second_factor_counts_only_when_the_session_proved_one() {
        let mut user = caller(&[Role::USER]);
        assert_eq!(user.assurance().level, Aal::One);
        assert_eq!(decide(Some(&user.clone().into()), Need::SecondFactor), Err(Refusal::SecondFactorRequired));
        assert!(matches!(authorize(&user, Need::SecondFactor), Err(CoreError::MfaRequired)));
        user.claims.amr = vec!["pwd".into(), "otp".into()];
        assert_eq!(user.assurance().level, Aal::Two);
        assert_eq!(decide(Some(&user.clone().into()), Need::SecondFactor), Ok(()));
        user.claims.amr = vec!["webauthn".into()];
        assert_eq!(decide(Some(&user.into()), Need::SecondFactor), Ok(()));
        // What the token's `amr` lists decides, not the role.
        let mut admin = caller(&[Role::USER, Role::ADMIN]);
        admin.claims.amr = vec!["pwd".into(), "sms".into()];
        assert_eq!(decide(Some(&admin.into()), Need::SecondFactor), Err(Refusal::SecondFactorRequired));
    }

    #[test]
    fn scopes_open_service_routes_to_service_clients_only() {
        let service = ServiceCaller {
            client_id: uuid::Uuid::now_v7(),
            name: "billing".into(),
            scopes: ["users:read".to_owned(), "settings:read:ai".to_owned()].into_iter().collect(),
            client: ClientInfo::default(),
        };
        let client = Caller::from(service.clone());
        assert_eq!(decide(Some(&client), Need::Scope("users:read")), Ok(()));
        assert_eq!(decide(Some(&client), Need::Scope("tokens:introspect")), Err(Refusal::Forbidden));
        assert_eq!(decide_scope(Some(&client), "settings:read:ai"), Ok(()));
        assert_eq!(decide_scope(Some(&client), "settings:read:documents"), Err(Refusal::Forbidden));
        assert_eq!(decide_scope(None, "users:read"), Err(Refusal::Unauthenticated));
        // A service is not a user, and an admin is not a service.
        assert_eq!(decide(Some(&client), Need::Caller), Err(Refusal::Forbidden));
        assert_eq!(decide(Some(&client), Need::ADMIN), Err(Refusal::Forbidden));
        let admin = Caller::from(caller(&[Role::USER, Role::ADMIN]));
        assert_eq!(decide(Some(&admin), Need::Scope("users:read")), Err(Refusal::Forbidden));
        assert_eq!(decide_scope(Some(&admin), "users:read"), Err(Refusal::Forbidden));
        assert!(authorize_service(&service, "users:read").is_ok());
        assert!(matches!(authorize_service(&service, "tokens:introspect"), Err(CoreError::Forbidden)));
    }

    #[test]
    fn step_up_is_measured_from_the_sign_in_to_the_check() {
        // Signed in ten minutes before the check.
        let user = caller(&[Role::USER]);
        assert_eq!(user.at - user.assurance().authenticated_at, chrono::Duration::minutes(10));
        let recent = |minutes| Need::Recent(chrono::Duration::minutes(minutes));
        assert_eq!(decide(Some(&user.clone().into()), recent(10)), Ok(()));
        assert_eq!(decide(Some(&user.clone().into()), recent(15)), Ok(()));
        assert_eq!(decide(Some(&user.clone().into()), recent(9)), Err(Refusal::ReauthenticationRequired));
        assert!(matches!(authorize(&user, recent(5)), Err(CoreError::ReauthenticationRequired)));
        // A refresh re-issues the token, not the proof.
        let mut refreshed = user;
        refreshed.claims.iat = refreshed.at;
        assert_eq!(decide(Some(&refreshed.into()), recent(5)), Err(Refusal::ReauthenticationRequired));
    }
}
