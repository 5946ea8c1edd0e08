//! Users on PostgreSQL: lookups, the admin listing, and the user writes of a transaction.

use async_trait::async_trait;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Array, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use identity_core::ports::{RepoError, UserRepository, UserWrites};
use identity_core::{Email, Role, User, UserFilter, UserId, UserStatus, Username};

use super::{ForUpdateOf, PgStore, PgTransaction, Prepare, like_prefix, limit};
use crate::errors::repo_error;
use crate::models::{CiText, ProfileRow, UserRow};
use crate::schema::{roles, user_profiles, user_roles, users};

type UserQuery = diesel::dsl::IntoBoxed<'static, diesel::dsl::LeftJoin<users::table, user_profiles::table>, Pg>;

/// Users with their profile; callers add the filter.
fn user_query() -> UserQuery {
    users::table.left_join(user_profiles::table).into_boxed()
}

/// The names of the user's roles, sorted, as a column of the user's row: a user is read with
/// its profile and roles in one statement (one round trip). An expression of its own, not
/// `dsl::sql`: diesel never caches a statement holding an SQL literal, and a statement planned
/// again on every request cost PostgreSQL more than the read itself.
#[derive(Debug, Clone, Copy, diesel::query_builder::QueryId)]
pub(super) struct RoleNames;

pub(super) fn role_names() -> RoleNames {
    RoleNames
}

impl diesel::expression::Expression for RoleNames {
    type SqlType = Array<Text>;
}

impl diesel::query_builder::QueryFragment<Pg> for RoleNames {
    fn walk_ast<'b>(&'b self, mut out: diesel::query_builder::AstPass<'_, 'b, Pg>) -> diesel::QueryResult<()> {
        out.push_sql(
            "ARRAY(SELECT roles.name FROM user_roles JOIN roles ON roles.id = user_roles.role_id \
             WHERE user_roles.user_id = users.id ORDER BY roles.name)",
        );
        Ok(())
    }
}

// It names `users.id`: selected only from queries on `users` (every caller joins it).
impl<QS> diesel::expression::AppearsOnTable<QS> for RoleNames {}
impl<QS> diesel::expression::SelectableExpression<QS> for RoleNames {}
impl<GB> diesel::expression::ValidGrouping<GB> for RoleNames {
    type IsAggregate = diesel::expression::is_aggregate::No;
}

impl PgStore {
    /// The user `query` finds, with profile and roles, in one statement (a read that checks
    /// its own connection: [`PgStore::read`]).
    async fn find_user(&self, query: impl Fn() -> UserQuery + Send + Sync) -> Result<Option<User>, RepoError> {
        let row = self
            .read(|conn| {
                let query = query();
                Box::pin(async move {
                    query
                        .select((UserRow::as_select(), Option::<ProfileRow>::as_select(), role_names()))
                        .first::<(UserRow, Option<ProfileRow>, Vec<String>)>(conn)
                        .await
                        .optional()
                })
            })
            .await?;
        row.map(|(user, profile, roles)| user.into_domain(profile, roles)).transpose().map_err(RepoError::Unknown)
    }
}

#[async_trait]
impl UserRepository for PgStore {
    async fn find_by_id(&self, id: UserId) -> Result<Option<User>, RepoError> {
        self.find_user(|| user_query().filter(users::id.eq(id.as_uuid()))).await
    }

    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, RepoError> {
        self.find_user(|| user_query().filter(users::email.eq(CiText(email.as_str().to_owned())))).await
    }

    async fn find_by_username(&self, username: &Username) -> Result<Option<User>, RepoError> {
        self.find_user(|| user_query().filter(users::username.eq(CiText(username.as_str().to_owned())))).await
    }

