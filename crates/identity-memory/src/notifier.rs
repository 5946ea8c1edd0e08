use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use identity_core::ports::{Mail, Notifier};
use identity_core::usecases::JobError;

/// Keeps every mail instead of sending it, so tests can read them and follow their links
/// and codes like a user would.
#[derive(Clone, Default)]
pub struct CapturingNotifier {
    sent: Arc<Mutex<Vec<Mail>>>,
}

impl CapturingNotifier {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every mail so far, oldest first.
    pub fn sent(&self) -> Vec<Mail> {
        self.sent.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// The mails sent to `address` (compared case-insensitively), oldest first.
    pub fn sent_to(&self, address: &str) -> Vec<Mail> {
        let address = address.trim().to_lowercase();
        self.sent().into_iter().filter(|m| m.to().as_str() == address).collect()
    }
}

#[async_trait]
impl Notifier for CapturingNotifier {
    async fn send(&self, mail: Mail) -> Result<(), JobError> {
        self.sent.lock().map_err(|_| JobError::Retry("capturing notifier lock poisoned".into()))?.push(mail);
        Ok(())
    }
}
