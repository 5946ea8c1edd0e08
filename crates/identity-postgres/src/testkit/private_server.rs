//! A throwaway PostgreSQL server of a test's own: Debian's server binaries, a fresh cluster in
//! a temporary directory, on a free port. Two kinds:
//!
//! - [`PrivatePostgres::tls`] speaks TLS only (`hostssl` lines alone in its `pg_hba.conf`),
//!   trust authentication, on `127.0.0.1` and [`WRONG_HOST`] (whose name the certificate does
//!   not carry): the tests of `sslmode`;
//! - [`PrivatePostgres::with_passwords`] checks passwords (SCRAM) on `127.0.0.1`, which the
//!   machine's own server (trust) does not: the tests of rotated credentials.
//!
//! Stopped (with its children) and removed when dropped.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use identity_tls::testing::{TestPki, WRONG_HOST, free_port};

pub struct PrivatePostgres {
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

/// The newest server under `/usr/lib/postgresql/<version>/bin`.
fn bin_dir() -> PathBuf {
    let versions = std::fs::read_dir("/usr/lib/postgresql").unwrap_or_else(|e| {
        panic!("no PostgreSQL server binaries in /usr/lib/postgresql ({e}): apt-get install postgresql")
    });
    let mut found: Vec<(u32, PathBuf)> = versions
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| Some((entry.file_name().to_str()?.parse().ok()?, entry.path().join("bin"))))
        .filter(|(_, bin): &(u32, PathBuf)| bin.join("postgres").exists())
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin).unwrap_or_else(|| panic!("no /usr/lib/postgresql/*/bin/postgres"))
}

