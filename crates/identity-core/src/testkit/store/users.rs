//! The user aggregate: [`UserRepository`] and the [`UserWrites`] of a transaction.

use chrono::Duration;

use super::{StoreUnderTest, in_tx, insert};
use crate::domain::*;
use crate::ports::*;
use crate::testkit::fixtures::{self, unique_email, unique_username};

pub async fn inserted_user_is_found_by_id_email_and_username(store: &StoreUnderTest) {
    let mut user = fixtures::user(unique_email());
    user.username = Some(unique_username());
    user.profile.name = Some("Ada Lovelace".into());
    insert(store, &user, &[]).await.unwrap();

    assert_eq!(store.users.find_by_id(user.id).await.unwrap().as_ref(), Some(&user));
    assert_eq!(store.users.find_by_email(&user.email).await.unwrap().as_ref(), Some(&user));
    let username = user.username.clone().unwrap();
    assert_eq!(store.users.find_by_username(&username).await.unwrap().as_ref(), Some(&user));
}

pub async fn email_lookup_ignores_letter_case(store: &StoreUnderTest) {
    let user = fixtures::user(unique_email());
    insert(store, &user, &[]).await.unwrap();
    let shouted = Email::from_trusted(user.email.as_str().to_uppercase());
    let found = store.users.find_by_email(&shouted).await.unwrap();
    assert_eq!(found.map(|u| u.id), Some(user.id));
}

pub async fn duplicate_email_is_a_conflict_and_writes_nothing(store: &StoreUnderTest) {
    let first = fixtures::user(unique_email());
    insert(store, &first, &[]).await.unwrap();

    let second = fixtures::user(Email::from_trusted(first.email.as_str().to_uppercase()));
    let event = fixtures::event(EventType::UserRegistered, second.id.as_uuid());
    let mut tx = store.uow.begin().await.unwrap();
    let err = tx.insert_user(&second).await.unwrap_err();
    assert!(matches!(err, RepoError::Conflict(Conflict::Email)), "got {err:?}");
    drop(tx);
    // The failed registration left no trace, and its event was never stored.
    assert_eq!(store.users.find_by_id(second.id).await.unwrap(), None);
    let pending = store.outbox.pending(1000).await.unwrap();
    assert!(pending.iter().all(|e| e.event.id != event.id));
    // The first account is untouched.
    assert_eq!(store.users.find_by_id(first.id).await.unwrap(), Some(first));
}

pub async fn duplicate_username_is_a_conflict(store: &StoreUnderTest) {
    let mut first = fixtures::user(unique_email());
    first.username = Some(unique_username());
    insert(store, &first, &[]).await.unwrap();

    let mut second = fixtures::user(unique_email());
    second.username = first.username.clone();
    let err = insert(store, &second, &[]).await.unwrap_err();
    assert!(matches!(err, RepoError::Conflict(Conflict::Username)), "got {err:?}");
    assert_eq!(store.users.find_by_email(&second.email).await.unwrap(), None);
}

pub async fn update_user_persists_account_fields_and_profile(store: &StoreUnderTest) {
    let mut user = fixtures::user(unique_email());
    insert(store, &user, &[]).await.unwrap();

    let later = fixtures::now() + Duration::seconds(5);
    user.password_hash = PasswordHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$bmV3c2FsdA$bmV3aGFzaA".into());
    user.email_verified = true;
    user.status = UserStatus::Locked;
    user.locked_until = Some(later + Duration::minutes(15));
    user.last_login_at = Some(later);
    user.updated_at = later;
    user.profile.name = Some("Grace Hopper".into());
    user.profile.display_name = Some("grace".into());
    user.profile.locale = "de-DE".into();
    user.profile.time_zone = "Europe/Berlin".into();
    user.profile.company = Some("Analytical Engines Ltd".into());
    user.profile.phone = Some("+4915112345678".into());
    user.profile.telegram = Some("grace_h".into());
    user.profile.avatar_url = Some("https://cdn.example.com/grace.png".into());
    user.profile.region = crate::domain::profile::Region::DE;
    user.profile.currency = crate::domain::profile::Currency::EUR;
    user.profile.preferences = serde_json::json!({ "focus": { "session_minutes": 25 } });
    let mut tx = store.uow.begin().await.unwrap();
    tx.update_user(&user).await.unwrap();
    tx.commit().await.unwrap();

    assert_eq!(store.users.find_by_id(user.id).await.unwrap(), Some(user.clone()));

    // Roles change only through set_roles.
    let admin = std::collections::BTreeSet::from([Role::new(Role::ADMIN), Role::new(Role::USER)]);
    let mut tx = store.uow.begin().await.unwrap();
    tx.set_roles(user.id, &admin).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.users.find_by_id(user.id).await.unwrap().unwrap().roles, admin);
    let mut tx = store.uow.begin().await.unwrap();
    assert!(tx.set_roles(user.id, &std::collections::BTreeSet::from([Role::new("no-such-role")])).await.is_err());
}

