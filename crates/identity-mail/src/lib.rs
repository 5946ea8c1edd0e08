//! Mail adapters for the [`Notifier`] port: [`MailTemplates`] render each kind of mail,
//! [`LogNotifier`] writes them to the log (the default; bodies only when asked, since they
//! carry codes and links), [`SmtpNotifier`] queues them and sends them over SMTP in the
//! background, so a request never waits on (or reveals) mail delivery.

use std::time::Duration;

use async_trait::async_trait;
use identity_core::ports::{Mail, Notifier};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::mpsc;

/// Subject and body of one kind of mail. Placeholders: `{email}`, `{link}`, `{token}`,
/// `{code}`, `{minutes}`; the secret ones ([`Template::SECRET_PLACEHOLDERS`]) in the body only.
#[derive(Debug, Clone)]
pub struct Template {
    pub subject: String,
    pub body: String,
}

impl Template {
    /// The placeholders that stand for a secret (a registration code, a link's token): never
    /// in a subject, which mail previews, notifications and lock screens show to anyone
    /// near the device. A subject holding one is refused by the configuration, and rendered
    /// without it here.
    pub const SECRET_PLACEHOLDERS: [&'static str; 3] = ["{code}", "{token}", "{link}"];

    fn new(subject: &str, body: &str) -> Self {
        Self { subject: subject.to_owned(), body: body.to_owned() }
    }

    /// The first secret placeholder in the subject, if it has one.
    pub fn secret_in_subject(&self) -> Option<&'static str> {
        Self::SECRET_PLACEHOLDERS.into_iter().find(|placeholder| self.subject.contains(placeholder))
    }
}

/// The texts of every mail (configurable: `VERIFICATION_EMAIL_SUBJECT`, …).
#[derive(Debug, Clone)]
pub struct MailTemplates {
    pub verify_email: Template,
    pub registration_code: Template,
    pub already_registered: Template,
    pub password_reset: Template,
    pub password_changed: Template,
    pub account_locked: Template,
    pub invitation: Template,
}

impl Default for MailTemplates {
    fn default() -> Self {
        Self {
            verify_email: Template::new(
                "Confirm your email address",
                "Hello,\n\nplease confirm your email address by opening this link:\n\n{link}\n\nIf you did not create an account, ignore this mail.\n",
            ),
            registration_code: Template::new(
                "Your registration code",
                "Hello,\n\nyour code to finish signing up is\n\n    {code}\n\nIt is valid for {minutes} minutes. If you did not try to sign up, ignore this mail.\n",
            ),
            already_registered: Template::new(
                "You already have an account",
                "Hello,\n\nsomeone (hopefully you) tried to sign up with {email}, which already has an account.\nSign in instead, or reset your password if you forgot it.\n",
            ),
            password_reset: Template::new(
                "Reset your password",
                "Hello,\n\nopen this link to choose a new password:\n\n{link}\n\nIt is valid for {minutes} minutes and works once. If you did not ask for it, ignore this mail.\n",
            ),
            account_locked: Template::new(
                "Your account was locked",
                "Hello,\n\nafter too many failed sign-ins, your account {email} is locked for {minutes} minutes.\nIf this was not you, someone may be guessing your password: reset it once the lock ends.\n",
            ),
            invitation: Template::new(
                "You have been invited",
                "Hello,\n\nan account was created for you ({email}). Open this link to choose your password:\n\n{link}\n\nIt is valid for {minutes} minutes and works once.\n",
            ),
            password_changed: Template::new(
                "Your password was changed",
                "Hello,\n\nthe password of your account {email} was just changed. If this was not you, reset your password now.\n",
            ),
        }
    }
}

