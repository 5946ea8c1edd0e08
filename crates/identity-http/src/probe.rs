//! The HTTP requests of settings connection checks (reqwest, rustls).

use async_trait::async_trait;
use identity_core::ports::{HttpProbe, ProbeRequest, ProbeResponse};

/// Makes one `GET` per check: no redirects, no cookies, body not read.
pub struct ReqwestProbe {
    client: reqwest::Client,
}

impl ReqwestProbe {
    pub fn new() -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("identity/", env!("CARGO_PKG_VERSION"), " (settings check)"))
            .build()?;
        Ok(Self { client })
    }
}

#[async_trait]
impl HttpProbe for ReqwestProbe {
    async fn get(&self, request: &ProbeRequest) -> ProbeResponse {
        let mut builder = self.client.get(&request.url).timeout(request.timeout);
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
