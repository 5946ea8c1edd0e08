//! Access tokens a key set has already verified, with their claims: an Ed25519 check is the
//! largest piece of CPU an authenticated read spends in this process, and a client sends the
//! same token with every request until it refreshes.
//!
//! What is kept is exactly what verifying would answer again: the answer depends only on the
//! token's bytes and on the keys, issuer and audience, which never change for the
//! [`super::PasetoTokens`] that owns the cache. A token is found by its whole text (never a
//! digest of it), so only a token that verified is ever answered from here. The times in the
//! claims are still checked against the clock on every request, by the caller, as before.
//!
//! Bounded: two generations of at most `capacity / 2` tokens each. A token used again moves to
//! the young generation; when that is full, the old one is dropped and the young one becomes
//! old. Tokens that stop being used leave within two generations.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use identity_core::ports::AccessClaims;

/// Verified tokens, most recently used kept (see the module's documentation).
pub(crate) struct VerifiedTokens {
    half: usize,
    generations: Mutex<Generations>,
}

#[derive(Default)]
struct Generations {
    young: HashMap<Box<str>, AccessClaims>,
    old: HashMap<Box<str>, AccessClaims>,
}

impl Generations {
    fn insert(&mut self, half: usize, token: Box<str>, claims: AccessClaims) {
        if self.young.len() >= half {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.insert(token, claims);
    }
}

impl VerifiedTokens {
    /// Holds at most `capacity` tokens (at least 2).
    pub(crate) fn new(capacity: usize) -> Self {
        Self { half: (capacity / 2).max(1), generations: Mutex::default() }
    }

    /// The claims `token` verified to, if it did lately.
    pub(crate) fn get(&self, token: &str) -> Option<AccessClaims> {
        let mut generations = self.generations.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(claims) = generations.young.get(token) {
            return Some(claims.clone());
        }
        let (token, claims) = generations.old.remove_entry(token)?;
        generations.insert(self.half, token, claims.clone());
        Some(claims)
    }

    /// Remembers that `token` verified to `claims`.
    pub(crate) fn put(&self, token: &str, claims: &AccessClaims) {
        let mut generations = self.generations.lock().unwrap_or_else(PoisonError::into_inner);
        generations.insert(self.half, token.into(), claims.clone());
    }

    /// How many tokens are held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        let generations = self.generations.lock().unwrap_or_else(PoisonError::into_inner);
        generations.young.len() + generations.old.len()
    }
}
