//! The use cases: every flow of the service, written against the ports only, as one service
//! per concern (each a struct over only the ports it uses, built once by [`Services::new`]):
//!
//! | service | flows |
//! |---|---|
//! | [`RegistrationService`] | one- and two-step registration, email verification |
//! | [`LoginService`] | password login, the OAuth2 token endpoint, refresh |
//! | [`SessionService`] | access-token authentication, `me`, logout, sessions and devices |
//! | [`PasswordService`] | forgotten, reset and changed passwords |
//! | [`ProfileService`] | the caller's profile, deleting the account |
//! | [`EmailChangeService`](crate::usecases::EmailChangeService) | changing the caller's address with a mailed link |
//! | [`AdminUserService`] | admin listing, creation and changes of users |
//! | [`AuthorizationService`] | the route gate: each route's declared need, refusals audited |
//! | [`AccessService`] | groups, memberships, app grants, a user's apps |
//! | [`SettingsService`] | admin settings and their connection checks |
//! | [`AuditService`] | the caller's audit trail and the admin search |
//! | [`AgentService`], [`InstanceService`] | the agents catalog, users' instances and their provisioning |
//! | [`JobService`] | the admins' view of the job queues: listings, retry, cancel |
//! | [`MfaService`](crate::usecases::MfaService) | second factors: TOTP enrolment, recovery codes, the factor checked at sign-in |
//! | [`ServiceClientService`] | service clients, their secrets and tokens; introspection, service reads |
//!
//! What several services share lives in components that are not services themselves:
//! `context` (settings, clock, ids, events, audit entries, mail, revocations), `issuer`
//! (opening sessions, signing tokens), `accounts` (registration rules, link tokens) and
//! `throttle` (the `auth` bucket and the per-account failure counter).

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Duration;

use crate::accounts::Accounts;
use crate::agents::ports::AgentsPorts;
use crate::kernel::{Context, Mailer, Requests, Revoker, Throttle};
use crate::ports::{
    AccessRepository, AuditRepository, Clock, CodeStore, HttpProbe, IdGenerator, JobQueue, PasswordHasher, RateLimiter,
    RequestLog, RevocationList, SecretBox, Secrets, ServiceClientRepository, SessionRepository, SettingsRepository,
    TokenIssuer, UnitOfWork, UserRepository,
};
use crate::sessions::SessionIssuer;
use crate::usecases::{
    AccessService, AdminUserService, AgentService, AuditService, AuthorizationService, InstanceService, JobService,
    LoginService, MailJobs, PasswordService, ProfileService, RegistrationService, ServiceClientService, SessionService,
    SettingsService,
};

/// The adapters the use cases run on.
#[derive(Clone)]
pub struct Ports {
    pub users: Arc<dyn UserRepository>,
    pub audit: Arc<dyn AuditRepository>,
    pub access: Arc<dyn AccessRepository>,
    pub settings: Arc<dyn SettingsRepository>,
    pub sessions: Arc<dyn SessionRepository>,
    /// Keyed create requests the transactions recorded.
    pub requests: Arc<dyn RequestLog>,
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
    /// The main store's job queue (mail; provisioning too when instances share its database).
    pub jobs: Arc<dyn JobQueue>,
    pub limiter: Arc<dyn RateLimiter>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    /// Agents and instances: the main store, or one on a database shared with other services.
    pub agents: AgentsPorts,
    pub service_clients: Arc<dyn ServiceClientRepository>,
    /// Second factors, and the TOTP algorithm.
    pub mfa: Arc<dyn crate::ports::MfaRepository>,
    pub otp: Arc<dyn crate::ports::OtpGenerator>,
    /// The WebAuthn relying party (passkeys).
    pub passkeys: Arc<dyn crate::ports::PasskeyVerifier>,
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
    /// Link in the mail that confirms a new address (`POST /v1/users/me/email`); `{token}` is
    /// replaced by the token. The link lives `email_verification_ttl`.
    pub email_change_url_template: String,
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
    /// Attempts a job gets before it ends dead (mail, provisioning).
    pub job_max_attempts: i32,
    /// Lifetime of a service client's token (the `client_credentials` grant).
    pub service_token_ttl: Duration,
    /// The app a forwarded request's path needs at forward-auth (`FORWARD_AUTH_ROUTES`).
    pub forward_routes: crate::usecases::ForwardRoutes,
    /// How recently a user must have proved who they are for a sensitive change (step-up:
    /// password or email change, second factors, recovery codes, account deletion).
    pub reauth_max_age: Duration,
    /// Admin routes answer 403 `mfa_required` to an admin session without a second factor.
    pub require_mfa_for_admins: bool,
    /// How long a device counts as present after its latest `presence:active` heartbeat
    /// (`WS_PRESENCE_TTL_SECONDS`).
    pub presence_ttl: Duration,
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
            registration_code_ttl: Duration::minutes(10),
            registration_max_attempts: 5,
            mail_cooldown: Duration::seconds(60),
            email_verification_ttl: Duration::hours(24),
            email_verification_url_template: "http://localhost:8080/verify-email?token={token}".into(),
            email_change_url_template: "http://localhost:8080/confirm-email-change?token={token}".into(),
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
            job_max_attempts: 8,
            service_token_ttl: Duration::minutes(5),
            forward_routes: Default::default(),
            reauth_max_age: Duration::seconds(600),
            require_mfa_for_admins: false,
            presence_ttl: Duration::seconds(60),
        }
    }
}

