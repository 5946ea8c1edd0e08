//! Service clients: other services calling this one (SPEC §1: half of our users). An admin
//! creates a client with scopes; the service authenticates with its id and secret (HTTP
//! Basic) or with a short-lived token of the OAuth2 `client_credentials` grant, and may then
//! use the service routes its scopes open: token introspection, user reads, settings reads.

mod model;
mod reads;
mod service;
mod store;

/// Clients, their scopes, secrets and tokens.
pub mod domain {
    pub use super::model::{
        ClientSecret, Introspection, IssuedSecret, NewServiceClient, Scope, ServiceCaller, ServiceClaims,
        ServiceClient, ServiceClientChange,
    };
}

/// What service clients need of a store.
pub mod ports {
    pub use super::store::{ServiceClientRepository, ServiceClientWrites};
}

/// The service-client use cases.
pub mod usecases {
    pub use super::service::{MAX_OVERLAP, ServiceClientService};
}
