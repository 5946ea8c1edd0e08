//! Service clients: [`ServiceClientRepository`](crate::ports::ServiceClientRepository) and the
//! [`ServiceClientWrites`](crate::ports::ServiceClientWrites) of a transaction.

use chrono::Duration;

use super::{StoreUnderTest, in_tx};
use crate::domain::{ClientSecret, ServiceClient, TokenDigest};
use crate::ports::PageRequest;
use crate::testkit::fixtures;

fn client(name: &str) -> ServiceClient {
    let now = fixtures::now();
    ServiceClient {
        id: uuid::Uuid::now_v7(),
        name: name.to_owned(),
        scopes: ["tokens:introspect".to_owned(), "users:read".to_owned()].into_iter().collect(),
        secrets: vec![ClientSecret {
            id: uuid::Uuid::now_v7(),
            digest: TokenDigest([7; 32]),
            created_at: now,
            expires_at: None,
        }],
        created_at: now,
        updated_at: now,
        revoked_at: None,
    }
}

pub async fn service_clients_are_inserted_found_and_updated(store: &StoreUnderTest) {
    let mut billing = client("billing");
    assert_eq!(store.service_clients.find_service_client(billing.id).await.unwrap(), None);
    // Rolled back: nothing stored.
    let mut tx = store.uow.begin().await.unwrap();
    tx.service_clients().insert_service_client(&billing).await.unwrap();
    drop(tx);
    assert_eq!(store.service_clients.find_service_client(billing.id).await.unwrap(), None);

    in_tx(store, async |tx| tx.service_clients().insert_service_client(&billing).await.unwrap()).await;
    assert_eq!(store.service_clients.find_service_client(billing.id).await.unwrap(), Some(billing.clone()));

    // Every field but the id and the creation time is written back, secrets in order.
    let later = fixtures::now() + Duration::minutes(3);
    let mut changed = billing.clone();
    changed.name = "billing-v2".into();
    changed.scopes = ["settings:read:ai".to_owned()].into_iter().collect();
    changed.secrets[0].expires_at = Some(later + Duration::hours(1));
    changed.secrets.insert(
        0,
        ClientSecret { id: uuid::Uuid::now_v7(), digest: TokenDigest([9; 32]), created_at: later, expires_at: None },
    );
    changed.updated_at = later;
    changed.revoked_at = Some(later);
    changed.created_at = later;
    in_tx(store, async |tx| {
        let locked = tx.service_clients().lock_service_client(billing.id).await.unwrap();
        assert_eq!(locked, Some(billing.clone()));
        tx.service_clients().update_service_client(&changed).await.unwrap();
    })
    .await;
    billing = ServiceClient { created_at: billing.created_at, ..changed };
    assert_eq!(store.service_clients.find_service_client(billing.id).await.unwrap(), Some(billing));
    let mut tx = store.uow.begin().await.unwrap();
    assert_eq!(tx.service_clients().lock_service_client(uuid::Uuid::now_v7()).await.unwrap(), None);
}

pub async fn service_clients_are_listed_newest_first(store: &StoreUnderTest) {
    let clients: Vec<ServiceClient> = (0..3).map(|i| client(&format!("client-{i}"))).collect();
    for c in &clients {
        in_tx(store, async |tx| tx.service_clients().insert_service_client(c).await.unwrap()).await;
    }
    // Other tests' clients may share the store: look at ours only, from the newest down.
    let newest = clients[2].id;
    let after = uuid::Uuid::from_u128(newest.as_u128() + 1);
    let page = store.service_clients.list_service_clients(PageRequest { limit: 2, after: Some(after) }).await.unwrap();
    assert_eq!(page.iter().map(|c| c.id).collect::<Vec<_>>(), vec![clients[2].id, clients[1].id]);
    let next = PageRequest { limit: 2, after: Some(clients[1].id) };
    let page = store.service_clients.list_service_clients(next).await.unwrap();
    assert_eq!(page.first().map(|c| c.id), Some(clients[0].id));
    let all = store.service_clients.list_service_clients(PageRequest { limit: 1000, after: None }).await.unwrap();
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "newest first");
}
