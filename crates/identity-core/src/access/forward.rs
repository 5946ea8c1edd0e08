//! Forward-auth (`GET /v1/auth/verify`): a reverse proxy (nginx `auth_request`, Traefik
//! `ForwardAuth`, Envoy `ext_authz`) asks whether the caller of a request it holds may go
//! through, and who they are. The caller is authenticated like on every route; a role the
//! proxy requires is decided by the one authorizer ([`decide`]); an app it requires is a grant
//! of the user or of one of their groups (the per-app permission).

use super::model::AppKey;
use super::service::AccessService;
use crate::authz::{Aal, Authenticated, Caller, Need, Refusal, decide};
use crate::domain::{Role, ValidationErrors};
use crate::usecases::CoreError;

/// What the proxy requires of the caller, from the query it calls forward-auth with (its own
/// configuration: `auth_request /v1/auth/verify?app=docs`). Never read from the forwarded
/// request's URI, which the client chose.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForwardCheck {
    /// A role the caller must hold now (`admin`).
    pub role: Option<String>,
    /// An app the caller must have been granted (`docs`), directly or through a group.
    pub app: Option<String>,
}

/// Who the caller is, as forward-auth answers it (the `X-User-*` headers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardedIdentity {
    pub user_id: String,
    pub email: String,
    /// Sorted.
    pub roles: Vec<String>,
    pub session_id: String,
    /// `1` or `2` (authenticator assurance level).
    pub aal: u8,
}

impl AccessService {
    /// The caller's identity when they meet `check`: `Forbidden` when they lack the role or
    /// the app, a validation error when `check` names no role core knows or is no app key
    /// (the proxy is misconfigured: its operator must hear of it, not its users).
    pub async fn verify_forwarded(
        &self,
        auth: &Authenticated,
        check: &ForwardCheck,
    ) -> Result<ForwardedIdentity, CoreError> {
        let mut errors = ValidationErrors::new();
        let role = check.role.as_deref().filter(|r| !r.is_empty()).and_then(|raw| {
            let known = Role::KNOWN.iter().find(|known| **known == raw).copied();
            if known.is_none() {
                errors.push(crate::domain::FieldError::new("role", "unknown_role", "no such role"));
            }
            known
        });
        let app = check.app.as_deref().filter(|a| !a.is_empty()).and_then(|raw| errors.collect(AppKey::parse(raw)));
        errors.into_result()?;
        let caller = Caller::User(auth.clone());
        if let Some(role) = role
            && let Err(refusal) = decide(Some(&caller), Need::Role(role))
        {
            return Err(refusal.into());
        }
        if let Some(app) = app
            && !self.apps_of(auth.user.id).await?.iter().any(|granted| granted.app_key == app)
        {
            return Err(Refusal::Forbidden.into());
        }
        let mut roles = auth.user.role_names();
        roles.sort();
        Ok(ForwardedIdentity {
            user_id: auth.user.id.to_string(),
            email: auth.user.email.as_str().to_owned(),
            roles,
            session_id: auth.claims.sid.to_string(),
            aal: match auth.assurance().level {
                Aal::One => 1,
                Aal::Two => 2,
            },
        })
    }
}
