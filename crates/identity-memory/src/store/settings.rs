//! Admin settings in memory.

use async_trait::async_trait;
use identity_core::ports::{RepoError, SettingsRepository, SettingsWrites};
use identity_core::settings::StoredSettings;

use super::{MemoryStore, MemoryTransaction, State};

#[async_trait]
impl SettingsRepository for MemoryStore {
    async fn get_settings(&self, namespace: &str) -> Result<Option<StoredSettings>, RepoError> {
        Ok(self.state.lock().await.settings.get(namespace).cloned())
    }
}

#[async_trait]
impl SettingsWrites for MemoryTransaction {
    async fn lock_settings(&mut self, namespace: &str) -> Result<StoredSettings, RepoError> {
        Ok(self.state()?.settings.get(namespace).cloned().unwrap_or_default())
    }

    async fn put_settings(&mut self, namespace: &str, settings: &StoredSettings) -> Result<(), RepoError> {
        let (namespace, settings) = (namespace.to_owned(), settings.clone());
        self.write(|state| {
            let previous = state.settings.insert(namespace.clone(), settings);
            Box::new(move |state: &mut State| match previous {
                Some(previous) => {
                    state.settings.insert(namespace, previous);
                }
                None => {
                    state.settings.remove(&namespace);
                }
            })
        })
    }
}
