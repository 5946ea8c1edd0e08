//! What the services share: the settings, the time and ids, how events and audit entries are
//! made ([`Context`]); queued mail with cooldowns ([`Mailer`]); and ending sessions so every
//! replica stops accepting them at once ([`Revoker`]).

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::{
    AuditEntry, DomainEvent, Email, EventType, RevocationReason, Session, SessionRevokedData, User, UserId,
};
use crate::ports::{ClientInfo, Clock, CodeStore, IdGenerator, Mail, RevocationList, SessionSelector};
use crate::ports::{Transaction, UnitOfWork};
use crate::usecases::{AuthSettings, Authenticated, CoreError};

/// The settings, the clock and the id generator, and what is made from them alone.
#[derive(Clone)]
pub(crate) struct Context {
    pub settings: Arc<AuthSettings>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
}

impl Context {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// What a sensitive change needs (step-up, "sudo mode"): a user who proved who they are
    /// within `REAUTH_MAX_AGE_SECONDS` (at sign-in, or `POST /v1/auth/reauthenticate`).
    pub fn recent_authentication(&self) -> crate::authz::Need {
        crate::authz::Need::Recent(self.settings.reauth_max_age)
    }

    pub fn new_id(&self) -> Uuid {
        self.ids.new_id()
    }

    pub fn event(
        &self,
        event_type: EventType,
        aggregate: Uuid,
        user: &User,
        data: &impl serde::Serialize,
    ) -> DomainEvent {
        self.event_about(event_type, aggregate, Some(user.id.as_uuid()), data)
    }

    /// An event about an aggregate no one user owns (`subject` the user it concerns, if any).
    pub fn event_about(
        &self,
        event_type: EventType,
        aggregate: Uuid,
        subject: Option<Uuid>,
        data: &impl serde::Serialize,
    ) -> DomainEvent {
        DomainEvent::new(self.new_id(), event_type, aggregate, subject, self.now(), data)
    }

    /// One `session.revoked` event per session in `revoked`.
    pub fn revoked_events(&self, user: &User, revoked: &[Session], reason: RevocationReason) -> Vec<DomainEvent> {
        let now = self.now();
        revoked
            .iter()
            .map(|s| {
                self.event(
                    EventType::SessionRevoked,
                    s.id.as_uuid(),
                    user,
                    &SessionRevokedData {
                        session_id: s.id.as_uuid(),
                        user_id: user.id.as_uuid(),
                        reason,
                        revoked_at: now,
                    },
                )
            })
            .collect()
    }

    /// Ends a use case's transaction the one way every use case ends it: records its `events`
    /// (if any) and its audit `entry`, then commits. What comes after the commit (mail, telling
    /// replicas of ended sessions: [`Revoker::finish`]) is the caller's.
    pub async fn finish(
        &self,
        mut tx: Box<dyn Transaction>,
        events: &[DomainEvent],
        entry: AuditEntry,
    ) -> Result<(), CoreError> {
        if !events.is_empty() {
            tx.journal().record_events(events).await?;
        }
        tx.journal().record_audit(&entry).await?;
        Ok(tx.commit().await?)
    }

    /// An audit entry of `action` about `subject`, done by `actor`, from `client`.
    pub fn audit_entry(
        &self,
        action: &'static str,
        actor: Option<UserId>,
        subject: Option<UserId>,
        client: &ClientInfo,
        metadata: serde_json::Value,
    ) -> AuditEntry {
        AuditEntry {
            actor,
            subject,
            action,
            ip: client.ip,
            user_agent: client.user_agent.as_deref().map(Session::clip_user_agent),
            metadata,
            at: self.now(),
        }
    }
}

/// Mail as durable jobs, and the cooldowns that keep one address from being mailed too often.
#[derive(Clone)]
pub(crate) struct Mailer {
    pub jobs: crate::usecases::MailJobs,
    pub codes: Arc<dyn CodeStore>,
    pub cooldown: StdDuration,
}

impl Mailer {
    /// Starts a cooldown under `key`; `Cooldown` when one is already running.
    pub async fn cooldown(&self, key: &str) -> Result<(), CoreError> {
        if self.codes.put_if_absent(key, "1", self.cooldown).await? {
            return Ok(());
        }
        let left = self.codes.time_to_live(key).await?.unwrap_or(self.cooldown);
        Err(CoreError::Cooldown { retry_after_secs: left.as_secs().max(1) })
    }

