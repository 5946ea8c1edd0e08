//! The use cases: every flow of the service, written against the ports only.
//!
//! [`AuthService`] is split by flow: `login` (one-step registration, login, refresh, logout,
//! authentication), `registration` (two-step registration, email verification), `passwords`
//! and `sessions` (sessions and devices).

mod access;
mod admin;
mod audit;
mod error;
mod limits;
mod login;
mod passwords;
mod profile;
mod registration;
mod revocation;
mod sessions;
mod settings;
mod throttle;

use std::sync::Arc;
use std::time::Duration as StdDuration;

pub use access::GroupChange;
pub use admin::{AdminNewUser, AdminUserChange, UserQuery};
pub use audit::AuditQuery;
use chrono::{DateTime, Duration, Utc};
pub use error::CoreError;
pub use limits::AuthFlow;
pub use login::{DeviceInput, LoginInput, LoginOutput, RegisterInput};
pub use registration::{ConfirmRegistrationInput, RegistrationRequested};
pub use revocation::SessionStoreRevocations;
pub use sessions::{MAX_PAGE, Page, page_request};
pub use settings::{ProbeOutcome, SettingsView};

use crate::domain::{AuditEntry, DomainEvent, EventType, Session, SessionRevokedData, User, UserId};
use crate::ports::{
    AccessClaims, AccessRepository, AuditRepository, ClientInfo, Clock, CodeStore, HttpProbe, IdGenerator, Notifier,
    PasswordHasher, RateLimiter, RevocationList, SecretBox, Secrets, SessionRepository, SettingsRepository,
    TokenIssuer, UnitOfWork, UserRepository,
};

/// The adapters the use cases run on.
#[derive(Clone)]
pub struct Ports {
    pub users: Arc<dyn UserRepository>,
    pub audit: Arc<dyn AuditRepository>,
    pub access: Arc<dyn AccessRepository>,
    pub settings: Arc<dyn SettingsRepository>,
    pub sessions: Arc<dyn SessionRepository>,
    pub uow: Arc<dyn UnitOfWork>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub tokens: Arc<dyn TokenIssuer>,
    pub secrets: Arc<dyn Secrets>,
    /// Seals secrets at rest (settings secrets).
    pub secret_box: Arc<dyn SecretBox>,
    /// Makes the HTTP requests of settings connection checks.
    pub probe: Arc<dyn HttpProbe>,
    pub codes: Arc<dyn CodeStore>,
    pub revocations: Arc<dyn RevocationList>,
    pub notifier: Arc<dyn Notifier>,
    pub limiter: Arc<dyn RateLimiter>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
}

/// Settings of the flows (from configuration).
#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub issuer: String,
    pub audience: String,
    pub access_token_ttl: Duration,
    /// Lifetime of a session and of its refresh tokens.
    pub session_ttl: Duration,
    /// A session unused (no login or refresh) for this long is no longer live: its refresh
    /// fails and it ends with reason `idle_timeout`. `None`: no idle timeout.
    pub session_idle_timeout: Option<Duration>,
    /// How long a just-used refresh token still returns the same successor.
    pub refresh_reuse_grace: Duration,
    pub require_verified_email: bool,
    /// One-step registration answers a taken address like a free one (and mails its owner)
    /// instead of 409 `email_taken`.
    pub hide_taken_emails: bool,
    pub password_policy: crate::domain::PasswordPolicy,
    pub registration_code_ttl: Duration,
    pub registration_max_attempts: u32,
    /// Least time between two mails of one kind to one address.
    pub mail_cooldown: Duration,
    pub email_verification_ttl: Duration,
    /// Link in the verification mail; `{token}` is replaced by the token.
    pub email_verification_url_template: String,
    pub password_reset_ttl: Duration,
    /// How long the password link of an admin-created account works.
    pub invitation_ttl: Duration,
    /// Link in the reset mail; `{token}` is replaced by the token.
    pub password_reset_url_template: String,
    /// The `auth` rate-limit bucket: requests per minute per client address and per account.
    pub auth_rate_limit_per_minute: u32,
    /// Failed logins of one account (known or not) before each further attempt must wait:
    /// 1 s, then 2 s, 4 s, … up to `login_backoff_max`.
    pub login_backoff_after: u32,
    pub login_backoff_max: Duration,
    /// How long failed logins are remembered.
    pub login_failure_window: Duration,
    /// Failed logins that lock an existing account (`0`: never).
    pub lockout_threshold: u32,
    pub lockout_duration: Duration,
    /// This account gets the `admin` role when it registers (and at start-up if it exists).
    pub bootstrap_admin_email: Option<crate::domain::Email>,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            issuer: "identity".into(),
            audience: "identity".into(),
            access_token_ttl: Duration::seconds(900),
            session_ttl: Duration::days(30),
            session_idle_timeout: None,
            refresh_reuse_grace: Duration::seconds(10),
            require_verified_email: false,
            hide_taken_emails: false,
            password_policy: crate::domain::PasswordPolicy::default(),
            registration_code_ttl: Duration::minutes(15),
            registration_max_attempts: 5,
            mail_cooldown: Duration::seconds(60),
            email_verification_ttl: Duration::hours(24),
            email_verification_url_template: "http://localhost:8080/verify-email?token={token}".into(),
            password_reset_ttl: Duration::hours(1),
            invitation_ttl: Duration::days(7),
            password_reset_url_template: "http://localhost:8080/reset-password?token={token}".into(),
            auth_rate_limit_per_minute: 10,
            login_backoff_after: 5,
            login_backoff_max: Duration::minutes(15),
            login_failure_window: Duration::minutes(15),
            lockout_threshold: 0,
            lockout_duration: Duration::minutes(15),
            bootstrap_admin_email: None,
        }
    }
}

