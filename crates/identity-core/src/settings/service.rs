//! Admin settings: namespaced, schema-checked, with secrets sealed at rest and shown only as
//! hints; and each namespace's connection check.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use std::sync::Arc;

use crate::authz::{Need, authorize};
use crate::domain::UserId;
use crate::domain::settings::{Namespace, Probe, SealedSecret, SecretChange, SecretValue, StoredSettings};
use crate::kernel::context::Context;
use crate::ports::{HttpProbe, ProbeRequest, ProbeResponse, SecretBox, SettingsRepository, UnitOfWork};
use crate::usecases::{Authenticated, CoreError};

/// A namespace as admins see it: every field with its value or default, secrets as hints.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingsView {
    pub namespace: Namespace,
    pub values: Map<String, Value>,
    pub updated_at: Option<DateTime<Utc>>,
    pub updated_by: Option<UserId>,
}

/// How a connection check went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeOutcome {
    pub ok: bool,
    /// The HTTP status the remote answered with, when it answered.
    pub status: Option<u16>,
    pub latency_ms: u64,
    /// A human explanation (never a secret).
    pub detail: String,
}

/// How long a connection check may take.
const PROBE_TIMEOUT: StdDuration = StdDuration::from_secs(10);

fn namespace(name: &str) -> Result<Namespace, CoreError> {
    Namespace::find(name).ok_or(CoreError::NotFound)
}

fn context(namespace: &Namespace, field: &str) -> String {
    format!("settings/{}/{field}", namespace.name)
}

/// Admin settings: namespaces, their values with secrets sealed at rest, and their
/// connection checks.
#[derive(Clone)]
pub struct SettingsService {
    pub(crate) ctx: Context,
    pub(crate) settings: Arc<dyn SettingsRepository>,
    pub(crate) uow: Arc<dyn UnitOfWork>,
    pub(crate) secret_box: Arc<dyn SecretBox>,
    pub(crate) probe: Arc<dyn HttpProbe>,
}

impl SettingsService {
    /// The namespaces and their schemas.
    pub fn settings_namespaces(&self, auth: &Authenticated) -> Result<Vec<Namespace>, CoreError> {
        authorize(auth, Need::ADMIN)?;
        Ok(Namespace::ALL.to_vec())
    }

    /// One namespace's settings; an unknown namespace is 404.
    pub async fn get_settings(&self, auth: &Authenticated, name: &str) -> Result<SettingsView, CoreError> {
        authorize(auth, Need::ADMIN)?;
        let namespace = namespace(name)?;
        let stored = self.settings.get_settings(namespace.name).await?.unwrap_or_default();
        Ok(view(namespace, &stored))
    }

    /// Applies a JSON merge patch: listed fields change (`null`: back to the default, or a
    /// secret removed), the rest stay. Secrets left out are kept; a secret sent back as its
    /// own hint (a form that round-trips what it was shown) is kept too.
    pub async fn patch_settings(
        &self,
        auth: &Authenticated,
        name: &str,
        patch: &Value,
    ) -> Result<SettingsView, CoreError> {
        authorize(auth, Need::ADMIN)?;
        let namespace = namespace(name)?;
        let patch = namespace.validate_patch(patch)?;
        let mut tx = self.uow.begin().await?;
        let mut stored = tx.settings().lock_settings(namespace.name).await?;
        let mut changed = Vec::new();
        for (field, value) in &patch.values {
            let before = stored.values.get(*field).cloned();
            match value {
                Some(value) => stored.values.insert((*field).to_owned(), value.clone()),
                None => stored.values.remove(*field),
            };
            if stored.values.get(*field) != before.as_ref() {
                changed.push(*field);
            }
        }
        for (field, change) in &patch.secrets {
            match change {
                SecretChange::Set(secret) => {
                    if stored.secrets.get(*field).is_some_and(|s| s.hint == secret.expose()) {
                        continue;
                    }
                    let sealed =
                        self.secret_box.seal(secret, &context(&namespace, field)).map_err(CoreError::Internal)?;
                    stored.secrets.insert((*field).to_owned(), SealedSecret { sealed, hint: secret.hint() });
                }
                SecretChange::Clear => {
                    if stored.secrets.remove(*field).is_none() {
                        continue;
                    }
                }
            }
            changed.push(*field);
        }
        if changed.is_empty() {
            return Ok(view(namespace, &stored));
        }
        stored.updated_at = Some(self.ctx.now());
        stored.updated_by = Some(auth.user.id);
        tx.settings().put_settings(namespace.name, &stored).await?;
        // Names only: values of secret fields never reach the audit log.
        let metadata = serde_json::json!({ "namespace": namespace.name, "changed": changed });
        self.ctx
            .finish(tx, &[], self.ctx.audit_entry("settings.updated", Some(auth.user.id), None, &auth.client, metadata))
            .await?;
        Ok(view(namespace, &stored))
    }

