//! Service clients and what they may do: their scopes, their secrets (stored only as
//! digests) and the claims of their short-lived tokens.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::settings::Namespace;
use crate::domain::{FieldError, TokenDigest, ValidationErrors};
use crate::ports::ClientInfo;

/// What a service client may do. Each scope opens one kind of service route.
pub struct Scope;

impl Scope {
    /// `POST /v1/tokens/introspect`.
    pub const INTROSPECT: &'static str = "tokens:introspect";
    /// `GET /v1/service/users/{id}`.
    pub const USERS_READ: &'static str = "users:read";
    /// `GET /v1/service/settings/{namespace}`: `settings:read:ai` reads the `ai` namespace,
    /// its secrets in clear.
    pub const SETTINGS_READ_PREFIX: &'static str = "settings:read:";
    /// The scopes a route may declare; `{namespace}` stands for the namespace of its path.
    pub const DECLARABLE: [&'static str; 3] = [Self::INTROSPECT, Self::USERS_READ, "settings:read:{namespace}"];

    /// The scope that reads one settings namespace.
    pub fn settings_read(namespace: &str) -> String {
        format!("{}{namespace}", Self::SETTINGS_READ_PREFIX)
    }

    /// Every scope a client may be given: the fixed ones and one per settings namespace.
    pub fn known() -> Vec<String> {
        let mut known = vec![Self::INTROSPECT.to_owned(), Self::USERS_READ.to_owned()];
        known.extend(Namespace::ALL.iter().map(|ns| Self::settings_read(ns.name)));
        known
    }

    /// Checks that `raw` is a scope a client may hold.
    pub fn parse(field: &str, raw: &str) -> Result<String, FieldError> {
        if Self::known().iter().any(|known| known == raw) {
            Ok(raw.to_owned())
        } else {
            Err(FieldError::new(
                field,
                "unknown_scope",
                format!("{raw:?} is not a scope ({})", Self::known().join(", ")),
            ))
        }
    }

    /// A set of scopes as given (`scopes` of a request): at least one, each known.
    pub fn parse_set(field: &str, raw: &[String]) -> Result<BTreeSet<String>, FieldError> {
        if raw.is_empty() {
            return Err(FieldError::new(field, "required", "give at least one scope"));
        }
        raw.iter().map(|scope| Self::parse(field, scope)).collect()
    }
}

/// A client's name: one line, 1 to 100 characters once trimmed.
pub fn parse_name(raw: &str) -> Result<String, FieldError> {
    crate::domain::single_line("name", raw)?;
    crate::domain::no_invisible("name", raw)?;
    let name = raw.trim();
    match name.chars().count() {
        0 => Err(FieldError::new("name", "required", "the name must not be empty")),
        1..=100 => Ok(name.to_owned()),
        _ => Err(FieldError::new("name", "too_long", "at most 100 characters")),
    }
}

/// One secret of a client, as stored: its digest, never the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSecret {
    pub id: Uuid,
    pub digest: TokenDigest,
    pub created_at: DateTime<Utc>,
    /// Set on the older secrets when a new one is issued: they keep working until then (the
    /// overlap that lets a service roll the new secret out).
    pub expires_at: Option<DateTime<Utc>>,
}

impl ClientSecret {
    pub fn is_live_at(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_none_or(|at| now < at)
    }
}

/// Another service allowed to call this one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceClient {
    /// Also its user name in HTTP Basic and its `client_id` at the token endpoint.
    pub id: Uuid,
    pub name: String,
    pub scopes: BTreeSet<String>,
    /// Newest first.
    pub secrets: Vec<ClientSecret>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Revoked clients authenticate no more; they stay listed.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ServiceClient {
    /// Whether `digest` is one of its secrets that still works at `now` (never for a revoked
    /// client).
    pub fn accepts(&self, digest: &TokenDigest, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.secrets.iter().any(|s| s.is_live_at(now) && &s.digest == digest)
    }

    /// The secrets that still work at `now`.
    pub fn live_secrets(&self, now: DateTime<Utc>) -> impl Iterator<Item = &ClientSecret> {
        self.secrets.iter().filter(move |s| s.is_live_at(now))
    }
}

/// A new client as an admin describes it.
#[derive(Debug, Clone, Default)]
pub struct NewServiceClient {
    pub name: String,
    pub scopes: Vec<String>,
}

