//! `SessionService` and refresh: token times, session lifetimes, idle sessions.

use super::world::*;

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
    let revocation =
        identity_core::Revocation { at: world.clock.now(), reason: identity_core::RevocationReason::IdleTimeout };
    assert_eq!(session.unwrap().revoked, Some(revocation));
}