    /// One namespace's settings for another service (`settings:read:<namespace>`): every field
    /// with its value or default, secrets **in clear** (the only place they are), a secret that
    /// is not set as `null`. Audited on every read as `settings.read` (namespace and client;
    /// never a value). A secret that no longer opens (the key changed) is a server error: the
    /// service must not run on a wrong secret.
    pub async fn reveal(
        &self,
        caller: &crate::domain::ServiceCaller,
        name: &str,
    ) -> Result<(Namespace, Map<String, Value>), CoreError> {
        let namespace = namespace(name);
        crate::authz::authorize_service(caller, &crate::domain::Scope::settings_read(name))?;
        let namespace = namespace?;
        let stored = self.settings.get_settings(namespace.name).await?.unwrap_or_default();
        let mut values = stored.effective(&namespace);
        for field in namespace.fields.iter().filter(|f| matches!(f.kind, crate::domain::settings::FieldKind::Secret)) {
            let value = match stored.secrets.get(field.name) {
                Some(sealed) => Value::String(
                    self.secret_box
                        .open(&sealed.sealed, &context(&namespace, field.name))
                        .map_err(CoreError::Internal)?
                        .expose()
                        .to_owned(),
                ),
                None => Value::Null,
            };
            values.insert(field.name.to_owned(), value);
        }
        let metadata = serde_json::json!({
            "namespace": namespace.name,
            "service_client": caller.client_id.to_string(),
            "name": caller.name,
        });
        let tx = self.uow.begin().await?;
        self.ctx.finish(tx, &[], self.ctx.audit_entry("settings.read", None, None, &caller.client, metadata)).await?;
        Ok((namespace, values))
    }

    /// Runs the namespace's connection check with the stored settings, or with `patch`
    /// applied over them (to try values before saving them). Nothing is stored.
    pub async fn test_settings(
        &self,
        auth: &Authenticated,
        name: &str,
        patch: Option<&Value>,
    ) -> Result<ProbeOutcome, CoreError> {
        authorize(auth, Need::ADMIN)?;
        let namespace = namespace(name)?;
        let patch = match patch {
            Some(patch) => namespace.validate_patch(patch)?,
            None => Default::default(),
        };
        let stored = self.settings.get_settings(namespace.name).await?.unwrap_or_default();
        let mut values = stored.effective(&namespace);
        for (field, value) in &patch.values {
            let default = namespace.field(field).and_then(|f| f.default).map(|d| d.to_json());
            values.insert((*field).to_owned(), value.clone().or(default).unwrap_or(Value::Null));
        }
        // A stored secret that does not open (the key changed) fails the check, it is not a
        // server error: the admin can enter the secret again.
        let secret = |field: &str| -> Result<Option<SecretValue>, String> {
            match patch.secrets.get(field) {
                Some(SecretChange::Set(s)) if stored.secrets.get(field).is_none_or(|old| old.hint != s.expose()) => {
                    Ok(Some(s.clone()))
                }
                Some(SecretChange::Clear) => Ok(None),
                _ => match stored.secrets.get(field) {
                    Some(sealed) => self
                        .secret_box
                        .open(&sealed.sealed, &context(&namespace, field))
                        .map(Some)
                        .map_err(|e| format!("the stored {field} cannot be opened ({e}); enter it again")),
                    None => Ok(None),
                },
            }
        };
        let unusable = |detail: String| ProbeOutcome { ok: false, status: None, latency_ms: 0, detail };
        let outcome = match namespace.probe {
            Probe::None => ProbeOutcome {
                ok: true,
                status: None,
                latency_ms: 0,
                detail: format!("{} has nothing to connect to; its settings are valid", namespace.name),
            },
            Probe::AiProvider => match secret("api_key") {
                Ok(key) => self.probe_ai(&values, key).await,
                Err(detail) => unusable(detail),
            },
        };
        let metadata = serde_json::json!({ "namespace": namespace.name, "ok": outcome.ok, "status": outcome.status });
        let tx = self.uow.begin().await?;
        self.ctx
            .finish(tx, &[], self.ctx.audit_entry("settings.tested", Some(auth.user.id), None, &auth.client, metadata))
            .await?;
        Ok(outcome)
    }

