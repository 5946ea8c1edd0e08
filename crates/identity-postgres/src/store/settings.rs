//! Admin settings on PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use identity_core::UserId;
use identity_core::ports::{RepoError, SettingsRepository, SettingsWrites};
use identity_core::settings::{SealedSecret, StoredSettings};
use uuid::Uuid;

use super::{Conn, PgStore, PgTransaction};
use crate::errors::repo_error;
use crate::schema::settings;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = settings, check_for_backend(diesel::pg::Pg), treat_none_as_null = true)]
struct SettingsRow {
    namespace: String,
    value: serde_json::Value,
    secrets: serde_json::Value,
    updated_at: DateTime<Utc>,
    updated_by: Option<Uuid>,
}

impl SettingsRow {
    fn into_domain(self) -> Result<StoredSettings, RepoError> {
        let broken = |what: &str| RepoError::Unknown(anyhow::anyhow!("settings {:?}: {what}", self.namespace));
        let serde_json::Value::Object(values) = self.value.clone() else {
            return Err(broken("value is not an object"));
        };
        let serde_json::Value::Object(stored) = self.secrets.clone() else {
            return Err(broken("secrets is not an object"));
        };
        let mut secrets = std::collections::BTreeMap::new();
        for (field, entry) in stored {
            let sealed = entry
                .get("sealed")
                .and_then(serde_json::Value::as_str)
                .ok_or_else(|| broken("a secret has no sealed value"))?;
            let hint = entry.get("hint").and_then(serde_json::Value::as_str).unwrap_or("…");
            secrets.insert(field, SealedSecret { sealed: sealed.to_owned(), hint: hint.to_owned() });
        }
        Ok(StoredSettings {
            values,
            secrets,
            updated_at: Some(self.updated_at),
            updated_by: self.updated_by.map(UserId::from_uuid),
        })
    }
}

async fn get_settings(conn: &mut Conn, namespace: &str, lock: bool) -> Result<Option<StoredSettings>, RepoError> {
    let query = settings::table.find(namespace).select(SettingsRow::as_select());
    let row = if lock { query.for_update().first(conn).await.optional() } else { query.first(conn).await.optional() };
    row.map_err(repo_error)?.map(SettingsRow::into_domain).transpose()
}

async fn lock_settings(conn: &mut Conn, namespace: &str) -> Result<StoredSettings, RepoError> {
    // A row to lock even before the first write (rolled back with the transaction when
    // nothing is written).
    let created = diesel::insert_into(settings::table)
        .values(settings::namespace.eq(namespace))
        .on_conflict_do_nothing()
        .execute(conn)
        .await
        .map_err(repo_error)?;
    if created == 1 {
        // Our own new row is ours alone until commit; nothing is stored yet.
        return Ok(StoredSettings::default());
    }
    Ok(get_settings(conn, namespace, true).await?.unwrap_or_default())
}

async fn put_settings(conn: &mut Conn, namespace: &str, stored: &StoredSettings) -> Result<(), RepoError> {
    let secrets: serde_json::Map<String, serde_json::Value> = stored
        .secrets
        .iter()
        .map(|(field, s)| (field.clone(), serde_json::json!({ "sealed": s.sealed, "hint": s.hint })))
        .collect();
    let row = SettingsRow {
        namespace: namespace.to_owned(),
        value: serde_json::Value::Object(stored.values.clone()),
        secrets: serde_json::Value::Object(secrets),
        updated_at: stored.updated_at.unwrap_or_else(Utc::now),
        updated_by: stored.updated_by.map(|u| u.as_uuid()),
    };
    diesel::insert_into(settings::table)
        .values(&row)
        .on_conflict(settings::namespace)
        .do_update()
        .set(&row)
        .execute(conn)
        .await
        .map_err(repo_error)?;
    Ok(())
}

#[async_trait]
impl SettingsRepository for PgStore {
    async fn get_settings(
        &self,
        namespace: &str,
    ) -> Result<Option<identity_core::settings::StoredSettings>, RepoError> {
        get_settings(&mut self.conn().await?, namespace, false).await
    }
}

#[async_trait]
impl SettingsWrites for PgTransaction {
    async fn lock_settings(&mut self, namespace: &str) -> Result<identity_core::settings::StoredSettings, RepoError> {
        lock_settings(self.conn()?, namespace).await
    }

    async fn put_settings(
        &mut self,
        namespace: &str,
        settings: &identity_core::settings::StoredSettings,
    ) -> Result<(), RepoError> {
        put_settings(self.conn()?, namespace, settings).await
    }
}
