//! One outbound JSON webhook: a `POST` of a JSON body to a configured service (reqwest,
//! rustls), whose answer a job turns into done, retry or dead. The notification service
//! ([`HttpNotifier`](crate::HttpNotifier)) and the instance provisioner (`identity-http`)
//! are two of them: each says what it posts and under which idempotency key, this module
//! how it is sent and what the answer means.

use std::time::Duration;

use identity_core::usecases::JobError;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use reqwest::{StatusCode, Url};

/// How a webhook names things in its settings' errors, its job errors and its user agent, so
/// that an operator reading a dead job or a refused configuration knows which service it is.
#[derive(Clone, Copy, Debug)]
pub struct Peer {
    /// The setting holding the URL: `NOTIFICATION_URL`.
    pub var: &'static str,
    /// The service, as job errors name it: `the notification service`.
    pub service: &'static str,
    /// What a request does: `notification` (`the notification request failed: …`).
    pub request: &'static str,
    /// Whose auth header a bad one is: `notification` (`the notification auth header …`).
    pub auth: &'static str,
    /// What the service refuses with a `4xx`: `the mail`.
    pub payload: &'static str,
    /// The user agent's comment: `notifications` (`identity/1.2.3 (notifications)`).
    pub purpose: &'static str,
}

/// A configured webhook: its client (timeout, no redirects, user agent), its URL and its
/// `Authorization` header, if any. Cheap to clone (the client is shared).
///
/// `2xx` is done; `408`, `429`, `5xx` and network failures are worth retrying after the job's
/// backoff; any other answer (the service refused the body, or the URL is wrong) is final.
/// Redirects are not followed, and no error names the URL: it may carry credentials.
#[derive(Clone)]
pub struct Webhook {
    client: reqwest::Client,
    url: Url,
    auth: Option<HeaderValue>,
    peer: Peer,
}

impl Webhook {
    /// `url`: an `http://` or `https://` URL. `auth_header`: the whole value of the
    /// `Authorization` header (`Bearer xyz`), read by the configuration from its secret file
    /// and never logged. `timeout`: how long one request may take, connecting included.
    pub fn new(peer: Peer, url: &str, auth_header: Option<String>, timeout: Duration) -> anyhow::Result<Self> {
        // The URL is not echoed: it may carry credentials.
        let url = Url::parse(url).map_err(|_| anyhow::anyhow!("{} is not a URL", peer.var))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            anyhow::bail!("{} is not an http:// or https:// URL", peer.var);
        }
        let auth = auth_header
            .map(|value| {
                let mut value = HeaderValue::from_str(&value)
                    .map_err(|_| anyhow::anyhow!("the {} auth header is not a valid header value", peer.auth))?;
                value.set_sensitive(true);
                anyhow::Ok(value)
            })
            .transpose()?;
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(format!("identity/{} ({})", env!("CARGO_PKG_VERSION"), peer.purpose))
            .build()
            .map_err(|e| anyhow::anyhow!("no HTTP client for {}: {e}", peer.var))?;
        Ok(Self { client, url, auth, peer })
    }

    /// Posts `body` with `Idempotency-Key: <idempotency_key>` (every retry of one job posts
    /// the same key, so the service can drop a repeat after a lost answer) and the
    /// `Authorization` header when configured, and says what the answer means for the job.
    pub async fn post(&self, idempotency_key: &str, body: &serde_json::Value) -> Result<(), JobError> {
        let mut request = self.client.post(self.url.clone()).header("Idempotency-Key", idempotency_key).json(body);
        if let Some(auth) = &self.auth {
            request = request.header(AUTHORIZATION, auth.clone());
        }
        match request.send().await {
            Ok(response) => self.outcome(response.status()),
            Err(error) => Err(self.request_failed(&error)),
        }
    }

    /// Whether an answer is done, worth retrying, or final.
    fn outcome(&self, status: StatusCode) -> Result<(), JobError> {
        let Peer { service, payload, .. } = self.peer;
        if status.is_success() {
            Ok(())
        } else if status == StatusCode::REQUEST_TIMEOUT
            || status == StatusCode::TOO_MANY_REQUESTS
            || status.is_server_error()
        {
            Err(JobError::Retry(format!("{service} answered {status}")))
        } else {
            Err(JobError::Fail(format!("{service} refused {payload}: {status}")))
        }
    }

    /// A failed request, without its URL.
    fn request_failed(&self, error: &reqwest::Error) -> JobError {
        let Peer { service, request, .. } = self.peer;
        if error.is_builder() {
            return JobError::Fail(format!("the {request} request cannot be built"));
        }
        if error.is_timeout() {
            return JobError::Retry(format!("{service} did not answer in time"));
        }
        if error.is_connect() {
            return JobError::Retry(format!("could not connect to {service}"));
        }
        let mut causes = Vec::new();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            causes.push(cause.to_string());
            source = cause.source();
        }
        JobError::Retry(format!("the {request} request failed: {}", causes.join(": ")))
    }
}