    /// `GET {base_url}/models` with the provider's way of sending the key.
    async fn probe_ai(&self, values: &Map<String, Value>, api_key: Option<SecretValue>) -> ProbeOutcome {
        let provider = values.get("provider").and_then(Value::as_str).unwrap_or("openai");
        let base_url = values.get("base_url").and_then(Value::as_str).map(str::to_owned);
        let (default_base, key_header, key_required) = match provider {
            "anthropic" => (Some("https://api.anthropic.com/v1"), "x-api-key", true),
            "azure_openai" => (None, "api-key", true),
            "ollama" => (Some("http://localhost:11434/v1"), "authorization", false),
            "openai_compatible" => (None, "authorization", false),
            _ => (Some("https://api.openai.com/v1"), "authorization", true),
        };
        let failed = |detail: String| ProbeOutcome { ok: false, status: None, latency_ms: 0, detail };
        let Some(base) = base_url.or(default_base.map(str::to_owned)) else {
            return failed(format!("base_url is required for provider {provider}"));
        };
        if key_required && api_key.is_none() {
            return failed(format!("api_key is not set; provider {provider} needs one"));
        }
        let url = match provider {
            "azure_openai" => format!("{base}/openai/models?api-version=2024-10-21"),
            _ => format!("{base}/models"),
        };
        let mut headers = Vec::new();
        if let Some(key) = api_key {
            let value = if key_header == "authorization" {
                format!("Bearer {}", key.expose())
            } else {
                key.expose().to_owned()
            };
            headers.push((key_header.to_owned(), SecretValue::new(value)));
        }
        if provider == "anthropic" {
            headers.push(("anthropic-version".to_owned(), SecretValue::new("2023-06-01")));
        }
        let started = self.ctx.now();
        let response = self.probe.get(&ProbeRequest { url, headers, timeout: PROBE_TIMEOUT }).await;
        let latency_ms = u64::try_from((self.ctx.now() - started).num_milliseconds()).unwrap_or(0);
        match response {
            ProbeResponse::Status(status) if (200..300).contains(&status) => ProbeOutcome {
                ok: true,
                status: Some(status),
                latency_ms,
                detail: format!("{provider} answered HTTP {status}"),
            },
            ProbeResponse::Status(status @ (401 | 403)) => ProbeOutcome {
                ok: false,
                status: Some(status),
                latency_ms,
                detail: format!("{provider} refused the API key (HTTP {status})"),
            },
            ProbeResponse::Status(404) => ProbeOutcome {
                ok: false,
                status: Some(404),
                latency_ms,
                detail: "HTTP 404: check the base URL".to_owned(),
            },
            ProbeResponse::Status(status) => ProbeOutcome {
                ok: false,
                status: Some(status),
                latency_ms,
                detail: format!("{provider} answered HTTP {status}"),
            },
            ProbeResponse::Failed(reason) => {
                ProbeOutcome { ok: false, status: None, latency_ms, detail: format!("no answer: {reason}") }
            }
        }
    }
}

fn view(namespace: Namespace, stored: &StoredSettings) -> SettingsView {
    SettingsView {
        namespace,
        values: stored.effective(&namespace),
        updated_at: stored.updated_at,
        updated_by: stored.updated_by,
    }
}
