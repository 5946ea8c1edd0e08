//! Traces over OTLP (`OTEL_*`, the OpenTelemetry SDK's standard variables): on when an OTLP
//! endpoint is set. The SDK reads most of them itself (endpoint, headers, sampler, batch
//! settings); they are checked here first, because the SDK falls back silently on a value it
//! cannot use (an endpoint that does not parse goes to `localhost:4318`, an unknown sampler
//! samples everything), and start-up must name the variable instead.

use super::{ConfigError, Reader, invalid};

/// Whether and where spans are exported, as `crate::otel` takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtelConfig {
    /// The variable that turned export on and the endpoint's origin (`scheme://host:port`, for
    /// the start-up log line: no credentials, no path); `None`: traces are off, no exporter and
    /// no layer.
    pub endpoint: Option<(&'static str, String)>,
    /// `service.name` of every span: `OTEL_SERVICE_NAME`, else a `service.name` in
    /// `OTEL_RESOURCE_ATTRIBUTES` (the SDK reads it; `None` here), else `identity`.
    pub service_name: Option<String>,
}

impl OtelConfig {
    pub fn enabled(&self) -> bool {
        self.endpoint.is_some()
    }
}

/// The samplers of the SDK (`OTEL_TRACES_SAMPLER`), and whether each takes a ratio.
const SAMPLERS: [(&str, bool); 6] = [
    ("always_on", false),
    ("always_off", false),
    ("traceidratio", true),
    ("parentbased_always_on", false),
    ("parentbased_always_off", false),
    ("parentbased_traceidratio", true),
];