pub async fn unknown_ids_are_none(store: &StoreUnderTest) {
    assert_eq!(store.users.find_by_id(UserId::from_uuid(uuid::Uuid::now_v7())).await.unwrap(), None);
    assert_eq!(store.users.find_by_email(&unique_email()).await.unwrap(), None);
    assert_eq!(store.users.find_by_username(&unique_username()).await.unwrap(), None);
    assert_eq!(store.sessions.find_session(SessionId::from_uuid(uuid::Uuid::now_v7())).await.unwrap(), None);
}

pub async fn users_are_listed_by_id_with_filters(store: &StoreUnderTest) {
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let mut made = Vec::new();
    for (i, status) in
        [UserStatus::Active, UserStatus::Locked, UserStatus::Active, UserStatus::Deleted].into_iter().enumerate()
    {
        let mut user = fixtures::user(Email::from_trusted(format!("list{tag}{i}@example.com")));
        user.status = status;
        if status == UserStatus::Deleted {
            user.deleted_at = Some(fixtures::now());
        }
        user.profile.name = Some(format!("Zed{tag} {i}"));
        insert(store, &user, &[]).await.unwrap();
        made.push(user);
    }
    let mut tx = store.uow.begin().await.unwrap();
    let admin = std::collections::BTreeSet::from([Role::new(Role::ADMIN), Role::new(Role::USER)]);
    tx.set_roles(made[2].id, &admin).await.unwrap();
    tx.commit().await.unwrap();
    let list = |filter: UserFilter| {
        let store = store.clone();
        async move { store.users.list_users(&filter).await.unwrap().into_iter().map(|u| u.id).collect::<Vec<_>>() }
    };
    let by_prefix = UserFilter { query: Some(format!("LIST{tag}")), limit: 10, ..UserFilter::default() };
    assert_eq!(list(by_prefix.clone()).await, vec![made[0].id, made[1].id, made[2].id], "deleted ones are left out");
    let by_name = UserFilter { query: Some(format!("zed{tag}")), limit: 10, ..UserFilter::default() };
    assert_eq!(list(by_name).await.len(), 3);
    let locked = UserFilter { status: Some(UserStatus::Locked), ..by_prefix.clone() };
    assert_eq!(list(locked).await, vec![made[1].id]);
    let deleted = UserFilter { status: Some(UserStatus::Deleted), ..by_prefix.clone() };
    assert_eq!(list(deleted).await, vec![made[3].id]);
    let admins = UserFilter { role: Some("admin".into()), ..by_prefix.clone() };
    assert_eq!(list(admins).await, vec![made[2].id]);
    let page = UserFilter { limit: 2, ..by_prefix.clone() };
    assert_eq!(list(page).await, vec![made[0].id, made[1].id]);
    let next = UserFilter { after: Some(made[1].id.as_uuid()), ..by_prefix };
    assert_eq!(list(next).await, vec![made[2].id]);
    let listed = store
        .users
        .list_users(&UserFilter {
            role: Some("admin".into()),
            query: Some(format!("list{tag}")),
            limit: 1,
            ..UserFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(listed[0].roles, std::collections::BTreeSet::from([Role::new(Role::ADMIN), Role::new(Role::USER)]));
}

pub async fn active_admins_are_counted(store: &StoreUnderTest) {
    let admin = std::collections::BTreeSet::from([Role::new(Role::ADMIN), Role::new(Role::USER)]);
    let before = in_tx(store, async |tx| tx.count_active_admins().await.unwrap()).await;
    let mut made = Vec::new();
    for status in [UserStatus::Active, UserStatus::Active, UserStatus::Locked] {
        let mut user = fixtures::user(unique_email());
        user.status = status;
        insert(store, &user, &[]).await.unwrap();
        made.push(user);
    }
    in_tx(store, async |tx| {
        tx.set_roles(made[0].id, &admin).await.unwrap();
        tx.set_roles(made[2].id, &admin).await.unwrap();
    })
    .await;
    assert_eq!(in_tx(store, async |tx| tx.count_active_admins().await.unwrap()).await, before + 1);
}
