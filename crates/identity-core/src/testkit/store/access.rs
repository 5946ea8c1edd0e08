//! Groups, memberships and app grants: [`AccessRepository`] and the [`AccessWrites`] of a
//! transaction.

use chrono::Duration;

use super::{StoreUnderTest, in_tx, insert};
use crate::domain::*;
use crate::ports::*;
use crate::testkit::fixtures::{self, unique_email};

fn group(name: &str) -> Group {
    let now = fixtures::now();
    Group {
        id: GroupId::from_uuid(uuid::Uuid::now_v7()),
        name: GroupName::parse(name).unwrap(),
        description: Some("a test group".into()),
        created_at: now,
        updated_at: now,
    }
}

pub async fn groups_are_created_renamed_listed_and_deleted(store: &StoreUnderTest) {
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let made: Vec<Group> = ["a", "b", "c"].iter().map(|n| group(&format!("Team{tag} {n}"))).collect();
    for g in &made {
        in_tx(store, async |tx| tx.access().insert_group(g).await.unwrap()).await;
    }
    assert_eq!(store.access.find_group(made[0].id).await.unwrap().as_ref(), Some(&made[0]));

    // Names are unique whatever their case; the refused insert writes nothing.
    let twin = group(&made[1].name.as_str().to_uppercase());
    let mut tx = store.uow.begin().await.unwrap();
    assert!(matches!(tx.access().insert_group(&twin).await, Err(RepoError::Conflict(Conflict::GroupName))));
    drop(tx);
    assert_eq!(store.access.find_group(twin.id).await.unwrap(), None);

    let page = |limit, after| PageRequest { limit, after };
    let prefix = format!("team{tag}");
    let ids = |groups: Vec<Group>| groups.into_iter().map(|g| g.id).collect::<Vec<_>>();
    let all = store.access.list_groups(Some(&prefix), page(10, None)).await.unwrap();
    assert_eq!(ids(all), vec![made[0].id, made[1].id, made[2].id]);
    let first = store.access.list_groups(Some(&prefix), page(2, None)).await.unwrap();
    assert_eq!(ids(first), vec![made[0].id, made[1].id]);
    let rest = store.access.list_groups(Some(&prefix), page(2, Some(made[1].id.as_uuid()))).await.unwrap();
    assert_eq!(ids(rest), vec![made[2].id]);
    assert!(store.access.list_groups(Some("no such prefix %"), page(10, None)).await.unwrap().is_empty());

    let mut renamed = made[2].clone();
    renamed.name = GroupName::parse(&format!("Renamed{tag}")).unwrap();
    renamed.description = None;
    renamed.updated_at = fixtures::now() + Duration::seconds(1);
    let mut tx = store.uow.begin().await.unwrap();
    assert_eq!(tx.access().lock_group(renamed.id).await.unwrap().as_ref(), Some(&made[2]));
    tx.access().update_group(&renamed).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.access.find_group(renamed.id).await.unwrap(), Some(renamed.clone()));
    let mut clash = renamed.clone();
    clash.name = GroupName::parse(&made[0].name.as_str().to_lowercase()).unwrap();
    let mut tx = store.uow.begin().await.unwrap();
    assert!(matches!(tx.access().update_group(&clash).await, Err(RepoError::Conflict(Conflict::GroupName))));
    drop(tx);

    assert!(in_tx(store, async |tx| tx.access().delete_group(made[0].id).await.unwrap()).await);
    assert!(!in_tx(store, async |tx| tx.access().delete_group(made[0].id).await.unwrap()).await);
    assert_eq!(store.access.find_group(made[0].id).await.unwrap(), None);
}

