//! The HTTP server: middleware, routes, docs, and its lifecycle.

use std::net::TcpListener;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers, from_fn};
use actix_web::{App, HttpServer, web};
use identity_memory::InProcessBus;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::bootstrap::{Overrides, wire};
use crate::config::Config;
use crate::error::{ApiError, ProblemCode};
use crate::extract::BodyLimit;

/// A bound, wired server that has not started yet.
pub struct Application {
    port: u16,
    server: Server,
    /// The `METRICS_ADDR` listener: its port, and its server, running.
    metrics: Option<Running>,
    draining: std::sync::Arc<std::sync::atomic::AtomicBool>,
    drain: std::time::Duration,
    /// The outbox relays, one per outbox: the main database's and the shared one's (none: this
    /// instance relays nothing, see `OUTBOX_RELAY`).
    relays: Vec<JoinHandle<()>>,
    stop_relay: watch::Sender<bool>,
    /// The job workers and retention schedules: stopped before the relays, so what the
    /// last jobs committed is still relayed.
    workers: Vec<JoinHandle<()>>,
    stop_workers: watch::Sender<bool>,
    /// Every job queue (tests wait on them).
    queues: Vec<std::sync::Arc<dyn identity_core::ports::JobQueue>>,
    bus: Option<InProcessBus>,
    /// The WebSocket gateway: its sockets close (1001) when the replica stops.
    sockets: std::sync::Arc<identity_gateway::Gateway>,
}

/// Turns error answers produced outside our handlers (unknown route, wrong method) into
/// problem documents, so every error a client sees has the same shape.
fn problem_for_framework_errors<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    // Our handlers always answer with a body and its content type; only the framework's own
    // bare answers (unknown route, wrong method) are rewritten. A proxied answer is the
    // upstream's, whatever it looks like.
    if res.headers().contains_key(header::CONTENT_TYPE)
        || res.response().extensions().get::<identity_proxy::Proxied>().is_some()
    {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    // actix answers 404 for a known path with another method: tell the two apart.
    let allow = (res.status() == StatusCode::NOT_FOUND).then(|| allowed_methods(res.request().path())).flatten();
    let error = match res.status() {
        StatusCode::NOT_FOUND if allow.is_some() => ApiError::new(
            ProblemCode::MethodNotAllowed,
            format!("this resource allows {}", allow.as_deref().unwrap_or_default()),
        ),
        StatusCode::NOT_FOUND => ApiError::not_found(),
        StatusCode::METHOD_NOT_ALLOWED => {
            ApiError::new(ProblemCode::MethodNotAllowed, "this method is not allowed on this resource")
        }
        status if status.is_server_error() => {
            ApiError::new(ProblemCode::InternalError, "an unexpected error occurred").with_status(status)
        }
        status => ApiError::new(ProblemCode::BadRequest, status.canonical_reason().unwrap_or("bad request"))
            .with_status(status),
    };
    let (req, _) = res.into_parts();
    let mut response = actix_web::ResponseError::error_response(&error);
    if let Some(allow) = allow.and_then(|a| HeaderValue::from_str(&a).ok()) {
        response.headers_mut().insert(header::ALLOW, allow);
    }
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, response).map_into_right_body()))
}

/// The methods the server serves for `path` (joined for an `Allow` header), or `None` when
/// no route matches it.
fn allowed_methods(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').collect();
    let mut methods: Vec<&str> = crate::openapi::served_routes()
        .iter()
        .filter(|route| route.matches(&parts))
        .flat_map(|route| route.methods.iter().map(String::as_str))
        .collect();
    if methods.is_empty() {
        return None;
    }
    methods.sort_unstable();
    methods.dedup();
    Some(methods.join(", "))
}

/// `/docs` → `/docs/`, where Swagger UI lives (its assets are relative to the slash).
async fn docs_redirect() -> actix_web::HttpResponse {
    actix_web::HttpResponse::PermanentRedirect().insert_header((header::LOCATION, "/docs/")).finish()
}

/// The OpenAPI document, serialized once at start-up and shared by every worker.
#[derive(Clone)]
struct Document(web::Bytes);

/// `GET /openapi.json`: the bytes made at start-up (not a JSON tree per worker, serialized
/// again on every request, as Swagger UI's own route would: some 680 KB each time).
async fn openapi_json(document: web::Data<Document>) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().content_type(header::ContentType::json()).body(document.0.clone())
}

