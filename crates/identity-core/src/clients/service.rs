//! Service clients: admins create, change, rotate and revoke them; services authenticate
//! with a secret or with a short-lived token of the `client_credentials` grant.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::Duration;
use uuid::Uuid;

use super::model::{
    ClientSecret, IssuedSecret, NewServiceClient, Scope, ServiceCaller, ServiceClaims, ServiceClient,
    ServiceClientChange, parse_name,
};
use super::store::ServiceClientRepository;
use crate::authz::{Need, authorize};
use crate::domain::{FieldError, ValidationErrors};
use crate::kernel::context::Context;
use crate::ports::{ClientInfo, Secrets, TokenIssuer, UnitOfWork};
use crate::usecases::{Authenticated, CoreError, Page, page_request};

/// The longest overlap a rotation may give the older secrets.
pub const MAX_OVERLAP: Duration = Duration::days(7);

/// Service clients and how they authenticate.
#[derive(Clone)]
pub struct ServiceClientService {
    pub(crate) ctx: Context,
    pub(crate) clients: Arc<dyn ServiceClientRepository>,
    pub(crate) uow: Arc<dyn UnitOfWork>,
    pub(crate) secrets: Arc<dyn Secrets>,
    pub(crate) tokens: Arc<dyn TokenIssuer>,
    /// User reads (`users:read`).
    pub(crate) users: Arc<dyn crate::ports::UserRepository>,
    /// Introspection authenticates users' tokens the way every route does.
    pub(crate) sessions: crate::usecases::SessionService,
}

impl ServiceClientService {
    /// A new client with its first secret, shown this once. Audited as
    /// `service_client.created` (name and scopes; never the secret).
    pub async fn create(&self, auth: &Authenticated, new: &NewServiceClient) -> Result<IssuedSecret, CoreError> {
        authorize(auth, Need::ADMIN)?;
        let (name, scopes) = new.validate()?;
        let now = self.ctx.now();
        let (secret, stored) = self.new_secret();
        let client = ServiceClient {
            id: self.ctx.ids.new_id(),
            name,
            scopes,
            secrets: vec![stored],
            created_at: now,
            updated_at: now,
            revoked_at: None,
        };
        let mut tx = self.uow.begin().await?;
        tx.service_clients().insert_service_client(&client).await?;
        let entry = self.audit(auth, "service_client.created", &client, serde_json::json!({}));
        self.ctx.finish(tx, &[], entry).await?;
        Ok(IssuedSecret { client, secret })
    }

    /// Every client, revoked ones too, newest first.
    pub async fn list(
        &self,
        auth: &Authenticated,
        limit: Option<usize>,
        cursor: Option<&str>,
    ) -> Result<Page<ServiceClient>, CoreError> {
        authorize(auth, Need::ADMIN)?;
        let (limit, request) = page_request(limit, cursor)?;
        let items = self.clients.list_service_clients(request).await?;
        Ok(Page::from_fetched(items, limit, |c| c.id.to_string()))
    }

    pub async fn get(&self, auth: &Authenticated, id: Uuid) -> Result<ServiceClient, CoreError> {
        authorize(auth, Need::ADMIN)?;
        self.clients.find_service_client(id).await?.ok_or(CoreError::NotFound)
    }

    /// Renames the client or replaces its scopes (a scope taken away counts at once, for its
    /// tokens too). Audited as `service_client.updated` when something changed.
    pub async fn update(
        &self,
        auth: &Authenticated,
        id: Uuid,
        change: &ServiceClientChange,
    ) -> Result<ServiceClient, CoreError> {
        authorize(auth, Need::ADMIN)?;
        let mut errors = ValidationErrors::new();
        let name = change.name.as_deref().and_then(|raw| errors.collect(parse_name(raw)));
        let scopes = change.scopes.as_deref().and_then(|raw| errors.collect(Scope::parse_set("scopes", raw)));
        errors.into_result()?;
        let mut tx = self.uow.begin().await?;
        let mut client = tx.service_clients().lock_service_client(id).await?.ok_or(CoreError::NotFound)?;
        let before = client.clone();
        if let Some(name) = name {
            client.name = name;
        }
        if let Some(scopes) = scopes {
            client.scopes = scopes;
        }
        if client == before {
            return Ok(client);
        }
        client.updated_at = self.ctx.now();
        tx.service_clients().update_service_client(&client).await?;
        let changed: Vec<&str> = [("name", before.name != client.name), ("scopes", before.scopes != client.scopes)]
            .into_iter()
            .filter_map(|(field, changed)| changed.then_some(field))
            .collect();
        let entry = self.audit(auth, "service_client.updated", &client, serde_json::json!({ "changed": changed }));
        self.ctx.finish(tx, &[], entry).await?;
        Ok(client)
    }

