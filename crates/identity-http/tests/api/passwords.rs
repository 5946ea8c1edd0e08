#![allow(clippy::unwrap_used, clippy::expect_used)]

use identity_core::ports::Mail;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{
    Backend, PASSWORD, TestApp, assert_problem, spawn_app, spawn_app_with, spawn_app_with_admin, token_from_link,
    unique_email,
};

both_backends!(
    forgot_answers_the_same_for_everyone_and_mails_a_link,
    reset_is_single_use_and_ends_every_session,
    change_needs_the_current_password_and_ends_other_sessions,
    signed_in_users_can_ask_for_a_reset_link,
    weak_passwords_are_refused_everywhere_with_a_code_per_reason,
    the_nfc_and_nfd_spellings_of_a_password_are_one_password,
);

async fn reset_token(app: &TestApp, email: &str) -> String {
    match app.mails_to(email).await.last() {
        Some(Mail::PasswordReset { link, .. }) => {
            assert!(link.starts_with("https://app.example/reset/"), "{link}");
            link.rsplit('/').next().unwrap().to_owned()
        }
        other => panic!("expected a reset mail, got {other:?}"),
    }
}

const RESET_TEMPLATE: (&str, &str) = ("PASSWORD_RESET_URL_TEMPLATE", "https://app.example/reset/{token}");

async fn forgot_answers_the_same_for_everyone_and_mails_a_link(backend: Backend) {
    let app = spawn_app_with(backend, &[RESET_TEMPLATE]).await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 201);
    let known = app.post_json("/v1/auth/password/forgot", &json!({ "email": email })).await;
    let unknown = app.post_json("/v1/auth/password/forgot", &json!({ "email": unique_email() })).await;
    assert_eq!(known.status(), 202);
    assert_eq!(unknown.status(), 202);
    assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap());
    assert_eq!(reset_token(&app, &email).await.len(), 43);
    assert_problem(
        app.post_json("/v1/auth/password/forgot", &json!({ "email": "nope" })).await,
        422,
        "validation_failed",
    )
    .await;
    // The default link template works too.
    let plain = spawn_app(backend).await;
    assert_eq!(plain.register(&email, PASSWORD).await.status(), 201);
    assert_eq!(plain.post_json("/v1/auth/password/forgot", &json!({ "email": email })).await.status(), 202);
    match plain.mails_to(&email).await.last() {
        Some(Mail::PasswordReset { link, .. }) => assert_eq!(token_from_link(link).len(), 43),
        other => panic!("{other:?}"),
    }
}

async fn reset_is_single_use_and_ends_every_session(backend: Backend) {
    let app = spawn_app_with(backend, &[RESET_TEMPLATE]).await;
    let (email, login) = app.signed_in().await;
    assert_eq!(app.post_json("/v1/auth/password/forgot", &json!({ "email": email })).await.status(), 202);
    let token = reset_token(&app, &email).await;

    let weak = app.post_json("/v1/auth/password/reset", &json!({ "token": token, "new_password": "password" })).await;
    let problem = assert_problem(weak, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "new_password");
    // A refused password does not spend the token.
    let res = app
        .post_json("/v1/auth/password/reset", &json!({ "token": token, "new_password": "a brand new passphrase" }))
        .await;
    assert_eq!(res.status(), 204);
    let again = app
        .post_json("/v1/auth/password/reset", &json!({ "token": token, "new_password": "yet another passphrase" }))
        .await;
    assert_problem(again, 400, "invalid_token").await;

    // Every old session is dead; the new password works, the old one does not.
    assert_eq!(app.me_with_bearer(login["access_token"].as_str().unwrap()).await.status(), 401);
    assert_eq!(app.refresh(login["refresh_token"].as_str().unwrap()).await.status(), 401);
    assert_problem(app.login(&email, PASSWORD).await, 401, "invalid_credentials").await;
    app.login_ok(&email, "a brand new passphrase").await;
    assert!(matches!(app.mails_to(&email).await.last(), Some(Mail::PasswordChanged { .. })));
    if backend == Backend::Postgres {
        let mut db = crate::helpers::Db::connect(app.database_url.as_deref().unwrap()).await;
        assert_eq!(db.count("outbox WHERE type = 'password.changed'").await, 1);
        assert_eq!(db.count("password_resets WHERE consumed_at IS NOT NULL").await, 1);
    }
}