/// The caller of a request, once its access token checked out.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub user: User,
    pub claims: AccessClaims,
    /// Where the request came from (for the audit log).
    pub client: ClientInfo,
}

/// Every account and session flow.
#[derive(Clone)]
pub struct AuthService {
    ports: Ports,
    settings: AuthSettings,
}

impl AuthService {
    pub fn new(ports: Ports, settings: AuthSettings) -> Self {
        Self { ports, settings }
    }

    pub fn settings(&self) -> &AuthSettings {
        &self.settings
    }

    fn now(&self) -> DateTime<Utc> {
        self.ports.clock.now()
    }

    fn event(
        &self,
        event_type: EventType,
        aggregate: uuid::Uuid,
        user: &User,
        data: &impl serde::Serialize,
    ) -> DomainEvent {
        DomainEvent::new(self.ports.ids.new_id(), event_type, aggregate, Some(user.id.as_uuid()), self.now(), data)
    }

    fn revoked_events(&self, user: &User, revoked: &[Session], reason: &'static str) -> Vec<DomainEvent> {
        let now = self.now();
        revoked
            .iter()
            .map(|s| {
                self.event(
                    EventType::SessionRevoked,
                    s.id.as_uuid(),
                    user,
                    &SessionRevokedData {
                        session_id: s.id.as_uuid(),
                        user_id: user.id.as_uuid(),
                        reason,
                        revoked_at: now,
                    },
                )
            })
            .collect()
    }

    /// After a commit that revoked sessions: tell every replica at once. A failure here is
    /// logged by the caller's error path only if the cache is down; the store already holds
    /// the revocation.
    async fn publish_revocations(&self, revoked: &[Session]) -> Result<(), CoreError> {
        let ttl = self.settings.access_token_ttl.to_std().unwrap_or(StdDuration::from_secs(900));
        for session in revoked {
            self.ports.revocations.revoke(session.id, ttl).await?;
        }
        Ok(())
    }

    /// An audit entry of `action` about `subject`, done by `actor`, from `client`.
    fn audit_entry(
        &self,
        action: &'static str,
        actor: Option<UserId>,
        subject: Option<UserId>,
        client: &ClientInfo,
        metadata: serde_json::Value,
    ) -> AuditEntry {
        AuditEntry {
            actor,
            subject,
            action,
            ip: client.ip,
            user_agent: client.user_agent.as_deref().map(Session::clip_user_agent),
            metadata,
            at: self.now(),
        }
    }

    /// Starts a cooldown under `key`; `Cooldown` when one is already running.
    async fn cooldown(&self, key: &str) -> Result<(), CoreError> {
        let ttl = self.settings.mail_cooldown.to_std().unwrap_or(StdDuration::from_secs(60));
        if self.ports.codes.put_if_absent(key, "1", ttl).await? {
            return Ok(());
        }
        let left = self.ports.codes.time_to_live(key).await?.unwrap_or(ttl);
        Err(CoreError::Cooldown { retry_after_secs: left.as_secs().max(1) })
    }

    /// Queues a mail. Failing to queue is logged by the adapter and never fails the request
    /// (the answer must not depend on whether a mail went out).
    async fn send(&self, mail: crate::ports::Mail) {
        let _ = self.ports.notifier.send(mail).await;
    }
}

/// Lower-case hex of `bytes` (digests in keys and stored codes).
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `template` with `{token}` replaced.
fn link(template: &str, token: &str) -> String {
    template.replace("{token}", token)
}
