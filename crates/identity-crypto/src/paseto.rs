use chrono::{DateTime, SecondsFormat, Utc};
use identity_core::ports::{AccessClaims, TokenError, TokenIssuer};
use identity_core::{ServiceClaims, SessionId, UserId};
use pasetors::Public;
use pasetors::keys::{AsymmetricKeyPair, AsymmetricPublicKey, AsymmetricSecretKey, Generate};
use pasetors::paserk::{FormatAsPaserk, Id};
use pasetors::token::UntrustedToken;
use pasetors::version4::{PublicToken, V4};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;

use crate::verified::VerifiedTokens;

/// A key that cannot be used, said in words (never with the key's value: it may be secret).
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{0}; expected a PASERK k4.secret.… key: generate one with `identity keygen`")]
    Secret(String),
    #[error("{0}; expected a PASERK k4.public.… key (the public key `identity keygen` prints with its secret)")]
    Public(String),
    #[error("key generation failed: {0}")]
    Generate(String),
}

/// Why `raw` is not a usable PASERK `k4.{expected}.…` key (`expected`: `secret` or `public`),
/// given the error pasetors reported for it. The value itself is never quoted.
fn unusable(raw: &str, expected: &str, error: &pasetors::errors::Error) -> String {
    let raw = raw.trim();
    if raw.is_empty() {
        return "the value is empty".into();
    }
    let mut parts = raw.splitn(3, '.');
    let (version, kind, data) = (parts.next().unwrap_or_default(), parts.next(), parts.next());
    let is_version = |v: &str| v.len() == 2 && v.starts_with('k') && v.as_bytes()[1].is_ascii_digit();
    let (Some(kind), Some(data)) = (kind, data) else {
        return "this is not a PASERK key (those look like k4.secret.…, k4.public.…)".into();
    };
    if !is_version(version) {
        return "this is not a PASERK key (those look like k4.secret.…, k4.public.…)".into();
    }
    if version != "k4" {
        return format!(
            "this is a version {} PASERK key ({version}.{kind}.…): only version 4 (Ed25519) keys are accepted",
            &version[1..]
        );
    }
    if kind != expected {
        let hint = match (kind, expected) {
            ("public", "secret") => ": a public key cannot sign tokens",
            ("secret", "public") => ": give the public key here, never the secret one",
            _ => "",
        };
        return format!("this is a k4.{kind}.… key, not a k4.{expected}.… key{hint}");
    }
    let length = if expected == "secret" { 64 } else { 32 };
    match error {
        pasetors::errors::Error::Key if expected == "secret" => {
            "the key data is not an Ed25519 key pair (its public half does not belong to its secret half)".into()
        }
        _ => format!(
            "the key data after k4.{expected}. is not {length} bytes of unpadded base64url ({} characters; this has {})",
            length_b64(length),
            data.chars().count()
        ),
    }
}

/// Whether `raw` is a `k4.secret.…` key whose Ed25519 seed (its first 32 bytes) is all zeros.
fn all_zero_seed(raw: &str) -> bool {
    use base64::Engine;
    raw.strip_prefix("k4.secret.")
        .and_then(|data| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(data).ok())
        .is_some_and(|bytes| bytes.len() >= 32 && bytes[..32].iter().all(|&b| b == 0))
}

/// The length of `bytes` bytes in unpadded base64.
const fn length_b64(bytes: usize) -> usize {
    (bytes * 4).div_ceil(3)
}

fn paserk(key: &impl FormatAsPaserk) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = key.fmt(&mut out);
    out
}

/// A public key with its PASERK id (`k4.pid.…`).
#[derive(Clone)]
struct VerificationKey {
    kid: String,
    key: AsymmetricPublicKey<V4>,
}

impl VerificationKey {
    fn new(key: AsymmetricPublicKey<V4>) -> Self {
        Self { kid: paserk(&Id::from(&key)), key }
    }
}

/// The signing key and every key tokens are still accepted from (the signing key's public
/// half plus retired keys kept during a rotation).
#[derive(Clone)]
pub struct PasetoKeys {
    signing: AsymmetricSecretKey<V4>,
    signing_kid: String,
    verifying: Vec<VerificationKey>,
}

