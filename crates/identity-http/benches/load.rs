//! `cargo xtask bench load`: the `identity` binary under load, on PostgreSQL + Redis (`pg`) and
//! on the embedded default (`embedded`), beside this machine's raw Argon2id throughput measured
//! in the same run.
//!
//! Each backend gets a server process of its own (`IDENTITY_BIN`: `cargo xtask bench load` sets
//! it to a copy of its release build; else the binary cargo built with this bench,
//! `<target>/release/identity`, which has the dev-dependencies' features) on a free 127.0.0.1
//! port: logs at warn (into `<target>/tmp/load-<backend>.log`), the auth rate limit at its
//! maximum, Argon2id at its default cost. Then four phases, each with `--clients` requests in
//! flight over one keep-alive HTTP client:
//!
//! - `register`: `POST /v1/auth/register`, a distinct user each, until `--users` are registered
//!   or `--secs` have passed;
//! - `login`: `POST /v1/auth/login`, round the registered users, for `--secs`;
//! - `refresh`: `POST /v1/auth/refresh`, each client rotating its own session's refresh token;
//! - `me`: `GET /v1/auth/me` with each client's latest access token.
//!
//! Only successful answers count toward rps, p50 and p99; failures are counted per status (or
//! transport error) and printed, and make the run exit non-zero. Raw throughput: the service's
//! own `Argon2Hasher` with its default `HasherSettings`, one hash in flight per core, for
//! `--hash-secs` before the servers start; register and login each cost one Argon2id hash, so
//! their rps is also printed as a share of it. Then the server's RSS when ready (idle) and its
//! high-water mark after the phases (peak), and the load average when the run started and
//! ended: with other work on the machine the share means little.
//!
//! `pg`: a fresh database `identity_load_<pid>` on the server of `LOAD_DATABASE_URL` (a URL of
//! any database there; default `postgres://postgres@127.0.0.1:5432/postgres`), migrated with
//! `identity migrate` and dropped at the end; Redis at `LOAD_REDIS_URL` (default
//! `redis://127.0.0.1:6379`) under the key prefix `identity-load:<pid>:`, whose keys are
//! deleted at the end.
//!
//! Settings, after `--` (or from the environment): `--clients N` (`LOAD_CLIENTS`, 16),
//! `--secs N` (`LOAD_SECS`, 10), `--users N` (`LOAD_USERS`, 300), `--backend pg|embedded|both`
//! (`LOAD_BACKEND`, both), `--hash-secs N` (`LOAD_HASH_SECS`, 5). `RUST_LOG` for the server:
//! `LOAD_LOG` (warn). `cargo test --all-targets` runs it as a smoke test: the binary of that
//! build, 2 clients, 1 s phases, 8 users.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use identity_core::PasswordPolicy;
use identity_core::ports::PasswordHasher;
use identity_crypto::{Argon2Hasher, HasherSettings};
use serde_json::{Value, json};

const USAGE: &str = "usage: cargo xtask bench load [--] [--clients N] [--secs N] [--users N] \
                     [--backend pg|embedded|both] [--hash-secs N]";
const PASSWORD: &str = "correct horse battery staple 9";
/// Longest wait for one answer: a hung request is a failure, not a hung bench.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

fn main() -> ExitCode {
    let settings = match Settings::parse() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("load: {error:#}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    // Ctrl-C ends the run through the guards: the server is killed, the database dropped.
    let outcome = runtime.block_on(async {
        tokio::select! {
            outcome = bench(&settings) => outcome,
            _ = tokio::signal::ctrl_c() => Err(anyhow!("interrupted")),
        }
    });
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("load: some requests failed (the errors column; the server logs are named above)");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("load: {error:#}");
            ExitCode::FAILURE
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Backend {
    Pg,
    Embedded,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Self::Pg => "pg",
            Self::Embedded => "embedded",
        }
    }
}

struct Settings {
    clients: usize,
    phase: Duration,
    users: usize,
    hashing: Duration,
    backends: Vec<Backend>,
}

