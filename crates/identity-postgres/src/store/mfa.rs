//! Second factors on PostgreSQL: `mfa_methods` and `recovery_codes` of the initial schema.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use identity_core::domain::{MfaKind, MfaMethod, RecoveryCode};
use identity_core::ports::{MfaRepository, MfaWrites, PasskeyCredential, RepoError};
use identity_core::{TokenDigest, UserId};
use uuid::Uuid;

use super::{Conn, PgStore, PgTransaction, hex, unhex};
use crate::errors::repo_error;
use crate::schema::{mfa_methods, recovery_codes};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = mfa_methods, check_for_backend(diesel::pg::Pg))]
struct MethodRow {
    id: Uuid,
    user_id: Uuid,
    kind: String,
    label: Option<String>,
    secret: Option<Vec<u8>>,
    confirmed_at: Option<DateTime<Utc>>,
    added_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    last_used_step: Option<i64>,
    webauthn_credential: Option<serde_json::Value>,
}

/// A passkey as `webauthn_credential` holds it.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredPasskey {
    id: String,
    credential: String,
}

fn passkey_json(passkey: Option<&PasskeyCredential>) -> Option<serde_json::Value> {
    passkey.map(|p| serde_json::json!({ "id": p.credential_id, "credential": p.credential }))
}

impl MethodRow {
    fn from_domain(method: &MfaMethod) -> Self {
        Self {
            id: method.id,
            user_id: method.user_id.as_uuid(),
            kind: method.kind.as_str().to_owned(),
            label: Some(method.label.clone()),
            // A passkey has no secret of ours: its public key is in `webauthn_credential`.
            secret: method.passkey.is_none().then(|| method.sealed_secret.as_bytes().to_vec()),
            confirmed_at: method.confirmed_at,
            added_at: method.created_at,
            last_used_at: method.last_used_at,
            last_used_step: method.last_step,
            webauthn_credential: passkey_json(method.passkey.as_ref()),
        }
    }

    fn into_domain(self) -> Result<MfaMethod, RepoError> {
        let broken = |what: &str| RepoError::Unknown(anyhow::anyhow!("mfa method {}: {what}", self.id));
        let kind = MfaKind::parse(&self.kind).ok_or_else(|| broken("unknown kind"))?;
        let passkey = match self.webauthn_credential.clone() {
            Some(json) => {
                let stored: StoredPasskey = serde_json::from_value(json).map_err(|_| broken("unreadable passkey"))?;
                Some(PasskeyCredential { credential_id: stored.id, credential: stored.credential })
            }
            None => None,
        };
        let secret = match (&self.secret, &passkey) {
            (Some(secret), _) => secret.clone(),
            (None, Some(_)) => Vec::new(),
            (None, None) => return Err(broken("no secret")),
        };
        Ok(MfaMethod {
            id: self.id,
            user_id: UserId::from_uuid(self.user_id),
            kind,
            label: self.label.unwrap_or_default(),
            sealed_secret: String::from_utf8(secret).map_err(|_| broken("the sealed secret is not text"))?,
            passkey,
            confirmed_at: self.confirmed_at,
            created_at: self.added_at,
            last_used_at: self.last_used_at,
            last_step: self.last_used_step,
        })
    }
}

async fn method_rows(conn: &mut Conn, user: UserId, lock: bool) -> QueryResult<Vec<MethodRow>> {
    let query = mfa_methods::table
        .filter(mfa_methods::user_id.eq(user.as_uuid()))
        .order(mfa_methods::id.asc())
        .select(MethodRow::as_select());
    if lock { query.for_update().load(conn).await } else { query.load(conn).await }
}

async fn methods_of(conn: &mut Conn, user: UserId, lock: bool) -> Result<Vec<MfaMethod>, RepoError> {
    let rows = method_rows(conn, user, lock).await.map_err(repo_error)?;
    rows.into_iter().map(MethodRow::into_domain).collect()
}

async fn codes_of(conn: &mut Conn, user: UserId) -> Result<Vec<RecoveryCode>, RepoError> {
    let rows: Vec<(String, Option<DateTime<Utc>>)> = recovery_codes::table
        .filter(recovery_codes::user_id.eq(user.as_uuid()))
        .order(recovery_codes::id.asc())
        .select((recovery_codes::code_hash, recovery_codes::used_at))
        .load(conn)
        .await
        .map_err(repo_error)?;
    rows.into_iter()
        .map(|(hash, used_at)| {
            let digest =
                unhex(&hash).ok_or_else(|| RepoError::Unknown(anyhow::anyhow!("a recovery code digest is not hex")))?;
            Ok(RecoveryCode { digest: TokenDigest(digest), used_at })
        })
        .collect()
}