    /// `UserFilter::matches`, in SQL.
    async fn list_users(&self, filter: &UserFilter) -> Result<Vec<User>, RepoError> {
        let mut conn = self.conn().await?;
        let mut query = user_query();
        if let Some(search) = filter.search() {
            let pattern = like_prefix(&search);
            let email_like = diesel::dsl::sql::<diesel::sql_types::Bool>("users.email::text ILIKE ")
                .bind::<Text, _>(pattern.clone());
            query = query.filter(email_like.or(user_profiles::name.ilike(pattern).assume_not_null()));
        }
        // `UserFilter::lists_status`; without a status, `!UserStatus::is_deleted` in SQL (the
        // status is the one field that says "deleted"; `deleted_at` only says when).
        query = match filter.status {
            Some(status) => query.filter(users::status.eq(status.as_str())),
            None => query.filter(users::status.ne(UserStatus::Deleted.as_str())),
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
        let rows: Vec<(UserRow, Option<ProfileRow>, Vec<String>)> = query
            .order(users::id.asc())
            .limit(limit(filter.limit))
            .select((UserRow::as_select(), Option::<ProfileRow>::as_select(), role_names()))
            .load(&mut conn)
            .await
            .map_err(repo_error)?;
        rows.into_iter()
            .map(|(user, profile, roles)| user.into_domain(profile, roles).map_err(RepoError::Unknown))
            .collect()
    }
}

#[async_trait]
impl UserWrites for PgTransaction {
    async fn insert_user(&mut self, user: &User) -> Result<(), RepoError> {
        let conn = self.conn()?;
        diesel::insert_into(users::table)
            .values(UserRow::from_domain(user))
            .prepared()
            .execute(conn)
            .await
            .map_err(repo_error)?;
        diesel::insert_into(user_profiles::table)
            .values(ProfileRow::from_domain(user))
            .prepared()
            .execute(conn)
            .await
            .map_err(repo_error)?;
        grant_roles(conn, user.id, &user.role_names()).await
    }

    async fn update_user(&mut self, user: &User) -> Result<(), RepoError> {
        let conn = self.conn()?;
        let updated = diesel::update(users::table.find(user.id.as_uuid()))
            .set(UserRow::from_domain(user))
            .prepared()
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
            .prepared()
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
        grant_roles(conn, user, &names).await
    }

    /// Serialises changes of the admin set for the rest of the transaction, then counts the
    /// active admins (fresh: READ COMMITTED takes a new snapshot per statement).
    async fn count_active_admins(&mut self) -> Result<usize, RepoError> {
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::Int8)]
            n: i64,
        }
        let conn = self.conn()?;
        // An arbitrary, fixed key of this service's advisory locks: "admin" in ASCII.
        diesel::sql_query("SELECT pg_advisory_xact_lock(418430053742)").execute(conn).await.map_err(repo_error)?;
        // `User::counts_as_active_admin`, in SQL.
        let count: Count = diesel::sql_query(
            "SELECT count(*) AS n FROM users u JOIN user_roles ur ON ur.user_id = u.id JOIN roles r ON r.id = ur.role_id \
             WHERE r.name = $1 AND u.status = $2",
        )
        .bind::<Text, _>(Role::ADMIN)
        .bind::<Text, _>(UserStatus::Active.as_str())
        .get_result(conn)
        .await
        .map_err(repo_error)?;
        Ok(usize::try_from(count.n).unwrap_or(0))
    }

    async fn lock_user(&mut self, id: UserId) -> Result<Option<User>, RepoError> {
        let conn = self.conn()?;
        let query = user_query().filter(users::id.eq(id.as_uuid())).select((
            UserRow::as_select(),
            Option::<ProfileRow>::as_select(),
            role_names(),
        ));
        let row = ForUpdateOf::new(query, "users")
            .get_result::<(UserRow, Option<ProfileRow>, Vec<String>)>(conn)
            .await
            .optional()
            .map_err(repo_error)?;
        row.map(|(user, profile, roles)| user.into_domain(profile, roles)).transpose().map_err(RepoError::Unknown)
    }
}

/// Gives `user` the roles named `names`; every name must be a role (else nothing is known to
/// have been written, and the transaction is abandoned).
async fn grant_roles(
    conn: &mut diesel_async::AsyncPgConnection,
    user: UserId,
    names: &[String],
) -> Result<(), RepoError> {
    let granted =
        diesel::sql_query("INSERT INTO user_roles (user_id, role_id) SELECT $1, id FROM roles WHERE name = ANY($2)")
            .bind::<SqlUuid, _>(user.as_uuid())
            .bind::<Array<Text>, _>(names)
            .prepared()
            .execute(conn)
            .await
            .map_err(repo_error)?;
    if granted != names.len() {
        return Err(RepoError::Unknown(anyhow::anyhow!("unknown role among {names:?}")));
    }
    Ok(())
}
