//! The contract of the store ports, one file per port: every adapter of [`StorePorts`]
//! passes each case (run through [`store_contract_tests!`](crate::store_contract_tests)).

use crate::domain::*;
use crate::ports::*;

/// One store adapter, seen through each of its ports ([`StorePorts`], which it derefs to)
/// and through the agents' ([`AgentsPorts`], on the same database: their events land in the
/// same outbox).
#[derive(Clone)]
pub struct StoreUnderTest {
    pub ports: StorePorts,
    pub agents: AgentsPorts,
}

impl StoreUnderTest {
    /// Builds one from a store that implements every port.
    pub fn from_store<S>(store: S) -> Self
    where
        S: UserRepository
            + SessionRepository
            + UnitOfWork
            + Outbox
            + AuditRepository
            + AccessRepository
            + SettingsRepository
            + RequestLog
            + AgentRepository
            + InstanceRepository
            + AgentsUnitOfWork
            + JobQueue
            + Retention
            + ServiceClientRepository
            + MfaRepository
            + Clone,
    {
        Self { ports: StorePorts::from_store(store.clone()), agents: AgentsPorts::from_store(store) }
    }
}

impl std::ops::Deref for StoreUnderTest {
    type Target = StorePorts;

    fn deref(&self) -> &StorePorts {
        &self.ports
    }
}

// The contract cases panic with a message on failure, like any test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub mod access;
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub mod agents;
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub mod audit;
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub mod jobs;
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub mod mfa;
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub mod one_time_tokens;
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub mod outbox;
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub mod requests;
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub mod service_clients;
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub mod sessions;
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub mod settings;
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub mod transactions;
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub mod users;

/// Inserts the user and records the events in one committed transaction (through the
/// transaction's [`WritePorts`], so every adapter hands them out).
#[allow(clippy::unwrap_used)]
async fn insert(store: &StoreUnderTest, user: &User, events: &[DomainEvent]) -> Result<(), RepoError> {
    let mut tx = store.uow.begin().await.unwrap();
    tx.users().insert_user(user).await?;
    tx.journal().record_events(events).await?;
    tx.commit().await
}

/// Runs `write` in a transaction and commits it.
#[allow(clippy::unwrap_used)]
async fn in_tx<T>(store: &StoreUnderTest, write: impl AsyncFnOnce(&mut dyn Transaction) -> T) -> T {
    let mut tx = store.uow.begin().await.unwrap();
    let out = write(tx.as_mut()).await;
    tx.commit().await.unwrap();
    out
}
