//! The HTTP instance provisioner (`INSTANCE_PROVISIONER_URL`): the provisioning job posts each
//! new instance to a service that sets it up (reqwest, rustls).

use std::time::Duration;

use async_trait::async_trait;
use identity_core::domain::Instance;
use identity_core::ports::InstanceProvisioner;
use identity_core::usecases::JobError;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use reqwest::{StatusCode, Url};

/// How long one request may take, connecting included.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Posts the instance as JSON:
///
/// ```json
/// {"instance_id":"…","user_id":"…","agent_id":"…","name":"mine","config":{},"version":1}
/// ```
///
/// with `Idempotency-Key: <instance id>` (a retried job posts the same key: the provisioner
/// sets an instance up once) and, when configured, an `Authorization` header. `2xx`: set up;
/// `408`, `429`, `5xx` and network failures: the job retries after its backoff; any other
/// answer (the provisioner refused the instance, or the URL is wrong): the instance ends
/// `failed`. Redirects are not followed.
#[derive(Clone)]
pub struct HttpProvisioner {
    client: reqwest::Client,
    url: Url,
    auth: Option<HeaderValue>,
}

impl HttpProvisioner {
    /// `url`: an `http://` or `https://` URL. `auth_header`: the whole value of the
    /// `Authorization` header (`Bearer xyz`), read by the configuration from its secret file.
    pub fn new(url: &str, auth_header: Option<String>) -> anyhow::Result<Self> {
        Self::with_timeout(url, auth_header, TIMEOUT)
    }

    fn with_timeout(url: &str, auth_header: Option<String>, timeout: Duration) -> anyhow::Result<Self> {
        // The URL is not echoed: it may carry credentials.
        let url = Url::parse(url).map_err(|_| anyhow::anyhow!("INSTANCE_PROVISIONER_URL is not a URL"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            anyhow::bail!("INSTANCE_PROVISIONER_URL is not an http:// or https:// URL");
        }
        let auth = auth_header
            .map(|value| {
                let mut value = HeaderValue::from_str(&value)
                    .map_err(|_| anyhow::anyhow!("the provisioner auth header is not a valid header value"))?;
                value.set_sensitive(true);
                anyhow::Ok(value)
            })
            .transpose()?;
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("identity/", env!("CARGO_PKG_VERSION"), " (provisioning)"))
            .build()
            .map_err(|e| anyhow::anyhow!("no HTTP client for INSTANCE_PROVISIONER_URL: {e}"))?;
        Ok(Self { client, url, auth })
    }
}

/// Whether an answer means set up, worth retrying, or refused.
fn outcome(status: StatusCode) -> Result<(), JobError> {
    if status.is_success() {
        Ok(())
    } else if status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error()
    {
        Err(JobError::Retry(format!("the provisioner answered {status}")))
    } else {
        Err(JobError::Fail(format!("the provisioner refused the instance: {status}")))
    }
}

/// A failed request, without its URL.
fn request_failed(error: &reqwest::Error) -> JobError {
    if error.is_builder() {
        return JobError::Fail("the provisioning request cannot be built".into());
    }
    if error.is_timeout() {
        return JobError::Retry("the provisioner did not answer in time".into());
    }
    if error.is_connect() {
        return JobError::Retry("could not connect to the provisioner".into());
    }
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    JobError::Retry(format!("the provisioning request failed: {}", causes.join(": ")))
}

