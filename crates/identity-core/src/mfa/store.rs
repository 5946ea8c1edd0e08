//! What second factors need of a store.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::model::{MfaMethod, RecoveryCode};
use crate::domain::{TokenDigest, UserId};
use crate::ports::RepoError;

/// Reads of second factors outside a transaction.
#[async_trait]
pub trait MfaRepository: Send + Sync + 'static {
    /// The user's methods, confirmed or not, oldest first.
    async fn methods_of(&self, user: UserId) -> Result<Vec<MfaMethod>, RepoError>;
    /// The user's recovery codes, used or not.
    async fn recovery_codes_of(&self, user: UserId) -> Result<Vec<RecoveryCode>, RepoError>;
}

/// Writes of second factors in a transaction.
#[async_trait]
pub trait MfaWrites: Send {
    async fn insert_method(&mut self, method: &MfaMethod) -> Result<(), RepoError>;
    /// The user's methods, locked until commit, oldest first: a code's step is checked and
    /// stored under this lock, so of two uses of one code one wins.
    async fn lock_methods_of(&mut self, user: UserId) -> Result<Vec<MfaMethod>, RepoError>;
    /// Writes the label, confirmation, last use and last step.
    async fn update_method(&mut self, method: &MfaMethod) -> Result<(), RepoError>;
    async fn delete_method(&mut self, id: Uuid) -> Result<(), RepoError>;
    /// Replaces the user's recovery codes (none: removes them).
    async fn replace_recovery_codes(&mut self, user: UserId, digests: &[TokenDigest]) -> Result<(), RepoError>;
    /// Marks the user's unused code with `digest` used at `at` and answers how many unused
    /// ones are left; `None` when there is no such code (wrong, or already used: of two uses
    /// of one code one wins).
    async fn use_recovery_code(
        &mut self,
        user: UserId,
        digest: &TokenDigest,
        at: DateTime<Utc>,
    ) -> Result<Option<usize>, RepoError>;
}