    /// Issues a new secret, shown this once. The older secrets keep working for `overlap`
    /// (0 to 7 days; one that would expire sooner keeps its time), so a service can roll the
    /// new one out. A revoked client gets no secret (404). Audited as
    /// `service_client.secret_rotated`.
    pub async fn rotate(&self, auth: &Authenticated, id: Uuid, overlap: Duration) -> Result<IssuedSecret, CoreError> {
        authorize(auth, Need::ADMIN)?;
        if overlap < Duration::zero() || overlap > MAX_OVERLAP {
            return Err(ValidationErrors::single(FieldError::new(
                "overlap_seconds",
                "out_of_range",
                format!("between 0 and {} seconds", MAX_OVERLAP.num_seconds()),
            ))
            .into());
        }
        let now = self.ctx.now();
        let mut tx = self.uow.begin().await?;
        let mut client = tx.service_clients().lock_service_client(id).await?.ok_or(CoreError::NotFound)?;
        if client.revoked_at.is_some() {
            return Err(CoreError::NotFound);
        }
        let until = now + overlap;
        for old in &mut client.secrets {
            old.expires_at = Some(old.expires_at.map_or(until, |at| at.min(until)));
        }
        // Drops what has ended: secrets expired before, and all of them with no overlap.
        client.secrets.retain(|s| s.is_live_at(now));
        let (secret, stored) = self.new_secret();
        client.secrets.insert(0, stored);
        client.updated_at = now;
        tx.service_clients().update_service_client(&client).await?;
        let metadata = serde_json::json!({ "overlap_seconds": overlap.num_seconds() });
        let entry = self.audit(auth, "service_client.secret_rotated", &client, metadata);
        self.ctx.finish(tx, &[], entry).await?;
        Ok(IssuedSecret { client, secret })
    }

    /// Revokes the client: its secrets and tokens stop working at once. Revoking a revoked
    /// client changes nothing. Audited as `service_client.revoked`.
    pub async fn revoke(&self, auth: &Authenticated, id: Uuid) -> Result<(), CoreError> {
        authorize(auth, Need::ADMIN)?;
        let mut tx = self.uow.begin().await?;
        let mut client = tx.service_clients().lock_service_client(id).await?.ok_or(CoreError::NotFound)?;
        if client.revoked_at.is_some() {
            return Ok(());
        }
        let now = self.ctx.now();
        client.revoked_at = Some(now);
        client.updated_at = now;
        tx.service_clients().update_service_client(&client).await?;
        let entry = self.audit(auth, "service_client.revoked", &client, serde_json::json!({}));
        self.ctx.finish(tx, &[], entry).await
    }

    /// A service calling with its id and secret (HTTP Basic, or the token endpoint's form).
    /// Anything wrong (an unknown id, a wrong or expired secret, a revoked client) is one
    /// answer: `Unauthenticated`.
    pub async fn authenticate_secret(
        &self,
        client_id: &str,
        secret: &str,
        client: ClientInfo,
    ) -> Result<ServiceCaller, CoreError> {
        let id = Uuid::parse_str(client_id).map_err(|_| CoreError::Unauthenticated)?;
        let digest = self.secrets.digest(secret);
        let found = self.clients.find_service_client(id).await?.ok_or(CoreError::Unauthenticated)?;
        if !found.accepts(&digest, self.ctx.now()) {
            return Err(CoreError::Unauthenticated);
        }
        Ok(ServiceCaller { client_id: found.id, name: found.name, scopes: found.scopes, client })
    }

