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
    codes: MemoryCodeStore,
    limiter: MemoryRateLimiter,
}

fn cheap(m_cost: u32) -> Argon2Hasher {
    Argon2Hasher::new(&HasherSettings { m_cost, t_cost: 1, ..HasherSettings::default() }).unwrap()
}

impl World {
    fn new() -> Self {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let clock = TestClock(Arc::new(Mutex::new(now)));
        Self {
            store: MemoryStore::new(),
            clock: clock.clone(),
            hasher: Arc::new(CountingHasher {
                inner: cheap(1024),
                verifies: AtomicUsize::new(0),
                dummies: AtomicUsize::new(0),
            }),
            keys: PasetoKeys::generate().unwrap(),
            mail: CapturingNotifier::new(),
            codes: MemoryCodeStore::new(Arc::new(clock.clone())),
            limiter: MemoryRateLimiter::new(Arc::new(clock)),
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
                codes: Arc::new(self.codes.clone()),
                revocations: Arc::new(MemoryRevocations::new(Arc::new(self.clock.clone()))),
                notifier: Arc::new(self.mail.clone()),
                limiter: Arc::new(self.limiter.clone()),
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

/// A locked or disabled account is no oracle: the right password gets exactly the answer of a
/// wrong one, after the same hashing work.
#[tokio::test]
async fn locked_and_disabled_accounts_answer_like_a_wrong_password() {
    let world = World::new();
    let auth = world.service(AuthSettings::default());
    let user = auth.register(register_input()).await.unwrap();
    let token = auth.login(login_input(PW)).await.unwrap().access_token;

    for status in [UserStatus::Locked, UserStatus::Disabled, UserStatus::Deleted] {
        let mut changed = user.clone();
        changed.status = status;
        let mut tx = identity_core::ports::UnitOfWork::begin(&world.store).await.unwrap();
        tx.update_user(&changed).await.unwrap();
        tx.commit().await.unwrap();

        let hashes_before = world.hasher.verifies.load(Ordering::SeqCst) + world.hasher.dummies.load(Ordering::SeqCst);
        let right = auth.login(login_input(PW)).await.unwrap_err();
        let wrong = auth.login(login_input("wrong password here")).await.unwrap_err();
        assert!(matches!(right, CoreError::InvalidCredentials), "{status:?}: {right:?}");
        assert!(matches!(wrong, CoreError::InvalidCredentials), "{status:?}: {wrong:?}");
        let hashes = world.hasher.verifies.load(Ordering::SeqCst) + world.hasher.dummies.load(Ordering::SeqCst);
        assert_eq!(hashes - hashes_before, 2, "{status:?}: one hash each");
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
    // Locked: the right password learns nothing either.
    assert!(matches!(auth.login(login_input(PW)).await, Err(CoreError::InvalidCredentials)));
    world.clock.advance(Duration::minutes(15));
    let out = auth.login(login_input(PW)).await.unwrap();
    assert_eq!(out.user.status, UserStatus::Active);
    assert_eq!(out.user.locked_until, None);
}

fn reset_token(world: &World) -> String {
    match world.mail.sent().last() {
        Some(identity_core::ports::Mail::PasswordReset { link, .. }) => {
            link.rsplit("token=").next().unwrap().to_owned()
        }
        other => panic!("expected a reset mail, got {other:?}"),
    }
}

#[tokio::test]
async fn a_locked_out_owner_can_reset_and_the_reset_ends_the_lock() {
    let world = World::new();
    let settings = AuthSettings { lockout_threshold: 2, login_backoff_after: 0, ..AuthSettings::default() };
    let auth = world.service(settings);
    auth.register(register_input()).await.unwrap();
    for _ in 0..2 {
        assert!(matches!(auth.login(login_input("wrong password here")).await, Err(CoreError::InvalidCredentials)));
    }
    auth.forgot_password(EMAIL, &Default::default()).await.unwrap();
    let token = reset_token(&world);
    let user = auth.reset_password(&token, "a brand new passphrase", &Default::default()).await.unwrap();
    assert_eq!((user.status, user.locked_until), (UserStatus::Active, None));
    let out = auth.login(login_input("a brand new passphrase")).await.unwrap();
    assert_eq!(out.user.status, UserStatus::Active);
    // The failures went with the lock: two new mistakes lock again, not one.
    assert!(matches!(auth.login(login_input("wrong password here")).await, Err(CoreError::InvalidCredentials)));
    assert!(auth.login(login_input("a brand new passphrase")).await.is_ok());
}

#[tokio::test]
async fn an_admins_lock_is_not_ended_by_a_reset() {
    let world = World::new();
    let auth = world.service(AuthSettings { mail_cooldown: Duration::zero(), ..AuthSettings::default() });
    let user = auth.register(register_input()).await.unwrap();
    auth.forgot_password(EMAIL, &Default::default()).await.unwrap();
    let token = reset_token(&world);
    let mut locked = user.clone();
    locked.status = UserStatus::Locked;
    locked.locked_until = None;
    let mut tx = identity_core::ports::UnitOfWork::begin(&world.store).await.unwrap();
    tx.update_user(&locked).await.unwrap();
    tx.commit().await.unwrap();
    let mails = world.mail.sent().len();
    auth.forgot_password(EMAIL, &Default::default()).await.unwrap();
    assert_eq!(world.mail.sent().len(), mails, "no link for an account an admin locked");
    assert!(matches!(
        auth.reset_password(&token, "a brand new passphrase", &Default::default()).await,
        Err(CoreError::InvalidToken)
    ));
}

#[tokio::test]
async fn wrong_current_passwords_count_like_failed_logins() {
    let world = World::new();
    let settings = AuthSettings { lockout_threshold: 3, login_backoff_after: 0, ..AuthSettings::default() };
    let auth = world.service(settings);
    auth.register(register_input()).await.unwrap();
    let out = auth.login(login_input(PW)).await.unwrap();
    let me = auth.authenticate(&out.access_token).await.unwrap();
    let err = auth.change_password(&me, "wrong password here", "a brand new passphrase").await.unwrap_err();
    assert!(format!("{err:?}").contains("incorrect"), "{err:?}");
    let err = auth.delete_account(&me, "wrong password here").await.unwrap_err();
    assert!(format!("{err:?}").contains("incorrect"), "{err:?}");
    // The third failure, a login this time, reaches the threshold: one counter for all.
    assert!(matches!(auth.login(login_input("wrong password here")).await, Err(CoreError::InvalidCredentials)));
    let stored = identity_core::ports::UserRepository::find_by_id(&world.store, me.user.id).await.unwrap().unwrap();
    assert_eq!(stored.status, UserStatus::Locked);
    assert!(matches!(auth.authenticate(&out.access_token).await, Err(CoreError::Unauthenticated)));
    let filter = identity_core::AuditFilter {
        subject: Some(me.user.id),
        actor: None,
        action: Some("reauth.failed".into()),
        since: None,
        until: None,
        before_id: None,
        limit: 10,
    };
    let audit = identity_core::ports::AuditRepository::list_audit(&world.store, &filter).await.unwrap();
    assert_eq!(audit.len(), 2, "both failed re-authentications are audited");
}

#[tokio::test]
async fn re_authentication_backs_off_like_login() {
    let world = World::new();
    let auth = world.service(AuthSettings { login_backoff_after: 2, ..AuthSettings::default() });
    auth.register(register_input()).await.unwrap();
    let out = auth.login(login_input(PW)).await.unwrap();
    let me = auth.authenticate(&out.access_token).await.unwrap();
    for _ in 0..2 {
        let err = auth.change_password(&me, "wrong password here", "a brand new passphrase").await.unwrap_err();
        assert!(format!("{err:?}").contains("incorrect"), "{err:?}");
    }
    let hashes = world.hasher.verifies.load(Ordering::SeqCst);
    // Now the account must wait, even with the right password, and nothing is hashed.
    let err = auth.change_password(&me, PW, "a brand new passphrase").await.unwrap_err();
    assert!(matches!(err, CoreError::LoginThrottled { .. }), "{err:?}");
    assert!(matches!(auth.login(login_input(PW)).await, Err(CoreError::LoginThrottled { .. })));
    assert_eq!(world.hasher.verifies.load(Ordering::SeqCst), hashes);
}

#[tokio::test]
async fn hidden_taken_emails_register_like_free_ones() {
    let world = World::new();
    let auth = world.service(AuthSettings { hide_taken_emails: true, ..AuthSettings::default() });
    let owner = auth.register(register_input()).await.unwrap();
    let hashes = world.hasher.verifies.load(Ordering::SeqCst);
    let again = auth.register(register_input()).await.unwrap();
    assert_ne!(again.id, owner.id, "a new id, as for a free address");
    assert_eq!((again.email.as_str(), again.email_verified), (EMAIL, false));
    assert_eq!(world.hasher.verifies.load(Ordering::SeqCst), hashes);
    assert!(matches!(world.mail.sent().last(), Some(identity_core::ports::Mail::AlreadyRegistered { .. })));
    let stored = identity_core::ports::UserRepository::find_by_id(&world.store, again.id).await.unwrap();
    assert!(stored.is_none(), "nothing was stored");
    assert!(auth.login(login_input(PW)).await.is_ok(), "the owner's account is untouched");
    // By default the conflict is told.
    let plain = world.service(AuthSettings::default());
    assert!(matches!(plain.register(register_input()).await, Err(CoreError::EmailTaken)));
}

#[tokio::test]
async fn store_keys_never_carry_the_bytes_a_client_sent() {
    let world = World::new();
    let auth = world.service(AuthSettings { login_backoff_after: 1, ..AuthSettings::default() });
    let hostile = "evil\r\nFLUSHALL\r\n\u{1b}[31m@example.com";
    let ip = Some("198.51.100.7".parse().unwrap());
    auth.check_auth_rate(identity_core::usecases::AuthFlow::Login, ip, Some(hostile)).await.unwrap();
    // Control characters are refused before anything is counted...
    let input = LoginInput { identifier: hostile.into(), password: PW.into(), ..LoginInput::default() };
    assert!(matches!(auth.login(input).await, Err(CoreError::Validation(_))));
    // ...and what is counted is keyed by a digest, spaces and all.
    let odd = "evil ünïcode {FLUSHALL} name";
    let input = LoginInput { identifier: odd.into(), password: PW.into(), ..LoginInput::default() };
    assert!(matches!(auth.login(input.clone()).await, Err(CoreError::InvalidCredentials)));
    assert!(matches!(auth.login(input).await, Err(CoreError::LoginThrottled { .. })));
    auth.record_rate_limited_login(hostile, &Default::default()).await.unwrap();
    let keys: Vec<String> = world.codes.keys().into_iter().chain(world.limiter.keys()).collect();
    assert!(keys.len() >= 4, "{keys:?}");
    for key in &keys {
        assert!(key.chars().all(|c| c.is_ascii_graphic()), "{key:?}");
        assert!(!key.contains("evil") && !key.contains("FLUSHALL"), "{key:?}");
    }
    assert!(keys.iter().any(|k| k.starts_with("login:failures:id:")), "{keys:?}");
}

#[tokio::test]
async fn an_account_has_one_failure_counter_by_address_or_username() {
    let world = World::new();
    let auth = world.service(AuthSettings { login_backoff_after: 2, ..AuthSettings::default() });
    auth.register(RegisterInput { username: Some("ada".into()), ..register_input() }).await.unwrap();
    let by = |identifier: &str, password: &str| LoginInput {
        identifier: identifier.into(),
        password: password.into(),
        ..LoginInput::default()
    };
    assert!(matches!(
        auth.login(by("ADA@example.com ", "wrong password here")).await,
        Err(CoreError::InvalidCredentials)
    ));
    assert!(matches!(auth.login(by("ada", "wrong password here")).await, Err(CoreError::InvalidCredentials)));
    assert!(matches!(auth.login(by(EMAIL, PW)).await, Err(CoreError::LoginThrottled { .. })));
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
