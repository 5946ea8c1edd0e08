//! Namespaced admin settings: each namespace has a fixed schema; fields marked secret are
//! stored sealed (encrypted) with a non-secret hint, and never leave the service in clear.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::domain::{FieldError, UserId, ValidationErrors};

/// The type and rules of one setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Free text of 1 to `max` characters, no control characters.
    Text { max: usize },
    /// An absolute `http://` or `https://` URL with a host, at most 2048 characters
    /// (see [`URL_PATTERN`]).
    Url,
    /// One of the listed values.
    Choice(&'static [&'static str]),
    /// A whole number in `min..=max`.
    Integer { min: i64, max: i64 },
    /// A secret string (an API key) of 1 to 4096 visible characters: sealed at rest, shown
    /// only as a hint.
    Secret,
}

/// The URLs a [`FieldKind::Url`] setting takes, as the ECMA-262 pattern the OpenAPI document
/// states: http(s); a host name whose last label starts with a letter (`localhost`,
/// `api.openai.com`) or an IPv4 address (`127.0.0.1`); an optional port (1–65535); a path; no
/// credentials, query or fragment. [`check`] tests exactly this form, then parses the URL.
pub const URL_PATTERN: &str = concat!(
    r"^[Hh][Tt][Tt][Pp][Ss]?://",
    r"(?:(?:[A-Za-z0-9-]+\.)*[A-Za-z][A-Za-z0-9-]*",
    r"|(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9]))",
    r"(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?",
    r"(?:/[^\s?#\u0000-\u001F\u007F-\u009F]*)?$",
);
/// The longest URL setting, in characters.
pub const URL_MAX: usize = 2048;
/// The longest secret setting, in characters.
pub const SECRET_MAX: usize = 4096;

/// One setting of a namespace.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldSpec {
    pub name: &'static str,
    pub kind: FieldKind,
    /// What the setting is when nothing is stored (`None`: unset).
    pub default: Option<DefaultValue>,
    pub description: &'static str,
}

/// A default (a `const`-friendly subset of JSON).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DefaultValue {
    Str(&'static str),
    Int(i64),
}

impl DefaultValue {
    pub fn to_json(self) -> Value {
        match self {
            Self::Str(s) => Value::from(s),
            Self::Int(n) => Value::from(n),
        }
    }
}

/// Which connection check `POST …/test` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// An OpenAI-style provider: `GET {base_url}/models` with the API key.
    AiProvider,
    /// Nothing to connect to: the check is that the stored settings are valid.
    None,
}

/// A settings namespace and its schema.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Namespace {
    pub name: &'static str,
    pub description: &'static str,
    pub fields: &'static [FieldSpec],
    pub probe: Probe,
}

/// AI providers the `ai` namespace knows how to reach.
pub const AI_PROVIDERS: &[&str] = &["openai", "anthropic", "azure_openai", "ollama", "openai_compatible"];

pub const AI: Namespace = Namespace {
    name: "ai",
    description: "The AI provider that AI features call",
    fields: &[
        FieldSpec {
            name: "provider",
            kind: FieldKind::Choice(AI_PROVIDERS),
            default: Some(DefaultValue::Str("openai")),
            description: "Which API the base URL speaks",
        },
        FieldSpec {
            name: "base_url",
            kind: FieldKind::Url,
            default: None,
            description: "API base URL; unset uses the provider's public endpoint",
        },
        FieldSpec {
            name: "model",
            kind: FieldKind::Text { max: 200 },
            default: Some(DefaultValue::Str("gpt-4o-mini")),
            description: "Model name",
        },
        FieldSpec { name: "api_key", kind: FieldKind::Secret, default: None, description: "API key (secret)" },
    ],
    probe: Probe::AiProvider,
};

pub const DOCUMENTS: Namespace = Namespace {
    name: "documents",
    description: "Limits of the document service",
    fields: &[FieldSpec {
        name: "max_upload_size_mb",
        kind: FieldKind::Integer { min: 1, max: 1024 },
        default: Some(DefaultValue::Int(25)),
        description: "Largest upload accepted, in MiB",
    }],
    probe: Probe::None,
};

impl Namespace {
    pub const ALL: [Namespace; 2] = [AI, DOCUMENTS];

    pub fn find(name: &str) -> Option<Namespace> {
        Self::ALL.into_iter().find(|ns| ns.name == name)
    }

