//! Passkeys (WebAuthn) with webauthn-rs: the relying party that begins and checks registrations,
//! second-factor assertions and passwordless (discoverable) sign-ins. The browser's answers and
//! the stored passkeys are read and checked here only; core keeps the strings.
//!
//! A ceremony's state is serialised (webauthn-rs' `danger-allow-state-serialisation`) so core
//! keeps it server-side, taken once; it is tagged with its ceremony, so the state of one kind
//! of ceremony cannot finish another.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use identity_core::ports::{Assertion, Ceremony, PasskeyCredential, PasskeyError, PasskeyVerifier};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use webauthn_rs::prelude::{
    AuthenticationResult, DiscoverableAuthentication, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, Url, WebauthnBuilder, WebauthnError,
};

/// The WebAuthn relying party: its id (a registrable suffix of the origin's host), the one
/// origin browsers must report, and the name they show.
#[derive(Debug, Clone)]
pub struct WebAuthnRp {
    webauthn: webauthn_rs::Webauthn,
}

impl WebAuthnRp {
    /// The relying party `rp_id` served at `origin` (`https://host[:port]`, or
    /// `http://localhost[:port]` in development), shown as `rp_name`.
    ///
    /// # Errors
    /// `origin` is not such a URL, or `rp_id` is not its host nor a parent domain of it.
    pub fn new(rp_id: &str, origin: &str, rp_name: &str) -> anyhow::Result<Self> {
        let url = Url::parse(origin).map_err(|e| anyhow::anyhow!("WEBAUTHN_RP_ORIGIN {origin:?} is not a URL: {e}"))?;
        let Some(host) = url.domain() else {
            anyhow::bail!("WEBAUTHN_RP_ORIGIN {origin:?} has no domain name (WebAuthn needs one; not an IP address)");
        };
        if !(url.scheme() == "https" || (url.scheme() == "http" && host == "localhost")) {
            anyhow::bail!("WEBAUTHN_RP_ORIGIN {origin:?} is not https:// (only http://localhost may be plain http)");
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
            anyhow::bail!("WEBAUTHN_RP_ORIGIN {origin:?} is not an origin: scheme://host[:port] only, no path");
        }
        let rp_id = rp_id.trim();
        let suffix = host.strip_suffix(rp_id).is_some_and(|rest| rest.is_empty() || rest.ends_with('.'));
        if rp_id.is_empty() || rp_id.starts_with('.') || !suffix {
            anyhow::bail!("WEBAUTHN_RP_ID {rp_id:?} is neither the origin's host {host:?} nor a parent domain of it");
        }
        let rp_name = if rp_name.trim().is_empty() { rp_id } else { rp_name };
        let webauthn = WebauthnBuilder::new(rp_id, &url)
            .and_then(|builder| builder.rp_name(rp_name).build())
            .map_err(|e| anyhow::anyhow!("the WebAuthn relying party {rp_id:?} at {origin:?} was refused: {e}"))?;
        Ok(Self { webauthn })
    }
}

/// A ceremony's state as core keeps it: tagged with the ceremony it belongs to.
#[derive(Serialize, Deserialize)]
#[serde(tag = "ceremony", content = "state", rename_all = "snake_case")]
enum State {
    Registration(PasskeyRegistration),
    Authentication(PasskeyAuthentication),
    Discoverable(DiscoverableAuthentication),
}

impl State {
    fn encode(&self) -> Result<String, PasskeyError> {
        to_string(self, "a passkey ceremony's state")
    }

    fn decode(state: &str) -> Result<Self, PasskeyError> {
        serde_json::from_str(state).map_err(|_| refused("the ceremony state is not one of ours"))
    }
}

/// The counter (and only it) of a stored passkey: webauthn-rs keeps it private, and checks it
/// only against the copy taken when the ceremony began.
#[derive(Deserialize)]
struct StoredCounter {
    cred: StoredCred,
}

#[derive(Deserialize)]
struct StoredCred {
    counter: u32,
}

fn refused(reason: &str) -> PasskeyError {
    PasskeyError::Refused(reason.to_owned())
}

