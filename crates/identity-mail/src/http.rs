//! Mail through an HTTP notification service (`NOTIFICATION_URL`): one JSON `POST` per mail,
//! which the service delivers (email, or whatever channel it maps the kind to).

use std::time::Duration;

use async_trait::async_trait;
use identity_core::ports::{Mail, Notifier};
use identity_core::usecases::JobError;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use reqwest::{StatusCode, Url};
use sha2::{Digest, Sha256};

use crate::masked;
use crate::templates::{MailTemplates, Rendered};

/// How long one request may take, connecting included.
const TIMEOUT: Duration = Duration::from_secs(10);

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
/// job dead. Redirects are not followed.
///
/// The id is `mail-<job id>` when the mail job delivers it ([`Notifier::deliver`]): every
/// retry of one job posts the same id, so the service can drop a repeat after a lost answer,
/// and two mails with the same text stay two. A mail sent without a job
/// ([`Notifier::send`]) is named by a hash of its kind, recipient, subject and body.
#[derive(Clone)]
pub struct HttpNotifier {
    client: reqwest::Client,
    url: Url,
    auth: Option<HeaderValue>,
    templates: MailTemplates,
}

impl HttpNotifier {
    /// `url`: an `http://` or `https://` URL. `auth_header`: the whole value of the
    /// `Authorization` header (`Bearer xyz`), read by the configuration from its secret file.
    pub fn new(url: &str, auth_header: Option<String>, templates: MailTemplates) -> anyhow::Result<Self> {
        Self::with_timeout(url, auth_header, templates, TIMEOUT)
    }

