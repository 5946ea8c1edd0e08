use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use identity_core::ports::{
    AccessRepository, AccessWrites, AuditRepository, Conflict, EventPublisher, JournalWrites, LoginAttempt,
    OneTimeTokenWrites, Outbox, OutboxEntry, PageRequest, ParkedEntry, RelayReport, RepoError, SessionRepository,
    SessionSelector, SessionWrites, SettingsRepository, SettingsWrites, Transaction, UnitOfWork, UserRepository,
    UserWrites, retry_delay,
};
use identity_core::settings::StoredSettings;
use identity_core::{
    AppGrant, AppKey, AuditEntry, AuditFilter, AuditRecord, Device, DeviceId, DomainEvent, Email, Grantee, Group,
    GroupId, GroupMember, OneTimePurpose, OneTimeToken, RefreshToken, RefreshTokenId, RevocationReason, Session,
    SessionId, TokenDigest, User, UserId, Username,
};
use tokio::sync::{Mutex, OwnedMutexGuard};
use uuid::Uuid;

/// The roles that exist (the twin of the `roles` rows the migration seeds).
const KNOWN_ROLES: &[&str] = &["admin", "user"];

/// Login attempts kept in memory (the oldest are dropped beyond this).
const MAX_LOGIN_ATTEMPTS: usize = 10_000;

#[derive(Default)]
struct State {
    users: HashMap<UserId, User>,
    /// Lower-cased email → id, the in-memory twin of the `citext` unique index.
    by_email: HashMap<String, UserId>,
    by_username: HashMap<String, UserId>,
    sessions: HashMap<SessionId, Session>,
    devices: HashMap<DeviceId, Device>,
    refresh_tokens: HashMap<RefreshTokenId, RefreshToken>,
    refresh_by_digest: HashMap<TokenDigest, RefreshTokenId>,
    one_time: HashMap<(OneTimePurpose, TokenDigest), OneTimeToken>,
    login_attempts: VecDeque<LoginAttempt>,
    audit: Vec<AuditRecord>,
    outbox: Vec<OutboxEntry>,
    next_seq: i64,
    access: Access,
    settings: HashMap<String, StoredSettings>,
}

/// Groups, memberships and grants (small: a transaction's undo is a snapshot of all of it).
#[derive(Clone, Default)]
struct Access {
    groups: BTreeMap<GroupId, Group>,
    members: BTreeMap<(GroupId, UserId), DateTime<Utc>>,
    grants: Vec<AppGrant>,
}

impl Access {
    fn name_taken(&self, group: &Group) -> bool {
        let name = group.name.to_lowercase();
        self.groups.values().any(|g| g.id != group.id && g.name.to_lowercase() == name)
    }
}

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

/// Newest first (ids are UUIDv7), after the cursor, at most `limit`.
fn page<T: Clone>(mut items: Vec<&T>, id: impl Fn(&T) -> Uuid, request: PageRequest) -> Vec<T> {
    items.sort_by_key(|item| std::cmp::Reverse(id(item)));
    items
        .into_iter()
        .filter(|item| request.after.is_none_or(|after| id(item) < after))
        .take(request.limit)
        .cloned()
        .collect()
}

/// Every store port in memory, behind one lock. A transaction holds the lock from `begin`
/// to `commit`/drop, so transactions are serialisable; reads inside a use case's transaction
/// must go through the transaction (a read through the store would wait for the lock).
#[derive(Clone, Default)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
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

    async fn list_users(&self, filter: &identity_core::ports::UserFilter) -> Result<Vec<User>, RepoError> {
        let state = self.state.lock().await;
        let mut users: Vec<&User> = state.users.values().filter(|u| matches(u, filter)).collect();
        users.sort_by_key(|u| u.id);
        Ok(users.into_iter().take(filter.limit).cloned().collect())
    }
}

fn matches(user: &User, filter: &identity_core::ports::UserFilter) -> bool {
    let prefix = filter.query.as_ref().map(|q| q.trim().to_lowercase());
    let query_ok = prefix.as_ref().is_none_or(|p| {
        user.email.as_str().starts_with(p.as_str())
            || user.profile.name.as_ref().is_some_and(|n| n.to_lowercase().starts_with(p.as_str()))
    });
    let status_ok = match filter.status {
        Some(status) => user.status == status,
        None => user.status != identity_core::UserStatus::Deleted,
    };
    let role_ok = filter.role.as_ref().is_none_or(|r| user.roles.iter().any(|role| role.as_str() == r));
    let after_ok = filter.after.is_none_or(|after| user.id.as_uuid() > after);
    query_ok && status_ok && role_ok && after_ok
}

