//! The gate of the routes: the decision for a route's declared need, with its refusals
//! audited.

use std::sync::Arc;

use super::{Caller, Need, Refusal, decide};
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
        let Err(refusal) = decide(Some(caller), need) else { return Ok(()) };
        let Caller::User(auth) = caller;
        let method: String = method.chars().take(16).collect::<String>().to_ascii_uppercase();
        let template: String = template.chars().take(200).collect();
        let marker = format!("authz:denied-logged:{}:{method}:{template}", auth.user.id);
        if self.codes.put_if_absent(&marker, "1", std::time::Duration::from_secs(60)).await? {
            let metadata = serde_json::json!({ "method": method, "route": template, "refusal": refusal.as_str() });
            let entry = self.ctx.audit_entry(
                "authorization.denied",
                Some(auth.user.id),
                Some(auth.user.id),
                &auth.client,
                metadata,
            );
            let tx = self.uow.begin().await?;
            self.ctx.finish(tx, &[], entry).await?;
        }
        Err(refusal.into())
    }
}

impl Refusal {
    /// As the audit log records it: `unauthenticated`, `forbidden`, `second_factor_required`,
    /// `step_up_required` (the problem codes of the answers).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::SecondFactorRequired => "second_factor_required",
            Self::StepUpRequired => "step_up_required",
        }
    }
}
