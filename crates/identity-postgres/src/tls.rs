//! How a database URL is reached: TLS as libpq users expect it, with rustls.
//!
//! The URL's `sslmode` and `sslrootcert` are read here (tokio-postgres knows only `disable`,
//! `prefer` and `require`, and no root file), the rest goes to tokio-postgres as it is:
//!
//! | `sslmode`     | TLS                          | the server's certificate                     |
//! |---------------|------------------------------|----------------------------------------------|
//! | `disable`     | never                        | —                                            |
//! | `prefer` (default) | if the server offers it | not checked                                   |
//! | `require`     | always                       | not checked (with `sslrootcert`: as `verify-ca`) |
//! | `verify-ca`   | always                       | chain up to a root                           |
//! | `verify-full` | always                       | chain up to a root, and the host name        |
//!
//! Roots: the PEM file `sslrootcert` names, or the system's (`sslrootcert=system`, or no
//! `sslrootcert`). As in libpq, `sslrootcert=system` needs `verify-full` (and is its default).
//! Even unchecked, the server must prove it holds the certificate's key (the handshake's
//! signatures are checked). No channel binding (SCRAM without `-PLUS`).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::task::{Context, Poll};

use diesel::ConnectionError;
use diesel_async::AsyncPgConnection;
use identity_tls::rustls::ClientConfig;
use identity_tls::rustls::pki_types::ServerName;
use identity_tls::{CaBundle, Verify};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_postgres::config::SslMode as WireMode;
use tokio_postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Prefer => "prefer",
            Self::Require => "require",
            Self::VerifyCa => "verify-ca",
            Self::VerifyFull => "verify-full",
        }
    }

    fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "disable" => Ok(Self::Disable),
            "prefer" => Ok(Self::Prefer),
            "require" => Ok(Self::Require),
            "verify-ca" => Ok(Self::VerifyCa),
            "verify-full" => Ok(Self::VerifyFull),
            // libpq's `allow` (plain first, TLS if the server insists) is not offered: it only
            // ever downgrades.
            other => Err(format!("sslmode={other:?} is not one of disable, prefer, require, verify-ca, verify-full")),
        }
    }
}

/// A database URL made ready to connect: tokio-postgres's configuration and the TLS one.
#[derive(Clone)]
pub struct PgTarget {
    config: tokio_postgres::Config,
    mode: SslMode,
    tls: Arc<ClientConfig>,
}

impl std::fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the configuration: it holds the password.
        f.debug_struct("PgTarget").field("mode", &self.mode).finish_non_exhaustive()
    }
}

impl PgTarget {
    /// Reads a `postgres://` URL. Errors name the parameter at fault and never repeat the URL
    /// (it may hold a password); an `sslrootcert` that cannot be read is one.
    pub fn parse(url: &str) -> Result<Self, String> {
        let (base, query) = split_query(url);
        let mut mode = None;
        let mut root_file = None;
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match form_urlencoded::parse(pair.as_bytes()).next() {
                Some((key, value)) if key == "sslmode" => mode = Some(SslMode::parse(&value)?),
                Some((key, value)) if key == "sslrootcert" => root_file = Some(value.into_owned()),
                _ => kept.push(pair),
            }
        }
        let rest = if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) };
        let mut config = tokio_postgres::Config::from_str(&rest).map_err(|e| chain(&e))?;
        let system = root_file.as_deref() == Some("system");
        let mode = match (mode, system) {
            (None, true) => SslMode::VerifyFull,
            (Some(mode), true) if mode != SslMode::VerifyFull => {
                return Err("sslrootcert=system needs sslmode=verify-full (as in libpq)".into());
            }
            (mode, _) => mode.unwrap_or(SslMode::Prefer),
        };
        let roots = || match root_file.as_deref() {
            None | Some("system") => {
                identity_tls::system_roots().map_err(|e| format!("sslmode={}: {e}", mode.as_str()))
            }
            Some(path) => {
                CaBundle::from_file(path).map(|bundle| bundle.roots()).map_err(|e| format!("sslrootcert: {e}"))
            }
        };
        let verify = match mode {
            SslMode::Disable | SslMode::Prefer => Verify::Nothing,
            // libpq: "if a root CA file exists, require behaves like verify-ca".
            SslMode::Require if root_file.is_some() => Verify::Chain(roots()?),
            SslMode::Require => Verify::Nothing,
            SslMode::VerifyCa => Verify::Chain(roots()?),
            SslMode::VerifyFull => Verify::Full(roots()?),
        };
        config.ssl_mode(match mode {
            SslMode::Disable => WireMode::Disable,
            SslMode::Prefer => WireMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => WireMode::Require,
        });
        let tls = identity_tls::client_config(verify).map_err(|e| format!("TLS configuration: {e}"))?;
        Ok(Self { config, mode, tls: Arc::new(tls) })
    }

    pub fn mode(&self) -> SslMode {
        self.mode
    }

    /// Opens one connection. The error keeps tokio-postgres's causes as text (Diesel's
    /// connection errors are text): "error performing TLS handshake: invalid peer certificate:
    /// UnknownIssuer", "error connecting to server: Connection refused (os error 111)".
    pub async fn connect(&self) -> Result<AsyncPgConnection, ConnectionError> {
        self.try_connect().await.map_err(Failure::into_connection_error)
    }

    /// [`Self::connect`], telling credentials the server refused from other failures.
    pub(crate) async fn try_connect(&self) -> Result<AsyncPgConnection, Failure> {
        let (client, connection) = self.config.connect(MakeRustls { config: self.tls.clone() }).await.map_err(|e| {
            // SQLSTATE class 28, invalid authorization: a wrong password, an unknown user, a
            // user who may not log in.
            if e.code().is_some_and(|code| code.code().starts_with("28")) {
                Failure::CredentialsRefused(chain(&e))
            } else {
                Failure::Other(ConnectionError::BadConnection(chain(&e)))
            }
        })?;
        AsyncPgConnection::try_from_client_and_connection(client, connection).await.map_err(Failure::Other)
    }
}

