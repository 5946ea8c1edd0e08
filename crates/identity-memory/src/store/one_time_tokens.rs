//! One-time tokens (email verification, password reset) in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use identity_core::ports::{OneTimeTokenWrites, RepoError};
use identity_core::{OneTimePurpose, OneTimeToken, TokenDigest, UserId};

use super::{MemoryTransaction, State};

impl MemoryTransaction {
    fn put_one_time(&mut self, token: OneTimeToken) -> Result<(), RepoError> {
        self.write(|state| {
            let key = (token.purpose, token.digest.clone());
            let previous = state.one_time.insert(key.clone(), token);
            Box::new(move |state: &mut State| match previous {
                Some(previous) => {
                    state.one_time.insert(key, previous);
                }
                None => {
                    state.one_time.remove(&key);
                }
            })
        })
    }
}

#[async_trait]
impl OneTimeTokenWrites for MemoryTransaction {
    async fn insert_one_time_token(&mut self, token: &OneTimeToken) -> Result<(), RepoError> {
        if token.email.is_none() {
            return Err(RepoError::Unknown(anyhow::anyhow!("a one-time token needs its address")));
        }
        self.put_one_time(token.clone())
    }

    async fn lock_one_time_token(
        &mut self,
        purpose: OneTimePurpose,
        digest: &TokenDigest,
    ) -> Result<Option<OneTimeToken>, RepoError> {
        Ok(self.state()?.one_time.get(&(purpose, digest.clone())).cloned())
    }

    async fn consume_one_time_tokens(
        &mut self,
        user: UserId,
        purpose: OneTimePurpose,
        at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let open: Vec<OneTimeToken> = self
            .state()?
            .one_time
            .values()
            .filter(|t| t.user_id == user && t.purpose == purpose && t.consumed_at.is_none())
            .cloned()
            .collect();
        for mut token in open {
            token.consumed_at = Some(at);
            self.put_one_time(token)?;
        }
        Ok(())
    }
}
