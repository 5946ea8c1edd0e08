//! What every service test runs on: the in-memory adapters, a clock the test moves, a hasher
//! that counts its calls, and the services called the way the handlers call them.

pub use std::sync::atomic::{AtomicUsize, Ordering};
pub use std::sync::{Arc, Mutex};

pub use async_trait::async_trait;
pub use chrono::{DateTime, Duration, Utc};
pub use identity_core::ports::{ClientInfo, Clock, HashError, PasswordHasher, Verification};
pub use identity_core::usecases::{
    AuthSettings, Authenticated, CoreError, LoginInput, LoginOutput, Ports, RegisterInput, Services,
};
pub use identity_core::{Password, PasswordHash, UserStatus};
pub use identity_core::{Session, User};
pub use identity_crypto::{Argon2Hasher, HasherSettings, OsSecrets, PasetoKeys, PasetoTokens, UuidV7Generator};
pub use identity_memory::{CapturingNotifier, MemoryCodeStore, MemoryRateLimiter, MemoryRevocations, MemoryStore};

#[derive(Clone)]
pub struct TestClock(Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// Counts calls, so a test can see that unknown accounts still cost a hash.
pub struct CountingHasher {
    inner: Argon2Hasher,
    pub verifies: AtomicUsize,
    pub dummies: AtomicUsize,
}

#[async_trait]
impl PasswordHasher for CountingHasher {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError> {
        self.inner.hash(password).await
    }
    async fn verify(&self, password: &Password, hash: &PasswordHash) -> Result<Verification, HashError> {
        self.verifies.fetch_add(1, Ordering::SeqCst);
        self.inner.verify(password, hash).await
    }
    async fn verify_dummy(&self, password: &Password) -> Result<(), HashError> {
        self.dummies.fetch_add(1, Ordering::SeqCst);
        self.inner.verify_dummy(password).await
    }
}

/// The mail the services sent: their mail jobs, run through the real mail handler into a
/// capturing transport when the test reads them.
pub struct SentMail {
    captured: CapturingNotifier,
    runner: identity_core::usecases::JobRunner,
}

impl SentMail {
    fn new(store: &MemoryStore, clock: &TestClock) -> Self {
        let captured = CapturingNotifier::new();
        let handler = identity_core::usecases::MailHandler {
            notifier: Arc::new(captured.clone()),
            secret_box: Arc::new(identity_crypto::SealingKey::new(SEALING_KEY)),
        };
        let settings = identity_core::usecases::RunnerSettings {
            worker: "test".into(),
            lease: Duration::seconds(60),
            backoff: identity_core::domain::Backoff::default(),
        };
        let runner = identity_core::usecases::JobRunner::new(
            Arc::new(store.clone()),
            Arc::new(clock.clone()),
            vec![Arc::new(handler)],
            settings,
        );
        Self { captured, runner }
    }

    /// Every mail sent so far, oldest first: runs the mail jobs that are due, then reads.
    pub async fn sent(&self) -> Vec<identity_core::ports::Mail> {
        loop {
            let jobs = self.runner.claim(100).await.unwrap();
            if jobs.is_empty() {
                break;
            }
            for job in &jobs {
                self.runner.run(job).await.unwrap();
            }
        }
        self.captured.sent()
    }
}

/// The key mail jobs are sealed with (the services' secret box).
const SEALING_KEY: [u8; 32] = [5; 32];

pub struct World {
    pub store: MemoryStore,
    pub clock: TestClock,
    pub hasher: Arc<CountingHasher>,
    pub keys: PasetoKeys,
    pub mail: SentMail,
    pub codes: MemoryCodeStore,
    pub limiter: MemoryRateLimiter,
}

pub fn cheap(m_cost: u32) -> Argon2Hasher {
    Argon2Hasher::new(&HasherSettings { m_cost, t_cost: 1, ..HasherSettings::default() }).unwrap()
}

impl World {
    pub fn new() -> Self {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let clock = TestClock(Arc::new(Mutex::new(now)));
        let store = MemoryStore::new();
        Self {
            store: store.clone(),
            clock: clock.clone(),
            hasher: Arc::new(CountingHasher {
                inner: cheap(1024),
                verifies: AtomicUsize::new(0),
                dummies: AtomicUsize::new(0),
            }),
            keys: PasetoKeys::generate().unwrap(),
            mail: SentMail::new(&store, &clock),
            codes: MemoryCodeStore::new(Arc::new(clock.clone())),
            limiter: MemoryRateLimiter::new(Arc::new(clock)),
        }
    }

    pub fn service_with(&self, settings: AuthSettings, hasher: Arc<dyn PasswordHasher>) -> Auth {
        Auth(Services::new(
            Ports {
                users: Arc::new(self.store.clone()),
                audit: Arc::new(self.store.clone()),
                access: Arc::new(self.store.clone()),
                settings: Arc::new(self.store.clone()),
                sessions: Arc::new(self.store.clone()),
                requests: Arc::new(self.store.clone()),
                uow: Arc::new(self.store.clone()),
                hasher,
                tokens: Arc::new(PasetoTokens::new(self.keys.clone(), "identity", "identity")),
                secrets: Arc::new(OsSecrets::new([9; 32])),
                secret_box: Arc::new(identity_crypto::SealingKey::new(SEALING_KEY)),
                probe: Arc::new(NoNetwork),
                codes: Arc::new(self.codes.clone()),
                revocations: Arc::new(MemoryRevocations::new(Arc::new(self.clock.clone()))),
                jobs: Arc::new(self.store.clone()),
                limiter: Arc::new(self.limiter.clone()),
                clock: Arc::new(self.clock.clone()),
                ids: Arc::new(UuidV7Generator),
                agents: identity_core::ports::AgentsPorts::from_store(self.store.clone()),
                service_clients: Arc::new(self.store.clone()),
                mfa: Arc::new(self.store.clone()),
                otp: Arc::new(identity_crypto::Totp),
                passkeys: Arc::new(
                    identity_crypto::WebAuthnRp::new("localhost", "http://localhost:8080", "identity").unwrap(),
                ),
            },
            settings,
        ))
    }

    pub fn service(&self, settings: AuthSettings) -> Auth {
        self.service_with(settings, self.hasher.clone())
    }
}

/// The services under test, called the way the handlers call them (the `auth` bucket's
/// decision set aside: these tests are about the flows).
#[derive(Clone)]
pub struct Auth(Services);

impl Auth {
    /// Second factors, as the handlers call them.
    pub fn mfa(&self) -> &identity_core::usecases::MfaService {
        &self.0.mfa
    }
    pub async fn register(&self, input: RegisterInput) -> Result<User, CoreError> {
        self.0.registration.register(input).await.and_then(|l| l.outcome)
    }
    pub async fn verify_email(&self, token: &str, client: &ClientInfo) -> Result<User, CoreError> {
        self.0.registration.verify_email(token, client).await
    }
    /// A login of an account without a second factor (one with a factor is a test failure).
    pub async fn login(&self, input: LoginInput) -> Result<LoginOutput, CoreError> {
        match self.0.login.login(input).await.and_then(|l| l.outcome)? {
            identity_core::usecases::SignIn::Complete(out) => Ok(out),
            identity_core::usecases::SignIn::SecondFactor(_) => panic!("the account has a second factor"),
        }
    }
    pub async fn refresh(&self, token: &str, client: &ClientInfo) -> Result<LoginOutput, CoreError> {
        self.0.login.refresh(token, client).await
    }
    pub async fn authenticate(&self, token: &str) -> Result<Authenticated, CoreError> {
        self.0.sessions.authenticate(token).await
    }
    pub async fn current_user(&self, auth: &Authenticated) -> Result<Session, CoreError> {
        self.0.sessions.current_user(auth).await
    }
    pub async fn list_sessions(
        &self,
        auth: &Authenticated,
        limit: Option<usize>,
        cursor: Option<&str>,
    ) -> Result<identity_core::usecases::Page<Session>, CoreError> {
        self.0.sessions.list_sessions(auth, limit, cursor).await
    }
    pub async fn forgot_password(&self, email: &str, client: &ClientInfo) -> Result<(), CoreError> {
        self.0.passwords.forgot_password(email, client).await.and_then(|l| l.outcome)
    }
    pub async fn reset_password(&self, token: &str, password: &str, client: &ClientInfo) -> Result<User, CoreError> {
        self.0.passwords.reset_password(token, password, client).await
    }
    pub async fn change_password(&self, auth: &Authenticated, current: &str, new: &str) -> Result<(), CoreError> {
        self.0.passwords.change_password(auth, current, new).await
    }
    pub async fn delete_account(&self, auth: &Authenticated, password: &str) -> Result<(), CoreError> {
        self.0.profile.delete_account(auth, password).await
    }
    pub async fn authorize_admin(&self, auth: &Authenticated, method: &str, template: &str) -> Result<(), CoreError> {
        self.authorize_route(auth, identity_core::usecases::Need::ADMIN, method, template).await
    }
    pub async fn authorize_route(
        &self,
        auth: &Authenticated,
        need: identity_core::usecases::Need,
        method: &str,
        template: &str,
    ) -> Result<(), CoreError> {
        self.0.authz.authorize_route(&auth.clone().into(), need, method, template).await
    }
}

pub const EMAIL: &str = "ada@example.com";
pub const PW: &str = "correct horse battery staple";

pub fn register_input() -> RegisterInput {
    RegisterInput { email: EMAIL.into(), password: PW.into(), ..RegisterInput::default() }
}

pub fn login_input(password: &str) -> LoginInput {
    LoginInput { identifier: EMAIL.into(), password: password.into(), ..LoginInput::default() }
}

pub async fn reset_token(world: &World) -> String {
    match world.mail.sent().await.last() {
        Some(identity_core::ports::Mail::PasswordReset { link, .. }) => {
            link.rsplit("token=").next().unwrap().to_owned()
        }
        other => panic!("expected a reset mail, got {other:?}"),
    }
}

/// The use-case tests never reach out.
pub struct NoNetwork;

#[async_trait::async_trait]
impl identity_core::ports::HttpProbe for NoNetwork {
    async fn get(&self, _: &identity_core::ports::ProbeRequest) -> identity_core::ports::ProbeResponse {
        identity_core::ports::ProbeResponse::Failed("no network in tests".into())
    }
}
