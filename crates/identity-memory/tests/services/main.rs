//! The services on the in-memory adapters, with a clock the test moves: expiry, account
//! states and rehashing without sleeping. One module per service.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin;
mod login;
mod mfa;
mod passwords;
mod registration;
mod sessions;
mod world;