/// A test HTTP server for the webhooks' tests (here and in `identity-http`, with the
/// `testing` feature): it answers every request with one status and hands each request over.
#[cfg(any(test, feature = "testing"))]
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub mod testing {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;
    use tokio::sync::mpsc;

    /// A request the test server received: its head lines (request line first) and body.
    #[derive(Debug)]
    pub struct Received {
        /// The request line, then each header line as sent.
        pub head: Vec<String>,
        /// The body, as text.
        pub body: String,
    }

    impl Received {
        /// The value of the header `name` (any case), if sent.
        pub fn header(&self, name: &str) -> Option<&str> {
            self.head.iter().find_map(|line| {
                let (n, v) = line.split_once(':')?;
                n.eq_ignore_ascii_case(name).then(|| v.trim())
            })
        }

        /// The body, parsed as JSON.
        pub fn json(&self) -> serde_json::Value {
            serde_json::from_str(&self.body).unwrap()
        }
    }

    /// An HTTP server answering every request with `status`: its origin
    /// (`http://127.0.0.1:<port>`, to which a test appends a path) and the requests it gets.
    pub async fn server(status: u16) -> (String, mpsc::UnboundedReceiver<Received>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
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
        (origin, rx)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use tokio::net::TcpListener;

    use super::testing::server;
    use super::*;

    const PEER: Peer = Peer {
        var: "HOOK_URL",
        service: "the hook",
        request: "hook",
        auth: "hook",
        payload: "the thing",
        purpose: "hooks",
    };

    fn hook(url: &str, auth: Option<&str>) -> Webhook {
        Webhook::new(PEER, url, auth.map(str::to_owned), Duration::from_secs(10)).unwrap()
    }

    #[tokio::test]
    async fn a_post_is_json_with_its_key_and_user_agent() {
        let (origin, mut requests) = server(202).await;
        let body = serde_json::json!({ "a": [1, 2], "b": "c" });
        hook(&format!("{origin}/hooks/in"), Some("Bearer s3cret")).post("key-1", &body).await.unwrap();
        let request = requests.recv().await.unwrap();
        assert_eq!(request.head[0], "POST /hooks/in HTTP/1.1");
        assert_eq!(request.header("authorization"), Some("Bearer s3cret"));
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(request.header("idempotency-key"), Some("key-1"));
        let agent = format!("identity/{} (hooks)", env!("CARGO_PKG_VERSION"));
        assert_eq!(request.header("user-agent"), Some(agent.as_str()));
        assert_eq!(request.json(), body);
    }

    #[tokio::test]
    async fn no_auth_header_unless_configured() {
        let (origin, mut requests) = server(200).await;
        hook(&origin, None).post("key", &serde_json::json!({})).await.unwrap();
        assert_eq!(requests.recv().await.unwrap().header("authorization"), None);
    }

    #[tokio::test]
    async fn success_is_done() {
        for status in [200, 201, 202, 204] {
            let (origin, _requests) = server(status).await;
            hook(&origin, None).post("key", &serde_json::json!({})).await.unwrap();
        }
    }

    #[tokio::test]
    async fn temporary_failures_are_retried() {
        for status in [503, 500, 502, 429, 408] {
            let (origin, _requests) = server(status).await;
            let error = hook(&origin, None).post("key", &serde_json::json!({})).await.unwrap_err();
            assert_eq!(error, JobError::Retry(format!("the hook answered {}", StatusCode::from_u16(status).unwrap())));
        }
    }

    #[tokio::test]
    async fn refusals_and_redirects_fail_for_good() {
        for status in [400, 401, 403, 404, 409, 422, 301, 302] {
            let (origin, mut requests) = server(status).await;
            let error = hook(&origin, None).post("key", &serde_json::json!({})).await.unwrap_err();
            let status = StatusCode::from_u16(status).unwrap();
            assert_eq!(error, JobError::Fail(format!("the hook refused the thing: {status}")));
            // One request: a redirect is not followed.
            requests.recv().await.unwrap();
            assert!(requests.try_recv().is_err());
        }
    }

    #[tokio::test]
    async fn no_service_is_retried_without_naming_the_url() {
        let port = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
        let url = format!("http://user:pa55@127.0.0.1:{port}/s3cret-path");
        let error = hook(&url, None).post("key", &serde_json::json!({})).await.unwrap_err();
        assert_eq!(error, JobError::Retry("could not connect to the hook".into()));
    }

    #[tokio::test]
    async fn a_silent_service_times_out_and_is_retried() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/s3cret-path", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let (_socket, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(30)).await;
        });
        let webhook = Webhook::new(PEER, &url, None, Duration::from_millis(300)).unwrap();
        let error = webhook.post("key", &serde_json::json!({})).await.unwrap_err();
        assert_eq!(error, JobError::Retry("the hook did not answer in time".into()));
    }

    #[tokio::test]
    async fn a_broken_answer_is_retried_without_naming_the_url() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/s3cret-path", listener.local_addr().unwrap());
        tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            let (mut socket, _) = listener.accept().await.unwrap();
            let _ = socket.write_all(b"this is not HTTP\r\n\r\n").await;
        });
        let error = hook(&url, None).post("key", &serde_json::json!({})).await.unwrap_err();
        assert!(
            matches!(&error, JobError::Retry(reason) if reason.starts_with("the hook request failed")),
            "{error:?}"
        );
        let reason = error.to_string();
        assert!(!reason.contains("s3cret") && !reason.contains("127.0.0.1"), "{reason}");
    }

    #[test]
    fn bad_settings_are_refused_without_echoing_the_url() {
        let new = |url: &str, auth: Option<&str>| {
            Webhook::new(PEER, url, auth.map(str::to_owned), Duration::from_secs(1)).err().map(|e| e.to_string())
        };
        assert_eq!(new("ftp://s3cret@example.com/", None).unwrap(), "HOOK_URL is not an http:// or https:// URL");
        assert_eq!(new("not a s3cret url", None).unwrap(), "HOOK_URL is not a URL");
        assert_eq!(new("/relative", None).unwrap(), "HOOK_URL is not a URL");
        assert_eq!(
            new("https://example.com/", Some("Bearer a\nb")).unwrap(),
            "the hook auth header is not a valid header value"
        );
        assert_eq!(new("https://example.com/hooks", Some("Bearer xyz")), None);
    }
}
