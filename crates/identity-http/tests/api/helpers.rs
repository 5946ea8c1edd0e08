#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use identity_core::testkit::time::{ManualClock, TimeTravel};
use identity_http::bootstrap::Overrides;
use identity_http::config::{Config, LogFormat};
use identity_http::{Application, telemetry};
use identity_postgres::testkit::TestDatabase;
use identity_redis::RedisStore;
use serde_json::{Value, json};

/// What the server under test runs on: the embedded default, or PostgreSQL + Redis (each
/// test with its own database and Redis key prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Memory,
    Postgres,
}

/// Generates one test per backend from `async fn name(backend: Backend)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Memory).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Postgres).await;
                }
            )*
        }
    };
}

/// Every log line any test server wrote, at debug level.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&log_buffer().lock().unwrap()).into_owned()
}

fn log_buffer() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = BufferWriter(buffer.clone());
        let subscriber = telemetry::subscriber(LogFormat::Json, "debug", move || writer.clone());
        tracing::subscriber::set_global_default(subscriber).expect("one global subscriber per test binary");
        buffer
    })
}

#[derive(Clone)]
struct BufferWriter(Arc<Mutex<Vec<u8>>>);

impl Write for BufferWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub backend: Backend,
    pub database_url: Option<String>,
    /// The server's Redis URL and key prefix (PostgreSQL backend).
    pub redis: Option<(String, String)>,
    /// The port of the `METRICS_ADDR` listener, when the test set one.
    pub metrics_port: Option<u16>,
    pub bus: Option<identity_memory::InProcessBus>,
    /// Every mail the server sent (read it through [`TestApp::mails_to`] and
    /// [`TestApp::sent_mail`], which wait for the mail jobs to run).
    pub mail: identity_memory::CapturingNotifier,
    /// The server's job queues.
    pub queues: Vec<Arc<dyn identity_core::ports::JobQueue>>,
    /// Every event the server emits, checked against `docs/events/` when the test ends
    /// (before the server stops and its database goes).
    pub events: crate::event_contract::EventCheck,
    /// Stops the server (listener, workers, outbox relay) when the app is dropped, so a
    /// finished test leaves nothing running behind it.
    _stop: tokio::sync::oneshot::Sender<()>,
    /// The test's database (PostgreSQL backend), dropped with the app.
    _database: Option<TestDatabase>,
}

/// The server's clock in a test: it stands still until the test moves it.
///
/// [`elapse`](Self::elapse) makes time pass for the whole server: its clock moves, which
/// expires what the in-memory adapters hold, and on the PostgreSQL backend the Redis keys
/// under the test's prefix age by as much (Redis runs on a clock of its own), so a test of a
/// TTL, a cooldown or a rate limit works on both backends without sleeping.
#[derive(Clone)]
pub struct TestClock {
    now: ManualClock,
    redis: Option<RedisStore>,
}

impl TestClock {
    /// Lets `by` pass on the server.
    pub async fn elapse(&self, by: std::time::Duration) {
        self.now.elapse(by).await;
        if let Some(redis) = &self.redis {
            redis.elapse(by).await.unwrap();
        }
    }

    /// What the server's clock says now.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        identity_core::ports::Clock::now(&self.now)
    }

    /// Sets the server's clock off by `by` (either way) while no time passes: a clock that
    /// is wrong, not time going by. Redis is left alone.
    pub fn skew(&self, by: chrono::Duration) {
        self.now.shift(by);
    }
}

/// [`spawn_app_with`] on a clock that starts now and moves only when the test says.
pub async fn spawn_app_with_clock(backend: Backend, overrides: &[(&str, &str)]) -> (TestApp, TestClock) {
    let now = ManualClock::new(chrono::Utc::now());
    let (app, redis) = spawn(backend, overrides, Some(Arc::new(now.clone())), None).await;
    (app, TestClock { now, redis })
}

/// [`spawn_app_with_clock`] with the mail transport the test gives (one that fails for a
/// while, say); `TestApp::mail` then stays empty.
pub async fn spawn_app_with_transport(
    backend: Backend,
    overrides: &[(&str, &str)],
    transport: Arc<dyn identity_core::ports::Notifier>,
) -> (TestApp, TestClock) {
    let now = ManualClock::new(chrono::Utc::now());
    let (app, redis) = spawn(backend, overrides, Some(Arc::new(now.clone())), Some(transport)).await;
    (app, TestClock { now, redis })
}

