use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Array, Text, Uuid as SqlUuid};
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, TransactionManager};
use identity_core::ports::{
    EventPublisher, HealthCheck, LoginAttempt, Outbox, OutboxEntry, PageRequest, ParkedEntry, RelayReport, RepoError,
    SessionRepository, SessionSelector, Transaction, UnitOfWork, UserRepository, retry_delay,
};
use identity_core::{
    Device, DeviceId, DomainEvent, Email, OneTimePurpose, OneTimeToken, RefreshToken, RefreshTokenId, RevocationReason,
    Session, SessionId, TokenDigest, User, UserId, Username,
};
use uuid::Uuid;

use crate::errors::{pool_error, repo_error};
use crate::models::{
    CiText, DeviceRow, NewLoginAttemptRow, NewOutboxRow, OneTimeRow, OutboxRow, ParkedRow, ProfileRow, RefreshTokenRow,
    SessionRow, UserRow,
};
use crate::schema::{
    devices, email_verifications, login_attempts, outbox, password_resets, refresh_tokens, roles, sessions,
    user_profiles, user_roles, users,
};

pub(crate) type Conn = Object<AsyncPgConnection>;
type Tm = <Conn as AsyncConnection>::TransactionManager;

/// Pool sizing and timeouts.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_size: usize,
    /// How long a request waits for a connection before it gets a 503.
    pub wait_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self { max_size: 16, wait_timeout: Duration::from_secs(5) }
    }
}

/// Every store port on PostgreSQL.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool<AsyncPgConnection>,
}

impl PgStore {
    /// Builds the pool (connections open lazily) and checks that one connection works.
    pub async fn connect(url: &str, settings: &PoolSettings) -> anyhow::Result<Self> {
        let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(url);
        let pool = Pool::builder(manager)
            .max_size(settings.max_size)
            .wait_timeout(Some(settings.wait_timeout))
            .create_timeout(Some(settings.wait_timeout))
            .recycle_timeout(Some(settings.wait_timeout))
            .runtime(deadpool::Runtime::Tokio1)
            .build()?;
        let store = Self { pool };
        store.ping().await?;
        Ok(store)
    }

    async fn conn(&self) -> Result<Conn, RepoError> {
        self.pool.get().await.map_err(pool_error)
    }

    /// Runs `SELECT 1`.
    pub async fn ping(&self) -> anyhow::Result<()> {
        let mut conn = self.conn().await?;
        diesel::sql_query("SELECT 1").execute(&mut conn).await?;
        Ok(())
    }
}

async fn load_user(conn: &mut Conn, row: Option<(UserRow, Option<ProfileRow>)>) -> Result<Option<User>, RepoError> {
    let Some((user, profile)) = row else {
        return Ok(None);
    };
    let role_names: Vec<String> = user_roles::table
        .inner_join(roles::table)
        .filter(user_roles::user_id.eq(user.id))
        .select(roles::name)
        .order(roles::name)
        .load(conn)
        .await
        .map_err(repo_error)?;
    Ok(Some(user.into_domain(profile, role_names)?))
}

type UserQuery = diesel::dsl::IntoBoxed<'static, diesel::dsl::LeftJoin<users::table, user_profiles::table>, Pg>;

/// Users with their profile; callers add the filter.
fn user_query() -> UserQuery {
    users::table.left_join(user_profiles::table).into_boxed()
}

async fn find_user(conn: &mut Conn, query: UserQuery) -> Result<Option<User>, RepoError> {
    let row = query
        .select((UserRow::as_select(), Option::<ProfileRow>::as_select()))
        .first::<(UserRow, Option<ProfileRow>)>(conn)
        .await
        .optional()
        .map_err(repo_error)?;
    load_user(conn, row).await
}

#[async_trait]
impl UserRepository for PgStore {
    async fn find_by_id(&self, id: UserId) -> Result<Option<User>, RepoError> {
        let mut conn = self.conn().await?;
        find_user(&mut conn, user_query().filter(users::id.eq(id.as_uuid()))).await
    }

    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, RepoError> {
        let mut conn = self.conn().await?;
        find_user(&mut conn, user_query().filter(users::email.eq(CiText(email.as_str().to_owned())))).await
    }

    async fn find_by_username(&self, username: &Username) -> Result<Option<User>, RepoError> {
        let mut conn = self.conn().await?;
        find_user(&mut conn, user_query().filter(users::username.eq(CiText(username.as_str().to_owned())))).await
    }

