//! Sessions, devices and refresh tokens on PostgreSQL.

use async_trait::async_trait;
use chrono::Utc;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use identity_core::ports::{PageRequest, RepoError, SessionRepository, SessionSelector, SessionWrites};
use identity_core::{
    Device, DeviceId, RefreshToken, RefreshTokenId, RevocationReason, Session, SessionId, TokenDigest, User, UserId,
};

use super::users::role_names;
use super::{ForUpdateOf, PgStore, PgTransaction, Prepare, limit};
use crate::errors::repo_error;
use crate::models::{DeviceRow, ProfileRow, RefreshTokenRow, SessionRow, UserRow};
use crate::schema::{devices, refresh_tokens, sessions, user_profiles, users};

#[async_trait]
impl SessionRepository for PgStore {
    async fn find_session(&self, id: SessionId) -> Result<Option<Session>, RepoError> {
        let mut conn = self.conn().await?;
        let row = sessions::table
            .find(id.as_uuid())
            .select(SessionRow::as_select())
            .first(&mut conn)
            .await
            .optional()
            .map_err(repo_error)?;
        row.map(SessionRow::into_domain).transpose().map_err(RepoError::Unknown)
    }

    /// One statement: the session joined to its user, profile and roles.
    async fn find_session_with_user(&self, id: SessionId) -> Result<Option<(Session, User)>, RepoError> {
        // Every authenticated request's one statement: it checks its own connection (`pool`).
        let row = self
            .read(|conn| {
                Box::pin(async move {
                    sessions::table
                        .inner_join(users::table.left_join(user_profiles::table))
                        .filter(sessions::id.eq(id.as_uuid()))
                        .select((
                            SessionRow::as_select(),
                            UserRow::as_select(),
                            Option::<ProfileRow>::as_select(),
                            role_names(),
                        ))
                        .first::<(SessionRow, UserRow, Option<ProfileRow>, Vec<String>)>(conn)
                        .await
                        .optional()
                })
            })
            .await?;
        row.map(|(session, user, profile, roles)| Ok((session.into_domain()?, user.into_domain(profile, roles)?)))
            .transpose()
            .map_err(RepoError::Unknown)
    }

    async fn list_live_sessions(
        &self,
        user: UserId,
        now: chrono::DateTime<Utc>,
        idle_timeout: Option<chrono::Duration>,
        page: PageRequest,
    ) -> Result<Vec<Session>, RepoError> {
        let mut conn = self.conn().await?;
        // `Session::is_live`, in SQL.
        let mut query = sessions::table
            .filter(sessions::user_id.eq(user.as_uuid()))
            .filter(sessions::revoked_at.is_null())
            .filter(sessions::expires_at.gt(now))
            .into_boxed();
        if let Some(cutoff) = Session::idle_cutoff(now, idle_timeout) {
            query = query.filter(sessions::last_seen_at.gt(cutoff));
        }
        if let Some(after) = page.after {
            query = query.filter(sessions::id.lt(after));
        }
        let rows: Vec<SessionRow> = query
            .order(sessions::id.desc())
            .limit(limit(page.limit))
            .select(SessionRow::as_select())
            .load(&mut conn)
            .await
            .map_err(repo_error)?;
        rows.into_iter().map(SessionRow::into_domain).collect::<anyhow::Result<_>>().map_err(RepoError::Unknown)
    }

    async fn find_device(&self, id: DeviceId) -> Result<Option<Device>, RepoError> {
        let mut conn = self.conn().await?;
        let row = devices::table
            .find(id.as_uuid())
            .select(DeviceRow::as_select())
            .first(&mut conn)
            .await
            .optional()
            .map_err(repo_error)?;
        Ok(row.map(DeviceRow::into_domain))
    }

    async fn list_devices(&self, user: UserId, page: PageRequest) -> Result<Vec<Device>, RepoError> {
        let mut conn = self.conn().await?;
        let mut query = devices::table.filter(devices::user_id.eq(user.as_uuid())).into_boxed();
        if let Some(after) = page.after {
            query = query.filter(devices::id.lt(after));
        }
        let rows: Vec<DeviceRow> = query
            .order(devices::id.desc())
            .limit(limit(page.limit))
            .select(DeviceRow::as_select())
            .load(&mut conn)
            .await
            .map_err(repo_error)?;
        Ok(rows.into_iter().map(DeviceRow::into_domain).collect())
    }
}

#[async_trait]
impl SessionWrites for PgTransaction {
    async fn insert_session(&mut self, session: &Session) -> Result<(), RepoError> {
        let conn = self.conn()?;
        diesel::insert_into(sessions::table)
            .values(SessionRow::from_domain(session))
            .prepared()
            .execute(conn)
            .await
            .map_err(repo_error)?;
        Ok(())
    }