/// Starts a server with test settings (cheap Argon2 parameters, a fresh database) plus
/// `overrides`.
pub async fn spawn_app_with(backend: Backend, overrides: &[(&str, &str)]) -> TestApp {
    spawn(backend, overrides, None, None).await.0
}

/// The server, and when the test moves the clock and the server uses Redis, a handle on the
/// server's Redis key prefix.
async fn spawn(
    backend: Backend,
    overrides: &[(&str, &str)],
    clock: Option<Arc<dyn identity_core::ports::Clock>>,
    transport: Option<Arc<dyn identity_core::ports::Notifier>>,
) -> (TestApp, Option<RedisStore>) {
    log_buffer();
    let mut vars: HashMap<String, String> = HashMap::from([
        ("BIND_ADDR".into(), "127.0.0.1".into()),
        ("PORT".into(), "0".into()),
        ("ARGON2_MEMORY_KIB".into(), "1024".into()),
        ("ARGON2_ITERATIONS".into(), "1".into()),
        // Tests make many logins from one address; the limit itself has tests of its own.
        ("RATE_LIMIT_AUTH_PER_MINUTE".into(), "100000".into()),
        // A finished test's server stops at once (the shutdown sequence has a test of its own).
        ("SHUTDOWN_DRAIN_SECONDS".into(), "0".into()),
        // Mail is a job: a test reads it as soon as the worker ran it.
        ("JOB_POLL_INTERVAL_MS".into(), "20".into()),
    ]);
    let database = match backend {
        Backend::Memory => None,
        Backend::Postgres => Some(TestDatabase::create().await),
    };
    if let Some(database) = &database {
        vars.insert("DATABASE_URL".into(), database.url().to_owned());
        let redis = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
        vars.insert("REDIS_URL".into(), redis);
        vars.insert("REDIS_KEY_PREFIX".into(), format!("identity-test:{}:", uuid::Uuid::now_v7().simple()));
    }
    for (k, v) in overrides {
        vars.insert((*k).into(), (*v).into());
    }
    // Moving a test clock ages the server's Redis keys too.
    let redis = match (&clock, vars.get("REDIS_URL"), vars.get("REDIS_KEY_PREFIX")) {
        (Some(_), Some(url), Some(prefix)) => Some(RedisStore::connect(url, prefix.clone()).await.unwrap()),
        _ => None,
    };
    let (vars_redis_url, vars_redis_prefix) = (vars.get("REDIS_URL").cloned(), vars.get("REDIS_KEY_PREFIX").cloned());
    let server_database_url = vars.get("DATABASE_URL").filter(|url| !url.is_empty()).cloned();
    let config = Config::from_env(&move |name: &str| vars.get(name).cloned()).expect("test configuration is valid");
    let mail = identity_memory::CapturingNotifier::new();
    let notifier = transport.unwrap_or_else(|| Arc::new(mail.clone()));
    let overrides = Overrides { notifier: Some(notifier), clock };
    let app = Application::build_with(&config, overrides).await.expect("the server starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let bus = app.bus().cloned();
    let events = crate::event_contract::EventCheck::start(bus.as_ref(), server_database_url);
    let metrics_port = app.metrics_port();
    let queues = app.job_queues().to_vec();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let database_url = database.as_ref().map(|d| d.url().to_owned());
    let redis_vars = match (vars_redis_url, vars_redis_prefix) {
        (Some(url), Some(prefix)) => Some((url, prefix)),
        _ => None,
    };
    let app = TestApp {
        address,
        client,
        backend,
        database_url,
        redis: redis_vars,
        metrics_port,
        bus,
        mail,
        queues,
        events,
        _stop: stop,
        _database: database,
    };
    (app, redis)
}

/// A server whose `BOOTSTRAP_ADMIN_EMAIL` admin is registered and signed in:
/// (app, admin access token).
pub async fn spawn_app_with_admin(backend: Backend) -> (TestApp, String) {
    let boss = unique_email();
    let app = spawn_app_with(backend, &[("BOOTSTRAP_ADMIN_EMAIL", &boss)]).await;
    let token = app.bootstrap_admin(&boss).await;
    (app, token)
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &[]).await
}

