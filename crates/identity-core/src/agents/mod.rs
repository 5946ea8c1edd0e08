//! Agents and instances: the read-only catalog of agents users pick from (admins keep it),
//! and each user's instances of them, which other services share and change through events.

mod catalog;
mod instances;
mod model;
mod provisioning;
mod store;

/// Agents, instances, their states and filters.
pub mod domain {
    pub use super::model::{
        Agent, AgentFields, AgentFilter, AgentId, Instance, InstanceFilter, InstanceId, InstanceState, SLUG_PATTERN,
    };
}

/// What agents and instances need of a store.
pub mod ports {
    pub use super::provisioning::InstanceProvisioner;
    pub use super::store::{
        AgentRepository, AgentWrites, AgentsPorts, AgentsTransaction, AgentsUnitOfWork, InstanceRepository,
        InstanceWrites,
    };
}

/// The agents' use cases.
pub mod usecases {
    pub use super::catalog::{AgentQuery, AgentService};
    pub use super::instances::{Consumed, ExternalInstanceUpdate, InstanceChange, InstanceService, NewInstance};
    pub use super::provisioning::{Immediate, ProvisionHandler};
}
