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