/// Why a connection could not be opened.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The server refused the credentials (SQLSTATE class 28).
    CredentialsRefused(String),
    Other(ConnectionError),
}

impl Failure {
    pub(crate) fn into_connection_error(self) -> ConnectionError {
        match self {
            Self::CredentialsRefused(text) => ConnectionError::BadConnection(text),
            Self::Other(error) => error,
        }
    }
}

/// The URL without its query, and the query (empty without one). As in any URI, a `?` in the
/// user name or password is percent-encoded (`%3F`), so the first one starts the query.
fn split_query(url: &str) -> (&str, &str) {
    url.split_once('?').unwrap_or((url, ""))
}

/// An error and its causes, one line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        text.push_str(": ");
        text.push_str(&next.to_string());
        cause = next.source();
    }
    text
}

/// tokio-postgres's TLS hooks on tokio-rustls.
#[derive(Clone)]
struct MakeRustls {
    config: Arc<ClientConfig>,
}

impl<S> MakeTlsConnect<S> for MakeRustls
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = RustlsStream<S>;
    type TlsConnect = RustlsConnect;
    type Error = io::Error;

    fn make_tls_connect(&mut self, domain: &str) -> Result<RustlsConnect, io::Error> {
        // An IP address is a name too: its certificate must list it.
        let name = ServerName::try_from(domain.to_owned())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("host {domain:?}: {e}")))?;
        Ok(RustlsConnect { config: self.config.clone(), name })
    }
}

struct RustlsConnect {
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
}

impl<S> TlsConnect<S> for RustlsConnect
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = RustlsStream<S>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<RustlsStream<S>>> + Send>>;

    fn connect(self, stream: S) -> Self::Future {
        Box::pin(async move {
            let stream = tokio_rustls::TlsConnector::from(self.config).connect(self.name, stream).await?;
            Ok(RustlsStream(stream))
        })
    }
}

struct RustlsStream<S>(tokio_rustls::client::TlsStream<S>);

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for RustlsStream<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for RustlsStream<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream for RustlsStream<S> {
    fn channel_binding(&self) -> ChannelBinding {
        ChannelBinding::none()
    }
}

#[cfg(test)]
mod tests {
    use super::{PgTarget, SslMode, split_query};

    #[test]
    fn the_query_is_split_off() {
        assert_eq!(
            split_query("postgres://u:p%3F@h/db?sslmode=require"),
            ("postgres://u:p%3F@h/db", "sslmode=require")
        );
        assert_eq!(split_query("postgres://h/db"), ("postgres://h/db", ""));
    }

    #[test]
    fn sslmode_defaults_to_prefer_and_is_checked() {
        assert_eq!(PgTarget::parse("postgres://postgres@127.0.0.1/db").unwrap().mode(), SslMode::Prefer);
        let target = PgTarget::parse("postgres://postgres@127.0.0.1/db?application_name=x&sslmode=require").unwrap();
        assert_eq!(target.mode(), SslMode::Require);
        let error = PgTarget::parse("postgres://u:secret@h/db?sslmode=allow").unwrap_err();
        assert!(error.contains("sslmode=\"allow\" is not one of"), "{error}");
        assert!(!error.contains("secret"));
        let error = PgTarget::parse("postgres://h/db?sslmode=verify-ca&sslrootcert=/nonexistent.pem").unwrap_err();
        assert!(error.contains("sslrootcert: cannot read the CA file /nonexistent.pem"), "{error}");
        let error = PgTarget::parse("postgres://h/db?sslmode=require&sslrootcert=system").unwrap_err();
        assert!(error.contains("needs sslmode=verify-full"), "{error}");
        assert_eq!(PgTarget::parse("postgres://h/db?sslrootcert=system").unwrap().mode(), SslMode::VerifyFull);
    }
}