/// The `postgres` account's ids when running as root (PostgreSQL refuses to run as root);
/// `None` otherwise: the server runs as whoever runs the tests.
fn postgres_ids() -> Option<(u32, u32)> {
    let me = std::fs::metadata("/proc/self").map(|m| m.uid()).unwrap_or(0);
    if me != 0 {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let line = passwd
        .lines()
        .find(|line| line.starts_with("postgres:"))
        .unwrap_or_else(|| panic!("running as root, and there is no postgres account to run PostgreSQL as"));
    let fields: Vec<&str> = line.split(':').collect();
    let id = |i: usize| fields.get(i).and_then(|f| f.parse().ok()).unwrap_or_else(|| panic!("/etc/passwd: {line}"));
    Some((id(2), id(3)))
}

fn as_postgres(command: &mut Command, ids: Option<(u32, u32)>) -> &mut Command {
    if let Some((uid, gid)) = ids {
        command.uid(uid).gid(gid);
    }
    command
}

fn own(path: &Path, ids: Option<(u32, u32)>) {
    if let Some((uid, gid)) = ids {
        std::os::unix::fs::chown(path, Some(uid), Some(gid))
            .unwrap_or_else(|e| panic!("chown {}: {e}", path.display()));
    }
}

/// What a [`PrivatePostgres`] checks.
#[derive(Clone, Copy)]
enum Kind<'a> {
    Tls(&'a TestPki),
    Passwords(&'a str),
}

impl PrivatePostgres {
    /// Starts a server showing the PKI's `server.pem` (a few seconds: `initdb`).
    pub fn tls(pki: &TestPki) -> Self {
        Self::launch(Kind::Tls(pki))
    }

    /// Starts a server that checks passwords (SCRAM) on `127.0.0.1`; `postgres`'s is
    /// `password` ([`Self::url_as`]).
    pub fn with_passwords(password: &str) -> Self {
        Self::launch(Kind::Passwords(password))
    }

    fn launch(kind: Kind<'_>) -> Self {
        let bin = bin_dir();
        let ids = postgres_ids();
        let dir = std::env::temp_dir().join(format!("identity-pg-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        own(&dir, ids);
        // From here on, dropping the value removes the directory (and stops the server).
        let mut server = Self { port: free_port(), dir, child: None };
        let data = server.dir.join("data");
        let mut initdb = Command::new(bin.join("initdb"));
        initdb.args(["--auth=trust", "--username=postgres", "--no-sync", "--no-instructions"]);
        if let Kind::Passwords(password) = kind {
            let pwfile = server.dir.join("pwfile");
            std::fs::write(&pwfile, password).unwrap_or_else(|e| panic!("pwfile: {e}"));
            own(&pwfile, ids);
            initdb.arg(format!("--pwfile={}", pwfile.display()));
        }
        let output =
            as_postgres(initdb.arg("-D").arg(&data), ids).output().unwrap_or_else(|e| panic!("cannot run initdb: {e}"));
        assert!(output.status.success(), "initdb failed: {}", String::from_utf8_lossy(&output.stderr));
        let setting = |name: &str, value: &str| ["-c".to_owned(), format!("{name}={value}")];
        let dir_text = server.dir.display().to_string();
        let mut settings = vec![setting("fsync", "off"), setting("max_connections", "20")];
        let hba = match kind {
            Kind::Tls(pki) => {
                for name in ["server.pem", "server.key"] {
                    let copy = server.dir.join(name);
                    std::fs::copy(pki.path(name), &copy).unwrap_or_else(|e| panic!("copy {name}: {e}"));
                    own(&copy, ids);
                    // PostgreSQL refuses a key that others may read.
                    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o600))
                        .unwrap_or_else(|e| panic!("chmod {name}: {e}"));
                }
                settings.push(setting("listen_addresses", &format!("127.0.0.1,{WRONG_HOST}")));
                settings.push(setting("ssl", "on"));
                settings.push(setting("ssl_cert_file", &format!("{dir_text}/server.pem")));
                settings.push(setting("ssl_key_file", &format!("{dir_text}/server.key")));
                // TLS only: a plain connection finds no line that lets it in.
                "local all all trust\nhostssl all all 127.0.0.0/8 trust\n"
            }
            Kind::Passwords(_) => {
                settings.push(setting("listen_addresses", "127.0.0.1"));
                settings.push(setting("password_encryption", "scram-sha-256"));
                "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n"
            }
        };
        std::fs::write(data.join("pg_hba.conf"), hba).unwrap_or_else(|e| panic!("pg_hba.conf: {e}"));
        let log = std::fs::File::create(server.dir.join("server.log")).unwrap_or_else(|e| panic!("server.log: {e}"));
        let log_err = log.try_clone().unwrap_or_else(|e| panic!("server.log: {e}"));
        let mut command = Command::new(bin.join("postgres"));
        command
            .arg("-D")
            .arg(&data)
            .args(["-p", &server.port.to_string(), "-k", &dir_text])
            .args(settings.concat())
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err);
        server.child =
            Some(as_postgres(&mut command, ids).spawn().unwrap_or_else(|e| panic!("cannot run postgres: {e}")));
        server.wait_until_ready(&data);
        server
    }

    /// Until `postmaster.pid` says `ready` (at most 30 s); a server that exits is a failure
    /// showing its log.
    fn wait_until_ready(&mut self, data: &Path) {
        let started = Instant::now();
        loop {
            let pid_file = std::fs::read_to_string(data.join("postmaster.pid")).unwrap_or_default();
            if pid_file.lines().any(|line| line.trim() == "ready") {
                return;
            }
            let exited = self.child.as_mut().and_then(|child| child.try_wait().ok().flatten());
            if exited.is_some() || started.elapsed() > Duration::from_secs(30) {
                let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
                panic!("the private PostgreSQL did not start ({exited:?}):\n{log}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `postgres://postgres@HOST:PORT/postgres?PARAMS` (`params` may be empty).
    pub fn url(&self, host: &str, params: &str) -> String {
        let query = if params.is_empty() { String::new() } else { format!("?{params}") };
        format!("postgres://postgres@{host}:{}/postgres{query}", self.port)
    }

    /// `postgres://USER:PASSWORD@127.0.0.1:PORT/postgres` (no TLS).
    pub fn url_as(&self, user: &str, password: &str) -> String {
        format!("postgres://{user}:{password}@127.0.0.1:{}/postgres?sslmode=disable", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // A fast shutdown: the postmaster stops its children, then exits.
            let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
