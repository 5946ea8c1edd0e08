//! The HTTP requests of settings connection checks (reqwest, rustls).

use async_trait::async_trait;
use identity_core::ports::{HttpProbe, ProbeRequest, ProbeResponse};

/// Makes one `GET` per check: no redirects, no cookies, body not read. The client (and its
/// TLS roots, several MB) is built on the first check, not at start-up: most processes never
/// run one.
#[derive(Default)]
pub struct ReqwestProbe {
    client: std::sync::OnceLock<reqwest::Client>,
}

impl ReqwestProbe {
    pub fn new() -> Self {
        Self::default()
    }

    fn client(&self) -> Result<&reqwest::Client, String> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("identity/", env!("CARGO_PKG_VERSION"), " (settings check)"))
            .build()
            .map_err(|e| format!("no HTTP client: {e}"))?;
        Ok(self.client.get_or_init(|| client))
    }
}

#[async_trait]
impl HttpProbe for ReqwestProbe {
    async fn get(&self, request: &ProbeRequest) -> ProbeResponse {
        let client = match self.client() {
            Ok(client) => client,
            Err(reason) => return ProbeResponse::Failed(reason),
        };
        let mut builder = client.get(&request.url).timeout(request.timeout);
        for (name, value) in &request.headers {
            let Ok(mut value) = reqwest::header::HeaderValue::from_str(value.expose()) else {
                return ProbeResponse::Failed(format!("the {name} header cannot carry this value"));
            };
            value.set_sensitive(true);
            builder = builder.header(name.as_str(), value);
        }
        match builder.send().await {
            Ok(response) => ProbeResponse::Status(response.status().as_u16()),
            Err(error) if error.is_timeout() => ProbeResponse::Failed("timed out".to_owned()),
            Err(error) if error.is_connect() => ProbeResponse::Failed("could not connect".to_owned()),
            Err(error) if error.is_builder() => ProbeResponse::Failed("the URL cannot be requested".to_owned()),
            Err(_) => ProbeResponse::Failed("the request failed".to_owned()),
        }
    }
}
