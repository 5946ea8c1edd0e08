//! `cargo xtask` — developer commands. The standard library and serde_json only, so it builds
//! in seconds.
//!
//! ```text
//! cargo xtask run [ARGS]      start the server (embedded default unless DATABASE_URL etc. are set)
//! cargo xtask test            start local services if down, install test tools (nginx), then fmt check, deploy-check, audit, clippy -D warnings, all tests, contract, clients --check, authorize-check, mail-links-check, image
//! cargo xtask contract [--backend embedded|postgres] [--role anonymous|user|admin] [--seed N] [--max-examples N]
//!                             schemathesis against a running server, as each role, on each backend
//! cargo xtask clients [--check]  regenerate clients/ (or fail if stale; type-check and run the examples)
//! cargo xtask authorize-check Swagger UI's Authorize (OAuth2 password flow) in headless Chromium
//! cargo xtask mail-links-check  the mailed verification and reset links' pages, in headless Chromium
//! cargo xtask tools           install what tests drive besides our code when missing (nginx-light from Debian, moto from PyPI)
//! cargo xtask deploy-check    validate deploy/ offline: Kubernetes manifests, compose file, Dockerfile
//! cargo xtask image           build the runtime image (buildah, from scratch: release binary, its libraries,
//!                             CA bundle) and run it by chroot as 65532 on a read-only root: /ready, register
//!                             + login, SIGTERM → exit 0, on the embedded default and the local stores; < 40 MB
//! cargo xtask audit           cargo deny check: advisories (offline RustSec snapshot), licences, bans, sources
//! cargo xtask sbom [--target TRIPLE] [PATH]  CycloneDX SBOM of the binary (default target/sbom/identity.cdx.json)
//! cargo xtask services        start local PostgreSQL, Redis and RabbitMQ if they are down
//! cargo xtask migrate         apply migrations to DATABASE_URL
//! cargo xtask create-admin EMAIL  give that account the admin role (DATABASE_URL)
//! cargo xtask keygen          print a new signing key for PASETO_SECRET_KEY (`identity keygen`)
//! cargo xtask openapi [--check]  write docs/openapi.json (or fail if it is stale)
//! cargo xtask events [--check]   write docs/events/*.json and docs/events.md's type sections (or fail if stale)
//! cargo xtask bench [FILTER]  criterion benchmarks (hashing, tokens, HTTP round trips), then the
//!                             outbox relay's throughput on the local PostgreSQL and RabbitMQ (`relay`)
//!                             and the job queue's, enqueue to done (`jobs`), and the WebSocket
//!                             gateway's memory per idle socket and fan-out latency (`gateway`), and
//!                             one request's pieces on PostgreSQL, Redis and in memory (`pieces`)
//! cargo xtask bench hash [FILTER]  the Argon2id implementations side by side (1 thread, 2 threads;
//!                             RustCrypto 0.5 and 0.6, argon2-rust, the reference C code), after
//!                             checking that their PHC strings and tags are interchangeable
//! cargo xtask bench load [ARGS]  build the release binary, then drive register, login, refresh and
//!                             /me with N concurrent clients on PostgreSQL + Redis and embedded: rps,
//!                             p50, p99 and errors per phase beside raw Argon2id hashes/s
//!                             (ARGS: --clients N --secs N --users N --backend pg|embedded|both --hash-secs N)
//! ```
//!
//! Every cargo command xtask runs (and the `cargo xtask` alias) passes `--locked`: Cargo.lock
//! is the truth, and a stale one fails instead of being rewritten.

#![allow(clippy::print_stdout)]

mod authorize;
mod clients;
mod contract;
mod deploy;
mod events;
mod image;
mod mail_links;
mod server;
mod supply;