    async fn list_users(&self, filter: &identity_core::ports::UserFilter) -> Result<Vec<User>, RepoError> {
        let mut conn = self.conn().await?;
        let mut query = user_query();
        if let Some(prefix) = filter.query.as_ref().map(|q| q.trim()).filter(|q| !q.is_empty()) {
            // A prefix match; LIKE wildcards in the input are matched literally.
            let escaped = prefix.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            let pattern = format!("{escaped}%");
            let email_like = diesel::dsl::sql::<diesel::sql_types::Bool>("users.email::text ILIKE ")
                .bind::<Text, _>(pattern.clone());
            query = query.filter(email_like.or(user_profiles::name.ilike(pattern).assume_not_null()));
        }
        query = match filter.status {
            Some(status) => query.filter(users::status.eq(status.as_str())),
            None => query.filter(users::status.ne("deleted")),
        };
        if let Some(role) = &filter.role {
            let with_role = user_roles::table
                .inner_join(roles::table)
                .filter(roles::name.eq(role.clone()))
                .select(user_roles::user_id);
            query = query.filter(users::id.eq_any(with_role));
        }
        if let Some(after) = filter.after {
            query = query.filter(users::id.gt(after));
        }
        let rows: Vec<(UserRow, Option<ProfileRow>)> = query
            .order(users::id.asc())
            .limit(limit(filter.limit))
            .select((UserRow::as_select(), Option::<ProfileRow>::as_select()))
            .load(&mut conn)
            .await
            .map_err(repo_error)?;
        // Every page's roles in one query.
        let ids: Vec<uuid::Uuid> = rows.iter().map(|(u, _)| u.id).collect();
        let pairs: Vec<(uuid::Uuid, String)> = user_roles::table
            .inner_join(roles::table)
            .filter(user_roles::user_id.eq_any(&ids))
            .select((user_roles::user_id, roles::name))
            .order(roles::name)
            .load(&mut conn)
            .await
            .map_err(repo_error)?;
        rows.into_iter()
            .map(|(user, profile)| {
                let names = pairs.iter().filter(|(id, _)| *id == user.id).map(|(_, n)| n.clone()).collect();
                user.into_domain(profile, names).map_err(RepoError::Unknown)
            })
            .collect()
    }
}

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
        Ok(row.map(SessionRow::into_domain))
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
        Ok(rows.into_iter().map(SessionRow::into_domain).collect())
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

fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[async_trait]
impl identity_core::ports::AccessRepository for PgStore {
    async fn find_group(&self, id: identity_core::GroupId) -> Result<Option<identity_core::Group>, RepoError> {
        crate::access::find_group(&mut self.conn().await?, id, false).await
    }

    async fn list_groups(
        &self,
        query: Option<&str>,
        page: PageRequest,
    ) -> Result<Vec<identity_core::Group>, RepoError> {
        crate::access::list_groups(&mut self.conn().await?, query, page).await
    }

    async fn list_members(
        &self,
        group: identity_core::GroupId,
        page: PageRequest,
    ) -> Result<Vec<identity_core::GroupMember>, RepoError> {
        crate::access::list_members(&mut self.conn().await?, group, page).await
    }

    async fn groups_of(&self, user: UserId) -> Result<Vec<identity_core::Group>, RepoError> {
        crate::access::groups_of(&mut self.conn().await?, user).await
    }

    async fn grants_of(&self, grantees: &[identity_core::Grantee]) -> Result<Vec<identity_core::AppGrant>, RepoError> {
        crate::access::grants_of(&mut self.conn().await?, grantees).await
    }
}

#[async_trait]
impl identity_core::ports::SettingsRepository for PgStore {
    async fn get_settings(
        &self,
        namespace: &str,
    ) -> Result<Option<identity_core::settings::StoredSettings>, RepoError> {
        crate::access::get_settings(&mut self.conn().await?, namespace, false).await
    }
}

#[async_trait]
impl UnitOfWork for PgStore {
    async fn begin(&self) -> Result<Box<dyn Transaction>, RepoError> {
        let mut conn = self.conn().await?;
        Tm::begin_transaction(&mut conn).await.map_err(repo_error)?;
        Ok(Box::new(PgTransaction { conn: Some(conn) }))
    }
}

