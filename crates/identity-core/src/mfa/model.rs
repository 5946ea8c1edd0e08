//! Second factors: a user's methods (TOTP, passkeys), their recovery codes, and the rules of
//! a one-time code (its time step, used once).

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::domain::{FieldError, TokenDigest, UserId};
use crate::ports::PasskeyCredential;

/// The kinds of second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MfaKind {
    /// A time-based one-time password (RFC 6238: HMAC-SHA-1, 6 digits, 30 s).
    Totp,
    /// A passkey (WebAuthn, with user verification): a second factor, and a sign-in of its own.
    WebAuthn,
}

impl MfaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::WebAuthn => "webauthn",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "totp" => Some(Self::Totp),
            "webauthn" => Some(Self::WebAuthn),
            _ => None,
        }
    }

    /// What a session that proved it lists in `amr` (RFC 8176).
    pub fn amr(self) -> &'static str {
        match self {
            Self::Totp => "otp",
            Self::WebAuthn => "webauthn",
        }
    }
}

/// One second factor of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaMethod {
    pub id: Uuid,
    pub user_id: UserId,
    pub kind: MfaKind,
    /// The user's name for it (`phone`), 1–64 characters.
    pub label: String,
    /// The TOTP secret, sealed with the method's id as associated data; never shown again
    /// once confirmed. Empty for a passkey.
    pub sealed_secret: String,
    /// A passkey's credential (its id and public key, counter): `None` for TOTP.
    pub passkey: Option<PasskeyCredential>,
    /// `None` while the enrolment waits for its first code: it proves nothing yet, and
    /// expires after [`ENROLMENT_TTL`].
    pub confirmed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// The last time step a code was accepted for: only a later one is accepted again.
    pub last_step: Option<i64>,
}

/// A passkey ceremony begun: its id (the client sends it back with the answer) and the options
/// for `navigator.credentials.create()` / `.get()` (`publicKey`). Its state stays server-side.
#[derive(Debug, Clone)]
pub struct PasskeyChallenge {
    pub challenge_id: Uuid,
    pub options: serde_json::Value,
}

/// How long a passkey ceremony waits for the browser's answer.
pub const PASSKEY_CEREMONY_TTL: Duration = Duration::minutes(5);

/// How long an unconfirmed enrolment waits for its first code.
pub const ENROLMENT_TTL: Duration = Duration::minutes(10);

impl MfaMethod {
    pub fn is_confirmed(&self) -> bool {
        self.confirmed_at.is_some()
    }

    /// An enrolment whose first code never came in time.
    pub fn is_expired_enrolment(&self, now: DateTime<Utc>) -> bool {
        self.confirmed_at.is_none() && now - self.created_at >= ENROLMENT_TTL
    }

    /// Where its sealed secret belongs (the secret box's associated data).
    pub fn seal_context(id: Uuid) -> String {
        format!("mfa/totp/{id}")
    }
}

/// A label for a method: one line, 1–64 characters once trimmed.
pub fn parse_label(raw: &str) -> Result<String, FieldError> {
    crate::domain::single_line("label", raw)?;
    crate::domain::no_invisible("label", raw)?;
    let label = raw.trim();
    match label.chars().count() {
        0 => Err(FieldError::new("label", "required", "the label must not be empty")),
        1..=64 => Ok(label.to_owned()),
        _ => Err(FieldError::new("label", "too_long", "at most 64 characters")),
    }
}

/// TOTP's time step (RFC 6238 §4: 30 s since the epoch).
pub const TOTP_PERIOD_SECS: i64 = 30;

/// The time step `at` falls in.
pub fn totp_step(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(TOTP_PERIOD_SECS)
}

