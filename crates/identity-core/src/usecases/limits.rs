use std::net::IpAddr;
use std::time::Duration;

use super::{AuthService, CoreError};
use crate::ports::{ClientInfo, LoginAttempt, RateDecision};

/// The flows the `auth` bucket guards. Each has its own per-account budget, so one flow
/// aimed at an address (failed logins, say) never blocks another (registering it); the
/// per-client budget is shared by all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFlow {
    Login,
    Registration,
    Verification,
    PasswordReset,
}

impl AuthFlow {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Registration => "registration",
            Self::Verification => "verification",
            Self::PasswordReset => "password_reset",
        }
    }
}

impl AuthService {
    /// The `auth` bucket of SPEC §7: `auth_rate_limit_per_minute` requests per client address
    /// and, separately, per target account of `flow` (normalised, known or not, so the limit
    /// reveals nothing). Returns the tighter of the two decisions; refuses with `RateLimited`.
    pub async fn check_auth_rate(
        &self,
        flow: AuthFlow,
        ip: Option<IpAddr>,
        account: Option<&str>,
    ) -> Result<RateDecision, CoreError> {
        let limit = self.settings.auth_rate_limit_per_minute;
        let period = Duration::from_secs(60);
        let account = account.filter(|a| !a.trim().is_empty());
        let keys = [
            ip.map(|ip| format!("auth:ip:{ip}")),
            account.map(|a| format!("auth:{}:account:{}", flow.as_str(), self.identifier_key(a))),
        ];
        let mut tightest: Option<RateDecision> = None;
        for key in keys.into_iter().flatten() {
            let decision = self.ports.limiter.hit(&key, limit, period).await?;
            if !decision.allowed {
                return Err(CoreError::RateLimited(decision));
            }
            if tightest.is_none_or(|t| decision.remaining < t.remaining) {
                tightest = Some(decision);
            }
        }
        Ok(tightest.unwrap_or(RateDecision {
            allowed: true,
            limit,
            remaining: limit,
            reset_after: Duration::ZERO,
            retry_after: Duration::ZERO,
        }))
    }

    /// What keys derived from an identifier a client sent (an address or a username, valid or
    /// not) use in the code store: the hex digest of its normalised form. Raw client bytes (CR,
    /// LF, escape sequences) never reach a key name, and every key has the same length.
    pub(super) fn identifier_key(&self, identifier: &str) -> String {
        super::hex(&self.ports.secrets.digest(&identifier.trim().to_lowercase()).0)
    }

    /// Records that a login for `identifier` was refused by the rate limit: a `login_attempts`
    /// row with reason `rate_limited`, at most one a minute per client and identifier, so a
    /// flood of refusals cannot turn into a flood of writes.
    pub async fn record_rate_limited_login(&self, identifier: &str, client: &ClientInfo) -> Result<(), CoreError> {
        let ip = client.ip.map(|ip| ip.to_string()).unwrap_or_default();
        let marker = format!("login:rate-limited-logged:{ip}:{}", self.identifier_key(identifier));
        if !self.ports.codes.put_if_absent(&marker, "1", Duration::from_secs(60)).await? {
            return Ok(());
        }
        let mut tx = self.ports.uow.begin().await?;
        tx.record_login_attempt(&LoginAttempt {
            user_id: None,
            identifier: identifier.trim().to_lowercase().chars().take(254).collect(),
            ip: client.ip,
            user_agent: client.user_agent.as_deref().map(crate::domain::Session::clip_user_agent),
            success: false,
            reason: "rate_limited",
            at: self.now(),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