/// A transaction on one pooled connection. Dropped without commit, it is rolled back (and
/// if even that cannot run, the pool discards the connection rather than reuse it).
struct PgTransaction {
    conn: Option<Conn>,
}

impl PgTransaction {
    fn conn(&mut self) -> Result<&mut Conn, RepoError> {
        self.conn.as_mut().ok_or_else(|| RepoError::Unknown(anyhow::anyhow!("transaction already finished")))
    }
}

#[async_trait]
impl Transaction for PgTransaction {
    async fn insert_user(&mut self, user: &User) -> Result<(), RepoError> {
        let conn = self.conn()?;
        diesel::insert_into(users::table).values(UserRow::from_domain(user)).execute(conn).await.map_err(repo_error)?;
        diesel::insert_into(user_profiles::table)
            .values(ProfileRow::from_domain(user))
            .execute(conn)
            .await
            .map_err(repo_error)?;
        let names = user.role_names();
        let granted = diesel::sql_query(
            "INSERT INTO user_roles (user_id, role_id) SELECT $1, id FROM roles WHERE name = ANY($2)",
        )
        .bind::<SqlUuid, _>(user.id.as_uuid())
        .bind::<Array<Text>, _>(&names)
        .execute(conn)
        .await
        .map_err(repo_error)?;
        if granted != names.len() {
            return Err(RepoError::Unknown(anyhow::anyhow!("unknown role among {names:?}")));
        }
        Ok(())
    }

    async fn update_user(&mut self, user: &User) -> Result<(), RepoError> {
        let conn = self.conn()?;
        let updated = diesel::update(users::table.find(user.id.as_uuid()))
            .set(UserRow::from_domain(user))
            .execute(conn)
            .await
            .map_err(repo_error)?;
        if updated != 1 {
            return Err(RepoError::Unknown(anyhow::anyhow!("no user {} to update", user.id)));
        }
        let profile = ProfileRow::from_domain(user);
        diesel::insert_into(user_profiles::table)
            .values(&profile)
            .on_conflict(user_profiles::user_id)
            .do_update()
            .set(&profile)
            .execute(conn)
            .await
            .map_err(repo_error)?;
        Ok(())
    }

    async fn insert_session(&mut self, session: &Session) -> Result<(), RepoError> {
        let conn = self.conn()?;
        diesel::insert_into(sessions::table)
            .values(SessionRow::from_domain(session))
            .execute(conn)
            .await
            .map_err(repo_error)?;
        Ok(())
    }

    async fn set_roles(
        &mut self,
        user: UserId,
        roles: &std::collections::BTreeSet<identity_core::Role>,
    ) -> Result<(), RepoError> {
        let conn = self.conn()?;
        let names: Vec<String> = roles.iter().map(|r| r.as_str().to_owned()).collect();
        diesel::delete(user_roles::table.filter(user_roles::user_id.eq(user.as_uuid())))
            .execute(conn)
            .await
            .map_err(repo_error)?;
        let granted = diesel::sql_query(
            "INSERT INTO user_roles (user_id, role_id) SELECT $1, id FROM roles WHERE name = ANY($2)",
        )
        .bind::<SqlUuid, _>(user.as_uuid())
        .bind::<Array<Text>, _>(&names)
        .execute(conn)
        .await
        .map_err(repo_error)?;
        if granted != names.len() {
            return Err(RepoError::Unknown(anyhow::anyhow!("unknown role among {names:?}")));
        }
        Ok(())
    }

    async fn lock_user(&mut self, id: UserId) -> Result<Option<User>, RepoError> {
        let conn = self.conn()?;
        let locked: Option<uuid::Uuid> = users::table
            .find(id.as_uuid())
            .select(users::id)
            .for_update()
            .first(conn)
            .await
            .optional()
            .map_err(repo_error)?;
        if locked.is_none() {
            return Ok(None);
        }
        find_user(conn, user_query().filter(users::id.eq(id.as_uuid()))).await
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
        Ok(row.map(SessionRow::into_domain))
    }

