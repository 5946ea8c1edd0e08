//! What service clients read: introspection of tokens (RFC 7662) and users.

use uuid::Uuid;

use super::model::{Introspection, Scope, ServiceCaller};
use super::service::ServiceClientService;
use crate::authz::authorize_service;
use crate::domain::{User, UserId};
use crate::usecases::CoreError;

impl ServiceClientService {
    /// What `token` is (`tokens:introspect`): a user's access token whose session is live and
    /// whose account is active, or a service token whose client is not revoked. Anything else
    /// (expired, a revoked session, a refresh token, garbage) is `None`: RFC 7662's
    /// `{"active": false}`, with nothing said of why.
    pub async fn introspect(&self, caller: &ServiceCaller, token: &str) -> Result<Option<Introspection>, CoreError> {
        authorize_service(caller, Scope::INTROSPECT)?;
        match self.sessions.authenticate(token).await {
            Ok(auth) => {
                // The session itself, not only the revocation list: an idle session is over.
                match self.sessions.current_user(&auth).await {
                    Ok(_) => {}
                    Err(CoreError::Unauthenticated) => return Ok(None),
                    Err(other) => return Err(other),
                }
                let mut roles = auth.user.role_names();
                roles.sort();
                return Ok(Some(Introspection::User {
                    sub: auth.user.id.as_uuid(),
                    sid: auth.claims.sid.as_uuid(),
                    iat: auth.claims.iat,
                    exp: auth.claims.exp,
                    iss: auth.claims.iss,
                    aud: auth.claims.aud,
                    roles,
                    amr: auth.claims.amr,
                    email: auth.user.email.as_str().to_owned(),
                }));
            }
            Err(CoreError::Unauthenticated) => {}
            Err(other) => return Err(other),
        }
        Ok(self.live_token(token).await?.map(|(claims, _)| Introspection::Service {
            client_id: claims.sub,
            iat: claims.iat,
            exp: claims.exp,
            iss: claims.iss,
            aud: claims.aud,
            scope: claims.scope,
        }))
    }

    /// A user as other services may read it (`users:read`), deleted or not.
    pub async fn read_user(&self, caller: &ServiceCaller, id: Uuid) -> Result<User, CoreError> {
        authorize_service(caller, Scope::USERS_READ)?;
        self.users.find_by_id(UserId::from_uuid(id)).await?.ok_or(CoreError::NotFound)
    }
}