impl Settings {
    /// The options after `--` over the `LOAD_*` variables over the defaults (small ones when
    /// not run by `cargo bench`, which passes `--bench`).
    fn parse() -> anyhow::Result<Self> {
        const OPTIONS: [(&str, &str); 5] = [
            ("clients", "LOAD_CLIENTS"),
            ("secs", "LOAD_SECS"),
            ("users", "LOAD_USERS"),
            ("backend", "LOAD_BACKEND"),
            ("hash-secs", "LOAD_HASH_SECS"),
        ];
        let smoke = !std::env::args().any(|a| a == "--bench");
        let mut values: BTreeMap<&str, String> =
            OPTIONS.iter().filter_map(|(option, var)| std::env::var(var).ok().map(|value| (*option, value))).collect();
        let mut args = std::env::args().skip(1).filter(|a| a != "--bench" && a != "--");
        while let Some(arg) = args.next() {
            let Some(given) = arg.strip_prefix("--") else { bail!("unexpected argument {arg:?}") };
            let (name, value) = match given.split_once('=') {
                Some((name, value)) => (name.to_owned(), value.to_owned()),
                None => (given.to_owned(), args.next().with_context(|| format!("--{given} needs a value"))?),
            };
            let (option, _) =
                OPTIONS.iter().find(|(option, _)| *option == name).ok_or_else(|| anyhow!("unknown option --{name}"))?;
            values.insert(*option, value);
        }
        let number = |option: &str, default: u64| -> anyhow::Result<u64> {
            match values.get(option) {
                None => Ok(default),
                Some(text) => match text.parse::<u64>() {
                    Ok(n) if n > 0 => Ok(n),
                    _ => bail!("--{option} wants a whole number above 0, not {text:?}"),
                },
            }
        };
        let backends = match values.get("backend").map_or("both", String::as_str) {
            "pg" | "postgres" => vec![Backend::Pg],
            "embedded" => vec![Backend::Embedded],
            "both" => vec![Backend::Pg, Backend::Embedded],
            other => bail!("--backend is pg, embedded or both, not {other:?}"),
        };
        let (clients, secs, users, hash_secs) = if smoke { (2, 1, 8, 1) } else { (16, 10, 300, 5) };
        Ok(Self {
            clients: usize::try_from(number("clients", clients)?)?,
            phase: Duration::from_secs(number("secs", secs)?),
            users: usize::try_from(number("users", users)?)?,
            hashing: Duration::from_secs(number("hash-secs", hash_secs)?),
            backends,
        })
    }
}

/// The server binary: `IDENTITY_BIN`, else the one cargo built with this bench (under `cargo
/// bench`, `<target>/release/identity`).
fn binary() -> anyhow::Result<PathBuf> {
    let path =
        std::env::var_os("IDENTITY_BIN").map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_identity")), PathBuf::from);
    anyhow::ensure!(path.is_file(), "no identity binary at {} (set IDENTITY_BIN)", path.display());
    Ok(path)
}

