//! Groups, memberships and app grants in memory.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use identity_core::ports::{AccessRepository, AccessWrites, Conflict, PageRequest, RepoError};
use identity_core::{AppGrant, AppKey, Grantee, Group, GroupId, GroupMember, SearchPrefix, UserId};

use super::{MemoryStore, MemoryTransaction, State, finished};

/// Groups, memberships and grants (small: a transaction's undo is a snapshot of all of it).
#[derive(Clone, Default)]
pub(super) struct Access {
    groups: BTreeMap<GroupId, Group>,
    members: BTreeMap<(GroupId, UserId), DateTime<Utc>>,
    grants: Vec<AppGrant>,
}

impl Access {
    /// Whether another group has the same name: the same `GroupName::key`.
    fn name_taken(&self, group: &Group) -> bool {
        let key = group.name.key();
        self.groups.values().any(|g| g.id != group.id && g.name.key() == key)
    }
}

#[async_trait]
impl AccessRepository for MemoryStore {
    async fn find_group(&self, id: GroupId) -> Result<Option<Group>, RepoError> {
        Ok(self.state.lock().await.access.groups.get(&id).cloned())
    }

    async fn list_groups(&self, query: Option<&str>, page: PageRequest) -> Result<Vec<Group>, RepoError> {
        let state = self.state.lock().await;
        let search = query.and_then(SearchPrefix::parse);
        Ok(state
            .access
            .groups
            .values()
            .filter(|g| search.as_ref().is_none_or(|s| s.matches(g.name.as_str())))
            .filter(|g| page.after.is_none_or(|after| g.id.as_uuid() > after))
            .take(page.limit)
            .cloned()
            .collect())
    }

    async fn list_members(&self, group: GroupId, page: PageRequest) -> Result<Vec<GroupMember>, RepoError> {
        let state = self.state.lock().await;
        let mut members: Vec<GroupMember> = state
            .access
            .members
            .iter()
            .filter(|((g, user), _)| *g == group && page.after.is_none_or(|after| user.as_uuid() > after))
            .filter_map(|((_, user), added_at)| {
                state.users.get(user).map(|u| GroupMember {
                    user_id: u.id,
                    email: u.email.clone(),
                    name: u.profile.name.clone(),
                    status: u.status,
                    added_at: *added_at,
                })
            })
            .collect();
        members.sort_by_key(|m| m.user_id);
        members.truncate(page.limit);
        Ok(members)
    }

    async fn groups_of(&self, user: UserId) -> Result<Vec<Group>, RepoError> {
        let state = self.state.lock().await;
        let mut groups: Vec<Group> = state
            .access
            .members
            .keys()
            .filter(|(_, u)| *u == user)
            .filter_map(|(g, _)| state.access.groups.get(g).cloned())
            .collect();
        groups.sort_by_key(|g| g.name.key());
        Ok(groups)
    }

    async fn grants_of(&self, grantees: &[Grantee]) -> Result<Vec<AppGrant>, RepoError> {
        let state = self.state.lock().await;
        let mut grants: Vec<AppGrant> =
            state.access.grants.iter().filter(|g| grantees.contains(&g.grantee)).cloned().collect();
        grants.sort_by(|a, b| a.app_key.cmp(&b.app_key));
        Ok(grants)
    }
}

impl MemoryTransaction {
    /// Changes the groups, memberships and grants; the undo restores the snapshot before.
    fn change_access<T>(&mut self, change: impl FnOnce(&mut Access) -> T) -> Result<T, RepoError> {
        let state = self.state.as_deref_mut().ok_or_else(finished)?;
        let before = state.access.clone();
        let result = change(&mut state.access);
        self.undo.push(Box::new(move |state: &mut State| state.access = before));
        Ok(result)
    }
}

#[async_trait]
impl AccessWrites for MemoryTransaction {
    async fn insert_group(&mut self, group: &Group) -> Result<(), RepoError> {
        let access = &self.state()?.access;
        if access.name_taken(group) {
            return Err(RepoError::Conflict(Conflict::GroupName));
        }
        if access.groups.contains_key(&group.id) {
            return Err(RepoError::Unknown(anyhow::anyhow!("duplicate group id {}", group.id)));
        }
        self.change_access(|access| {
            access.groups.insert(group.id, group.clone());
        })
    }

    async fn lock_group(&mut self, id: GroupId) -> Result<Option<Group>, RepoError> {
        Ok(self.state()?.access.groups.get(&id).cloned())
    }

    async fn update_group(&mut self, group: &Group) -> Result<(), RepoError> {
        let access = &self.state()?.access;
        if !access.groups.contains_key(&group.id) {
            return Err(RepoError::Unknown(anyhow::anyhow!("no group {} to update", group.id)));
        }
        if access.name_taken(group) {
            return Err(RepoError::Conflict(Conflict::GroupName));
        }
        self.change_access(|access| {
            access.groups.insert(group.id, group.clone());
        })
    }

    async fn delete_group(&mut self, id: GroupId) -> Result<bool, RepoError> {
        self.change_access(|access| {
            access.members.retain(|(g, _), _| *g != id);
            access.grants.retain(|grant| grant.grantee != Grantee::Group(id));
            access.groups.remove(&id).is_some()
        })
    }

    async fn member_ids(&mut self, group: GroupId) -> Result<Vec<UserId>, RepoError> {
        Ok(self.state()?.access.members.keys().filter(|(g, _)| *g == group).map(|(_, u)| *u).collect())
    }

    async fn add_member(&mut self, group: GroupId, user: UserId, at: DateTime<Utc>) -> Result<bool, RepoError> {
        let state = self.state()?;
        if !state.access.groups.contains_key(&group) || !state.users.contains_key(&user) {
            return Err(RepoError::Unknown(anyhow::anyhow!("membership of unknown group {group} or user {user}")));
        }
        if state.access.members.contains_key(&(group, user)) {
            return Ok(false);
        }
        self.change_access(|access| access.members.insert((group, user), at).is_none())
    }

    async fn remove_member(&mut self, group: GroupId, user: UserId) -> Result<bool, RepoError> {
        if !self.state()?.access.members.contains_key(&(group, user)) {
            return Ok(false);
        }
        self.change_access(|access| access.members.remove(&(group, user)).is_some())
    }

    async fn grant_app(&mut self, grant: &AppGrant) -> Result<bool, RepoError> {
        let state = self.state()?;
        let grantee_exists = match grant.grantee {
            Grantee::User(user) => state.users.contains_key(&user),
            Grantee::Group(group) => state.access.groups.contains_key(&group),
        };
        if !grantee_exists {
            return Err(RepoError::Unknown(anyhow::anyhow!("grant to an unknown grantee {:?}", grant.grantee)));
        }
        if state.access.grants.iter().any(|g| g.grantee == grant.grantee && g.app_key == grant.app_key) {
            return Ok(false);
        }
        self.change_access(|access| {
            access.grants.push(grant.clone());
            true
        })
    }

    async fn revoke_app(&mut self, grantee: Grantee, app: &AppKey) -> Result<bool, RepoError> {
        let held = self.state()?.access.grants.iter().any(|g| g.grantee == grantee && &g.app_key == app);
        if !held {
            return Ok(false);
        }
        self.change_access(|access| {
            access.grants.retain(|g| !(g.grantee == grantee && &g.app_key == app));
            true
        })
    }
}