impl PasetoKeys {
    /// Loads the signing key from its PASERK `k4.secret.…` form.
    pub fn from_paserk(secret: &str) -> Result<Self, KeyError> {
        // pasetors panics on an all-zero seed (ed25519-compact's `KeyPair::from_seed`).
        if all_zero_seed(secret.trim()) {
            return Err(KeyError::Secret("the key's secret half is all zeros".into()));
        }
        let signing = AsymmetricSecretKey::<V4>::try_from(secret.trim())
            .map_err(|e| KeyError::Secret(unusable(secret, "secret", &e)))?;
        let public = AsymmetricPublicKey::<V4>::try_from(&signing)
            .map_err(|e| KeyError::Secret(unusable(secret, "secret", &e)))?;
        let current = VerificationKey::new(public);
        Ok(Self { signing, signing_kid: current.kid.clone(), verifying: vec![current] })
    }

    /// A fresh key pair: for the embedded mode and tests. Tokens die with the process.
    pub fn generate() -> Result<Self, KeyError> {
        let pair = AsymmetricKeyPair::<V4>::generate().map_err(|e| KeyError::Generate(e.to_string()))?;
        Self::from_paserk(&paserk(&pair.secret))
    }

    /// Also accepts tokens signed by `public` (PASERK `k4.public.…`), e.g. the previous key
    /// during a rotation.
    pub fn with_verification_key(mut self, public: &str) -> Result<Self, KeyError> {
        let key = AsymmetricPublicKey::<V4>::try_from(public.trim())
            .map_err(|e| KeyError::Public(unusable(public, "public", &e)))?;
        let key = VerificationKey::new(key);
        if !self.verifying.iter().any(|k| k.kid == key.kid) {
            self.verifying.push(key);
        }
        Ok(self)
    }

    /// Checks that `public` is a PASERK `k4.public.…` key, as [`PasetoKeys::with_verification_key`]
    /// takes it.
    pub fn check_public_paserk(public: &str) -> Result<(), KeyError> {
        AsymmetricPublicKey::<V4>::try_from(public.trim())
            .map(drop)
            .map_err(|e| KeyError::Public(unusable(public, "public", &e)))
    }

    /// The signing key as PASERK `k4.secret.…` (to persist a generated key).
    pub fn secret_paserk(&self) -> String {
        paserk(&self.signing)
    }

    /// A 32-byte key for `context` derived from the signing key: the same on every replica
    /// that shares the signing key.
    pub fn derive_key(&self, context: &str) -> [u8; 32] {
        crate::derive_key(self.signing.as_bytes(), context)
    }

    /// The id of the key new tokens are signed with.
    pub fn signing_kid(&self) -> &str {
        &self.signing_kid
    }

    /// `(kid, k4.public.…)` of every key tokens are accepted from, signing key first.
    pub fn public_keys(&self) -> Vec<(String, String)> {
        self.verifying.iter().map(|k| (k.kid.clone(), paserk(&k.key))).collect()
    }
}

/// The claims as they travel in the token: RFC 3339 times, as PASETO's registered claims are.
#[derive(Serialize, Deserialize)]
struct WireClaims {
    iss: String,
    aud: String,
    sub: Uuid,
    sid: Uuid,
    iat: String,
    nbf: String,
    exp: String,
    jti: Uuid,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    amr: Vec<String>,
    /// Absent from tokens issued before it was added: those count from `iat`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    auth_time: Option<String>,
    /// The assurance level `amr` reaches (1, or 2 with a second factor), for verifiers that
    /// do not know which `amr` values are second factors. Read back from `amr`, never this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    aal: Option<u8>,
}

/// A service token's claims as they travel (RFC 3339 times; `scope` space-separated, as in
/// OAuth2).
#[derive(Serialize, Deserialize)]
struct WireServiceClaims {
    iss: String,
    aud: String,
    sub: Uuid,
    iat: String,
    nbf: String,
    exp: String,
    jti: Uuid,
    scope: String,
    /// Says what the token is to a reader; the implicit assertion is what enforces it.
    typ: String,
}

/// The implicit assertion (PASETO v4's `i`) of service tokens: signed in, never sent, so a
/// service token fails a user token's verification and the other way round, whatever its
/// claims say.
const SERVICE_ASSERTION: &[u8] = b"identity:service-token";

