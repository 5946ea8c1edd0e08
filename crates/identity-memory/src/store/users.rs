//! Users in memory: lookups by id, address and username, the admin listing, and the user
//! writes of a transaction.

use async_trait::async_trait;
use identity_core::ports::{Conflict, RepoError, UserRepository, UserWrites};
use identity_core::{Email, Role, User, UserFilter, UserId, Username};

use super::{MemoryStore, MemoryTransaction, State};

impl State {
    fn find_by_email(&self, email: &str) -> Option<&User> {
        self.by_email.get(&email.to_lowercase()).and_then(|id| self.users.get(id))
    }

    fn unindex(&mut self, user: &User) {
        self.by_email.remove(&user.email.as_str().to_lowercase());
        if let Some(username) = &user.username {
            self.by_username.remove(username.as_str());
        }
    }

    fn index(&mut self, user: &User) {
        self.by_email.insert(user.email.as_str().to_lowercase(), user.id);
        if let Some(username) = &user.username {
            self.by_username.insert(username.as_str().to_owned(), user.id);
        }
    }
}

#[async_trait]
impl UserRepository for MemoryStore {
    async fn find_by_id(&self, id: UserId) -> Result<Option<User>, RepoError> {
        Ok(self.state.lock().await.users.get(&id).cloned())
    }

    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, RepoError> {
        Ok(self.state.lock().await.find_by_email(email.as_str()).cloned())
    }

    async fn find_by_username(&self, username: &Username) -> Result<Option<User>, RepoError> {
        let state = self.state.lock().await;
        Ok(state.by_username.get(username.as_str()).and_then(|id| state.users.get(id)).cloned())
    }

    async fn list_users(&self, filter: &UserFilter) -> Result<Vec<User>, RepoError> {
        let state = self.state.lock().await;
        let mut users: Vec<&User> = state.users.values().filter(|u| filter.matches(u)).collect();
        users.sort_by_key(|u| u.id);
        Ok(users.into_iter().take(filter.limit).cloned().collect())
    }
}

#[async_trait]
impl UserWrites for MemoryTransaction {
    async fn insert_user(&mut self, user: &User) -> Result<(), RepoError> {
        let state = self.state()?;
        if state.find_by_email(user.email.as_str()).is_some() {
            return Err(RepoError::Conflict(Conflict::Email));
        }
        if let Some(username) = &user.username
            && state.by_username.contains_key(username.as_str())
        {
            return Err(RepoError::Conflict(Conflict::Username));
        }
        if state.users.contains_key(&user.id) {
            return Err(RepoError::Unknown(anyhow::anyhow!("duplicate user id {}", user.id)));
        }
        if let Some(unknown) = user.roles.iter().find(|r| !Role::KNOWN.contains(&r.as_str())) {
            return Err(RepoError::Unknown(anyhow::anyhow!("unknown role {unknown:?}")));
        }
        let user = user.clone();
        self.write(|state| {
            state.index(&user);
            state.users.insert(user.id, user.clone());
            Box::new(move |state: &mut State| {
                state.users.remove(&user.id);
                state.unindex(&user);
            })
        })
    }

    async fn update_user(&mut self, user: &User) -> Result<(), RepoError> {
        let state = self.state()?;
        let Some(old) = state.users.get(&user.id).cloned() else {
            return Err(RepoError::Unknown(anyhow::anyhow!("no user {} to update", user.id)));
        };
        let email_owner = state.find_by_email(user.email.as_str()).map(|u| u.id);
        if email_owner.is_some_and(|owner| owner != user.id) {
            return Err(RepoError::Conflict(Conflict::Email));
        }
        if let Some(username) = &user.username
            && state.by_username.get(username.as_str()).is_some_and(|owner| *owner != user.id)
        {
            return Err(RepoError::Conflict(Conflict::Username));
        }
        // Roles are not written by update_user.
        let updated = User { roles: old.roles.clone(), ..user.clone() };
        self.write(|state| {
            state.unindex(&old);
            state.index(&updated);
            state.users.insert(updated.id, updated.clone());
            Box::new(move |state: &mut State| {
                state.unindex(&updated);
                state.index(&old);
                state.users.insert(old.id, old);
            })
        })
    }

    async fn set_roles(
        &mut self,
        user: UserId,
        roles: &std::collections::BTreeSet<identity_core::Role>,
    ) -> Result<(), RepoError> {
        if let Some(unknown) = roles.iter().find(|r| !Role::KNOWN.contains(&r.as_str())) {
            return Err(RepoError::Unknown(anyhow::anyhow!("unknown role {unknown:?}")));
        }
        let Some(old) = self.state()?.users.get(&user).cloned() else {
            return Err(RepoError::Unknown(anyhow::anyhow!("no user {user} to give roles")));
        };
        let updated = User { roles: roles.clone(), ..old.clone() };
        self.write(|state| {
            state.users.insert(updated.id, updated);
            Box::new(move |state: &mut State| {
                state.users.insert(old.id, old);
            })
        })
    }

    async fn count_active_admins(&mut self) -> Result<usize, RepoError> {
        // The transaction holds the store's only lock: nothing else changes the admin set.
        Ok(self.state()?.users.values().filter(|u| u.counts_as_active_admin()).count())
    }

    async fn lock_user(&mut self, id: UserId) -> Result<Option<User>, RepoError> {
        Ok(self.state()?.users.get(&id).cloned())
    }
}