#[async_trait]
impl SessionRepository for MemoryStore {
    async fn find_session(&self, id: SessionId) -> Result<Option<Session>, RepoError> {
        Ok(self.state.lock().await.sessions.get(&id).cloned())
    }

    async fn list_live_sessions(
        &self,
        user: UserId,
        now: DateTime<Utc>,
        idle_timeout: Option<chrono::Duration>,
        request: PageRequest,
    ) -> Result<Vec<Session>, RepoError> {
        let state = self.state.lock().await;
        let live = state.sessions.values().filter(|s| s.user_id == user && s.is_live(now, idle_timeout)).collect();
        Ok(page(live, |s| s.id.as_uuid(), request))
    }

    async fn find_device(&self, id: DeviceId) -> Result<Option<Device>, RepoError> {
        Ok(self.state.lock().await.devices.get(&id).cloned())
    }

    async fn list_devices(&self, user: UserId, request: PageRequest) -> Result<Vec<Device>, RepoError> {
        let state = self.state.lock().await;
        let devices = state.devices.values().filter(|d| d.user_id == user).collect();
        Ok(page(devices, |d| d.id.as_uuid(), request))
    }
}

#[async_trait]
impl AccessRepository for MemoryStore {
    async fn find_group(&self, id: GroupId) -> Result<Option<Group>, RepoError> {
        Ok(self.state.lock().await.access.groups.get(&id).cloned())
    }

