//! The default transport when none is configured: mails go to the log.

use async_trait::async_trait;
use identity_core::ports::{Mail, Notifier};
use identity_core::usecases::JobError;

use crate::masked;
use crate::templates::MailTemplates;

/// Writes mails to the log. Bodies hold codes and links, so by default only the kind and the
/// masked recipient are logged; `log_bodies` (development only) logs subject and body too.
/// Never fails: the mail job always succeeds.
#[derive(Debug, Clone)]
pub struct LogNotifier {
    templates: MailTemplates,
    log_bodies: bool,
}

impl LogNotifier {
    pub fn new(templates: MailTemplates, log_bodies: bool) -> Self {
        Self { templates, log_bodies }
    }
}

#[async_trait]
impl Notifier for LogNotifier {
    async fn send(&self, mail: Mail) -> Result<(), JobError> {
        if self.log_bodies {
            let rendered = self.templates.render(&mail);
            tracing::info!(kind = mail.kind(), to = %rendered.to, subject = %rendered.subject, body = %rendered.body, "mail (not sent: no SMTP_URL or NOTIFICATION_URL)");
        } else {
            tracing::info!(kind = mail.kind(), to = %masked(mail.to().as_str()), "mail (not sent: no SMTP_URL or NOTIFICATION_URL; MAIL_LOG_BODIES=true shows it)");
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use identity_core::Email;

    use super::*;

    #[tokio::test]
    async fn logging_always_succeeds() {
        let mail = Mail::PasswordChanged { to: Email::parse("ada@example.com").unwrap() };
        for log_bodies in [false, true] {
            LogNotifier::new(MailTemplates::default(), log_bodies).send(mail.clone()).await.unwrap();
        }
    }
}
