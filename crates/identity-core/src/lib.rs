//! The pure domain of the identity service.
//!
//! This crate holds the aggregates, value objects and domain events, the **ports** (traits the
//! adapters implement) and the **use cases** that implement every flow against those ports. It
//! never depends on a web framework, a database driver, a runtime or a crypto implementation: a
//! check (`xtask` and a test) fails the build when it does.
//!
//! It is grouped by context, each a folder with its domain types, its ports and its services:
//!
//! | context | owns |
//! |---|---|
//! | [`accounts`] | users, passwords, profiles; registration, verification, admin of users |
//! | [`sessions`] | login, tokens, refresh, sessions, devices, revocation |
//! | [`access`] | groups, memberships, app grants |
//! | [`agents`] | the agents catalog and users' agent instances (their own unit of work) |
//! | [`settings`] | admin settings, sealed secrets, connection checks |
//! | [`audit`] | the audit log and its searches |
//! | [`events`] | domain events, the outbox and its delivery rules |
//! | [`authz`] | the caller and the one authorization decision |
//! | [`clients`] | service clients: their scopes, secrets and tokens; introspection and service reads |
//! | [`jobs`] | durable jobs: the queue's rules, mail, provisioning and retention handlers |
//! | [`mfa`] | second factors: TOTP, recovery codes, the check of a factor at sign-in |
//! | [`realtime`] | what the WebSocket gateway pushes to whom, close codes, socket tickets |
//! | [`kernel`] | what they share: validation, errors, the unit of work, clock, ids, mail, throttle |
//!
//! [`domain`], [`ports`] and [`usecases`] are the adapters' view across the contexts: each
//! re-exports every context's module of that layer (a new context adds one line to each).

pub mod access;
pub mod accounts;
pub mod agents;
pub mod audit;
pub mod authz;
pub mod clients;
pub mod events;
pub mod jobs;
pub mod kernel;
pub mod mfa;
pub mod realtime;
pub mod sessions;
pub mod settings;

mod services;

#[cfg(feature = "testkit")]
pub mod testkit;

/// Every context's aggregates, value objects and domain events.
pub mod domain {
    pub use crate::access::domain::*;
    pub use crate::accounts::domain::*;
    pub use crate::agents::domain::*;
    pub use crate::audit::domain::*;
    pub use crate::clients::domain::*;
    pub use crate::events::domain::*;
    pub use crate::jobs::domain::*;
    pub use crate::kernel::domain::*;
    pub use crate::mfa::domain::*;
    pub use crate::realtime::domain::*;
    pub use crate::sessions::domain::*;
    pub use crate::settings::domain::*;
}

/// Every context's ports: what the use cases need from the outside world. Adapters implement
/// them (`identity-memory`, `identity-postgres`, `identity-redis`, `identity-amqp`,
/// `identity-crypto`); every port has a contract suite in `testkit`.
pub mod ports {
    pub use crate::access::ports::*;
    pub use crate::accounts::ports::*;
    pub use crate::agents::ports::*;
    pub use crate::audit::ports::*;
    pub use crate::clients::ports::*;
    pub use crate::events::ports::*;
    pub use crate::jobs::ports::*;
    pub use crate::kernel::ports::*;
    pub use crate::mfa::ports::*;
    pub use crate::sessions::ports::*;
    pub use crate::settings::ports::*;
}

/// Every context's use cases, and [`Services`](usecases::Services), which builds them all
/// over only the ports each uses.
pub mod usecases {
    pub use crate::access::usecases::*;
    pub use crate::accounts::usecases::*;
    pub use crate::agents::usecases::*;
    pub use crate::audit::usecases::*;
    pub use crate::authz::{
        Aal, Assurance, Authenticated, AuthorizationService, Caller, Need, Refusal, authorize, authorize_service,
        decide, decide_scope,
    };
    pub use crate::clients::usecases::*;
    pub use crate::jobs::usecases::*;
    pub use crate::kernel::usecases::*;
    pub use crate::mfa::usecases::*;
    pub use crate::realtime::usecases::*;
    pub use crate::services::{AuthSettings, Ports, Services};
    pub use crate::sessions::usecases::*;
    pub use crate::settings::usecases::*;
}

pub use domain::*;
