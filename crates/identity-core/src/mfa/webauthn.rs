//! Passkeys (WebAuthn) as a port. Core keeps a ceremony's state server-side (in the code store,
//! taken once) and a registered passkey as it stores any second factor; what a browser sends
//! and what a passkey holds are opaque to it: the adapter (webauthn-rs) reads and checks them
//! (origin, RP id, challenge, signature, the signature counter).

use uuid::Uuid;

/// A ceremony begun: the options for the browser (the `publicKey` member of
/// `navigator.credentials.create()` or `.get()`, as JSON), and the state to keep server-side
/// until the ceremony finishes (never sent to the client).
#[derive(Debug, Clone)]
pub struct Ceremony {
    pub options: serde_json::Value,
    pub state: String,
}

/// A registered passkey: its credential id (base64url, as browsers name it) and what the
/// adapter needs to check its assertions (public key, counter), serialised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyCredential {
    pub credential_id: String,
    pub credential: String,
}

/// What a checked assertion proved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assertion {
    /// The credential that signed.
    pub credential_id: String,
    /// The credential with its counter (or backup state) moved on, when it changed: store it.
    pub updated: Option<String>,
}

/// Why a ceremony failed.
#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    /// The browser's answer does not prove what it must: another origin or RP id, another
    /// challenge, a bad signature, an unknown credential, a counter that went back (a cloned
    /// authenticator), or a malformed answer.
    #[error("the passkey answer was refused: {0}")]
    Refused(String),
    /// The adapter itself failed.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// The WebAuthn relying party (`WEBAUTHN_RP_ID`, `WEBAUTHN_RP_ORIGIN`, `WEBAUTHN_RP_NAME`).
pub trait PasskeyVerifier: Send + Sync + 'static {
    /// Starts registering a passkey for `user` (`name`: the account's address, `display`: its
    /// display name). `exclude`: the user's registered credentials (an authenticator that
    /// holds one of them is refused by the browser). The credential is discoverable, so it
    /// also signs in without a password.
    fn start_registration(
        &self,
        user: Uuid,
        name: &str,
        display: &str,
        exclude: &[PasskeyCredential],
    ) -> Result<Ceremony, PasskeyError>;

    /// Checks the browser's answer (`PublicKeyCredential` as JSON) to a registration begun
    /// with `state`.
    fn finish_registration(&self, state: &str, response: &serde_json::Value)
    -> Result<PasskeyCredential, PasskeyError>;

    /// Starts an assertion by one of `credentials` (a second factor).
    fn start_authentication(&self, credentials: &[PasskeyCredential]) -> Result<Ceremony, PasskeyError>;

    /// Checks an assertion begun with `state` against `credentials`.
    fn finish_authentication(
        &self,
        state: &str,
        response: &serde_json::Value,
        credentials: &[PasskeyCredential],
    ) -> Result<Assertion, PasskeyError>;

    /// Starts a sign-in without a password: any discoverable credential of this RP.
    fn start_discoverable(&self) -> Result<Ceremony, PasskeyError>;

    /// The user (the user handle: our user id) and the credential id a discoverable assertion
    /// names, read before it is checked, to find the credentials to check it against.
    fn identify(&self, response: &serde_json::Value) -> Result<(Uuid, String), PasskeyError>;

    /// Checks a discoverable assertion begun with `state` against the named user's
    /// `credentials`.
    fn finish_discoverable(
        &self,
        state: &str,
        response: &serde_json::Value,
        credentials: &[PasskeyCredential],
    ) -> Result<Assertion, PasskeyError>;
}