impl Application {
    /// Wires the dependencies and binds `BIND_ADDR:PORT` (port 0 picks a free one).
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        Self::build_with(config, Overrides::default()).await
    }

    /// Like [`Application::build`], with some adapters supplied by the caller.
    pub async fn build_with(config: &Config, overrides: Overrides) -> anyhow::Result<Self> {
        crate::metrics::handle();
        let wiring = wire(config, overrides).await?;
        let listener = TcpListener::bind((config.http.bind_addr, config.http.port))
            .map_err(|e| anyhow::anyhow!("cannot listen on {}:{}: {e}", config.http.bind_addr, config.http.port))?;
        let port = listener.local_addr()?.port();
        let draining = wiring.state.draining.clone();
        let instances = wiring.state.services.instances.clone();
        let sockets = wiring.state.gateway.clone();
        let state = web::Data::new(wiring.state);
        let metrics_state = state.clone();
        let limit = BodyLimit(config.http.max_body_bytes);
        let origins = config.http.allowed_origins.clone();
        // With `METRICS_ADDR`, `/metrics` is served there only: not on the public listener.
        let public_metrics = config.http.metrics_addr.is_none();
        let document = web::Data::new(Document(serde_json::to_vec(&crate::openapi::openapi())?.into()));
        // The routes' needs, read from their annotations once, here: not by the first request in a
        // worker (its latency, and the scaffolding left in that worker's arena after the trim).
        crate::openapi::served_routes();
        let pages = web::Data::new(crate::pages::Pages::new(&config.auth.password_policy));
        // `PROXY_ROUTES`: other services' paths, authenticated here (not in the document).
        let gateway = crate::proxy::gateway(&config.proxy)?;
        let server = HttpServer::new(move || {
            App::new()
                .into_utoipa_app()
                .app_data(state.clone())
                .app_data(limit)
                // A path id that is not a UUID names no resource.
                .app_data(web::PathConfig::default().error_handler(|_, _| ApiError::not_found().into()))
                .configure(crate::routes::configure)
                .route("/docs", web::get().to(docs_redirect))
                .app_data(document.clone())
                .route("/openapi.json", web::get().to(openapi_json))
                // The pages mailed links open: not API operations, not in the document.
                .configure(|app| crate::pages::configure(app, &pages))
                .configure(|app| crate::proxy::configure(app, gateway.as_ref()))
                .configure(|app| {
                    if public_metrics {
                        app.route("/metrics", web::get().to(crate::metrics::render));
                    }
                })
                // The document served is `openapi()`'s as a whole (`/openapi.json` above): the
                // routes registered above add their raw annotations to `api`, which the rules
                // have not seen.
                .openapi_service(|_api| {
                    SwaggerUi::new("/docs/{_:.*}").config(utoipa_swagger_ui::Config::from("/openapi.json"))
                })
                .map(|app| {
                    app.wrap(ErrorHandlers::new().default_handler(problem_for_framework_errors))
                        .wrap(from_fn(crate::gate::middleware))
                        .wrap(from_fn(crate::starting::gate))
                        .wrap(from_fn(crate::security::headers))
                        .wrap(crate::security::cors(origins.clone()))
                        .wrap(from_fn(crate::security::cors_lists))
                        .wrap(from_fn(crate::access_log::middleware))
                })
                .into_app()
        })
        .listen(listener)?
        // Signals are ours (`run_until_stopped`): readiness turns 503 before the listener closes.
        .disable_signals()
        .shutdown_timeout(config.http.shutdown_timeout.as_secs())
        .run();
        let metrics = match config.http.metrics_addr {
            Some(addr) => Some(metrics_server(addr, config.http.shutdown_timeout, metrics_state)?),
            None => None,
        };
        let (stop_relay, stop) = watch::channel(false);
        let outboxes = std::iter::once(wiring.outbox).chain(wiring.shared_outbox);
        let mut relays: Vec<JoinHandle<()>> = match wiring.publisher {
            Some(publisher) => outboxes
                .map(|outbox| crate::relay::spawn(outbox, publisher.clone(), wiring.clock.clone(), stop.clone()))
                .collect(),
            None => Vec::new(),
        };
        // Other services' `instance.updated` events, when configured (stops with the relays).
        if let (Some(exchange), Some(url)) = (&config.events.instance_exchange, &config.events.amqp_url) {
            let settings = identity_amqp::ConsumerSettings {
                url: secrecy::ExposeSecret::expose_secret(url).to_owned(),
                exchange: exchange.clone(),
                routing_key: "instance.updated".into(),
                queue: config.events.instance_queue.clone(),
                delivery_limit: config.events.delivery_limit,
                timeout: config.store.dependency_timeout,
                ca: config.events.amqp_ca.clone(),
            };
            let handler = crate::consumer::InstanceUpdates::handler(instances, config.events.source.clone());
            relays.push(identity_amqp::spawn_consumer(settings, handler, stop.clone()));
        }
        // The gateway's events: the in-process bus (stops with the relays).
        if let Some(bus) = &wiring.bus {
            relays.push(identity_gateway::spawn_bus_feed(sockets.clone(), bus.subscribe(), stop.clone()));
        } else if let Some(url) = &config.events.amqp_url {
            // With a broker, only from this replica's own queue on the events exchange (every
            // event once, whichever replica committed it; there is no in-process bus then).
            let settings = identity_amqp::BroadcastSettings {
                url: secrecy::ExposeSecret::expose_secret(url).to_owned(),
                exchange: config.events.exchange.clone(),
                // The types that push something: the others stay unroutable until a consumer
                // of their own binds them (they wait in the outbox, `mandatory`).
                routing_keys: identity_gateway::EVENT_TYPES.iter().map(|t| t.as_str().to_owned()).collect(),
                source: config.events.source.clone(),
                timeout: config.store.dependency_timeout,
                ca: config.events.amqp_ca.clone(),
            };
            let gateway = sockets.clone();
            let deliver: identity_amqp::Deliver = std::sync::Arc::new(move |event| gateway.dispatch(event));
            relays.push(identity_amqp::spawn_broadcast(settings, deliver, stop.clone()));
        }
        let (stop_workers, stopping) = watch::channel(false);
        let queues = wiring.queues.iter().map(|queue| queue.queue.clone()).collect();
        let workers = spawn_workers(&config.jobs, wiring.queues, &stopping);
        tracing::info!(address = %config.http.bind_addr, port, "identity is listening; API docs at /docs");
        Ok(Self {
            port,
            server,
            metrics,
            draining,
            drain: config.http.shutdown_drain,
            relays,
            stop_relay,
            workers,
            stop_workers,
            queues,
            bus: wiring.bus,
            sockets,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the `METRICS_ADDR` listener, when there is one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _, _)| *port)
    }

    /// The job queues: the main database's, and the shared one's when instances live there.
    pub fn job_queues(&self) -> &[std::sync::Arc<dyn identity_core::ports::JobQueue>] {
        &self.queues
    }

    /// The in-process event bus (embedded mode only).
    pub fn bus(&self) -> Option<&InProcessBus> {
        self.bus.as_ref()
    }

    /// Serves until SIGTERM or SIGINT, then stops gracefully (see [`Application::run_until`]).
    /// A second SIGINT (Ctrl-C) during the graceful stop ends the process at once, exit code 130.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let signals = StopSignals::listen()?;
        self.run_until(signals.first()).await
    }

    /// Serves until `stop` completes, then shuts down in order: `/ready` answers 503
    /// `draining` for `SHUTDOWN_DRAIN_SECONDS` while requests are still served (load
    /// balancers take the replica out), then WebSockets close (1001), then the listener closes and in-flight requests get
    /// up to `SHUTDOWN_TIMEOUT_SECONDS` to finish, then the job workers stop (running jobs get
    /// `JOB_SHUTDOWN_GRACE_SECONDS`, then are handed back), then the outbox relay flushes once
    /// and stops.
    pub async fn run_until(self, stop: impl std::future::Future<Output = ()>) -> anyhow::Result<()> {
        let handle = self.server.handle();
        let mut server = std::pin::pin!(self.server);
        let served = match started(&mut server).await {
            Some(served) => served,
            None => tokio::select! {
                served = &mut server => served,
                () = stop => {
                    tracing::info!(drain_seconds = self.drain.as_secs(), "stopping: readiness is 503 from now on");
                    self.draining.store(true, std::sync::atomic::Ordering::SeqCst);
                    tokio::time::sleep(self.drain).await;
                    // Sockets never finish on their own: close them (1001) so clients reconnect elsewhere.
                    self.sockets.close_all(std::time::Duration::from_secs(2)).await;
                    tracing::info!("stopping: no new connections; finishing in-flight requests");
                    // The server future does the stopping: poll it while the stop is pending.
                    let (_, served) = tokio::join!(handle.stop(true), server);
                    served
                }
            },
        };
        // Metrics are served until the rest has stopped (a scrape during the drain sees it).
        if let Some((_, handle, running)) = self.metrics {
            handle.stop(true).await;
            let _ = running.await;
        }
        let _ = self.stop_workers.send(true);
        for worker in self.workers {
            let _ = worker.await;
        }
        let _ = self.stop_relay.send(true);
        for relay in self.relays {
            let _ = relay.await;
        }
        tracing::info!("stopped");
        Ok(served?)
    }
}