    pub fn field(&self, name: &str) -> Option<&'static FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Validates a JSON merge patch of this namespace: every key must be a field, every value
    /// valid for it or `null` (back to the default; a secret is removed). Reports every
    /// problem at once.
    pub fn validate_patch(&self, patch: &Value) -> Result<SettingsPatch, ValidationErrors> {
        let Value::Object(entries) = patch else {
            return Err(ValidationErrors::single(FieldError::new(
                "body",
                "invalid_type",
                "a JSON object of settings is expected",
            )));
        };
        let mut errors = ValidationErrors::new();
        let mut values = BTreeMap::new();
        let mut secrets = BTreeMap::new();
        for (key, raw) in entries {
            let Some(spec) = self.field(key) else {
                let known: Vec<&str> = self.fields.iter().map(|f| f.name).collect();
                errors.push(FieldError::new(
                    key.clone(),
                    "unknown_field",
                    format!("{:?} has no setting {key:?} (known: {})", self.name, known.join(", ")),
                ));
                continue;
            };
            if raw.is_null() {
                if spec.kind == FieldKind::Secret {
                    secrets.insert(spec.name, SecretChange::Clear);
                } else {
                    values.insert(spec.name, None);
                }
                continue;
            }
            match (spec.kind, check(spec, raw)) {
                (_, Err(error)) => errors.push(error),
                (FieldKind::Secret, Ok(Value::String(secret))) => {
                    secrets.insert(spec.name, SecretChange::Set(SecretValue::new(secret)));
                }
                (_, Ok(value)) => {
                    values.insert(spec.name, Some(value));
                }
            }
        }
        errors.into_result()?;
        Ok(SettingsPatch { values, secrets })
    }
}

fn check(spec: &FieldSpec, raw: &Value) -> Result<Value, FieldError> {
    let name = spec.name;
    let wrong_type = |what: &str| FieldError::new(name, "invalid_type", format!("{name} must be {what}"));
    match spec.kind {
        FieldKind::Text { max } => {
            let untrimmed = raw.as_str().ok_or_else(|| wrong_type("a string"))?;
            let text = untrimmed.trim();
            if text.is_empty() || text.chars().count() > max {
                return Err(FieldError::new(name, "invalid_length", format!("{name} has 1 to {max} characters")));
            }
            if untrimmed.chars().any(char::is_control) {
                return Err(FieldError::new(
                    name,
                    "invalid_characters",
                    format!("{name} may not contain control characters"),
                ));
            }
            Ok(Value::from(text))
        }
        FieldKind::Url => {
            // Untrimmed: the form is exactly `URL_PATTERN`'s, surrounding spaces included.
            let text = raw.as_str().ok_or_else(|| wrong_type("a URL string"))?;
            let invalid = || FieldError::new(name, "invalid_url", format!("{name} must be an absolute http(s) URL"));
            if !url_in_pattern(text) || text.chars().count() > URL_MAX {
                return Err(invalid());
            }
            // What the pattern takes, the parser takes; parsed all the same, so nothing that
            // is no URL is ever stored.
            url::Url::parse(text).map_err(|_| invalid())?;
            Ok(Value::from(text.trim_end_matches('/')))
        }
        FieldKind::Choice(options) => {
            let text = raw.as_str().ok_or_else(|| wrong_type("a string"))?;
            if !options.contains(&text) {
                return Err(FieldError::new(
                    name,
                    "invalid_choice",
                    format!("{name} is one of {}", options.join(", ")),
                ));
            }
            Ok(Value::from(text))
        }
        FieldKind::Integer { min, max } => {
            let n = crate::domain::whole_number(raw).ok_or_else(|| wrong_type("a whole number"))?;
            if !(min..=max).contains(&n) {
                return Err(FieldError::new(name, "out_of_range", format!("{name} is between {min} and {max}")));
            }
            Ok(Value::from(n))
        }
        FieldKind::Secret => {
            let text = raw.as_str().ok_or_else(|| wrong_type("a string"))?;
            if text.is_empty()
                || text.chars().count() > SECRET_MAX
                || text.chars().any(|c| c.is_control() || c.is_whitespace())
            {
                return Err(FieldError::new(
                    name,
                    "invalid_secret",
                    format!("{name} has 1 to {SECRET_MAX} visible characters (send null to remove it)"),
                ));
            }
            Ok(Value::from(text))
        }
    }
}