/// A rendered mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl MailTemplates {
    /// Every template with the name of its kind (`registration_code`, …).
    pub fn all(&self) -> [(&'static str, &Template); 7] {
        [
            ("verify_email", &self.verify_email),
            ("registration_code", &self.registration_code),
            ("already_registered", &self.already_registered),
            ("password_reset", &self.password_reset),
            ("password_changed", &self.password_changed),
            ("account_locked", &self.account_locked),
            ("invitation", &self.invitation),
        ]
    }

    /// Fills the template of `mail`'s kind. The secret placeholders are filled in the body
    /// only: in the subject they are dropped.
    pub fn render(&self, mail: &Mail) -> Rendered {
        let (template, values): (&Template, Vec<(&str, String)>) = match mail {
            Mail::VerifyEmail { link, token, .. } => {
                (&self.verify_email, vec![("{link}", link.clone()), ("{token}", token.clone())])
            }
            Mail::RegistrationCode { code, ttl_minutes, .. } => {
                (&self.registration_code, vec![("{code}", code.clone()), ("{minutes}", ttl_minutes.to_string())])
            }
            Mail::AlreadyRegistered { .. } => (&self.already_registered, vec![]),
            Mail::PasswordReset { link, ttl_minutes, .. } => {
                (&self.password_reset, vec![("{link}", link.clone()), ("{minutes}", ttl_minutes.to_string())])
            }
            Mail::PasswordChanged { .. } => (&self.password_changed, vec![]),
            Mail::AccountLocked { minutes, .. } => (&self.account_locked, vec![("{minutes}", minutes.to_string())]),
            Mail::Invitation { link, ttl_minutes, .. } => {
                (&self.invitation, vec![("{link}", link.clone()), ("{minutes}", ttl_minutes.to_string())])
            }
        };
        let fill = |text: &str, secrets: bool| {
            let mut out = text.to_owned();
            if !secrets {
                for placeholder in Template::SECRET_PLACEHOLDERS {
                    out = out.replace(placeholder, "");
                }
            }
            out = out.replace("{email}", mail.to().as_str());
            for (placeholder, value) in &values {
                if secrets || !Template::SECRET_PLACEHOLDERS.contains(placeholder) {
                    out = out.replace(placeholder, value);
                }
            }
            out
        };
        // A secret never goes into the subject, whatever the template says.
        let subject = fill(&template.subject, false).split_whitespace().collect::<Vec<_>>().join(" ");
        Rendered { to: mail.to().as_str().to_owned(), subject, body: fill(&template.body, true) }
    }
}

/// `ada@example.com` → `a***@example.com`.
fn masked(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
        None => "***".to_owned(),
    }
}

/// Writes mails to the log. Bodies hold codes and links, so by default only the kind and the
/// masked recipient are logged; `log_bodies` (development only) logs subject and body too.
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
    async fn send(&self, mail: Mail) -> anyhow::Result<()> {
        if self.log_bodies {
            let rendered = self.templates.render(&mail);
            tracing::info!(kind = mail.kind(), to = %rendered.to, subject = %rendered.subject, body = %rendered.body, "mail (not sent: no SMTP_URL)");
        } else {
            tracing::info!(kind = mail.kind(), to = %masked(mail.to().as_str()), "mail (not sent: no SMTP_URL; MAIL_LOG_BODIES=true shows it)");
        }
        Ok(())
    }
}

/// Sends mails over SMTP from a background task. `send` only queues (bounded); a full queue
/// or a failed delivery is logged, never surfaced to the request.
#[derive(Clone)]
pub struct SmtpNotifier {
    queue: mpsc::Sender<Mail>,
}

/// Mails waiting to be sent; beyond this `send` fails fast.
const QUEUE: usize = 1024;
const ATTEMPTS: u32 = 3;

