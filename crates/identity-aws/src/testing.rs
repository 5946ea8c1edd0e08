//! A local AWS Secrets Manager (and STS) for tests: moto's server, from PyPI, installed by
//! `cargo xtask tools` into `~/.cache/identity-tools/moto` (or `$IDENTITY_TOOLS_DIR/moto`).
//! Started on a free port of `127.0.0.1`; stopped when dropped.

use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_secretsmanager::config::{BehaviorVersion, Credentials, Region};
use identity_tls::testing::free_port;

use crate::SecretsManager;

/// The region the tests' secrets live in.
pub const REGION: &str = "us-east-1";

/// A running moto server.
pub struct Moto {
    port: u16,
    child: Child,
}

/// `moto_server` in the tools' virtual environment.
fn moto_server() -> PathBuf {
    let tools = match std::env::var_os("IDENTITY_TOOLS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/identity-tools"),
    };
    let server = tools.join("moto/bin/moto_server");
    assert!(
        server.exists(),
        "{} is missing: `cargo xtask tools` installs moto (xtask/moto/requirements.txt) from PyPI",
        server.display()
    );
    server
}

/// Whether what listens at `addr` is a moto server: it answers its own API.
fn is_moto(addr: SocketAddr) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else { return false };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream.write_all(b"GET /moto-api/data.json HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.") && head.ends_with(b"200")
}

impl Moto {
    /// Starts a server and waits until it answers (a second or two: Python imports).
    pub fn start() -> Self {
        Self::start_on(free_port())
    }

    /// [`Self::start`] on `port` (a Secrets Manager that comes back where it was expected).
    pub fn start_on(port: u16) -> Self {
        let child = Command::new(moto_server())
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group: dropping it stops whatever it started too.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start moto_server: {e}"));
        let mut moto = Self { port, child };
        let started = Instant::now();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        // Its own API, not merely an open port: another process may have taken the port.
        while !is_moto(addr) {
            if let Ok(Some(status)) = moto.child.try_wait() {
                panic!("moto_server exited at start-up ({status}): is port {port} taken?");
            }
            assert!(started.elapsed() < Duration::from_secs(60), "moto_server did not listen within 60 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        moto
    }

    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The environment of a process whose standard chain finds this server, static
    /// credentials and [`REGION`], and nothing of the machine's (no shared files, no instance
    /// metadata).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = self.bare_env();
        env.push(("AWS_ACCESS_KEY_ID", "testing".into()));
        env.push(("AWS_SECRET_ACCESS_KEY", "testing".into()));
        env
    }

    /// [`Self::env`] without credentials: what a pod has before IRSA adds its web identity.
    pub fn bare_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_REGION", REGION.into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            ("AWS_CONFIG_FILE", "/nonexistent/aws-config".into()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials".into()),
        ]
    }

    /// A client of this server with static credentials.
    pub fn client(&self) -> SecretsManager {
        SecretsManager::with_config(
            aws_sdk_secretsmanager::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .http_client(crate::http_client(Duration::from_secs(3)).unwrap_or_else(|e| panic!("{e}")))
                .endpoint_url(self.endpoint())
                .region(Region::new(REGION))
                .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
                .build(),
        )
    }

    /// Creates a secret holding `text`; its ARN.
    pub async fn create_secret(&self, name: &str, text: &str) -> String {
        let created = self.client().client().create_secret().name(name).secret_string(text).send().await;
        let created = created.unwrap_or_else(|e| panic!("create_secret: {}", crate::DisplayErrorContext(&e)));
        created.arn().unwrap_or_else(|| panic!("create_secret gave no ARN")).to_owned()
    }

    /// Makes `text` the secret's current value, as a rotation does.
    pub async fn rotate(&self, secret_id: &str, text: &str) {
        let put = self.client().client().put_secret_value().secret_id(secret_id).secret_string(text).send().await;
        put.unwrap_or_else(|e| panic!("put_secret_value: {}", crate::DisplayErrorContext(&e)));
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).stderr(Stdio::null()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.child.wait();
    }
}