    async fn session(&mut self, id: SessionId) -> Result<Option<Session>, RepoError> {
        let conn = self.conn()?;
        let row = sessions::table
            .find(id.as_uuid())
            .select(SessionRow::as_select())
            .first(conn)
            .await
            .optional()
            .map_err(repo_error)?;
        row.map(SessionRow::into_domain).transpose().map_err(RepoError::Unknown)
    }

    async fn touch_session(&mut self, id: SessionId, at: chrono::DateTime<Utc>) -> Result<(), RepoError> {
        let conn = self.conn()?;
        diesel::update(sessions::table.find(id.as_uuid()))
            .set(sessions::last_seen_at.eq(at))
            .prepared()
            .execute(conn)
            .await
            .map_err(repo_error)?;
        Ok(())
    }

    async fn reauthenticate_session(
        &mut self,
        id: SessionId,
        amr: &[String],
        at: chrono::DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let conn = self.conn()?;
        let level = i16::from(identity_core::usecases::Aal::of(amr).number());
        diesel::update(sessions::table.find(id.as_uuid()))
            .set((sessions::amr.eq(amr), sessions::mfa_level.eq(level), sessions::auth_time.eq(at)))
            .prepared()
            .execute(conn)
            .await
            .map_err(repo_error)?;
        Ok(())
    }

    async fn revoke_sessions(
        &mut self,
        user: UserId,
        selector: SessionSelector,
        at: chrono::DateTime<Utc>,
        reason: RevocationReason,
    ) -> Result<Vec<Session>, RepoError> {
        let conn = self.conn()?;
        let picked: Box<dyn BoxableExpression<sessions::table, Pg, SqlType = diesel::sql_types::Bool>> = match selector
        {
            SessionSelector::One(id) => Box::new(sessions::id.eq(id.as_uuid())),
            SessionSelector::All => Box::new(sessions::revoked_at.is_null()),
            SessionSelector::AllExcept(id) => Box::new(sessions::id.ne(id.as_uuid())),
            SessionSelector::Device(device) => Box::new(sessions::device_id.eq(device.as_uuid()).assume_not_null()),
        };
        let mut rows: Vec<SessionRow> = diesel::update(
            sessions::table
                .filter(sessions::user_id.eq(user.as_uuid()))
                .filter(sessions::revoked_at.is_null())
                .filter(picked),
        )
        // The reason as the domain names it (`RevocationReason::as_str`; read back by
        // `SessionRow::into_domain`).
        .set((sessions::revoked_at.eq(at), sessions::revoked_reason.eq(reason.as_str())))
        .returning(SessionRow::as_returning())
        .prepared()
        .get_results(conn)
        .await
        .map_err(repo_error)?;
        rows.sort_by_key(|r| r.id);
        let ids: Vec<uuid::Uuid> = rows.iter().map(|r| r.id).collect();
        if !ids.is_empty() {
            diesel::update(
                refresh_tokens::table
                    .filter(refresh_tokens::session_id.eq_any(&ids))
                    .filter(refresh_tokens::revoked_at.is_null()),
            )
            .set(refresh_tokens::revoked_at.eq(at))
            .prepared()
            .execute(conn)
            .await
            .map_err(repo_error)?;
        }
        rows.into_iter().map(SessionRow::into_domain).collect::<anyhow::Result<_>>().map_err(RepoError::Unknown)
    }

    async fn insert_device(&mut self, device: &Device) -> Result<(), RepoError> {
        let conn = self.conn()?;
        diesel::insert_into(devices::table)
            .values(DeviceRow::from_domain(device))
            .prepared()
            .execute(conn)
            .await
            .map_err(repo_error)?;
        Ok(())
    }

    async fn update_device(&mut self, device: &Device) -> Result<(), RepoError> {
        let conn = self.conn()?;
        let updated = diesel::update(devices::table.find(device.id.as_uuid()))
            .set((devices::name.eq(&device.name), devices::last_seen_at.eq(device.last_seen_at)))
            .prepared()
            .execute(conn)
            .await
            .map_err(repo_error)?;
        if updated != 1 {
            return Err(RepoError::Unknown(anyhow::anyhow!("no device {} to update", device.id)));
        }
        Ok(())
    }

    async fn delete_device(&mut self, id: DeviceId) -> Result<(), RepoError> {
        let conn = self.conn()?;
        diesel::delete(devices::table.find(id.as_uuid())).execute(conn).await.map_err(repo_error)?;
        Ok(())
    }

