//! Second factors: [`MfaRepository`](crate::ports::MfaRepository) and the
//! [`MfaWrites`](crate::ports::MfaWrites) of a transaction.

use chrono::Duration;

use super::{StoreUnderTest, in_tx, insert};
use crate::domain::{MfaKind, MfaMethod, TokenDigest};
use crate::testkit::fixtures::{self, unique_email};

fn method(user: crate::domain::UserId) -> MfaMethod {
    MfaMethod {
        id: uuid::Uuid::now_v7(),
        user_id: user,
        kind: MfaKind::Totp,
        label: "phone".into(),
        sealed_secret: "v1.kid.sealed".into(),
        passkey: None,
        confirmed_at: None,
        created_at: fixtures::now(),
        last_used_at: None,
        last_step: None,
    }
}

pub async fn methods_are_inserted_locked_updated_and_deleted(store: &StoreUnderTest) {
    let user = fixtures::user(unique_email());
    insert(store, &user, &[]).await.unwrap();
    assert!(store.mfa.methods_of(user.id).await.unwrap().is_empty());
    let mut totp = method(user.id);
    // Rolled back: nothing stored.
    let mut tx = store.uow.begin().await.unwrap();
    tx.mfa().insert_method(&totp).await.unwrap();
    drop(tx);
    assert!(store.mfa.methods_of(user.id).await.unwrap().is_empty());

    in_tx(store, async |tx| tx.mfa().insert_method(&totp).await.unwrap()).await;
    assert_eq!(store.mfa.methods_of(user.id).await.unwrap(), vec![totp.clone()]);
    let later = fixtures::now() + Duration::seconds(40);
    in_tx(store, async |tx| {
        assert_eq!(tx.mfa().lock_methods_of(user.id).await.unwrap(), vec![totp.clone()]);
        totp.label = "work phone".into();
        totp.confirmed_at = Some(later);
        totp.last_used_at = Some(later);
        totp.last_step = Some(58_833_334);
        tx.mfa().update_method(&totp).await.unwrap();
    })
    .await;
    assert_eq!(store.mfa.methods_of(user.id).await.unwrap(), vec![totp.clone()]);
    // Another user's methods are theirs.
    let other = fixtures::user(unique_email());
    insert(store, &other, &[]).await.unwrap();
    assert!(store.mfa.methods_of(other.id).await.unwrap().is_empty());
    in_tx(store, async |tx| tx.mfa().delete_method(totp.id).await.unwrap()).await;
    assert!(store.mfa.methods_of(user.id).await.unwrap().is_empty());
}

pub async fn recovery_codes_are_replaced_and_used_once(store: &StoreUnderTest) {
    let user = fixtures::user(unique_email());
    insert(store, &user, &[]).await.unwrap();
    let digests: Vec<TokenDigest> = (1..=3u8).map(|b| TokenDigest([b; 32])).collect();
    in_tx(store, async |tx| tx.mfa().replace_recovery_codes(user.id, &digests).await.unwrap()).await;
    let codes = store.mfa.recovery_codes_of(user.id).await.unwrap();
    assert_eq!(codes.len(), 3);
    assert!(codes.iter().all(|c| c.used_at.is_none()));
    let at = fixtures::now();
    let left = in_tx(store, async |tx| tx.mfa().use_recovery_code(user.id, &digests[1], at).await.unwrap()).await;
    assert_eq!(left, Some(2));
    // Once only; an unknown one never.
    let again = in_tx(store, async |tx| tx.mfa().use_recovery_code(user.id, &digests[1], at).await.unwrap()).await;
    assert_eq!(again, None);
    let unknown =
        in_tx(store, async |tx| tx.mfa().use_recovery_code(user.id, &TokenDigest([9; 32]), at).await.unwrap()).await;
    assert_eq!(unknown, None);
    let codes = store.mfa.recovery_codes_of(user.id).await.unwrap();
    assert_eq!(codes.iter().filter(|c| c.used_at == Some(at)).count(), 1);
    // Replaced: the old set is void; none: gone.
    in_tx(store, async |tx| tx.mfa().replace_recovery_codes(user.id, &[TokenDigest([7; 32])]).await.unwrap()).await;
    let unknown = in_tx(store, async |tx| tx.mfa().use_recovery_code(user.id, &digests[0], at).await.unwrap()).await;
    assert_eq!(unknown, None);
    in_tx(store, async |tx| tx.mfa().replace_recovery_codes(user.id, &[]).await.unwrap()).await;
    assert!(store.mfa.recovery_codes_of(user.id).await.unwrap().is_empty());
}

pub async fn passkeys_keep_their_credential_and_belong_to_one_account(store: &StoreUnderTest) {
    use crate::ports::{Conflict, PasskeyCredential, RepoError};
    let user = fixtures::user(unique_email());
    insert(store, &user, &[]).await.unwrap();
    let credential = PasskeyCredential {
        credential_id: format!("cred-{}", uuid::Uuid::now_v7().simple()),
        credential: r#"{"cred":{"counter":0}}"#.into(),
    };
    let mut passkey = MfaMethod {
        kind: MfaKind::WebAuthn,
        label: "laptop".into(),
        sealed_secret: String::new(),
        passkey: Some(credential.clone()),
        confirmed_at: Some(fixtures::now()),
        ..method(user.id)
    };
    in_tx(store, async |tx| tx.mfa().insert_method(&passkey).await.unwrap()).await;
    assert_eq!(store.mfa.methods_of(user.id).await.unwrap(), vec![passkey.clone()]);
    // A use moves its counter on: the credential is written back.
    in_tx(store, async |tx| {
        passkey.passkey =
            Some(PasskeyCredential { credential: r#"{"cred":{"counter":7}}"#.into(), ..credential.clone() });
        passkey.last_used_at = Some(fixtures::now());
        tx.mfa().update_method(&passkey).await.unwrap();
    })
    .await;
    assert_eq!(store.mfa.methods_of(user.id).await.unwrap(), vec![passkey.clone()]);
    // The same authenticator key cannot be another account's (nor this one's twice).
    let other = fixtures::user(unique_email());
    insert(store, &other, &[]).await.unwrap();
    let twin = MfaMethod { id: uuid::Uuid::now_v7(), user_id: other.id, ..passkey.clone() };
    let mut tx = store.uow.begin().await.unwrap();
    let refused = tx.mfa().insert_method(&twin).await;
    assert!(matches!(refused, Err(RepoError::Conflict(Conflict::Passkey))), "{refused:?}");
    drop(tx);
    assert!(store.mfa.methods_of(other.id).await.unwrap().is_empty());
}
