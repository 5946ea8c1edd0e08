//! Verifies the identity service's access tokens offline, in the service that receives them.
//!
//! The tokens are PASETO `v4.public` (Ed25519): anyone holding the public key can check them
//! without asking the identity service. [`Verifier`] fetches the public keys once from
//! `GET {base_url}/.well-known/paserk`, keeps them in memory and verifies every token locally:
//! signature, issuer, audience, `nbf` and `exp` (with a leeway for clock drift). A token signed
//! by a key it does not know yet (the identity service rotated its key) makes it fetch the keys
//! again, at most once per [`Config::min_refresh_interval`], so that tokens with made-up key
//! ids cannot make it hammer the identity service.
//!
//! With the `actix` feature (on by default), [`Authenticated`] is an actix-web extractor that
//! answers 401 `application/problem+json` to a request without a valid token.
//!
//! The crate depends on no other crate of the identity workspace: the token format is
//! restated here (see [`Claims`]).

mod claims;
mod error;
mod keys;
mod verifier;

#[cfg(feature = "actix")]
mod actix;

#[cfg(feature = "actix")]
pub use actix::{AuthError, Authenticated};
pub use claims::Claims;
pub use error::{ConfigError, VerifyError};
pub use verifier::{Config, Verifier};

/// The README's examples, compiled by `cargo test` so that they stay true.
#[cfg(all(doctest, feature = "actix"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
