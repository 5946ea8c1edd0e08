//! Groups, memberships and app grants (admins), and the apps a user may open.

use uuid::Uuid;

use std::sync::Arc;

use crate::authz::{Need, authorize};
use crate::domain::{
    AppGrant, AppKey, DomainEvent, EventType, FieldError, Grantee, Group, GroupId, GroupMember, GroupName, UserApp,
    UserId, UserUpdatedData, ValidationErrors,
};
use crate::kernel::context::Context;
use crate::ports::{AccessRepository, Transaction, UnitOfWork, UserRepository};
use crate::usecases::{Authenticated, CoreError, Page, page_request};

/// What an admin changes on a group: `None` keeps a field; `description: Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct GroupChange {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
}

/// Locks the grantee of a grant change; 404 when it does not exist.
async fn lock_grantee(tx: &mut dyn Transaction, grantee: Grantee) -> Result<(), CoreError> {
    let found = match grantee {
        Grantee::User(user) => tx.users().lock_user(user).await?.is_some(),
        Grantee::Group(group) => tx.access().lock_group(group).await?.is_some(),
    };
    if found { Ok(()) } else { Err(CoreError::NotFound) }
}

fn app_key(raw: &str) -> Result<AppKey, CoreError> {
    Ok(AppKey::parse(raw).map_err(ValidationErrors::single)?)
}

/// Groups, memberships and app grants (admins), and the apps a user may open.
#[derive(Clone)]
pub struct AccessService {
    pub(crate) ctx: Context,
    pub(crate) users: Arc<dyn UserRepository>,
    pub(crate) access: Arc<dyn AccessRepository>,
    pub(crate) uow: Arc<dyn UnitOfWork>,
    pub(crate) requests: crate::kernel::Requests,
}

impl AccessService {
    /// Groups by id (creation order), optionally by name prefix.
    pub async fn list_groups(
        &self,
        auth: &Authenticated,
        query: Option<&str>,
        limit: Option<usize>,
        cursor: Option<&str>,
    ) -> Result<Page<Group>, CoreError> {
        authorize(auth, Need::ADMIN)?;
        if let Some(query) = query {
            crate::domain::single_line("query", query).map_err(ValidationErrors::single)?;
        }
        let (limit, request) = page_request(limit, cursor)?;
        let query = query.map(str::trim).filter(|q| !q.is_empty());
        let items = self.access.list_groups(query, request).await?;
        Ok(Page::from_fetched(items, limit, |g| g.id.as_uuid().simple().to_string()))
    }

    pub async fn get_group(&self, auth: &Authenticated, id: Uuid) -> Result<Group, CoreError> {
        authorize(auth, Need::ADMIN)?;
        self.find_group(id).await
    }

    async fn find_group(&self, id: Uuid) -> Result<Group, CoreError> {
        self.access.find_group(GroupId::from_uuid(id)).await?.ok_or(CoreError::NotFound)
    }

    /// Creates a group; a name taken by another group (in any case) is 409.
    pub async fn create_group(
        &self,
        auth: &Authenticated,
        name: &str,
        description: Option<&str>,
        request: Option<&crate::domain::RequestKey>,
    ) -> Result<Group, CoreError> {
        authorize(auth, Need::ADMIN)?;
        // A retry whose first attempt made the group, but whose answer was lost.
        if let Some(id) = self.requests.made(request).await?
            && let Some(group) = self.access.find_group(GroupId::from_uuid(id)).await?
        {
            return Ok(group);
        }
        let mut errors = ValidationErrors::new();
        let name = errors.collect(GroupName::parse(name));
        let description = match description {
            Some(raw) => errors.collect(Group::parse_description(raw)).flatten(),
            None => None,
        };
        errors.into_result()?;
        // Set: a name that did not parse was reported above.
        let name =
            name.ok_or_else(|| ValidationErrors::single(FieldError::new("name", "required", "a group needs a name")))?;
        let now = self.ctx.now();
        let group =
            Group { id: GroupId::from_uuid(self.ctx.new_id()), name, description, created_at: now, updated_at: now };
        let mut tx = self.uow.begin().await?;
        tx.access().insert_group(&group).await?;
        self.requests.record(tx.journal(), request, group.id.as_uuid()).await?;
        let metadata = serde_json::json!({ "group_id": group.id.as_uuid(), "name": group.name });
        self.ctx
            .finish(tx, &[], self.ctx.audit_entry("group.created", Some(auth.user.id), None, &auth.client, metadata))
            .await?;
        Ok(group)
    }