pub fn unique_email() -> String {
    format!("user-{}@example.com", uuid::Uuid::now_v7().simple())
}

pub const PASSWORD: &str = "correct horse battery staple";

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// GETs `path` and parses the JSON answer.
    /// Deletes every answer the server keeps for `Idempotency-Key` retries (their Redis keys),
    /// as if the replica that should have kept them had died first; the number deleted.
    pub async fn forget_kept_answers(&self) -> usize {
        let (url, prefix) = self.redis.as_ref().expect("a server on Redis");
        let mut redis = redis::Client::open(url.as_str()).unwrap().get_multiplexed_async_connection().await.unwrap();
        let keys: Vec<String> =
            redis::cmd("KEYS").arg(format!("{prefix}idempotency:*")).query_async(&mut redis).await.unwrap();
        for key in &keys {
            let _: () = redis::cmd("DEL").arg(key).query_async(&mut redis).await.unwrap();
        }
        keys.len()
    }

    pub async fn get_json(&self, path: &str) -> Value {
        self.client.get(self.url(path)).send().await.unwrap().json().await.unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client.post(self.url(path)).json(body).send().await.unwrap()
    }

    pub async fn register(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_json("/v1/auth/register", &json!({ "email": email, "password": password })).await
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_json("/v1/auth/login", &json!({ "email": email, "password": password })).await
    }

    /// Registers and logs in a new account; returns `(email, access token)`.
    pub async fn signed_in_user(&self) -> (String, String) {
        let (email, body) = self.signed_in().await;
        (email, body["access_token"].as_str().unwrap().to_owned())
    }

    /// Registers and logs in a new account; returns `(email, login answer)`.
    pub async fn signed_in(&self) -> (String, Value) {
        let email = unique_email();
        assert_eq!(self.register(&email, PASSWORD).await.status(), 201);
        (email.clone(), self.login_ok(&email, PASSWORD).await)
    }

    /// Registers `email` (the server's `BOOTSTRAP_ADMIN_EMAIL`) with [`PASSWORD`], proves the
    /// address with the mailed link (which makes it admin) and signs in: the admin's access
    /// token.
    pub async fn bootstrap_admin(&self, email: &str) -> String {
        assert_eq!(self.register(email, PASSWORD).await.status(), 201);
        assert_eq!(self.verify_address(email).await.status(), 200);
        let login = self.login_ok(email, PASSWORD).await;
        assert!(login["user"]["roles"].as_array().unwrap().contains(&json!("admin")), "{login}");
        login["access_token"].as_str().unwrap().to_owned()
    }

    /// Follows the last verification link mailed to `email`: `POST /v1/auth/email/verify`.
    pub async fn verify_address(&self, email: &str) -> reqwest::Response {
        let token = self
            .sent_mail()
            .await
            .iter()
            .rev()
            .find_map(|mail| match mail {
                identity_core::ports::Mail::VerifyEmail { to, token, .. }
                    if to.as_str().eq_ignore_ascii_case(email) =>
                {
                    Some(token.clone())
                }
                _ => None,
            })
            .unwrap_or_else(|| panic!("no verification mail to {email}"));
        self.post_json("/v1/auth/email/verify", &json!({ "token": token })).await
    }

    /// Logs in and returns the answer, asserting 200.
    pub async fn login_ok(&self, email: &str, password: &str) -> Value {
        let res = self.login(email, password).await;
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    /// POSTs `path` with a bearer token and an optional JSON body.
    pub async fn post_authed(&self, path: &str, token: &str, body: Option<&Value>) -> reqwest::Response {
        let mut req = self.client.post(self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            req = req.json(body);
        }
        req.send().await.unwrap()
    }

    pub async fn get_authed(&self, path: &str, token: &str) -> reqwest::Response {
        self.client.get(self.url(path)).bearer_auth(token).send().await.unwrap()
    }

    pub async fn delete_authed(&self, path: &str, token: &str) -> reqwest::Response {
        self.client.delete(self.url(path)).bearer_auth(token).send().await.unwrap()
    }

    /// A service client holding every scope, created by `admin`: its id and a token of the
    /// `client_credentials` grant (the caller of service routes).
    pub async fn service_client_with_every_scope(&self, admin: &str) -> (String, String) {
        let all = json!({ "name": "every scope", "scopes": identity_core::domain::Scope::known() });
        let res = self.post_authed("/v1/admin/service-clients", admin, Some(&all)).await;
        assert_eq!(res.status(), 201);
        let client: Value = res.json().await.unwrap();
        let id = client["client_id"].as_str().unwrap().to_owned();
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", id.as_str()),
            ("client_secret", client["client_secret"].as_str().unwrap()),
        ];
        let res = self.client.post(self.url("/v1/auth/token")).form(&form).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let granted: Value = res.json().await.unwrap();
        (id, granted["access_token"].as_str().unwrap().to_owned())
    }

    /// `POST /v1/auth/token` with the OAuth2 password grant.
    pub async fn password_grant(&self, username: &str, password: &str) -> reqwest::Response {
        let form = [("grant_type", "password"), ("username", username), ("password", password)];
        self.client.post(self.url("/v1/auth/token")).form(&form).send().await.unwrap()
    }

    pub async fn refresh(&self, refresh_token: &str) -> reqwest::Response {
        self.post_json("/v1/auth/refresh", &json!({ "refresh_token": refresh_token })).await
    }

    /// The mails sent to `email` so far, once every mail job enqueued so far has run.
    pub async fn mails_to(&self, email: &str) -> Vec<identity_core::ports::Mail> {
        self.settle_jobs().await;
        self.mail.sent_to(email)
    }

    /// Every mail sent so far, once every mail job enqueued so far has run.
    pub async fn sent_mail(&self) -> Vec<identity_core::ports::Mail> {
        self.settle_jobs().await;
        self.mail.sent()
    }

    /// Waits until no job is running and every queued job has had its first run (jobs
    /// waiting for a retry do not count): what a request enqueued has been done.
    pub async fn settle_jobs(&self) {
        use identity_core::domain::{JobFilter, JobState};
        for _ in 0..1000 {
            let mut busy = false;
            for queue in &self.queues {
                // Queued before running: a job moves from the one to the other, so read in this
                // order no job slips between the two reads unseen.
                let queued = JobFilter { state: Some(JobState::Queued), limit: 1000, ..JobFilter::default() };
                let running = JobFilter { state: Some(JobState::Running), limit: 1, ..JobFilter::default() };
                busy |= queue.list_jobs(&queued).await.unwrap().iter().any(|job| job.attempts == 0);
                busy |= !queue.list_jobs(&running).await.unwrap().is_empty();
            }
            if !busy {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the server's jobs did not settle within 10 s");
    }

    pub async fn me_with_bearer(&self, token: &str) -> reqwest::Response {
        self.client.get(self.url("/v1/auth/me")).bearer_auth(token).send().await.unwrap()
    }
}

/// Asserts a problem+json answer with `status` and `code`, and returns its body.
pub async fn assert_problem(res: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status().as_u16(), status, "status");
    let content_type = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(content_type.as_deref(), Some("application/problem+json"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["type"], format!("urn:identity:problem:{code}"));
    assert!(body["title"].is_string() && body["detail"].is_string(), "{body}");
    body
}

/// Direct reads of the test database, to check what a request left behind.
pub struct Db {
    conn: diesel_async::AsyncPgConnection,
}

#[derive(Debug, diesel::QueryableByName)]
pub struct UserRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub email: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub password_hash: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub status: String,
}

