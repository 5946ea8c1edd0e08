//! AWS Secrets Manager through the official AWS SDK for Rust: the JSON secret of a database
//! (`DATABASE_SECRET_ARN`), fetched at start-up and again when the database refuses the
//! credentials it held (a rotated secret).
//!
//! Credentials and region come from the SDK's standard chain: the environment
//! (`AWS_ACCESS_KEY_ID`…), a web identity token (`AWS_WEB_IDENTITY_TOKEN_FILE` and
//! `AWS_ROLE_ARN`: IRSA on EKS, through STS), ECS and EC2 instance metadata, the shared files.
//! `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_SECRETS_MANAGER`) points it elsewhere (a VPC
//! endpoint, a local server in tests). A secret named by its ARN is fetched from the ARN's
//! region whatever the chain says.

use std::time::Duration;

use aws_config::{BehaviorVersion, Region};
pub use aws_sdk_secretsmanager::error::DisplayErrorContext;
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use secrecy::SecretString;

mod http;
#[cfg(feature = "testing")]
pub mod testing;

pub use http::http_client;

/// The longest a connection to the endpoint may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// The longest one attempt of a call may take (the SDK retries a failed attempt twice).
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a secret could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// Worth retrying: the endpoint did not answer, or answered that it is busy or failing.
    #[error("AWS Secrets Manager is not reachable: {0}")]
    Unreachable(String),
    /// A configuration error: no region or credentials, access denied, no such secret, a
    /// secret that is not text.
    #[error("AWS Secrets Manager refused: {0}")]
    Refused(String),
}

impl FetchError {
    /// Whether the same call may succeed later without a change of configuration.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unreachable(_))
    }
}

/// Error codes of Secrets Manager that say "later", not "never".
const TRANSIENT_CODES: [&str; 4] =
    ["InternalServiceError", "ThrottlingException", "ServiceUnavailable", "RequestTimeout"];

/// A Secrets Manager client.
#[derive(Debug, Clone)]
pub struct SecretsManager {
    client: aws_sdk_secretsmanager::Client,
}

impl SecretsManager {
    /// A client configured by the standard chain (see the crate's documentation). `secret_id`
    /// is the secret the client is for: when it is an ARN, its region is the one used.
    pub async fn from_env(secret_id: &str) -> Result<Self, FetchError> {
        let http = http_client(CONNECT_TIMEOUT).map_err(|e| FetchError::Refused(format!("the HTTP client: {e}")))?;
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http).timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .build(),
        );
        if let Some(region) = arn_region(secret_id) {
            loader = loader.region(Region::new(region.to_owned()));
        }
        let config = loader.load().await;
        if config.region().is_none() {
            return Err(FetchError::Refused(
                "no AWS region: set AWS_REGION, or name the secret by its ARN (which holds the region)".into(),
            ));
        }
        Ok(Self { client: aws_sdk_secretsmanager::Client::new(&config) })
    }

    /// A client of the given configuration (tests: an endpoint and static credentials).
    pub fn with_config(config: aws_sdk_secretsmanager::Config) -> Self {
        Self { client: aws_sdk_secretsmanager::Client::from_conf(config) }
    }

    /// The current text of a secret (its `AWSCURRENT` version), by ARN or name.
    pub async fn fetch(&self, secret_id: &str) -> Result<SecretString, FetchError> {
        let output = self.client.get_secret_value().secret_id(secret_id).send().await.map_err(classify)?;
        match output.secret_string() {
            Some(text) => Ok(SecretString::from(text.to_owned())),
            None if output.secret_binary().is_some() => {
                Err(FetchError::Refused("the secret holds binary data, not the JSON text of a database secret".into()))
            }
            None => Err(FetchError::Refused("the secret has no value".into())),
        }
    }

    /// The SDK client, for what this crate does not wrap (tests create and rotate secrets).
    pub fn client(&self) -> &aws_sdk_secretsmanager::Client {
        &self.client
    }
}

/// The region of `arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME`, if it is one.
fn arn_region(secret_id: &str) -> Option<&str> {
    let mut parts = secret_id.splitn(6, ':');
    let (arn, _partition, service, region) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    (arn == "arn" && service == "secretsmanager" && !region.is_empty()).then_some(region)
}

/// Tells an outage from a refusal. The text keeps the SDK's whole chain of causes (its
/// `Display` alone says only "dispatch failure" or "service error").
fn classify<E, R>(error: SdkError<E, R>) -> FetchError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let text = DisplayErrorContext(&error).to_string();
    let transient = match &error {
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) => true,
        SdkError::DispatchFailure(failure) => failure.is_io() || failure.is_timeout(),
        SdkError::ServiceError(service) => service.err().code().is_some_and(|code| TRANSIENT_CODES.contains(&code)),
        _ => false,
    };
    if transient { FetchError::Unreachable(text) } else { FetchError::Refused(text) }
}

#[cfg(test)]
mod tests {
    use super::arn_region;

    #[test]
    fn the_region_of_a_secret_arn() {
        assert_eq!(arn_region("arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"), Some("eu-west-1"));
        assert_eq!(arn_region("arn:aws-cn:secretsmanager:cn-north-1:1:secret:db"), Some("cn-north-1"));
        assert_eq!(arn_region("prod/identity/db"), None);
        assert_eq!(arn_region("arn:aws:ssm:eu-west-1:1:parameter/x"), None);
        assert_eq!(arn_region("arn:aws:secretsmanager::1:secret:db"), None);
    }
}