#[async_trait]
impl MfaRepository for PgStore {
    /// Read at every password sign-in: the read checks its own connection ([`PgStore::read`]).
    async fn methods_of(&self, user: UserId) -> Result<Vec<MfaMethod>, RepoError> {
        let rows = self.read(|conn| Box::pin(method_rows(conn, user, false))).await?;
        rows.into_iter().map(MethodRow::into_domain).collect()
    }

    async fn recovery_codes_of(&self, user: UserId) -> Result<Vec<RecoveryCode>, RepoError> {
        codes_of(&mut self.conn().await?, user).await
    }
}

#[async_trait]
impl MfaWrites for PgTransaction {
    async fn insert_method(&mut self, method: &MfaMethod) -> Result<(), RepoError> {
        diesel::insert_into(mfa_methods::table)
            .values(MethodRow::from_domain(method))
            .execute(self.conn()?)
            .await
            .map_err(repo_error)?;
        Ok(())
    }

    async fn lock_methods_of(&mut self, user: UserId) -> Result<Vec<MfaMethod>, RepoError> {
        // The user's row first: two first enrolments (no method rows yet to lock) wait for each
        // other too.
        diesel::sql_query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE")
            .bind::<diesel::sql_types::Uuid, _>(user.as_uuid())
            .execute(self.conn()?)
            .await
            .map_err(repo_error)?;
        methods_of(self.conn()?, user, true).await
    }

    async fn update_method(&mut self, method: &MfaMethod) -> Result<(), RepoError> {
        diesel::update(mfa_methods::table.find(method.id))
            .set((
                mfa_methods::label.eq(Some(&method.label)),
                mfa_methods::confirmed_at.eq(method.confirmed_at),
                mfa_methods::last_used_at.eq(method.last_used_at),
                mfa_methods::last_used_step.eq(method.last_step),
                mfa_methods::webauthn_credential.eq(passkey_json(method.passkey.as_ref())),
            ))
            .execute(self.conn()?)
            .await
            .map_err(repo_error)?;
        Ok(())
    }

    async fn delete_method(&mut self, id: Uuid) -> Result<(), RepoError> {
        diesel::delete(mfa_methods::table.find(id)).execute(self.conn()?).await.map_err(repo_error)?;
        Ok(())
    }

    async fn replace_recovery_codes(&mut self, user: UserId, digests: &[TokenDigest]) -> Result<(), RepoError> {
        let conn = self.conn()?;
        diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user.as_uuid())))
            .execute(conn)
            .await
            .map_err(repo_error)?;
        if digests.is_empty() {
            return Ok(());
        }
        let now = Utc::now();
        let rows: Vec<_> = digests
            .iter()
            .map(|d| {
                (
                    recovery_codes::id.eq(Uuid::now_v7()),
                    recovery_codes::user_id.eq(user.as_uuid()),
                    recovery_codes::code_hash.eq(hex(&d.0)),
                    recovery_codes::created_at.eq(now),
                )
            })
            .collect();
        diesel::insert_into(recovery_codes::table).values(rows).execute(conn).await.map_err(repo_error)?;
        Ok(())
    }

    async fn use_recovery_code(
        &mut self,
        user: UserId,
        digest: &TokenDigest,
        at: DateTime<Utc>,
    ) -> Result<Option<usize>, RepoError> {
        let conn = self.conn()?;
        // One statement: of two uses of one code, the second finds it used.
        let used = diesel::update(
            recovery_codes::table
                .filter(recovery_codes::user_id.eq(user.as_uuid()))
                .filter(recovery_codes::code_hash.eq(hex(&digest.0)))
                .filter(recovery_codes::used_at.is_null()),
        )
        .set(recovery_codes::used_at.eq(Some(at)))
        .execute(conn)
        .await
        .map_err(repo_error)?;
        if used == 0 {
            return Ok(None);
        }
        let left: i64 = recovery_codes::table
            .filter(recovery_codes::user_id.eq(user.as_uuid()))
            .filter(recovery_codes::used_at.is_null())
            .count()
            .get_result(conn)
            .await
            .map_err(repo_error)?;
        Ok(Some(usize::try_from(left).unwrap_or(0)))
    }
}
