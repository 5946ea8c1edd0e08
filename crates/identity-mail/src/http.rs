//! Mail through an HTTP notification service (`NOTIFICATION_URL`): one JSON `POST` per mail,
//! which the service delivers (email, or whatever channel it maps the kind to).

use std::time::Duration;

use async_trait::async_trait;
use identity_core::ports::{Mail, Notifier};
use identity_core::usecases::JobError;
use sha2::{Digest, Sha256};

use crate::masked;
use crate::templates::{MailTemplates, Rendered};
use crate::webhook::{Peer, Webhook};

/// How long one request may take, connecting included.
const TIMEOUT: Duration = Duration::from_secs(10);

/// How the notification service is named in errors and the user agent.
const PEER: Peer = Peer {
    var: "NOTIFICATION_URL",
    service: "the notification service",
    request: "notification",
    auth: "notification",
    payload: "the mail",
    purpose: "notifications",
};

/// Posts each mail to the notification service when its job runs:
///
/// ```json
/// {"channel":"email","to":"ada@example.com","subject":"…","body":"…",
///  "kind":"registration_code","id":"mail-3f…"}
/// ```
///
/// with `Idempotency-Key: <id>` and, when configured, an `Authorization` header. `2xx` is
/// delivered; `408`, `429`, `5xx` and network failures are retried by the job after its
/// backoff; any other answer (the service refused the mail, or the URL is wrong) ends the
/// job dead. Redirects are not followed ([`Webhook`]).
///
/// The id is `mail-<job id>` when the mail job delivers it ([`Notifier::deliver`]): every
/// retry of one job posts the same id, so the service can drop a repeat after a lost answer,
/// and two mails with the same text stay two. A mail sent without a job
/// ([`Notifier::send`]) is named by a hash of its kind, recipient, subject and body.
#[derive(Clone)]
pub struct HttpNotifier {
    webhook: Webhook,
    templates: MailTemplates,
}

impl HttpNotifier {
    /// `url`: an `http://` or `https://` URL. `auth_header`: the whole value of the
    /// `Authorization` header (`Bearer xyz`), read by the configuration from its secret file.
    pub fn new(url: &str, auth_header: Option<String>, templates: MailTemplates) -> anyhow::Result<Self> {
        Ok(Self { webhook: Webhook::new(PEER, url, auth_header, TIMEOUT)?, templates })
    }
}