use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => cargo(&["run", "-p", "identity-http", "--bin", "identity", "--", "serve"], &args[1..]),
        Some("test") => test(),
        Some("services") => services(),
        Some("deploy-check") => deploy::check(),
        Some("image") => image::image(),
        Some("tools") => tools(),
        Some("contract") => contract::contract(&args[1..]),
        Some("clients") => clients::clients(args.get(1).is_some_and(|a| a == "--check")),
        Some("authorize-check") => authorize::check(),
        Some("mail-links-check") => mail_links::check(),
        Some("audit") => supply::audit(),
        Some("sbom") => supply::sbom(&args[1..]),
        Some("create-admin") => {
            cargo(&["run", "-q", "-p", "identity-http", "--bin", "identity", "--", "create-admin"], &args[1..])
        }
        Some("migrate") => cargo(&["run", "-q", "-p", "identity-http", "--bin", "identity", "--", "migrate"], &[]),
        Some("keygen") => cargo(&["run", "-q", "-p", "identity-http", "--bin", "identity", "--", "keygen"], &[]),
        Some("openapi") => openapi(args.get(1).is_some_and(|a| a == "--check")),
        Some("events") => events::events(args.get(1).is_some_and(|a| a == "--check")),
        Some("bench") if args.get(1).is_some_and(|a| a == "load") => bench_load(&args[2..]),
        Some("bench") if args.get(1).is_some_and(|a| a == "hash") => {
            cargo(&["bench", "-p", "identity-crypto", "--bench", "argon2_impls", "--"], &args[2..])
        }
        Some("bench") => cargo(
            &[
                "bench",
                "-p",
                "identity-http",
                "--bench",
                "identity",
                "--bench",
                "relay",
                "--bench",
                "jobs",
                "--bench",
                "gateway",
                "--bench",
                "pieces",
                "--",
            ],
            &args[1..],
        ),
        _ => {
            eprintln!(
                "usage: cargo xtask <run|test|services|tools|contract [--backend B] [--role R] [--seed N] [--max-examples N]|clients [--check]|authorize-check|mail-links-check|deploy-check|image|audit|sbom [--target TRIPLE] [PATH]|migrate|create-admin EMAIL|keygen|openapi [--check]|events [--check]|bench [FILTER]|bench hash [FILTER]|bench load [ARGS]>"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root. Read at run time (`cargo run` sets `CARGO_MANIFEST_DIR`): with one
/// target directory shared by several checkouts, the compiled-in path may be another tree's.
fn root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir.parent().map(PathBuf::from).unwrap_or_default()
}

fn cargo_bin() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// What `cargo run` sets for the program it runs, here xtask itself (`cargo xtask` is `cargo
/// run -p xtask`): `CARGO_PKG_*` and these. Inherited by the cargo xtask runs, they reach build
/// scripts (ring's reads `CARGO_MANIFEST_DIR`), whose fingerprints then look changed: ring,
/// rustls, lapin and identity-http were rebuilt on every switch between `cargo build` and
/// `cargo xtask`. `CARGO` (which cargo) and the user's own `CARGO_*` settings stay.
const CARGO_RUN_VARS: [&str; 10] = [
    "CARGO_MANIFEST_DIR",
    "CARGO_MANIFEST_PATH",
    "CARGO_MANIFEST_LINKS",
    "CARGO_CRATE_NAME",
    "CARGO_BIN_NAME",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_TARGET_TMPDIR",
    "CARGO_RUSTC_CURRENT_DIR",
    "CARGO_SBOM_PATH",
    "OUT_DIR",
];

/// A cargo command without the variables cargo set for xtask ([`CARGO_RUN_VARS`]), run at the
/// workspace root. Every cargo xtask starts is made here.
fn cargo_command() -> Command {
    let mut command = Command::new(cargo_bin());
    command.current_dir(root());
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(|name| name.starts_with("CARGO_PKG_") || CARGO_RUN_VARS.contains(&name)) {
            command.env_remove(name);
        }
    }
    command
}

/// `cargo COMMAND --locked ARGS… EXTRA…` (`cargo fmt` resolves nothing and takes no `--locked`).
fn cargo(args: &[&str], extra: &[String]) -> Result {
    let mut all: Vec<&str> = args.to_vec();
    if all.first().is_some_and(|command| *command != "fmt") {
        all.insert(1, "--locked");
    }
    all.extend(extra.iter().map(String::as_str));
    eprintln!("$ cargo {}", all.join(" "));
    let status = cargo_command().args(&all).status().map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("`cargo {}` failed ({status})", all.join(" "))) }
}

