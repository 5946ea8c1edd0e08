#![allow(clippy::unwrap_used, clippy::expect_used)]

use identity_core::ports::Mail;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{
    Backend, PASSWORD, TestApp, assert_problem, spawn_app, spawn_app_with, spawn_app_with_clock, token_from_link,
    unique_email,
};

both_backends!(
    codes_live_ten_minutes_and_stay_out_of_the_subject,
    two_step_registration_signs_in_with_a_verified_address,
    two_step_answers_the_same_for_taken_addresses,
    wrong_codes_are_counted_and_void_the_registration,
    codes_have_a_resend_cooldown,
    one_step_registration_is_verified_by_the_mailed_link,
    verification_can_be_required_for_login,
);

async fn code_of(app: &TestApp, email: &str) -> String {
    match app.mails_to(email).await.last() {
        Some(Mail::RegistrationCode { code, .. }) => code.clone(),
        other => panic!("expected a registration code mail, got {other:?}"),
    }
}

async fn request(app: &TestApp, email: &str) -> reqwest::Response {
    app.post_json("/v1/auth/register/request", &json!({ "email": email, "password": PASSWORD, "name": "Ada" })).await
}

async fn confirm(app: &TestApp, email: &str, code: &str) -> reqwest::Response {
    app.post_json("/v1/auth/register/confirm", &json!({ "email": email, "code": code })).await
}

/// The mail as the server renders it: with the templates of its configuration (the test
/// server sets none, so the built-in ones).
fn rendered(mail: &Mail) -> identity_mail::Rendered {
    let config = identity_http::config::Config::from_env(&|_: &str| None::<String>).unwrap();
    config.mail.templates.render(mail)
}

/// A code is valid for 10 minutes by default, and only the body carries it: subjects show in
/// mail previews and on lock screens. A template that would put a secret in a subject is
/// refused at start-up.
async fn codes_live_ten_minutes_and_stay_out_of_the_subject(backend: Backend) {
    let (app, clock) = spawn_app_with_clock(backend, &[]).await;
    let (early, late) = (unique_email(), unique_email());
    for email in [&early, &late] {
        let res = request(&app, email).await;
        assert_eq!(res.status(), 202);
        assert_eq!(res.json::<Value>().await.unwrap()["code_ttl_seconds"], 600);
    }
    let mail = app.mails_to(&early).await.pop().unwrap();
    let Mail::RegistrationCode { code, ttl_minutes, .. } = &mail else { panic!("{mail:?}") };
    assert_eq!(*ttl_minutes, 10);
    let shown = rendered(&mail);
    assert_eq!(shown.subject, "Your registration code");
    assert!(!shown.subject.contains(code.as_str()), "{shown:?}");
    assert!(shown.body.contains(code.as_str()) && shown.body.contains("10 minutes"), "{shown:?}");

    // Still valid just before 10 minutes, void just after.
    clock.elapse(std::time::Duration::from_secs(590)).await;
    assert_eq!(confirm(&app, &early, &code_of(&app, &early).await).await.status(), 201);
    clock.elapse(std::time::Duration::from_secs(20)).await;
    assert_problem(confirm(&app, &late, &code_of(&app, &late).await).await, 400, "invalid_code").await;

    // No mail's subject takes a secret placeholder from the configuration.
    for (var, secret) in [
        ("REGISTRATION_CODE_EMAIL_SUBJECT", "{code}"),
        ("VERIFICATION_EMAIL_SUBJECT", "{token}"),
        ("PASSWORD_RESET_EMAIL_SUBJECT", "{link}"),
        ("INVITATION_EMAIL_SUBJECT", "{link}"),
    ] {
        let subject = format!("Here it is: {secret}");
        let err = identity_http::config::Config::from_env(&|name: &str| (name == var).then(|| subject.clone()))
            .err()
            .unwrap_or_else(|| panic!("{var} with {secret} was accepted"));
        assert_eq!(err.var, var);
    }
}

async fn two_step_registration_signs_in_with_a_verified_address(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email();
    let res = request(&app, &email.to_uppercase()).await;
    assert_eq!(res.status(), 202);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, json!({ "status": "pending", "code_ttl_seconds": 600 }));
    let code = code_of(&app, &email).await;
    assert_eq!(code.len(), 6);

    // Not an account yet.
    assert_problem(app.login(&email, PASSWORD).await, 401, "invalid_credentials").await;

    let res = confirm(&app, &email, &code).await;
    assert_eq!(res.status(), 201);
    assert!(crate::helpers::set_cookie(&res, "identity_refresh").is_some());
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["user"]["email"], email);
    assert_eq!(body["user"]["email_verified"], true);
    assert_eq!(body["user"]["profile"]["name"], "Ada");
    let me = app.me_with_bearer(body["access_token"].as_str().unwrap()).await;
    assert_eq!(me.status(), 200);
    // The code is spent, and the password chosen in step one works.
    assert_problem(confirm(&app, &email, &code).await, 400, "invalid_code").await;
    app.login_ok(&email, PASSWORD).await;
}