/// Why webauthn-rs refused an answer, in a few words (no key material, no challenge).
fn refusal(error: &WebauthnError) -> PasskeyError {
    let reason = match error {
        WebauthnError::InvalidRPOrigin | WebauthnError::CredentialCrossOrigin => "it was made for another origin",
        WebauthnError::InvalidRPIDHash => "it was made for another relying party",
        WebauthnError::MismatchedChallenge | WebauthnError::ChallengeNotFound => "it answers another challenge",
        WebauthnError::InvalidClientDataType => "it answers another kind of ceremony",
        WebauthnError::CredentialNotFound => "it was signed by an unknown credential",
        WebauthnError::CredentialPossibleCompromise => "its signature counter went back (a cloned authenticator?)",
        WebauthnError::AuthenticationFailure | WebauthnError::SignatureInvalid => "its signature does not verify",
        WebauthnError::UserNotPresent => "the user was not present",
        WebauthnError::UserNotVerified => "the user was not verified",
        WebauthnError::CredentialExcludedFromRequest => "the authenticator already holds one of the account's passkeys",
        WebauthnError::CredentialBackupEligibilityInconsistent => "the passkey's backup eligibility changed",
        WebauthnError::CredentialInsecureCryptography | WebauthnError::CredentialAlteredAlgFromRequest => {
            "the passkey's algorithm is not accepted"
        }
        WebauthnError::InvalidUserUniqueId => "it names no user of ours",
        WebauthnError::ParseBase64Failure(_)
        | WebauthnError::ParseCBORFailure(_)
        | WebauthnError::ParseJSONFailure(_)
        | WebauthnError::ParseNOMFailure
        | WebauthnError::ParseInsufficientBytesAvailable => "it is malformed",
        _ => "it does not verify",
    };
    PasskeyError::Refused(reason.to_owned())
}

fn credential_id(raw: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(raw)
}

fn parse<T: serde::de::DeserializeOwned>(response: &serde_json::Value) -> Result<T, PasskeyError> {
    T::deserialize(response).map_err(|_| refused("the answer is not a PublicKeyCredential"))
}

fn passkey(stored: &PasskeyCredential) -> Result<Passkey, PasskeyError> {
    serde_json::from_str(&stored.credential)
        .map_err(|e| internal(&format!("the stored passkey {} does not read", stored.credential_id), &e))
}

fn internal(what: &str, error: &dyn std::fmt::Display) -> PasskeyError {
    PasskeyError::Internal(anyhow::anyhow!("{what}: {error}"))
}

fn to_string<T: Serialize>(value: &T, what: &str) -> Result<String, PasskeyError> {
    serde_json::to_string(value).map_err(|e| internal(what, &e))
}

fn to_value<T: Serialize>(value: &T, what: &str) -> Result<serde_json::Value, PasskeyError> {
    serde_json::to_value(value).map_err(|e| internal(what, &e))
}

/// The stored passkey that signed `response`, found by the credential id it names.
fn signer(
    response: &PublicKeyCredential,
    credentials: &[PasskeyCredential],
) -> Result<PasskeyCredential, PasskeyError> {
    let id = credential_id(response.get_credential_id());
    credentials
        .iter()
        .find(|c| c.credential_id == id)
        .cloned()
        .ok_or_else(|| refusal(&WebauthnError::CredentialNotFound))
}

/// Checks the counter of a verified assertion against the stored passkey (which may have moved
/// on since the ceremony began), and returns the passkey moved on when the assertion changed it.
fn settle(stored: &PasskeyCredential, result: &AuthenticationResult) -> Result<Assertion, PasskeyError> {
    let current: StoredCounter = serde_json::from_str(&stored.credential)
        .map_err(|e| internal(&format!("the stored passkey {} has no signature counter", stored.credential_id), &e))?;
    let counter = current.cred.counter;
    // Counters of 0 on both sides: an authenticator without one (most synchronised passkeys).
    if (result.counter() > 0 || counter > 0) && result.counter() <= counter {
        return Err(refusal(&WebauthnError::CredentialPossibleCompromise));
    }
    let mut key = passkey(stored)?;
    let updated = match key.update_credential(result) {
        Some(true) => Some(to_string(&key, "a passkey")?),
        Some(false) => None,
        None => return Err(refusal(&WebauthnError::CredentialNotFound)),
    };
    Ok(Assertion { credential_id: stored.credential_id.clone(), updated })
}

