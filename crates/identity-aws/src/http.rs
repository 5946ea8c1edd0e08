//! The SDK's HTTP client on reqwest, the client the service already builds (HTTP/1.1 and
//! rustls): the SDK's own default client would bring hyper's HTTP/2 and h2, which the service
//! keeps out of its build (docs/operations.md, "No HTTP/2"). Secrets Manager and STS answer
//! small JSON and XML documents, so bodies are read whole.

use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

/// The SDK's HTTP client: one reqwest client (its connection pool) for every call.
pub fn http_client(connect_timeout: Duration) -> Result<SharedHttpClient, reqwest::Error> {
    let client = reqwest::Client::builder().connect_timeout(connect_timeout).build()?;
    Ok(SharedHttpClient::new(Reqwest { client }))
}

#[derive(Debug, Clone)]
struct Reqwest {
    client: reqwest::Client,
}

impl HttpClient for Reqwest {
    fn http_connector(&self, settings: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(Connector { client: self.client.clone(), read_timeout: settings.read_timeout() })
    }
}

#[derive(Debug)]
struct Connector {
    client: reqwest::Client,
    read_timeout: Option<Duration>,
}

impl HttpConnector for Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let (client, read_timeout) = (self.client.clone(), self.read_timeout);
        HttpConnectorFuture::new(async move { send(&client, read_timeout, request).await })
    }
}

async fn send(
    client: &reqwest::Client,
    read_timeout: Option<Duration>,
    request: HttpRequest,
) -> Result<HttpResponse, ConnectorError> {
    let user = |e: String| ConnectorError::user(e.into());
    let method = reqwest::Method::from_bytes(request.method().as_bytes()).map_err(|e| user(e.to_string()))?;
    let mut outgoing = client.request(method, request.uri());
    for (name, value) in request.headers() {
        outgoing = outgoing.header(name, value);
    }
    let body = request.body().bytes().ok_or_else(|| user("a streaming request body".into()))?.to_vec();
    outgoing = outgoing.body(body);
    if let Some(timeout) = read_timeout {
        outgoing = outgoing.timeout(timeout);
    }
    let response = outgoing.send().await.map_err(failure)?;
    let status = StatusCode::try_from(response.status().as_u16()).map_err(|e| user(e.to_string()))?;
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter_map(|(name, value)| Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned())))
        .collect();
    let bytes = response.bytes().await.map_err(failure)?;
    let mut answer = HttpResponse::new(status, SdkBody::from(bytes));
    for (name, value) in headers {
        answer.headers_mut().append(name, value);
    }
    Ok(answer)
}

/// A timeout, a connection that could not be made or broke (retried by the SDK), or another
/// failure.
fn failure(error: reqwest::Error) -> ConnectorError {
    if error.is_timeout() {
        ConnectorError::timeout(error.into())
    } else if error.is_connect() || error.is_request() || error.is_body() {
        ConnectorError::io(error.into())
    } else {
        ConnectorError::other(error.into(), None)
    }
}
