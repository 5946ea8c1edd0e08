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
    assert!(matches!(world.mail.sent().last(), Some(identity_core::ports::Mail::AlreadyRegistered { .. })));
    let stored = identity_core::ports::UserRepository::find_by_id(&world.store, again.id).await.unwrap();
    assert!(stored.is_none(), "nothing was stored");
    assert!(auth.login(login_input(PW)).await.is_ok(), "the owner's account is untouched");
    // By default the conflict is told.
    let plain = world.service(AuthSettings::default());
    assert!(matches!(plain.register(register_input()).await, Err(CoreError::EmailTaken)));
}