#[derive(Serialize, Deserialize)]
struct WireFooter {
    kid: String,
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn parse_time(name: &str, raw: &str) -> Result<DateTime<Utc>, TokenError> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| TokenError::Invalid(format!("claim {name} is not an RFC 3339 time")))
}

/// Issues and verifies PASETO v4.public access tokens. Only `v4.public.` tokens are ever
/// accepted: v1–v3 and local tokens fail at parsing, before any key is touched.
///
/// An access token that verified is answered from memory the next times it is shown
/// ([`VerifiedTokens`]: the same claims, without a second signature check). Clones share it.
#[derive(Clone)]
pub struct PasetoTokens {
    keys: PasetoKeys,
    issuer: String,
    audience: String,
    verified: Arc<VerifiedTokens>,
}

impl PasetoTokens {
    /// How many verified access tokens are remembered: a few MiB at most, far more than the
    /// tokens in use on one replica within an access token's lifetime at our loads.
    pub const VERIFIED_TOKENS: usize = 4096;

    pub fn new(keys: PasetoKeys, issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        let verified = Arc::new(VerifiedTokens::new(Self::VERIFIED_TOKENS));
        Self { keys, issuer: issuer.into(), audience: audience.into(), verified }
    }

    pub fn keys(&self) -> &PasetoKeys {
        &self.keys
    }

    /// Signs `claims` with the current key, its id in the footer.
    fn sign(&self, claims: &impl Serialize, assertion: Option<&[u8]>) -> Result<String, TokenError> {
        let payload = serde_json::to_vec(claims).map_err(|e| TokenError::Internal(e.into()))?;
        let footer = serde_json::to_vec(&WireFooter { kid: self.keys.signing_kid.clone() })
            .map_err(|e| TokenError::Internal(e.into()))?;
        PublicToken::sign(&self.keys.signing, &payload, Some(&footer), assertion)
            .map_err(|e| TokenError::Internal(anyhow::anyhow!("signing failed: {e}")))
    }

    /// Checks a token's form, key id and signature (with `assertion`), and returns its
    /// payload.
    fn open(&self, token: &str, assertion: Option<&[u8]>) -> Result<String, TokenError> {
        let untrusted = UntrustedToken::<Public, V4>::try_from(token)
            .map_err(|_| TokenError::Invalid("not a v4.public token".into()))?;
        let footer: WireFooter = serde_json::from_slice(untrusted.untrusted_footer())
            .map_err(|_| TokenError::Invalid("footer has no key id".into()))?;
        let key = self
            .keys
            .verifying
            .iter()
            .find(|k| k.kid == footer.kid)
            .ok_or_else(|| TokenError::Invalid("signed by an unknown or retired key".into()))?;
        // The footer is covered by the signature, so the key id cannot be swapped.
        let trusted = PublicToken::verify(&key.key, &untrusted, None, assertion)
            .map_err(|_| TokenError::Invalid("bad signature".into()))?;
        Ok(trusted.payload().to_owned())
    }

    /// [`TokenIssuer::verify`] without the memory of verified tokens: the signature, then
    /// the claims.
    fn verify_signed(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let payload = self.open(token, None)?;
        let wire: WireClaims =
            serde_json::from_str(&payload).map_err(|_| TokenError::Invalid("malformed claims".into()))?;
        if wire.iss != self.issuer || wire.aud != self.audience {
            return Err(TokenError::Invalid("wrong issuer or audience".into()));
        }
        let iat = parse_time("iat", &wire.iat)?;
        let auth_time = wire.auth_time.as_deref().map(|raw| parse_time("auth_time", raw)).transpose()?.unwrap_or(iat);
        Ok(AccessClaims {
            iat,
            auth_time,
            nbf: parse_time("nbf", &wire.nbf)?,
            exp: parse_time("exp", &wire.exp)?,
            iss: wire.iss,
            aud: wire.aud,
            sub: UserId::from_uuid(wire.sub),
            sid: SessionId::from_uuid(wire.sid),
            jti: wire.jti,
            roles: wire.roles,
            amr: wire.amr,
        })
    }
}