    async fn insert_refresh_token(&mut self, token: &RefreshToken) -> Result<(), RepoError> {
        let conn = self.conn()?;
        diesel::insert_into(refresh_tokens::table)
            .values(RefreshTokenRow::from_domain(token))
            .prepared()
            .execute(conn)
            .await
            .map_err(repo_error)?;
        Ok(())
    }

    /// One statement: the token joined to its session, user, profile and roles; the token,
    /// session and user rows locked.
    async fn lock_refresh_token(
        &mut self,
        digest: &TokenDigest,
    ) -> Result<Option<(RefreshToken, Session, User)>, RepoError> {
        let conn = self.conn()?;
        let query = refresh_tokens::table
            .inner_join(sessions::table.inner_join(users::table.left_join(user_profiles::table)))
            .filter(refresh_tokens::token_hash.eq(digest.0.as_slice()))
            .select((
                RefreshTokenRow::as_select(),
                SessionRow::as_select(),
                UserRow::as_select(),
                Option::<ProfileRow>::as_select(),
                role_names(),
            ));
        let row = ForUpdateOf::new(query, "refresh_tokens, sessions, users")
            .get_result::<(RefreshTokenRow, SessionRow, UserRow, Option<ProfileRow>, Vec<String>)>(conn)
            .await
            .optional()
            .map_err(repo_error)?;
        row.map(|(token, session, user, profile, roles)| {
            Ok((token.into_domain()?, session.into_domain()?, user.into_domain(profile, roles)?))
        })
        .transpose()
        .map_err(RepoError::Unknown)
    }

    async fn refresh_token(&mut self, id: RefreshTokenId) -> Result<Option<RefreshToken>, RepoError> {
        let conn = self.conn()?;
        let row: Option<RefreshTokenRow> = refresh_tokens::table
            .find(id.as_uuid())
            .select(RefreshTokenRow::as_select())
            .first(conn)
            .await
            .optional()
            .map_err(repo_error)?;
        row.map(RefreshTokenRow::into_domain).transpose().map_err(RepoError::Unknown)
    }

    /// One statement ([`ROTATION`]): the insert and the two updates as data-modifying CTEs. It
    /// reports the session's update, which happens only when the consumed token was updated.
    async fn rotate_refresh_token(
        &mut self,
        consumed: &RefreshToken,
        next: &RefreshToken,
        seen_at: chrono::DateTime<Utc>,
    ) -> Result<(), RepoError> {
        use diesel::sql_types::{Bytea, Nullable, Timestamptz, Uuid as SqlUuid};
        let conn = self.conn()?;
        let (next, consumed) = (RefreshTokenRow::from_domain(next), RefreshTokenRow::from_domain(consumed));
        let updated = diesel::sql_query(ROTATION)
            .bind::<SqlUuid, _>(next.id)
            .bind::<SqlUuid, _>(next.session_id)
            .bind::<Bytea, _>(next.token_hash)
            .bind::<Timestamptz, _>(next.issued_at)
            .bind::<Timestamptz, _>(next.expires_at)
            .bind::<Nullable<Timestamptz>, _>(next.consumed_at)
            .bind::<Nullable<SqlUuid>, _>(next.replaced_by)
            .bind::<Nullable<Timestamptz>, _>(next.revoked_at)
            .bind::<Nullable<Timestamptz>, _>(consumed.consumed_at)
            .bind::<Nullable<SqlUuid>, _>(consumed.replaced_by)
            .bind::<Nullable<Timestamptz>, _>(consumed.revoked_at)
            .bind::<SqlUuid, _>(consumed.id)
            .bind::<Timestamptz, _>(seen_at)
            // Every refresh runs it: planned once per connection, not once per refresh.
            .prepared()
            .execute(conn)
            .await
            .map_err(repo_error)?;
        if updated != 1 {
            return Err(RepoError::Unknown(anyhow::anyhow!("no refresh token {} to rotate", consumed.id)));
        }
        Ok(())
    }
}

/// A rotation's writes as one statement: `next` inserted ($1–$8), `consumed`'s `consumed_at`,
/// `replaced_by` and `revoked_at` written ($9–$11, where its id is $12), and its session's
/// `last_seen_at` ($13).
const ROTATION: &str = "WITH inserted AS (INSERT INTO refresh_tokens \
     (id, session_id, token_hash, issued_at, expires_at, consumed_at, replaced_by, revoked_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)), \
     consumed AS (UPDATE refresh_tokens SET consumed_at = $9, replaced_by = $10, revoked_at = $11 \
     WHERE id = $12 RETURNING session_id) \
     UPDATE sessions SET last_seen_at = $13 WHERE id = (SELECT session_id FROM consumed)";
