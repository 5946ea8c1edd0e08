//! Secrets at rest: XChaCha20-Poly1305 with a random 192-bit nonce per value, the value's
//! context as associated data, and the key's id in the sealed string so a wrong key is told
//! apart from tampering.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use identity_core::ports::SecretBox;
use identity_core::settings::SecretValue;
use sha2::{Digest, Sha256};

const VERSION: &str = "v1";

/// Seals and opens secrets with one 256-bit key.
#[derive(Clone)]
pub struct SealingKey {
    cipher: XChaCha20Poly1305,
    kid: String,
}

impl SealingKey {
    pub fn new(key: [u8; 32]) -> Self {
        let digest = Sha256::new().chain_update(b"identity secret box key id\0").chain_update(key).finalize();
        let kid = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        Self { cipher: XChaCha20Poly1305::new(&key.into()), kid }
    }

    /// A key given as 32 bytes in base64 (standard or URL-safe, padded or not).
    pub fn from_base64(encoded: &str) -> anyhow::Result<Self> {
        let trimmed = encoded.trim().trim_end_matches('=');
        let bytes = URL_SAFE_NO_PAD
            .decode(trimmed.replace('+', "-").replace('/', "_"))
            .map_err(|_| anyhow::anyhow!("not base64"))?;
        let key: [u8; 32] =
            bytes.try_into().map_err(|b: Vec<u8>| anyhow::anyhow!("{} bytes; a key has exactly 32", b.len()))?;
        Ok(Self::new(key))
    }

    /// The key's id, as written into every value it seals.
    pub fn kid(&self) -> &str {
        &self.kid
    }
}

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealingKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

impl SecretBox for SealingKey {
    fn seal(&self, secret: &SecretValue, context: &str) -> anyhow::Result<String> {
        let nonce_bytes = crate::random_bytes::<24>()?;
        let nonce = XNonce::from_slice(&nonce_bytes);
        let sealed = self
            .cipher
            .encrypt(nonce, Payload { msg: secret.expose().as_bytes(), aad: context.as_bytes() })
            .map_err(|_| anyhow::anyhow!("encryption failed"))?;
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{VERSION}.{}.{}", self.kid, URL_SAFE_NO_PAD.encode(out)))
    }

    fn open(&self, sealed: &str, context: &str) -> anyhow::Result<SecretValue> {
        let mut parts = sealed.splitn(3, '.');
        let (Some(VERSION), Some(kid), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
            anyhow::bail!("not a sealed value of this service");
        };
        if kid != self.kid {
            anyhow::bail!("sealed with another key (kid {kid}; this key is {}): was the key changed?", self.kid);
        }
        let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| anyhow::anyhow!("damaged sealed value"))?;
        if bytes.len() < 24 + 16 {
            anyhow::bail!("damaged sealed value");
        }
        let (nonce, ciphertext) = bytes.split_at(24);
        let plain = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: context.as_bytes() })
            .map_err(|_| anyhow::anyhow!("the sealed value was altered or belongs elsewhere"))?;
        Ok(SecretValue::new(String::from_utf8(plain).map_err(|_| anyhow::anyhow!("damaged sealed value"))?))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_context() {
        let key = SealingKey::new([7; 32]);
        let secret = SecretValue::new("sk-proj-abcdefghijklmnop1234");
        let sealed = key.seal(&secret, "settings/ai/api_key").unwrap();
        assert!(sealed.starts_with(&format!("v1.{}.", key.kid())));
        assert!(!sealed.contains("abcdefghijklmnop"));
        assert_eq!(key.open(&sealed, "settings/ai/api_key").unwrap(), secret);
        // A fresh nonce each time.
        assert_ne!(key.seal(&secret, "settings/ai/api_key").unwrap(), sealed);
        // Elsewhere, altered, or another key: refused.
        assert!(key.open(&sealed, "settings/other/api_key").is_err());
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 2;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        assert!(key.open(&String::from_utf8(altered).unwrap(), "settings/ai/api_key").is_err());
        let other = SealingKey::new([8; 32]);
        assert!(other.open(&sealed, "settings/ai/api_key").unwrap_err().to_string().contains("another key"));
        assert!(key.open("garbage", "settings/ai/api_key").is_err());
    }

    #[test]
    fn keys_are_read_from_base64() {
        let encoded = URL_SAFE_NO_PAD.encode([3u8; 32]);
        assert_eq!(SealingKey::from_base64(&encoded).unwrap().kid(), SealingKey::new([3; 32]).kid());
        let standard = base64::engine::general_purpose::STANDARD.encode([250u8; 32]);
        assert_eq!(SealingKey::from_base64(&standard).unwrap().kid(), SealingKey::new([250; 32]).kid());
        assert!(SealingKey::from_base64("c2hvcnQ").unwrap_err().to_string().contains("32"));
        assert!(SealingKey::from_base64("!!!").is_err());
    }
}