impl PasskeyVerifier for WebAuthnRp {
    fn start_registration(
        &self,
        user: Uuid,
        name: &str,
        display: &str,
        exclude: &[PasskeyCredential],
    ) -> Result<Ceremony, PasskeyError> {
        let exclude = exclude
            .iter()
            .map(|c| {
                URL_SAFE_NO_PAD.decode(&c.credential_id).map_err(|_| {
                    PasskeyError::Internal(anyhow::anyhow!(
                        "the stored credential id {:?} is not base64url",
                        c.credential_id
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let exclude = (!exclude.is_empty()).then_some(exclude);
        let (challenge, state) = self
            .webauthn
            .start_passkey_registration(user, name, display, exclude)
            .map_err(|e| internal("a passkey registration could not begin", &e))?;
        let mut options = to_value(&challenge.public_key, "the registration options")?;
        // webauthn-rs asks passkeys not to be resident ("discouraged"); ours also sign in without
        // a password, so the authenticator must store them (be discoverable). Only the request
        // changes: the server cannot check what the authenticator stored.
        let Some(selection) = options.get_mut("authenticatorSelection").and_then(serde_json::Value::as_object_mut)
        else {
            return Err(PasskeyError::Internal(anyhow::anyhow!(
                "the registration options have no authenticatorSelection"
            )));
        };
        selection.insert("residentKey".into(), "required".into());
        selection.insert("requireResidentKey".into(), true.into());
        Ok(Ceremony { options, state: State::Registration(state).encode()? })
    }

    fn finish_registration(
        &self,
        state: &str,
        response: &serde_json::Value,
    ) -> Result<PasskeyCredential, PasskeyError> {
        let State::Registration(state) = State::decode(state)? else {
            return Err(refused("the ceremony state is not a registration's"));
        };
        let response: RegisterPublicKeyCredential = parse(response)?;
        let key = self.webauthn.finish_passkey_registration(&response, &state).map_err(|e| refusal(&e))?;
        Ok(PasskeyCredential { credential_id: credential_id(key.cred_id()), credential: to_string(&key, "a passkey")? })
    }

    fn start_authentication(&self, credentials: &[PasskeyCredential]) -> Result<Ceremony, PasskeyError> {
        let keys = credentials.iter().map(passkey).collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Err(PasskeyError::Internal(anyhow::anyhow!("a passkey assertion needs a registered passkey")));
        }
        let (challenge, state) = self
            .webauthn
            .start_passkey_authentication(&keys)
            .map_err(|e| internal("a passkey assertion could not begin", &e))?;
        let options = to_value(&challenge.public_key, "the assertion options")?;
        Ok(Ceremony { options, state: State::Authentication(state).encode()? })
    }

    fn finish_authentication(
        &self,
        state: &str,
        response: &serde_json::Value,
        credentials: &[PasskeyCredential],
    ) -> Result<Assertion, PasskeyError> {
        let State::Authentication(state) = State::decode(state)? else {
            return Err(refused("the ceremony state is not a second factor's"));
        };
        let response: PublicKeyCredential = parse(response)?;
        let stored = signer(&response, credentials)?;
        let result = self.webauthn.finish_passkey_authentication(&response, &state).map_err(|e| refusal(&e))?;
        settle(&stored, &result)
    }

    fn start_discoverable(&self) -> Result<Ceremony, PasskeyError> {
        let (challenge, state) = self
            .webauthn
            .start_discoverable_authentication()
            .map_err(|e| internal("a passkey sign-in could not begin", &e))?;
        // `mediation` ("conditional": autofill) is the caller's choice, outside `publicKey`.
        let options = to_value(&challenge.public_key, "the sign-in options")?;
        Ok(Ceremony { options, state: State::Discoverable(state).encode()? })
    }

    fn identify(&self, response: &serde_json::Value) -> Result<(Uuid, String), PasskeyError> {
        let response: PublicKeyCredential = parse(response)?;
        let (user, id) = self.webauthn.identify_discoverable_authentication(&response).map_err(|e| refusal(&e))?;
        Ok((user, credential_id(id)))
    }

    fn finish_discoverable(
        &self,
        state: &str,
        response: &serde_json::Value,
        credentials: &[PasskeyCredential],
    ) -> Result<Assertion, PasskeyError> {
        let State::Discoverable(state) = State::decode(state)? else {
            return Err(refused("the ceremony state is not a passwordless sign-in's"));
        };
        let response: PublicKeyCredential = parse(response)?;
        let stored = signer(&response, credentials)?;
        let key = passkey(&stored)?;
        let result =
            self.webauthn.finish_discoverable_authentication_v2(&response, state, &key).map_err(|e| refusal(&e))?;
        settle(&stored, &result)
    }
}

#[cfg(test)]
mod tests;
