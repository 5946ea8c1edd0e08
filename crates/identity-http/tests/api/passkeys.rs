//! Passkeys over HTTP on both backends, with webauthn-authenticator-rs's software authenticator
//! in the browser's place: registering one, using it as the login's second factor, signing in
//! with it alone, stepping up with it, and refusing an answer made for another origin or
//! replayed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse, Url};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

use crate::both_backends;
use crate::helpers::{Backend, PASSWORD, TestApp, assert_problem, spawn_app_with_clock};

/// The server's default relying party: `WEBAUTHN_RP_ID=localhost`, this origin.
const ORIGIN: &str = "http://localhost:8080";

/// `navigator.credentials.create({publicKey})` at `origin`.
fn create(authenticator: &mut SoftPasskey, origin: &str, public_key: &Value) -> Value {
    let mut options = public_key.clone();
    // The soft authenticator refuses to store a resident key; a browser's authenticator does.
    options["authenticatorSelection"]["requireResidentKey"] = false.into();
    let request: CreationChallengeResponse = serde_json::from_value(json!({ "publicKey": options })).unwrap();
    serde_json::to_value(authenticator.do_registration(Url::parse(origin).unwrap(), request).unwrap()).unwrap()
}

/// `navigator.credentials.get({publicKey})` at `origin`.
fn get(authenticator: &mut SoftPasskey, origin: &str, public_key: &Value) -> Value {
    let request: RequestChallengeResponse = serde_json::from_value(json!({ "publicKey": public_key })).unwrap();
    serde_json::to_value(authenticator.do_authentication(Url::parse(origin).unwrap(), request).unwrap()).unwrap()
}

/// A signed-in user with a registered passkey: (email, access token, user id, credential id).
async fn with_passkey(app: &TestApp, authenticator: &mut SoftPasskey) -> (String, String, String, String) {
    let (email, login) = app.signed_in().await;
    let token = login["access_token"].as_str().unwrap().to_owned();
    let res = app.post_authed("/v1/mfa/webauthn/register/start", &token, None).await;
    assert_eq!(res.status(), 200);
    let start: Value = res.json().await.unwrap();
    assert_eq!(start["public_key"]["rp"]["id"], "localhost", "{start}");
    let credential = create(authenticator, ORIGIN, &start["public_key"]);
    let finish = json!({ "challenge_id": start["challenge_id"], "credential": credential, "label": "laptop" });
    let res = app.post_authed("/v1/mfa/webauthn/register/finish", &token, Some(&finish)).await;
    assert_eq!(res.status(), 200);
    let registered: Value = res.json().await.unwrap();
    assert_eq!(registered["method"]["type"], "webauthn");
    assert_eq!(registered["method"]["label"], "laptop");
    assert_eq!(registered["recovery_codes"].as_array().unwrap().len(), 10);
    // A ceremony is finished once.
    let again = app.post_authed("/v1/mfa/webauthn/register/finish", &token, Some(&finish)).await;
    assert_problem(again, 422, "validation_failed").await;
    let user_id = login["user"]["id"].as_str().unwrap().to_owned();
    (email, token, user_id, credential["id"].as_str().unwrap().to_owned())
}

async fn a_passkey_is_a_second_factor(backend: Backend) {
    let (app, _clock) = spawn_app_with_clock(backend, &[]).await;
    let mut authenticator = SoftPasskey::new(true);
    let (email, token, _, _) = with_passkey(&app, &mut authenticator).await;
    let listed: Value = app.get_authed("/v1/mfa/methods", &token).await.json().await.unwrap();
    assert_eq!(listed["methods"][0]["type"], "webauthn");
    assert!(!listed.to_string().contains("credential"), "{listed}");

    let res = app.login(&email, PASSWORD).await;
    let pending: Value = res.json().await.unwrap();
    assert_eq!(pending["mfa_required"], true);
    assert_eq!(pending["methods"], json!(["webauthn", "recovery_code"]));
    let options = &pending["webauthn"];
    assert_eq!(options["rpId"], "localhost", "{pending}");
    let mfa_token = pending["mfa_token"].as_str().unwrap();

    // An answer made at another origin (a phishing page) is refused, and counts.
    let phished = get(&mut authenticator, "http://localhost:9999", options);
    let body = json!({ "mfa_token": mfa_token, "method": "webauthn", "credential": phished });
    let refused = assert_problem(app.post_json("/v1/auth/login/mfa", &body).await, 401, "invalid_mfa_code").await;
    assert_eq!(refused["attempts_left"], 4);
    // A code method without a code, a passkey without its answer: 422.
    let half = json!({ "mfa_token": mfa_token, "method": "webauthn" });
    assert_problem(app.post_json("/v1/auth/login/mfa", &half).await, 422, "validation_failed").await;

    let answer = get(&mut authenticator, ORIGIN, options);
    let body = json!({ "mfa_token": mfa_token, "method": "webauthn", "credential": answer });
    let res = app.post_json("/v1/auth/login/mfa", &body).await;
    assert_eq!(res.status(), 200);
    let signed_in: Value = res.json().await.unwrap();
    assert_eq!(signed_in["session"]["amr"], json!(["pwd", "webauthn"]));
    assert_eq!(signed_in["session"]["aal"], 2);
    let listed: Value = app.get_authed("/v1/mfa/methods", &token).await.json().await.unwrap();
    assert!(listed["methods"][0]["last_used_at"].is_string(), "{listed}");

    // The same answer does not sign in again, even with a new mfa_token.
    let pending: Value = app.login(&email, PASSWORD).await.json().await.unwrap();
    let body = json!({ "mfa_token": pending["mfa_token"], "method": "webauthn", "credential": answer });
    assert_problem(app.post_json("/v1/auth/login/mfa", &body).await, 401, "invalid_mfa_code").await;
}