async fn two_step_answers_the_same_for_taken_addresses(backend: Backend) {
    let app = spawn_app(backend).await;
    let taken = unique_email();
    assert_eq!(app.register(&taken, PASSWORD).await.status(), 201);
    let free = unique_email();

    let for_taken = request(&app, &taken).await;
    let for_free = request(&app, &free).await;
    assert_eq!(for_taken.status(), 202);
    assert_eq!(for_free.status(), 202);
    let (a, b): (Value, Value) = (for_taken.json().await.unwrap(), for_free.json().await.unwrap());
    assert_eq!(a, b, "no account enumeration through the answer");
    assert!(matches!(app.mails_to(&taken).await.last(), Some(Mail::AlreadyRegistered { .. })));
    assert!(matches!(app.mails_to(&free).await.last(), Some(Mail::RegistrationCode { .. })));
}

async fn wrong_codes_are_counted_and_void_the_registration(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email();
    assert_eq!(request(&app, &email).await.status(), 202);
    let code = code_of(&app, &email).await;
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for left in (0..5).rev() {
        let problem = assert_problem(confirm(&app, &email, wrong).await, 400, "invalid_code").await;
        assert_eq!(problem["attempts_left"], left);
    }
    // Five wrong codes voided it: the right code no longer works.
    assert_problem(confirm(&app, &email, &code).await, 400, "invalid_code").await;
    let problem = assert_problem(confirm(&app, &email, "12ab").await, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "code");
}

async fn codes_have_a_resend_cooldown(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email();
    assert_eq!(request(&app, &email).await.status(), 202);
    let res = request(&app, &email).await;
    let retry_after: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after));
    assert_problem(res, 429, "cooldown").await;
    assert_eq!(app.mails_to(&email).await.len(), 1);
    // Without a cooldown a new code replaces the old one.
    let quick = spawn_app_with(backend, &[("MAIL_COOLDOWN_SECONDS", "0")]).await;
    assert_eq!(request(&quick, &email).await.status(), 202);
    let first = code_of(&quick, &email).await;
    assert_eq!(request(&quick, &email).await.status(), 202);
    let second = code_of(&quick, &email).await;
    if first != second {
        assert_problem(confirm(&quick, &email, &first).await, 400, "invalid_code").await;
    }
    assert_eq!(confirm(&quick, &email, &second).await.status(), 201);
}

async fn verification_token(app: &TestApp, email: &str) -> String {
    match app.mails_to(email).await.last() {
        Some(Mail::VerifyEmail { link, token, .. }) => {
            assert_eq!(&token_from_link(link), token, "the link carries the token");
            assert!(link.starts_with("http://localhost:8080/verify-email?token="), "{link}");
            token.clone()
        }
        other => panic!("expected a verification mail, got {other:?}"),
    }
}

async fn one_step_registration_is_verified_by_the_mailed_link(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 201);
    let token = verification_token(&app, &email).await;

    let res = app.post_json("/v1/auth/email/verify", &json!({ "token": token })).await;
    assert_eq!(res.status(), 200);
    let user: Value = res.json().await.unwrap();
    assert_eq!(user["email_verified"], true);
    assert_problem(app.post_json("/v1/auth/email/verify", &json!({ "token": token })).await, 400, "invalid_token")
        .await;
    assert_problem(app.post_json("/v1/auth/email/verify", &json!({ "token": "made-up" })).await, 400, "invalid_token")
        .await;

    // Resending answers 202 for anyone, and mails only an unverified account.
    let before = app.sent_mail().await.len();
    assert_eq!(app.post_json("/v1/auth/email/verify/resend", &json!({ "email": email })).await.status(), 202);
    assert_eq!(app.post_json("/v1/auth/email/verify/resend", &json!({ "email": unique_email() })).await.status(), 202);
    assert_eq!(app.sent_mail().await.len(), before);
    if backend == Backend::Postgres {
        let mut db = crate::helpers::Db::connect(app.database_url.as_deref().unwrap()).await;
        assert_eq!(db.count("outbox WHERE type = 'user.verified'").await, 1);
    }
}

async fn verification_can_be_required_for_login(backend: Backend) {
    let app = spawn_app_with(backend, &[("REQUIRE_VERIFIED_EMAIL", "true"), ("MAIL_COOLDOWN_SECONDS", "0")]).await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 201);
    assert_problem(app.login(&email, PASSWORD).await, 403, "email_not_verified").await;
    // A wrong password does not reveal that the account waits for verification.
    assert_problem(app.login(&email, "a wrong password").await, 401, "invalid_credentials").await;
    let first = verification_token(&app, &email).await;
    assert_eq!(app.post_json("/v1/auth/email/verify/resend", &json!({ "email": email })).await.status(), 202);
    let second = verification_token(&app, &email).await;
    assert_ne!(first, second);
    // A new link voids the old one.
    assert_problem(app.post_json("/v1/auth/email/verify", &json!({ "token": first })).await, 400, "invalid_token")
        .await;
    assert_eq!(app.post_json("/v1/auth/email/verify", &json!({ "token": second })).await.status(), 200);
    app.login_ok(&email, PASSWORD).await;
}
