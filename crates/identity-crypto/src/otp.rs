//! TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30 s) with totp-rs, and the QR code of its
//! `otpauth://` URI as SVG with `qrcode` (no image stack).

use identity_core::ports::OtpGenerator;
use totp_rs::{Algorithm, Builder, Secret};

/// Codes, secrets and enrolment QR codes for TOTP.
#[derive(Debug, Clone, Copy, Default)]
pub struct Totp;

impl Totp {
    fn totp(secret: &[u8], issuer: Option<&str>, account: &str) -> Option<totp_rs::Totp> {
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(6)
            .with_step_duration(identity_core::domain::TOTP_PERIOD_SECS.unsigned_abs())
            .with_secret(secret.to_vec())
            .with_issuer(issuer)
            .with_account_name(account)
            .build()
            .ok()
    }
}

impl OtpGenerator for Totp {
    fn new_secret(&self) -> Vec<u8> {
        // The OS random source failing is not recoverable; there is no safe fallback.
        #[allow(clippy::expect_used)]
        crate::random_bytes::<20>().expect("the operating system's random source failed").to_vec()
    }

    fn code(&self, secret: &[u8], step: i64) -> String {
        let time = u64::try_from(step.max(0)).unwrap_or(0) * identity_core::domain::TOTP_PERIOD_SECS.unsigned_abs();
        // A secret too short to build from is no secret of ours: a code nobody can type.
        Self::totp(secret, None, "").map_or_else(|| "-".repeat(6), |totp| totp.generate(time).to_string())
    }

    fn encode(&self, secret: &[u8]) -> String {
        Secret::from(secret.to_vec()).to_base32()
    }

    fn decode(&self, encoded: &str) -> Option<Vec<u8>> {
        Secret::try_from_base32(encoded).ok().map(|s| s.as_bytes().to_vec())
    }

    fn uri(&self, secret: &[u8], issuer: &str, account: &str) -> String {
        // `:` separates issuer and account in the label; neither may hold one.
        let (issuer, account) = (issuer.replace(':', " "), account.replace(':', " "));
        Self::totp(secret, Some(&issuer), &account).and_then(|totp| totp.to_url().ok()).unwrap_or_default()
    }

    fn qr_svg(&self, uri: &str) -> String {
        match qrcode::QrCode::with_error_correction_level(uri, qrcode::EcLevel::M) {
            Ok(code) => code.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).quiet_zone(true).build(),
            Err(_) => String::new(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 (8 digits there; the last 6 here).
    #[test]
    fn codes_match_the_rfc_vectors() {
        let secret = b"12345678901234567890";
        for (time, code) in
            [(59, "287082"), (1_111_111_109, "081804"), (1_234_567_890, "005924"), (2_000_000_000, "279037")]
        {
            assert_eq!(Totp.code(secret, time / 30), code, "{time}");
        }
    }

    #[test]
    fn secrets_round_trip_and_render() {
        let secret = Totp.new_secret();
        assert_eq!(secret.len(), 20);
        assert_ne!(secret, Totp.new_secret());
        let encoded = Totp.encode(&secret);
        assert_eq!(encoded.len(), 32);
        assert_eq!(Totp.decode(&encoded).unwrap(), secret);
        assert_eq!(Totp.decode("not base32!"), None);
        let uri = Totp.uri(&secret, "identity", "ada@example.com");
        assert!(uri.starts_with("otpauth://totp/identity:ada%40example.com?"), "{uri}");
        assert!(uri.contains(&format!("secret={encoded}")) && uri.contains("issuer=identity"), "{uri}");
        let svg = Totp.qr_svg(&uri);
        assert!(svg.contains("<svg") && svg.ends_with("</svg>"), "{}", &svg[..80.min(svg.len())]);
    }
}