    fn with_timeout(
        url: &str,
        auth_header: Option<String>,
        templates: MailTemplates,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        // The URL is not echoed: it may carry credentials.
        let url = Url::parse(url).map_err(|_| anyhow::anyhow!("NOTIFICATION_URL is not a URL"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            anyhow::bail!("NOTIFICATION_URL is not an http:// or https:// URL");
        }
        let auth = auth_header
            .map(|value| {
                let mut value = HeaderValue::from_str(&value)
                    .map_err(|_| anyhow::anyhow!("the notification auth header is not a valid header value"))?;
                value.set_sensitive(true);
                anyhow::Ok(value)
            })
            .transpose()?;
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("identity/", env!("CARGO_PKG_VERSION"), " (notifications)"))
            .build()
            .map_err(|e| anyhow::anyhow!("no HTTP client for NOTIFICATION_URL: {e}"))?;
        Ok(Self { client, url, auth, templates })
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

/// Whether an answer is delivered, worth retrying, or final.
fn outcome(status: StatusCode) -> Result<(), JobError> {
    if status.is_success() {
        Ok(())
    } else if status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error()
    {
        Err(JobError::Retry(format!("the notification service answered {status}")))
    } else {
        Err(JobError::Fail(format!("the notification service refused the mail: {status}")))
    }
}

/// A failed request, without its URL.
fn request_failed(error: &reqwest::Error) -> JobError {
    if error.is_builder() {
        return JobError::Fail("the notification request cannot be built".into());
    }
    if error.is_timeout() {
        return JobError::Retry("the notification service did not answer in time".into());
    }
    if error.is_connect() {
        return JobError::Retry("could not connect to the notification service".into());
    }
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    JobError::Retry(format!("the notification request failed: {}", causes.join(": ")))
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
        let mut request = self.client.post(self.url.clone()).header("Idempotency-Key", &id).json(&body);
        if let Some(auth) = &self.auth {
            request = request.header(AUTHORIZATION, auth.clone());
        }
        let result = match request.send().await {
            Ok(response) => outcome(response.status()),
            Err(error) => Err(request_failed(&error)),
        };
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
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;
    use tokio::sync::mpsc;

    use super::*;

    fn code_mail() -> Mail {
        Mail::RegistrationCode { to: Email::parse("ada@example.com").unwrap(), code: "042517".into(), ttl_minutes: 15 }
    }

    /// A request the test server received: its head lines (lower-cased names) and body.
    struct Received {
        head: Vec<String>,
        body: String,
    }

    impl Received {
        fn header(&self, name: &str) -> Option<&str> {
            self.head.iter().find_map(|line| {
                let (n, v) = line.split_once(':')?;
                n.eq_ignore_ascii_case(name).then(|| v.trim())
            })
        }
    }

    /// An HTTP server answering every request with `status` and handing each request over.
    async fn server(status: u16) -> (String, mpsc::UnboundedReceiver<Received>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/notify", listener.local_addr().unwrap());
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let tx = tx.clone();
                tokio::spawn(async move {
                    let mut reader = BufReader::new(socket);
                    let mut head = Vec::new();
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).await.unwrap() == 0 {
                            return;
                        }
                        let line = line.trim_end().to_owned();
                        if line.is_empty() {
                            break;
                        }
                        head.push(line);
                    }
                    let length: usize = head
                        .iter()
                        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse()))
                        .unwrap_or(Ok(0))
                        .unwrap();
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).await.unwrap();
                    let _ = tx.send(Received { head, body: String::from_utf8(body).unwrap() });
                    let answer =
                        format!("HTTP/1.1 {status} Whatever\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                    let _ = reader.get_mut().write_all(answer.as_bytes()).await;
                });
            }
        });
        (url, rx)
    }

    #[tokio::test]
    async fn a_job_s_mail_is_named_by_the_job() {
        let (url, mut requests) = server(202).await;
        let notifier = HttpNotifier::new(&url, None, MailTemplates::default()).unwrap();
        let job = uuid::Uuid::now_v7();
        // Two notices with the same text from two jobs stay two; a retry of one job repeats its id.
        let notice = || Mail::PasswordChanged { to: identity_core::Email::parse("ada@example.com").unwrap() };
        notifier.deliver(job, notice()).await.unwrap();
        notifier.deliver(job, notice()).await.unwrap();
        notifier.deliver(uuid::Uuid::now_v7(), notice()).await.unwrap();
        let mut ids = Vec::new();
        for _ in 0..3 {
            let request = requests.recv().await.unwrap();
            let body: serde_json::Value = serde_json::from_str(&request.body).unwrap();
            assert_eq!(request.header("idempotency-key"), body["id"].as_str());
            ids.push(body["id"].as_str().unwrap().to_owned());
        }
        assert_eq!(ids[0], format!("mail-{job}"));
        assert_eq!(ids[0], ids[1]);
        assert_ne!(ids[0], ids[2]);
    }

    #[tokio::test]
    async fn a_mail_is_one_json_post() {
        let (url, mut requests) = server(202).await;
        let notifier = HttpNotifier::new(&url, Some("Bearer n0t1fy".into()), MailTemplates::default()).unwrap();
        notifier.send(code_mail()).await.unwrap();
        let request = requests.recv().await.unwrap();
        assert_eq!(request.head[0], "POST /notify HTTP/1.1");
        assert_eq!(request.header("authorization"), Some("Bearer n0t1fy"));
        assert_eq!(request.header("content-type"), Some("application/json"));
        let body: serde_json::Value = serde_json::from_str(&request.body).unwrap();
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
        let again: serde_json::Value = serde_json::from_str(&requests.recv().await.unwrap().body).unwrap();
        assert_eq!(again["id"], id);
        let other = Mail::RegistrationCode {
            to: Email::parse("ada@example.com").unwrap(),
            code: "913370".into(),
            ttl_minutes: 15,
        };
        notifier.send(other).await.unwrap();
        let other: serde_json::Value = serde_json::from_str(&requests.recv().await.unwrap().body).unwrap();
        assert_ne!(other["id"], id);
    }

    #[tokio::test]
    async fn no_auth_header_unless_configured() {
        let (url, mut requests) = server(200).await;
        HttpNotifier::new(&url, None, MailTemplates::default()).unwrap().send(code_mail()).await.unwrap();
        assert_eq!(requests.recv().await.unwrap().header("authorization"), None);
    }

    #[tokio::test]
    async fn temporary_failures_are_retried() {
        for status in [503, 500, 429, 408] {
            let (url, _requests) = server(status).await;
            let notifier = HttpNotifier::new(&url, None, MailTemplates::default()).unwrap();
            let error = notifier.send(code_mail()).await.unwrap_err();
            assert!(matches!(&error, JobError::Retry(reason) if reason.contains(&status.to_string())), "{error:?}");
        }
    }

    #[tokio::test]
    async fn refusals_fail_for_good() {
        for status in [400, 401, 404, 422, 301] {
            let (url, _requests) = server(status).await;
            let notifier = HttpNotifier::new(&url, None, MailTemplates::default()).unwrap();
            let error = notifier.send(code_mail()).await.unwrap_err();
            assert!(matches!(&error, JobError::Fail(reason) if reason.contains(&status.to_string())), "{error:?}");
        }
    }

    #[tokio::test]
    async fn no_service_is_retried() {
        let port = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
        let notifier = HttpNotifier::new(&format!("http://127.0.0.1:{port}/"), None, MailTemplates::default()).unwrap();
        let error = notifier.send(code_mail()).await.unwrap_err();
        assert!(matches!(error, JobError::Retry(_)), "{error:?}");
    }

    #[tokio::test]
    async fn a_silent_service_times_out_and_is_retried() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let (_socket, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(30)).await;
        });
        let notifier =
            HttpNotifier::with_timeout(&url, None, MailTemplates::default(), Duration::from_millis(300)).unwrap();
        let error = notifier.send(code_mail()).await.unwrap_err();
        assert_eq!(error, JobError::Retry("the notification service did not answer in time".into()));
    }

    #[test]
    fn bad_settings_are_refused() {
        let templates = MailTemplates::default;
        assert!(HttpNotifier::new("ftp://example.com/", None, templates()).is_err());
        assert!(HttpNotifier::new("not a url", None, templates()).is_err());
        assert!(HttpNotifier::new("https://example.com/", Some("Bearer a\nb".into()), templates()).is_err());
        assert!(HttpNotifier::new("https://example.com/notify", Some("Bearer xyz".into()), templates()).is_ok());
    }
}
