//! Second factors in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use identity_core::domain::{MfaMethod, RecoveryCode};
use identity_core::ports::{MfaRepository, MfaWrites, RepoError};
use identity_core::{TokenDigest, UserId};
use uuid::Uuid;

use super::{MemoryStore, MemoryTransaction, State};

/// Methods by id, and each user's recovery codes.
#[derive(Default)]
pub(super) struct Mfa {
    methods: std::collections::BTreeMap<Uuid, MfaMethod>,
    codes: std::collections::HashMap<UserId, Vec<RecoveryCode>>,
}

impl Mfa {
    fn of(&self, user: UserId) -> Vec<MfaMethod> {
        // Ids are UUIDv7: by id is oldest first.
        self.methods.values().filter(|m| m.user_id == user).cloned().collect()
    }
}

#[async_trait]
impl MfaRepository for MemoryStore {
    async fn methods_of(&self, user: UserId) -> Result<Vec<MfaMethod>, RepoError> {
        Ok(self.state.lock().await.mfa.of(user))
    }

    async fn recovery_codes_of(&self, user: UserId) -> Result<Vec<RecoveryCode>, RepoError> {
        Ok(self.state.lock().await.mfa.codes.get(&user).cloned().unwrap_or_default())
    }
}

#[async_trait]
impl MfaWrites for MemoryTransaction {
    async fn insert_method(&mut self, method: &MfaMethod) -> Result<(), RepoError> {
        let id_of = |m: &MfaMethod| m.passkey.as_ref().map(|p| p.credential_id.clone());
        if let Some(id) = id_of(method)
            && self.state()?.mfa.methods.values().any(|m| id_of(m).as_ref() == Some(&id))
        {
            return Err(RepoError::Conflict(identity_core::ports::Conflict::Passkey));
        }
        let method = method.clone();
        self.write(|state| {
            let id = method.id;
            state.mfa.methods.insert(id, method);
            Box::new(move |state: &mut State| {
                state.mfa.methods.remove(&id);
            })
        })
    }

    async fn lock_methods_of(&mut self, user: UserId) -> Result<Vec<MfaMethod>, RepoError> {
        Ok(self.state()?.mfa.of(user))
    }

    async fn update_method(&mut self, method: &MfaMethod) -> Result<(), RepoError> {
        let Some(before) = self.state()?.mfa.methods.get(&method.id).cloned() else { return Ok(()) };
        let mut after = before.clone();
        after.label = method.label.clone();
        after.confirmed_at = method.confirmed_at;
        after.last_used_at = method.last_used_at;
        after.last_step = method.last_step;
        after.passkey = method.passkey.clone();
        self.write(|state| {
            state.mfa.methods.insert(after.id, after);
            Box::new(move |state: &mut State| {
                state.mfa.methods.insert(before.id, before);
            })
        })
    }

    async fn delete_method(&mut self, id: Uuid) -> Result<(), RepoError> {
        let Some(before) = self.state()?.mfa.methods.get(&id).cloned() else { return Ok(()) };
        self.write(|state| {
            state.mfa.methods.remove(&id);
            Box::new(move |state: &mut State| {
                state.mfa.methods.insert(before.id, before);
            })
        })
    }

    async fn replace_recovery_codes(&mut self, user: UserId, digests: &[TokenDigest]) -> Result<(), RepoError> {
        let codes: Vec<RecoveryCode> =
            digests.iter().map(|d| RecoveryCode { digest: d.clone(), used_at: None }).collect();
        self.write(|state| {
            let before =
                if codes.is_empty() { state.mfa.codes.remove(&user) } else { state.mfa.codes.insert(user, codes) };
            Box::new(move |state: &mut State| match before {
                Some(before) => {
                    state.mfa.codes.insert(user, before);
                }
                None => {
                    state.mfa.codes.remove(&user);
                }
            })
        })
    }

    async fn use_recovery_code(
        &mut self,
        user: UserId,
        digest: &TokenDigest,
        at: DateTime<Utc>,
    ) -> Result<Option<usize>, RepoError> {
        let Some(codes) = self.state()?.mfa.codes.get(&user).cloned() else { return Ok(None) };
        let Some(index) = codes.iter().position(|c| c.used_at.is_none() && &c.digest == digest) else {
            return Ok(None);
        };
        let mut after = codes.clone();
        after[index].used_at = Some(at);
        let left = after.iter().filter(|c| c.used_at.is_none()).count();
        self.write(|state| {
            state.mfa.codes.insert(user, after);
            Box::new(move |state: &mut State| {
                state.mfa.codes.insert(user, codes);
            })
        })?;
        Ok(Some(left))
    }
}
