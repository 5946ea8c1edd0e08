//! The pure domain of the identity service.
//!
//! This crate holds the aggregates, value objects and domain events, the **ports** (traits the
//! adapters implement) and the **use cases** that implement every flow against those ports. It
//! never depends on a web framework, a database driver, a runtime or a crypto implementation: a
//! check (`xtask` and a test) fails the build when it does.

pub mod domain;
pub mod ports;
pub mod usecases;

#[cfg(feature = "testkit")]
pub mod testkit;

pub use domain::*;