/// `cargo xtask bench load [ARGS]`: the release binary, built, then the load bench
/// (crates/identity-http/benches/load.rs) against it with ARGS (a leading `--` is optional).
/// `cargo bench` builds `identity` once more, with the dev-dependencies' features (`testkit`),
/// into the same path: the bench gets a copy of the release build as `IDENTITY_BIN`, so the
/// server measured is the one deployed. An `IDENTITY_BIN` of the caller's own is used as is.
fn bench_load(args: &[String]) -> Result {
    let binary = match std::env::var_os("IDENTITY_BIN") {
        Some(binary) => PathBuf::from(binary),
        None => {
            let built = image::build_release()?;
            let copy = built.with_file_name("identity-load");
            std::fs::copy(&built, &copy)
                .map_err(|e| format!("cannot copy {} to {}: {e}", built.display(), copy.display()))?;
            copy
        }
    };
    let args = if args.first().is_some_and(|a| a == "--") { &args[1..] } else { args };
    let mut all = vec!["bench", "--locked", "-p", "identity-http", "--bench", "load", "--"];
    all.extend(args.iter().map(String::as_str));
    eprintln!("$ IDENTITY_BIN={} cargo {}", binary.display(), all.join(" "));
    let status = cargo_command()
        .env("IDENTITY_BIN", &binary)
        .args(&all)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("`cargo {}` failed ({status})", all.join(" "))) }
}

fn test() -> Result {
    services()?;
    tools()?;
    drop_test_databases();
    cargo(&["fmt", "--all", "--", "--check"], &[])?;
    deploy::check()?;
    supply::audit()?;
    cargo(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"], &[])?;
    let (passed, failed) = cargo_test(&["test", "--locked", "--workspace", "--all-targets", "--no-fail-fast"])?;
    // One closing line for the whole run, whatever binary ran last.
    println!("{passed} passed, {failed} failed");
    // The checks that drive a real server from outside run even when a test failed: their
    // findings are different ones.
    let contract = contract::contract(&[]);
    let clients = clients::clients(true);
    // Seconds once Chromium is installed (the first run installs it with apt-get).
    let authorize = authorize::check();
    let mail_links = mail_links::check();
    // The image, built and run (release build: minutes cold, seconds warm).
    let image = image::image();
    if failed > 0 || passed == 0 {
        return Err(format!("{failed} tests failed, {passed} passed"));
    }
    contract?;
    clients?;
    authorize?;
    mail_links?;
    image
}

/// Runs `cargo test …`, echoing its output, and adds up the `test result:` lines.
fn cargo_test(args: &[&str]) -> Result<(usize, usize)> {
    use std::io::{BufRead, BufReader};
    eprintln!("$ cargo {}", args.join(" "));
    let mut child =
        cargo_command().args(args).stdout(Stdio::piped()).spawn().map_err(|e| format!("cannot run cargo: {e}"))?;
    let (mut passed, mut failed) = (0, 0);
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(std::result::Result::ok) {
            println!("{line}");
            if let Some(rest) = line.strip_prefix("test result: ") {
                passed += count(rest, " passed");
                failed += count(rest, " failed");
            }
        }
    }
    let status = child.wait().map_err(|e| format!("cargo test did not finish: {e}"))?;
    if !status.success() && failed == 0 {
        return Err(format!("cargo test failed ({status})"));
    }
    Ok((passed, failed))
}