#[derive(Debug, diesel::QueryableByName)]
pub struct OutboxRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub event_type: String,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    pub payload: Value,
}

impl Db {
    pub async fn connect(url: &str) -> Self {
        use diesel_async::AsyncConnection;
        Self { conn: diesel_async::AsyncPgConnection::establish(url).await.unwrap() }
    }

    pub async fn user(&mut self, id: uuid::Uuid) -> Option<UserRow> {
        use diesel_async::RunQueryDsl;
        diesel::sql_query("SELECT email::text AS email, password_hash, status FROM users WHERE id = $1")
            .bind::<diesel::sql_types::Uuid, _>(id)
            .get_result(&mut self.conn)
            .await
            .ok()
    }

    pub async fn outbox_for(&mut self, aggregate: uuid::Uuid) -> Vec<OutboxRow> {
        use diesel_async::RunQueryDsl;
        diesel::sql_query("SELECT type AS event_type, payload FROM outbox WHERE aggregate_id = $1 ORDER BY seq")
            .bind::<diesel::sql_types::Uuid, _>(aggregate)
            .load(&mut self.conn)
            .await
            .unwrap()
    }

    /// Kills every other connection to this database, as a PostgreSQL restart would.
    pub async fn terminate_other_connections(&mut self) -> i64 {
        use diesel_async::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let row: Count = diesel::sql_query(
            "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .get_result(&mut self.conn)
        .await
        .unwrap();
        row.n
    }

    /// Runs a statement; `Err` carries the database's refusal.
    pub async fn execute(&mut self, sql: &str) -> Result<usize, String> {
        use diesel_async::RunQueryDsl;
        diesel::sql_query(sql).execute(&mut self.conn).await.map_err(|e| e.to_string())
    }

    /// The number a query answers as `n` (`SELECT count(*) AS n FROM …`).
    pub async fn number(&mut self, sql: &str) -> i64 {
        use diesel_async::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Number {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let row: Number = diesel::sql_query(sql).get_result(&mut self.conn).await.unwrap();
        row.n
    }

    pub async fn count(&mut self, table: &str) -> i64 {
        use diesel_async::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let row: Count =
            diesel::sql_query(format!("SELECT count(*) AS n FROM {table}")).get_result(&mut self.conn).await.unwrap();
        row.n
    }
}

/// The value of cookie `name` among the response's `Set-Cookie` headers, with its attributes.
pub fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// The token inside a link like `https://…?token=abc`.
pub fn token_from_link(link: &str) -> String {
    link.rsplit("token=").next().unwrap().to_owned()
}

/// A loopback port nothing listens on now: for a server process a test starts (or, left
/// unused, one whose connections are refused). Below the kernel's ephemeral ports, so no
/// other test's connection or `:0` bind takes it before the server binds it.
pub use identity_tls::testing::free_port;

/// The `identity` binary on `127.0.0.1:port`, with nothing of the developer's environment and
/// no standard input: the test adds its own variables, log level and output.
pub fn server_command(port: u16) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_identity"));
    command.env_clear().env("BIND_ADDR", "127.0.0.1").env("PORT", port.to_string()).stdin(std::process::Stdio::null());
    command
}

/// A child process (a server binary, nginx), killed when dropped if it still runs, with
/// every process of its process group: a child started by [`Process::group`] (nginx's master)
/// takes its own children (nginx's workers) with it.
pub struct Process(pub std::process::Child);

impl Process {
    /// Spawns `command` as the leader of a new process group.
    pub fn group(command: &mut std::process::Command) -> Self {
        use std::os::unix::process::CommandExt;
        Self(command.process_group(0).spawn().unwrap())
    }

