//! Ports: what the use cases need from the outside world. Adapters implement them
//! (`identity-memory`, `identity-postgres`, `identity-redis`, `identity-amqp`,
//! `identity-crypto`); every port has a contract suite in [`crate::testkit`].
//!
//! One file per concern; every port is re-exported here, so `crate::ports::X` names each.

mod codes;
mod crypto;
mod error;
mod mail;
mod outbox;
mod probe;
mod store;
mod system;
mod transaction;

pub use codes::{CodeStore, RateDecision, RateLimiter, RevocationList};
pub use crypto::{AccessClaims, HashError, PasswordHasher, SecretBox, Secrets, TokenError, TokenIssuer, Verification};
pub use error::{Conflict, RepoError};
pub use mail::{Mail, Notifier};
pub use outbox::{Backlog, EventPublisher, Outbox, OutboxEntry, ParkedEntry, PublishError, RelayReport};
pub use probe::{HttpProbe, ProbeRequest, ProbeResponse};
pub use store::{
    AccessRepository, AuditRepository, PageRequest, RequestLog, SessionRepository, SettingsRepository, StorePorts,
    UserFilter, UserRepository,
};
pub use system::{ClientInfo, Clock, HealthCheck, IdGenerator};
pub use transaction::{
    AccessWrites, JournalWrites, LoginAttempt, OneTimeTokenWrites, SessionSelector, SessionWrites, SettingsWrites,
    Transaction, UnitOfWork, UserWrites, WritePorts,
};
