#![allow(clippy::unwrap_used, clippy::expect_used)]

//! Traces over OTLP (docs/operations.md): the real server, started with
//! `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at a receiver the test runs, exports the spans of a
//! request as children of the caller's `traceparent`, with its queries and its password hash
//! beneath, and the event the request recorded leaves through RabbitMQ with a `traceparent` of
//! the same trace; a proxied request hands the trace on to its upstream, and a consumed message
//! continues the trace its headers carry. Without an endpoint nothing is started.

use std::io::Read;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use identity_postgres::testkit::TestDatabase;
use lapin::options::{
    BasicGetOptions, ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Connection, ConnectionProperties, ExchangeKind};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{PASSWORD, Process, eventually, free_port, server_command, unique_email, wait_until_up};

/// One request the receiver took: its path and headers; for an export, the resource's
/// `service.name` and its spans.
#[derive(Clone)]
struct Export {
    path: String,
    headers: Vec<(String, String)>,
    service: Option<String>,
    spans: Vec<Span>,
}

type Exports = Arc<Mutex<Vec<Export>>>;

/// An OTLP/HTTP receiver: answers every request 200 and keeps what it decoded (it stands for
/// the proxy's upstream too).
struct Receiver {
    port: u16,
    exports: Exports,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let exports = Arc::new(Mutex::new(Vec::new()));
        let kept = exports.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve_connection(stream, kept.clone()));
            }
        });
        Self { port, exports, task }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn spans(&self) -> Vec<Span> {
        self.exports.lock().unwrap().iter().flat_map(|export| export.spans.clone()).collect()
    }

    fn exports(&self) -> Vec<Export> {
        self.exports.lock().unwrap().iter().filter(|export| export.path == "/v1/traces").cloned().collect()
    }

    /// The headers of the requests to `path`.
    fn requests_to(&self, path: &str) -> Vec<Vec<(String, String)>> {
        let exports = self.exports.lock().unwrap();
        exports.iter().filter(|export| export.path == path).map(|export| export.headers.clone()).collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// HTTP/1.1 requests on one (kept-alive) connection, each with a `Content-Length` body.
async fn serve_connection(mut stream: tokio::net::TcpStream, exports: Exports) {
    let mut buffer = Vec::new();
    loop {
        let head_end = loop {
            if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
            let mut chunk = [0u8; 8192];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
        let path = head.split_whitespace().nth(1).unwrap_or_default().to_owned();
        let length: usize = head
            .lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
            .and_then(|(_, value)| value.trim().parse().ok())
            .unwrap_or(0);
        while buffer.len() < head_end + length {
            let mut chunk = [0u8; 8192];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        }
        let body: Vec<u8> = buffer.drain(..head_end + length).skip(head_end).collect();
        let headers: Vec<(String, String)> = head
            .lines()
            .skip(1)
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        if path != "/v1/traces" {
            exports.lock().unwrap().push(Export {
                path: path.clone(),
                headers: headers.clone(),
                service: None,
                spans: Vec::new(),
            });
        }
        let request = if path == "/v1/traces" {
            ExportTraceServiceRequest::decode(body.as_slice()).unwrap_or_default()
        } else {
            ExportTraceServiceRequest::default()
        };
        for resource in request.resource_spans {
            let service = resource.resource.as_ref().and_then(|r| {
                r.attributes.iter().find(|kv| kv.key == "service.name").and_then(|kv| string(kv.value.as_ref()?))
            });
            let spans = resource.scope_spans.into_iter().flat_map(|scope| scope.spans).collect();
            exports.lock().unwrap().push(Export { path: path.clone(), headers: headers.clone(), service, spans });
        }
        let answer = "HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n";
        if stream.write_all(answer.as_bytes()).await.is_err() {
            return;
        }
    }
}

fn string(value: &opentelemetry_proto::tonic::common::v1::AnyValue) -> Option<String> {
    match value.value.as_ref()? {
        AnyValue::StringValue(text) => Some(text.clone()),
        AnyValue::IntValue(n) => Some(n.to_string()),
        _ => None,
    }
}

fn attribute(span: &Span, key: &str) -> Option<String> {
    span.attributes.iter().find(|kv| kv.key == key).and_then(|kv| string(kv.value.as_ref()?))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `span` descends from the span `ancestor` (by span id) within `spans`.
fn descends_from(span: &Span, ancestor: &[u8], spans: &[Span]) -> bool {
    let mut parent = span.parent_span_id.clone();
    for _ in 0..spans.len() {
        if parent == ancestor {
            return true;
        }
        match spans.iter().find(|s| s.span_id == parent) {
            Some(next) => parent = next.parent_span_id.clone(),
            None => return false,
        }
    }
    false
}

/// `identity serve` with `env`, its output kept; killed with its group when dropped.
struct Server {
    process: Process,
    base: String,
    output: Arc<Mutex<String>>,
}

impl Server {
    async fn start(env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let mut command = server_command(port);
        command
            .arg("serve")
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .env("SHUTDOWN_DRAIN_SECONDS", "0")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut process = Process::group(&mut command);
        let output = Arc::new(Mutex::new(String::new()));
        for pipe in [
            process.0.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>),
            process.0.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let output = output.clone();
            std::thread::spawn(move || {
                use std::io::BufRead;
                for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
                    let mut output = output.lock().unwrap();
                    output.push_str(&line);
                    output.push('\n');
                }
            });
        }
        let base = format!("http://127.0.0.1:{port}");
        wait_until_up(&format!("{base}/ready")).await;
        Self { process, base, output }
    }

    fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// The names of the process's threads.
    fn threads(&self) -> Vec<String> {
        let tasks = std::fs::read_dir(format!("/proc/{}/task", self.process.0.id())).unwrap();
        tasks
            .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
            .map(|name| name.trim().to_owned())
            .collect()
    }

    /// SIGTERM, then waits for a clean exit (the graceful stop, the last spans exported).
    async fn stop(&mut self) {
        let pid = self.process.0.id().to_string();
        assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let exit =
            eventually("the server to stop", Duration::from_secs(30), async || self.process.0.try_wait().unwrap())
                .await;
        assert!(exit.success(), "exit status {exit:?}\n{}", self.output());
    }
}

/// OpenTelemetry's batch processor runs on a thread of this name (15 bytes of
/// `OpenTelemetry.Traces.BatchProcessor`, as Linux keeps it).
const EXPORTER_THREAD: &str = "OpenTelemetry.T";

fn amqp_url() -> String {
    std::env::var("TEST_AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A registration on PostgreSQL + Redis + RabbitMQ with the caller's `traceparent`: the
/// request's span continues that trace (its parent is the caller's span), the password hash and
/// the queries are beneath it, and `user.registered` reaches RabbitMQ with a `traceparent` of
/// the same trace, the one of its exported `publish` span. Spans are exported in batches every
/// 10 minutes here, so they arrive by the flush of the graceful stop.
#[tokio::test]
async fn a_request_continues_the_caller_s_trace_down_to_its_event_s_message() {
    let receiver = Receiver::start().await;
    let database = TestDatabase::create().await;
    let exchange = format!("identity.test.{}", uuid::Uuid::now_v7().simple());
    let connection = Connection::connect(&amqp_url(), ConnectionProperties::default())
        .await
        .unwrap_or_else(|e| panic!("RabbitMQ is not reachable at {} ({e}); cargo xtask test starts it", amqp_url()));
    let channel = connection.create_channel().await.unwrap();
    let durable = ExchangeDeclareOptions { durable: true, ..ExchangeDeclareOptions::default() };
    channel
        .exchange_declare(exchange.as_str().into(), ExchangeKind::Topic, durable, FieldTable::default())
        .await
        .unwrap();
    let exclusive = QueueDeclareOptions { exclusive: true, auto_delete: true, ..Default::default() };
    let queue = channel.queue_declare("".into(), exclusive, FieldTable::default()).await.unwrap();
    let bind = QueueBindOptions::default();
    channel
        .queue_bind(queue.name().clone(), exchange.as_str().into(), "#".into(), bind, FieldTable::default())
        .await
        .unwrap();

    let endpoint = receiver.endpoint();
    let prefix = format!("test:{}:", uuid::Uuid::now_v7().simple());
    let mut server = Server::start(&[
        ("DATABASE_URL", database.url()),
        ("REDIS_URL", &redis_url()),
        ("REDIS_KEY_PREFIX", &prefix),
        ("AMQP_URL", &amqp_url()),
        ("AMQP_EXCHANGE", &exchange),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
        ("OTEL_SERVICE_NAME", "identity-under-test"),
        ("OTEL_BSP_SCHEDULE_DELAY", "600000"),
    ])
    .await;
    assert!(server.threads().iter().any(|t| t == EXPORTER_THREAD), "the exporter runs: {:?}", server.threads());

    let trace_id = uuid::Uuid::now_v7().simple().to_string();
    let caller_span = &uuid::Uuid::now_v7().simple().to_string()[16..];
    let res = reqwest::Client::new()
        .post(format!("{}/v1/auth/register", server.base))
        .header("traceparent", format!("00-{trace_id}-{caller_span}-01"))
        .json(&serde_json::json!({ "email": unique_email(), "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let user: serde_json::Value = res.json().await.unwrap();

    let message = eventually("user.registered to reach RabbitMQ", Duration::from_secs(15), async || {
        let message = channel.basic_get(queue.name().clone(), BasicGetOptions { no_ack: true }).await.unwrap()?;
        let body: serde_json::Value = serde_json::from_slice(&message.delivery.data).unwrap();
        (body["type"] == "user.registered" && body["subject"] == user["id"]).then_some(message.delivery)
    })
    .await;
    let headers = message.properties.headers().clone().unwrap_or_default();
    let traceparent = match headers.inner().get("traceparent") {
        Some(AMQPValue::LongString(value)) => value.to_string(),
        other => panic!("no traceparent header on the event's message: {other:?}"),
    };
    let fields: Vec<&str> = traceparent.split('-').collect();
    assert_eq!((fields.len(), fields[0], fields[1]), (4, "00", trace_id.as_str()), "{traceparent}");
    let publish_span = fields[2].to_owned();
    assert_eq!(receiver.spans().len(), 0, "nothing exported before the batch delay or the stop");

    server.stop().await;
    let exports = receiver.exports();
    assert!(!exports.is_empty(), "the stop exported the last spans\n{}", server.output());
    for export in &exports {
        assert_eq!(export.path, "/v1/traces");
        assert_eq!(export.service.as_deref(), Some("identity-under-test"));
    }
    let spans = receiver.spans();
    let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
    let request = spans
        .iter()
        .find(|s| s.name == "POST /v1/auth/register")
        .unwrap_or_else(|| panic!("no request span among {names:?}"));
    assert_eq!(hex(&request.trace_id), trace_id, "the caller's trace");
    assert_eq!(hex(&request.parent_span_id), caller_span, "a child of the caller's span");
    assert_eq!(request.kind, 2, "a server span");
    assert_eq!(attribute(request, "http.route").as_deref(), Some("/v1/auth/register"));
    assert_eq!(attribute(request, "http.response.status_code").as_deref(), Some("201"));
    assert_eq!(attribute(request, "http.request.method").as_deref(), Some("POST"));
    for name in ["password hash", "postgres INSERT"] {
        let span = spans.iter().find(|s| s.name == name).unwrap_or_else(|| panic!("no {name:?} span among {names:?}"));
        assert_eq!(hex(&span.trace_id), trace_id, "{name}");
        assert!(descends_from(span, &request.span_id, &spans), "{name} is beneath the request span");
    }
    let publish = spans
        .iter()
        .find(|s| hex(&s.span_id) == publish_span)
        .unwrap_or_else(|| panic!("the message's span {publish_span} was not exported: {names:?}"));
    assert_eq!(publish.kind, 4, "a producer span");
    assert_eq!(hex(&publish.trace_id), trace_id);
    assert_eq!(attribute(publish, "messaging.rabbitmq.destination.routing_key").as_deref(), Some("user.registered"));
    channel.exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default()).await.unwrap();
}

/// Without an endpoint (other `OTEL_*` variables set or not), no exporter runs and nothing
/// is sent, not even to the SDK's default endpoint.
#[tokio::test]
async fn without_an_endpoint_nothing_is_exported() {
    let mut server = Server::start(&[("OTEL_SERVICE_NAME", "identity-under-test")]).await;
    let res = reqwest::Client::new()
        .post(format!("{}/v1/auth/register", server.base))
        .header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        .json(&serde_json::json!({ "email": unique_email(), "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let threads = server.threads();
    assert!(!threads.iter().any(|t| t == EXPORTER_THREAD), "no exporter thread: {threads:?}");
    server.stop().await;
    let output = server.output();
    assert!(!output.contains("traces: exported"), "{output}");
    assert!(!output.contains("4bf92f3577b34da6a3ce929d0e0e4736"), "the trace id is nowhere: {output}");
}

/// Through the proxy (`PROXY_ROUTES`), the upstream gets the trace context of the proxy's own
/// client span, a child of the request's span in the caller's trace, instead of the caller's
/// `traceparent`. Spans go out every 100 ms here, without waiting for the stop.
#[tokio::test]
async fn a_proxied_request_passes_the_trace_on_to_the_upstream() {
    let receiver = Receiver::start().await;
    let endpoint = receiver.endpoint();
    let mut server = Server::start(&[
        ("PROXY_ROUTES", &format!("/api={endpoint}")),
        ("ARGON2_MEMORY_KIB", "1024"),
        ("ARGON2_ITERATIONS", "1"),
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", &format!("{endpoint}/v1/traces")),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
    ])
    .await;
    let client = reqwest::Client::new();
    let credentials = serde_json::json!({ "email": unique_email(), "password": PASSWORD });
    let res = client.post(format!("{}/v1/auth/register", server.base)).json(&credentials).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let login: serde_json::Value = client
        .post(format!("{}/v1/auth/login", server.base))
        .json(&credentials)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["access_token"].as_str().unwrap();

    let trace_id = uuid::Uuid::now_v7().simple().to_string();
    let caller_span = &uuid::Uuid::now_v7().simple().to_string()[16..];
    let res = client
        .get(format!("{}/api/things", server.base))
        .bearer_auth(token)
        .header("traceparent", format!("00-{trace_id}-{caller_span}-01"))
        .header("tracestate", "vendor=caller")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let requests = receiver.requests_to("/api/things");
    assert_eq!(requests.len(), 1);
    let header = |name: &str| requests[0].iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let traceparent = header("traceparent").expect("the upstream gets a traceparent");
    let fields: Vec<&str> = traceparent.split('-').collect();
    assert_eq!((fields.len(), fields[1]), (4, trace_id.as_str()), "the caller's trace: {traceparent}");
    assert_ne!(fields[2], caller_span, "the proxy's own span, not the caller's");
    assert_eq!(header("tracestate").as_deref(), Some("vendor=caller"), "the caller's trace state goes on");
    let proxy_span = fields[2].to_owned();

    let spans = eventually("the proxy's span to be exported", Duration::from_secs(15), async || {
        let spans = receiver.spans();
        spans.iter().any(|s| hex(&s.span_id) == proxy_span && s.kind == 3).then_some(spans)
    })
    .await;
    let request = spans.iter().find(|s| s.name == "GET /api/{tail:.*}" || s.name.starts_with("GET /api"));
    let request = request
        .unwrap_or_else(|| panic!("no request span: {:?}", spans.iter().map(|s| s.name.as_str()).collect::<Vec<_>>()));
    assert_eq!(hex(&request.parent_span_id), caller_span);
    let proxied = spans.iter().find(|s| hex(&s.span_id) == proxy_span).unwrap();
    assert!(descends_from(proxied, &request.span_id, &spans), "the proxy's span is beneath the request's");
    assert_eq!(attribute(proxied, "http.response.status_code").as_deref(), Some("200"));
    server.stop().await;
}

/// Another service's `instance.updated` message with a `traceparent`: the consumer handles it
/// in a `process` span (consumer) that is a child of that span, its queries beneath.
#[tokio::test]
async fn a_consumed_message_continues_the_publisher_s_trace() {
    let receiver = Receiver::start().await;
    let database = TestDatabase::create().await;
    let suffix = uuid::Uuid::now_v7().simple().to_string();
    let theirs = format!("provisioner.test.{suffix}");
    let queue = format!("identity.test.instances.{suffix}");
    let ours = format!("identity.test.{suffix}");
    let connection = Connection::connect(&amqp_url(), ConnectionProperties::default())
        .await
        .unwrap_or_else(|e| panic!("RabbitMQ is not reachable at {} ({e}); cargo xtask test starts it", amqp_url()));
    let channel = connection.create_channel().await.unwrap();
    let durable = ExchangeDeclareOptions { durable: true, ..ExchangeDeclareOptions::default() };
    channel
        .exchange_declare(theirs.as_str().into(), ExchangeKind::Topic, durable, FieldTable::default())
        .await
        .unwrap();
    let endpoint = receiver.endpoint();
    let mut server = Server::start(&[
        ("DATABASE_URL", database.url()),
        ("AMQP_URL", &amqp_url()),
        ("AMQP_EXCHANGE", &ours),
        ("INSTANCE_EVENTS_EXCHANGE", &theirs),
        ("INSTANCE_EVENTS_QUEUE", &queue),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
    ])
    .await;
    // Bound once it says it consumes.
    eventually("the consumer to start", Duration::from_secs(15), async || {
        server.output().contains("\"message\":\"consuming events\"").then_some(())
    })
    .await;

    let trace_id = uuid::Uuid::now_v7().simple().to_string();
    let publisher_span = &uuid::Uuid::now_v7().simple().to_string()[16..];
    let mut headers = FieldTable::default();
    headers.insert("traceparent".into(), AMQPValue::LongString(format!("00-{trace_id}-{publisher_span}-01").into()));
    let body = serde_json::json!({
        "specversion": "1.0",
        "id": uuid::Uuid::now_v7().to_string(),
        "type": "instance.updated",
        "source": "/provisioner",
        "data": { "instance_id": uuid::Uuid::now_v7().to_string(), "version": 1, "status": "ready" },
    });
    let properties = lapin::BasicProperties::default()
        .with_message_id(uuid::Uuid::now_v7().to_string().into())
        .with_content_type("application/cloudevents+json".into())
        .with_headers(headers);
    channel
        .basic_publish(
            theirs.as_str().into(),
            "instance.updated".into(),
            lapin::options::BasicPublishOptions::default(),
            body.to_string().as_bytes(),
            properties,
        )
        .await
        .unwrap()
        .await
        .unwrap();

    let name = format!("{queue} process");
    let exported = eventually("the consumer's span to be exported", Duration::from_secs(60), async || {
        let spans = receiver.spans();
        spans.iter().any(|s| s.name == name).then_some(spans)
    });
    let spans = tokio::time::timeout(Duration::from_secs(15), exported).await.unwrap_or_else(|_| {
        let names: Vec<String> = receiver.spans().iter().map(|s| s.name.clone()).collect();
        panic!("no {name:?} span among {names:?}\n{}", server.output())
    });
    let process = spans.iter().find(|s| s.name == name).unwrap();
    assert_eq!(process.kind, 5, "a consumer span");
    assert_eq!(hex(&process.trace_id), trace_id, "the publisher's trace");
    assert_eq!(hex(&process.parent_span_id), publisher_span, "a child of the publisher's span");
    assert!(
        spans.iter().any(|s| s.name.starts_with("postgres ") && descends_from(s, &process.span_id, &spans)),
        "the handler's queries are beneath it: {:?}",
        spans.iter().map(|s| s.name.as_str()).collect::<Vec<_>>()
    );
    server.stop().await;
    for name in [queue.clone(), format!("{queue}.dead")] {
        let _ = channel.queue_delete(name.as_str().into(), lapin::options::QueueDeleteOptions::default()).await;
    }
    for name in [theirs, format!("{queue}.dlx"), ours] {
        let _ = channel.exchange_delete(name.as_str().into(), ExchangeDeleteOptions::default()).await;
    }
}