#[async_trait]
impl InstanceProvisioner for HttpProvisioner {
    async fn provision(&self, instance: &Instance) -> Result<(), JobError> {
        let body = serde_json::json!({
            "instance_id": instance.id.as_uuid(),
            "user_id": instance.user_id.as_uuid(),
            "agent_id": instance.agent_id.as_uuid(),
            "name": instance.name,
            "config": instance.config,
            "version": instance.version,
        });
        let mut request =
            self.client.post(self.url.clone()).header("Idempotency-Key", instance.id.to_string()).json(&body);
        if let Some(auth) = &self.auth {
            request = request.header(AUTHORIZATION, auth.clone());
        }
        let result = match request.send().await {
            Ok(response) => outcome(response.status()),
            Err(error) => Err(request_failed(&error)),
        };
        match &result {
            Ok(()) => tracing::info!(instance_id = %instance.id, "instance provisioned"),
            Err(error) => {
                let retry = matches!(error, JobError::Retry(_));
                tracing::warn!(instance_id = %instance.id, retry, %error, "provisioning an instance failed");
            }
        }
        result
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use identity_core::domain::{AgentId, InstanceId, InstanceState, UserId};
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;
    use tokio::sync::mpsc;

    use super::*;

    fn instance() -> Instance {
        let now = chrono::Utc::now();
        Instance {
            id: InstanceId::from_uuid(uuid::Uuid::now_v7()),
            user_id: UserId::from_uuid(uuid::Uuid::now_v7()),
            agent_id: AgentId::from_uuid(uuid::Uuid::now_v7()),
            name: "mine".into(),
            config: serde_json::json!({ "model": "small" }),
            state: InstanceState::Provisioning,
            version: 1,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        }
    }

    /// A request the test server received: its head lines and body.
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
        let url = format!("http://{}/instances", listener.local_addr().unwrap());
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
    async fn an_instance_is_one_json_post_keyed_by_its_id() {
        let (url, mut requests) = server(201).await;
        let provisioner = HttpProvisioner::new(&url, Some("Bearer pr0v".into())).unwrap();
        let instance = instance();
        provisioner.provision(&instance).await.unwrap();
        let request = requests.recv().await.unwrap();
        assert_eq!(request.head[0], "POST /instances HTTP/1.1");
        assert_eq!(request.header("authorization"), Some("Bearer pr0v"));
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(request.header("idempotency-key"), Some(instance.id.to_string().as_str()));
        let body: serde_json::Value = serde_json::from_str(&request.body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "instance_id": instance.id.to_string(),
                "user_id": instance.user_id.to_string(),
                "agent_id": instance.agent_id.to_string(),
                "name": "mine",
                "config": { "model": "small" },
                "version": 1,
            })
        );
    }

    #[tokio::test]
    async fn no_auth_header_unless_configured() {
        let (url, mut requests) = server(204).await;
        HttpProvisioner::new(&url, None).unwrap().provision(&instance()).await.unwrap();
        assert_eq!(requests.recv().await.unwrap().header("authorization"), None);
    }

    #[tokio::test]
    async fn temporary_failures_are_retried() {
        for status in [503, 500, 429, 408] {
            let (url, _requests) = server(status).await;
            let error = HttpProvisioner::new(&url, None).unwrap().provision(&instance()).await.unwrap_err();
            assert!(matches!(&error, JobError::Retry(reason) if reason.contains(&status.to_string())), "{error:?}");
        }
    }

    #[tokio::test]
    async fn refusals_fail_for_good() {
        for status in [400, 403, 404, 409, 422, 302] {
            let (url, _requests) = server(status).await;
            let error = HttpProvisioner::new(&url, None).unwrap().provision(&instance()).await.unwrap_err();
            assert!(matches!(&error, JobError::Fail(reason) if reason.contains(&status.to_string())), "{error:?}");
        }
    }

    #[tokio::test]
    async fn no_provisioner_is_retried() {
        let port = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
        let provisioner = HttpProvisioner::new(&format!("http://127.0.0.1:{port}/"), None).unwrap();
        let error = provisioner.provision(&instance()).await.unwrap_err();
        assert!(matches!(error, JobError::Retry(_)), "{error:?}");
    }

    #[tokio::test]
    async fn a_silent_provisioner_times_out_and_is_retried() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let (_socket, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(30)).await;
        });
        let provisioner = HttpProvisioner::with_timeout(&url, None, Duration::from_millis(300)).unwrap();
        let error = provisioner.provision(&instance()).await.unwrap_err();
        assert_eq!(error, JobError::Retry("the provisioner did not answer in time".into()));
    }

    #[test]
    fn bad_settings_are_refused() {
        assert!(HttpProvisioner::new("ftp://example.com/", None).is_err());
        assert!(HttpProvisioner::new("/relative", None).is_err());
        assert!(HttpProvisioner::new("https://example.com/", Some("Bearer a\nb".into())).is_err());
        assert!(HttpProvisioner::new("https://example.com/instances", Some("Bearer xyz".into())).is_ok());
    }
}