    async fn touch_session(&mut self, id: SessionId, at: chrono::DateTime<Utc>) -> Result<(), RepoError> {
        let conn = self.conn()?;
        diesel::update(sessions::table.find(id.as_uuid()))
            .set(sessions::last_seen_at.eq(at))
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
        .set((sessions::revoked_at.eq(at), sessions::revoked_reason.eq(reason.as_str())))
        .returning(SessionRow::as_returning())
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
            .execute(conn)
            .await
            .map_err(repo_error)?;
        }
        Ok(rows.into_iter().map(SessionRow::into_domain).collect())
    }

    async fn insert_device(&mut self, device: &Device) -> Result<(), RepoError> {
        let conn = self.conn()?;
        diesel::insert_into(devices::table)
            .values(DeviceRow::from_domain(device))
            .execute(conn)
            .await
            .map_err(repo_error)?;
        Ok(())
    }

    async fn update_device(&mut self, device: &Device) -> Result<(), RepoError> {
        let conn = self.conn()?;
        let updated = diesel::update(devices::table.find(device.id.as_uuid()))
            .set((devices::name.eq(&device.name), devices::last_seen_at.eq(device.last_seen_at)))
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
            .execute(conn)
            .await
            .map_err(repo_error)?;
        Ok(())
    }

    async fn lock_refresh_token(&mut self, digest: &TokenDigest) -> Result<Option<RefreshToken>, RepoError> {
        let conn = self.conn()?;
        let row: Option<RefreshTokenRow> = refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(digest.0.as_slice()))
            .select(RefreshTokenRow::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()
            .map_err(repo_error)?;
        row.map(RefreshTokenRow::into_domain).transpose().map_err(RepoError::Unknown)
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

    async fn update_refresh_token(&mut self, token: &RefreshToken) -> Result<(), RepoError> {
        let conn = self.conn()?;
        let updated = diesel::update(refresh_tokens::table.find(token.id.as_uuid()))
            .set((
                refresh_tokens::consumed_at.eq(token.consumed_at),
                refresh_tokens::replaced_by.eq(token.replaced_by.map(|id| id.as_uuid())),
                refresh_tokens::revoked_at.eq(token.revoked_at),
            ))
            .execute(conn)
            .await
            .map_err(repo_error)?;
        if updated != 1 {
            return Err(RepoError::Unknown(anyhow::anyhow!("no refresh token {} to update", token.id)));
        }
        Ok(())
    }

    async fn record_login_attempt(&mut self, attempt: &LoginAttempt) -> Result<(), RepoError> {
        let conn = self.conn()?;
        diesel::insert_into(login_attempts::table)
            .values(NewLoginAttemptRow::from_domain(attempt))
            .execute(conn)
            .await
            .map_err(repo_error)?;
        Ok(())
    }

    async fn insert_one_time_token(&mut self, token: &OneTimeToken) -> Result<(), RepoError> {
        let conn = self.conn()?;
        let email = token
            .email
            .as_ref()
            .map(|e| CiText(e.as_str().to_owned()))
            .ok_or_else(|| RepoError::Unknown(anyhow::anyhow!("a one-time token needs its address")))?;
        let hash = token.digest.0.to_vec();
        match token.purpose {
            OneTimePurpose::ResetPassword => {
                diesel::insert_into(password_resets::table)
                    .values((
                        password_resets::id.eq(token.id),
                        password_resets::user_id.eq(token.user_id.as_uuid()),
                        password_resets::email.eq(email),
                        password_resets::token_hash.eq(hash),
                        password_resets::created_at.eq(token.created_at),
                        password_resets::expires_at.eq(token.expires_at),
                        password_resets::consumed_at.eq(token.consumed_at),
                    ))
                    .execute(conn)
                    .await
            }
            OneTimePurpose::VerifyEmail => {
                diesel::insert_into(email_verifications::table)
                    .values((
                        email_verifications::id.eq(token.id),
                        email_verifications::user_id.eq(token.user_id.as_uuid()),
                        email_verifications::email.eq(email),
                        email_verifications::token_hash.eq(hash),
                        email_verifications::created_at.eq(token.created_at),
                        email_verifications::expires_at.eq(token.expires_at),
                        email_verifications::consumed_at.eq(token.consumed_at),
                    ))
                    .execute(conn)
                    .await
            }
        }
        .map_err(repo_error)?;
        Ok(())
    }

    async fn lock_one_time_token(
        &mut self,
        purpose: OneTimePurpose,
        digest: &TokenDigest,
    ) -> Result<Option<OneTimeToken>, RepoError> {
        let conn = self.conn()?;
        let hash = digest.0.as_slice();
        let row: Option<OneTimeRow> = match purpose {
            OneTimePurpose::ResetPassword => {
                password_resets::table
                    .filter(password_resets::token_hash.eq(hash))
                    .select((
                        password_resets::id,
                        password_resets::user_id,
                        password_resets::email,
                        password_resets::token_hash,
                        password_resets::created_at,
                        password_resets::expires_at,
                        password_resets::consumed_at,
                    ))
                    .for_update()
                    .first(conn)
                    .await
            }
            OneTimePurpose::VerifyEmail => {
                email_verifications::table
                    .filter(email_verifications::token_hash.eq(hash))
                    .select((
                        email_verifications::id,
                        email_verifications::user_id,
                        email_verifications::email,
                        email_verifications::token_hash,
                        email_verifications::created_at,
                        email_verifications::expires_at,
                        email_verifications::consumed_at,
                    ))
                    .for_update()
                    .first(conn)
                    .await
            }
        }
        .optional()
        .map_err(repo_error)?;
        row.map(|r| r.into_domain(purpose)).transpose().map_err(RepoError::Unknown)
    }

    async fn consume_one_time_tokens(
        &mut self,
        user: UserId,
        purpose: OneTimePurpose,
        at: chrono::DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let conn = self.conn()?;
        match purpose {
            OneTimePurpose::ResetPassword => {
                diesel::update(
                    password_resets::table
                        .filter(password_resets::user_id.eq(user.as_uuid()))
                        .filter(password_resets::consumed_at.is_null()),
                )
                .set(password_resets::consumed_at.eq(at))
                .execute(conn)
                .await
            }
            OneTimePurpose::VerifyEmail => {
                diesel::update(
                    email_verifications::table
                        .filter(email_verifications::user_id.eq(user.as_uuid()))
                        .filter(email_verifications::consumed_at.is_null()),
                )
                .set(email_verifications::consumed_at.eq(at))
                .execute(conn)
                .await
            }
        }
        .map_err(repo_error)?;
        Ok(())
    }

    async fn lock_settings(&mut self, namespace: &str) -> Result<identity_core::settings::StoredSettings, RepoError> {
        crate::access::lock_settings(self.conn()?, namespace).await
    }

    async fn put_settings(
        &mut self,
        namespace: &str,
        settings: &identity_core::settings::StoredSettings,
    ) -> Result<(), RepoError> {
        crate::access::put_settings(self.conn()?, namespace, settings).await
    }

    async fn count_active_admins(&mut self) -> Result<usize, RepoError> {
        crate::access::count_active_admins(self.conn()?).await
    }

    async fn insert_group(&mut self, group: &identity_core::Group) -> Result<(), RepoError> {
        crate::access::insert_group(self.conn()?, group).await
    }

    async fn lock_group(&mut self, id: identity_core::GroupId) -> Result<Option<identity_core::Group>, RepoError> {
        crate::access::find_group(self.conn()?, id, true).await
    }

    async fn update_group(&mut self, group: &identity_core::Group) -> Result<(), RepoError> {
        crate::access::update_group(self.conn()?, group).await
    }

    async fn delete_group(&mut self, id: identity_core::GroupId) -> Result<bool, RepoError> {
        crate::access::delete_group(self.conn()?, id).await
    }

    async fn member_ids(&mut self, group: identity_core::GroupId) -> Result<Vec<UserId>, RepoError> {
        crate::access::member_ids(self.conn()?, group).await
    }

    async fn add_member(
        &mut self,
        group: identity_core::GroupId,
        user: UserId,
        at: chrono::DateTime<Utc>,
    ) -> Result<bool, RepoError> {
        crate::access::add_member(self.conn()?, group, user, at).await
    }

    async fn remove_member(&mut self, group: identity_core::GroupId, user: UserId) -> Result<bool, RepoError> {
        crate::access::remove_member(self.conn()?, group, user).await
    }

    async fn grant_app(&mut self, grant: &identity_core::AppGrant) -> Result<bool, RepoError> {
        crate::access::grant_app(self.conn()?, grant).await
    }

    async fn revoke_app(
        &mut self,
        grantee: identity_core::Grantee,
        app: &identity_core::AppKey,
    ) -> Result<bool, RepoError> {
        crate::access::revoke_app(self.conn()?, grantee, app).await
    }

    async fn record_audit(&mut self, entry: &identity_core::AuditEntry) -> Result<(), RepoError> {
        use crate::schema::audit_logs;
        let conn = self.conn()?;
        diesel::insert_into(audit_logs::table)
            .values((
                audit_logs::user_id.eq(entry.subject.map(|u| u.as_uuid())),
                audit_logs::actor_id.eq(entry.actor.map(|u| u.as_uuid())),
                audit_logs::action.eq(entry.action),
                audit_logs::ip_addr.eq(entry.ip.map(ipnet::IpNet::from)),
                audit_logs::user_agent.eq(entry.user_agent.as_deref()),
                audit_logs::metadata.eq(&entry.metadata),
                audit_logs::created_at.eq(entry.at),
            ))
            .execute(conn)
            .await
            .map_err(repo_error)?;
        Ok(())
    }

    async fn record_events(&mut self, events: &[DomainEvent]) -> Result<(), RepoError> {
        if events.is_empty() {
            return Ok(());
        }
        let conn = self.conn()?;
        let rows: Vec<NewOutboxRow> = events.iter().map(NewOutboxRow::from_domain).collect();
        diesel::insert_into(outbox::table).values(rows).execute(conn).await.map_err(repo_error)?;
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> Result<(), RepoError> {
        let mut conn =
            self.conn.take().ok_or_else(|| RepoError::Unknown(anyhow::anyhow!("transaction already finished")))?;
        Tm::commit_transaction(&mut conn).await.map_err(repo_error)
    }
}

impl Drop for PgTransaction {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(error) = Tm::rollback_transaction(&mut conn).await {
                    tracing::warn!(%error, "rollback of an abandoned transaction failed");
                }
            });
        }
    }
}