async fn a_passkey_signs_in_without_a_password(backend: Backend) {
    let (app, _clock) = spawn_app_with_clock(backend, &[]).await;
    let mut authenticator = SoftPasskey::new(true);
    let (_, _, user_id, credential_id) = with_passkey(&app, &mut authenticator).await;

    let res = app.post_json("/v1/auth/passkey/start", &json!({})).await;
    assert_eq!(res.status(), 200);
    let start: Value = res.json().await.unwrap();
    assert_eq!(start["public_key"]["userVerification"], "required");
    // A browser's authenticator finds its resident key and names its user; the soft one is
    // told which credential, and the user handle is written in for it (it is not signed).
    let mut discover = start["public_key"].clone();
    discover["allowCredentials"] = json!([{ "type": "public-key", "id": credential_id }]);
    let mut answer = get(&mut authenticator, ORIGIN, &discover);
    let user = uuid::Uuid::parse_str(&user_id).unwrap();
    answer["response"]["userHandle"] = URL_SAFE_NO_PAD.encode(user.as_bytes()).into();
    let body = json!({ "challenge_id": start["challenge_id"], "credential": answer });
    let res = app.post_json("/v1/auth/passkey/finish", &body).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("x-auth-token").is_some());
    let signed_in: Value = res.json().await.unwrap();
    assert_eq!(signed_in["session"]["amr"], json!(["webauthn"]));
    assert_eq!(signed_in["session"]["aal"], 2);
    assert_eq!(signed_in["user"]["id"], user_id);

    // Once only; and an unknown challenge, or a user handle naming nobody, is the same 401.
    assert_problem(app.post_json("/v1/auth/passkey/finish", &body).await, 401, "invalid_credentials").await;
    let start: Value = app.post_json("/v1/auth/passkey/start", &json!({})).await.json().await.unwrap();
    let mut discover = start["public_key"].clone();
    discover["allowCredentials"] = json!([{ "type": "public-key", "id": credential_id }]);
    let mut stranger = get(&mut authenticator, ORIGIN, &discover);
    stranger["response"]["userHandle"] = URL_SAFE_NO_PAD.encode(uuid::Uuid::now_v7().as_bytes()).into();
    let body = json!({ "challenge_id": start["challenge_id"], "credential": stranger });
    assert_problem(app.post_json("/v1/auth/passkey/finish", &body).await, 401, "invalid_credentials").await;
    let unknown = json!({ "challenge_id": uuid::Uuid::now_v7(), "credential": answer });
    assert_problem(app.post_json("/v1/auth/passkey/finish", &unknown).await, 401, "invalid_credentials").await;
}

async fn a_passkey_steps_up_and_registering_one_needs_a_recent_sign_in(backend: Backend) {
    let (app, clock) = spawn_app_with_clock(backend, &[]).await;
    let mut authenticator = SoftPasskey::new(true);
    let (_, token, _, _) = with_passkey(&app, &mut authenticator).await;
    // A ceremony waits 5 minutes for its answer, no longer.
    let start: Value = app.post_authed("/v1/mfa/webauthn/register/start", &token, None).await.json().await.unwrap();
    let mut second = SoftPasskey::new(true);
    let credential = create(&mut second, ORIGIN, &start["public_key"]);
    clock.elapse(std::time::Duration::from_secs(5 * 60 + 1)).await;
    let late = json!({ "challenge_id": start["challenge_id"], "credential": credential });
    let res = app.post_authed("/v1/mfa/webauthn/register/finish", &token, Some(&late)).await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["code"], "unknown_challenge", "{body}");
    clock.elapse(std::time::Duration::from_secs(6 * 60)).await;
    let res = app.post_authed("/v1/mfa/webauthn/register/start", &token, None).await;
    assert_problem(res, 403, "reauthentication_required").await;
    let res = app.post_authed("/v1/auth/reauthenticate", &token, Some(&json!({ "password": PASSWORD }))).await;
    assert_problem(res, 403, "mfa_required").await;

    let start: Value = app.post_authed("/v1/auth/reauthenticate/passkey", &token, None).await.json().await.unwrap();
    let answer = get(&mut authenticator, ORIGIN, &start["public_key"]);
    let body = json!({
        "password": PASSWORD,
        "method": "webauthn",
        "challenge_id": start["challenge_id"],
        "credential": answer,
    });
    let res = app.post_authed("/v1/auth/reauthenticate", &token, Some(&body)).await;
    assert_eq!(res.status(), 200);
    let renewed: Value = res.json().await.unwrap();
    assert_eq!(renewed["session"]["amr"], json!(["pwd", "webauthn"]));
    let fresh = renewed["access_token"].as_str().unwrap();
    let res = app.post_authed("/v1/mfa/webauthn/register/start", fresh, None).await;
    assert_eq!(res.status(), 200);
    // The challenge was used.
    let res = app.post_authed("/v1/auth/reauthenticate", fresh, Some(&body)).await;
    assert_problem(res, 422, "validation_failed").await;
}

both_backends!(
    a_passkey_is_a_second_factor,
    a_passkey_signs_in_without_a_password,
    a_passkey_steps_up_and_registering_one_needs_a_recent_sign_in,
);
