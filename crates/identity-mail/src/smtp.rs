//! Mail over SMTP (lettre, pooled connections). The mail job is the queue: `send` delivers
//! once, now, and says whether trying again may help.

use std::time::Duration;

use async_trait::async_trait;
use identity_core::ports::{Mail, Notifier};
use identity_core::usecases::JobError;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::masked;
use crate::templates::MailTemplates;

/// How long connecting may take; a whole delivery (connect, dialogue, data) may take three
/// times as long. lettre bounds only the connect: a server that stalls later would hold the
/// job (and its worker slot) forever without the bound of the whole.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Sends each mail over SMTP when its job runs. A permanent refusal (a `5xx` reply: no such
/// mailbox, message rejected) ends the job dead; anything else (no connection, a timeout, a
/// `4xx` reply such as greylisting) is retried by the job after its backoff.
#[derive(Clone)]
pub struct SmtpNotifier {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    templates: MailTemplates,
    /// The bound of one whole delivery.
    deadline: Duration,
}

impl SmtpNotifier {
    /// `url` in lettre's form: `smtp://host:port` (plain, for local sinks such as Mailpit),
    /// `smtp://host:587?tls=required` (STARTTLS), `smtps://user:pass@host:465` (TLS).
    /// Called within the Tokio runtime (the connection pool runs a task of its own).
    pub fn new(url: &str, from: &str, templates: MailTemplates) -> anyhow::Result<Self> {
        Self::with_timeout(url, from, templates, TIMEOUT)
    }

