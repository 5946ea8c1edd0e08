//! Events: the domain events every context records in its transaction, the outbox they wait
//! in, and the delivery rules of the relay that publishes them.

mod delivery;
mod model;
mod outbox;
mod schema;

/// Domain events and the outbox's delivery rules.
pub mod domain {
    pub use super::delivery::{Delivery, PublishFailure, retry_delay};
    pub use super::model::{
        AgentData, AgentDeletedData, DomainEvent, EventType, InstanceData, MfaChangedData, PasswordChangedData,
        PresenceUpdatedData, SessionCreatedData, SessionRevokedData, UserDeletedData, UserRegisteredData,
        UserUpdatedData, UserVerifiedData,
    };
}

/// The outbox and the publisher.
pub mod ports {
    pub use super::outbox::{
        Backlog, EventPublisher, Outbox, OutboxEntry, ParkedEntry, PublishError, RelayReport, TraceContext,
    };
}