    /// Starts the cooldown of password links to `email`, shared by every flow that mails one
    /// (`password/forgot`, the signed-in request, an admin's): one address gets one such mail
    /// per cooldown, whoever asks. `Cooldown` when one is running.
    pub async fn reset_link_cooldown(&self, email: &Email) -> Result<(), CoreError> {
        self.cooldown(&format!("password-reset:cooldown:{email}")).await
    }

    /// Enqueues a mail job on its own (the change that sends it has no transaction, or has
    /// committed). The answer does not depend on delivery: the worker delivers it later; only
    /// a store that cannot take the job fails the request.
    pub async fn send(&self, mail: Mail) -> Result<(), CoreError> {
        self.jobs.enqueue(&mail).await
    }

    /// Enqueues a mail job in the transaction of the change that sends it: the mail goes out
    /// if and only if the change commits.
    pub async fn send_in(&self, tx: &mut dyn crate::ports::Transaction, mail: Mail) -> Result<(), CoreError> {
        self.jobs.enqueue_in(tx.jobs(), &mail).await
    }
}

/// Ends sessions: in the store with their events and an audit entry, then on the revocation
/// list, so their access tokens stop working on every replica at once.
#[derive(Clone)]
pub(crate) struct Revoker {
    pub ctx: Context,
    pub uow: Arc<dyn UnitOfWork>,
    pub revocations: Arc<dyn RevocationList>,
}

impl Revoker {
    /// After a commit that revoked sessions: tell every replica. The store already holds the
    /// revocation; a failure here only means the cache is down.
    pub async fn publish(&self, revoked: &[Session]) -> Result<(), CoreError> {
        let ttl = self.ctx.settings.access_token_ttl.to_std().unwrap_or(StdDuration::from_secs(900));
        for session in revoked {
            self.revocations.revoke(session.id, ttl).await?;
        }
        Ok(())
    }

    /// Ends `user`'s sessions picked by `selector` on behalf of `actor` (the user themself or
    /// an admin), with `session.revoked` events and one audit entry.
    pub async fn revoke_for(
        &self,
        actor: &Authenticated,
        user: &User,
        selector: SessionSelector,
        reason: RevocationReason,
    ) -> Result<Vec<Session>, CoreError> {
        let mut tx = self.uow.begin().await?;
        let revoked = tx.sessions().revoke_sessions(user.id, selector, self.ctx.now(), reason).await?;
        let events = self.ctx.revoked_events(user, &revoked, reason);
        let ids: Vec<Uuid> = revoked.iter().map(|s| s.id.as_uuid()).collect();
        let metadata = serde_json::json!({ "reason": reason.as_str(), "sessions": ids });
        let entry =
            self.ctx.audit_entry("session.revoked", Some(actor.user.id), Some(user.id), &actor.client, metadata);
        self.finish(tx, &events, entry, &revoked).await?;
        Ok(revoked)
    }

    /// A refresh found its session idle for `session_idle_timeout`: ends it in `tx` (reason
    /// `idle_timeout`, with its `session.revoked` event and audit entry) and commits. The
    /// refresh then answers as for any invalid refresh token.
    pub async fn end_idle_session(
        &self,
        mut tx: Box<dyn Transaction>,
        session: &Session,
        client: &ClientInfo,
    ) -> Result<(), CoreError> {
        let reason = RevocationReason::IdleTimeout;
        let Some(user) = tx.users().lock_user(session.user_id).await? else {
            return Ok(());
        };
        let revoked =
            tx.sessions().revoke_sessions(user.id, SessionSelector::One(session.id), self.ctx.now(), reason).await?;
        let events = self.ctx.revoked_events(&user, &revoked, reason);
        let ids: Vec<Uuid> = revoked.iter().map(|s| s.id.as_uuid()).collect();
        let metadata = serde_json::json!({ "reason": reason.as_str(), "sessions": ids });
        let entry = self.ctx.audit_entry("session.revoked", None, Some(user.id), client, metadata);
        self.finish(tx, &events, entry, &revoked).await
    }

    /// Ends a use case that ended sessions: [`Context::finish`], then tells every replica
    /// ([`Self::publish`]).
    pub async fn finish(
        &self,
        tx: Box<dyn Transaction>,
        events: &[DomainEvent],
        entry: AuditEntry,
        revoked: &[Session],
    ) -> Result<(), CoreError> {
        self.ctx.finish(tx, events, entry).await?;
        self.publish(revoked).await
    }
}