pub async fn memberships_and_grants_reach_their_users(store: &StoreUnderTest) {
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let mut ada = fixtures::user(unique_email());
    ada.profile.name = Some("Ada".into());
    let bob = fixtures::user(unique_email());
    insert(store, &ada, &[]).await.unwrap();
    insert(store, &bob, &[]).await.unwrap();
    let editors = group(&format!("Editors{tag}"));
    let readers = group(&format!("Readers{tag}"));
    let at = fixtures::now();
    in_tx(store, async |tx| {
        tx.access().insert_group(&editors).await.unwrap();
        tx.access().insert_group(&readers).await.unwrap();
        assert!(tx.access().add_member(editors.id, ada.id, at).await.unwrap());
        assert!(!tx.access().add_member(editors.id, ada.id, at).await.unwrap(), "already a member");
        assert!(tx.access().add_member(readers.id, ada.id, at).await.unwrap());
        assert!(tx.access().add_member(editors.id, bob.id, at).await.unwrap());
    })
    .await;
    // A rolled-back membership leaves nothing.
    let mut tx = store.uow.begin().await.unwrap();
    assert!(tx.access().add_member(readers.id, bob.id, at).await.unwrap());
    drop(tx);
    let members = store.access.list_members(editors.id, PageRequest { limit: 10, after: None }).await.unwrap();
    let mut expected = vec![ada.id, bob.id];
    expected.sort();
    assert_eq!(members.iter().map(|m| m.user_id).collect::<Vec<_>>(), expected);
    let ada_row = members.iter().find(|m| m.user_id == ada.id).unwrap();
    assert_eq!(
        (&ada_row.email, ada_row.name.as_deref(), ada_row.status),
        (&ada.email, Some("Ada"), UserStatus::Active)
    );
    let after = PageRequest { limit: 10, after: Some(expected[0].as_uuid()) };
    assert_eq!(store.access.list_members(editors.id, after).await.unwrap().len(), 1);
    let names = |groups: Vec<Group>| groups.into_iter().map(|g| g.name).collect::<Vec<_>>();
    assert_eq!(names(store.access.groups_of(ada.id).await.unwrap()), vec![editors.name.clone(), readers.name.clone()]);
    assert_eq!(names(store.access.groups_of(bob.id).await.unwrap()), vec![editors.name.clone()]);

    let grant = |key: &str, grantee| AppGrant {
        app_key: AppKey::parse(key).unwrap(),
        grantee,
        granted_at: at,
        granted_by: Some(bob.id),
    };
    in_tx(store, async |tx| {
        assert!(tx.access().grant_app(&grant("docs", Grantee::User(ada.id))).await.unwrap());
        assert!(tx.access().grant_app(&grant("chat", Grantee::Group(editors.id))).await.unwrap());
        assert!(!tx.access().grant_app(&grant("chat", Grantee::Group(editors.id))).await.unwrap(), "granted twice");
        assert!(
            tx.access().grant_app(&grant("chat", Grantee::User(ada.id))).await.unwrap(),
            "user and group are distinct"
        );
        assert!(tx.access().grant_app(&grant("wiki", Grantee::Group(readers.id))).await.unwrap());
    })
    .await;
    let grants = store.access.grants_of(&[Grantee::User(ada.id), Grantee::Group(editors.id)]).await.unwrap();
    let keys: Vec<&str> = grants.iter().map(|g| g.app_key.as_str()).collect();
    assert_eq!(keys, ["chat", "chat", "docs"]);
    assert!(grants.iter().all(|g| g.granted_by == Some(bob.id)));
    assert!(store.access.grants_of(&[Grantee::User(bob.id)]).await.unwrap().is_empty());

    let mut ids = in_tx(store, async |tx| tx.access().member_ids(editors.id).await.unwrap()).await;
    ids.sort();
    assert_eq!(ids, expected);
    in_tx(store, async |tx| {
        assert!(tx.access().revoke_app(Grantee::Group(editors.id), &AppKey::parse("chat").unwrap()).await.unwrap());
        assert!(!tx.access().revoke_app(Grantee::Group(editors.id), &AppKey::parse("chat").unwrap()).await.unwrap());
        assert!(tx.access().remove_member(editors.id, bob.id).await.unwrap());
        assert!(!tx.access().remove_member(editors.id, bob.id).await.unwrap());
    })
    .await;
    let left = store.access.grants_of(&[Grantee::User(ada.id), Grantee::Group(editors.id)]).await.unwrap();
    assert_eq!(left.iter().map(|g| g.app_key.as_str()).collect::<Vec<_>>(), ["chat", "docs"]);
    assert!(store.access.groups_of(bob.id).await.unwrap().is_empty());

    // Deleting a group takes its memberships and grants with it.
    in_tx(store, async |tx| assert!(tx.access().delete_group(readers.id).await.unwrap())).await;
    assert!(store.access.grants_of(&[Grantee::Group(readers.id)]).await.unwrap().is_empty());
    assert_eq!(names(store.access.groups_of(ada.id).await.unwrap()), vec![editors.name.clone()]);
}