#[async_trait]
impl identity_core::ports::AuditRepository for PgStore {
    async fn list_audit(
        &self,
        filter: &identity_core::AuditFilter,
    ) -> Result<Vec<identity_core::AuditRecord>, RepoError> {
        use crate::models::AuditRow;
        use crate::schema::audit_logs;
        let mut conn = self.conn().await?;
        let mut query = audit_logs::table.into_boxed();
        if let Some(subject) = filter.subject {
            query = query.filter(audit_logs::user_id.eq(subject.as_uuid()));
        }
        if let Some(actor) = filter.actor {
            query = query.filter(audit_logs::actor_id.eq(actor.as_uuid()));
        }
        if let Some(action) = &filter.action {
            query = query.filter(audit_logs::action.eq(action.clone()));
        }
        if let Some(since) = filter.since {
            query = query.filter(audit_logs::created_at.ge(since));
        }
        if let Some(until) = filter.until {
            query = query.filter(audit_logs::created_at.le(until));
        }
        if let Some(before) = filter.before_id {
            query = query.filter(audit_logs::id.lt(before));
        }
        let rows: Vec<AuditRow> = query
            .order(audit_logs::id.desc())
            .limit(limit(filter.limit))
            .select(AuditRow::as_select())
            .load(&mut conn)
            .await
            .map_err(repo_error)?;
        Ok(rows.into_iter().map(AuditRow::into_domain).collect())
    }
}