async fn bench(settings: &Settings) -> anyhow::Result<bool> {
    let load = load_average();
    let bin = binary()?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "load: {} clients, {} s per phase, {} users; {cores} cores; load average at start {load}; server {}",
        settings.clients,
        settings.phase.as_secs(),
        settings.users,
        bin.display()
    );
    let hashing = hash_throughput(settings.hashing).await?;
    println!(
        "argon2id (m={} KiB, t={}, p={}), {} in flight for {:.1} s: {:.1} hashes/s",
        hashing.settings.m_cost,
        hashing.settings.t_cost,
        hashing.settings.p_cost,
        hashing.settings.max_concurrency,
        hashing.elapsed.as_secs_f64(),
        hashing.per_second
    );
    let mut rows = Vec::new();
    let mut memory = Vec::new();
    for &backend in &settings.backends {
        let log = log_path(backend)?;
        let run = match backend {
            Backend::Pg => on_postgres(&bin, settings, log).await,
            Backend::Embedded => run(&bin, backend, Vec::new(), settings, log).await,
        }
        .with_context(|| format!("backend {}", backend.name()))?;
        rows.extend(run.phases);
        memory.push((backend, run.idle_kib, run.peak_kib, run.log));
    }
    println!();
    println!(
        "{:<9} {:<9} {:>7} {:>9} {:>9} {:>9} {:>9}  errors",
        "backend", "phase", "ok", "rps", "p50 ms", "p99 ms", "of hash"
    );
    for row in &rows {
        let share = match row.phase {
            "register" | "login" => format!("{:.0}%", 100.0 * row.rps() / hashing.per_second),
            _ => "-".into(),
        };
        println!(
            "{:<9} {:<9} {:>7} {:>9.1} {:>9} {:>9} {:>9}  {}",
            row.backend.name(),
            row.phase,
            row.ok(),
            row.rps(),
            row.percentile_ms(0.50),
            row.percentile_ms(0.99),
            share,
            row.errors()
        );
    }
    println!(
        "(of hash: rps / the {:.1} hashes/s above; each register and login costs one Argon2id hash)",
        hashing.per_second
    );
    for (backend, idle, peak, log) in &memory {
        println!(
            "server RSS on {}: {:.1} MiB idle, {:.1} MiB peak (log: {})",
            backend.name(),
            *idle as f64 / 1024.0,
            *peak as f64 / 1024.0,
            log.display()
        );
    }
    println!("load average at start {load}, at end {}", load_average());
    Ok(rows.iter().all(|row| row.tally.failures.is_empty()))
}

/// The 1, 5 and 15 minute load averages (`/proc/loadavg`).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

struct Hashing {
    settings: HasherSettings,
    per_second: f64,
    elapsed: Duration,
}

/// Hashes per second of the service's own hasher, default settings, one hash in flight per
/// slot (a slot per core), after a first round that allocates each slot's working memory.
async fn hash_throughput(duration: Duration) -> anyhow::Result<Hashing> {
    let settings = HasherSettings::default();
    let hasher = Argon2Hasher::new(&settings)?;
    let hash = |hasher: Argon2Hasher| async move {
        hasher.hash(&PasswordPolicy::candidate(PASSWORD)).await.map_err(|e| anyhow!("hashing: {e}"))
    };
    for warm in futures_util::future::join_all((0..settings.max_concurrency).map(|_| hash(hasher.clone()))).await {
        warm?;
    }
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = (0..settings.max_concurrency)
        .map(|_| {
            let hasher = hasher.clone();
            tokio::spawn(async move {
                let mut done = 0u32;
                while Instant::now() < deadline {
                    hash(hasher.clone()).await?;
                    done += 1;
                }
                anyhow::Ok(done)
            })
        })
        .collect();
    let mut total = 0u32;
    for worker in workers {
        total += worker.await??;
    }
    let elapsed = started.elapsed();
    Ok(Hashing { settings, per_second: f64::from(total) / elapsed.as_secs_f64(), elapsed })
}

/// What one backend's run measured.
struct Run {
    phases: Vec<Phase>,
    idle_kib: u64,
    peak_kib: u64,
    log: PathBuf,
}