/// Polls the HTTP server once, then gives the memory freed meanwhile back to the system; its
/// output if it ended already. The first poll starts the workers, and each builds its routes
/// before the poll returns (actix-server waits for them), dropping most of what that took: the
/// OpenAPI annotations each route carries. glibc would keep those pages (a third of an idle
/// replica's resident memory).
async fn started<F: std::future::Future + Unpin>(server: &mut F) -> Option<F::Output> {
    let first = std::future::poll_fn(|cx| std::task::Poll::Ready(std::pin::Pin::new(&mut *server).poll(cx))).await;
    let released = identity_allocator::release_free_memory();
    tracing::debug!(released, "the HTTP workers are up; freed memory handed back to the system");
    match first {
        std::task::Poll::Ready(served) => Some(served),
        std::task::Poll::Pending => None,
    }
}

/// Every queue's worker (unless `JOB_WORKERS=0`) and retention schedule. The schedule ticks
/// several times per interval, so a replica that starts late still schedules the interval's
/// run; the job's unique key keeps it to one run across replicas.
fn spawn_workers(
    config: &crate::config::JobsConfig,
    queues: Vec<crate::workers::QueueWiring>,
    stop: &watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let tick = (config.retention_interval.to_std().unwrap_or_default() / 4)
        .clamp(std::time::Duration::from_secs(1), std::time::Duration::from_secs(300));
    let settings = identity_worker::WorkerSettings {
        concurrency: config.workers,
        poll_interval: config.poll_interval,
        shutdown_grace: config.shutdown_grace,
    };
    let mut handles = Vec::new();
    for queue in queues {
        handles.push(identity_worker::spawn_schedule(queue.schedule, tick, stop.clone()));
        if config.workers > 0 {
            handles.push(identity_worker::spawn_worker(queue.runner, settings.clone(), stop.clone()));
        }
    }
    if config.workers == 0 {
        tracing::info!("JOB_WORKERS=0: this instance runs no jobs (other replicas do)");
    }
    handles
}