    async fn list_groups(&self, query: Option<&str>, page: PageRequest) -> Result<Vec<Group>, RepoError> {
        let state = self.state.lock().await;
        let prefix = query.map(|q| q.trim().to_lowercase());
        Ok(state
            .access
            .groups
            .values()
            .filter(|g| prefix.as_ref().is_none_or(|p| g.name.to_lowercase().starts_with(p.as_str())))
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
        groups.sort_by_key(|g| g.name.to_lowercase());
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

#[async_trait]
impl SettingsRepository for MemoryStore {
    async fn get_settings(&self, namespace: &str) -> Result<Option<StoredSettings>, RepoError> {
        Ok(self.state.lock().await.settings.get(namespace).cloned())
    }
}

#[async_trait]
impl UnitOfWork for MemoryStore {
    async fn begin(&self) -> Result<Box<dyn Transaction>, RepoError> {
        let guard = self.state.clone().lock_owned().await;
        Ok(Box::new(MemoryTransaction { state: Some(guard), undo: Vec::new() }))
    }
}

/// Takes back one write of an uncommitted transaction.
type Undo = Box<dyn FnOnce(&mut State) + Send>;

/// Writes go straight to the locked state and push their undo; dropping the transaction
/// without committing runs the undos backwards.
struct MemoryTransaction {
    state: Option<OwnedMutexGuard<State>>,
    undo: Vec<Undo>,
}

fn finished() -> RepoError {
    RepoError::Unknown(anyhow::anyhow!("transaction already finished"))
}

impl MemoryTransaction {
    fn state(&mut self) -> Result<&mut State, RepoError> {
        self.state.as_deref_mut().ok_or_else(finished)
    }

    /// Applies `write` and remembers `undo`.
    fn write(&mut self, write: impl FnOnce(&mut State) -> Undo) -> Result<(), RepoError> {
        let state = self.state.as_deref_mut().ok_or_else(finished)?;
        let undo = write(state);
        self.undo.push(undo);
        Ok(())
    }

    /// Changes the groups, memberships and grants; the undo restores the snapshot before.
    fn change_access<T>(&mut self, change: impl FnOnce(&mut Access) -> T) -> Result<T, RepoError> {
        let state = self.state.as_deref_mut().ok_or_else(finished)?;
        let before = state.access.clone();
        let result = change(&mut state.access);
        self.undo.push(Box::new(move |state: &mut State| state.access = before));
        Ok(result)
    }

    fn put_session(&mut self, session: Session) -> Result<(), RepoError> {
        self.write(|state| {
            let previous = state.sessions.insert(session.id, session.clone());
            Box::new(move |state: &mut State| match previous {
                Some(previous) => {
                    state.sessions.insert(previous.id, previous);
                }
                None => {
                    state.sessions.remove(&session.id);
                }
            })
        })
    }

    fn put_refresh_token(&mut self, token: RefreshToken) -> Result<(), RepoError> {
        self.write(|state| {
            let previous = state.refresh_tokens.insert(token.id, token.clone());
            state.refresh_by_digest.insert(token.digest.clone(), token.id);
            Box::new(move |state: &mut State| match previous {
                Some(previous) => {
                    state.refresh_tokens.insert(previous.id, previous);
                }
                None => {
                    state.refresh_tokens.remove(&token.id);
                    state.refresh_by_digest.remove(&token.digest);
                }
            })
        })
    }

    fn put_device(&mut self, device: Device) -> Result<(), RepoError> {
        self.write(|state| {
            let previous = state.devices.insert(device.id, device.clone());
            Box::new(move |state: &mut State| match previous {
                Some(previous) => {
                    state.devices.insert(previous.id, previous);
                }
                None => {
                    state.devices.remove(&device.id);
                }
            })
        })
    }

    fn put_one_time(&mut self, token: OneTimeToken) -> Result<(), RepoError> {
        self.write(|state| {
            let key = (token.purpose, token.digest.clone());
            let previous = state.one_time.insert(key.clone(), token);
            Box::new(move |state: &mut State| match previous {
                Some(previous) => {
                    state.one_time.insert(key, previous);
                }
                None => {
                    state.one_time.remove(&key);
                }
            })
        })
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
        if let Some(unknown) = user.roles.iter().find(|r| !KNOWN_ROLES.contains(&r.as_str())) {
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
        if let Some(unknown) = roles.iter().find(|r| !KNOWN_ROLES.contains(&r.as_str())) {
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
        let admin = identity_core::Role::new(identity_core::Role::ADMIN);
        Ok(self
            .state()?
            .users
            .values()
            .filter(|u| u.status == identity_core::UserStatus::Active && u.roles.contains(&admin))
            .count())
    }

    async fn lock_user(&mut self, id: UserId) -> Result<Option<User>, RepoError> {
        Ok(self.state()?.users.get(&id).cloned())
    }
}

#[async_trait]
impl SessionWrites for MemoryTransaction {
    async fn insert_session(&mut self, session: &Session) -> Result<(), RepoError> {
        let state = self.state()?;
        if !state.users.contains_key(&session.user_id) {
            return Err(RepoError::Unknown(anyhow::anyhow!("session for unknown user {}", session.user_id)));
        }
        self.put_session(session.clone())
    }

    async fn session(&mut self, id: SessionId) -> Result<Option<Session>, RepoError> {
        Ok(self.state()?.sessions.get(&id).cloned())
    }

    async fn touch_session(&mut self, id: SessionId, at: DateTime<Utc>) -> Result<(), RepoError> {
        let Some(mut session) = self.state()?.sessions.get(&id).cloned() else {
            return Ok(());
        };
        session.last_seen_at = at;
        self.put_session(session)
    }

    async fn revoke_sessions(
        &mut self,
        user: UserId,
        selector: SessionSelector,
        at: DateTime<Utc>,
        _reason: RevocationReason,
    ) -> Result<Vec<Session>, RepoError> {
        let state = self.state()?;
        let mut picked: Vec<Session> = state
            .sessions
            .values()
            .filter(|s| s.user_id == user && s.revoked_at.is_none())
            .filter(|s| match selector {
                SessionSelector::One(id) => s.id == id,
                SessionSelector::All => true,
                SessionSelector::AllExcept(id) => s.id != id,
                SessionSelector::Device(device) => s.device_id == Some(device),
            })
            .cloned()
            .collect();
        picked.sort_by_key(|s| s.id);
        let tokens: Vec<RefreshToken> = state
            .refresh_tokens
            .values()
            .filter(|t| t.revoked_at.is_none() && picked.iter().any(|s| s.id == t.session_id))
            .cloned()
            .collect();
        for session in &mut picked {
            session.revoked_at = Some(at);
            self.put_session(session.clone())?;
        }
        for mut token in tokens {
            token.revoked_at = Some(at);
            self.put_refresh_token(token)?;
        }
        Ok(picked)
    }

    async fn insert_device(&mut self, device: &Device) -> Result<(), RepoError> {
        self.put_device(device.clone())
    }

    async fn update_device(&mut self, device: &Device) -> Result<(), RepoError> {
        if !self.state()?.devices.contains_key(&device.id) {
            return Err(RepoError::Unknown(anyhow::anyhow!("no device {} to update", device.id)));
        }
        self.put_device(device.clone())
    }

    async fn delete_device(&mut self, id: DeviceId) -> Result<(), RepoError> {
        let state = self.state()?;
        let Some(device) = state.devices.get(&id).cloned() else {
            return Ok(());
        };
        let orphans: Vec<Session> = state.sessions.values().filter(|s| s.device_id == Some(id)).cloned().collect();
        for mut session in orphans {
            session.device_id = None;
            self.put_session(session)?;
        }
        self.write(|state| {
            state.devices.remove(&id);
            Box::new(move |state: &mut State| {
                state.devices.insert(device.id, device);
            })
        })
    }

    async fn insert_refresh_token(&mut self, token: &RefreshToken) -> Result<(), RepoError> {
        let state = self.state()?;
        if state.refresh_by_digest.contains_key(&token.digest) {
            return Err(RepoError::Unknown(anyhow::anyhow!("duplicate refresh token digest")));
        }
        self.put_refresh_token(token.clone())
    }

    async fn lock_refresh_token(&mut self, digest: &TokenDigest) -> Result<Option<RefreshToken>, RepoError> {
        let state = self.state()?;
        Ok(state.refresh_by_digest.get(digest).and_then(|id| state.refresh_tokens.get(id)).cloned())
    }

    async fn refresh_token(&mut self, id: RefreshTokenId) -> Result<Option<RefreshToken>, RepoError> {
        Ok(self.state()?.refresh_tokens.get(&id).cloned())
    }

    async fn update_refresh_token(&mut self, token: &RefreshToken) -> Result<(), RepoError> {
        if !self.state()?.refresh_tokens.contains_key(&token.id) {
            return Err(RepoError::Unknown(anyhow::anyhow!("no refresh token {} to update", token.id)));
        }
        self.put_refresh_token(token.clone())
    }
}

#[async_trait]
impl OneTimeTokenWrites for MemoryTransaction {
    async fn insert_one_time_token(&mut self, token: &OneTimeToken) -> Result<(), RepoError> {
        self.put_one_time(token.clone())
    }

    async fn lock_one_time_token(
        &mut self,
        purpose: OneTimePurpose,
        digest: &TokenDigest,
    ) -> Result<Option<OneTimeToken>, RepoError> {
        Ok(self.state()?.one_time.get(&(purpose, digest.clone())).cloned())
    }

    async fn consume_one_time_tokens(
        &mut self,
        user: UserId,
        purpose: OneTimePurpose,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let open: Vec<OneTimeToken> = self
            .state()?
            .one_time
            .values()
            .filter(|t| t.user_id == user && t.purpose == purpose && t.consumed_at.is_none())
            .cloned()
            .collect();
        for mut token in open {
            token.consumed_at = Some(at);
            self.put_one_time(token)?;
        }
        Ok(())
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

#[async_trait]
impl SettingsWrites for MemoryTransaction {
    async fn lock_settings(&mut self, namespace: &str) -> Result<StoredSettings, RepoError> {
        Ok(self.state()?.settings.get(namespace).cloned().unwrap_or_default())
    }

    async fn put_settings(&mut self, namespace: &str, settings: &StoredSettings) -> Result<(), RepoError> {
        let (namespace, settings) = (namespace.to_owned(), settings.clone());
        self.write(|state| {
            let previous = state.settings.insert(namespace.clone(), settings);
            Box::new(move |state: &mut State| match previous {
                Some(previous) => {
                    state.settings.insert(namespace, previous);
                }
                None => {
                    state.settings.remove(&namespace);
                }
            })
        })
    }
}

#[async_trait]
impl JournalWrites for MemoryTransaction {
    async fn record_login_attempt(&mut self, attempt: &LoginAttempt) -> Result<(), RepoError> {
        let attempt = attempt.clone();
        self.write(|state| {
            let dropped =
                if state.login_attempts.len() >= MAX_LOGIN_ATTEMPTS { state.login_attempts.pop_front() } else { None };
            state.login_attempts.push_back(attempt);
            Box::new(move |state: &mut State| {
                state.login_attempts.pop_back();
                if let Some(dropped) = dropped {
                    state.login_attempts.push_front(dropped);
                }
            })
        })
    }

    async fn record_audit(&mut self, entry: &AuditEntry) -> Result<(), RepoError> {
        let entry = entry.clone();
        self.write(|state| {
            let id = state.audit.last().map_or(1, |last| last.id + 1);
            state.audit.push(AuditRecord {
                id,
                actor: entry.actor,
                subject: entry.subject,
                action: entry.action.to_owned(),
                ip: entry.ip,
                user_agent: entry.user_agent,
                metadata: entry.metadata,
                at: entry.at,
            });
            Box::new(|state: &mut State| {
                state.audit.pop();
            })
        })
    }

    async fn record_events(&mut self, events: &[DomainEvent]) -> Result<(), RepoError> {
        let events = events.to_vec();
        self.write(|state| {
            let (len, seq) = (state.outbox.len(), state.next_seq);
            for event in events {
                state.next_seq += 1;
                state.outbox.push(OutboxEntry {
                    seq: state.next_seq,
                    event,
                    published_at: None,
                    attempts: 0,
                    last_error: None,
                    next_attempt_at: None,
                });
            }
            Box::new(move |state: &mut State| {
                state.outbox.truncate(len);
                state.next_seq = seq;
            })
        })
    }
}

#[async_trait]
impl Transaction for MemoryTransaction {
    async fn commit(mut self: Box<Self>) -> Result<(), RepoError> {
        self.undo.clear();
        self.state = None;
        Ok(())
    }
}

impl Drop for MemoryTransaction {
    fn drop(&mut self) {
        let Some(state) = self.state.as_deref_mut() else {
            return;
        };
        while let Some(undo) = self.undo.pop() {
            undo(state);
        }
    }
}

#[async_trait]
impl AuditRepository for MemoryStore {
    async fn list_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>, RepoError> {
        let state = self.state.lock().await;
        Ok(state
            .audit
            .iter()
            .rev()
            .filter(|e| filter.subject.is_none_or(|s| e.subject == Some(s)))
            .filter(|e| filter.actor.is_none_or(|a| e.actor == Some(a)))
            .filter(|e| filter.action.as_ref().is_none_or(|a| &e.action == a))
            .filter(|e| filter.since.is_none_or(|t| e.at >= t))
            .filter(|e| filter.until.is_none_or(|t| e.at <= t))
            .filter(|e| filter.before_id.is_none_or(|id| e.id < id))
            .take(filter.limit)
            .cloned()
            .collect())
    }
}

#[async_trait]
impl Outbox for MemoryStore {
    async fn pending(&self, limit: usize) -> Result<Vec<OutboxEntry>, RepoError> {
        let state = self.state.lock().await;
        Ok(state.outbox.iter().filter(|e| e.published_at.is_none()).take(limit).cloned().collect())
    }

    async fn relay(
        &self,
        limit: usize,
        publisher: &dyn EventPublisher,
        now: DateTime<Utc>,
    ) -> Result<RelayReport, RepoError> {
        // The lock is held while publishing: one relay at a time, like SKIP LOCKED would do.
        // Entries are decoded values here, so nothing is ever parked.
        let mut state = self.state.lock().await;
        let batch: Vec<DomainEvent> = state
            .outbox
            .iter()
            .filter(|e| e.published_at.is_none() && e.next_attempt_at.is_none_or(|at| at <= now))
            .take(limit)
            .map(|e| e.event.clone())
            .collect();
        let mut report = RelayReport::default();
        if batch.is_empty() {
            return Ok(report);
        }
        let outcome = publisher.publish(&batch).await;
        for entry in state.outbox.iter_mut().filter(|e| batch.iter().any(|b| b.id == e.event.id)) {
            match &outcome {
                Err(error) if error.failed(entry.event.id) => {
                    entry.attempts += 1;
                    entry.last_error = Some(error.to_string());
                    if error.retry_later() {
                        entry.next_attempt_at = Some(now + retry_delay(entry.attempts));
                    }
                    report.failed += 1;
                }
                _ => {
                    entry.published_at = Some(now);
                    report.published += 1;
                }
            }
        }
        report.error = outcome.err().map(|e| e.to_string());
        // Published entries are not needed any more; keep memory bounded.
        state.outbox.retain(|e| e.published_at.is_none());
        Ok(report)
    }

    async fn parked(&self, _limit: usize) -> Result<Vec<ParkedEntry>, RepoError> {
        Ok(Vec::new())
    }

    async fn parked_count(&self) -> Result<u64, RepoError> {
        Ok(0)
    }
}

#[cfg(test)]
mod contract {
    use identity_core::testkit::store::StoreUnderTest;

    use super::MemoryStore;

    identity_core::store_contract_tests!(async { StoreUnderTest::from_store(MemoryStore::new()) });
}
