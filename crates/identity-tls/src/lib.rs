//! TLS to the stores (PostgreSQL, Redis, RabbitMQ) with rustls, in one place: the crypto
//! provider every client uses, CA bundles read from files, the system roots, the certificate
//! verifiers of libpq's `sslmode`s, and [`is_certificate_error`], which tells a certificate
//! that failed verification (a configuration error) from a dependency that is down.
//!
//! One crypto provider: aws-lc-rs, the one lapin's TLS already builds (reqwest builds ring for
//! its own clients; rustls cannot pick between two on its own, so it is installed as the
//! process default before any store client builds a configuration, see [`provider`]).

use std::path::Path;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

#[cfg(feature = "testing")]
pub mod testing;

pub use rustls;

/// The crypto provider of every store client: the process default, installing aws-lc-rs as
/// that default first if none is (the redis crate builds its configurations with rustls's
/// `ClientConfig::builder()`, which needs one).
pub fn provider() -> Arc<CryptoProvider> {
    if let Some(provider) = CryptoProvider::get_default() {
        return provider.clone();
    }
    // Another thread may install one meanwhile: whichever won is the default.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    CryptoProvider::get_default().cloned().unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
}

/// Certificates trusted as roots, read from a PEM file (`sslrootcert=`, `REDIS_CA_FILE`,
/// `AMQP_CA_FILE`): one or more `CERTIFICATE` blocks.
#[derive(Clone)]
pub struct CaBundle {
    path: String,
    pem: String,
    certificates: Vec<CertificateDer<'static>>,
}

impl std::fmt::Debug for CaBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaBundle").field("path", &self.path).field("certificates", &self.certificates.len()).finish()
    }
}

impl CaBundle {
    /// Reads `path`; an unreadable file, one that is not PEM or one without a certificate is
    /// an error saying which.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, String> {
        let path = path.as_ref();
        let shown = path.display().to_string();
        let pem = std::fs::read_to_string(path).map_err(|e| format!("cannot read the CA file {shown}: {e}"))?;
        Self::from_pem(&shown, pem)
    }

    /// A bundle from PEM text; `path` names it in messages.
    pub fn from_pem(path: &str, pem: String) -> Result<Self, String> {
        let certificates = CertificateDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("the CA file {path} is not PEM: {e}"))?;
        if certificates.is_empty() {
            return Err(format!("the CA file {path} holds no certificate (expected PEM \"BEGIN CERTIFICATE\" blocks)"));
        }
        let mut roots = RootCertStore::empty();
        let (_, unusable) = roots.add_parsable_certificates(certificates.iter().cloned());
        if unusable > 0 {
            return Err(format!("the CA file {path}: {unusable} certificate(s) cannot be used as a root"));
        }
        Ok(Self { path: path.to_owned(), pem, certificates })
    }

    /// The file it was read from.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The file's text (lapin and redis take PEM).
    pub fn pem(&self) -> &str {
        &self.pem
    }

    pub fn roots(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots.add_parsable_certificates(self.certificates.iter().cloned());
        roots
    }
}

/// The system's roots (`/etc/ssl/certs`, or `SSL_CERT_FILE` / `SSL_CERT_DIR`), as the redis
/// crate and lapin read them. None at all is an error: nothing could ever be verified.
pub fn system_roots() -> Result<RootCertStore, String> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(found.certs);
    if roots.is_empty() {
        let why = found.errors.first().map(|e| format!(": {e}")).unwrap_or_default();
        return Err(format!("no system CA certificates found{why}; name a CA file instead"));
    }
    Ok(roots)
}

/// How much of the server's certificate is checked, as libpq's `sslmode`s do.
pub enum Verify {
    /// Encryption only (`require`, `prefer`): any certificate, but the handshake's signatures
    /// are still checked against it.
    Nothing,
    /// The chain up to one of the roots, not the host name (`verify-ca`).
    Chain(RootCertStore),
    /// The chain and the host name (`verify-full`).
    Full(RootCertStore),
}

/// A client configuration (no client certificate) on [`provider`].
pub fn client_config(verify: Verify) -> Result<ClientConfig, rustls::Error> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone()).with_safe_default_protocol_versions()?;
    let verifier: Arc<dyn ServerCertVerifier> = match verify {
        Verify::Nothing => Arc::new(AnyCertificate { algorithms: provider.signature_verification_algorithms }),
        Verify::Chain(roots) => Arc::new(ChainOnly { inner: webpki(roots, &provider)? }),
        Verify::Full(roots) => webpki(roots, &provider)?,
    };
    Ok(builder.dangerous().with_custom_certificate_verifier(verifier).with_no_client_auth())
}

fn webpki(roots: RootCertStore, provider: &Arc<CryptoProvider>) -> Result<Arc<WebPkiServerVerifier>, rustls::Error> {
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| rustls::Error::General(e.to_string()))
}

/// `sslmode=require`: whatever certificate the server shows is accepted (libpq checks none
/// either), but the server must prove it holds its key: the handshake's signatures are checked.
#[derive(Debug)]
struct AnyCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// `sslmode=verify-ca`: webpki's verification, but a certificate issued for another host name
/// passes. Webpki checks the chain (and validity, usage) before the name, so a name mismatch
/// means everything else held.
#[derive(Debug)]
struct ChainOnly {
    inner: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.inner.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Whether `error` (or any of its causes) says the server's certificate failed verification:
/// a configuration error (wrong CA, wrong host name, expired), never a dependency that is down.
/// The clients wrap rustls's error in I/O errors, or keep only its text (Diesel), so both the
/// types and the text are read.
pub fn is_certificate_error(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(cause) = next {
        if let Some(tls) = cause.downcast_ref::<rustls::Error>()
            && matches!(tls, rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented)
        {
            return true;
        }
        // An I/O error's `source` skips the error it wraps: look at that one too.
        if let Some(inner) = cause.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref())
            && is_certificate_error(inner)
        {
            return true;
        }
        if cause.to_string().contains("invalid peer certificate") {
            return true;
        }
        next = cause.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::is_certificate_error;

    #[test]
    fn a_certificate_failure_is_found_inside_io_errors_and_text() {
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, tls);
        assert!(is_certificate_error(&io));
        let text = std::io::Error::other("error performing TLS handshake: invalid peer certificate: UnknownIssuer");
        assert!(is_certificate_error(&text));
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(!is_certificate_error(&refused));
        let other = std::io::Error::new(std::io::ErrorKind::InvalidData, rustls::Error::DecryptError);
        assert!(!is_certificate_error(&other));
    }

    #[test]
    fn a_ca_file_without_a_certificate_is_refused() {
        let error = super::CaBundle::from_pem("ca.pem", "not a certificate\n".into()).unwrap_err();
        assert!(error.contains("holds no certificate"), "{error}");
        let error = super::CaBundle::from_file("/nonexistent/ca.pem").unwrap_err();
        assert!(error.contains("cannot read the CA file /nonexistent/ca.pem"), "{error}");
    }
}