pub(super) fn read(r: &Reader<'_>) -> Result<OtelConfig, ConfigError> {
    let disabled = r.boolean("OTEL_SDK_DISABLED", false)?;
    let exporter = r.string("OTEL_TRACES_EXPORTER", "otlp").to_ascii_lowercase();
    if !matches!(exporter.as_str(), "otlp" | "none") {
        return Err(invalid("OTEL_TRACES_EXPORTER", format!("{exporter:?} is not one of otlp, none")));
    }
    for var in ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"] {
        if let Some(protocol) = r.get(var)
            && protocol != "http/protobuf"
        {
            return Err(invalid(
                var,
                format!("{protocol:?} is not supported: this build exports over http/protobuf only"),
            ));
        }
    }
    let mut endpoint = None;
    // The SDK's order: the traces endpoint (used as it is), else the general one (+ /v1/traces).
    for var in ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"] {
        if let Some(value) = r.get(var) {
            let url = reqwest::Url::parse(&value).map_err(|e| invalid(var, format!("not a URL ({e})")))?;
            if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                return Err(invalid(var, "must be an http:// or https:// URL with a host"));
            }
            endpoint = endpoint.or(Some((var, url.origin().ascii_serialization())));
        }
    }
    for var in ["OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS"] {
        // `name=value,name=value` (values percent-encoded); never logged: they hold API keys.
        if let Some(headers) = r.get(var)
            && headers.split(',').any(|pair| pair.split_once('=').is_none_or(|(name, _)| name.trim().is_empty()))
        {
            return Err(invalid(var, "must be name=value pairs separated by commas"));
        }
    }
    if let Some(sampler) = r.get("OTEL_TRACES_SAMPLER") {
        let Some((_, ratio)) = SAMPLERS.iter().find(|(name, _)| *name == sampler) else {
            let names: Vec<&str> = SAMPLERS.iter().map(|(name, _)| *name).collect();
            return Err(invalid("OTEL_TRACES_SAMPLER", format!("{sampler:?} is not one of {}", names.join(", "))));
        };
        if let Some(arg) = r.get("OTEL_TRACES_SAMPLER_ARG")
            && *ratio
            && !arg.parse::<f64>().is_ok_and(|p| (0.0..=1.0).contains(&p))
        {
            return Err(invalid("OTEL_TRACES_SAMPLER_ARG", format!("{arg:?} is not a ratio between 0 and 1")));
        }
    }
    // Milliseconds and sizes of the exporter and its batch processor: the SDK ignores one it
    // cannot parse.
    r.number::<u64>("OTEL_EXPORTER_OTLP_TIMEOUT", 10_000, 1, 600_000)?;
    r.number::<u64>("OTEL_BSP_SCHEDULE_DELAY", 5_000, 1, 3_600_000)?;
    r.number::<u64>("OTEL_BSP_EXPORT_TIMEOUT", 30_000, 1, 600_000)?;
    r.number::<usize>("OTEL_BSP_MAX_QUEUE_SIZE", 2_048, 1, 1_000_000)?;
    r.number::<usize>("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 512, 1, 1_000_000)?;
    let from_attributes = r
        .get("OTEL_RESOURCE_ATTRIBUTES")
        .is_some_and(|attributes| attributes.split(',').any(|pair| pair.trim_start().starts_with("service.name=")));
    let service_name = match r.get("OTEL_SERVICE_NAME") {
        Some(name) => Some(name),
        None if from_attributes => None,
        None => Some("identity".to_owned()),
    };
    let off = disabled || exporter == "none";
    Ok(OtelConfig { endpoint: endpoint.filter(|_| !off), service_name })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_with(vars: &[(&str, &str)]) -> Result<OtelConfig, ConfigError> {
        let vars: std::collections::HashMap<String, String> =
            vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let env = move |name: &str| vars.get(name).cloned();
        read(&Reader { env: &env })
    }

    #[test]
    fn off_without_an_endpoint_and_on_with_either() {
        assert!(!read_with(&[("OTEL_SERVICE_NAME", "x"), ("OTEL_TRACES_SAMPLER", "always_on")]).unwrap().enabled());
        let general = read_with(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")]).unwrap();
        assert_eq!(general.endpoint, Some(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318".to_owned())));
        assert_eq!(general.service_name.as_deref(), Some("identity"));
        let traces = read_with(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://user:pw@traces.example/v1/traces"),
        ])
        .unwrap();
        assert_eq!(
            traces.endpoint,
            Some(("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://traces.example".to_owned())),
            "the origin only: no credentials"
        );
    }

    #[test]
    fn disabled_or_exporter_none_turns_it_off() {
        let endpoint = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318");
        assert!(!read_with(&[endpoint, ("OTEL_SDK_DISABLED", "true")]).unwrap().enabled());
        assert!(!read_with(&[endpoint, ("OTEL_TRACES_EXPORTER", "none")]).unwrap().enabled());
    }

    #[test]
    fn a_value_the_sdk_would_ignore_names_its_variable() {
        let var = |vars: &[(&str, &str)]| read_with(vars).unwrap_err().var;
        assert_eq!(var(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318")]), "OTEL_EXPORTER_OTLP_ENDPOINT");
        assert_eq!(var(&[("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "not a url")]), "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
        assert_eq!(var(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")]), "OTEL_EXPORTER_OTLP_PROTOCOL");
        assert_eq!(var(&[("OTEL_TRACES_SAMPLER", "sometimes")]), "OTEL_TRACES_SAMPLER");
        assert_eq!(
            var(&[("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"), ("OTEL_TRACES_SAMPLER_ARG", "2")]),
            "OTEL_TRACES_SAMPLER_ARG"
        );
        assert_eq!(var(&[("OTEL_EXPORTER_OTLP_HEADERS", "api-key")]), "OTEL_EXPORTER_OTLP_HEADERS");
        assert_eq!(var(&[("OTEL_TRACES_EXPORTER", "jaeger")]), "OTEL_TRACES_EXPORTER");
        assert_eq!(var(&[("OTEL_BSP_SCHEDULE_DELAY", "5s")]), "OTEL_BSP_SCHEDULE_DELAY");
        assert!(read_with(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")]).is_ok());
        assert!(read_with(&[("OTEL_EXPORTER_OTLP_HEADERS", "api-key=s3cret,x-team=id")]).is_ok());
    }

    #[test]
    fn the_service_name_defaults_to_identity_unless_the_resource_names_one() {
        let name = |vars: &[(&str, &str)]| read_with(vars).unwrap().service_name;
        assert_eq!(name(&[]).as_deref(), Some("identity"));
        assert_eq!(name(&[("OTEL_SERVICE_NAME", "identity-eu")]).as_deref(), Some("identity-eu"));
        assert_eq!(name(&[("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod,service.name=auth")]), None);
    }
}
