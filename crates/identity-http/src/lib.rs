//! The HTTP API (actix-web): handlers, extractors, the error mapping, the OpenAPI document,
//! configuration and the composition root. Thin: every rule lives in `identity-core`.

pub mod access_log;
pub mod bootstrap;
pub mod client;
pub mod config;
pub mod consumer;
pub mod database;
pub mod dependencies;
pub mod error;
pub mod extract;
pub mod gate;
pub mod gauges;
pub mod idempotency;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod openapi_rules;
pub mod otel;
pub mod pages;
pub mod probe;
pub mod problem_code;
pub mod process_stats;
pub mod provisioner;
pub mod proxy;
pub mod rate_headers;
pub mod relay;
pub mod routes;
pub mod security;
pub mod server;
pub mod starting;
pub mod state;
pub mod telemetry;
pub mod workers;

pub use config::Config;
pub use server::Application;