/// Group names are searched like users ([`SearchPrefix`]): a case-insensitive prefix, never
/// in the middle, wildcards literal.
pub async fn group_search_matches_a_prefix_of_the_name(store: &StoreUnderTest) {
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let alpha = group(&format!("Alpha{tag}"));
    let beta = group(&format!("Beta{tag} alpha{tag}"));
    for g in [&alpha, &beta] {
        in_tx(store, async |tx| tx.access().insert_group(g).await.unwrap()).await;
    }
    let page = PageRequest { limit: 10, after: None };
    for (query, expected) in [
        (format!(" ALPHA{} ", tag.to_uppercase()), vec![alpha.id]),
        (format!("beta{tag} A"), vec![beta.id]),
        (format!("lpha{tag}"), vec![]),
        (format!("%{tag}"), vec![]),
        (format!("_lpha{tag}"), vec![]),
    ] {
        let found: Vec<GroupId> =
            store.access.list_groups(Some(&query), page).await.unwrap().into_iter().map(|g| g.id).collect();
        assert_eq!(found, expected, "{query:?}");
        let search = SearchPrefix::parse(&query).unwrap();
        assert!(
            [&alpha, &beta].iter().all(|g| search.matches(g.name.as_str()) == expected.contains(&g.id)),
            "{query:?}"
        );
    }
}

/// Group names are one name whatever their case, by core's folding ([`GroupName::key`]):
/// a name whose key another group holds is refused, even in letters beyond ASCII, a group
/// may change the case of its own name, and a user's groups come sorted by key (ASCII names
/// here: how a store orders other letters is its collation's business).
pub async fn group_names_are_unique_and_sorted_by_their_folded_key(store: &StoreUnderTest) {
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let made: Vec<Group> =
        [format!("Bravo{tag}"), format!("ärzte{tag}"), format!("alpha{tag}"), format!("Charlie{tag}")]
            .iter()
            .map(|n| group(n))
            .collect();
    for g in &made {
        in_tx(store, async |tx| tx.access().insert_group(g).await.unwrap()).await;
    }
    for twin in [format!("ÄRZTE{tag}"), format!("BRAVO{}", tag.to_uppercase())] {
        let twin = group(&twin);
        assert!(made.iter().any(|g| g.name.key() == twin.name.key()));
        let mut tx = store.uow.begin().await.unwrap();
        assert!(
            matches!(tx.access().insert_group(&twin).await, Err(RepoError::Conflict(Conflict::GroupName))),
            "{twin:?}"
        );
    }
    let mut recased = made[0].clone();
    recased.name = GroupName::parse(&made[0].name.as_str().to_uppercase()).unwrap();
    in_tx(store, async |tx| tx.access().update_group(&recased).await.unwrap()).await;
    assert_eq!(store.access.find_group(recased.id).await.unwrap(), Some(recased.clone()));

    let user = fixtures::user(unique_email());
    insert(store, &user, &[]).await.unwrap();
    let at = fixtures::now();
    let ascii = [&recased, &made[2], &made[3]];
    in_tx(store, async |tx| {
        for g in ascii {
            tx.access().add_member(g.id, user.id, at).await.unwrap();
        }
    })
    .await;
    let listed: Vec<GroupId> = store.access.groups_of(user.id).await.unwrap().into_iter().map(|g| g.id).collect();
    let mut expected = ascii.to_vec();
    expected.sort_by_key(|g| g.name.key());
    assert_eq!(listed, expected.iter().map(|g| g.id).collect::<Vec<_>>(), "alpha, BRAVO, Charlie");
}