    /// Renames a group or changes its description.
    pub async fn update_group(&self, auth: &Authenticated, id: Uuid, change: GroupChange) -> Result<Group, CoreError> {
        authorize(auth, Need::ADMIN)?;
        let mut errors = ValidationErrors::new();
        let name = change.name.as_deref().and_then(|raw| errors.collect(GroupName::parse(raw)));
        let description = match &change.description {
            Some(Some(raw)) => errors.collect(Group::parse_description(raw)),
            Some(None) => Some(None),
            None => None,
        };
        errors.into_result()?;
        let mut tx = self.uow.begin().await?;
        let mut group = tx.access().lock_group(GroupId::from_uuid(id)).await?.ok_or(CoreError::NotFound)?;
        let mut changed = Vec::new();
        if let Some(name) = name.filter(|n| *n != group.name) {
            group.name = name;
            changed.push("name");
        }
        if let Some(description) = description.filter(|d| *d != group.description) {
            group.description = description;
            changed.push("description");
        }
        if changed.is_empty() {
            return Ok(group);
        }
        group.updated_at = self.ctx.now();
        tx.access().update_group(&group).await?;
        let metadata = serde_json::json!({ "group_id": group.id.as_uuid(), "changed": changed, "name": group.name });
        self.ctx
            .finish(tx, &[], self.ctx.audit_entry("group.updated", Some(auth.user.id), None, &auth.client, metadata))
            .await?;
        Ok(group)
    }

    /// Deletes a group with its memberships and grants; each former member gets a
    /// `user.updated` event.
    pub async fn delete_group(&self, auth: &Authenticated, id: Uuid) -> Result<(), CoreError> {
        authorize(auth, Need::ADMIN)?;
        let mut tx = self.uow.begin().await?;
        let group = tx.access().lock_group(GroupId::from_uuid(id)).await?.ok_or(CoreError::NotFound)?;
        let members = tx.access().member_ids(group.id).await?;
        tx.access().delete_group(group.id).await?;
        tx.journal().record_events(&self.access_events(&members, &["groups", "apps"])).await?;
        let metadata =
            serde_json::json!({ "group_id": group.id.as_uuid(), "name": group.name, "members": members.len() });
        self.ctx
            .finish(tx, &[], self.ctx.audit_entry("group.deleted", Some(auth.user.id), None, &auth.client, metadata))
            .await?;
        Ok(())
    }

    /// Members of a group, by user id.
    pub async fn list_members(
        &self,
        auth: &Authenticated,
        id: Uuid,
        limit: Option<usize>,
        cursor: Option<&str>,
    ) -> Result<Page<GroupMember>, CoreError> {
        authorize(auth, Need::ADMIN)?;
        let (limit, request) = page_request(limit, cursor)?;
        let group = self.find_group(id).await?;
        let items = self.access.list_members(group.id, request).await?;
        Ok(Page::from_fetched(items, limit, |m| m.user_id.as_uuid().simple().to_string()))
    }

    /// Adds a user to a group (idempotent: `Ok(false)` when they already were a member).
    pub async fn add_member(&self, auth: &Authenticated, group: Uuid, user: Uuid) -> Result<bool, CoreError> {
        authorize(auth, Need::ADMIN)?;
        let mut tx = self.uow.begin().await?;
        let group = tx.access().lock_group(GroupId::from_uuid(group)).await?.ok_or(CoreError::NotFound)?;
        let user = tx.users().lock_user(UserId::from_uuid(user)).await?.ok_or(CoreError::NotFound)?;
        if !tx.access().add_member(group.id, user.id, self.ctx.now()).await? {
            return Ok(false);
        }
        self.membership_changed(tx, auth, "group.member_added", &group, user.id).await?;
        Ok(true)
    }

    /// Removes a user from a group; 404 when they were not a member.
    pub async fn remove_member(&self, auth: &Authenticated, group: Uuid, user: Uuid) -> Result<(), CoreError> {
        authorize(auth, Need::ADMIN)?;
        let mut tx = self.uow.begin().await?;
        let group = tx.access().lock_group(GroupId::from_uuid(group)).await?.ok_or(CoreError::NotFound)?;
        let user = UserId::from_uuid(user);
        if !tx.access().remove_member(group.id, user).await? {
            return Err(CoreError::NotFound);
        }
        self.membership_changed(tx, auth, "group.member_removed", &group, user).await
    }

    async fn membership_changed(
        &self,
        tx: Box<dyn Transaction>,
        auth: &Authenticated,
        action: &'static str,
        group: &Group,
        user: UserId,
    ) -> Result<(), CoreError> {
        let metadata = serde_json::json!({ "group_id": group.id.as_uuid(), "name": group.name });
        self.ctx
            .finish(
                tx,
                &self.access_events(&[user], &["groups", "apps"]),
                self.ctx.audit_entry(action, Some(auth.user.id), Some(user), &auth.client, metadata),
            )
            .await?;
        Ok(())
    }

