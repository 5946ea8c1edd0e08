//! The relying party against software authenticators (webauthn-authenticator-rs): `SoftPasskey`,
//! and `SoftToken` where an authenticator must be cloned (it serialises; `SoftPasskey` does not).
//! Neither stores resident keys nor returns a user handle: where a browser's authenticator would
//! discover its credential and name its user, the tests say so and do it for them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use serde_json::json;
use std::slice::from_ref;
use webauthn_authenticator_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse, WebauthnAuthenticator};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_authenticator_rs::softtoken::SoftToken;

const ORIGIN: &str = "https://id.example.com";

fn rp() -> WebAuthnRp {
    WebAuthnRp::new("example.com", ORIGIN, "Example").unwrap()
}

/// A soft authenticator that claims user verification (passkeys require it).
fn authenticator() -> SoftPasskey {
    SoftPasskey::new(true)
}

/// `navigator.credentials.create({publicKey: options})` at `origin`.
fn create(
    authenticator: &mut impl WebauthnAuthenticator,
    origin: &str,
    options: &serde_json::Value,
) -> serde_json::Value {
    let mut options = options.clone();
    // The soft authenticators refuse to store a resident key; a browser's authenticator stores it.
    options["authenticatorSelection"]["requireResidentKey"] = false.into();
    let request: CreationChallengeResponse = serde_json::from_value(json!({ "publicKey": options })).unwrap();
    let answer = authenticator.do_registration(Url::parse(origin).unwrap(), request).unwrap();
    serde_json::to_value(answer).unwrap()
}

/// `navigator.credentials.get({publicKey: options})` at `origin`.
fn get(authenticator: &mut impl WebauthnAuthenticator, origin: &str, options: &serde_json::Value) -> serde_json::Value {
    let request: RequestChallengeResponse = serde_json::from_value(json!({ "publicKey": options })).unwrap();
    let answer = authenticator.do_authentication(Url::parse(origin).unwrap(), request).unwrap();
    serde_json::to_value(answer).unwrap()
}

fn register(rp: &WebAuthnRp, authenticator: &mut impl WebauthnAuthenticator, user: Uuid) -> PasskeyCredential {
    let ceremony = rp.start_registration(user, "ada@example.com", "Ada", &[]).unwrap();
    let answer = create(authenticator, ORIGIN, &ceremony.options);
    rp.finish_registration(&ceremony.state, &answer).unwrap()
}

/// One second-factor assertion by `authenticator` of `credential`; the credential moved on.
fn authenticate(
    rp: &WebAuthnRp,
    authenticator: &mut impl WebauthnAuthenticator,
    credential: &PasskeyCredential,
) -> PasskeyCredential {
    let ceremony = rp.start_authentication(from_ref(credential)).unwrap();
    let answer = get(authenticator, ORIGIN, &ceremony.options);
    let assertion = rp.finish_authentication(&ceremony.state, &answer, from_ref(credential)).unwrap();
    PasskeyCredential { credential: assertion.updated.expect("the counter moved on"), ..credential.clone() }
}

fn counter(credential: &PasskeyCredential) -> u32 {
    serde_json::from_str::<StoredCounter>(&credential.credential).unwrap().cred.counter
}

#[track_caller]
fn assert_refused<T: std::fmt::Debug>(result: Result<T, PasskeyError>, reason: &str) {
    match result {
        Err(PasskeyError::Refused(why)) => assert!(why.contains(reason), "refused for {why:?}, not {reason:?}"),
        other => panic!("expected a refusal ({reason}), got {other:?}"),
    }
}

#[test]
fn the_relying_party_needs_an_origin_and_an_rp_id_of_its_host() {
    assert!(WebAuthnRp::new("example.com", "https://id.example.com", "Example").is_ok());
    assert!(WebAuthnRp::new("id.example.com", "https://id.example.com:8443", "").is_ok());
    assert!(WebAuthnRp::new("localhost", "http://localhost:8080", "Dev").is_ok());
    for (rp_id, origin, error) in [
        ("example.com", "id.example.com", "is not a URL"),
        ("example.com", "http://id.example.com", "is not https://"),
        ("127.0.0.1", "https://127.0.0.1", "no domain name"),
        ("example.com", "https://id.example.com/login", "is not an origin"),
        ("other.com", "https://id.example.com", "nor a parent domain"),
        ("ample.com", "https://id.example.com", "nor a parent domain"),
        ("sub.id.example.com", "https://id.example.com", "nor a parent domain"),
        ("", "https://id.example.com", "nor a parent domain"),
    ] {
        let refused = WebAuthnRp::new(rp_id, origin, "Example").unwrap_err().to_string();
        assert!(refused.contains(error), "{rp_id} at {origin}: {refused}");
    }
}

