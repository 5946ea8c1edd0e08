//! Cryptography adapters: Argon2id password hashing on a bounded blocking pool, PASETO
//! v4.public access tokens with PASERK keys, TOTP, passkeys (the WebAuthn relying party, with
//! webauthn-rs), and the system clock and UUIDv7 ids.

mod hasher;
mod otp;
mod paseto;
mod sealing;
mod secrets;
mod system;
mod verified;
mod webauthn;

pub use hasher::{Argon2Hasher, HasherSettings};
pub use otp::Totp;
pub use paseto::{KeyError, PasetoKeys, PasetoTokens};
pub use sealing::SealingKey;
pub use secrets::{OsSecrets, derive_key};
pub use system::{SystemClock, UuidV7Generator, random_bytes};
pub use webauthn::WebAuthnRp;