    /// The groups a user is a member of, by name (admins).
    pub async fn user_groups(&self, auth: &Authenticated, user: Uuid) -> Result<Vec<Group>, CoreError> {
        authorize(auth, Need::ADMIN)?;
        let user = self.users.find_by_id(UserId::from_uuid(user)).await?.ok_or(CoreError::NotFound)?;
        Ok(self.access.groups_of(user.id).await?)
    }

    /// The apps granted to a group, by app key.
    pub async fn group_apps(&self, auth: &Authenticated, group: Uuid) -> Result<Vec<AppGrant>, CoreError> {
        authorize(auth, Need::ADMIN)?;
        let group = self.find_group(group).await?;
        Ok(self.access.grants_of(&[Grantee::Group(group.id)]).await?)
    }

    /// Grants an app to a user or a group (idempotent: `Ok(false)` when the grantee already
    /// had it). Each affected user gets a `user.updated` event.
    pub async fn grant_app(&self, auth: &Authenticated, grantee: Grantee, app: &str) -> Result<bool, CoreError> {
        authorize(auth, Need::ADMIN)?;
        let app = app_key(app)?;
        let mut tx = self.uow.begin().await?;
        lock_grantee(tx.as_mut(), grantee).await?;
        let grant = AppGrant { app_key: app, grantee, granted_at: self.ctx.now(), granted_by: Some(auth.user.id) };
        if !tx.access().grant_app(&grant).await? {
            return Ok(false);
        }
        self.grant_changed(tx, auth, "app.granted", &grant.app_key, grantee).await?;
        Ok(true)
    }

    /// Takes an app back from a user (their direct grant only) or a group; 404 when the
    /// grantee did not have it.
    pub async fn revoke_app(&self, auth: &Authenticated, grantee: Grantee, app: &str) -> Result<(), CoreError> {
        authorize(auth, Need::ADMIN)?;
        let app = app_key(app)?;
        let mut tx = self.uow.begin().await?;
        lock_grantee(tx.as_mut(), grantee).await?;
        if !tx.access().revoke_app(grantee, &app).await? {
            return Err(CoreError::NotFound);
        }
        self.grant_changed(tx, auth, "app.revoked", &app, grantee).await
    }

    async fn grant_changed(
        &self,
        mut tx: Box<dyn Transaction>,
        auth: &Authenticated,
        action: &'static str,
        app: &AppKey,
        grantee: Grantee,
    ) -> Result<(), CoreError> {
        let (affected, subject, metadata) = match grantee {
            Grantee::User(user) => (vec![user], Some(user), serde_json::json!({ "app_key": app.as_str() })),
            Grantee::Group(group) => (
                tx.access().member_ids(group).await?,
                None,
                serde_json::json!({ "app_key": app.as_str(), "group_id": group.as_uuid() }),
            ),
        };
        self.ctx
            .finish(
                tx,
                &self.access_events(&affected, &["apps"]),
                self.ctx.audit_entry(action, Some(auth.user.id), subject, &auth.client, metadata),
            )
            .await?;
        Ok(())
    }

    /// The apps the signed-in user may open: the union of their own grants and those of
    /// their groups.
    pub async fn my_apps(&self, auth: &Authenticated) -> Result<Vec<UserApp>, CoreError> {
        self.apps_of(auth.user.id).await
    }

    /// The apps a user may open, for admins.
    pub async fn user_apps(&self, auth: &Authenticated, user: Uuid) -> Result<Vec<UserApp>, CoreError> {
        authorize(auth, Need::ADMIN)?;
        let user = self.users.find_by_id(UserId::from_uuid(user)).await?.ok_or(CoreError::NotFound)?;
        self.apps_of(user.id).await
    }

    pub(super) async fn apps_of(&self, user: UserId) -> Result<Vec<UserApp>, CoreError> {
        let groups = self.access.groups_of(user).await?;
        let mut grantees = vec![Grantee::User(user)];
        grantees.extend(groups.iter().map(|g| Grantee::Group(g.id)));
        let grants = self.access.grants_of(&grantees).await?;
        Ok(UserApp::union(user, &groups, &grants))
    }

    /// `user.updated` for each user whose groups or apps changed.
    fn access_events(&self, users: &[UserId], changed: &[&str]) -> Vec<DomainEvent> {
        let now = self.ctx.now();
        users
            .iter()
            .map(|user| {
                let data = UserUpdatedData {
                    user_id: user.as_uuid(),
                    changed: changed.iter().map(|c| (*c).to_owned()).collect(),
                    updated_at: now,
                };
                DomainEvent::new(
                    self.ctx.new_id(),
                    EventType::UserUpdated,
                    user.as_uuid(),
                    Some(user.as_uuid()),
                    now,
                    &data,
                )
            })
            .collect()
    }
}
