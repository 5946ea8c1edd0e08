//! Every store port in memory: the state behind one lock, the unit of work and its undo log.
//! Each aggregate's reads and writes live in a file of their own.

mod access;
mod agents;
mod jobs;
mod journal;
mod mfa;
mod one_time_tokens;
mod outbox;
mod service_clients;
mod sessions;
mod settings;
mod users;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use async_trait::async_trait;
use identity_core::ports::{LoginAttempt, OutboxEntry, PageRequest, RepoError, Transaction, UnitOfWork};
use identity_core::settings::StoredSettings;
use identity_core::{
    AuditRecord, Device, DeviceId, OneTimePurpose, OneTimeToken, RefreshToken, RefreshTokenId, Session, SessionId,
    TokenDigest, User, UserId,
};
use tokio::sync::{Mutex, Notify, OwnedMutexGuard};
use uuid::Uuid;

use access::Access;
use agents::Agents;

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
    /// Keyed create requests by key.
    requests: HashMap<String, identity_core::domain::RequestRecord>,
    agents: Agents,
    jobs: jobs::Jobs,
    service_clients: HashMap<Uuid, identity_core::domain::ServiceClient>,
    mfa: mfa::Mfa,
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
    /// Rung when a transaction that recorded events commits (`Outbox::committed`).
    committed: Arc<Notify>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl UnitOfWork for MemoryStore {
    async fn begin(&self) -> Result<Box<dyn Transaction>, RepoError> {
        Ok(Box::new(self.transaction().await))
    }
}

impl MemoryStore {
    /// Every port's transaction: the state, locked until it ends.
    async fn transaction(&self) -> MemoryTransaction {
        let guard = self.state.clone().lock_owned().await;
        MemoryTransaction { state: Some(guard), undo: Vec::new(), recorded: false, committed: self.committed.clone() }
    }
}

/// Takes back one write of an uncommitted transaction.
type Undo = Box<dyn FnOnce(&mut State) + Send>;

/// Writes go straight to the locked state and push their undo; dropping the transaction
/// without committing runs the undos backwards.
struct MemoryTransaction {
    state: Option<OwnedMutexGuard<State>>,
    undo: Vec<Undo>,
    /// Whether it recorded events: its commit then rings `committed`.
    recorded: bool,
    committed: Arc<Notify>,
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
}

#[async_trait]
impl Transaction for MemoryTransaction {
    async fn commit(mut self: Box<Self>) -> Result<(), RepoError> {
        self.undo.clear();
        self.state = None;
        if self.recorded {
            self.committed.notify_one();
        }
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

#[cfg(test)]
mod contract {
    use identity_core::testkit::store::StoreUnderTest;

    use super::MemoryStore;

    identity_core::store_contract_tests!(async { StoreUnderTest::from_store(MemoryStore::new()) });
}