/// A server started on its own task: its port, its handle, its task.
type Running = (u16, actix_web::dev::ServerHandle, tokio::task::JoinHandle<std::io::Result<()>>);

/// The `METRICS_ADDR` listener: `GET /metrics` and nothing else (every other path is a
/// problem+json 404), on one worker, started. Its port, handle and task.
fn metrics_server(
    addr: std::net::SocketAddr,
    shutdown_timeout: std::time::Duration,
    state: web::Data<crate::state::AppState>,
) -> anyhow::Result<Running> {
    let listener = TcpListener::bind(addr).map_err(|e| anyhow::anyhow!("cannot listen on METRICS_ADDR {addr}: {e}"))?;
    let port = listener.local_addr()?.port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/metrics", web::get().to(crate::metrics::render))
            .default_service(web::to(|| async { actix_web::HttpResponse::from_error(ApiError::not_found()) }))
    })
    .workers(1)
    .listen(listener)?
    .disable_signals()
    .shutdown_timeout(shutdown_timeout.as_secs())
    .run();
    tracing::info!(%addr, port, "metrics are served at /metrics on their own listener");
    let handle = server.handle();
    Ok((port, handle, tokio::spawn(server)))
}

/// The signals that stop the server: SIGTERM (what Kubernetes and docker send) or SIGINT
/// (Ctrl-C). Listened to from before serving, so none is lost.
struct StopSignals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn listen() -> anyhow::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let listen = |kind: SignalKind, name: &str| {
                signal(kind).map_err(|e| anyhow::anyhow!("cannot listen for {name}: {e}"))
            };
            Ok(Self {
                term: listen(SignalKind::terminate(), "SIGTERM")?,
                interrupt: listen(SignalKind::interrupt(), "SIGINT")?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Self {})
        }
    }

    /// Completes on the first SIGTERM or SIGINT, the start of the graceful stop. From then on a
    /// SIGINT (a second Ctrl-C of an impatient operator) exits the process at once with 130,
    /// the shell's code for "ended by SIGINT"; further SIGTERMs change nothing.
    async fn first(mut self) {
        #[cfg(unix)]
        {
            let signal = tokio::select! {
                _ = self.term.recv() => "SIGTERM",
                _ = self.interrupt.recv() => "SIGINT",
            };
            tracing::info!(signal, "stop signal received: stopping gracefully (Ctrl-C again exits at once)");
            tokio::spawn(async move {
                self.interrupt.recv().await;
                exit_at_once();
            });
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("Ctrl-C received: stopping gracefully; a second Ctrl-C exits at once");
            tokio::spawn(async {
                let _ = tokio::signal::ctrl_c().await;
                exit_at_once();
            });
        }
    }
}

/// Ends the process now, in the middle of the graceful stop: requests in flight are cut off
/// and the outbox relay does not flush (what it has not published stays in the outbox).
fn exit_at_once() -> ! {
    tracing::warn!("second SIGINT: exiting at once (exit code 130) without finishing the graceful stop");
    std::process::exit(130)
}

#[cfg(test)]
mod tests {
    #[test]
    fn allowed_methods_come_from_the_document() {
        assert_eq!(super::allowed_methods("/v1/users/me").as_deref(), Some("DELETE, GET, PATCH"));
        assert_eq!(super::allowed_methods("/v1/sessions").as_deref(), Some("GET"));
        assert_eq!(super::allowed_methods("/v1/nothing"), None);
    }
}