#[async_trait]
impl Outbox for PgStore {
    async fn pending(&self, limit: usize) -> Result<Vec<OutboxEntry>, RepoError> {
        let mut conn = self.conn().await?;
        let rows: Vec<OutboxRow> = outbox::table
            .filter(outbox::published_at.is_null())
            .filter(outbox::parked_at.is_null())
            .order(outbox::seq)
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .select(OutboxRow::as_select())
            .load(&mut conn)
            .await
            .map_err(repo_error)?;
        // A row that cannot be decoded is not pending: the next relay pass parks it.
        Ok(rows.into_iter().filter_map(|r| r.into_domain().ok()).collect())
    }

    async fn relay(
        &self,
        limit: usize,
        publisher: &dyn EventPublisher,
        now: DateTime<Utc>,
    ) -> Result<RelayReport, RepoError> {
        let mut conn = self.conn().await?;
        Tm::begin_transaction(&mut conn).await.map_err(repo_error)?;
        let mut tx = PgTransaction { conn: Some(conn) };
        let conn = tx.conn()?;
        // SKIP LOCKED: concurrent relays (one per replica) each take different rows.
        let rows: Vec<OutboxRow> = outbox::table
            .filter(outbox::published_at.is_null())
            .filter(outbox::parked_at.is_null())
            .filter(outbox::next_attempt_at.is_null().or(outbox::next_attempt_at.le(now)))
            .order(outbox::seq)
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .select(OutboxRow::as_select())
            .for_update()
            .skip_locked()
            .load(conn)
            .await
            .map_err(repo_error)?;
        let mut report = RelayReport::default();
        if rows.is_empty() {
            return Ok(report);
        }
        let mut entries = Vec::with_capacity(rows.len());
        for row in rows {
            let (id, seq, event_type, attempts) = (row.id, row.seq, row.event_type.clone(), row.attempts + 1);
            match row.into_domain() {
                Ok(entry) => entries.push(entry),
                Err(error) => {
                    diesel::update(outbox::table.find(id))
                        .set((outbox::attempts.eq(attempts), outbox::last_error.eq(&error), outbox::parked_at.eq(now)))
                        .execute(conn)
                        .await
                        .map_err(repo_error)?;
                    report.parked.push(ParkedEntry {
                        id,
                        seq,
                        event_type,
                        attempts,
                        last_error: Some(error),
                        parked_at: now,
                    });
                }
            }
        }
        if !entries.is_empty() {
            let events: Vec<DomainEvent> = entries.iter().map(|e| e.event.clone()).collect();
            let outcome = publisher.publish(&events).await;
            let conn = tx.conn()?;
            let (failed, confirmed): (Vec<&OutboxEntry>, Vec<&OutboxEntry>) =
                entries.iter().partition(|e| outcome.as_ref().is_err_and(|error| error.failed(e.event.id)));
            let confirmed: Vec<Uuid> = confirmed.iter().map(|e| e.event.id).collect();
            if !confirmed.is_empty() {
                diesel::update(outbox::table.filter(outbox::id.eq_any(&confirmed)))
                    .set((outbox::published_at.eq(now), outbox::next_attempt_at.eq(None::<DateTime<Utc>>)))
                    .execute(conn)
                    .await
                    .map_err(repo_error)?;
            }
            if let Err(error) = &outcome {
                let message = error.to_string();
                for entry in &failed {
                    let attempts = entry.attempts + 1;
                    let next_attempt_at = error.retry_later().then(|| now + retry_delay(attempts));
                    diesel::update(outbox::table.find(entry.event.id))
                        .set((
                            outbox::attempts.eq(attempts),
                            outbox::last_error.eq(&message),
                            outbox::next_attempt_at.eq(next_attempt_at),
                        ))
                        .execute(conn)
                        .await
                        .map_err(repo_error)?;
                }
                report.error = Some(message);
            }
            report.published = confirmed.len();
            report.failed = failed.len();
        }
        Box::new(tx).commit().await?;
        Ok(report)
    }