async fn on_postgres(bin: &Path, settings: &Settings, log: PathBuf) -> anyhow::Result<Run> {
    let server_url =
        std::env::var("LOAD_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let redis_url = std::env::var("LOAD_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let mut redis = redis::Client::open(redis_url.as_str())?
        .get_multiplexed_async_connection()
        .await
        .with_context(|| format!("Redis is not reachable at {redis_url} (LOAD_REDIS_URL)"))?;
    let database = Database::create(&server_url).await?;
    let prefix = format!("identity-load:{}:", std::process::id());
    let env = vec![
        ("DATABASE_URL".to_owned(), database.url.clone()),
        ("REDIS_URL".to_owned(), redis_url),
        ("REDIS_KEY_PREFIX".to_owned(), prefix.clone()),
    ];
    let status = identity(bin, &env, &log)?.arg("migrate").status().context("cannot run identity migrate")?;
    anyhow::ensure!(status.success(), "identity migrate failed ({status}); its log: {}", log.display());
    let run = run(bin, Backend::Pg, env, settings, log).await;
    if let Err(error) = delete_keys(&mut redis, &prefix).await {
        eprintln!("load: could not delete the Redis keys under {prefix}: {error:#}");
    }
    drop(database);
    run
}

/// The database of a `pg` run, dropped with it (also on an error, a panic or Ctrl-C).
struct Database {
    server_url: String,
    name: String,
    url: String,
}

impl Database {
    async fn create(server_url: &str) -> anyhow::Result<Self> {
        let name = format!("identity_load_{}", std::process::id());
        // `postgres://…/DB?params`: the same server and parameters, another database.
        let (address, params) = server_url.split_once('?').map_or((server_url, None), |(a, p)| (a, Some(p)));
        let (base, _) = address
            .rsplit_once('/')
            .filter(|(base, _)| base.contains("://") && !base.ends_with('/'))
            .ok_or_else(|| anyhow!("LOAD_DATABASE_URL must name a database: {server_url}"))?;
        let url = match params {
            Some(params) => format!("{base}/{name}?{params}"),
            None => format!("{base}/{name}"),
        };
        // A database left by an earlier run of the same pid goes first.
        sql(server_url, &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await?;
        sql(server_url, &format!("CREATE DATABASE \"{name}\"")).await?;
        Ok(Self { server_url: server_url.to_owned(), name, url })
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        // A runtime of its own on a thread of its own: this may run inside the bench's runtime.
        let (server_url, statement) =
            (self.server_url.clone(), format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name));
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(sql(&server_url, &statement))
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(error)) => eprintln!("load: could not drop the database {}: {error:#}", self.name),
            Err(_) => eprintln!("load: could not drop the database {}", self.name),
        }
    }
}

/// Runs one statement on the server of `server_url`.
async fn sql(server_url: &str, statement: &str) -> anyhow::Result<()> {
    use diesel_async::RunQueryDsl;
    let mut connection = identity_postgres::testkit::connect(server_url)
        .await
        .map_err(|e| anyhow!("PostgreSQL is not reachable at {server_url} (LOAD_DATABASE_URL): {e}"))?;
    diesel::sql_query(statement).execute(&mut connection).await.with_context(|| statement.to_owned())?;
    Ok(())
}

async fn delete_keys(redis: &mut redis::aio::MultiplexedConnection, prefix: &str) -> anyhow::Result<()> {
    let mut cursor = 0u64;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{prefix}*"))
            .arg("COUNT")
            .arg(1000)
            .query_async(redis)
            .await?;
        if !keys.is_empty() {
            let _: usize = redis::cmd("DEL").arg(&keys).query_async(redis).await?;
        }
        if next == 0 {
            return Ok(());
        }
        cursor = next;
    }
}

/// The server log of `backend`'s run, emptied: `<target>/tmp/load-<backend>.log`.
fn log_path(backend: Backend) -> anyhow::Result<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("load-{}.log", backend.name()));
    std::fs::write(&path, "")?;
    Ok(path)
}

/// The `identity` binary with nothing of the developer's environment but `PATH` and `env`, its
/// output appended to `log`.
fn identity(bin: &Path, env: &[(String, String)], log: &Path) -> anyhow::Result<Command> {
    let file = std::fs::OpenOptions::new().append(true).open(log)?;
    let mut command = Command::new(bin);
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", std::env::var("LOAD_LOG").unwrap_or_else(|_| "warn".into()))
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file);
    Ok(command)
}

