//! Groups, memberships, app grants and admin settings on PostgreSQL.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use identity_core::ports::{PageRequest, RepoError};
use identity_core::settings::{SealedSecret, StoredSettings};
use identity_core::{AppGrant, AppKey, Email, Grantee, Group, GroupId, GroupMember, UserId, UserStatus};
use uuid::Uuid;

use crate::errors::repo_error;
use crate::models::CiText;
use crate::schema::{app_permissions, group_memberships, groups, settings, user_profiles, users};
use crate::store::Conn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = groups, check_for_backend(diesel::pg::Pg), treat_none_as_null = true)]
struct GroupRow {
    id: Uuid,
    name: CiText,
    description: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl GroupRow {
    fn from_domain(group: &Group) -> Self {
        Self {
            id: group.id.as_uuid(),
            name: CiText(group.name.clone()),
            description: group.description.clone(),
            created_at: group.created_at,
            updated_at: group.updated_at,
        }
    }

    fn into_domain(self) -> Group {
        Group {
            id: GroupId::from_uuid(self.id),
            name: self.name.0,
            description: self.description,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = app_permissions, check_for_backend(diesel::pg::Pg))]
struct GrantRow {
    id: Uuid,
    app_key: String,
    user_id: Option<Uuid>,
    group_id: Option<Uuid>,
    granted_at: DateTime<Utc>,
    granted_by: Option<Uuid>,
}

impl GrantRow {
    fn into_domain(self) -> Result<AppGrant, RepoError> {
        let grantee = match (self.user_id, self.group_id) {
            (Some(user), None) => Grantee::User(UserId::from_uuid(user)),
            (None, Some(group)) => Grantee::Group(GroupId::from_uuid(group)),
            _ => return Err(RepoError::Unknown(anyhow::anyhow!("grant {} has no single grantee", self.id))),
        };
        let app_key = AppKey::parse(&self.app_key)
            .map_err(|e| RepoError::Unknown(anyhow::anyhow!("stored app key {:?}: {}", self.app_key, e.message)))?;
        Ok(AppGrant {
            app_key,
            grantee,
            granted_at: self.granted_at,
            granted_by: self.granted_by.map(UserId::from_uuid),
        })
    }
}

fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn escape_like(raw: &str) -> String {
    raw.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

pub async fn find_group(conn: &mut Conn, id: GroupId, lock: bool) -> Result<Option<Group>, RepoError> {
    let query = groups::table.find(id.as_uuid()).select(GroupRow::as_select());
    let row = if lock { query.for_update().first(conn).await.optional() } else { query.first(conn).await.optional() };
    Ok(row.map_err(repo_error)?.map(GroupRow::into_domain))
}

pub async fn list_groups(conn: &mut Conn, query: Option<&str>, page: PageRequest) -> Result<Vec<Group>, RepoError> {
    let mut select =
        groups::table.select(GroupRow::as_select()).order(groups::id.asc()).limit(limit(page.limit)).into_boxed();
    if let Some(after) = page.after {
        select = select.filter(groups::id.gt(after));
    }
    if let Some(prefix) = query.map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = format!("{}%", escape_like(prefix));
        select = select.filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("groups.name::text ILIKE ")
                .bind::<diesel::sql_types::Text, _>(pattern),
        );
    }
    let rows = select.load(conn).await.map_err(repo_error)?;
    Ok(rows.into_iter().map(GroupRow::into_domain).collect())
}

type MemberRow = (Uuid, CiText, String, Option<String>, DateTime<Utc>);

pub async fn list_members(conn: &mut Conn, group: GroupId, page: PageRequest) -> Result<Vec<GroupMember>, RepoError> {
    let mut select = group_memberships::table
        .inner_join(users::table)
        .left_join(user_profiles::table.on(user_profiles::user_id.eq(group_memberships::user_id)))
        .filter(group_memberships::group_id.eq(group.as_uuid()))
        .select((users::id, users::email, users::status, user_profiles::name.nullable(), group_memberships::added_at))
        .order(users::id.asc())
        .limit(limit(page.limit))
        .into_boxed();
    if let Some(after) = page.after {
        select = select.filter(users::id.gt(after));
    }
    let rows: Vec<MemberRow> = select.load(conn).await.map_err(repo_error)?;
    rows.into_iter()
        .map(|(id, email, status, name, added_at)| {
            let email = Email::parse(&email.0)
                .map_err(|e| RepoError::Unknown(anyhow::anyhow!("stored email of {id}: {}", e.message)))?;
            let status = status
                .parse::<UserStatus>()
                .map_err(|_| RepoError::Unknown(anyhow::anyhow!("stored status {status:?} of {id}")))?;
            Ok(GroupMember { user_id: UserId::from_uuid(id), email, name, status, added_at })
        })
        .collect()
}

pub async fn groups_of(conn: &mut Conn, user: UserId) -> Result<Vec<Group>, RepoError> {
    let rows = groups::table
        .inner_join(group_memberships::table)
        .filter(group_memberships::user_id.eq(user.as_uuid()))
        .select(GroupRow::as_select())
        .order(groups::name.asc())
        .load(conn)
        .await
        .map_err(repo_error)?;
    Ok(rows.into_iter().map(GroupRow::into_domain).collect())
}

pub async fn grants_of(conn: &mut Conn, grantees: &[Grantee]) -> Result<Vec<AppGrant>, RepoError> {
    let (mut user_ids, mut group_ids) = (Vec::new(), Vec::new());
    for grantee in grantees {
        match grantee {
            Grantee::User(id) => user_ids.push(id.as_uuid()),
            Grantee::Group(id) => group_ids.push(id.as_uuid()),
        }
    }
    let rows: Vec<GrantRow> = app_permissions::table
        .filter(app_permissions::user_id.eq_any(user_ids).or(app_permissions::group_id.eq_any(group_ids)))
        .select(GrantRow::as_select())
        .order((app_permissions::app_key.asc(), app_permissions::id.asc()))
        .load(conn)
        .await
        .map_err(repo_error)?;
    rows.into_iter().map(GrantRow::into_domain).collect()
}

pub async fn insert_group(conn: &mut Conn, group: &Group) -> Result<(), RepoError> {
    diesel::insert_into(groups::table).values(GroupRow::from_domain(group)).execute(conn).await.map_err(repo_error)?;
    Ok(())
}

pub async fn update_group(conn: &mut Conn, group: &Group) -> Result<(), RepoError> {
    let updated = diesel::update(groups::table.find(group.id.as_uuid()))
        .set(GroupRow::from_domain(group))
        .execute(conn)
        .await
        .map_err(repo_error)?;
    if updated != 1 {
        return Err(RepoError::Unknown(anyhow::anyhow!("no group {} to update", group.id)));
    }
    Ok(())
}

pub async fn delete_group(conn: &mut Conn, id: GroupId) -> Result<bool, RepoError> {
    // Memberships and grants go with it (ON DELETE CASCADE).
    let deleted = diesel::delete(groups::table.find(id.as_uuid())).execute(conn).await.map_err(repo_error)?;
    Ok(deleted == 1)
}

pub async fn member_ids(conn: &mut Conn, group: GroupId) -> Result<Vec<UserId>, RepoError> {
    let ids: Vec<Uuid> = group_memberships::table
        .filter(group_memberships::group_id.eq(group.as_uuid()))
        .select(group_memberships::user_id)
        .order(group_memberships::user_id.asc())
        .load(conn)
        .await
        .map_err(repo_error)?;
    Ok(ids.into_iter().map(UserId::from_uuid).collect())
}

pub async fn add_member(conn: &mut Conn, group: GroupId, user: UserId, at: DateTime<Utc>) -> Result<bool, RepoError> {
    let added = diesel::insert_into(group_memberships::table)
        .values((
            group_memberships::group_id.eq(group.as_uuid()),
            group_memberships::user_id.eq(user.as_uuid()),
            group_memberships::added_at.eq(at),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await
        .map_err(repo_error)?;
    Ok(added == 1)
}

pub async fn remove_member(conn: &mut Conn, group: GroupId, user: UserId) -> Result<bool, RepoError> {
    let removed = diesel::delete(group_memberships::table.find((group.as_uuid(), user.as_uuid())))
        .execute(conn)
        .await
        .map_err(repo_error)?;
    Ok(removed == 1)
}

pub async fn grant_app(conn: &mut Conn, grant: &AppGrant) -> Result<bool, RepoError> {
    let (user_id, group_id) = match grant.grantee {
        Grantee::User(user) => (Some(user.as_uuid()), None),
        Grantee::Group(group) => (None, Some(group.as_uuid())),
    };
    // The partial unique indexes (grantee, app_key) make a repeated grant a no-op.
    let inserted = diesel::insert_into(app_permissions::table)
        .values((
            app_permissions::app_key.eq(grant.app_key.as_str()),
            app_permissions::user_id.eq(user_id),
            app_permissions::group_id.eq(group_id),
            app_permissions::granted_at.eq(grant.granted_at),
            app_permissions::granted_by.eq(grant.granted_by.map(|u| u.as_uuid())),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await
        .map_err(repo_error)?;
    Ok(inserted == 1)
}

pub async fn revoke_app(conn: &mut Conn, grantee: Grantee, app: &AppKey) -> Result<bool, RepoError> {
    let for_app = app_permissions::app_key.eq(app.as_str());
    let deleted = match grantee {
        Grantee::User(user) => {
            diesel::delete(app_permissions::table.filter(for_app.and(app_permissions::user_id.eq(user.as_uuid()))))
                .execute(conn)
                .await
        }
        Grantee::Group(group) => {
            diesel::delete(app_permissions::table.filter(for_app.and(app_permissions::group_id.eq(group.as_uuid()))))
                .execute(conn)
                .await
        }
    }
    .map_err(repo_error)?;
    Ok(deleted > 0)
}

/// Serialises changes of the admin set for the rest of the transaction, then counts the
/// active admins (fresh: READ COMMITTED takes a new snapshot per statement).
pub async fn count_active_admins(conn: &mut Conn) -> Result<usize, RepoError> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::Int8)]
        n: i64,
    }
    // An arbitrary, fixed key of this service's advisory locks: "admin" in ASCII.
    diesel::sql_query("SELECT pg_advisory_xact_lock(418430053742)").execute(conn).await.map_err(repo_error)?;
    let count: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM users u JOIN user_roles ur ON ur.user_id = u.id JOIN roles r ON r.id = ur.role_id \
         WHERE r.name = 'admin' AND u.status = 'active'",
    )
    .get_result(conn)
    .await
    .map_err(repo_error)?;
    Ok(usize::try_from(count.n).unwrap_or(0))
}

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

pub async fn get_settings(conn: &mut Conn, namespace: &str, lock: bool) -> Result<Option<StoredSettings>, RepoError> {
    let query = settings::table.find(namespace).select(SettingsRow::as_select());
    let row = if lock { query.for_update().first(conn).await.optional() } else { query.first(conn).await.optional() };
    row.map_err(repo_error)?.map(SettingsRow::into_domain).transpose()
}

pub async fn lock_settings(conn: &mut Conn, namespace: &str) -> Result<StoredSettings, RepoError> {
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

pub async fn put_settings(conn: &mut Conn, namespace: &str, stored: &StoredSettings) -> Result<(), RepoError> {
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
