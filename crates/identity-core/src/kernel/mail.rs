//! Mail the use cases send.

use async_trait::async_trait;

use crate::domain::Email;

/// A mail to send. Adapters render subject and body from their templates.
#[derive(Clone, PartialEq, Eq)]
pub enum Mail {
    /// One-step registration: confirm the address with a link (`link`) or the raw `token`.
    VerifyEmail { to: Email, link: String, token: String },
    /// Two-step registration: the 6-digit code.
    RegistrationCode { to: Email, code: String, ttl_minutes: u64 },
    /// Someone tried to register an address that already has an account.
    AlreadyRegistered { to: Email },
    /// A password reset link.
    PasswordReset { to: Email, link: String, ttl_minutes: u64 },
    /// The password was changed or reset.
    PasswordChanged { to: Email },
    /// Too many failed sign-ins locked the account for a while.
    AccountLocked { to: Email, minutes: u64 },
    /// An admin created the account: a link to choose a password.
    Invitation { to: Email, link: String, ttl_minutes: u64 },
    /// Something changed about how the account is protected (a second factor added or
    /// removed, a recovery code used): `what` says it in a sentence, with no secret.
    SecurityNotice { to: Email, what: String },
    /// A change of the account's address was asked for: the single-use link that confirms the
    /// new address, sent to it (`to`); it works for `ttl_minutes`.
    EmailChangeConfirm { to: Email, link: String, ttl_minutes: u64 },
    /// A change of the account's address was asked for: the notice to the current address
    /// (`to`). `new_email` is the new address masked (`a***@example.com`): the old mailbox
    /// may no longer be only the user's (a former employer's), so it learns the domain only.
    EmailChangeNotice { to: Email, new_email: String },
}

impl Mail {
    pub fn to(&self) -> &Email {
        match self {
            Self::VerifyEmail { to, .. }
            | Self::RegistrationCode { to, .. }
            | Self::AlreadyRegistered { to }
            | Self::PasswordReset { to, .. }
            | Self::PasswordChanged { to }
            | Self::AccountLocked { to, .. }
            | Self::Invitation { to, .. }
            | Self::SecurityNotice { to, .. }
            | Self::EmailChangeConfirm { to, .. }
            | Self::EmailChangeNotice { to, .. } => to,
        }
    }

    /// A stable name of the kind of mail (`verify_email`, `registration_code`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::VerifyEmail { .. } => "verify_email",
            Self::RegistrationCode { .. } => "registration_code",
            Self::AlreadyRegistered { .. } => "already_registered",
            Self::PasswordReset { .. } => "password_reset",
            Self::PasswordChanged { .. } => "password_changed",
            Self::AccountLocked { .. } => "account_locked",
            Self::Invitation { .. } => "invitation",
            Self::SecurityNotice { .. } => "security_notice",
            Self::EmailChangeConfirm { .. } => "email_change_confirm",
            Self::EmailChangeNotice { .. } => "email_change_notice",
        }
    }
}

impl std::fmt::Debug for Mail {
    // Codes and links are secrets: never in a debug print.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mail({} to {})", self.kind(), self.to())
    }
}

/// Delivers one mail now (SMTP, an HTTP notification service, the log). The worker calls it
/// from the mail job ([`MailHandler`](crate::usecases::MailHandler)), so a request never
/// waits on it: `Retry` when the transport is down or answered a temporary failure (the job
/// backs off), `Fail` when it refused the message for good.
#[async_trait]
pub trait Notifier: Send + Sync + 'static {
    async fn send(&self, mail: Mail) -> Result<(), crate::usecases::JobError>;

    /// Delivers the mail of the job `id` (the same id on every retry of the job): a transport
    /// that can have repeats dropped (an `Idempotency-Key`) names the delivery by it.
    async fn deliver(&self, id: uuid::Uuid, mail: Mail) -> Result<(), crate::usecases::JobError> {
        let _ = id;
        self.send(mail).await
    }
}
