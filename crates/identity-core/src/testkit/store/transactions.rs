//! [`UnitOfWork`](crate::ports::UnitOfWork): a transaction dropped without commit leaves nothing behind.

use super::{StoreUnderTest, insert};
use crate::domain::*;
use crate::testkit::fixtures::{self, unique_email};

pub async fn dropped_transaction_leaves_nothing(store: &StoreUnderTest) {
    let user = fixtures::user(unique_email());
    let session = fixtures::session(&user);
    let event = fixtures::event(EventType::UserRegistered, user.id.as_uuid());
    {
        let mut tx = store.uow.begin().await.unwrap();
        tx.users().insert_user(&user).await.unwrap();
        tx.sessions().insert_session(&session).await.unwrap();
        tx.journal().record_events(std::slice::from_ref(&event)).await.unwrap();
        // Dropped without commit: a failed request must leave no half-written state.
    }
    assert_eq!(store.users.find_by_id(user.id).await.unwrap(), None);
    assert_eq!(store.users.find_by_email(&user.email).await.unwrap(), None);
    assert_eq!(store.sessions.find_session(session.id).await.unwrap(), None);
    assert!(store.outbox.pending(1000).await.unwrap().iter().all(|e| e.event.id != event.id));
    // And the address is still free.
    insert(store, &user, &[]).await.unwrap();
}