#[test]
fn a_passkey_registers_as_discoverable_and_then_asserts_as_a_second_factor() {
    let (rp, mut authenticator, user) = (rp(), authenticator(), Uuid::new_v4());
    let ceremony = rp.start_registration(user, "ada@example.com", "Ada", &[]).unwrap();
    let options = &ceremony.options;
    assert_eq!(options["rp"]["id"], "example.com");
    assert_eq!(options["rp"]["name"], "Example");
    assert_eq!(options["user"]["id"], URL_SAFE_NO_PAD.encode(user.as_bytes()));
    assert_eq!(options["user"]["name"], "ada@example.com");
    assert_eq!(options["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(options["authenticatorSelection"]["requireResidentKey"], true);
    assert_eq!(options["authenticatorSelection"]["userVerification"], "required");
    assert!(ceremony.state.starts_with(r#"{"ceremony":"registration","#), "{}", ceremony.state);

    let answer = create(&mut authenticator, ORIGIN, options);
    let credential = rp.finish_registration(&ceremony.state, &answer).unwrap();
    // The id as the browser names it.
    assert_eq!(credential.credential_id, answer["id"]);
    assert_eq!(counter(&credential), 0);

    let ceremony = rp.start_authentication(from_ref(&credential)).unwrap();
    assert_eq!(ceremony.options["rpId"], "example.com");
    assert_eq!(ceremony.options["allowCredentials"][0]["id"], credential.credential_id.as_str());
    assert_eq!(ceremony.options["userVerification"], "required");
    let answer = get(&mut authenticator, ORIGIN, &ceremony.options);
    let assertion = rp.finish_authentication(&ceremony.state, &answer, from_ref(&credential)).unwrap();
    assert_eq!(assertion.credential_id, credential.credential_id);
    let moved = PasskeyCredential { credential: assertion.updated.unwrap(), ..credential.clone() };
    assert_eq!(counter(&moved), 1);

    // Again, from the stored (moved on) passkey.
    assert_eq!(counter(&authenticate(&rp, &mut authenticator, &moved)), 2);
}

#[test]
fn an_account_s_passkeys_are_excluded_from_a_new_registration() {
    let (rp, mut authenticator, user) = (rp(), authenticator(), Uuid::new_v4());
    let credential = register(&rp, &mut authenticator, user);
    let ceremony = rp.start_registration(user, "ada@example.com", "Ada", from_ref(&credential)).unwrap();
    assert_eq!(ceremony.options["excludeCredentials"][0]["id"], credential.credential_id.as_str());
}

#[test]
fn an_assertion_does_not_answer_another_ceremony() {
    let (rp, mut authenticator, user) = (rp(), authenticator(), Uuid::new_v4());
    let credential = register(&rp, &mut authenticator, user);
    let first = rp.start_authentication(from_ref(&credential)).unwrap();
    let answer = get(&mut authenticator, ORIGIN, &first.options);
    let updated = rp.finish_authentication(&first.state, &answer, from_ref(&credential)).unwrap().updated;

    // Replayed against a new ceremony: another challenge.
    let second = rp.start_authentication(from_ref(&credential)).unwrap();
    assert_refused(rp.finish_authentication(&second.state, &answer, from_ref(&credential)), "another challenge");
    // Replayed against its own ceremony (were the state not taken once): the counter did not move.
    let moved = PasskeyCredential { credential: updated.unwrap(), ..credential.clone() };
    assert_refused(rp.finish_authentication(&first.state, &answer, &[moved]), "counter went back");
}

#[test]
fn an_answer_made_for_another_origin_is_refused() {
    let (rp, mut authenticator, user) = (rp(), authenticator(), Uuid::new_v4());
    // The RP id fits both origins, so the authenticator answers; the server expects its own.
    for origin in ["https://evil.example.com", "https://id.example.com:8443"] {
        let ceremony = rp.start_registration(user, "ada@example.com", "Ada", &[]).unwrap();
        let answer = create(&mut authenticator, origin, &ceremony.options);
        assert_refused(rp.finish_registration(&ceremony.state, &answer), "another origin");
    }
    let credential = register(&rp, &mut authenticator, user);
    let ceremony = rp.start_authentication(from_ref(&credential)).unwrap();
    let answer = get(&mut authenticator, "https://evil.example.com", &ceremony.options);
    assert_refused(rp.finish_authentication(&ceremony.state, &answer, from_ref(&credential)), "another origin");
}

#[test]
fn an_answer_for_another_relying_party_is_refused() {
    let (rp, mut authenticator, user) = (rp(), authenticator(), Uuid::new_v4());
    let other = WebAuthnRp::new("id.example.com", ORIGIN, "Other").unwrap();
    let ceremony = other.start_registration(user, "ada@example.com", "Ada", &[]).unwrap();
    let answer = create(&mut authenticator, ORIGIN, &ceremony.options);
    let credential = other.finish_registration(&ceremony.state, &answer).unwrap();
    // Its ceremony begun by the other party, checked by ours: the RP id hash differs.
    let ceremony = other.start_authentication(from_ref(&credential)).unwrap();
    let answer = get(&mut authenticator, ORIGIN, &ceremony.options);
    assert_refused(rp.finish_authentication(&ceremony.state, &answer, from_ref(&credential)), "another relying party");
}

#[test]
fn a_state_of_another_ceremony_is_refused() {
    let (rp, mut authenticator, user) = (rp(), authenticator(), Uuid::new_v4());
    let credential = register(&rp, &mut authenticator, user);
    let credentials = from_ref(&credential);
    let ceremony = rp.start_authentication(credentials).unwrap();
    let answer = get(&mut authenticator, ORIGIN, &ceremony.options);

    let other = rp.start_authentication(credentials).unwrap();
    assert_refused(rp.finish_authentication(&other.state, &answer, credentials), "another challenge");
    let registration = rp.start_registration(user, "ada@example.com", "Ada", &[]).unwrap();
    assert_refused(rp.finish_authentication(&registration.state, &answer, credentials), "not a second factor's");
    let discoverable = rp.start_discoverable().unwrap();
    assert_refused(rp.finish_authentication(&discoverable.state, &answer, credentials), "not a second factor's");
    assert_refused(rp.finish_discoverable(&ceremony.state, &answer, credentials), "not a passwordless sign-in's");
    assert_refused(rp.finish_registration(&ceremony.state, &answer), "not a registration's");
    assert_refused(rp.finish_authentication("{}", &answer, credentials), "not one of ours");
    assert_refused(rp.finish_authentication("", &answer, credentials), "not one of ours");
    // Still good with its own state.
    assert!(rp.finish_authentication(&ceremony.state, &answer, credentials).is_ok());
}

#[test]
fn a_malformed_or_foreign_answer_is_refused() {
    let (rp, mut authenticator, user) = (rp(), authenticator(), Uuid::new_v4());
    let registration = rp.start_registration(user, "ada@example.com", "Ada", &[]).unwrap();
    assert_refused(rp.finish_registration(&registration.state, &json!({"id": "x"})), "not a PublicKeyCredential");
    assert_refused(rp.finish_registration(&registration.state, &json!("text")), "not a PublicKeyCredential");

    let credential = register(&rp, &mut authenticator, user);
    let credentials = from_ref(&credential);
    let ceremony = rp.start_authentication(credentials).unwrap();
    assert_refused(rp.finish_authentication(&ceremony.state, &json!({}), credentials), "not a PublicKeyCredential");
    assert_refused(rp.identify(&json!([])), "not a PublicKeyCredential");

    let answer = get(&mut authenticator, ORIGIN, &ceremony.options);
    let mut forged = answer.clone();
    forged["response"]["signature"] = URL_SAFE_NO_PAD.encode([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]).into();
    assert_refused(rp.finish_authentication(&ceremony.state, &forged, credentials), "does not verify");
    let mut broken = answer.clone();
    broken["response"]["authenticatorData"] = "AAAA".into();
    assert!(matches!(rp.finish_authentication(&ceremony.state, &broken, credentials), Err(PasskeyError::Refused(_))));
    // A credential the account does not hold.
    let stranger = register(&rp, &mut self::authenticator(), Uuid::new_v4());
    assert_refused(rp.finish_authentication(&ceremony.state, &answer, &[stranger]), "unknown credential");
    assert!(rp.finish_authentication(&ceremony.state, &answer, credentials).is_ok());
}

/// A cloned authenticator: `SoftToken` serialises, so a copy taken before a use signs with a
/// counter behind the stored one.
#[test]
fn a_counter_that_goes_back_is_refused() {
    let (rp, user) = (rp(), Uuid::new_v4());
    let (mut original, _) = SoftToken::new(true).unwrap();
    let credential = register(&rp, &mut original, user);
    let snapshot = original.to_cbor().unwrap();
    let mut clone = SoftToken::from_cbor(&snapshot).unwrap();
    let mut late_clone = SoftToken::from_cbor(&snapshot).unwrap();

    // A ceremony begun before the original moved the counter on, answered by the clone after:
    // webauthn-rs checks the counter against its copy taken at the start (0); the stored one is 1.
    let early = rp.start_authentication(from_ref(&credential)).unwrap();
    let moved = authenticate(&rp, &mut original, &credential);
    assert_eq!(counter(&moved), 1);
    let answer = get(&mut late_clone, ORIGIN, &early.options);
    assert_refused(rp.finish_authentication(&early.state, &answer, from_ref(&moved)), "counter went back");

    // Begun and answered after: webauthn-rs refuses it itself.
    let ceremony = rp.start_authentication(from_ref(&moved)).unwrap();
    let answer = get(&mut clone, ORIGIN, &ceremony.options);
    assert_refused(rp.finish_authentication(&ceremony.state, &answer, from_ref(&moved)), "counter went back");

    // The original goes on.
    assert_eq!(counter(&authenticate(&rp, &mut original, &moved)), 2);
}

/// Passwordless: the browser's authenticator discovers its credential and returns the user
/// handle stored at registration. The soft authenticators do neither, so the test names the
/// credential in the request and puts the user handle in the answer (it is not signed).
#[test]
fn a_discoverable_passkey_signs_in_without_a_password() {
    let (rp, mut authenticator, user) = (rp(), authenticator(), Uuid::new_v4());
    let credential = register(&rp, &mut authenticator, user);
    let credentials = from_ref(&credential);

    let ceremony = rp.start_discoverable().unwrap();
    let options = &ceremony.options;
    assert_eq!(options["rpId"], "example.com");
    assert_eq!(options["userVerification"], "required");
    assert!(options["allowCredentials"].as_array().is_none_or(Vec::is_empty), "{options}");

    let mut discovered = options.clone();
    discovered["allowCredentials"] = json!([{ "type": "public-key", "id": credential.credential_id }]);
    let mut answer = get(&mut authenticator, ORIGIN, &discovered);
    assert_refused(rp.identify(&answer), "names no user");
    answer["response"]["userHandle"] = URL_SAFE_NO_PAD.encode(user.as_bytes()).into();

    assert_eq!(rp.identify(&answer).unwrap(), (user, credential.credential_id.clone()));
    let assertion = rp.finish_discoverable(&ceremony.state, &answer, credentials).unwrap();
    assert_eq!(assertion.credential_id, credential.credential_id);
    let moved = PasskeyCredential { credential: assertion.updated.unwrap(), ..credential.clone() };
    assert_eq!(counter(&moved), 1);

    // Not with another user's passkeys, another ceremony's state, or twice.
    let stranger = register(&rp, &mut authenticator, Uuid::new_v4());
    assert_refused(rp.finish_discoverable(&ceremony.state, &answer, &[stranger]), "unknown credential");
    let other = rp.start_discoverable().unwrap();
    assert_refused(rp.finish_discoverable(&other.state, &answer, credentials), "another challenge");
    assert_refused(rp.finish_discoverable(&ceremony.state, &answer, from_ref(&moved)), "counter went back");

    // And as a second factor afterwards, from the moved-on passkey.
    assert_eq!(counter(&authenticate(&rp, &mut authenticator, &moved)), 2);
}
