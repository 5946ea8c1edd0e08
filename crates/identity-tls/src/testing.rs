//! What the TLS tests of the stores share: a throwaway PKI made with the `openssl` CLI, and a
//! TLS terminator in front of a plain TCP service.
//!
//! The tests run wherever the stores' tests run; `openssl` is part of every Debian image that
//! has PostgreSQL or Redis. A missing `openssl` fails the test (it never skips).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A throwaway PKI in a temporary directory (removed when dropped):
///
/// - `ca.pem`: the CA the tests trust;
/// - `server.pem` / `server.key`: the server's certificate for `localhost` and `127.0.0.1`,
///   signed by that CA. Reached as `127.0.0.2` (any loopback address but `127.0.0.1` works on
///   Linux), it is a certificate for another host name;
/// - `other-ca.pem`: a CA that signed nothing the servers show: trusting only it is an
///   unknown issuer.
pub struct TestPki {
    dir: PathBuf,
}

/// The loopback address the server certificate does not name: "the wrong host name".
pub const WRONG_HOST: &str = "127.0.0.2";

impl TestPki {
    /// Makes the CAs and the server's certificate (EC P-256 keys, valid for two days).
    pub fn generate() -> Self {
        let dir = std::env::temp_dir().join(format!("identity-pki-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let pki = Self { dir };
        pki.ca("ca", "identity test CA");
        pki.ca("other-ca", "identity test CA nobody trusts");
        let ext = pki.path("server.ext");
        std::fs::write(
            &ext,
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n\
             keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", ext.display()));
        pki.openssl(&[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ]);
        let serial = format!("0x{}", uuid::Uuid::now_v7().simple());
        pki.openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-set_serial",
            &serial,
            "-days",
            "2",
            "-out",
            "server.pem",
            "-extfile",
            "server.ext",
        ]);
        pki
    }

    fn ca(&self, name: &str, common_name: &str) {
        self.openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
            "-days",
            "2",
            "-subj",
            &format!("/CN={common_name}"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
    }

    fn openssl(&self, args: &[&str]) {
        let output = Command::new("openssl").args(args).current_dir(&self.dir).output().unwrap_or_else(|e| {
            panic!("cannot run openssl ({e}): the TLS tests make their certificates with it (apt-get install openssl)")
        });
        assert!(
            output.status.success(),
            "openssl {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A file of the PKI by name (`ca.pem`, `server.pem`, `server.key`, `other-ca.pem`).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// [`TestPki::path`] as text, for URLs and variables.
    pub fn file(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }

    /// A server configuration showing `server.pem`.
    pub fn server_config(&self) -> rustls::ServerConfig {
        let chain = CertificateDer::pem_file_iter(self.path("server.pem"))
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .unwrap_or_else(|e| panic!("server.pem: {e}"));
        let key = PrivateKeyDer::from_pem_file(self.path("server.key")).unwrap_or_else(|e| panic!("server.key: {e}"));
        rustls::ServerConfig::builder_with_provider(crate::provider())
            .with_safe_default_protocol_versions()
            .and_then(|builder| builder.with_no_client_auth().with_single_cert(chain, key))
            .unwrap_or_else(|e| panic!("server configuration: {e}"))
    }
}

impl Drop for TestPki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A TLS listener on `127.0.0.1` and [`WRONG_HOST`] (same port) that forwards the decrypted
/// bytes to a plain TCP service: what a TLS port of that service is, byte for byte (AMQPS is
/// AMQP inside TLS). Stops when dropped.
pub struct TlsTerminator {
    port: u16,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl TlsTerminator {
    pub async fn start(pki: &TestPki, upstream: SocketAddr) -> Self {
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(pki.server_config()));
        let first = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("bind: {e}"));
        let port = first.local_addr().unwrap_or_else(|e| panic!("local address: {e}")).port();
        let second = tokio::net::TcpListener::bind((WRONG_HOST, port))
            .await
            .unwrap_or_else(|e| panic!("bind {WRONG_HOST}:{port}: {e}"));
        let tasks = [first, second]
            .into_iter()
            .map(|listener| {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    while let Ok((client, _)) = listener.accept().await {
                        let acceptor = acceptor.clone();
                        tokio::spawn(async move {
                            // A client that refuses the certificate ends here.
                            let Ok(mut client) = acceptor.accept(client).await else { return };
                            let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else { return };
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                        });
                    }
                })
            })
            .collect();
        Self { port, tasks }
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for TlsTerminator {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// A port nothing listens on (yet), below the ports the kernel hands out for `127.0.0.1:0`
/// (Linux's default `ip_local_port_range` starts at 32768): a server started on it later
/// cannot find it taken by one of the other tests' servers, which all ask for any port.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    const FIRST: u32 = 20_000;
    const PORTS: u32 = 12_000;
    // Each call of this process takes the next port after a start of its own.
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    let seed = std::process::id().wrapping_mul(7919) % PORTS;
    let _ = NEXT.compare_exchange(u32::MAX, seed, Ordering::SeqCst, Ordering::SeqCst);
    for _ in 0..PORTS {
        let port = u16::try_from(FIRST + NEXT.fetch_add(1, Ordering::SeqCst) % PORTS).unwrap_or(u16::MAX);
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in {FIRST}..{}", FIRST + PORTS)
}