    /// A service calling with a token of the `client_credentials` grant: valid now, of a client
    /// that is not revoked; it may use the scopes the token was granted that the client still
    /// holds.
    pub async fn authenticate_token(&self, token: &str, client: ClientInfo) -> Result<ServiceCaller, CoreError> {
        let (claims, found) = self.live_token(token).await?.ok_or(CoreError::Unauthenticated)?;
        let granted: BTreeSet<String> = claims.scope.into_iter().filter(|s| found.scopes.contains(s)).collect();
        Ok(ServiceCaller { client_id: found.id, name: found.name, scopes: granted, client })
    }

    /// The claims of a service token that works now, with its client; `None` for anything
    /// else (not a service token, expired, not yet valid, a revoked or deleted client).
    pub async fn live_token(&self, token: &str) -> Result<Option<(ServiceClaims, ServiceClient)>, CoreError> {
        let Ok(claims) = self.tokens.verify_service(token) else { return Ok(None) };
        let now = self.ctx.now();
        if now < claims.nbf || now >= claims.exp {
            return Ok(None);
        }
        let Some(found) = self.clients.find_service_client(claims.sub).await? else { return Ok(None) };
        if found.revoked_at.is_some() {
            return Ok(None);
        }
        Ok(Some((claims, found)))
    }

    /// The `client_credentials` grant: a service token for the scopes asked for (space
    /// separated; all of the client's when none are), each of which the client must hold
    /// (else a validation error on `scope` with the code `invalid_scope`).
    pub async fn issue_token(
        &self,
        client_id: &str,
        secret: &str,
        requested: Option<&str>,
        client: ClientInfo,
    ) -> Result<(String, ServiceClaims), CoreError> {
        let caller = self.authenticate_secret(client_id, secret, client).await?;
        let asked: BTreeSet<String> = requested.unwrap_or_default().split_whitespace().map(str::to_owned).collect();
        if let Some(missing) = asked.iter().find(|s| !caller.has_scope(s)) {
            return Err(ValidationErrors::single(FieldError::new(
                "scope",
                "invalid_scope",
                format!("this client does not hold {missing:?}"),
            ))
            .into());
        }
        let scope: Vec<String> =
            if asked.is_empty() { caller.scopes.into_iter().collect() } else { asked.into_iter().collect() };
        let now = self.ctx.now();
        let settings = &self.ctx.settings;
        let claims = ServiceClaims {
            iss: settings.issuer.clone(),
            aud: settings.audience.clone(),
            sub: caller.client_id,
            iat: now,
            nbf: now,
            exp: now + settings.service_token_ttl,
            jti: self.ctx.ids.new_id(),
            scope,
        };
        let token = self.tokens.issue_service(&claims).map_err(|e| CoreError::Internal(e.into()))?;
        Ok((token, claims))
    }

    /// Now, on the service's clock (what "a secret that still works" is measured at).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.ctx.now()
    }

    /// A new secret and what is stored of it.
    fn new_secret(&self) -> (String, ClientSecret) {
        let secret = self.secrets.new_token();
        let stored = ClientSecret {
            id: self.ctx.ids.new_id(),
            digest: self.secrets.digest(&secret),
            created_at: self.ctx.now(),
            expires_at: None,
        };
        (secret, stored)
    }

    fn audit(
        &self,
        auth: &Authenticated,
        action: &'static str,
        client: &ServiceClient,
        mut metadata: serde_json::Value,
    ) -> crate::domain::AuditEntry {
        if let Some(fields) = metadata.as_object_mut() {
            fields.insert("service_client".into(), client.id.to_string().into());
            fields.insert("name".into(), client.name.clone().into());
            fields.insert("scopes".into(), client.scopes.iter().cloned().collect::<Vec<_>>().into());
        }
        self.ctx.audit_entry(action, Some(auth.user.id), None, &auth.client, metadata)
    }
}
