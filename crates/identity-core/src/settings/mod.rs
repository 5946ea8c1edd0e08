//! Settings: the admin settings (namespaced, typed, secrets sealed at rest) and their
//! connection checks.

pub mod model;
mod probe;
mod service;
mod store;

pub use model::*;

/// The settings' value types (`domain::settings::X`).
pub mod domain {
    pub use super::model as settings;
}

/// What the settings need of a store and of the network.
pub mod ports {
    pub use super::probe::{HttpProbe, ProbeRequest, ProbeResponse};
    pub use super::store::{SettingsRepository, SettingsWrites};
}

/// The settings use cases.
pub mod usecases {
    pub use super::service::{ProbeOutcome, SettingsService, SettingsView};
}