async fn change_needs_the_current_password_and_ends_other_sessions(backend: Backend) {
    let app = spawn_app(backend).await;
    let (email, login) = app.signed_in().await;
    let other = app.login_ok(&email, PASSWORD).await;
    let token = login["access_token"].as_str().unwrap();

    let wrong = app
        .post_authed(
            "/v1/auth/password/change",
            token,
            Some(&json!({ "current_password": "not it at all", "new_password": "a brand new passphrase" })),
        )
        .await;
    let problem = assert_problem(wrong, 422, "validation_failed").await;
    assert_eq!(
        (problem["errors"][0]["field"].as_str(), problem["errors"][0]["code"].as_str()),
        (Some("current_password"), Some("incorrect"))
    );
    let unchanged = app
        .post_authed(
            "/v1/auth/password/change",
            token,
            Some(&json!({ "current_password": PASSWORD, "new_password": PASSWORD })),
        )
        .await;
    assert_problem(unchanged, 422, "validation_failed").await;

    let res = app
        .post_authed(
            "/v1/auth/password/change",
            token,
            Some(&json!({ "current_password": PASSWORD, "new_password": "a brand new passphrase" })),
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(app.me_with_bearer(token).await.status(), 200, "this session stays");
    assert_eq!(app.me_with_bearer(other["access_token"].as_str().unwrap()).await.status(), 401, "others end");
    app.login_ok(&email, "a brand new passphrase").await;
    let anonymous =
        app.post_json("/v1/auth/password/change", &json!({ "current_password": "x", "new_password": "y" })).await;
    assert_problem(anonymous, 401, "unauthenticated").await;
}

async fn signed_in_users_can_ask_for_a_reset_link(backend: Backend) {
    let app = spawn_app_with(backend, &[RESET_TEMPLATE]).await;
    let (email, login) = app.signed_in().await;
    let token = login["access_token"].as_str().unwrap();
    assert_eq!(app.post_authed("/v1/auth/password/reset/request", token, None).await.status(), 202);
    let reset = reset_token(&app, &email).await;
    assert_problem(app.post_authed("/v1/auth/password/reset/request", token, None).await, 429, "cooldown").await;
    let res = app
        .post_json("/v1/auth/password/reset", &json!({ "token": reset, "new_password": "a brand new passphrase" }))
        .await;
    assert_eq!(res.status(), 204);
    let _: Value = app.login_ok(&email, "a brand new passphrase").await;
}

/// The code of the one field error of a 422 `validation_failed` answer about `field`.
async fn refusal(res: reqwest::Response, field: &str) -> String {
    let problem = assert_problem(res, 422, "validation_failed").await;
    let errors = problem["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{problem}");
    assert_eq!(errors[0]["field"], field, "{problem}");
    errors[0]["code"].as_str().unwrap().to_owned()
}

/// Passwords the policy refuses, each with the code of its reason, for an account with the
/// username `adalovelace` (all but the context words were accepted before issue 25).
const WEAK: &[(&str, &str)] = &[
    ("abcdefgh", "common_password"),
    ("aaaaaaaa", "common_password"),
    ("letmein123", "common_password"),
    ("identity", "contains_service_name"),
    ("identity123", "contains_service_name"),
    ("IDENTITY-2024", "contains_service_name"),
    ("adalovelace", "contains_username"),
    ("AdaLovelace1!", "contains_username"),
    ("zzzzzzzz9", "repetitive_password"),
    ("blahblahblah", "repetitive_password"),
    ("mnopqrstu", "sequential_password"),
    ("poiuytrewq0", "sequential_password"),
];

/// Register, register/request, admin create, change and reset all apply the same rules, with
/// the username and the address of the account as context, and a `code` per reason.
async fn weak_passwords_are_refused_everywhere_with_a_code_per_reason(backend: Backend) {
    let (app, admin) = spawn_app_with_admin(backend).await;
    let reset_app = spawn_app_with(backend, &[RESET_TEMPLATE]).await;
    for &(password, code) in WEAK {
        let email = unique_email();
        let body = json!({ "email": email, "password": password, "username": "adalovelace" });
        assert_eq!(refusal(app.post_json("/v1/auth/register", &body).await, "password").await, code, "{password}");
        let step_one = app.post_json("/v1/auth/register/request", &body).await;
        assert_eq!(refusal(step_one, "password").await, code, "{password}");
        let created = app.client.post(app.url("/v1/admin/users")).bearer_auth(&admin).json(&body).send().await.unwrap();
        assert_eq!(refusal(created, "password").await, code, "{password}");
    }
    // The address counts too, in both steps of registration.
    let ada = format!("ada.lovelace.{}@example.com", uuid::Uuid::now_v7().simple());
    let body = json!({ "email": ada, "password": "Lovelace2024!" });
    assert_eq!(refusal(app.post_json("/v1/auth/register", &body).await, "password").await, "contains_email");
    assert_eq!(refusal(app.post_json("/v1/auth/register/request", &body).await, "password").await, "contains_email");
    assert!(app.mails_to(&ada).await.is_empty(), "nothing was registered");

    // A long passphrase passes, also one that mentions the service or the username.
    let email = unique_email();
    let body = json!({ "email": email, "password": PASSWORD, "username": "adalovelace" });
    assert_eq!(app.post_json("/v1/auth/register", &body).await.status(), 201);
    let login = app.login_ok(&email, PASSWORD).await;
    let token = login["access_token"].as_str().unwrap();
    for &(password, code) in WEAK {
        let change = json!({ "current_password": PASSWORD, "new_password": password });
        let res = app.post_authed("/v1/auth/password/change", token, Some(&change)).await;
        assert_eq!(refusal(res, "new_password").await, code, "{password}");
    }
    let fine = json!({ "current_password": PASSWORD, "new_password": "my identity is adalovelace's own" });
    assert_eq!(app.post_authed("/v1/auth/password/change", token, Some(&fine)).await.status(), 204);

    // A reset knows the account from its token: its username counts.
    let email = unique_email();
    let body = json!({ "email": email, "password": PASSWORD, "username": "adalovelace" });
    assert_eq!(reset_app.post_json("/v1/auth/register", &body).await.status(), 201);
    assert_eq!(reset_app.post_json("/v1/auth/password/forgot", &json!({ "email": email })).await.status(), 202);
    let token = reset_token(&reset_app, &email).await;
    // A refused password does not spend the token.
    for &(password, code) in WEAK {
        let res =
            reset_app.post_json("/v1/auth/password/reset", &json!({ "token": token, "new_password": password })).await;
        assert_eq!(refusal(res, "new_password").await, code, "{password}");
    }
    let res = reset_app
        .post_json("/v1/auth/password/reset", &json!({ "token": token, "new_password": "a brand new passphrase" }))
        .await;
    assert_eq!(res.status(), 204);
    reset_app.login_ok(&email, "a brand new passphrase").await;
}

/// Passwords are normalised (NFKC) before the policy and hashing: `Ünïcödé pässwörd` typed
/// composed (NFC) at registration and decomposed (NFD) at login is the same password.
async fn the_nfc_and_nfd_spellings_of_a_password_are_one_password(backend: Backend) {
    const NFC: &str = "\u{dc}n\u{ef}c\u{f6}d\u{e9} p\u{e4}ssw\u{f6}rd";
    const NFD: &str = "U\u{308}ni\u{308}co\u{308}de\u{301} pa\u{308}sswo\u{308}rd";
    let app = spawn_app(backend).await;
    let email = unique_email();
    assert_eq!(app.register(&email, NFC).await.status(), 201);
    let login = app.login_ok(&email, NFD).await;
    let token = login["access_token"].as_str().unwrap();
    // Its other spelling is the current password, not a new one.
    let same = json!({ "current_password": NFD, "new_password": NFC });
    let res = app.post_authed("/v1/auth/password/change", token, Some(&same)).await;
    assert_eq!(refusal(res, "new_password").await, "unchanged");
}
