use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use identity_core::TokenDigest;
use identity_core::ports::Secrets;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Random tokens and codes from the OS CSPRNG, SHA-256 digests, and HMAC-SHA-256 successors
/// of refresh tokens under a server key.
#[derive(Clone)]
pub struct OsSecrets {
    successor_key: [u8; 32],
    /// The key of [`Secrets::keyed_digest`], derived from the successor key.
    digest_key: [u8; 32],
}

impl OsSecrets {
    /// `successor_key` must be the same on every replica (derive it from the signing key).
    pub fn new(successor_key: [u8; 32]) -> Self {
        Self { successor_key, digest_key: derive_key(&successor_key, "keyed-digest") }
    }

    fn random<const N: usize>() -> [u8; N] {
        // The OS random source failing is not recoverable; there is no safe fallback.
        #[allow(clippy::expect_used)]
        crate::random_bytes::<N>().expect("the operating system's random source failed")
    }
}

impl Secrets for OsSecrets {
    fn new_token(&self) -> String {
        URL_SAFE_NO_PAD.encode(Self::random::<32>())
    }

    fn new_code(&self, digits: u32) -> String {
        let digits = digits.clamp(1, 9);
        let modulus = 10u32.pow(digits);
        // Rejection sampling: no value is likelier than another.
        let zone = u32::MAX - (u32::MAX % modulus);
        loop {
            let n = u32::from_le_bytes(Self::random::<4>());
            if n < zone {
                return format!("{:0width$}", n % modulus, width = digits as usize);
            }
        }
    }

    fn digest(&self, token: &str) -> TokenDigest {
        TokenDigest(Sha256::digest(token.as_bytes()).into())
    }

    fn keyed_digest(&self, value: &str) -> TokenDigest {
        // HMAC accepts keys of any length; 32 bytes cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.digest_key).unwrap_or_else(|_| unreachable!());
        mac.update(value.as_bytes());
        TokenDigest(mac.finalize().into_bytes().into())
    }

    fn successor(&self, token: &str) -> String {
        // HMAC accepts keys of any length; 32 bytes cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.successor_key).unwrap_or_else(|_| unreachable!());
        mac.update(b"refresh-successor:");
        mac.update(token.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    fn equal(&self, a: &str, b: &str) -> bool {
        a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
    }
}

/// A 32-byte key for `context`, derived from secret key material (SHA-256 of both).
pub fn derive_key(secret: &[u8], context: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"identity key derivation v1\0");
    hasher.update(context.as_bytes());
    hasher.update([0]);
    hasher.update(secret);
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn secrets() -> OsSecrets {
        OsSecrets::new([7; 32])
    }

    #[test]
    fn tokens_are_long_random_and_url_safe() {
        let s = secrets();
        let tokens: HashSet<String> = (0..1000).map(|_| s.new_token()).collect();
        assert_eq!(tokens.len(), 1000);
        for t in &tokens {
            assert_eq!(t.len(), 43, "256 bits in base64url");
            assert!(t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        }
    }

    #[test]
    fn codes_have_their_digits_and_spread() {
        let s = secrets();
        let codes: Vec<String> = (0..2000).map(|_| s.new_code(6)).collect();
        assert!(codes.iter().all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit())));
        assert!(codes.iter().collect::<HashSet<_>>().len() > 1900);
        // Leading zeros are kept.
        let first_digits: HashSet<u8> = codes.iter().map(|c| c.as_bytes()[0]).collect();
        assert_eq!(first_digits.len(), 10);
    }

    #[test]
    fn successors_are_deterministic_per_key() {
        let s = secrets();
        let token = s.new_token();
        assert_eq!(s.successor(&token), s.successor(&token));
        assert_ne!(s.successor(&token), token);
        assert_ne!(OsSecrets::new([8; 32]).successor(&token), s.successor(&token));
        assert_eq!(s.successor(&token).len(), 43);
    }

    #[test]
    fn digests_and_comparison() {
        let s = secrets();
        assert_eq!(s.digest("abc"), s.digest("abc"));
        assert_ne!(s.digest("abc"), s.digest("abd"));
        assert!(s.equal("same", "same"));
        assert!(!s.equal("same", "sane"));
        assert!(!s.equal("short", "longer"));
        assert_eq!(s.keyed_digest("abc"), s.keyed_digest("abc"));
        assert_ne!(s.keyed_digest("abc"), s.digest("abc"), "keyed, not plain");
        assert_ne!(s.keyed_digest("abc"), OsSecrets::new([1; 32]).keyed_digest("abc"));
        assert_ne!(derive_key(b"k", "a"), derive_key(b"k", "b"));
    }
}