/// The time step among the previous, the current and the next (a clock a step off either
/// way) whose code is `code`, if it is later than `last_step`: a code works once, and never
/// after a later one was used. `code_of` computes the code of a step; `equal` compares in
/// constant time.
pub fn accepted_step(
    code: &str,
    now: DateTime<Utc>,
    last_step: Option<i64>,
    code_of: impl Fn(i64) -> String,
    equal: impl Fn(&str, &str) -> bool,
) -> Option<i64> {
    let current = totp_step(now);
    let mut found = None;
    // Every candidate is computed and compared, whichever matches.
    for step in [current - 1, current, current + 1] {
        let matches = equal(&code_of(step), code);
        if matches && last_step.is_none_or(|last| step > last) && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// Recovery codes: how many, and their form (`xxxx-xxxx-xxxx`, Crockford base32: 60 bits).
pub const RECOVERY_CODES: usize = 10;
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A recovery code from 12 uniform symbols (`symbols` yields values below 32).
pub fn recovery_code(symbols: impl Iterator<Item = u8>) -> String {
    let chars: Vec<char> = symbols.take(12).map(|v| char::from(CROCKFORD[usize::from(v % 32)])).collect();
    chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// A recovery code as typed back: case, dashes and spaces do not matter, and Crockford's
/// look-alikes (`O` → `0`, `I`/`L` → `1`) read as the symbol they resemble.
pub fn normalise_recovery_code(raw: &str) -> String {
    raw.chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect()
}

/// One stored recovery code: a keyed digest, and when it was used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryCode {
    pub digest: TokenDigest,
    pub used_at: Option<DateTime<Utc>>,
}

/// A TOTP enrolment just begun: the secret, shown this once, in the forms an app takes.
#[derive(Debug, Clone)]
pub struct TotpEnrolment {
    pub method: MfaMethod,
    /// Base32 (RFC 4648, no padding), for typing in.
    pub secret: String,
    pub otpauth_uri: String,
    pub qr_svg: String,
}

/// What a login that needs a second factor is waiting for, kept server-side under the
/// `mfa_token`'s digest (5 minutes).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MfaChallenge {
    pub user_id: Uuid,
    /// The state of the passkey assertion offered with the second step, when the account has
    /// passkeys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passkey_state: Option<String>,
    /// The device the login named (`device_name`, or a known device's id).
    pub device_name: Option<String>,
    pub device_id: Option<Uuid>,
}

/// How long an `mfa_token` works, and how many wrong codes it takes.
pub const MFA_TOKEN_TTL: Duration = Duration::minutes(5);
pub const MFA_MAX_ATTEMPTS: u32 = 5;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn code_of(step: i64) -> String {
        format!("{:06}", step.rem_euclid(1_000_000))
    }

    #[test]
    fn a_code_works_in_its_step_and_the_neighbours_once() {
        let now = DateTime::from_timestamp(1_765_000_015, 0).unwrap();
        let step = totp_step(now);
        let eq = |a: &str, b: &str| a == b;
        assert_eq!(accepted_step(&code_of(step), now, None, code_of, eq), Some(step));
        assert_eq!(accepted_step(&code_of(step - 1), now, None, code_of, eq), Some(step - 1));
        assert_eq!(accepted_step(&code_of(step + 1), now, None, code_of, eq), Some(step + 1));
        assert_eq!(accepted_step(&code_of(step - 2), now, None, code_of, eq), None, "two steps away");
        assert_eq!(accepted_step(&code_of(step + 2), now, None, code_of, eq), None);
        // Used once: the same step, or an earlier one, is refused.
        assert_eq!(accepted_step(&code_of(step), now, Some(step), code_of, eq), None);
        assert_eq!(accepted_step(&code_of(step - 1), now, Some(step), code_of, eq), None);
        assert_eq!(accepted_step(&code_of(step + 1), now, Some(step), code_of, eq), Some(step + 1));
        assert_eq!(accepted_step("nope", now, None, code_of, eq), None);
    }

    #[test]
    fn recovery_codes_are_12_crockford_symbols_typed_back_loosely() {
        let code = recovery_code((0u8..40).map(|i| i.wrapping_mul(7)));
        assert_eq!(code.len(), 14);
        assert_eq!(code.matches('-').count(), 2);
        assert!(code.chars().all(|c| c == '-' || CROCKFORD.contains(&(c as u8))), "{code}");
        assert_eq!(normalise_recovery_code(&code.to_lowercase()), code.replace('-', ""));
        assert_eq!(normalise_recovery_code("abcd efgh-oil0"), "ABCDEFGH0110");
    }

    #[test]
    fn labels_and_enrolments() {
        assert_eq!(parse_label("  phone ").unwrap(), "phone");
        assert_eq!(parse_label("").unwrap_err().code, "required");
        assert_eq!(parse_label(&"x".repeat(65)).unwrap_err().code, "too_long");
        let now = Utc::now();
        let method = MfaMethod {
            id: Uuid::now_v7(),
            user_id: UserId::from_uuid(Uuid::now_v7()),
            kind: MfaKind::Totp,
            label: "phone".into(),
            sealed_secret: "sealed".into(),
            passkey: None,
            confirmed_at: None,
            created_at: now,
            last_used_at: None,
            last_step: None,
        };
        assert!(!method.is_expired_enrolment(now + Duration::minutes(9)));
        assert!(method.is_expired_enrolment(now + ENROLMENT_TTL));
        assert_eq!(MfaKind::parse("totp"), Some(MfaKind::Totp));
        assert_eq!(MfaKind::Totp.amr(), "otp");
    }
}
