//! The authentication use cases on the in-memory adapters, with a clock the test moves:
//! expiry, account states and rehashing without sleeping.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use identity_core::ports::{Clock, HashError, PasswordHasher, Verification};
use identity_core::usecases::{AuthService, AuthSettings, CoreError, LoginInput, Ports, RegisterInput};
use identity_core::{Password, PasswordHash, UserStatus};
use identity_crypto::{Argon2Hasher, HasherSettings, OsSecrets, PasetoKeys, PasetoTokens, UuidV7Generator};
use identity_memory::{CapturingNotifier, MemoryCodeStore, MemoryRateLimiter, MemoryRevocations, MemoryStore};

#[derive(Clone)]
struct TestClock(Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// Counts calls, so a test can see that unknown accounts still cost a hash.
struct CountingHasher {
    inner: Argon2Hasher,
    verifies: AtomicUsize,
    dummies: AtomicUsize,
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

struct World {
    store: MemoryStore,
    clock: TestClock,
    hasher: Arc<CountingHasher>,
    keys: PasetoKeys,
    mail: CapturingNotifier,
}

fn cheap(m_cost: u32) -> Argon2Hasher {
    Argon2Hasher::new(&HasherSettings { m_cost, t_cost: 1, ..HasherSettings::default() }).unwrap()
}

impl World {
    fn new() -> Self {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        Self {
            store: MemoryStore::new(),
            clock: TestClock(Arc::new(Mutex::new(now))),
            hasher: Arc::new(CountingHasher {
                inner: cheap(1024),
                verifies: AtomicUsize::new(0),
                dummies: AtomicUsize::new(0),
            }),
            keys: PasetoKeys::generate().unwrap(),
            mail: CapturingNotifier::new(),
        }
    }

    fn service_with(&self, settings: AuthSettings, hasher: Arc<dyn PasswordHasher>) -> AuthService {
        AuthService::new(
            Ports {
                users: Arc::new(self.store.clone()),
                audit: Arc::new(self.store.clone()),
                access: Arc::new(self.store.clone()),
                settings: Arc::new(self.store.clone()),
                sessions: Arc::new(self.store.clone()),
                uow: Arc::new(self.store.clone()),
                hasher,
                tokens: Arc::new(PasetoTokens::new(self.keys.clone(), "identity", "identity")),
                secrets: Arc::new(OsSecrets::new([9; 32])),
                secret_box: Arc::new(identity_crypto::SealingKey::new([5; 32])),
                probe: Arc::new(NoNetwork),
                codes: Arc::new(MemoryCodeStore::new()),
                revocations: Arc::new(MemoryRevocations::new()),
                notifier: Arc::new(self.mail.clone()),
                limiter: Arc::new(MemoryRateLimiter::new()),
                clock: Arc::new(self.clock.clone()),
                ids: Arc::new(UuidV7Generator),
            },
            settings,
        )
    }

    fn service(&self, settings: AuthSettings) -> AuthService {
        self.service_with(settings, self.hasher.clone())
    }
}

const EMAIL: &str = "ada@example.com";
const PW: &str = "correct horse battery staple";

fn register_input() -> RegisterInput {
    RegisterInput { email: EMAIL.into(), password: PW.into(), ..RegisterInput::default() }
}

fn login_input(password: &str) -> LoginInput {
    LoginInput { identifier: EMAIL.into(), password: password.into(), ..LoginInput::default() }
}

#[tokio::test]
async fn access_tokens_expire_and_are_not_valid_before_issue() {
    let world = World::new();
    let auth = world.service(AuthSettings::default());
    auth.register(register_input()).await.unwrap();
    let out = auth.login(login_input(PW)).await.unwrap();
    assert_eq!(out.claims.exp - out.claims.iat, Duration::seconds(900));
    assert!(auth.authenticate(&out.access_token).await.is_ok());

    world.clock.advance(Duration::seconds(899));
    assert!(auth.authenticate(&out.access_token).await.is_ok());
    world.clock.advance(Duration::seconds(1));
    assert!(matches!(auth.authenticate(&out.access_token).await, Err(CoreError::Unauthenticated)));

    // A token from the future (clock skew the other way) is refused too.
    world.clock.advance(Duration::seconds(-3600));
    assert!(matches!(auth.authenticate(&out.access_token).await, Err(CoreError::Unauthenticated)));
}

#[tokio::test]
async fn a_token_never_outlives_its_session() {
    let world = World::new();
    let settings = AuthSettings { session_ttl: Duration::seconds(60), ..AuthSettings::default() };
    let auth = world.service(settings);
    auth.register(register_input()).await.unwrap();
    let out = auth.login(login_input(PW)).await.unwrap();
    assert_eq!(out.claims.exp, out.session.expires_at);
    world.clock.advance(Duration::seconds(60));
    assert!(matches!(auth.authenticate(&out.access_token).await, Err(CoreError::Unauthenticated)));
}

#[tokio::test]
async fn account_states_decide_after_the_password_only() {
    let world = World::new();
    let auth = world.service(AuthSettings::default());
    let user = auth.register(register_input()).await.unwrap();
    let token = auth.login(login_input(PW)).await.unwrap().access_token;

    for (status, expected) in [
        (UserStatus::Locked, "AccountLocked"),
        (UserStatus::Disabled, "AccountDisabled"),
        (UserStatus::Deleted, "InvalidCredentials"),
    ] {
        let mut changed = user.clone();
        changed.status = status;
        let mut tx = identity_core::ports::UnitOfWork::begin(&world.store).await.unwrap();
        tx.update_user(&changed).await.unwrap();
        tx.commit().await.unwrap();

        let err = auth.login(login_input(PW)).await.unwrap_err();
        assert!(format!("{err:?}").starts_with(expected), "{status:?}: {err:?}");
        // A wrong password never reveals the state.
        assert!(matches!(auth.login(login_input("wrong password here")).await, Err(CoreError::InvalidCredentials)));
        // Tokens of an account that is no longer active stop working at once.
        assert!(matches!(auth.authenticate(&token).await, Err(CoreError::Unauthenticated)));
    }
}

#[tokio::test]
async fn unverified_accounts_are_refused_when_verification_is_required() {
    let world = World::new();
    let auth = world.service(AuthSettings { require_verified_email: true, ..AuthSettings::default() });
    auth.register(register_input()).await.unwrap();
    assert!(matches!(auth.login(login_input(PW)).await, Err(CoreError::EmailNotVerified)));
}

#[tokio::test]
async fn unknown_accounts_cost_the_same_hash_as_known_ones() {
    let world = World::new();
    let auth = world.service(AuthSettings::default());
    auth.register(register_input()).await.unwrap();
    let unknown = LoginInput { identifier: "nobody@example.com".into(), password: PW.into(), ..LoginInput::default() };
    assert!(matches!(auth.login(unknown).await, Err(CoreError::InvalidCredentials)));
    let not_even_an_address = LoginInput { identifier: "@@".into(), password: PW.into(), ..LoginInput::default() };
    assert!(matches!(auth.login(not_even_an_address).await, Err(CoreError::InvalidCredentials)));
    assert_eq!(world.hasher.dummies.load(Ordering::SeqCst), 2);
    assert!(matches!(auth.login(login_input("wrong password here")).await, Err(CoreError::InvalidCredentials)));
    assert_eq!(world.hasher.verifies.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn login_upgrades_hashes_made_with_older_parameters() {
    let world = World::new();
    let auth = world.service(AuthSettings::default());
    let user = auth.register(register_input()).await.unwrap();
    assert!(user.password_hash.as_phc().contains("m=1024,"));

    let stronger = world.service_with(AuthSettings::default(), Arc::new(cheap(2048)));
    let out = stronger.login(login_input(PW)).await.unwrap();
    assert!(out.user.password_hash.as_phc().contains("m=2048,"));
    let stored = identity_core::ports::UserRepository::find_by_id(&world.store, user.id).await.unwrap().unwrap();
    assert!(stored.password_hash.as_phc().contains("m=2048,"), "the upgraded hash is stored");
    assert!(stronger.login(login_input(PW)).await.is_ok());
}

#[tokio::test]
async fn login_records_the_session_and_last_login() {
    let world = World::new();
    let auth = world.service(AuthSettings::default());
    let user = auth.register(register_input()).await.unwrap();
    assert_eq!(user.last_login_at, None);
    world.clock.advance(Duration::seconds(10));
    let client = identity_core::ports::ClientInfo {
        ip: Some("198.51.100.4".parse().unwrap()),
        user_agent: Some("x".repeat(2000)),
    };
    let out = auth.login(LoginInput { client, ..login_input(PW) }).await.unwrap();
    assert_eq!(out.user.last_login_at, Some(world.clock.now()));
    assert_eq!(out.session.user_agent.as_ref().map(|ua| ua.chars().count()), Some(512), "user agents are clipped");
    assert_eq!(out.session.ip.map(|ip| ip.to_string()).as_deref(), Some("198.51.100.4"));
    let authed = auth.authenticate(&out.access_token).await.unwrap();
    assert_eq!(authed.claims.sid, out.session.id);
    assert_eq!(auth.current_user(&authed).await.unwrap().id, out.session.id);
    assert_eq!(authed.user.last_login_at, Some(world.clock.now()));
    let pending = identity_core::ports::Outbox::pending(&world.store, 10).await.unwrap();
    let types: Vec<&str> = pending.iter().map(|e| e.event.event_type.as_str()).collect();
    assert_eq!(types, vec!["user.registered", "session.created"]);
    assert_eq!(world.mail.sent().len(), 1, "the verification mail");
}

#[tokio::test]
async fn reset_and_verification_tokens_expire() {
    let world = World::new();
    let auth = world.service(AuthSettings { mail_cooldown: Duration::zero(), ..AuthSettings::default() });
    auth.register(register_input()).await.unwrap();
    let verify = match world.mail.sent().last() {
        Some(identity_core::ports::Mail::VerifyEmail { token, .. }) => token.clone(),
        other => panic!("{other:?}"),
    };
    auth.forgot_password(EMAIL, &Default::default()).await.unwrap();
    let reset = match world.mail.sent().last() {
        Some(identity_core::ports::Mail::PasswordReset { link, .. }) => {
            link.rsplit("token=").next().unwrap().to_owned()
        }
        other => panic!("{other:?}"),
    };
    world.clock.advance(Duration::hours(24) + Duration::seconds(1));
    assert!(matches!(auth.verify_email(&verify, &Default::default()).await, Err(CoreError::InvalidToken)));
    assert!(matches!(
        auth.reset_password(&reset, "a brand new passphrase", &Default::default()).await,
        Err(CoreError::InvalidToken)
    ));
}

#[tokio::test]
async fn refresh_tokens_die_with_their_session() {
    let world = World::new();
    let auth = world.service(AuthSettings { session_ttl: Duration::hours(1), ..AuthSettings::default() });
    auth.register(register_input()).await.unwrap();
    let out = auth.login(login_input(PW)).await.unwrap();
    world.clock.advance(Duration::minutes(59));
    let rotated = auth.refresh(&out.refresh_token, &Default::default()).await.unwrap();
    world.clock.advance(Duration::minutes(2));
    assert!(matches!(
        auth.refresh(&rotated.refresh_token, &Default::default()).await,
        Err(CoreError::InvalidRefreshToken)
    ));
}

#[tokio::test]
async fn lock_outs_end_by_themselves() {
    let world = World::new();
    let settings = AuthSettings {
        lockout_threshold: 2,
        login_backoff_after: 0,
        lockout_duration: Duration::minutes(15),
        ..AuthSettings::default()
    };
    let auth = world.service(settings);
    auth.register(register_input()).await.unwrap();
    for _ in 0..2 {
        assert!(matches!(auth.login(login_input("wrong password here")).await, Err(CoreError::InvalidCredentials)));
    }
    assert!(matches!(auth.login(login_input(PW)).await, Err(CoreError::AccountLocked)));
    world.clock.advance(Duration::minutes(15));
    let out = auth.login(login_input(PW)).await.unwrap();
    assert_eq!(out.user.status, UserStatus::Active);
    assert_eq!(out.user.locked_until, None);
}

/// The use-case tests never reach out.
struct NoNetwork;

#[async_trait::async_trait]
impl identity_core::ports::HttpProbe for NoNetwork {
    async fn get(&self, _: &identity_core::ports::ProbeRequest) -> identity_core::ports::ProbeResponse {
        identity_core::ports::ProbeResponse::Failed("no network in tests".into())
    }
}

#[tokio::test]
async fn tokens_with_impossible_times_are_refused() {
    use identity_core::ports::TokenIssuer;

    let world = World::new();
    let auth = world.service(AuthSettings::default());
    auth.register(register_input()).await.unwrap();
    let out = auth.login(login_input(PW)).await.unwrap();
    let tokens = PasetoTokens::new(world.keys.clone(), "identity", "identity");
    let now = world.clock.now();
    let sign = |iat, nbf, exp| {
        let claims = identity_core::ports::AccessClaims { iat, nbf, exp, ..out.claims.clone() };
        tokens.issue(&claims).unwrap()
    };
    let ttl = Duration::seconds(900);
    let ok = |token: String| {
        let auth = auth.clone();
        async move { auth.authenticate(&token).await.is_ok() }
    };
    assert!(ok(sign(now, now, now + ttl)).await, "the service's own shape");
    assert!(ok(sign(now + Duration::seconds(60), now, now + ttl)).await, "issued within the skew");
    assert!(!ok(sign(now + Duration::seconds(61), now, now + ttl)).await, "issued in the future");
    assert!(!ok(sign(now, now, now + ttl + Duration::seconds(1))).await, "living longer than the TTL");
    assert!(!ok(sign(now - ttl, now - ttl, now + ttl)).await, "twice the TTL");
}

#[tokio::test]
async fn idle_sessions_end_at_their_next_refresh() {
    let world = World::new();
    let settings = AuthSettings { session_idle_timeout: Some(Duration::minutes(30)), ..AuthSettings::default() };
    let auth = world.service(settings);
    auth.register(register_input()).await.unwrap();
    let out = auth.login(login_input(PW)).await.unwrap();
    world.clock.advance(Duration::minutes(29));
    let rotated = auth.refresh(&out.refresh_token, &Default::default()).await.unwrap();
    let authed = auth.authenticate(&rotated.access_token).await.unwrap();
    world.clock.advance(Duration::minutes(29));
    assert!(auth.current_user(&authed).await.is_ok(), "a refresh renews the session");
    assert_eq!(auth.list_sessions(&authed, None, None).await.unwrap().items.len(), 1);
    world.clock.advance(Duration::minutes(1));
    assert!(matches!(auth.current_user(&authed).await, Err(CoreError::Unauthenticated)));
    assert!(auth.list_sessions(&authed, None, None).await.unwrap().items.is_empty());
    assert!(matches!(
        auth.refresh(&rotated.refresh_token, &Default::default()).await,
        Err(CoreError::InvalidRefreshToken)
    ));
    let session = identity_core::ports::SessionRepository::find_session(&world.store, out.session.id).await.unwrap();
    assert_eq!(session.unwrap().revoked_at, Some(world.clock.now()));
}

#[tokio::test]
async fn admin_refusals_are_audited_at_most_once_a_minute() {
    let world = World::new();
    let auth = world.service(AuthSettings::default());
    auth.register(register_input()).await.unwrap();
    let out = auth.login(login_input(PW)).await.unwrap();
    let authed = auth.authenticate(&out.access_token).await.unwrap();
    for _ in 0..3 {
        let refused = auth.authorize_admin(&authed, "get", "/v1/admin/users").await;
        assert!(matches!(refused, Err(CoreError::Forbidden)));
    }
    let refused = auth.authorize_admin(&authed, "DELETE", "/v1/admin/users/{id}").await;
    assert!(matches!(refused, Err(CoreError::Forbidden)));
    let filter = identity_core::AuditFilter {
        action: Some("authorization.denied".into()),
        limit: 10,
        ..identity_core::AuditFilter::default()
    };
    let entries = identity_core::ports::AuditRepository::list_audit(&world.store, &filter).await.unwrap();
    let seen: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e.metadata["method"].as_str().unwrap(), e.metadata["route"].as_str().unwrap()))
        .collect();
    assert_eq!(seen, vec![("DELETE", "/v1/admin/users/{id}"), ("GET", "/v1/admin/users")]);
    assert!(entries.iter().all(|e| e.actor == Some(authed.user.id) && e.subject == Some(authed.user.id)));
}
