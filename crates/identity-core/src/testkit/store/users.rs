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
    let err = tx.users().insert_user(&second).await.unwrap_err();
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
    tx.users().update_user(&user).await.unwrap();
    tx.commit().await.unwrap();

    assert_eq!(store.users.find_by_id(user.id).await.unwrap(), Some(user.clone()));

    // Roles change only through set_roles.
    let admin = std::collections::BTreeSet::from([Role::new(Role::ADMIN), Role::new(Role::USER)]);
    let mut tx = store.uow.begin().await.unwrap();
    tx.users().set_roles(user.id, &admin).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.users.find_by_id(user.id).await.unwrap().unwrap().roles, admin);
    let mut tx = store.uow.begin().await.unwrap();
    assert!(
        tx.users().set_roles(user.id, &std::collections::BTreeSet::from([Role::new("no-such-role")])).await.is_err()
    );
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
        user.set_status(status, fixtures::now());
        user.profile.name = Some(format!("Zed{tag} {i}"));
        insert(store, &user, &[]).await.unwrap();
        made.push(user);
    }
    let mut tx = store.uow.begin().await.unwrap();
    let admin = std::collections::BTreeSet::from([Role::new(Role::ADMIN), Role::new(Role::USER)]);
    tx.users().set_roles(made[2].id, &admin).await.unwrap();
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
    let before = in_tx(store, async |tx| tx.users().count_active_admins().await.unwrap()).await;
    let mut made = Vec::new();
    for status in [UserStatus::Active, UserStatus::Active, UserStatus::Locked] {
        let mut user = fixtures::user(unique_email());
        user.status = status;
        insert(store, &user, &[]).await.unwrap();
        made.push(user);
    }
    in_tx(store, async |tx| {
        tx.users().set_roles(made[0].id, &admin).await.unwrap();
        tx.users().set_roles(made[2].id, &admin).await.unwrap();
    })
    .await;
    assert_eq!(in_tx(store, async |tx| tx.users().count_active_admins().await.unwrap()).await, before + 1);
}

/// The rule of [`User::counts_as_active_admin`]: an admin counts only while its account is
/// active; locked, disabled and deleted admins do not, nor do active non-admins.
pub async fn only_active_admins_count_as_active_admins(store: &StoreUnderTest) {
    let before = in_tx(store, async |tx| tx.users().count_active_admins().await.unwrap()).await;
    let now = fixtures::now();
    let mut made = Vec::new();
    for status in [UserStatus::Active, UserStatus::Locked, UserStatus::Disabled, UserStatus::Deleted] {
        let mut admin = fixtures::user(unique_email());
        admin.roles.insert(Role::new(Role::ADMIN));
        admin.set_status(status, now);
        admin.locked_until = (status == UserStatus::Locked).then_some(now + Duration::minutes(15));
        made.push(admin);
    }
    made.push(fixtures::user(unique_email()));
    for user in &made {
        insert(store, user, &[]).await.unwrap();
    }
    assert_eq!(made.iter().filter(|u| u.counts_as_active_admin()).count(), 1);
    assert_eq!(in_tx(store, async |tx| tx.users().count_active_admins().await.unwrap()).await, before + 1);

    // Disabling the one active admin takes it out of the count.
    let mut disabled = made[0].clone();
    disabled.status = UserStatus::Disabled;
    assert!(!disabled.counts_as_active_admin());
    in_tx(store, async |tx| tx.users().update_user(&disabled).await.unwrap()).await;
    assert_eq!(in_tx(store, async |tx| tx.users().count_active_admins().await.unwrap()).await, before);
}

/// The store's listing of `filter`, checked against the rule of [`UserFilter::matches`]
/// applied to `made` (the store holds no other matching user).
async fn listed_as_the_rule_says(store: &StoreUnderTest, made: &[User], filter: UserFilter) -> Vec<UserId> {
    let listed: Vec<UserId> = store.users.list_users(&filter).await.unwrap().into_iter().map(|u| u.id).collect();
    let mut expected: Vec<UserId> = made.iter().filter(|u| filter.matches(u)).map(|u| u.id).collect();
    expected.sort();
    assert_eq!(listed, expected, "{filter:?}");
    listed
}

/// The rule of [`UserFilter::lists_status`]: without a status every account but the deleted
/// ones is listed; a deleted account is listed only with `status = deleted`.
pub async fn deleted_users_are_listed_only_when_asked_for(store: &StoreUnderTest) {
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let statuses = [UserStatus::Active, UserStatus::Locked, UserStatus::Disabled, UserStatus::Deleted];
    let mut made = Vec::new();
    for (i, status) in statuses.into_iter().enumerate() {
        let mut user = fixtures::user(Email::from_trusted(format!("status{tag}{i}@example.com")));
        user.set_status(status, fixtures::now());
        insert(store, &user, &[]).await.unwrap();
        made.push(user);
    }
    let ours = UserFilter { query: Some(format!("status{tag}")), limit: 10, ..UserFilter::default() };
    let listed = listed_as_the_rule_says(store, &made, ours.clone()).await;
    assert_eq!(listed, vec![made[0].id, made[1].id, made[2].id]);
    for (i, status) in statuses.into_iter().enumerate() {
        let filter = UserFilter { status: Some(status), ..ours.clone() };
        assert_eq!(listed_as_the_rule_says(store, &made, filter).await, vec![made[i].id], "{status}");
    }
}

/// The rule of [`SearchPrefix`]: a case-insensitive prefix of the address or the name,
/// trimmed, never matching in the middle, with `%` and `_` matching only themselves.
pub async fn user_search_matches_a_prefix_of_the_address_or_the_name(store: &StoreUnderTest) {
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let mut ada = fixtures::user(Email::from_trusted(format!("ada{tag}@example.com")));
    ada.profile.name = Some(format!("Lovelace{tag}"));
    let bob = fixtures::user(Email::from_trusted(format!("bob{tag}@example.com")));
    let mut eve = fixtures::user(Email::from_trusted(format!("eve{tag}@example.com")));
    eve.profile.name = Some(format!("Ada{tag}"));
    let made = vec![ada.clone(), bob.clone(), eve.clone()];
    for user in &made {
        insert(store, user, &[]).await.unwrap();
    }
    let search = |query: String| UserFilter { query: Some(query), limit: 10, ..UserFilter::default() };
    let upper = tag.to_uppercase();
    for (query, expected) in [
        (format!("ADA{upper}"), vec![ada.id, eve.id]),
        (format!("lovelace{tag}"), vec![ada.id]),
        (format!("LoveLace{upper}"), vec![ada.id]),
        (format!("  bob{tag}  "), vec![bob.id]),
        (format!("ada{tag}@EXAMPLE"), vec![ada.id]),
        (format!("da{tag}"), vec![]),
        (format!("velace{tag}"), vec![]),
        ("example.com".to_owned(), vec![]),
        (format!("%{tag}"), vec![]),
        (format!("_da{tag}"), vec![]),
        (format!("ada{tag}%"), vec![]),
    ] {
        let mut expected = expected;
        expected.sort();
        assert_eq!(listed_as_the_rule_says(store, &made, search(query.clone())).await, expected, "{query:?}");
    }
}
