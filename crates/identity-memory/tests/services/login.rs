//! `LoginService`: password login, account states, hashing work, the failure counter.

use super::world::*;

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
        tx.users().update_user(&changed).await.unwrap();
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
    assert_eq!(world.mail.sent().await.len(), 1, "the verification mail");
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

#[tokio::test]
async fn store_keys_never_carry_the_bytes_a_client_sent() {
    let world = World::new();
    let auth = world.service(AuthSettings { login_backoff_after: 1, ..AuthSettings::default() });
    let hostile = "evil\r\nFLUSHALL\r\n\u{1b}[31m@example.com";
    let ip = Some("198.51.100.7".parse().unwrap());
    let client = ClientInfo { ip, user_agent: None };
    // The `auth` bucket counts the attempt (by digest); control characters are refused before
    // anything else is counted...
    let input = LoginInput { identifier: hostile.into(), password: PW.into(), client, ..LoginInput::default() };
    assert!(matches!(auth.login(input.clone()).await, Err(CoreError::Validation(_))));
    // ...and a refusal of the bucket is recorded under a digest too.
    let strict = world.service(AuthSettings { auth_rate_limit_per_minute: 1, ..AuthSettings::default() });
    assert!(matches!(strict.login(input).await, Err(CoreError::RateLimited(_))));
    // ...and what is counted is keyed by a digest, spaces and all.
    let odd = "evil ünïcode {FLUSHALL} name";
    let input = LoginInput { identifier: odd.into(), password: PW.into(), ..LoginInput::default() };
    assert!(matches!(auth.login(input.clone()).await, Err(CoreError::InvalidCredentials)));
    assert!(matches!(auth.login(input).await, Err(CoreError::LoginThrottled { .. })));
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

/// `Ünïcödé pässwörd`, composed (NFC) and decomposed (NFD): one password once normalised.
const NFC: &str = "\u{dc}n\u{ef}c\u{f6}d\u{e9} p\u{e4}ssw\u{f6}rd";
const NFD: &str = "U\u{308}ni\u{308}co\u{308}de\u{301} pa\u{308}sswo\u{308}rd";

fn verifies(world: &World) -> usize {
    world.hasher.verifies.load(Ordering::SeqCst)
}

#[tokio::test]
async fn the_nfc_and_nfd_spellings_of_a_password_are_one_password() {
    let world = World::new();
    let auth = world.service(AuthSettings::default());
    auth.register(RegisterInput { password: NFC.into(), ..register_input() }).await.unwrap();
    assert!(auth.login(login_input(NFD)).await.is_ok());
    assert!(auth.login(login_input(NFC)).await.is_ok());
    assert_eq!(verifies(&world), 2, "the normalised form matches at once");

    // A wrong password NFKC leaves as it is costs one verification, as before; one NFKC
    // changes costs one more (its form as typed), and an unknown account pays the same.
    let before = verifies(&world);
    assert!(matches!(auth.login(login_input("wrong password here")).await, Err(CoreError::InvalidCredentials)));
    assert_eq!(verifies(&world) - before, 1);
    assert!(matches!(
        auth.login(login_input("wro\u{308}ng pa\u{308}ssword")).await,
        Err(CoreError::InvalidCredentials)
    ));
    assert_eq!(verifies(&world) - before, 3);
    let unknown = LoginInput { identifier: "nobody@example.com".into(), ..login_input(NFD) };
    assert!(matches!(auth.login(unknown).await, Err(CoreError::InvalidCredentials)));
    assert_eq!(world.hasher.dummies.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn login_upgrades_hashes_of_passwords_stored_before_normalisation() {
    let world = World::new();
    let auth = world.service(AuthSettings::default());
    let user = auth.register(register_input()).await.unwrap();
    // What an older version stored: the hash of the password as typed, here in NFD.
    let typed = identity_core::PasswordPolicy::legacy_candidate(NFD).unwrap();
    let legacy = world.hasher.hash(&typed).await.unwrap();
    let older = User { password_hash: legacy.clone(), ..user.clone() };
    let mut tx = identity_core::ports::UnitOfWork::begin(&world.store).await.unwrap();
    tx.users().update_user(&older).await.unwrap();
    tx.commit().await.unwrap();

    let before = verifies(&world);
    let out = auth.login(login_input(NFD)).await.unwrap();
    assert_eq!(verifies(&world) - before, 2, "the normalised form, then the form as typed");
    let stored = identity_core::ports::UserRepository::find_by_id(&world.store, user.id).await.unwrap().unwrap();
    assert_ne!(stored.password_hash, legacy, "the hash was replaced");
    assert_eq!(stored.password_hash, out.user.password_hash);
    let normalised = identity_core::PasswordPolicy::candidate(NFC);
    assert!(matches!(
        world.hasher.verify(&normalised, &stored.password_hash).await.unwrap(),
        Verification::Valid { needs_rehash: false }
    ));

    // The other spelling works now too, at the first try.
    let before = verifies(&world);
    assert!(auth.login(login_input(NFC)).await.is_ok());
    assert!(auth.login(login_input(NFD)).await.is_ok());
    assert_eq!(verifies(&world) - before, 2, "one verification each");
}
