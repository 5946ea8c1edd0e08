//! The one-time-password algorithm, as a port: core decides which step a code may be for
//! and that it works once ([`accepted_step`](super::model::accepted_step)); the adapter
//! computes codes and renders what an authenticator app scans.

/// TOTP (RFC 6238) with SHA-1, 6 digits and 30-second steps, which every authenticator app
/// reads.
pub trait OtpGenerator: Send + Sync + 'static {
    /// A new random secret of 160 bits (RFC 4226 §4).
    fn new_secret(&self) -> Vec<u8>;
    /// The code of time step `step` under `secret`.
    fn code(&self, secret: &[u8], step: i64) -> String;
    /// `secret` in base32 (RFC 4648, no padding), as apps take it typed in.
    fn encode(&self, secret: &[u8]) -> String;
    /// [`encode`](Self::encode) back; `None` for anything else.
    fn decode(&self, encoded: &str) -> Option<Vec<u8>>;
    /// The `otpauth://totp/…` URI of `secret` for `account` at `issuer`.
    fn uri(&self, secret: &[u8], issuer: &str, account: &str) -> String;
    /// The URI as a QR code, an SVG document.
    fn qr_svg(&self, uri: &str) -> String;
}
