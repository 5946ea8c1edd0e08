//! Keyed create requests (see [`crate::domain::RequestKey`]): what an earlier attempt of a
//! request made, and recording what this attempt makes, in its transaction.

use std::sync::Arc;

use uuid::Uuid;

use crate::domain::{RequestKey, RequestRecord};
use crate::kernel::context::Context;
use crate::ports::{JournalWrites, RepoError, RequestLog};
use crate::usecases::CoreError;

#[derive(Clone)]
pub(crate) struct Requests {
    pub ctx: Context,
    pub log: Arc<dyn RequestLog>,
}

impl Requests {
    /// The resource an earlier attempt of `key` made, while it is remembered. The same key
    /// with another body is refused (`IdempotencyKeyReused`).
    pub async fn made(&self, key: Option<&RequestKey>) -> Result<Option<Uuid>, CoreError> {
        let Some(key) = key else { return Ok(None) };
        match self.log.find_request(&key.key).await? {
            Some(record) if record.is_current(self.ctx.now()) => {
                if record.fingerprint == key.fingerprint {
                    Ok(Some(record.resource))
                } else {
                    Err(CoreError::IdempotencyKeyReused)
                }
            }
            _ => Ok(None),
        }
    }

    /// Records, in a transaction's `journal`, that `key` made `resource` (nothing without a key).
    pub async fn record(
        &self,
        journal: &mut dyn JournalWrites,
        key: Option<&RequestKey>,
        resource: Uuid,
    ) -> Result<(), RepoError> {
        let Some(key) = key else { return Ok(()) };
        let record =
            RequestRecord { key: key.key.clone(), fingerprint: key.fingerprint.clone(), resource, at: self.ctx.now() };
        journal.record_request(&record).await
    }
}
