//! Mail as jobs: every mail is enqueued (in the transaction of the change that sends it, where
//! there is one) and delivered by the worker through the transport ([`Notifier`]), so it
//! survives a restart and a transport outage. Codes and links are secrets: they travel sealed
//! ([`Job::sealed_context`]); the job's visible payload names only the kind of mail and the
//! masked recipient.

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::handler::{JobError, JobHandler};
use super::model::{Job, JobId, JobKind, NewJob};
use super::store::{JobQueue, JobWrites};
use crate::domain::Email;
use crate::domain::settings::SecretValue;
use crate::ports::{Clock, IdGenerator, Mail, Notifier, SecretBox};
use crate::usecases::CoreError;

/// A mail as it is sealed into its job.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Sealed {
    VerifyEmail { to: String, link: String, token: String },
    RegistrationCode { to: String, code: String, ttl_minutes: u64 },
    AlreadyRegistered { to: String },
    PasswordReset { to: String, link: String, ttl_minutes: u64 },
    PasswordChanged { to: String },
    AccountLocked { to: String, minutes: u64 },
    Invitation { to: String, link: String, ttl_minutes: u64 },
    SecurityNotice { to: String, what: String },
    EmailChangeConfirm { to: String, link: String, ttl_minutes: u64 },
    EmailChangeNotice { to: String, new_email: String },
}

impl Sealed {
    fn from_mail(mail: &Mail) -> Self {
        let to = mail.to().as_str().to_owned();
        match mail.clone() {
            Mail::VerifyEmail { link, token, .. } => Self::VerifyEmail { to, link, token },
            Mail::RegistrationCode { code, ttl_minutes, .. } => Self::RegistrationCode { to, code, ttl_minutes },
            Mail::AlreadyRegistered { .. } => Self::AlreadyRegistered { to },
            Mail::PasswordReset { link, ttl_minutes, .. } => Self::PasswordReset { to, link, ttl_minutes },
            Mail::PasswordChanged { .. } => Self::PasswordChanged { to },
            Mail::AccountLocked { minutes, .. } => Self::AccountLocked { to, minutes },
            Mail::Invitation { link, ttl_minutes, .. } => Self::Invitation { to, link, ttl_minutes },
            Mail::SecurityNotice { what, .. } => Self::SecurityNotice { to, what },
            Mail::EmailChangeConfirm { link, ttl_minutes, .. } => Self::EmailChangeConfirm { to, link, ttl_minutes },
            Mail::EmailChangeNotice { new_email, .. } => Self::EmailChangeNotice { to, new_email },
        }
    }

    fn into_mail(self) -> Result<Mail, String> {
        let email = |to: String| Email::parse(&to).map_err(|_| "the sealed recipient is not an address".to_owned());
        Ok(match self {
            Self::VerifyEmail { to, link, token } => Mail::VerifyEmail { to: email(to)?, link, token },
            Self::RegistrationCode { to, code, ttl_minutes } => {
                Mail::RegistrationCode { to: email(to)?, code, ttl_minutes }
            }
            Self::AlreadyRegistered { to } => Mail::AlreadyRegistered { to: email(to)? },
            Self::PasswordReset { to, link, ttl_minutes } => Mail::PasswordReset { to: email(to)?, link, ttl_minutes },
            Self::PasswordChanged { to } => Mail::PasswordChanged { to: email(to)? },
            Self::AccountLocked { to, minutes } => Mail::AccountLocked { to: email(to)?, minutes },
            Self::Invitation { to, link, ttl_minutes } => Mail::Invitation { to: email(to)?, link, ttl_minutes },
            Self::SecurityNotice { to, what } => Mail::SecurityNotice { to: email(to)?, what },
            Self::EmailChangeConfirm { to, link, ttl_minutes } => {
                Mail::EmailChangeConfirm { to: email(to)?, link, ttl_minutes }
            }
            Self::EmailChangeNotice { to, new_email } => Mail::EmailChangeNotice { to: email(to)?, new_email },
        })
    }
}

/// Makes and enqueues mail jobs.
#[derive(Clone)]
pub struct MailJobs {
    pub(crate) queue: Arc<dyn JobQueue>,
    pub(crate) secret_box: Arc<dyn SecretBox>,
    pub(crate) ids: Arc<dyn IdGenerator>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) max_attempts: i32,
}

impl MailJobs {
    pub fn new(
        queue: Arc<dyn JobQueue>,
        secret_box: Arc<dyn SecretBox>,
        ids: Arc<dyn IdGenerator>,
        clock: Arc<dyn Clock>,
        max_attempts: i32,
    ) -> Self {
        Self { queue, secret_box, ids, clock, max_attempts }
    }

    /// The job that delivers `mail`.
    pub fn job(&self, mail: &Mail) -> Result<NewJob, CoreError> {
        let id = JobId::from_uuid(self.ids.new_id());
        let sealed = serde_json::to_string(&Sealed::from_mail(mail)).map_err(|e| CoreError::Internal(e.into()))?;
        let sealed =
            self.secret_box.seal(&SecretValue::new(sealed), &Job::sealed_context(id)).map_err(CoreError::Internal)?;
        let payload = serde_json::json!({ "mail": mail.kind(), "to": mail.to().masked() });
        Ok(NewJob::new(id, JobKind::Mail, payload, self.max_attempts, self.clock.now()).with_sealed(sealed))
    }

    /// Enqueues `mail` on its own.
    pub async fn enqueue(&self, mail: &Mail) -> Result<(), CoreError> {
        self.queue.enqueue(&self.job(mail)?).await?;
        Ok(())
    }

    /// Enqueues `mail` in an open transaction: it is sent if and only if the transaction
    /// commits.
    pub async fn enqueue_in(&self, jobs: &mut dyn JobWrites, mail: &Mail) -> Result<(), CoreError> {
        jobs.enqueue(&self.job(mail)?).await?;
        Ok(())
    }
}

/// Delivers mail jobs through the transport.
pub struct MailHandler {
    pub notifier: Arc<dyn Notifier>,
    pub secret_box: Arc<dyn SecretBox>,
}

impl MailHandler {
    fn mail(&self, job: &Job) -> Result<Mail, JobError> {
        let sealed = job.sealed.as_deref().ok_or_else(|| JobError::Fail("the mail job has no sealed mail".into()))?;
        let opened = self
            .secret_box
            .open(sealed, &Job::sealed_context(job.id))
            .map_err(|e| JobError::Fail(format!("the sealed mail does not open: {e}")))?;
        let sealed: Sealed = serde_json::from_str(opened.expose())
            .map_err(|e| JobError::Fail(format!("the sealed mail is malformed: {e}")))?;
        sealed.into_mail().map_err(JobError::Fail)
    }
}

#[async_trait]
impl JobHandler for MailHandler {
    fn kind(&self) -> JobKind {
        JobKind::Mail
    }

    async fn run(&self, job: &Job) -> Result<Option<serde_json::Value>, JobError> {
        let mail = self.mail(job)?;
        self.notifier.deliver(job.id.as_uuid(), mail).await?;
        Ok(None)
    }
}
