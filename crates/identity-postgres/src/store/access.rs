//! Groups, memberships and app grants on PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use identity_core::ports::{AccessRepository, AccessWrites, PageRequest, RepoError};
use identity_core::{
    AppGrant, AppKey, Email, Grantee, Group, GroupId, GroupMember, GroupName, SearchPrefix, UserId, UserStatus,
};
use uuid::Uuid;

use super::{Conn, PgStore, PgTransaction, like_prefix, limit};
use crate::errors::repo_error;
use crate::models::CiText;
use crate::schema::{app_permissions, group_memberships, groups, user_profiles, users};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = groups, check_for_backend(diesel::pg::Pg), treat_none_as_null = true)]
struct GroupRow {
    id: Uuid,
    name: String,
    /// `GroupName::key`, unique (`groups_name_key`): the adapter stores core's folding.
    name_key: String,
    description: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl GroupRow {
    fn from_domain(group: &Group) -> Self {
        Self {
            id: group.id.as_uuid(),
            name: group.name.as_str().to_owned(),
            name_key: group.name.key(),
            description: group.description.clone(),
            created_at: group.created_at,
            updated_at: group.updated_at,
        }
    }

    fn into_domain(self) -> Group {
        Group {
            id: GroupId::from_uuid(self.id),
            name: GroupName::from_trusted(self.name),
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

async fn find_group(conn: &mut Conn, id: GroupId, lock: bool) -> Result<Option<Group>, RepoError> {
    let query = groups::table.find(id.as_uuid()).select(GroupRow::as_select());
    let row = if lock { query.for_update().first(conn).await.optional() } else { query.first(conn).await.optional() };
    Ok(row.map_err(repo_error)?.map(GroupRow::into_domain))
}

async fn list_groups(conn: &mut Conn, query: Option<&str>, page: PageRequest) -> Result<Vec<Group>, RepoError> {
    let mut select =
        groups::table.select(GroupRow::as_select()).order(groups::id.asc()).limit(limit(page.limit)).into_boxed();
    if let Some(after) = page.after {
        select = select.filter(groups::id.gt(after));
    }
    if let Some(search) = query.and_then(SearchPrefix::parse) {
        let pattern = like_prefix(&search);
        select = select.filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("groups.name ILIKE ")
                .bind::<diesel::sql_types::Text, _>(pattern),
        );
    }
    let rows = select.load(conn).await.map_err(repo_error)?;
    Ok(rows.into_iter().map(GroupRow::into_domain).collect())
}

type MemberRow = (Uuid, CiText, String, Option<String>, DateTime<Utc>);

async fn list_members(conn: &mut Conn, group: GroupId, page: PageRequest) -> Result<Vec<GroupMember>, RepoError> {
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

async fn groups_of(conn: &mut Conn, user: UserId) -> Result<Vec<Group>, RepoError> {
    let rows = groups::table
        .inner_join(group_memberships::table)
        .filter(group_memberships::user_id.eq(user.as_uuid()))
        .select(GroupRow::as_select())
        // By name, as core sorts names: by their key.
        .order(groups::name_key.asc())
        .load(conn)
        .await
        .map_err(repo_error)?;
    Ok(rows.into_iter().map(GroupRow::into_domain).collect())
}

async fn grants_of(conn: &mut Conn, grantees: &[Grantee]) -> Result<Vec<AppGrant>, RepoError> {
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

async fn insert_group(conn: &mut Conn, group: &Group) -> Result<(), RepoError> {
    diesel::insert_into(groups::table).values(GroupRow::from_domain(group)).execute(conn).await.map_err(repo_error)?;
    Ok(())
}

async fn update_group(conn: &mut Conn, group: &Group) -> Result<(), RepoError> {
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

async fn delete_group(conn: &mut Conn, id: GroupId) -> Result<bool, RepoError> {
    // Memberships and grants go with it (ON DELETE CASCADE).
    let deleted = diesel::delete(groups::table.find(id.as_uuid())).execute(conn).await.map_err(repo_error)?;
    Ok(deleted == 1)
}

async fn member_ids(conn: &mut Conn, group: GroupId) -> Result<Vec<UserId>, RepoError> {
    let ids: Vec<Uuid> = group_memberships::table
        .filter(group_memberships::group_id.eq(group.as_uuid()))
        .select(group_memberships::user_id)
        .order(group_memberships::user_id.asc())
        .load(conn)
        .await
        .map_err(repo_error)?;
    Ok(ids.into_iter().map(UserId::from_uuid).collect())
}

async fn add_member(conn: &mut Conn, group: GroupId, user: UserId, at: DateTime<Utc>) -> Result<bool, RepoError> {
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

async fn remove_member(conn: &mut Conn, group: GroupId, user: UserId) -> Result<bool, RepoError> {
    let removed = diesel::delete(group_memberships::table.find((group.as_uuid(), user.as_uuid())))
        .execute(conn)
        .await
        .map_err(repo_error)?;
    Ok(removed == 1)
}

async fn grant_app(conn: &mut Conn, grant: &AppGrant) -> Result<bool, RepoError> {
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

async fn revoke_app(conn: &mut Conn, grantee: Grantee, app: &AppKey) -> Result<bool, RepoError> {
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

#[async_trait]
impl AccessRepository for PgStore {
    async fn find_group(&self, id: identity_core::GroupId) -> Result<Option<identity_core::Group>, RepoError> {
        find_group(&mut self.conn().await?, id, false).await
    }

    async fn list_groups(
        &self,
        query: Option<&str>,
        page: PageRequest,
    ) -> Result<Vec<identity_core::Group>, RepoError> {
        list_groups(&mut self.conn().await?, query, page).await
    }

    async fn list_members(
        &self,
        group: identity_core::GroupId,
        page: PageRequest,
    ) -> Result<Vec<identity_core::GroupMember>, RepoError> {
        list_members(&mut self.conn().await?, group, page).await
    }

    async fn groups_of(&self, user: UserId) -> Result<Vec<identity_core::Group>, RepoError> {
        groups_of(&mut self.conn().await?, user).await
    }

    async fn grants_of(&self, grantees: &[identity_core::Grantee]) -> Result<Vec<identity_core::AppGrant>, RepoError> {
        grants_of(&mut self.conn().await?, grantees).await
    }
}

#[async_trait]
impl AccessWrites for PgTransaction {
    async fn insert_group(&mut self, group: &identity_core::Group) -> Result<(), RepoError> {
        insert_group(self.conn()?, group).await
    }

    async fn lock_group(&mut self, id: identity_core::GroupId) -> Result<Option<identity_core::Group>, RepoError> {
        find_group(self.conn()?, id, true).await
    }

    async fn update_group(&mut self, group: &identity_core::Group) -> Result<(), RepoError> {
        update_group(self.conn()?, group).await
    }

    async fn delete_group(&mut self, id: identity_core::GroupId) -> Result<bool, RepoError> {
        delete_group(self.conn()?, id).await
    }

    async fn member_ids(&mut self, group: identity_core::GroupId) -> Result<Vec<UserId>, RepoError> {
        member_ids(self.conn()?, group).await
    }

    async fn add_member(
        &mut self,
        group: identity_core::GroupId,
        user: UserId,
        at: chrono::DateTime<Utc>,
    ) -> Result<bool, RepoError> {
        add_member(self.conn()?, group, user, at).await
    }

    async fn remove_member(&mut self, group: identity_core::GroupId, user: UserId) -> Result<bool, RepoError> {
        remove_member(self.conn()?, group, user).await
    }

    async fn grant_app(&mut self, grant: &identity_core::AppGrant) -> Result<bool, RepoError> {
        grant_app(self.conn()?, grant).await
    }

    async fn revoke_app(
        &mut self,
        grantee: identity_core::Grantee,
        app: &identity_core::AppKey,
    ) -> Result<bool, RepoError> {
        revoke_app(self.conn()?, grantee, app).await
    }
}
