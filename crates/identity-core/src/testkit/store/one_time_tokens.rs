//! One-time tokens: the [`OneTimeTokenWrites`](crate::ports::OneTimeTokenWrites) of a transaction.

use super::{StoreUnderTest, insert};
use crate::domain::*;
use crate::testkit::fixtures::{self, unique_email};

pub async fn one_time_tokens_are_found_by_purpose_and_consumed(store: &StoreUnderTest) {
    let user = fixtures::user(unique_email());
    insert(store, &user, &[]).await.unwrap();
    let reset = fixtures::one_time_token(&user, OneTimePurpose::ResetPassword);
    let older = fixtures::one_time_token(&user, OneTimePurpose::ResetPassword);
    let verify = fixtures::one_time_token(&user, OneTimePurpose::VerifyEmail);
    let mut tx = store.uow.begin().await.unwrap();
    for token in [&reset, &older, &verify] {
        tx.insert_one_time_token(token).await.unwrap();
    }
    tx.commit().await.unwrap();

    let mut tx = store.uow.begin().await.unwrap();
    assert_eq!(
        tx.lock_one_time_token(OneTimePurpose::ResetPassword, &reset.digest).await.unwrap(),
        Some(reset.clone())
    );
    // The purpose is part of the key: a verification token is no reset token.
    assert_eq!(tx.lock_one_time_token(OneTimePurpose::ResetPassword, &verify.digest).await.unwrap(), None);
    let at = fixtures::now();
    tx.consume_one_time_tokens(user.id, OneTimePurpose::ResetPassword, at).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.uow.begin().await.unwrap();
    for token in [&reset, &older] {
        let stored = tx.lock_one_time_token(OneTimePurpose::ResetPassword, &token.digest).await.unwrap().unwrap();
        assert_eq!(stored.consumed_at, Some(at));
    }
    let untouched = tx.lock_one_time_token(OneTimePurpose::VerifyEmail, &verify.digest).await.unwrap().unwrap();
    assert_eq!(untouched.consumed_at, None);
}
