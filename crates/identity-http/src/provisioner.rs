//! The HTTP instance provisioner (`INSTANCE_PROVISIONER_URL`): the provisioning job posts each
//! new instance to a service that sets it up (reqwest, rustls).

use std::time::Duration;

use async_trait::async_trait;
use identity_core::domain::Instance;
use identity_core::ports::InstanceProvisioner;
use identity_core::usecases::JobError;
use identity_mail::webhook::{Peer, Webhook};

/// How long one request may take, connecting included.
const TIMEOUT: Duration = Duration::from_secs(10);

/// How the provisioner is named in errors and the user agent.
const PEER: Peer = Peer {
    var: "INSTANCE_PROVISIONER_URL",
    service: "the provisioner",
    request: "provisioning",
    auth: "provisioner",
    payload: "the instance",
    purpose: "provisioning",
};

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
/// `failed`. Redirects are not followed ([`Webhook`]).
#[derive(Clone)]
pub struct HttpProvisioner {
    webhook: Webhook,
}

impl HttpProvisioner {
    /// `url`: an `http://` or `https://` URL. `auth_header`: the whole value of the
    /// `Authorization` header (`Bearer xyz`), read by the configuration from its secret file.
    pub fn new(url: &str, auth_header: Option<String>) -> anyhow::Result<Self> {
        Ok(Self { webhook: Webhook::new(PEER, url, auth_header, TIMEOUT)? })
    }
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
        let result = self.webhook.post(&instance.id.to_string(), &body).await;
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
    use identity_mail::webhook::testing::server;

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

    #[tokio::test]
    async fn an_instance_is_one_json_post_keyed_by_its_id() {
        let (origin, mut requests) = server(201).await;
        let url = format!("{origin}/instances");
        let provisioner = HttpProvisioner::new(&url, Some("Bearer pr0v".into())).unwrap();
        let instance = instance();
        provisioner.provision(&instance).await.unwrap();
        let request = requests.recv().await.unwrap();
        assert_eq!(request.head[0], "POST /instances HTTP/1.1");
        assert_eq!(request.header("authorization"), Some("Bearer pr0v"));
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(request.header("idempotency-key"), Some(instance.id.to_string().as_str()));
        assert_eq!(
            request.json(),
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
    async fn errors_name_the_provisioner_and_the_instance() {
        let (origin, _requests) = server(409).await;
        let error = HttpProvisioner::new(&origin, None).unwrap().provision(&instance()).await.unwrap_err();
        assert_eq!(error, JobError::Fail("the provisioner refused the instance: 409 Conflict".into()));
        let (origin, _requests) = server(429).await;
        let error = HttpProvisioner::new(&origin, None).unwrap().provision(&instance()).await.unwrap_err();
        assert_eq!(error, JobError::Retry("the provisioner answered 429 Too Many Requests".into()));
    }

    #[test]
    fn bad_settings_are_refused() {
        let new = |url: &str, auth: Option<&str>| {
            HttpProvisioner::new(url, auth.map(str::to_owned)).err().map(|e| e.to_string())
        };
        assert_eq!(
            new("ftp://example.com/", None).unwrap(),
            "INSTANCE_PROVISIONER_URL is not an http:// or https:// URL"
        );
        assert_eq!(new("/relative", None).unwrap(), "INSTANCE_PROVISIONER_URL is not a URL");
        assert_eq!(
            new("https://example.com/", Some("Bearer a\nb")).unwrap(),
            "the provisioner auth header is not a valid header value"
        );
        assert_eq!(new("https://example.com/instances", Some("Bearer xyz")), None);
    }
}
