//! Sessions, devices and refresh tokens in memory.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use identity_core::ports::{PageRequest, RepoError, SessionRepository, SessionSelector, SessionWrites};
use identity_core::{
    Device, DeviceId, RefreshToken, RefreshTokenId, Revocation, RevocationReason, Session, SessionId, TokenDigest,
    User, UserId,
};

use super::{MemoryStore, MemoryTransaction, State, page};

#[async_trait]
impl SessionRepository for MemoryStore {
    async fn find_session(&self, id: SessionId) -> Result<Option<Session>, RepoError> {
        Ok(self.state.lock().await.sessions.get(&id).cloned())
    }

    async fn find_session_with_user(&self, id: SessionId) -> Result<Option<(Session, User)>, RepoError> {
        let state = self.state.lock().await;
        Ok(state
            .sessions
            .get(&id)
            .and_then(|session| Some((session.clone(), state.users.get(&session.user_id)?.clone()))))
    }

    async fn list_live_sessions(
        &self,
        user: UserId,
        now: DateTime<Utc>,
        idle_timeout: Option<chrono::Duration>,
        request: PageRequest,
    ) -> Result<Vec<Session>, RepoError> {
        let state = self.state.lock().await;
        let live = state.sessions.values().filter(|s| s.user_id == user && s.is_live(now, idle_timeout)).collect();
        Ok(page(live, |s| s.id.as_uuid(), request))
    }

    async fn find_device(&self, id: DeviceId) -> Result<Option<Device>, RepoError> {
        Ok(self.state.lock().await.devices.get(&id).cloned())
    }

    async fn list_devices(&self, user: UserId, request: PageRequest) -> Result<Vec<Device>, RepoError> {
        let state = self.state.lock().await;
        let devices = state.devices.values().filter(|d| d.user_id == user).collect();
        Ok(page(devices, |d| d.id.as_uuid(), request))
    }
}

impl MemoryTransaction {
    fn put_session(&mut self, session: Session) -> Result<(), RepoError> {
        self.write(|state| {
            let previous = state.sessions.insert(session.id, session.clone());
            Box::new(move |state: &mut State| match previous {
                Some(previous) => {
                    state.sessions.insert(previous.id, previous);
                }
                None => {
                    state.sessions.remove(&session.id);
                }
            })
        })
    }

    fn put_refresh_token(&mut self, token: RefreshToken) -> Result<(), RepoError> {
        self.write(|state| {
            let previous = state.refresh_tokens.insert(token.id, token.clone());
            state.refresh_by_digest.insert(token.digest.clone(), token.id);
            Box::new(move |state: &mut State| match previous {
                Some(previous) => {
                    state.refresh_tokens.insert(previous.id, previous);
                }
                None => {
                    state.refresh_tokens.remove(&token.id);
                    state.refresh_by_digest.remove(&token.digest);
                }
            })
        })
    }

    fn put_device(&mut self, device: Device) -> Result<(), RepoError> {
        self.write(|state| {
            let previous = state.devices.insert(device.id, device.clone());
            Box::new(move |state: &mut State| match previous {
                Some(previous) => {
                    state.devices.insert(previous.id, previous);
                }
                None => {
                    state.devices.remove(&device.id);
                }
            })
        })
    }
}

#[async_trait]
impl SessionWrites for MemoryTransaction {
    async fn insert_session(&mut self, session: &Session) -> Result<(), RepoError> {
        let state = self.state()?;
        if !state.users.contains_key(&session.user_id) {
            return Err(RepoError::Unknown(anyhow::anyhow!("session for unknown user {}", session.user_id)));
        }
        self.put_session(session.clone())
    }

    async fn session(&mut self, id: SessionId) -> Result<Option<Session>, RepoError> {
        Ok(self.state()?.sessions.get(&id).cloned())
    }

    async fn touch_session(&mut self, id: SessionId, at: DateTime<Utc>) -> Result<(), RepoError> {
        let Some(mut session) = self.state()?.sessions.get(&id).cloned() else {
            return Ok(());
        };
        session.last_seen_at = at;
        self.put_session(session)
    }

