//! The access ports: reads of groups, memberships and app grants, and their writes in a
//! transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::{AppGrant, AppKey, Grantee, Group, GroupId, GroupMember, UserId};
use crate::ports::{PageRequest, RepoError};

/// Reads of groups, memberships and app grants outside a transaction.
#[async_trait]
pub trait AccessRepository: Send + Sync + 'static {
    async fn find_group(&self, id: GroupId) -> Result<Option<Group>, RepoError>;
    /// Groups whose name starts with `query` (a [`SearchPrefix`](crate::domain::SearchPrefix):
    /// case-insensitive; all when `None` or blank), by id ascending after `page.after`, at most
    /// `page.limit`.
    async fn list_groups(&self, query: Option<&str>, page: PageRequest) -> Result<Vec<Group>, RepoError>;
    /// Members of the group, by user id ascending after `page.after`, at most `page.limit`.
    async fn list_members(&self, group: GroupId, page: PageRequest) -> Result<Vec<GroupMember>, RepoError>;
    /// The groups the user is a member of, by name.
    async fn groups_of(&self, user: UserId) -> Result<Vec<Group>, RepoError>;
    /// The grants given to any of `grantees`, by app key.
    async fn grants_of(&self, grantees: &[Grantee]) -> Result<Vec<AppGrant>, RepoError>;
}

/// Writes of groups, memberships and app grants in a transaction.
#[async_trait]
pub trait AccessWrites: Send {
    /// Inserts a group; a taken name is `RepoError::Conflict(Conflict::GroupName)`.
    async fn insert_group(&mut self, group: &Group) -> Result<(), RepoError>;
    /// The group, locked until commit.
    async fn lock_group(&mut self, id: GroupId) -> Result<Option<Group>, RepoError>;
    /// Writes name, description and `updated_at`; a taken name is a conflict.
    async fn update_group(&mut self, group: &Group) -> Result<(), RepoError>;
    /// Deletes the group with its memberships and grants; `false` when there was none.
    async fn delete_group(&mut self, id: GroupId) -> Result<bool, RepoError>;
    /// Every member's id (for the events a group change causes).
    async fn member_ids(&mut self, group: GroupId) -> Result<Vec<UserId>, RepoError>;
    /// Adds the user to the group; `false` when they already were a member.
    async fn add_member(&mut self, group: GroupId, user: UserId, at: DateTime<Utc>) -> Result<bool, RepoError>;
    /// `false` when the user was not a member.
    async fn remove_member(&mut self, group: GroupId, user: UserId) -> Result<bool, RepoError>;
    /// Stores the grant; `false` when the grantee already had that app.
    async fn grant_app(&mut self, grant: &AppGrant) -> Result<bool, RepoError>;
    /// `false` when the grantee did not have that app.
    async fn revoke_app(&mut self, grantee: Grantee, app: &AppKey) -> Result<bool, RepoError>;
}