impl TokenIssuer for PasetoTokens {
    fn issue(&self, claims: &AccessClaims) -> Result<String, TokenError> {
        let wire = WireClaims {
            iss: claims.iss.clone(),
            aud: claims.aud.clone(),
            sub: claims.sub.as_uuid(),
            sid: claims.sid.as_uuid(),
            iat: time(claims.iat),
            nbf: time(claims.nbf),
            exp: time(claims.exp),
            jti: claims.jti,
            roles: claims.roles.clone(),
            amr: claims.amr.clone(),
            auth_time: Some(time(claims.auth_time)),
            aal: Some(identity_core::usecases::Aal::of(&claims.amr).number()),
        };
        self.sign(&wire, None)
    }

    fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        if let Some(claims) = self.verified.get(token) {
            return Ok(claims);
        }
        let claims = self.verify_signed(token)?;
        self.verified.put(token, &claims);
        Ok(claims)
    }

    fn issue_service(&self, claims: &ServiceClaims) -> Result<String, TokenError> {
        let wire = WireServiceClaims {
            iss: claims.iss.clone(),
            aud: claims.aud.clone(),
            sub: claims.sub,
            iat: time(claims.iat),
            nbf: time(claims.nbf),
            exp: time(claims.exp),
            jti: claims.jti,
            scope: claims.scope.join(" "),
            typ: "service".into(),
        };
        self.sign(&wire, Some(SERVICE_ASSERTION))
    }

    fn verify_service(&self, token: &str) -> Result<ServiceClaims, TokenError> {
        let payload = self.open(token, Some(SERVICE_ASSERTION))?;
        let wire: WireServiceClaims =
            serde_json::from_str(&payload).map_err(|_| TokenError::Invalid("malformed claims".into()))?;
        if wire.iss != self.issuer || wire.aud != self.audience || wire.typ != "service" {
            return Err(TokenError::Invalid("wrong issuer, audience or type".into()));
        }
        Ok(ServiceClaims {
            iat: parse_time("iat", &wire.iat)?,
            nbf: parse_time("nbf", &wire.nbf)?,
            exp: parse_time("exp", &wire.exp)?,
            iss: wire.iss,
            aud: wire.aud,
            sub: wire.sub,
            jti: wire.jti,
            scope: wire.scope.split_whitespace().map(str::to_owned).collect(),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn claims() -> AccessClaims {
        let now = DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap();
        AccessClaims {
            iss: "identity".into(),
            aud: "identity".into(),
            sub: UserId::from_uuid(Uuid::now_v7()),
            sid: SessionId::from_uuid(Uuid::now_v7()),
            iat: now,
            nbf: now,
            exp: now + Duration::minutes(15),
            jti: Uuid::now_v7(),
            roles: vec!["user".into()],
            amr: vec!["pwd".into()],
            auth_time: now - Duration::minutes(5),
        }
    }

    fn tokens() -> PasetoTokens {
        PasetoTokens::new(PasetoKeys::generate().unwrap(), "identity", "identity")
    }

    #[test]
    fn round_trips_claims_with_the_key_id_in_the_footer() {
        let tokens = tokens();
        let claims = claims();
        let token = tokens.issue(&claims).unwrap();
        assert!(token.starts_with("v4.public."));
        assert_eq!(tokens.verify(&token).unwrap(), claims);
        let untrusted = UntrustedToken::<Public, V4>::try_from(token.as_str()).unwrap();
        let footer = String::from_utf8(untrusted.untrusted_footer().to_vec()).unwrap();
        assert!(footer.contains(tokens.keys().signing_kid()), "{footer}");
        assert!(tokens.keys().signing_kid().starts_with("k4.pid."));
    }

    #[test]
    fn service_tokens_and_user_tokens_never_pass_for_each_other() {
        let tokens = tokens();
        let now = DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap();
        let service = ServiceClaims {
            iss: "identity".into(),
            aud: "identity".into(),
            sub: Uuid::now_v7(),
            iat: now,
            nbf: now,
            exp: now + chrono::Duration::minutes(5),
            jti: Uuid::now_v7(),
            scope: vec!["tokens:introspect".into(), "users:read".into()],
        };
        let token = tokens.issue_service(&service).unwrap();
        assert_eq!(tokens.verify_service(&token).unwrap(), service);
        assert!(tokens.verify(&token).is_err(), "a service token is no user token");
        let user = tokens.issue(&claims()).unwrap();
        assert!(tokens.verify_service(&user).is_err(), "a user token is no service token");
        let other = PasetoTokens::new(PasetoKeys::generate().unwrap(), "identity", "identity");
        assert!(other.verify_service(&token).is_err());
    }

    #[test]
    fn tampered_tokens_and_foreign_keys_are_refused() {
        let tokens = tokens();
        let token = tokens.issue(&claims()).unwrap();
        let mut chars: Vec<char> = token.chars().collect();
        let i = "v4.public.".len() + 5;
        chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
        let tampered: String = chars.into_iter().collect();
        assert!(matches!(tokens.verify(&tampered), Err(TokenError::Invalid(_))));

        let other = PasetoTokens::new(PasetoKeys::generate().unwrap(), "identity", "identity");
        assert!(matches!(other.verify(&token), Err(TokenError::Invalid(_))));
        assert!(matches!(tokens.verify("v4.local.abc"), Err(TokenError::Invalid(_))));
        assert!(matches!(tokens.verify("v2.public.abc"), Err(TokenError::Invalid(_))));
        assert!(matches!(tokens.verify(""), Err(TokenError::Invalid(_))));
    }

    #[test]
    fn a_verified_token_is_remembered_and_nothing_else_is() {
        let tokens = tokens();
        let claims = claims();
        let token = tokens.issue(&claims).unwrap();
        assert_eq!(tokens.verified.len(), 0, "issuing remembers nothing");
        assert_eq!(tokens.verify(&token).unwrap(), claims);
        assert_eq!(tokens.verified.len(), 1);
        let clone = tokens.clone();
        assert_eq!(clone.verify(&token).unwrap(), claims, "answered again, with the same claims");
        assert_eq!(tokens.verified.len(), 1, "clones share what they remember");

        // What fails is never remembered, and a remembered token does not vouch for its
        // neighbours: a token differing in its last character is checked and refused.
        let mut tampered = token.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        assert!(matches!(tokens.verify(&tampered), Err(TokenError::Invalid(_))));
        assert!(matches!(tokens.verify(&token[..token.len() - 1]), Err(TokenError::Invalid(_))));
        assert_eq!(tokens.verified.len(), 1);
        // Another issuer's memory is its own: the same keys with another audience refuse it.
        let keys = tokens.keys().clone();
        assert!(PasetoTokens::new(keys, "identity", "other-service").verify(&token).is_err());
    }

    #[test]
    fn the_memory_of_verified_tokens_is_bounded_and_keeps_the_tokens_in_use() {
        let memory = VerifiedTokens::new(8);
        let claims = claims();
        memory.put("in use", &claims);
        for i in 0..100 {
            memory.put(&format!("token {i}"), &claims);
            assert!(memory.len() <= 8, "{} held", memory.len());
            assert_eq!(memory.get("in use"), Some(claims.clone()), "lost after {i} others");
        }
        assert_eq!(memory.get("token 99"), Some(claims.clone()));
        assert_eq!(memory.get("token 0"), None, "long unused, long gone");
        assert_eq!(memory.get("never seen"), None);
    }

    #[test]
    fn wrong_audience_or_issuer_is_refused() {
        let keys = PasetoKeys::generate().unwrap();
        let token = PasetoTokens::new(keys.clone(), "identity", "identity").issue(&claims()).unwrap();
        assert!(PasetoTokens::new(keys.clone(), "identity", "other-service").verify(&token).is_err());
        assert!(PasetoTokens::new(keys, "someone-else", "identity").verify(&token).is_err());
    }

    #[test]
    fn rotation_accepts_configured_old_keys_only() {
        let old = PasetoKeys::generate().unwrap();
        let old_tokens = PasetoTokens::new(old.clone(), "identity", "identity");
        let token = old_tokens.issue(&claims()).unwrap();
        let old_public = old.public_keys()[0].1.clone();
        assert!(old_public.starts_with("k4.public."));

        let new = PasetoKeys::generate().unwrap();
        let without = PasetoTokens::new(new.clone(), "identity", "identity");
        assert!(without.verify(&token).is_err());
        let with = PasetoTokens::new(new.with_verification_key(&old_public).unwrap(), "identity", "identity");
        assert!(with.verify(&token).is_ok());
        assert_eq!(with.keys().public_keys().len(), 2);
    }

    #[test]
    fn a_token_without_auth_time_counts_from_its_issue() {
        let tokens = tokens();
        let claims = claims();
        let wire = WireClaims {
            iss: claims.iss.clone(),
            aud: claims.aud.clone(),
            sub: claims.sub.as_uuid(),
            sid: claims.sid.as_uuid(),
            iat: time(claims.iat),
            nbf: time(claims.nbf),
            exp: time(claims.exp),
            jti: claims.jti,
            roles: claims.roles.clone(),
            amr: claims.amr.clone(),
            auth_time: None,
            aal: None,
        };
        let payload = serde_json::to_vec(&wire).unwrap();
        let footer = serde_json::to_vec(&WireFooter { kid: tokens.keys.signing_kid.clone() }).unwrap();
        let token = PublicToken::sign(&tokens.keys.signing, &payload, Some(&footer), None).unwrap();
        let read = tokens.verify(&token).unwrap();
        assert_eq!(read.auth_time, claims.iat);
        assert!(!String::from_utf8(payload).unwrap().contains("auth_time"));
    }

    #[test]
    fn keys_round_trip_through_paserk() {
        let keys = PasetoKeys::generate().unwrap();
        let secret = keys.secret_paserk();
        assert!(secret.starts_with("k4.secret."));
        let loaded = PasetoKeys::from_paserk(&secret).unwrap();
        assert_eq!(loaded.signing_kid(), keys.signing_kid());
        assert!(PasetoKeys::from_paserk("k4.secret.nope").is_err());
        assert!(PasetoKeys::from_paserk("k3.secret.AAAA").is_err());
    }

    /// A bad key is told in words: what it is, what was expected and how to get one; never
    /// pasetors' enum names (`PaserkParsing`) nor the value itself.
    #[test]
    fn bad_keys_are_reported_in_words() {
        use base64::Engine;
        let keys = PasetoKeys::generate().unwrap();
        let secret = keys.secret_paserk();
        let public = keys.public_keys()[0].1.clone();
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        // Another key's public half after this key's secret half.
        let mut mismatched = keys.derive_key("test").to_vec();
        mismatched.extend_from_slice(&[7; 32]);
        let secret_cases = [
            ("k4.secret.nonsense", "is not 64 bytes of unpadded base64url (86 characters; this has 8)"),
            ("", "empty"),
            ("hunter2", "not a PASERK key"),
            (public.as_str(), "this is a k4.public.… key, not a k4.secret.… key: a public key cannot sign"),
            ("k3.secret.AAAA", "version 3 PASERK key (k3.secret.…): only version 4"),
            ("k4.local.AAAA", "this is a k4.local.… key, not a k4.secret.… key"),
            (&format!("k4.secret.{}", b64(&mismatched)), "not an Ed25519 key pair"),
            (&format!("k4.secret.{}=", &secret["k4.secret.".len()..]), "not 64 bytes of unpadded base64url"),
        ];
        for (raw, words) in secret_cases {
            let message = PasetoKeys::from_paserk(raw).err().unwrap().to_string();
            assert!(message.contains(words), "{raw:?}: {message}");
            assert!(message.contains("expected a PASERK k4.secret.… key"), "{message}");
            assert!(message.contains("identity keygen"), "{message}");
            assert!(!message.contains("Paserk") && !message.contains("Error"), "{message}");
            if raw.len() > 12 {
                assert!(!message.contains(&raw[10..]), "the value is echoed: {message}");
            }
        }
        let public_cases = [
            (secret.as_str(), "this is a k4.secret.… key, not a k4.public.… key: give the public key here"),
            ("k4.public.abc", "is not 32 bytes of unpadded base64url (43 characters; this has 3)"),
            ("k2.public.AAAA", "version 2 PASERK key"),
        ];
        for (raw, words) in public_cases {
            let message = PasetoKeys::generate().unwrap().with_verification_key(raw).err().unwrap().to_string();
            assert!(message.contains(words), "{raw:?}: {message}");
            assert!(message.contains("expected a PASERK k4.public.… key"), "{message}");
            assert!(!message.contains(&secret[10..]), "the secret is echoed: {message}");
        }
    }

    #[test]
    fn an_all_zero_seed_is_refused_not_a_panic() {
        let zero = format!("k4.secret.{}", "A".repeat(86));
        let message = PasetoKeys::from_paserk(&zero).err().unwrap().to_string();
        assert!(message.contains("all zeros"), "{message}");
    }
}
