//! A real `identity` server for the checks that drive it from outside (`contract`, `clients`,
//! `authorize-check`): the binary built once, started on a free port with its own PostgreSQL
//! database and Redis key prefix (or the embedded default), its log (mails included) in a file,
//! stopped and cleaned up when dropped. Also a minimal HTTP client (std only) and a stub HTTP
//! server for the settings connection check to dial.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{Result, cargo_command, root};

/// Which adapters the server runs on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Backend {
    /// No configuration: in-memory store, in-process codes and bus.
    Embedded,
    /// A fresh PostgreSQL database and a fresh Redis key prefix (RabbitMQ is optional for the
    /// server and adds nothing the HTTP contract sees: the in-process bus is used).
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Self::Embedded => "embedded",
            Self::Postgres => "postgres+redis",
        }
    }
}

/// Builds the server binary (`cargo build --locked -p identity-http --bin identity`) and
/// returns its path, as cargo reports it (whatever the target directory).
pub fn build() -> Result<PathBuf> {
    let args =
        ["build", "--locked", "-p", "identity-http", "--bin", "identity", "--message-format=json-render-diagnostics"];
    eprintln!("$ cargo {}", args.join(" "));
    let output =
        cargo_command().args(args).stderr(Stdio::inherit()).output().map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err("building the identity binary failed".into());
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "identity")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| "cargo built no `identity` executable".into())
}

/// Variables of the developer's shell that would change what the server runs on.
const CLEARED: [&str; 13] = [
    "DATABASE_URL",
    "DATABASE_URL_FILE",
    "DATABASE_SECRET_FILE",
    "DATABASE_SECRET_ARN",
    "REDIS_URL",
    "REDIS_URL_FILE",
    "REDIS_KEY_PREFIX",
    "AMQP_URL",
    "AMQP_URL_FILE",
    "SMTP_URL",
    "SMTP_URL_FILE",
    "PORT",
    "BOOTSTRAP_ADMIN_EMAIL",
];

/// A running server. Dropping it stops the process, drops its database and deletes its keys.
pub struct Server {
    child: Child,
    pub base: String,
    pub log: PathBuf,
    database: Option<String>,
    redis_prefix: Option<String>,
}

impl Server {
    /// Starts `binary` on `backend` with `env` on top of the check defaults, logging to `log`.
    pub fn start(binary: &Path, backend: Backend, env: &[(&str, &str)], log: &Path) -> Result<Self> {
        let tag = format!("{}_{}", std::process::id(), unique());
        let (database, redis_prefix) = match backend {
            Backend::Embedded => (None, None),
            Backend::Postgres => {
                let name = format!("identity_check_{tag}");
                psql(&format!("CREATE DATABASE \"{name}\""))?;
                (Some(name), Some(format!("identity-check-{tag}:")))
            }
        };
        if let Some(dir) = log.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let file = std::fs::File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let err = file.try_clone().map_err(|e| format!("cannot share {}: {e}", log.display()))?;
        let mut command = Command::new(binary);
        command.arg("serve").current_dir(root()).stdout(file).stderr(err).stdin(Stdio::null());
        for name in CLEARED {
            command.env_remove(name);
        }
        command
            .env("BIND_ADDR", "127.0.0.1")
            .env("PORT", "0")
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            // Mails go to the log with their links and codes: the checks read them there.
            .env("MAIL_LOG_BODIES", "true")
            .env("SHUTDOWN_DRAIN_SECONDS", "0")
            .env("SHUTDOWN_TIMEOUT_SECONDS", "2")
            // Cheap hashing: the checks make thousands of requests, not a benchmark.
            .env("ARGON2_MEMORY_KIB", "1024")
            .env("ARGON2_ITERATIONS", "1");
        if let (Some(name), Some(prefix)) = (&database, &redis_prefix) {
            command
                .env("DATABASE_URL", format!("postgres://postgres@127.0.0.1:5432/{name}"))
                .env("DATABASE_POOL_SIZE", "8")
                .env("REDIS_URL", "redis://127.0.0.1:6379")
                .env("REDIS_KEY_PREFIX", prefix);
        }
        command.envs(env.iter().copied());
        let child = command.spawn().map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let mut server = Self { child, base: String::new(), log: log.to_path_buf(), database, redis_prefix };
        let port = server.wait_for_port()?;
        server.base = format!("http://127.0.0.1:{port}");
        eprintln!("xtask: identity ({}) is up at {} (log: {})", backend.name(), server.base, log.display());
        Ok(server)
    }

    /// The port of the `identity is listening` log line.
    fn wait_for_port(&mut self) -> Result<u16> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("identity exited at start-up ({status}); see {}", self.log.display()));
            }
            let port = log_lines(&self.log).into_iter().find_map(|line| {
                let fields = &line["fields"];
                (fields["message"].as_str()?.starts_with("identity is listening")).then_some(())?;
                fields["port"].as_u64().and_then(|p| u16::try_from(p).ok())
            });
            if let Some(port) = port {
                return Ok(port);
            }
            if Instant::now() > deadline {
                return Err(format!("identity did not start listening within 60 s; see {}", self.log.display()));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// One request to this server.
    pub fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> Result<(u16, Value)> {
        request(&self.base, method, path, token, body)
    }

    /// Registers `email` (a 201, or a 409 when it exists) and signs it in: its access token.
    pub fn sign_up(&self, email: &str, password: &str) -> Result<String> {
        let body = json!({ "email": email, "password": password });
        let (status, answer) = self.call("POST", "/v1/auth/register", None, Some(&body))?;
        if status != 201 && status != 409 {
            return Err(format!("registering {email} answered {status}: {answer}"));
        }
        if status == 201 {
            // Proving the address is what makes `BOOTSTRAP_ADMIN_EMAIL` an admin.
            self.verify(email)?;
        }
        let (status, answer) = self.call("POST", "/v1/auth/login", None, Some(&body))?;
        match answer["access_token"].as_str() {
            Some(token) if status == 200 => Ok(token.to_owned()),
            _ => Err(format!("signing {email} in answered {status}: {answer}")),
        }
    }
}