    async fn parked(&self, limit: usize) -> Result<Vec<ParkedEntry>, RepoError> {
        let mut conn = self.conn().await?;
        let rows: Vec<ParkedRow> = outbox::table
            .filter(outbox::published_at.is_null())
            .filter(outbox::parked_at.is_not_null())
            .order(outbox::seq)
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .select(ParkedRow::as_select())
            .load(&mut conn)
            .await
            .map_err(repo_error)?;
        Ok(rows.into_iter().filter_map(ParkedRow::into_domain).collect())
    }

    async fn parked_count(&self) -> Result<u64, RepoError> {
        let mut conn = self.conn().await?;
        let n: i64 = outbox::table
            .filter(outbox::published_at.is_null())
            .filter(outbox::parked_at.is_not_null())
            .count()
            .get_result(&mut conn)
            .await
            .map_err(repo_error)?;
        Ok(u64::try_from(n).unwrap_or_default())
    }
}

#[async_trait]
impl HealthCheck for PgStore {
    fn name(&self) -> &'static str {
        "postgres"
    }

    async fn check(&self) -> anyhow::Result<()> {
        self.ping().await
    }
}

#[cfg(all(test, feature = "testkit"))]
mod contract {
    use identity_core::testkit::store::StoreUnderTest;

    use super::{PgStore, PoolSettings};
    use crate::testkit::{TestDatabase, WithDatabase};

    async fn store() -> WithDatabase<StoreUnderTest> {
        let database = TestDatabase::create().await;
        let store = PgStore::connect(database.url(), &PoolSettings { max_size: 4, ..PoolSettings::default() })
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {}: {e:#}", database.url()));
        database.with(StoreUnderTest::from_store(store))
    }

    identity_core::store_contract_tests!(store());
}

/// What only PostgreSQL can hold: rows this version cannot decode (written by a newer
/// version, or by hand).
#[cfg(all(test, feature = "testkit"))]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod parking {
    use std::sync::Mutex;

