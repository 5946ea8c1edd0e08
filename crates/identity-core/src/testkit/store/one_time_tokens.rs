//! One-time tokens: the [`OneTimeTokenWrites`](crate::ports::OneTimeTokenWrites) of a transaction.

use super::{StoreUnderTest, insert};
use crate::domain::*;
use crate::ports::RepoError;
use crate::testkit::fixtures::{self, unique_email};

pub async fn one_time_tokens_are_found_by_purpose_and_consumed(store: &StoreUnderTest) {
    let user = fixtures::user(unique_email());
    insert(store, &user, &[]).await.unwrap();
    let reset = fixtures::one_time_token(&user, OneTimePurpose::ResetPassword);
    let older = fixtures::one_time_token(&user, OneTimePurpose::ResetPassword);
    let verify = fixtures::one_time_token(&user, OneTimePurpose::VerifyEmail);
    let mut tx = store.uow.begin().await.unwrap();
    for token in [&reset, &older, &verify] {
        tx.one_time_tokens().insert_one_time_token(token).await.unwrap();
    }
    tx.commit().await.unwrap();

    let mut tx = store.uow.begin().await.unwrap();
    assert_eq!(
        tx.one_time_tokens().lock_one_time_token(OneTimePurpose::ResetPassword, &reset.digest).await.unwrap(),
        Some(reset.clone())
    );
    // The purpose is part of the key: a verification token is no reset token.
    assert_eq!(
        tx.one_time_tokens().lock_one_time_token(OneTimePurpose::ResetPassword, &verify.digest).await.unwrap(),
        None
    );
    let at = fixtures::now();
    tx.one_time_tokens().consume_one_time_tokens(user.id, OneTimePurpose::ResetPassword, at).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.uow.begin().await.unwrap();
    for token in [&reset, &older] {
        let stored = tx
            .one_time_tokens()
            .lock_one_time_token(OneTimePurpose::ResetPassword, &token.digest)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.consumed_at, Some(at));
    }
    let untouched =
        tx.one_time_tokens().lock_one_time_token(OneTimePurpose::VerifyEmail, &verify.digest).await.unwrap().unwrap();
    assert_eq!(untouched.consumed_at, None);
}

/// A one-time token is stored with the address it was mailed to (it is redeemed only for
/// that address): every store refuses one without, and writes nothing.
pub async fn one_time_token_without_an_address_is_refused(store: &StoreUnderTest) {
    let user = fixtures::user(unique_email());
    insert(store, &user, &[]).await.unwrap();
    for purpose in [OneTimePurpose::VerifyEmail, OneTimePurpose::ResetPassword] {
        let mut token = fixtures::one_time_token(&user, purpose);
        token.email = None;
        let mut tx = store.uow.begin().await.unwrap();
        let refused = tx.one_time_tokens().insert_one_time_token(&token).await;
        assert!(matches!(refused, Err(RepoError::Unknown(_))), "{purpose:?}: {refused:?}");
        drop(tx);
        let mut tx = store.uow.begin().await.unwrap();
        assert_eq!(
            tx.one_time_tokens().lock_one_time_token(purpose, &token.digest).await.unwrap(),
            None,
            "{purpose:?}"
        );
    }
}
