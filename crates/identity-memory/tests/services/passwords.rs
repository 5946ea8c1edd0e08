//! `PasswordService`: reset links, lock-outs and resets, re-authentication.

use super::world::*;

#[tokio::test]
async fn reset_and_verification_tokens_expire() {
    let world = World::new();
    let auth = world.service(AuthSettings { mail_cooldown: Duration::zero(), ..AuthSettings::default() });
    auth.register(register_input()).await.unwrap();
    let verify = match world.mail.sent().await.last() {
        Some(identity_core::ports::Mail::VerifyEmail { token, .. }) => token.clone(),
        other => panic!("{other:?}"),
    };
    auth.forgot_password(EMAIL, &Default::default()).await.unwrap();
    let reset = match world.mail.sent().await.last() {
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
async fn a_locked_out_owner_can_reset_and_the_reset_ends_the_lock() {
    let world = World::new();
    let settings = AuthSettings { lockout_threshold: 2, login_backoff_after: 0, ..AuthSettings::default() };
    let auth = world.service(settings);
    auth.register(register_input()).await.unwrap();
    for _ in 0..2 {
        assert!(matches!(auth.login(login_input("wrong password here")).await, Err(CoreError::InvalidCredentials)));
    }
    auth.forgot_password(EMAIL, &Default::default()).await.unwrap();
    let token = reset_token(&world).await;
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
    let token = reset_token(&world).await;
    let mut locked = user.clone();
    locked.status = UserStatus::Locked;
    locked.locked_until = None;
    let mut tx = identity_core::ports::UnitOfWork::begin(&world.store).await.unwrap();
    tx.users().update_user(&locked).await.unwrap();
    tx.commit().await.unwrap();
    let mails = world.mail.sent().await.len();
    auth.forgot_password(EMAIL, &Default::default()).await.unwrap();
    assert_eq!(world.mail.sent().await.len(), mails, "no link for an account an admin locked");
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
