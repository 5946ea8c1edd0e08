//! Admin settings: [`SettingsRepository`](crate::ports::SettingsRepository) and the
//! [`SettingsWrites`](crate::ports::SettingsWrites) of a transaction.

use chrono::Duration;

use super::{StoreUnderTest, in_tx, insert};
use crate::testkit::fixtures::{self, unique_email};

pub async fn settings_are_stored_locked_and_replaced(store: &StoreUnderTest) {
    use crate::domain::settings::{SealedSecret, StoredSettings};
    let admin = fixtures::user(unique_email());
    insert(store, &admin, &[]).await.unwrap();
    assert_eq!(store.settings.get_settings("ai").await.unwrap(), None);
    // Locking before the first write stores nothing by itself.
    let mut tx = store.uow.begin().await.unwrap();
    assert_eq!(tx.settings().lock_settings("ai").await.unwrap(), StoredSettings::default());
    drop(tx);
    assert_eq!(store.settings.get_settings("ai").await.unwrap(), None);

    let mut stored = StoredSettings::default();
    stored.values.insert("model".into(), serde_json::json!("gpt-4.1"));
    stored.values.insert("max".into(), serde_json::json!(25));
    stored.secrets.insert("api_key".into(), SealedSecret { sealed: "v1.kid.body".into(), hint: "sk-…abcd".into() });
    stored.updated_at = Some(fixtures::now());
    stored.updated_by = Some(admin.id);
    in_tx(store, async |tx| {
        assert_eq!(tx.settings().lock_settings("ai").await.unwrap(), StoredSettings::default());
        tx.settings().put_settings("ai", &stored).await.unwrap();
    })
    .await;
    assert_eq!(store.settings.get_settings("ai").await.unwrap(), Some(stored.clone()));
    assert_eq!(store.settings.get_settings("documents").await.unwrap(), None);

    let mut replaced = stored.clone();
    replaced.secrets.clear();
    replaced.values.remove("max");
    replaced.updated_at = Some(fixtures::now() + Duration::seconds(5));
    let mut tx = store.uow.begin().await.unwrap();
    assert_eq!(tx.settings().lock_settings("ai").await.unwrap(), stored);
    tx.settings().put_settings("ai", &replaced).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.settings.get_settings("ai").await.unwrap(), Some(replaced));
}
