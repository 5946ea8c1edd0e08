//! The settings ports: reads of the stored admin settings and their writes in a transaction.

use async_trait::async_trait;

use crate::domain::settings::StoredSettings;
use crate::ports::RepoError;

/// Reads of the admin settings outside a transaction.
#[async_trait]
pub trait SettingsRepository: Send + Sync + 'static {
    /// The stored settings of `namespace`; `None` when nothing was ever stored.
    async fn get_settings(&self, namespace: &str) -> Result<Option<StoredSettings>, RepoError>;
}

/// Writes of the admin settings in a transaction.
#[async_trait]
pub trait SettingsWrites: Send {
    /// The settings of `namespace`, locked until commit (even when none are stored yet, so
    /// two first writes do not lose each other's fields).
    async fn lock_settings(&mut self, namespace: &str) -> Result<StoredSettings, RepoError>;
    /// Replaces the stored settings of `namespace`.
    async fn put_settings(&mut self, namespace: &str, settings: &StoredSettings) -> Result<(), RepoError>;
}