/// The number before `word` in `ok. 41 passed; 0 failed; …`.
fn count(summary: &str, word: &str) -> usize {
    summary
        .split(';')
        .find_map(|part| part.trim().strip_suffix(word))
        .and_then(|n| n.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// A local service: the port it listens on and the command that starts it (the machine's
/// own commands; see docs/operations.md).
struct Service {
    name: &'static str,
    port: u16,
    start: &'static str,
}

const SERVICES: [Service; 3] = [
    Service {
        name: "PostgreSQL",
        port: 5432,
        start: "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    },
    Service {
        name: "Redis",
        port: 6379,
        start: "redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save \"\" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log",
    },
    Service { name: "RabbitMQ", port: 5672, start: "rabbitmq-server -detached" },
];

fn listening(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok()
}

/// Starts every service that does not answer on its port, and waits until it does.
/// The programs tests drive besides our own: nginx (the scale-out test's load balancer), from
/// Debian's `nginx-light` when it is missing, and moto's server (the local AWS Secrets Manager
/// of the `DATABASE_SECRET_ARN` tests), from PyPI into a virtual environment.
fn tools() -> Result {
    deploy::venv("moto", &root().join("xtask/moto/requirements.txt"))?;
    let present = ["/usr/sbin/nginx", "/usr/bin/nginx"].iter().any(|p| std::path::Path::new(p).exists());
    if present {
        return Ok(());
    }
    eprintln!("nginx is missing: installing nginx-light from Debian");
    let sudo = if run_quiet("id", &["-u"]).is_some_and(|uid| uid.trim() == "0") { "" } else { "sudo " };
    let install = format!(
        "{sudo}apt-get update -q && DEBIAN_FRONTEND=noninteractive {sudo}apt-get install -y -q --no-install-recommends nginx-light"
    );
    let status = Command::new("sh").args(["-c", &install]).status().map_err(|e| format!("cannot run apt-get: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("installing nginx-light failed ({status})")) }
}

/// The standard output of a command that succeeded.
fn run_quiet(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn services() -> Result {
    for service in &SERVICES {
        if listening(service.port) {
            continue;
        }
        eprintln!("xtask: {} is down on port {}; starting it", service.name, service.port);
        let status = Command::new("sh")
            .args(["-c", service.start])
            .stdout(Stdio::null())
            .status()
            .map_err(|e| format!("cannot start {}: {e}", service.name))?;
        if !status.success() {
            eprintln!("xtask: `{}` exited with {status}; waiting for the port anyway", service.start);
        }
        let deadline = Instant::now() + Duration::from_secs(90);
        while !listening(service.port) {
            if Instant::now() > deadline {
                return Err(format!(
                    "{} did not come up on port {} (started with `{}`)",
                    service.name, service.port, service.start
                ));
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        eprintln!("xtask: {} is up", service.name);
    }
    Ok(())
}

/// Drops the `identity_test_*` databases earlier test runs left behind: the migrated
/// templates (so each run migrates afresh) and the databases of failed or killed tests.
fn drop_test_databases() {
    let list = Command::new("psql")
        .args(["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-Atc"])
        .arg("SELECT datname FROM pg_database WHERE datname LIKE 'identity\\_test\\_%'")
        .output();
    let Ok(list) = list else {
        eprintln!("xtask: psql not found; old test databases are kept");
        return;
    };
    let names = String::from_utf8_lossy(&list.stdout);
    let mut dropped = 0;
    for name in names.lines().filter(|n| !n.is_empty()) {
        let ok = Command::new("psql")
            .args(["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc"])
            .arg(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .status()
            .is_ok_and(|s| s.success());
        dropped += usize::from(ok);
    }
    if dropped > 0 {
        eprintln!("xtask: dropped {dropped} old test databases");
    }
}

fn openapi(check: bool) -> Result {
    let output = cargo_command()
        .args(["run", "-q", "--locked", "-p", "identity-http", "--bin", "identity", "--", "openapi"])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err("rendering the OpenAPI document failed".into());
    }
    let path = root().join("docs/openapi.json");
    if check {
        let committed = std::fs::read(&path).unwrap_or_default();
        if committed != output.stdout {
            return Err("docs/openapi.json is stale: run `cargo xtask openapi` and commit it".into());
        }
        eprintln!("xtask: docs/openapi.json is up to date");
        return Ok(());
    }
    std::fs::write(&path, &output.stdout).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    eprintln!("xtask: wrote {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    /// `cargo test` sets for this test what `cargo run` sets for xtask: the cargo xtask runs
    /// goes without them (else every switch between `cargo build` and `cargo xtask` rebuilds
    /// ring and all that depends on it), and keeps the user's own settings.
    #[test]
    fn cargo_runs_without_what_cargo_set_for_xtask() {
        assert!(std::env::var_os("CARGO_MANIFEST_DIR").is_some(), "run by cargo test");
        let command = super::cargo_command();
        let removed: Vec<String> = command
            .get_envs()
            .filter(|(_, value)| value.is_none())
            .map(|(name, _)| name.to_string_lossy().into_owned())
            .collect();
        for name in ["CARGO_MANIFEST_DIR", "CARGO_MANIFEST_PATH", "CARGO_PKG_NAME", "CARGO_PKG_VERSION"] {
            assert!(removed.iter().any(|r| r == name), "{name} is passed on: {removed:?}");
        }
        for kept in ["CARGO", "CARGO_HOME", "CARGO_TARGET_DIR", "RUSTUP_TOOLCHAIN", "PATH"] {
            assert!(!removed.iter().any(|r| r == kept), "{kept} is removed");
        }
        assert_eq!(command.get_current_dir(), Some(super::root().as_path()));
    }

    #[test]
    fn counts_test_results() {
        let line = "ok. 41 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.96s";
        assert_eq!(super::count(line, " passed"), 41);
        assert_eq!(super::count(line, " failed"), 2);
        assert_eq!(super::count("FAILED. 0 passed; 1 failed;", " passed"), 0);
    }
}