    fn with_timeout(url: &str, from: &str, templates: MailTemplates, timeout: Duration) -> anyhow::Result<Self> {
        let from: Mailbox = from.parse().map_err(|e| anyhow::anyhow!("MAIL_FROM is not a mailbox: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| anyhow::anyhow!("SMTP_URL is not a valid SMTP URL: {e}"))?
            .timeout(Some(timeout))
            .build();
        Ok(Self { transport, from, templates, deadline: timeout.saturating_mul(3) })
    }

    fn message(&self, mail: &Mail) -> Result<(Message, String), JobError> {
        let rendered = self.templates.render(mail);
        let to: Mailbox =
            rendered.to.parse().map_err(|e| JobError::Fail(format!("the recipient is not a mailbox: {e}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(rendered.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(rendered.body)
            .map_err(|e| JobError::Fail(format!("the mail cannot be built: {e}")))?;
        Ok((message, rendered.to))
    }
}

/// Permanent replies that refuse the sender's credentials, not the message (RFC 4954:
/// authentication required, too weak, invalid, encryption required): fixing the settings
/// and restarting delivers the mail, so they are retried like an outage.
const AUTHENTICATION_REFUSED: [u16; 4] = [530, 534, 535, 538];

/// Whether trying again may help: only a permanent (`5xx`) reply to the message is final.
/// The server's text is kept (it says why), with the recipient masked: the job's error
/// outlives the account.
fn classify(error: &lettre::transport::smtp::Error, to: &str) -> JobError {
    let reason = error.to_string().replace(to, &masked(to));
    let code = error.status().map(u16::from);
    if code.is_some_and(|code| AUTHENTICATION_REFUSED.contains(&code)) {
        JobError::Retry(format!("the SMTP server refused the credentials: {reason}"))
    } else if error.is_permanent() {
        JobError::Fail(format!("the SMTP server refused the mail: {reason}"))
    } else if error.is_timeout() {
        JobError::Retry(format!("the SMTP server did not answer in time: {reason}"))
    } else {
        JobError::Retry(format!("SMTP delivery failed: {reason}"))
    }
}

#[async_trait]
impl Notifier for SmtpNotifier {
    async fn send(&self, mail: Mail) -> Result<(), JobError> {
        let kind = mail.kind();
        let (message, to) = self.message(&mail).inspect_err(|error| {
            tracing::warn!(kind, %error, "cannot build mail");
        })?;
        let sent = tokio::time::timeout(self.deadline, self.transport.send(message)).await;
        match sent {
            Err(_elapsed) => {
                let error = JobError::Retry(format!("the SMTP delivery took longer than {:?}", self.deadline));
                tracing::warn!(kind, to = %masked(&to), retry = true, %error, "mail delivery failed");
                Err(error)
            }
            Ok(Ok(_)) => {
                tracing::info!(kind, to = %masked(&to), "mail sent");
                Ok(())
            }
            Ok(Err(error)) => {
                let error = classify(&error, &to);
                let retry = matches!(error, JobError::Retry(_));
                tracing::warn!(kind, to = %masked(&to), retry, %error, "mail delivery failed");
                Err(error)
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use identity_core::Email;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;

    use super::*;

    fn code_mail() -> Mail {
        Mail::RegistrationCode { to: Email::parse("ada@example.com").unwrap(), code: "042517".into(), ttl_minutes: 15 }
    }

    /// A minimal SMTP sink: answers the dialogue (`rcpt` is its reply to `RCPT TO`) and hands
    /// back the DATA it received.
    async fn smtp_sink(rcpt: &'static str) -> (u16, tokio::sync::oneshot::Receiver<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let mut tx = Some(tx);
        tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            let (read, mut write) = socket.into_split();
            let mut lines = BufReader::new(read).lines();
            write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
            let mut data = String::new();
            let mut in_data = false;
            while let Ok(Some(line)) = lines.next_line().await {
                if in_data {
                    if line == "." {
                        in_data = false;
                        write.write_all(b"250 queued\r\n").await.unwrap();
                        // The client may keep the connection pooled: hand the mail over now.
                        if let Some(tx) = tx.take() {
                            let _ = tx.send(std::mem::take(&mut data));
                        }
                    } else {
                        data.push_str(&line);
                        data.push('\n');
                    }
                    continue;
                }
                let verb = line.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
                let reply = match verb.as_str() {
                    "EHLO" | "HELO" => "250 sink\r\n".to_owned(),
                    "RCPT" => format!("{rcpt}\r\n"),
                    "DATA" => {
                        in_data = true;
                        "354 go ahead\r\n".to_owned()
                    }
                    "QUIT" => {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        break;
                    }
                    _ => "250 ok\r\n".to_owned(),
                };
                if write.write_all(reply.as_bytes()).await.is_err() {
                    break;
                }
            }
        });
        (port, rx)
    }

    fn notifier(port: u16) -> SmtpNotifier {
        SmtpNotifier::with_timeout(
            &format!("smtp://127.0.0.1:{port}"),
            "identity <no-reply@example.com>",
            MailTemplates::default(),
            Duration::from_secs(2),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn smtp_urls_speak_plain_smtp_to_local_sinks() {
        let (port, received) = smtp_sink("250 ok").await;
        notifier(port).send(code_mail()).await.unwrap();
        // Delivered once `send` returns: the job is the queue.
        let data = tokio::time::timeout(Duration::from_secs(1), received).await.unwrap().unwrap();
        assert!(data.contains("Subject: Your registration code\n"), "{data}");
        assert!(!data.lines().any(|line| line.starts_with("Subject:") && line.contains("042517")), "{data}");
        assert!(data.contains("042517"), "{data}");
        assert!(data.contains("To: ada@example.com"), "{data}");
        assert!(data.contains("From: identity <no-reply@example.com>"), "{data}");
    }

    #[tokio::test]
    async fn a_temporary_refusal_is_retried() {
        let (port, _received) = smtp_sink("451 4.7.1 <ada@example.com>: greylisted, try again later").await;
        let error = notifier(port).send(code_mail()).await.unwrap_err();
        let JobError::Retry(reason) = error else { panic!("expected a retry, got {error:?}") };
        assert!(reason.contains("451") && reason.contains("greylisted"), "{reason}");
        assert!(!reason.contains("ada@example.com") && reason.contains("a***@example.com"), "{reason}");
    }

    #[tokio::test]
    async fn a_permanent_refusal_fails_for_good() {
        let (port, _received) = smtp_sink("550 5.1.1 <ada@example.com>: no such user").await;
        let error = notifier(port).send(code_mail()).await.unwrap_err();
        let JobError::Fail(reason) = error else { panic!("expected a failure, got {error:?}") };
        assert!(reason.contains("550") && reason.contains("no such user"), "{reason}");
        assert!(!reason.contains("ada@example.com"), "{reason}");
    }

    #[tokio::test]
    async fn refused_credentials_are_retried() {
        let (port, _received) = smtp_sink("530 5.7.0 Authentication required").await;
        let error = notifier(port).send(code_mail()).await.unwrap_err();
        assert!(matches!(&error, JobError::Retry(reason) if reason.contains("530")), "{error:?}");
    }

    #[tokio::test]
    async fn no_server_is_retried() {
        // A port that was free a moment ago: nothing listens there.
        let port = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
        let started = std::time::Instant::now();
        let error = notifier(port).send(code_mail()).await.unwrap_err();
        assert!(matches!(error, JobError::Retry(_)), "{error:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn a_silent_server_times_out_and_is_retried() {
        // Accepts the connection and never greets.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (_socket, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(30)).await;
        });
        let notifier = SmtpNotifier::with_timeout(
            &format!("smtp://127.0.0.1:{port}"),
            "no-reply@example.com",
            MailTemplates::default(),
            Duration::from_millis(300),
        )
        .unwrap();
        let started = std::time::Instant::now();
        let error = notifier.send(code_mail()).await.unwrap_err();
        assert!(matches!(error, JobError::Retry(_)), "{error:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn bad_settings_are_refused() {
        assert!(SmtpNotifier::new("smtp://localhost:25", "not a mailbox", MailTemplates::default()).is_err());
    }
}
