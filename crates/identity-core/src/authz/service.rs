//! The gate of the routes: the decision for a route's declared need, with its refusals
//! audited.

use std::sync::Arc;

use super::{Caller, Need, Refusal, decide, decide_scope};
use crate::kernel::context::Context;
use crate::ports::{CodeStore, UnitOfWork};
use crate::usecases::CoreError;

/// Decides for the route gate and keeps the audit trail of its refusals.
#[derive(Clone)]
pub struct AuthorizationService {
    pub(crate) ctx: Context,
    pub(crate) uow: Arc<dyn UnitOfWork>,
    /// Remembers which refusals were audited this minute.
    pub(crate) codes: Arc<dyn CodeStore>,
}

impl AuthorizationService {
    /// The gate of every route that needs a caller, passed before the route reads its input
    /// (so a caller who may not use it learns nothing from validation answers): the route's
    /// declared [`Need`], decided by [`decide`]. A refusal is audited: `authorization.denied`,
    /// actor and subject the caller, metadata the `method`, the route's `template` (never the
    /// path with its ids, a body or a token) and the `refusal`. One entry per caller, method
    /// and template a minute at most, so a flood of refusals is not a flood of writes.
    pub async fn authorize_route(
        &self,
        caller: &Caller,
        need: Need,
        method: &str,
        template: &str,
    ) -> Result<(), CoreError> {
        let decision = decide(Some(caller), need).and_then(|()| {
            // `REQUIRE_MFA_FOR_ADMINS`: the admin routes also need a second factor.
            if need == Need::ADMIN && self.ctx.settings.require_mfa_for_admins {
                decide(Some(caller), Need::SecondFactor)
            } else {
                Ok(())
            }
        });
        match decision {
            Ok(()) => Ok(()),
            Err(refusal) => self.refused(caller, refusal, method, template).await,
        }
    }

    /// [`authorize_route`](Self::authorize_route) for a route that needs a scope, filled in
    /// from its path (`settings:read:ai` for `/v1/service/settings/ai`).
    pub async fn authorize_scope(
        &self,
        caller: &Caller,
        scope: &str,
        method: &str,
        template: &str,
    ) -> Result<(), CoreError> {
        match decide_scope(Some(caller), scope) {
            Ok(()) => Ok(()),
            Err(refusal) => self.refused(caller, refusal, method, template).await,
        }
    }

    /// Audits a refusal (once a minute per caller, method and template) and answers it.
    async fn refused(&self, caller: &Caller, refusal: Refusal, method: &str, template: &str) -> Result<(), CoreError> {
        let method: String = method.chars().take(16).collect::<String>().to_ascii_uppercase();
        let template: String = template.chars().take(200).collect();
        let (who, user, mut metadata) = match caller {
            Caller::User(auth) => (auth.user.id.to_string(), Some(auth.user.id), serde_json::json!({})),
            Caller::Service(service) => (
                format!("service:{}", service.client_id),
                None,
                serde_json::json!({ "service_client": service.client_id.to_string() }),
            ),
        };
        let marker = format!("authz:denied-logged:{who}:{method}:{template}");
        if self.codes.put_if_absent(&marker, "1", std::time::Duration::from_secs(60)).await? {
            if let Some(fields) = metadata.as_object_mut() {
                fields.insert("method".into(), method.into());
                fields.insert("route".into(), template.into());
                fields.insert("refusal".into(), refusal.as_str().into());
            }
            let client = match caller {
                Caller::User(auth) => &auth.client,
                Caller::Service(service) => &service.client,
            };
            let entry = self.ctx.audit_entry("authorization.denied", user, user, client, metadata);
            let tx = self.uow.begin().await?;
            self.ctx.finish(tx, &[], entry).await?;
        }
        Err(refusal.into())
    }
}

impl Refusal {
    /// As the audit log records it: `unauthenticated`, `forbidden`, `mfa_required`,
    /// `reauthentication_required` (the problem codes of the answers).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::SecondFactorRequired => "mfa_required",
            Self::ReauthenticationRequired => "reauthentication_required",
        }
    }
}