/// Every service, built once from the ports by the composition root.
#[derive(Clone)]
pub struct Services {
    pub registration: RegistrationService,
    pub login: LoginService,
    pub sessions: SessionService,
    pub passwords: PasswordService,
    pub profile: ProfileService,
    pub email_change: crate::usecases::EmailChangeService,
    pub admin: AdminUserService,
    pub access: AccessService,
    pub settings: SettingsService,
    pub audit: AuditService,
    pub authz: AuthorizationService,
    pub agents: AgentService,
    pub instances: InstanceService,
    pub jobs: JobService,
    pub clients: ServiceClientService,
    pub mfa: crate::usecases::MfaService,
    pub realtime: crate::usecases::RealtimeService,
}

impl Services {
    /// Builds each service over only the ports it uses.
    pub fn new(ports: Ports, settings: AuthSettings) -> Self {
        let ctx = Context { settings: Arc::new(settings), clock: ports.clock, ids: ports.ids };
        let cooldown = ctx.settings.mail_cooldown.to_std().unwrap_or(StdDuration::from_secs(60));
        let mail_jobs = MailJobs {
            queue: ports.jobs.clone(),
            secret_box: ports.secret_box.clone(),
            ids: ctx.ids.clone(),
            clock: ctx.clock.clone(),
            max_attempts: ctx.settings.job_max_attempts,
        };
        let mailer = Mailer { jobs: mail_jobs, codes: ports.codes.clone(), cooldown };
        let mut queues = vec![ports.jobs.clone()];
        if ports.agents.separate {
            queues.push(ports.agents.jobs.clone());
        }
        let jobs = JobService { ctx: ctx.clone(), queues, uow: ports.uow.clone() };
        let revoker = Revoker { ctx: ctx.clone(), uow: ports.uow.clone(), revocations: ports.revocations.clone() };
        let requests = Requests { ctx: ctx.clone(), log: ports.requests };
        let instances = InstanceService {
            ctx: ctx.clone(),
            agents: ports.agents.agents.clone(),
            instances: ports.agents.instances,
            uow: ports.agents.uow.clone(),
            requests: Requests { ctx: ctx.clone(), log: ports.agents.requests },
        };
        let accounts = Accounts {
            ctx: ctx.clone(),
            users: ports.users.clone(),
            secrets: ports.secrets.clone(),
            requests: requests.clone(),
        };
        let issuer = SessionIssuer { ctx: ctx.clone(), tokens: ports.tokens.clone(), secrets: ports.secrets.clone() };
        let throttle = Throttle {
            ctx: ctx.clone(),
            codes: ports.codes.clone(),
            limiter: ports.limiter,
            hasher: ports.hasher.clone(),
            uow: ports.uow.clone(),
            secrets: ports.secrets.clone(),
            mailer: mailer.clone(),
        };
        let sessions = SessionService {
            ctx: ctx.clone(),
            users: ports.users.clone(),
            sessions: ports.sessions.clone(),
            uow: ports.uow.clone(),
            tokens: ports.tokens.clone(),
            revocations: ports.revocations,
            revoker: revoker.clone(),
        };
        let realtime = crate::usecases::RealtimeService {
            ctx: ctx.clone(),
            sessions: sessions.clone(),
            codes: ports.codes.clone(),
            secrets: ports.secrets.clone(),
        };
        let mfa = crate::usecases::MfaService {
            ctx: ctx.clone(),
            mfa: ports.mfa,
            uow: ports.uow.clone(),
            secret_box: ports.secret_box.clone(),
            otp: ports.otp,
            secrets: ports.secrets.clone(),
            mailer: mailer.clone(),
            passkeys: ports.passkeys,
            codes: ports.codes.clone(),
        };
        Self {
            realtime,
            registration: RegistrationService {
                ctx: ctx.clone(),
                uow: ports.uow.clone(),
                hasher: ports.hasher.clone(),
                codes: ports.codes.clone(),
                accounts: accounts.clone(),
                issuer: issuer.clone(),
                mailer: mailer.clone(),
                throttle: throttle.clone(),
            },
            login: LoginService {
                ctx: ctx.clone(),
                users: ports.users.clone(),
                devices: ports.sessions.clone(),
                uow: ports.uow.clone(),
                hasher: ports.hasher.clone(),
                issuer,
                throttle: throttle.clone(),
                revoker: revoker.clone(),
                mfa: mfa.clone(),
                codes: ports.codes.clone(),
            },
            sessions: sessions.clone(),
            clients: ServiceClientService {
                ctx: ctx.clone(),
                clients: ports.service_clients,
                users: ports.users.clone(),
                uow: ports.uow.clone(),
                secrets: ports.secrets.clone(),
                tokens: ports.tokens,
                sessions,
            },
            passwords: PasswordService {
                ctx: ctx.clone(),
                uow: ports.uow.clone(),
                hasher: ports.hasher.clone(),
                accounts: accounts.clone(),
                throttle: throttle.clone(),
                revoker: revoker.clone(),
                mailer: mailer.clone(),
            },
            mfa,
            email_change: crate::usecases::EmailChangeService {
                ctx: ctx.clone(),
                uow: ports.uow.clone(),
                accounts: accounts.clone(),
                codes: ports.codes.clone(),
                revoker: revoker.clone(),
                mailer: mailer.clone(),
            },
            profile: ProfileService {
                ctx: ctx.clone(),
                uow: ports.uow.clone(),
                throttle,
                revoker: revoker.clone(),
                instances: instances.clone(),
            },
            agents: AgentService {
                ctx: ctx.clone(),
                agents: ports.agents.agents,
                uow: ports.agents.uow,
                audit: ports.uow.clone(),
                separate: ports.agents.separate,
            },
            instances: instances.clone(),
            jobs,
            authz: AuthorizationService { ctx: ctx.clone(), uow: ports.uow.clone(), codes: ports.codes.clone() },
            admin: AdminUserService {
                ctx: ctx.clone(),
                uow: ports.uow.clone(),
                hasher: ports.hasher,
                accounts,
                revoker,
                mailer,
                instances: instances.clone(),
            },
            access: AccessService {
                ctx: ctx.clone(),
                users: ports.users,
                access: ports.access,
                uow: ports.uow.clone(),
                requests,
            },
            settings: SettingsService {
                ctx,
                settings: ports.settings,
                uow: ports.uow,
                secret_box: ports.secret_box,
                probe: ports.probe,
            },
            audit: AuditService { audit: ports.audit },
        }
    }

    /// The settings the services were built with.
    pub fn auth_settings(&self) -> &AuthSettings {
        &self.login.ctx.settings
    }
}
