//! Mail adapters for the [`Notifier`](identity_core::ports::Notifier) port. Every mail is a
//! durable job (`identity-core`'s mail jobs): the worker calls a notifier, which delivers the
//! mail now and says what became of it — `Retry` when the transport is down or answered a
//! temporary failure (the job backs off and tries again), `Fail` when the message was refused
//! for good (the job ends dead). So a notifier keeps no queue and retries nothing itself,
//! and a request never waits on (or reveals) delivery.
//!
//! - [`MailTemplates`] render each kind of mail (secrets never in a subject);
//! - [`LogNotifier`] writes them to the log (the default; bodies only when asked, since they
//!   carry codes and links);
//! - [`SmtpNotifier`] sends them over SMTP (`SMTP_URL`);
//! - [`HttpNotifier`] posts them to a notification service (`NOTIFICATION_URL`) through a
//!   [`webhook::Webhook`]: an outbound JSON `POST` whose answer a job turns into done, retry
//!   or dead (`identity-http`'s instance provisioner posts through one too).

mod http;
mod log;
mod smtp;
mod templates;
pub mod webhook;

pub use http::HttpNotifier;
pub use log::LogNotifier;
pub use smtp::SmtpNotifier;
pub use templates::{MailTemplates, Rendered, Template};

/// `ada@example.com` → `a***@example.com`: how logs and job errors name a recipient.
fn masked(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
        None => "***".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::masked;

    #[test]
    fn addresses_are_masked_in_logs() {
        assert_eq!(masked("ada@example.com"), "a***@example.com");
        assert_eq!(masked("nonsense"), "***");
    }
}