impl Server {
    /// The link in the last mail of `kind` (`verify_email`, `password_reset`, …) to `email`, read
    /// from the log, where `MAIL_LOG_BODIES=true` writes each mail's text.
    /// Mail is a background job: the link is waited for (up to 10 s) until the server's
    /// worker has logged it.
    pub fn mailed_link(&self, kind: &str, email: &str) -> Result<String> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let link = log_lines(&self.log)
                .into_iter()
                .rev()
                .filter(|line| line["fields"]["kind"] == kind && line["fields"]["to"] == email)
                .find_map(|line| {
                    let body = line["fields"]["body"].as_str()?;
                    let word =
                        body.split_whitespace().find(|w| w.starts_with("http://") || w.starts_with("https://"))?;
                    Some(
                        word.trim_end_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                            .to_owned(),
                    )
                });
            match link {
                Some(link) => return Ok(link),
                None if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(50))
                }
                None => return Err(format!("no {kind} mail with a link to {email} in {}", self.log.display())),
            }
        }
    }

    /// Follows the last verification link mailed to `email`: `POST /v1/auth/email/verify` with
    /// its token.
    pub fn verify(&self, email: &str) -> Result {
        let link = self.mailed_link("verify_email", email)?;
        let token: String = link
            .split("token=")
            .nth(1)
            .ok_or_else(|| format!("no token in the verification link {link}"))?
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            .collect();
        let (status, answer) = self.call("POST", "/v1/auth/email/verify", None, Some(&json!({ "token": token })))?;
        if status != 200 {
            return Err(format!("verifying {email} answered {status}: {answer}"));
        }
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(name) = &self.database
            && let Err(e) = psql(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        {
            eprintln!("xtask: {e}");
        }
        if let Some(prefix) = &self.redis_prefix {
            let script = format!("redis-cli --scan --pattern '{prefix}*' | xargs -r redis-cli del > /dev/null");
            let _ = Command::new("sh").args(["-c", &script]).status();
        }
    }
}

fn unique() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn psql(statement: &str) -> Result {
    let status = Command::new("psql")
        .args(["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", statement])
        .status()
        .map_err(|e| format!("cannot run psql: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("`{statement}` failed ({status})")) }
}

/// The JSON lines of a server log (others skipped).
pub fn log_lines(log: &Path) -> Vec<Value> {
    let Ok(file) = std::fs::File::open(log) else { return Vec::new() };
    BufReader::new(file)
        .lines()
        .map_while(std::result::Result::ok)
        .filter_map(|line| serde_json::from_str(&line).ok())
        .collect()
}

/// One HTTP/1.0 request (so the answer is never chunked) with an optional JSON body; the
/// answer's status and JSON body (`null` when empty or not JSON).
pub fn request(
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Result<(u16, Value)> {
    let host = base.strip_prefix("http://").ok_or_else(|| format!("not an http:// base: {base}"))?;
    let mut stream = TcpStream::connect(host).map_err(|e| format!("cannot connect to {host}: {e}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).map_err(|e| e.to_string())?;
    let payload = body.map(Value::to_string).unwrap_or_default();
    let mut head = format!("{method} {path} HTTP/1.0\r\nHost: {host}\r\nAccept: application/json\r\n");
    if let Some(token) = token {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    if body.is_some() {
        head.push_str("Content-Type: application/json\r\n");
    }
    if body.is_some() || method != "GET" {
        // HTTP/1.0 without a length would mean "the body runs to the end of the connection".
        head.push_str(&format!("Content-Length: {}\r\n", payload.len()));
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(payload.as_bytes()))
        .map_err(|e| format!("{method} {path}: {e}"))?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).map_err(|e| format!("{method} {path}: {e}"))?;
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status =
        head.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| format!("{method} {path}: no status"))?;
    Ok((status, serde_json::from_str(body).unwrap_or(Value::Null)))
}

/// A local HTTP server answering every request `200 {"data": []}` (what an OpenAI-style
/// `GET /models` returns), for the settings connection check to dial instead of the internet.
pub struct Stub {
    pub url: String,
    hits: Arc<AtomicUsize>,
}

impl Stub {
    pub fn start() -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot start the stub server: {e}"))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        std::thread::spawn(move || {
            for mut stream in listener.incoming().map_while(std::result::Result::ok) {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut reader = BufReader::new(&stream);
                let mut line = String::new();
                // The request head; a probe sends no body.
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                    line.clear();
                }
                counter.fetch_add(1, Ordering::Relaxed);
                let body = r#"{"data":[]}"#;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes());
            }
        });
        Ok(Self { url: format!("http://127.0.0.1:{port}/v1"), hits })
    }

    /// How many requests it answered.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::Relaxed)
    }
}
