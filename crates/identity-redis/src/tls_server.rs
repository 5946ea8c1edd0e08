//! A throwaway Redis that speaks TLS only (`--port 0 --tls-port …`), showing the test PKI's
//! `server.pem`, on a free port of `127.0.0.1` and `WRONG_HOST`. Stopped when dropped.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use identity_tls::testing::{TestPki, WRONG_HOST, free_port};

pub struct TlsRedis {
    port: u16,
    child: Child,
}

impl TlsRedis {
    /// Starts `redis-server` (Debian's is built with TLS) without persistence.
    pub fn start(pki: &TestPki) -> Self {
        let port = free_port();
        let child = Command::new("redis-server")
            .args(["--port", "0", "--tls-port", &port.to_string(), "--bind", "127.0.0.1", WRONG_HOST])
            .arg("--tls-cert-file")
            .arg(pki.path("server.pem"))
            .arg("--tls-key-file")
            .arg(pki.path("server.key"))
            .arg("--tls-ca-cert-file")
            .arg(pki.path("ca.pem"))
            .args(["--tls-auth-clients", "no", "--save", "", "--appendonly", "no", "--dir"])
            .arg(pki.dir())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run redis-server ({e}): apt-get install redis-server"));
        let mut server = Self { port, child };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            let exited = server.child.try_wait().ok().flatten();
            assert!(
                exited.is_none() && started.elapsed() < Duration::from_secs(15),
                "the TLS redis-server did not start ({exited:?}); is it built with TLS?"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::time::Duration;

    use identity_tls::CaBundle;
    use identity_tls::testing::{TestPki, WRONG_HOST};

    use super::TlsRedis;
    use crate::RedisStore;

    fn store(url: &str, ca: Option<&CaBundle>) -> RedisStore {
        let prefix = format!("identity-test:{}:", uuid::Uuid::now_v7().simple());
        RedisStore::lazy_with_ca(url, prefix, Duration::from_secs(5), ca).unwrap()
    }

    /// `rediss://` verifies the server's certificate against REDIS_CA_FILE's CA (or the
    /// system's roots) and its host name; a refusal is a certificate error, not an outage.
    #[tokio::test]
    async fn rediss_verifies_the_certificate_and_the_host_name() {
        let pki = TestPki::generate();
        let server = TlsRedis::start(&pki);
        let port = server.port();
        let ca = CaBundle::from_file(pki.path("ca.pem")).unwrap();
        let other_ca = CaBundle::from_file(pki.path("other-ca.pem")).unwrap();

        for host in ["localhost", "127.0.0.1"] {
            let redis = store(&format!("rediss://{host}:{port}"), Some(&ca));
            redis.set_ex("greeting", "hello", 60).await.unwrap();
            assert_eq!(redis.get("greeting").await.unwrap().as_deref(), Some("hello"), "{host}");
        }

        let refused = [
            ("the wrong host name", format!("rediss://{WRONG_HOST}:{port}"), Some(&ca), "not valid for name"),
            ("an unknown CA", format!("rediss://localhost:{port}"), Some(&other_ca), "UnknownIssuer"),
            ("the system's roots", format!("rediss://localhost:{port}"), None, "UnknownIssuer"),
        ];
        for (case, url, ca, why) in refused {
            let error = store(&url, ca).ping().await.expect_err(case);
            assert!(error.chain().any(identity_tls::is_certificate_error), "{case}: {error:#}");
            assert!(format!("{error:#}").contains(why), "{case}: {error:#}");
        }

        // Plain RESP to the TLS port gets nowhere.
        let error = store(&format!("redis://127.0.0.1:{port}"), None).ping().await.expect_err("plain to a TLS port");
        assert!(!error.chain().any(identity_tls::is_certificate_error), "{error:#}");

        // The redis crate's escape hatch: `#insecure` checks nothing.
        store(&format!("rediss://{WRONG_HOST}:{port}/#insecure"), Some(&other_ca)).ping().await.unwrap();
    }
}
