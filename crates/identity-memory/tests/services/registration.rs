//! `RegistrationService`: one-step registration with hidden taken addresses.

use super::world::*;

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
    assert!(matches!(world.mail.sent().await.last(), Some(identity_core::ports::Mail::AlreadyRegistered { .. })));
    let stored = identity_core::ports::UserRepository::find_by_id(&world.store, again.id).await.unwrap();
    assert!(stored.is_none(), "nothing was stored");
    assert!(auth.login(login_input(PW)).await.is_ok(), "the owner's account is untouched");
    // By default the conflict is told.
    let plain = world.service(AuthSettings::default());
    assert!(matches!(plain.register(register_input()).await, Err(CoreError::EmailTaken)));
}

/// The answer to a keyed registration was lost (the replica died after the commit): the
/// retry gets the account its first attempt made, not `email_taken`; the same key with
/// another body is refused; a day later the key is forgotten.
#[tokio::test]
async fn a_keyed_retry_gets_the_account_its_first_attempt_made() {
    use identity_core::domain::RequestKey;
    let world = World::new();
    let auth = world.service(AuthSettings::default());
    let key = RequestKey { key: "anonymous:/v1/auth/register:k1".into(), fingerprint: "body-1".into() };
    let keyed = || RegisterInput { request: Some(key.clone()), ..register_input() };
    let first = auth.register(keyed()).await.unwrap();
    let mails = world.mail.sent().await.len();

    let retry = auth.register(keyed()).await.unwrap();
    assert_eq!((retry.id, retry.email.as_str()), (first.id, EMAIL));
    assert_eq!(world.mail.sent().await.len(), mails, "no second verification mail");

    let other_body =
        RegisterInput { request: Some(RequestKey { fingerprint: "body-2".into(), ..key.clone() }), ..register_input() };
    assert!(matches!(auth.register(other_body).await, Err(CoreError::IdempotencyKeyReused)));
    // Without the key, the address is taken.
    assert!(matches!(auth.register(register_input()).await, Err(CoreError::EmailTaken)));

    world.clock.advance(identity_core::domain::REQUEST_KEY_TTL);
    assert!(matches!(auth.register(keyed()).await, Err(CoreError::EmailTaken)), "forgotten after a day");
}