    /// The ids of the running processes whose parent is this one.
    pub fn children(&self) -> Vec<u32> {
        let parent = self.0.id().to_string();
        let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
        entries
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| {
                // `pid (comm) state ppid …`: the fields after the last ')'.
                std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                    stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().nth(1) == Some(parent.as_str()))
                        == Some(true)
                })
            })
            .collect()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        // The whole group when the child leads one (ESRCH otherwise, ignored).
        let group = format!("-{}", self.0.id());
        let _ = std::process::Command::new("kill")
            .args(["-KILL", "--", &group])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether process `pid` still runs (a zombie does not count).
pub fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| stat.rsplit_once(')').is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')))
}

/// Waits until `url` answers with a success status (a server process coming up), for at most
/// 20 s.
pub async fn wait_until_up(url: &str) {
    let client = reqwest::Client::new();
    eventually(&format!("{url} to come up"), Duration::from_secs(20), async || {
        client.get(url).send().await.is_ok_and(|r| r.status().is_success()).then_some(())
    })
    .await;
}

/// Asks `probe` every 50 ms until it answers `Some`, and returns that answer; panics naming
/// `what` it waited for when `within` passes first (a probe still running then is cut short).
pub async fn eventually<T>(what: &str, within: Duration, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    let polling = async {
        loop {
            if let Some(answer) = probe().await {
                return answer;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(within, polling).await.unwrap_or_else(|_| panic!("waited {within:?} for {what} in vain"))
}