    async fn reauthenticate_session(
        &mut self,
        id: SessionId,
        amr: &[String],
        at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let Some(mut session) = self.state()?.sessions.get(&id).cloned() else {
            return Ok(());
        };
        session.amr = amr.to_vec();
        session.auth_time = at;
        self.put_session(session)
    }

    async fn revoke_sessions(
        &mut self,
        user: UserId,
        selector: SessionSelector,
        at: DateTime<Utc>,
        reason: RevocationReason,
    ) -> Result<Vec<Session>, RepoError> {
        let state = self.state()?;
        let mut picked: Vec<Session> = state
            .sessions
            .values()
            .filter(|s| s.user_id == user && s.revoked.is_none())
            .filter(|s| match selector {
                SessionSelector::One(id) => s.id == id,
                SessionSelector::All => true,
                SessionSelector::AllExcept(id) => s.id != id,
                SessionSelector::Device(device) => s.device_id == Some(device),
            })
            .cloned()
            .collect();
        picked.sort_by_key(|s| s.id);
        let tokens: Vec<RefreshToken> = state
            .refresh_tokens
            .values()
            .filter(|t| t.revoked_at.is_none() && picked.iter().any(|s| s.id == t.session_id))
            .cloned()
            .collect();
        for session in &mut picked {
            session.revoked = Some(Revocation { at, reason });
            self.put_session(session.clone())?;
        }
        for mut token in tokens {
            token.revoked_at = Some(at);
            self.put_refresh_token(token)?;
        }
        Ok(picked)
    }

    async fn insert_device(&mut self, device: &Device) -> Result<(), RepoError> {
        self.put_device(device.clone())
    }

    async fn update_device(&mut self, device: &Device) -> Result<(), RepoError> {
        if !self.state()?.devices.contains_key(&device.id) {
            return Err(RepoError::Unknown(anyhow::anyhow!("no device {} to update", device.id)));
        }
        self.put_device(device.clone())
    }

    async fn delete_device(&mut self, id: DeviceId) -> Result<(), RepoError> {
        let state = self.state()?;
        let Some(device) = state.devices.get(&id).cloned() else {
            return Ok(());
        };
        let orphans: Vec<Session> = state.sessions.values().filter(|s| s.device_id == Some(id)).cloned().collect();
        for mut session in orphans {
            session.device_id = None;
            self.put_session(session)?;
        }
        self.write(|state| {
            state.devices.remove(&id);
            Box::new(move |state: &mut State| {
                state.devices.insert(device.id, device);
            })
        })
    }

    async fn insert_refresh_token(&mut self, token: &RefreshToken) -> Result<(), RepoError> {
        let state = self.state()?;
        if state.refresh_by_digest.contains_key(&token.digest) {
            return Err(RepoError::Unknown(anyhow::anyhow!("duplicate refresh token digest")));
        }
        self.put_refresh_token(token.clone())
    }

    async fn lock_refresh_token(
        &mut self,
        digest: &TokenDigest,
    ) -> Result<Option<(RefreshToken, Session, User)>, RepoError> {
        let state = self.state()?;
        Ok(state.refresh_by_digest.get(digest).and_then(|id| state.refresh_tokens.get(id)).and_then(|token| {
            let session = state.sessions.get(&token.session_id)?;
            let user = state.users.get(&session.user_id)?;
            Some((token.clone(), session.clone(), user.clone()))
        }))
    }

    async fn refresh_token(&mut self, id: RefreshTokenId) -> Result<Option<RefreshToken>, RepoError> {
        Ok(self.state()?.refresh_tokens.get(&id).cloned())
    }

    async fn rotate_refresh_token(
        &mut self,
        consumed: &RefreshToken,
        next: &RefreshToken,
        seen_at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        if !self.state()?.refresh_tokens.contains_key(&consumed.id) {
            return Err(RepoError::Unknown(anyhow::anyhow!("no refresh token {} to rotate", consumed.id)));
        }
        self.insert_refresh_token(next).await?;
        self.put_refresh_token(consumed.clone())?;
        self.touch_session(next.session_id, seen_at).await
    }
}