/// Whether `text` is in the form [`URL_PATTERN`] states.
fn url_in_pattern(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let Some(rest) = lower.strip_prefix("http://").or_else(|| lower.strip_prefix("https://")) else {
        return false;
    };
    let rest = &text[text.len() - rest.len()..];
    let (authority, path) = rest.find('/').map_or((rest, ""), |at| rest.split_at(at));
    let (host, port) = authority.split_once(':').map_or((authority, None), |(h, p)| (h, Some(p)));
    let labels: Vec<&str> = host.split('.').collect();
    let name = labels.iter().all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        && labels.last().is_some_and(|l| l.as_bytes()[0].is_ascii_alphabetic());
    let octet = |l: &&str| number_without_leading_zero(l).is_some_and(|n| n <= 255);
    let ipv4 = labels.len() == 4 && labels.iter().all(octet);
    let host_ok = name || ipv4;
    let port_ok = port.is_none_or(|p| number_without_leading_zero(p).is_some_and(|n| (1..=65535).contains(&n)));
    let path_ok = path.chars().all(|c| !c.is_whitespace() && !c.is_control() && c != '?' && c != '#');
    host_ok && port_ok && path_ok
}

/// `0`, `7`, `255`, but not `007` or `+7`.
fn number_without_leading_zero(text: &str) -> Option<u32> {
    let digits = !text.is_empty() && text.len() <= 5 && text.bytes().all(|b| b.is_ascii_digit());
    (digits && (text == "0" || !text.starts_with('0'))).then(|| text.parse().ok()).flatten()
}

/// A secret in clear, in memory only. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(String);

impl SecretValue {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What may be shown of it: `sk-…abcd` (first three and last four characters) for
    /// secrets of 16 characters or more, only `…` for shorter ones.
    pub fn hint(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        if chars.len() < 16 {
            return "…".to_owned();
        }
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}…{tail}")
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue(…)")
    }
}

/// What a patch does to a secret.
#[derive(Debug, Clone, PartialEq)]
pub enum SecretChange {
    Set(SecretValue),
    Clear,
}

/// A validated patch: `values` maps a field to its new value (`None`: back to the default).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SettingsPatch {
    pub values: BTreeMap<&'static str, Option<Value>>,
    pub secrets: BTreeMap<&'static str, SecretChange>,
}

/// A secret at rest: the sealed value and the hint shown instead of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedSecret {
    pub sealed: String,
    pub hint: String,
}

/// A namespace as stored: values that differ from nothing (defaults are not stored), and
/// sealed secrets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoredSettings {
    pub values: Map<String, Value>,
    pub secrets: BTreeMap<String, SealedSecret>,
    pub updated_at: Option<DateTime<Utc>>,
    pub updated_by: Option<UserId>,
}