/// `identity serve`, killed with its process group when dropped.
struct Server {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Server {
    fn start(bin: &Path, env: &[(String, String)], log: &Path) -> anyhow::Result<Self> {
        use std::os::unix::process::CommandExt;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let paseto = identity_crypto::PasetoKeys::generate().map_err(|e| anyhow!("{e}"))?.secret_paserk();
        let child = identity(bin, env, log)?
            .arg("serve")
            .env("BIND_ADDR", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("PASETO_SECRET_KEY", paseto)
            // The settings of a benchmark (../shared/bench/peers/identity/run.sh): the load is
            // not throttled; Argon2id stays at its default cost.
            .env("RATE_LIMIT_AUTH_PER_MINUTE", "100000")
            .env("REQUIRE_VERIFIED_EMAIL", "false")
            .env("COOKIE_SECURE", "false")
            .process_group(0)
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        Ok(Self { child, base: format!("http://127.0.0.1:{port}"), log: log.to_owned() })
    }

    async fn wait_ready(&mut self, http: &reqwest::Client) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("the server stopped ({status}) before it was ready; its log: {}", self.log.display());
            }
            if let Ok(res) = http.get(format!("{}/ready", self.base)).send().await
                && res.status().is_success()
            {
                return Ok(());
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "the server was not ready within 60 s; its log: {}",
                self.log.display()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `VmRSS` and `VmHWM` of the server process, KiB.
    fn memory_kib(&self) -> anyhow::Result<(u64, u64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .ok_or_else(|| anyhow!("no {name} in /proc/{}/status", self.child.id()))
        };
        Ok((field("VmRSS:")?, field("VmHWM:")?))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // The whole process group it leads: anything it started goes with it.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What every phase shares.
struct Bench {
    http: reqwest::Client,
    base: String,
    clients: usize,
    phase: Duration,
}

impl Bench {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// One backend's phases on a server started with `env`, its output appended to `log`.
async fn run(
    bin: &Path,
    backend: Backend,
    env: Vec<(String, String)>,
    settings: &Settings,
    log: PathBuf,
) -> anyhow::Result<Run> {
    let mut server = Server::start(bin, &env, &log)?;
    let http = reqwest::Client::builder().pool_max_idle_per_host(settings.clients).timeout(REQUEST_TIMEOUT).build()?;
    server.wait_ready(&http).await?;
    let (idle_kib, _) = server.memory_kib()?;
    let bench = Arc::new(Bench { http, base: server.base.clone(), clients: settings.clients, phase: settings.phase });
    eprintln!("load: {}: register", backend.name());
    let (register, users) = register(&bench, settings.users).await?;
    anyhow::ensure!(!users.is_empty(), "no user could register: {}", register.errors());
    let users = Arc::new(users);
    eprintln!("load: {}: login", backend.name());
    let (login, sessions) = login(&bench, &users).await?;
    eprintln!("load: {}: refresh", backend.name());
    let (refresh, sessions) = refresh(&bench, &users, sessions).await?;
    eprintln!("load: {}: me", backend.name());
    let me = me(&bench, sessions).await?;
    let (_, peak_kib) = server.memory_kib()?;
    drop(server);
    let phases = [("register", register), ("login", login), ("refresh", refresh), ("me", me)]
        .into_iter()
        .map(|(phase, tally)| Phase { backend, phase, tally })
        .collect();
    Ok(Run { phases, idle_kib, peak_kib, log })
}

/// Successes (their latencies) and failures (per status or transport error) of a phase.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    failures: BTreeMap<String, usize>,
    elapsed: Duration,
}

impl Tally {
    fn record(&mut self, started: Instant, outcome: Result<(), String>) {
        match outcome {
            Ok(()) => self.latencies.push(started.elapsed()),
            Err(failure) => *self.failures.entry(failure).or_default() += 1,
        }
    }

    fn absorb(&mut self, other: Self) {
        self.latencies.extend(other.latencies);
        for (failure, n) in other.failures {
            *self.failures.entry(failure).or_default() += n;
        }
    }
}

struct Phase {
    backend: Backend,
    phase: &'static str,
    tally: Tally,
}

impl Phase {
    fn ok(&self) -> usize {
        self.tally.latencies.len()
    }

    fn rps(&self) -> f64 {
        self.ok() as f64 / self.tally.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    fn percentile_ms(&self, p: f64) -> String {
        let mut sorted = self.tally.latencies.clone();
        sorted.sort_unstable();
        match sorted.len() {
            0 => "-".into(),
            n => {
                let rank = ((n as f64 * p).ceil() as usize).clamp(1, n);
                format!("{:.1}", sorted[rank - 1].as_secs_f64() * 1000.0)
            }
        }
    }

    fn errors(&self) -> String {
        self.tally.errors()
    }
}

impl Tally {
    /// `0`, or the total and each kind: `12 (503: 10, 429: 2)`.
    fn errors(&self) -> String {
        let total: usize = self.failures.values().sum();
        if total == 0 {
            return "0".into();
        }
        let kinds: Vec<String> = self.failures.iter().map(|(kind, n)| format!("{kind}: {n}")).collect();
        format!("{total} ({})", kinds.join(", "))
    }
}

/// Runs `client(c)` for each of the bench's clients at once; their answers, in order, and the
/// time until the last finished.
async fn clients<T, F, Fut>(bench: &Bench, client: F) -> anyhow::Result<(Vec<T>, Duration)>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    let started = Instant::now();
    let tasks: Vec<_> = (0..bench.clients).map(|c| tokio::spawn(client(c))).collect();
    let mut answers = Vec::with_capacity(tasks.len());
    for task in tasks {
        answers.push(task.await.context("a client failed")?);
    }
    Ok((answers, started.elapsed()))
}

/// Sends `request` and reads the whole answer (so the connection is reused): its body when
/// the status is `expected`, else the failure's kind (the status, or the transport error's).
async fn call(request: reqwest::RequestBuilder, expected: u16) -> Result<Vec<u8>, String> {
    let kind = |e: reqwest::Error| {
        if e.is_timeout() {
            "timeout".to_owned()
        } else if e.is_connect() {
            "connect".to_owned()
        } else {
            "transport".to_owned()
        }
    };
    let res = request.send().await.map_err(kind)?;
    let status = res.status().as_u16();
    let body = res.bytes().await.map_err(kind)?;
    if status == expected { Ok(body.to_vec()) } else { Err(status.to_string()) }
}

fn credentials(user: usize) -> Value {
    json!({ "email": format!("user{user}@load.example.com"), "password": PASSWORD })
}

/// A client's signed-in session: its latest pair of tokens.
struct Session {
    access: String,
    refresh: String,
}

impl Session {
    fn from_body(body: &[u8]) -> Result<Self, String> {
        let body: Value = serde_json::from_slice(body).map_err(|_| "not JSON".to_owned())?;
        match (body["access_token"].as_str(), body["refresh_token"].as_str()) {
            (Some(access), Some(refresh)) => Ok(Self { access: access.to_owned(), refresh: refresh.to_owned() }),
            _ => Err("no tokens".to_owned()),
        }
    }

    async fn login(bench: &Bench, user: usize) -> Result<Self, String> {
        let body = call(bench.http.post(bench.url("/v1/auth/login")).json(&credentials(user)), 200).await?;
        Self::from_body(&body)
    }
}

/// Registers distinct users until `users` are or the phase's time is up: the tally and the
/// users registered.
async fn register(bench: &Arc<Bench>, users: usize) -> anyhow::Result<(Tally, Vec<usize>)> {
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + bench.phase;
    let (answers, elapsed) = clients(bench, |_| {
        let (bench, next) = (bench.clone(), next.clone());
        async move {
            let (mut tally, mut registered) = (Tally::default(), Vec::new());
            while Instant::now() < deadline {
                let user = next.fetch_add(1, Ordering::Relaxed);
                if user >= users {
                    break;
                }
                let started = Instant::now();
                let request = bench.http.post(bench.url("/v1/auth/register")).json(&credentials(user));
                let outcome = call(request, 201).await.map(drop);
                if outcome.is_ok() {
                    registered.push(user);
                }
                tally.record(started, outcome);
            }
            (tally, registered)
        }
    })
    .await?;
    let (mut tally, mut registered) = (Tally { elapsed, ..Tally::default() }, Vec::new());
    for (client, users) in answers {
        tally.absorb(client);
        registered.extend(users);
    }
    registered.sort_unstable();
    Ok((tally, registered))
}

/// Logs in round the registered users for the phase's time: the tally and each client's last
/// session.
async fn login(bench: &Arc<Bench>, users: &Arc<Vec<usize>>) -> anyhow::Result<(Tally, Vec<Option<Session>>)> {
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + bench.phase;
    let (answers, elapsed) = clients(bench, |_| {
        let (bench, users, next) = (bench.clone(), users.clone(), next.clone());
        async move {
            let (mut tally, mut last) = (Tally::default(), None);
            while Instant::now() < deadline {
                let user = users[next.fetch_add(1, Ordering::Relaxed) % users.len()];
                let started = Instant::now();
                let outcome = Session::login(&bench, user).await.map(|session| last = Some(session));
                tally.record(started, outcome);
            }
            (tally, last)
        }
    })
    .await?;
    let mut tally = Tally { elapsed, ..Tally::default() };
    let sessions = answers
        .into_iter()
        .map(|(client, last)| {
            tally.absorb(client);
            last
        })
        .collect();
    Ok((tally, sessions))
}

/// Each client rotates its own session's refresh token for the phase's time (a client whose
/// login phase left it none signs in first, untimed; after a failed refresh it signs in
/// again): the tally and each client's latest session.
async fn refresh(
    bench: &Arc<Bench>,
    users: &Arc<Vec<usize>>,
    sessions: Vec<Option<Session>>,
) -> anyhow::Result<(Tally, Vec<Session>)> {
    let mut ready = Vec::with_capacity(sessions.len());
    for (client, session) in sessions.into_iter().enumerate() {
        let session = match session {
            Some(session) => session,
            None => Session::login(bench, users[client % users.len()])
                .await
                .map_err(|failure| anyhow!("client {client} cannot sign in for the refresh phase: {failure}"))?,
        };
        ready.push(Some(session));
    }
    let ready = Arc::new(std::sync::Mutex::new(ready));
    let deadline = Instant::now() + bench.phase;
    let (answers, elapsed) = clients(bench, |client| {
        let (bench, users) = (bench.clone(), users.clone());
        let session = ready.lock().unwrap()[client].take();
        async move {
            let mut session = session.expect("one session per client");
            let mut tally = Tally::default();
            while Instant::now() < deadline {
                let started = Instant::now();
                let request =
                    bench.http.post(bench.url("/v1/auth/refresh")).json(&json!({ "refresh_token": session.refresh }));
                let outcome = match call(request, 200).await.and_then(|body| Session::from_body(&body)) {
                    Ok(next) => {
                        session = next;
                        Ok(())
                    }
                    Err(failure) => {
                        if let Ok(again) = Session::login(&bench, users[client % users.len()]).await {
                            session = again;
                        }
                        Err(failure)
                    }
                };
                tally.record(started, outcome);
            }
            (tally, session)
        }
    })
    .await?;
    let mut tally = Tally { elapsed, ..Tally::default() };
    let sessions = answers
        .into_iter()
        .map(|(client, session)| {
            tally.absorb(client);
            session
        })
        .collect();
    Ok((tally, sessions))
}

/// `GET /v1/auth/me` with each client's access token, for the phase's time.
async fn me(bench: &Arc<Bench>, sessions: Vec<Session>) -> anyhow::Result<Tally> {
    let tokens: Arc<Vec<String>> = Arc::new(sessions.into_iter().map(|s| s.access).collect());
    let deadline = Instant::now() + bench.phase;
    let (answers, elapsed) = clients(bench, |client| {
        let (bench, tokens) = (bench.clone(), tokens.clone());
        async move {
            let mut tally = Tally::default();
            while Instant::now() < deadline {
                let started = Instant::now();
                let request = bench.http.get(bench.url("/v1/auth/me")).bearer_auth(&tokens[client]);
                tally.record(started, call(request, 200).await.map(drop));
            }
            tally
        }
    })
    .await?;
    let mut tally = Tally { elapsed, ..Tally::default() };
    answers.into_iter().for_each(|client| tally.absorb(client));
    Ok(tally)
}