    use async_trait::async_trait;
    use diesel_async::RunQueryDsl;
    use identity_core::ports::{EventPublisher, Outbox, PublishError, UnitOfWork};
    use identity_core::testkit::fixtures;
    use identity_core::{DomainEvent, EventType};

    use super::{PgStore, PoolSettings};

    #[derive(Default)]
    struct Recording(Mutex<Vec<DomainEvent>>);

    #[async_trait]
    impl EventPublisher for Recording {
        async fn publish(&self, events: &[DomainEvent]) -> Result<(), PublishError> {
            self.0.lock().unwrap().extend_from_slice(events);
            Ok(())
        }
    }

    async fn insert_raw(store: &PgStore, event_type: &str, payload: &str) -> uuid::Uuid {
        let id = uuid::Uuid::now_v7();
        let mut conn = store.conn().await.unwrap();
        diesel::sql_query(format!(
            "INSERT INTO outbox (id, aggregate_type, aggregate_id, type, payload, occurred_at) \
             VALUES ('{id}', 'user', '{id}', '{event_type}', '{payload}'::jsonb, now())"
        ))
        .execute(&mut conn)
        .await
        .unwrap();
        id
    }

    #[tokio::test]
    async fn undecodable_rows_are_parked_and_the_rows_after_them_are_published() {
        let database = crate::testkit::TestDatabase::create().await;
        let store =
            PgStore::connect(database.url(), &PoolSettings { max_size: 4, ..PoolSettings::default() }).await.unwrap();
        let nonsense = insert_raw(&store, "nonsense.event", r#"{"x":1}"#).await;
        let events: Vec<DomainEvent> =
            EventType::ALL.into_iter().map(|t| fixtures::event(t, uuid::Uuid::now_v7())).collect();
        let mut tx = store.begin().await.unwrap();
        tx.record_events(&events).await.unwrap();
        tx.commit().await.unwrap();
        let not_an_object = insert_raw(&store, "user.updated", "[1,2]").await;
        // A row that cannot be decoded is not pending: only the valid ones are.
        let pending = store.pending(1000).await.unwrap();
        assert_eq!(pending.iter().map(|e| e.event.clone()).collect::<Vec<_>>(), events);

        let publisher = Recording::default();
        let now = fixtures::now();
        let report = store.relay(1000, &publisher, now).await.unwrap();
        assert_eq!((report.published, report.failed), (events.len(), 0), "{report:?}");
        assert_eq!(*publisher.0.lock().unwrap(), events, "the rows after the parked one went out, in order");
        assert_eq!(report.parked.len(), 2, "{report:?}");
        let parked = &report.parked[0];
        assert_eq!((parked.id, parked.event_type.as_str(), parked.attempts), (nonsense, "nonsense.event", 1));
        assert!(parked.last_error.as_deref().unwrap().contains("unknown event type \"nonsense.event\""), "{parked:?}");
        assert_eq!(parked.parked_at, now);
        assert_eq!(report.parked[1].id, not_an_object);
        assert!(report.parked[1].last_error.as_deref().unwrap().contains("not a JSON object"), "{report:?}");

        // Operators see them; the relay never claims them again.
        assert_eq!(store.parked(1000).await.unwrap(), report.parked);
        assert_eq!(store.parked(1).await.unwrap(), report.parked[..1]);
        assert_eq!(store.parked_count().await.unwrap(), 2);
        let again = store.relay(1000, &publisher, now).await.unwrap();
        assert_eq!(again, identity_core::ports::RelayReport::default());
        assert!(store.pending(1000).await.unwrap().is_empty());

        // Re-queued after the cause is fixed (docs/operations.md), it is published.
        let mut conn = store.conn().await.unwrap();
        diesel::sql_query(format!(
            "UPDATE outbox SET type = 'user.verified', parked_at = NULL, last_error = NULL WHERE id = '{nonsense}'"
        ))
        .execute(&mut conn)
        .await
        .unwrap();
        let report = store.relay(1000, &publisher, now).await.unwrap();
        assert_eq!((report.published, report.parked.len()), (1, 0), "{report:?}");
        assert_eq!(publisher.0.lock().unwrap().last().unwrap().id, nonsense);
        assert_eq!(store.parked_count().await.unwrap(), 1);
    }
}