impl NewServiceClient {
    pub fn validate(&self) -> Result<(String, BTreeSet<String>), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = errors.collect(parse_name(&self.name));
        let scopes = errors.collect(Scope::parse_set("scopes", &self.scopes));
        errors.into_result()?;
        Ok((name.unwrap_or_default(), scopes.unwrap_or_default()))
    }
}

/// A change of a client: what is given changes.
#[derive(Debug, Clone, Default)]
pub struct ServiceClientChange {
    pub name: Option<String>,
    pub scopes: Option<Vec<String>>,
}

/// A client with a secret just issued: the secret in clear, shown this once.
#[derive(Debug, Clone)]
pub struct IssuedSecret {
    pub client: ServiceClient,
    pub secret: String,
}

/// The claims of a service access token (the `client_credentials` grant). Signed like users'
/// access tokens but with an implicit assertion of its own, so neither kind verifies as the
/// other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceClaims {
    pub iss: String,
    pub aud: String,
    /// The client's id.
    pub sub: Uuid,
    pub iat: DateTime<Utc>,
    pub nbf: DateTime<Utc>,
    pub exp: DateTime<Utc>,
    pub jti: Uuid,
    /// The scopes granted, sorted.
    pub scope: Vec<String>,
}

/// A service client calling, once its secret or token checked out.
#[derive(Debug, Clone)]
pub struct ServiceCaller {
    pub client_id: Uuid,
    pub name: String,
    /// What it may do on this call: the client's scopes now (and, with a token, only those the
    /// token was granted).
    pub scopes: BTreeSet<String>,
    /// Where the request came from (for the audit log).
    pub client: ClientInfo,
}

impl ServiceCaller {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.contains(scope)
    }
}

/// What introspection says of a token (RFC 7662): `None` is `{"active": false}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Introspection {
    /// A user's access token whose session is live.
    User {
        sub: Uuid,
        sid: Uuid,
        iat: DateTime<Utc>,
        exp: DateTime<Utc>,
        iss: String,
        aud: String,
        /// The user's roles now (sorted), not the token's.
        roles: Vec<String>,
        amr: Vec<String>,
        email: String,
    },
    /// A service client's token whose client still holds it.
    Service { client_id: Uuid, iat: DateTime<Utc>, exp: DateTime<Utc>, iss: String, aud: String, scope: Vec<String> },
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_the_known_ones() {
        assert_eq!(Scope::parse("scopes", "users:read").unwrap(), "users:read");
        assert_eq!(Scope::parse("scopes", "settings:read:ai").unwrap(), "settings:read:ai");
        for bad in ["settings:read:nope", "users:write", "", "settings:read:", "admin"] {
            assert_eq!(Scope::parse("scopes", bad).unwrap_err().code, "unknown_scope", "{bad:?}");
        }
        assert_eq!(Scope::parse_set("scopes", &[]).unwrap_err().code, "required");
        let set = Scope::parse_set("scopes", &["users:read".into(), "users:read".into()]).unwrap();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn names_are_one_trimmed_line() {
        assert_eq!(parse_name("  billing  ").unwrap(), "billing");
        assert_eq!(parse_name("   ").unwrap_err().code, "required");
        assert_eq!(parse_name(&"x".repeat(101)).unwrap_err().code, "too_long");
        assert!(parse_name("a\nb").is_err());
        assert_eq!(parse_name("bil\u{200B}ling").unwrap_err().code, "invalid_characters");
    }

    #[test]
    fn secrets_work_until_they_expire_and_never_for_a_revoked_client() {
        let now = Utc::now();
        let secret = |byte: u8, expires_at| ClientSecret {
            id: Uuid::now_v7(),
            digest: TokenDigest([byte; 32]),
            created_at: now,
            expires_at,
        };
        let mut client = ServiceClient {
            id: Uuid::now_v7(),
            name: "billing".into(),
            scopes: BTreeSet::new(),
            secrets: vec![secret(1, None), secret(2, Some(now + chrono::Duration::minutes(5)))],
            created_at: now,
            updated_at: now,
            revoked_at: None,
        };
        assert!(client.accepts(&TokenDigest([1; 32]), now));
        assert!(client.accepts(&TokenDigest([2; 32]), now));
        assert!(!client.accepts(&TokenDigest([2; 32]), now + chrono::Duration::minutes(5)));
        assert!(!client.accepts(&TokenDigest([3; 32]), now));
        assert_eq!(client.live_secrets(now + chrono::Duration::hours(1)).count(), 1);
        client.revoked_at = Some(now);
        assert!(!client.accepts(&TokenDigest([1; 32]), now));
    }
}