impl SmtpNotifier {
    /// `url` in lettre's form: `smtp://host:port` (plain, for local sinks such as Mailpit),
    /// `smtp://host:587?tls=required` (STARTTLS), `smtps://user:pass@host:465` (TLS).
    pub fn new(url: &str, from: &str, templates: MailTemplates) -> anyhow::Result<Self> {
        let from: Mailbox = from.parse().map_err(|e| anyhow::anyhow!("MAIL_FROM is not a mailbox: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| anyhow::anyhow!("SMTP_URL is not a valid SMTP URL: {e}"))?
            .timeout(Some(Duration::from_secs(10)))
            .build();
        let (queue, mut jobs) = mpsc::channel::<Mail>(QUEUE);
        tokio::spawn(async move {
            while let Some(mail) = jobs.recv().await {
                deliver(&transport, &from, &templates, &mail).await;
            }
        });
        Ok(Self { queue })
    }
}

async fn deliver(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    from: &Mailbox,
    templates: &MailTemplates,
    mail: &Mail,
) {
    let rendered = templates.render(mail);
    let message = rendered.to.parse::<Mailbox>().map_err(anyhow::Error::from).and_then(|to| {
        Message::builder()
            .from(from.clone())
            .to(to)
            .subject(rendered.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(rendered.body.clone())
            .map_err(anyhow::Error::from)
    });
    let message = match message {
        Ok(message) => message,
        Err(error) => {
            tracing::error!(kind = mail.kind(), %error, "cannot build mail");
            return;
        }
    };
    for attempt in 1..=ATTEMPTS {
        match transport.send(message.clone()).await {
            Ok(_) => {
                tracing::info!(kind = mail.kind(), to = %masked(&rendered.to), "mail sent");
                return;
            }
            Err(error) if attempt < ATTEMPTS => {
                tracing::warn!(kind = mail.kind(), attempt, %error, "mail delivery failed; retrying");
                tokio::time::sleep(Duration::from_millis(500 * u64::from(attempt))).await;
            }
            Err(error) => tracing::error!(kind = mail.kind(), %error, "mail delivery failed; giving up"),
        }
    }
}

#[async_trait]
impl Notifier for SmtpNotifier {
    async fn send(&self, mail: Mail) -> anyhow::Result<()> {
        let kind = mail.kind();
        self.queue.try_send(mail).map_err(|e| {
            tracing::error!(kind, "mail queue is full or closed; mail dropped");
            anyhow::anyhow!("mail queue unavailable: {e}")
        })
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

    #[test]
    fn templates_fill_their_placeholders() {
        let rendered = MailTemplates::default().render(&code_mail());
        assert_eq!(rendered.to, "ada@example.com");
        assert_eq!(rendered.subject, "Your registration code");
        assert!(rendered.body.contains("042517") && rendered.body.contains("15 minutes"));
        let custom = MailTemplates {
            password_reset: Template::new("Reset for {email}", "Go to {link} within {minutes} min"),
            ..MailTemplates::default()
        };
        let reset = Mail::PasswordReset {
            to: Email::parse("ada@example.com").unwrap(),
            link: "https://app.example/reset?token=abc".into(),
            ttl_minutes: 60,
        };
        let rendered = custom.render(&reset);
        assert_eq!(rendered.subject, "Reset for ada@example.com");
        assert_eq!(rendered.body, "Go to https://app.example/reset?token=abc within 60 min");
    }

    #[test]
    fn no_secret_is_ever_in_a_subject() {
        let defaults = MailTemplates::default();
        for (kind, template) in defaults.all() {
            assert_eq!(template.secret_in_subject(), None, "{kind}");
        }
        // A template that asks for one gets the subject without it (the configuration
        // refuses such a template before it gets here).
        let leaky = MailTemplates {
            registration_code: Template::new("Code {code} for {email}", "Your code: {code}"),
            verify_email: Template::new("Verify: {link} ({token})", "{link}"),
            ..MailTemplates::default()
        };
        assert_eq!(leaky.registration_code.secret_in_subject(), Some("{code}"));
        let rendered = leaky.render(&code_mail());
        assert_eq!(rendered.subject, "Code for ada@example.com");
        assert_eq!(rendered.body, "Your code: 042517");
        let verify = Mail::VerifyEmail {
            to: Email::parse("ada@example.com").unwrap(),
            link: "https://app.example/verify?token=abc".into(),
            token: "abc".into(),
        };
        let rendered = leaky.render(&verify);
        assert_eq!(rendered.subject, "Verify: ()");
        assert_eq!(rendered.body, "https://app.example/verify?token=abc");
    }

    #[test]
    fn addresses_are_masked_in_logs() {
        assert_eq!(masked("ada@example.com"), "a***@example.com");
        assert_eq!(masked("nonsense"), "***");
    }

    /// A minimal SMTP sink: answers the dialogue and hands back the DATA it received.
    async fn smtp_sink() -> (u16, tokio::sync::oneshot::Receiver<String>) {
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
            while let Some(line) = lines.next_line().await.unwrap() {
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
                let reply: &[u8] = match verb.as_str() {
                    "EHLO" | "HELO" => b"250 sink\r\n",
                    "DATA" => {
                        in_data = true;
                        b"354 go ahead\r\n"
                    }
                    "QUIT" => {
                        write.write_all(b"221 bye\r\n").await.unwrap();
                        break;
                    }
                    _ => b"250 ok\r\n",
                };
                write.write_all(reply).await.unwrap();
            }
        });
        (port, rx)
    }

    #[tokio::test]
    async fn smtp_urls_speak_plain_smtp_to_local_sinks() {
        let (port, received) = smtp_sink().await;
        let notifier = SmtpNotifier::new(
            &format!("smtp://127.0.0.1:{port}"),
            "identity <no-reply@example.com>",
            MailTemplates::default(),
        )
        .unwrap();
        notifier.send(code_mail()).await.unwrap();
        let data = tokio::time::timeout(Duration::from_secs(10), received).await.unwrap().unwrap();
        assert!(data.contains("Subject: Your registration code\n"), "{data}");
        assert!(!data.lines().any(|line| line.starts_with("Subject:") && line.contains("042517")), "{data}");
        assert!(data.contains("042517"), "{data}");
        assert!(data.contains("To: ada@example.com"), "{data}");
        assert!(data.contains("From: identity <no-reply@example.com>"), "{data}");
    }

    #[test]
    fn bad_settings_are_refused() {
        assert!(SmtpNotifier::new("smtp://localhost:25", "not a mailbox", MailTemplates::default()).is_err());
    }
}
