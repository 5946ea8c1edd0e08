//! The accounts' ports: reads of the user aggregate and the writes of users and one-time
//! tokens in a transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::{Email, OneTimePurpose, OneTimeToken, TokenDigest, User, UserFilter, UserId, Username};
use crate::ports::RepoError;

/// Reads of the user aggregate outside a transaction.
#[async_trait]
pub trait UserRepository: Send + Sync + 'static {
    async fn find_by_id(&self, id: UserId) -> Result<Option<User>, RepoError>;
    /// Case-insensitive: `email` is already normalised.
    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, RepoError>;
    async fn find_by_username(&self, username: &Username) -> Result<Option<User>, RepoError>;
    /// Users for which [`UserFilter::matches`] holds, by id ascending, at most `filter.limit`.
    async fn list_users(&self, filter: &UserFilter) -> Result<Vec<User>, RepoError>;
}

/// Writes of the user aggregate (account, profile, roles) in a transaction.
#[async_trait]
pub trait UserWrites: Send {
    /// Inserts the user with its profile and roles. A taken email or username is
    /// `RepoError::Conflict`, and nothing is written.
    async fn insert_user(&mut self, user: &User) -> Result<(), RepoError>;
    /// Writes the user's mutable account fields and profile (not its roles).
    async fn update_user(&mut self, user: &User) -> Result<(), RepoError>;
    /// Replaces the user's roles (every role must exist).
    async fn set_roles(
        &mut self,
        user: UserId,
        roles: &std::collections::BTreeSet<crate::domain::Role>,
    ) -> Result<(), RepoError>;
    /// How many accounts count as active admins ([`User::counts_as_active_admin`]). Changes
    /// of the admin set are serialised: the count is taken under a lock that this method
    /// holds until commit, so two admins demoting each other at once cannot both succeed.
    async fn count_active_admins(&mut self) -> Result<usize, RepoError>;
    /// Locks the user's row until commit (serialises password changes and the like).
    async fn lock_user(&mut self, id: UserId) -> Result<Option<User>, RepoError>;
}

/// Writes of one-time tokens (email verification, password reset) in a transaction.
#[async_trait]
pub trait OneTimeTokenWrites: Send {
    /// Stores the token. One without an address (`email: None`) is refused with
    /// `RepoError::Unknown`, and nothing is written.
    async fn insert_one_time_token(&mut self, token: &OneTimeToken) -> Result<(), RepoError>;
    /// The token of `purpose` with this digest, locked until commit (consumed or not).
    async fn lock_one_time_token(
        &mut self,
        purpose: OneTimePurpose,
        digest: &TokenDigest,
    ) -> Result<Option<OneTimeToken>, RepoError>;
    /// Marks every unconsumed token of `purpose` of the user consumed at `at`.
    async fn consume_one_time_tokens(
        &mut self,
        user: UserId,
        purpose: OneTimePurpose,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError>;
}
