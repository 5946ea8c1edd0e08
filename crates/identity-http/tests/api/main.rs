//! Black-box tests of the HTTP API: each test starts the real server on a random port and
//! talks HTTP to it like a client would, on the embedded default and on PostgreSQL (each test
//! on its own database: a leased copy of a migrated template, see the README). One reads the
//! source instead: `modules`, the guard against import cycles between identity-http's modules.

mod helpers;

mod account_protection;
mod admin;
mod agents;
mod audit;
mod auth;
mod authz;
mod cli;
mod consumer;
mod contract;
mod control_chars;
mod delivery;
mod dependencies;
mod docs;
mod durability;
mod email_change;
mod errors;
mod event_contract;
mod events;
mod forward_auth;
mod groups;
mod idempotency;
mod jobs;
mod logs;
mod metrics;
mod mfa;
mod mfa_login;
mod modules;
mod openapi;
mod operations;
mod pages;
mod passkeys;
mod passwords;
mod profile;
mod proxy;
mod realtime;
mod realtime_replicas;
mod registration;
mod scale_out;
mod secret_files;
mod secrets_manager;
mod security;
mod service_clients;
mod sessions;
mod settings;
mod shared_database;
mod shutdown;
mod stubs;
mod tls;
mod traces;
mod verifier;