/// The idempotency id of a rendered mail: `mail-` and 128 bits of its SHA-256, in hex.
fn idempotency_id(kind: &str, rendered: &Rendered) -> String {
    let mut hash = Sha256::new();
    for part in [kind, &rendered.to, &rendered.subject, &rendered.body] {
        // Length-prefixed: no two different mails hash the same parts.
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    let digest = hash.finalize();
    let hex: String = digest.iter().take(16).map(|byte| format!("{byte:02x}")).collect();
    format!("mail-{hex}")
}

#[async_trait]
impl Notifier for HttpNotifier {
    async fn send(&self, mail: Mail) -> Result<(), JobError> {
        let rendered = self.templates.render(&mail);
        let id = idempotency_id(mail.kind(), &rendered);
        self.post(id, &mail, rendered).await
    }

    async fn deliver(&self, job: uuid::Uuid, mail: Mail) -> Result<(), JobError> {
        let rendered = self.templates.render(&mail);
        self.post(format!("mail-{job}"), &mail, rendered).await
    }
}

impl HttpNotifier {
    async fn post(&self, id: String, mail: &Mail, rendered: Rendered) -> Result<(), JobError> {
        let kind = mail.kind();
        let to = masked(&rendered.to);
        let body = serde_json::json!({
            "channel": "email",
            "to": rendered.to,
            "subject": rendered.subject,
            "body": rendered.body,
            "kind": kind,
            "id": id,
        });
        let result = self.webhook.post(&id, &body).await;
        match &result {
            Ok(()) => tracing::info!(kind, %to, %id, "mail handed to the notification service"),
            Err(error) => {
                let retry = matches!(error, JobError::Retry(_));
                tracing::warn!(kind, %to, %id, retry, %error, "mail delivery failed");
            }
        }
        result
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use identity_core::Email;

    use super::*;
    use crate::webhook::testing::server;

    fn code_mail() -> Mail {
        Mail::RegistrationCode { to: Email::parse("ada@example.com").unwrap(), code: "042517".into(), ttl_minutes: 15 }
    }

    #[tokio::test]
    async fn a_job_s_mail_is_named_by_the_job() {
        let (origin, mut requests) = server(202).await;
        let notifier = HttpNotifier::new(&origin, None, MailTemplates::default()).unwrap();
        let job = uuid::Uuid::now_v7();
        // Two notices with the same text from two jobs stay two; a retry of one job repeats its id.
        let notice = || Mail::PasswordChanged { to: identity_core::Email::parse("ada@example.com").unwrap() };
        notifier.deliver(job, notice()).await.unwrap();
        notifier.deliver(job, notice()).await.unwrap();
        notifier.deliver(uuid::Uuid::now_v7(), notice()).await.unwrap();
        let mut ids = Vec::new();
        for _ in 0..3 {
            let request = requests.recv().await.unwrap();
            let body = request.json();
            assert_eq!(request.header("idempotency-key"), body["id"].as_str());
            ids.push(body["id"].as_str().unwrap().to_owned());
        }
        assert_eq!(ids[0], format!("mail-{job}"));
        assert_eq!(ids[0], ids[1]);
        assert_ne!(ids[0], ids[2]);
    }

    #[tokio::test]
    async fn a_mail_is_one_json_post() {
        let (origin, mut requests) = server(202).await;
        let url = format!("{origin}/notify");
        let notifier = HttpNotifier::new(&url, Some("Bearer n0t1fy".into()), MailTemplates::default()).unwrap();
        notifier.send(code_mail()).await.unwrap();
        let request = requests.recv().await.unwrap();
        assert_eq!(request.head[0], "POST /notify HTTP/1.1");
        assert_eq!(request.header("authorization"), Some("Bearer n0t1fy"));
        assert_eq!(request.header("content-type"), Some("application/json"));
        let body = request.json();
        assert_eq!(body["channel"], "email");
        assert_eq!(body["to"], "ada@example.com");
        assert_eq!(body["subject"], "Your registration code");
        assert!(body["body"].as_str().unwrap().contains("042517"));
        assert_eq!(body["kind"], "registration_code");
        let id = body["id"].as_str().unwrap();
        assert!(id.starts_with("mail-") && id.len() == 37, "{id}");
        assert_eq!(request.header("idempotency-key"), Some(id));

        // The same mail again (a retried job) has the same id; another mail another one.
        notifier.send(code_mail()).await.unwrap();
        let again = requests.recv().await.unwrap().json();
        assert_eq!(again["id"], id);
        let other = Mail::RegistrationCode {
            to: Email::parse("ada@example.com").unwrap(),
            code: "913370".into(),
            ttl_minutes: 15,
        };
        notifier.send(other).await.unwrap();
        let other = requests.recv().await.unwrap().json();
        assert_ne!(other["id"], id);
    }

    #[tokio::test]
    async fn errors_name_the_notification_service_and_the_mail() {
        let (origin, _requests) = server(422).await;
        let notifier = HttpNotifier::new(&origin, None, MailTemplates::default()).unwrap();
        let error = notifier.send(code_mail()).await.unwrap_err();
        assert_eq!(error, JobError::Fail("the notification service refused the mail: 422 Unprocessable Entity".into()));
        let (origin, _requests) = server(503).await;
        let notifier = HttpNotifier::new(&origin, None, MailTemplates::default()).unwrap();
        let error = notifier.send(code_mail()).await.unwrap_err();
        assert_eq!(error, JobError::Retry("the notification service answered 503 Service Unavailable".into()));
    }

    #[test]
    fn bad_settings_are_refused() {
        let new = |url: &str, auth: Option<&str>| {
            HttpNotifier::new(url, auth.map(str::to_owned), MailTemplates::default()).err().map(|e| e.to_string())
        };
        assert_eq!(new("ftp://example.com/", None).unwrap(), "NOTIFICATION_URL is not an http:// or https:// URL");
        assert_eq!(new("not a url", None).unwrap(), "NOTIFICATION_URL is not a URL");
        assert_eq!(
            new("https://example.com/", Some("Bearer a\nb")).unwrap(),
            "the notification auth header is not a valid header value"
        );
        assert_eq!(new("https://example.com/notify", Some("Bearer xyz")), None);
    }
}
