//! Writes: [`UnitOfWork`] begins a [`Transaction`], which hands out the write port of each
//! aggregate ([`WritePorts`]: `tx.users()` is [`UserWrites`], `tx.sessions()`
//! [`SessionWrites`], `tx.one_time_tokens()`, `tx.access()`, `tx.settings()`, `tx.journal()`, `tx.jobs()`, `tx.service_clients()`)
//! and commits. It is not the sum of its ports: a new aggregate adds its write trait and one
//! accessor here, and the code of the others does not change.

use async_trait::async_trait;

use crate::domain::DomainEvent;
use crate::ports::RepoError;
use crate::ports::{
    AccessWrites, JobWrites, LoginAttempt, MfaWrites, OneTimeTokenWrites, ServiceClientWrites, SessionWrites,
    SettingsWrites, UserWrites,
};

/// Starts transactions. A use case that changes state begins one, makes every write and
/// records every domain event through it, and commits: all of it lands or none of it does.
#[async_trait]
pub trait UnitOfWork: Send + Sync + 'static {
    async fn begin(&self) -> Result<Box<dyn Transaction>, RepoError>;
}

/// One open transaction: every write port of one store, in one transaction. Dropping it
/// without [`Transaction::commit`] rolls everything back.
///
/// An adapter implements each write port and `commit`; [`WritePorts`] comes with them.
#[async_trait]
pub trait Transaction: WritePorts + Send {
    async fn commit(self: Box<Self>) -> Result<(), RepoError>;
}

/// Each write port of a transaction on its own. Implemented for every type that implements
/// all of them, so adapters never write it; callable on a `dyn Transaction`.
pub trait WritePorts {
    fn users(&mut self) -> &mut dyn UserWrites;
    fn sessions(&mut self) -> &mut dyn SessionWrites;
    fn one_time_tokens(&mut self) -> &mut dyn OneTimeTokenWrites;
    fn access(&mut self) -> &mut dyn AccessWrites;
    fn settings(&mut self) -> &mut dyn SettingsWrites;
    fn journal(&mut self) -> &mut dyn JournalWrites;
    /// Jobs enqueued with the change (a mail the change sends).
    fn jobs(&mut self) -> &mut dyn JobWrites;
    fn service_clients(&mut self) -> &mut dyn ServiceClientWrites;
    fn mfa(&mut self) -> &mut dyn MfaWrites;
}

impl<T> WritePorts for T
where
    T: UserWrites
        + SessionWrites
        + OneTimeTokenWrites
        + AccessWrites
        + SettingsWrites
        + JournalWrites
        + JobWrites
        + ServiceClientWrites
        + MfaWrites,
{
    fn users(&mut self) -> &mut dyn UserWrites {
        self
    }

    fn sessions(&mut self) -> &mut dyn SessionWrites {
        self
    }

    fn one_time_tokens(&mut self) -> &mut dyn OneTimeTokenWrites {
        self
    }

    fn access(&mut self) -> &mut dyn AccessWrites {
        self
    }

    fn settings(&mut self) -> &mut dyn SettingsWrites {
        self
    }

    fn journal(&mut self) -> &mut dyn JournalWrites {
        self
    }

    fn jobs(&mut self) -> &mut dyn JobWrites {
        self
    }

    fn service_clients(&mut self) -> &mut dyn ServiceClientWrites {
        self
    }

    fn mfa(&mut self) -> &mut dyn MfaWrites {
        self
    }
}

/// Append-only records written in a transaction: login attempts, the audit log and the
/// outbox of domain events.
#[async_trait]
pub trait JournalWrites: Send {
    async fn record_login_attempt(&mut self, attempt: &LoginAttempt) -> Result<(), RepoError>;
    /// Appends an entry to the audit log (never updated or deleted).
    async fn record_audit(&mut self, entry: &crate::domain::AuditEntry) -> Result<(), RepoError>;
    /// Appends events to the outbox, to be published after commit.
    async fn record_events(&mut self, events: &[DomainEvent]) -> Result<(), RepoError>;
    /// Records which resource a keyed create request made (replacing an older record under
    /// the same key), and forgets records older than [`REQUEST_KEY_TTL`](crate::domain::REQUEST_KEY_TTL)
    /// before `record.at`.
    async fn record_request(&mut self, record: &crate::domain::RequestRecord) -> Result<(), RepoError>;
}