impl StoredSettings {
    /// Every field of `namespace` with its stored value or default (`null` when unset);
    /// secrets appear as their hint, or `null` when not set.
    pub fn effective(&self, namespace: &Namespace) -> Map<String, Value> {
        namespace
            .fields
            .iter()
            .map(|spec| {
                let value = match spec.kind {
                    FieldKind::Secret => {
                        self.secrets.get(spec.name).map_or(Value::Null, |s| Value::from(s.hint.clone()))
                    }
                    _ => self
                        .values
                        .get(spec.name)
                        .cloned()
                        .or_else(|| spec.default.map(DefaultValue::to_json))
                        .unwrap_or(Value::Null),
                };
                (spec.name.to_owned(), value)
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fields(errors: &ValidationErrors) -> Vec<(&str, &str)> {
        errors.errors().iter().map(|e| (e.field.as_str(), e.code)).collect()
    }

    /// The URLs the document's `URL_PATTERN` states are the URLs the check takes: host names,
    /// IPv4 addresses and ports in range in; IPv6, numeric last labels, spaces and leading
    /// zeros out.
    #[test]
    fn urls_take_the_documented_form() {
        let ok = |url: &str| AI.validate_patch(&json!({ "base_url": url })).is_ok();
        for good in [
            "http://localhost:11434",
            "HTTPS://api.openai.com/v1",
            "http://127.0.0.1:65535/v1/",
            "http://0.0.0.0",
            "https://my-proxy.internal.example:8443/openai/v1",
            "http://a-b.c1/path/with%20escape/and:colon@at",
        ] {
            assert!(ok(good), "{good}");
        }
        for bad in [
            "http://[::1]:11434",
            "http://1.2.3",
            "http://1.2.3.256",
            "http://01.2.3.4",
            "http://host:0",
            "http://host:65536",
            "http://host:080",
            "http://host/a b",
            "http://host/a\u{85}b",
            "http://ho_st",
            "http://host.",
            "http://host#top",
        ] {
            assert!(!ok(bad), "{bad}");
        }
    }

    /// JSON Schema's `integer` is a whole number, however it is written: `419.0` is 419.
    #[test]
    fn whole_numbers_written_with_a_fraction_are_integers() {
        let patch = DOCUMENTS.validate_patch(&json!({ "max_upload_size_mb": 419.0 })).unwrap();
        assert_eq!(patch.values["max_upload_size_mb"], Some(json!(419)));
        let errors = DOCUMENTS.validate_patch(&json!({ "max_upload_size_mb": 419.5 })).unwrap_err();
        assert_eq!(fields(&errors), [("max_upload_size_mb", "invalid_type")]);
    }

    #[test]
    fn patches_are_checked_field_by_field() {
        let patch = AI
            .validate_patch(&json!({
                "provider": "anthropic",
                "base_url": "https://api.example.com/v1/",
                "model": " claude ",
                "api_key": "sk-ant-0123456789abcdef",
            }))
            .unwrap();
        assert_eq!(patch.values["base_url"], Some(json!("https://api.example.com/v1")));
        assert_eq!(patch.values["model"], Some(json!("claude")));
        assert!(matches!(&patch.secrets["api_key"], SecretChange::Set(s) if s.expose() == "sk-ant-0123456789abcdef"));

        let errors = AI
            .validate_patch(&json!({
                "provider": "skynet",
                "base_url": "ftp://x",
                "model": "",
                "api_key": 42,
                "temperature": 1,
            }))
            .unwrap_err();
        let mut got = fields(&errors);
        got.sort();
        assert_eq!(
            got,
            [
                ("api_key", "invalid_type"),
                ("base_url", "invalid_url"),
                ("model", "invalid_length"),
                ("provider", "invalid_choice"),
                ("temperature", "unknown_field")
            ]
        );
        for bad in ["https://user:pw@host/v1", "https://host/v1?x=1", "not a url", "https://"] {
            assert_eq!(
                fields(&AI.validate_patch(&json!({ "base_url": bad })).unwrap_err()),
                [("base_url", "invalid_url")],
                "{bad}"
            );
        }
        let limits = DOCUMENTS.validate_patch(&json!({ "max_upload_size_mb": 0 })).unwrap_err();
        assert_eq!(fields(&limits), [("max_upload_size_mb", "out_of_range")]);
        let limits = DOCUMENTS.validate_patch(&json!({ "max_upload_size_mb": 2.5 })).unwrap_err();
        assert_eq!(fields(&limits), [("max_upload_size_mb", "invalid_type")]);
        assert_eq!(fields(&DOCUMENTS.validate_patch(&json!([])).unwrap_err()), [("body", "invalid_type")]);
    }

    #[test]
    fn null_resets_and_clears() {
        let patch = AI.validate_patch(&json!({ "model": null, "api_key": null })).unwrap();
        assert_eq!(patch.values["model"], None);
        assert_eq!(patch.secrets["api_key"], SecretChange::Clear);
    }

    #[test]
    fn hints_show_little_and_debug_nothing() {
        assert_eq!(SecretValue::new("sk-proj-abcdefghijklmnop1234").hint(), "sk-…1234");
        assert_eq!(SecretValue::new("short-secret").hint(), "…");
        assert_eq!(format!("{:?}", SecretValue::new("sk-proj-abcdefghijklmnop1234")), "SecretValue(…)");
    }

    #[test]
    fn effective_settings_fill_in_defaults_and_hide_secrets() {
        let mut stored = StoredSettings::default();
        stored.values.insert("model".into(), json!("gpt-4.1"));
        stored.secrets.insert("api_key".into(), SealedSecret { sealed: "v1:…".into(), hint: "sk-…abcd".into() });
        let view = stored.effective(&AI);
        assert_eq!(
            Value::Object(view),
            json!({ "provider": "openai", "base_url": null, "model": "gpt-4.1", "api_key": "sk-…abcd" })
        );
        assert_eq!(Value::Object(StoredSettings::default().effective(&DOCUMENTS)), json!({ "max_upload_size_mb": 25 }));
    }
}
