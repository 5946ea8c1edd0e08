//! Signing in with a second factor (`/v1/auth/login` → `/v1/auth/login/mfa`), the password
//! grant of such an account, step-up (`/v1/auth/reauthenticate`) and
//! `REQUIRE_MFA_FOR_ADMINS`, on both backends, over HTTP, with the server's clock moved
//! instead of waiting for TOTP steps.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use identity_core::ports::OtpGenerator;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, Db, PASSWORD, TestApp, TestClock, assert_problem, spawn_app_with_clock, unique_email};

/// A user with a confirmed TOTP: (email, access token, TOTP secret, recovery codes).
struct Enrolled {
    email: String,
    token: String,
    secret: Vec<u8>,
    /// The secret as the enrolment answered it (base32).
    secret_text: String,
    recovery_codes: Vec<String>,
}

/// The code of the TOTP step `offset` steps from the server's now.
fn code(clock: &TestClock, secret: &[u8], offset: i64) -> String {
    let step = clock.now().timestamp().div_euclid(30) + offset;
    identity_crypto::Totp.code(secret, step)
}

/// Registers and signs in a new user, enrols and confirms a TOTP (its first code is used up
/// by the confirmation), then lets one step pass so the current step's code is fresh.
async fn enrolled(app: &TestApp, clock: &TestClock) -> Enrolled {
    let (email, token) = app.signed_in_user().await;
    let res = app.post_authed("/v1/mfa/totp/enroll", &token, Some(&json!({ "label": "phone" }))).await;
    assert!(res.status().is_success(), "{}", res.status());
    let enrolment: Value = res.json().await.unwrap();
    let secret_text = enrolment["secret"].as_str().unwrap().to_owned();
    let secret = identity_crypto::Totp.decode(&secret_text).unwrap();
    let res = app.post_authed("/v1/mfa/totp/confirm", &token, Some(&json!({ "code": code(clock, &secret, 0) }))).await;
    assert_eq!(res.status(), 200);
    let confirmed: Value = res.json().await.unwrap();
    let recovery_codes: Vec<String> =
        confirmed["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    assert_eq!(recovery_codes.len(), 10);
    clock.elapse(std::time::Duration::from_secs(30)).await;
    Enrolled { email, token, secret, secret_text, recovery_codes }
}

/// Logs in with the password of an account with a second factor: the `mfa_token`.
async fn first_step(app: &TestApp, email: &str) -> String {
    let res = app.login(email, PASSWORD).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["mfa_token"].as_str().unwrap().to_owned()
}

async fn second_step(app: &TestApp, mfa_token: &str, method: &str, code: &str) -> reqwest::Response {
    app.post_json("/v1/auth/login/mfa", &json!({ "mfa_token": mfa_token, "method": method, "code": code })).await
}

async fn a_password_is_not_enough_once_a_factor_is_confirmed(backend: Backend) {
    let (app, clock) = spawn_app_with_clock(backend, &[("LOGIN_BACKOFF_AFTER", "0")]).await;
    let user = enrolled(&app, &clock).await;

    // The right password issues nothing: no token, no cookie.
    let res = app.login(&user.email, PASSWORD).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("x-auth-token").is_none());
    assert!(res.headers().get_all("set-cookie").iter().next().is_none());
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["mfa_required"], true, "{body}");
    assert_eq!(body["methods"], json!(["totp", "recovery_code"]));
    assert_eq!(body["expires_in"], 300);
    assert!(body.get("access_token").is_none() && body.get("refresh_token").is_none(), "{body}");
    let mfa_token = body["mfa_token"].as_str().unwrap().to_owned();

    // The mfa_token is no bearer token, anywhere.
    assert_problem(app.me_with_bearer(&mfa_token).await, 401, "unauthenticated").await;
    assert_problem(app.get_authed("/v1/mfa/methods", &mfa_token).await, 401, "unauthenticated").await;

    // The confirmation's code (the previous step) was used: it does not work again.
    let used = assert_problem(
        second_step(&app, &mfa_token, "totp", &code(&clock, &user.secret, -1)).await,
        401,
        "invalid_mfa_code",
    )
    .await;
    assert_eq!(used["attempts_left"], 4);
    // Two steps away is too far.
    assert_problem(
        second_step(&app, &mfa_token, "totp", &code(&clock, &user.secret, 2)).await,
        401,
        "invalid_mfa_code",
    )
    .await;

    let res = second_step(&app, &mfa_token, "totp", &code(&clock, &user.secret, 0)).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("x-auth-token").is_some());
    let signed_in: Value = res.json().await.unwrap();
    assert_eq!(signed_in["session"]["amr"], json!(["pwd", "otp"]), "{signed_in}");
    assert!(signed_in.get("recovery_codes_left").is_none(), "{signed_in}");
    assert_eq!(signed_in["session"]["aal"], 2);
    let access = signed_in["access_token"].as_str().unwrap();
    // The token itself says so, to a service verifying it offline (the test clock runs a
    // minute ahead of real time here: the verifier is given the leeway for it).
    let verifier = identity_verifier::Verifier::new(identity_verifier::Config {
        leeway: std::time::Duration::from_secs(120),
        ..identity_verifier::Config::new(&app.address, "identity", "identity")
    })
    .unwrap();
    let claims = verifier.verify(access).await.unwrap();
    assert_eq!((claims.aal, claims.amr.as_slice()), (2, ["pwd".to_owned(), "otp".to_owned()].as_slice()));
    let me: Value = app.me_with_bearer(access).await.json().await.unwrap();
    assert_eq!(me["session"]["aal"], 2);
    assert_eq!(me["session"]["amr"], json!(["pwd", "otp"]));

    // The token is used up.
    assert_problem(
        second_step(&app, &mfa_token, "totp", &code(&clock, &user.secret, 1)).await,
        401,
        "invalid_mfa_token",
    )
    .await;

    // A code works once: the same step again is refused, an earlier step too, the next works.
    let again = first_step(&app, &user.email).await;
    assert_problem(second_step(&app, &again, "totp", &code(&clock, &user.secret, 0)).await, 401, "invalid_mfa_code")
        .await;
    assert_problem(second_step(&app, &again, "totp", &code(&clock, &user.secret, -1)).await, 401, "invalid_mfa_code")
        .await;
    assert_eq!(second_step(&app, &again, "totp", &code(&clock, &user.secret, 1)).await.status(), 200);

    // Five wrong codes void the token, even for the right code after them.
    clock.elapse(std::time::Duration::from_secs(60)).await;
    let doomed = first_step(&app, &user.email).await;
    for left in (0..5).rev() {
        let wrong = assert_problem(second_step(&app, &doomed, "totp", "000000").await, 401, "invalid_mfa_code").await;
        assert_eq!(wrong["attempts_left"], left);
    }
    assert_problem(second_step(&app, &doomed, "totp", &code(&clock, &user.secret, 0)).await, 401, "invalid_mfa_token")
        .await;

    // No secret reaches a log line: the TOTP secret, the mfa_tokens, the codes, the recovery codes.
    let logs = crate::helpers::captured_logs();
    for secret in [&user.secret_text, &mfa_token, &again, &doomed].into_iter().chain(&user.recovery_codes) {
        assert!(!logs.contains(secret.as_str()), "a secret was logged");
    }
    // And no answer after the one that made it shows the secret again.
    let listed = app.get_authed("/v1/mfa/methods", &user.token).await.text().await.unwrap();
    assert!(!listed.contains(&user.secret_text) && !listed.contains("secret"), "{listed}");

    // Garbage tokens and unknown methods.
    assert_problem(second_step(&app, "nope", "totp", "123456").await, 401, "invalid_mfa_token").await;
    assert_problem(second_step(&app, &doomed, "sms", "123456").await, 422, "validation_failed").await;

    if backend == Backend::Postgres {
        let mut db = Db::connect(app.database_url.as_deref().unwrap()).await;
        let reasons =
            db.number("SELECT count(*) AS n FROM login_attempts WHERE reason = 'mfa_required' AND NOT success").await;
        assert_eq!(reasons, 3);
        let wrong = db.number("SELECT count(*) AS n FROM login_attempts WHERE reason = 'invalid_mfa_code'").await;
        assert_eq!(wrong, 9);
        let aal = db.number("SELECT max(mfa_level)::bigint AS n FROM sessions WHERE 'otp' = ANY(amr)").await;
        assert_eq!(aal, 2);
    }
}

async fn wrong_codes_count_against_the_account_like_wrong_passwords(backend: Backend) {
    let (app, clock) = spawn_app_with_clock(backend, &[("LOGIN_BACKOFF_AFTER", "0"), ("LOCKOUT_THRESHOLD", "3")]).await;
    let user = enrolled(&app, &clock).await;
    // A known password does not reset the count: three tokens, one wrong code each.
    for _ in 0..3 {
        let mfa_token = first_step(&app, &user.email).await;
        let res = second_step(&app, &mfa_token, "totp", "999999").await;
        assert_eq!(res.status(), 401);
    }
    // Locked: the right password answers like a wrong one, and the owner was told.
    assert_problem(app.login(&user.email, PASSWORD).await, 401, "invalid_credentials").await;
    let mails = app.mails_to(&user.email).await;
    assert!(mails.iter().any(|m| matches!(m, identity_core::ports::Mail::AccountLocked { .. })), "{mails:?}");
}

async fn a_recovery_code_signs_in_once(backend: Backend) {
    let (app, clock) = spawn_app_with_clock(backend, &[]).await;
    let user = enrolled(&app, &clock).await;
    let typed = user.recovery_codes[3].to_lowercase().replace('-', " ");
    let mfa_token = first_step(&app, &user.email).await;
    let res = second_step(&app, &mfa_token, "recovery_code", &typed).await;
    assert_eq!(res.status(), 200);
    let signed_in: Value = res.json().await.unwrap();
    assert_eq!(signed_in["session"]["amr"], json!(["pwd", "recovery"]));
    assert_eq!(signed_in["recovery_codes_left"], 9);
    assert_eq!(signed_in["session"]["aal"], 2);
    let mails = app.mails_to(&user.email).await;
    assert!(
        mails.iter().any(
            |m| matches!(m, identity_core::ports::Mail::SecurityNotice { what, .. } if what.contains("9 are left"))
        ),
        "{mails:?}"
    );
    let again = first_step(&app, &user.email).await;
    assert_problem(second_step(&app, &again, "recovery_code", &user.recovery_codes[3]).await, 401, "invalid_mfa_code")
        .await;
    let overview: Value = app.get_authed("/v1/mfa/methods", &user.token).await.json().await.unwrap();
    assert_eq!(overview["recovery_codes_left"], 9);
}

async fn the_password_grant_cannot_take_a_second_factor(backend: Backend) {
    let (app, clock) = spawn_app_with_clock(backend, &[]).await;
    let user = enrolled(&app, &clock).await;
    let res = app.password_grant(&user.email, PASSWORD).await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert!(body["error_description"].as_str().unwrap().starts_with("mfa_required"), "{body}");
    // A wrong password still answers as before: nothing tells the account has a factor.
    let res = app.password_grant(&user.email, "not the password at all").await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert!(!body["error_description"].as_str().unwrap().contains("mfa"), "{body}");
}

async fn sensitive_changes_need_a_recent_authentication(backend: Backend) {
    let (app, clock) = spawn_app_with_clock(backend, &[]).await;
    let (_, token) = app.signed_in_user().await;
    clock.elapse(std::time::Duration::from_secs(11 * 60)).await;
    let change = json!({ "current_password": PASSWORD, "new_password": "another fine passphrase here" });
    let res = app.post_authed("/v1/auth/password/change", &token, Some(&change)).await;
    assert_problem(res, 403, "reauthentication_required").await;
    let res = app.post_authed("/v1/mfa/totp/enroll", &token, Some(&json!({}))).await;
    assert_problem(res, 403, "reauthentication_required").await;

    let wrong =
        app.post_authed("/v1/auth/reauthenticate", &token, Some(&json!({ "password": "wrong wrong wrong" }))).await;
    assert_problem(wrong, 422, "validation_failed").await;
    let res = app.post_authed("/v1/auth/reauthenticate", &token, Some(&json!({ "password": PASSWORD }))).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("x-auth-token").is_some());
    let renewed: Value = res.json().await.unwrap();
    let fresh = renewed["access_token"].as_str().unwrap();
    assert_eq!(renewed["session"]["amr"], json!(["pwd"]));
    let auth_time: chrono::DateTime<chrono::Utc> = renewed["session"]["auth_time"].as_str().unwrap().parse().unwrap();
    assert!((auth_time - clock.now()).num_seconds().abs() < 2, "{renewed}");
    // The old token still carries the old sign-in; the new one works.
    let res = app.post_authed("/v1/auth/password/change", &token, Some(&change)).await;
    assert_problem(res, 403, "reauthentication_required").await;
    let res = app.post_authed("/v1/auth/password/change", fresh, Some(&change)).await;
    assert_eq!(res.status(), 204);
}

async fn stepping_up_with_a_factor_needs_the_factor(backend: Backend) {
    let (app, clock) = spawn_app_with_clock(backend, &[]).await;
    let user = enrolled(&app, &clock).await;
    clock.elapse(std::time::Duration::from_secs(11 * 60)).await;
    let res = app.post_authed("/v1/mfa/recovery-codes", &user.token, None).await;
    assert_problem(res, 403, "reauthentication_required").await;
    let res = app.post_authed("/v1/auth/reauthenticate", &user.token, Some(&json!({ "password": PASSWORD }))).await;
    assert_problem(res, 403, "mfa_required").await;
    let half = json!({ "password": PASSWORD, "method": "totp" });
    assert_problem(
        app.post_authed("/v1/auth/reauthenticate", &user.token, Some(&half)).await,
        422,
        "validation_failed",
    )
    .await;
    let wrong = json!({ "password": PASSWORD, "method": "totp", "code": "000000" });
    assert_problem(
        app.post_authed("/v1/auth/reauthenticate", &user.token, Some(&wrong)).await,
        422,
        "validation_failed",
    )
    .await;
    let right = json!({ "password": PASSWORD, "method": "totp", "code": code(&clock, &user.secret, 0) });
    let res = app.post_authed("/v1/auth/reauthenticate", &user.token, Some(&right)).await;
    assert_eq!(res.status(), 200);
    let renewed: Value = res.json().await.unwrap();
    assert_eq!(renewed["session"]["amr"], json!(["pwd", "otp"]));
    assert_eq!(renewed["session"]["aal"], 2);
    let fresh = renewed["access_token"].as_str().unwrap();
    let res = app.post_authed("/v1/mfa/recovery-codes", fresh, None).await;
    assert_eq!(res.status(), 200);
    // The same code does not step up twice.
    let res = app.post_authed("/v1/auth/reauthenticate", fresh, Some(&right)).await;
    assert_problem(res, 422, "validation_failed").await;
}

async fn admins_can_be_required_to_use_a_second_factor(backend: Backend) {
    let boss = unique_email();
    let (app, clock) =
        spawn_app_with_clock(backend, &[("BOOTSTRAP_ADMIN_EMAIL", &boss), ("REQUIRE_MFA_FOR_ADMINS", "true")]).await;
    let token = app.bootstrap_admin(&boss).await;
    assert_problem(app.get_authed("/v1/admin/users", &token).await, 403, "mfa_required").await;
    // Their own account works as any user's: they can set up the factor.
    let res = app.post_authed("/v1/mfa/totp/enroll", &token, Some(&json!({}))).await;
    let secret = identity_crypto::Totp.decode(res.json::<Value>().await.unwrap()["secret"].as_str().unwrap()).unwrap();
    let res = app.post_authed("/v1/mfa/totp/confirm", &token, Some(&json!({ "code": code(&clock, &secret, 0) }))).await;
    assert_eq!(res.status(), 200);
    // The session that set it up still proved one factor only.
    assert_problem(app.get_authed("/v1/admin/users", &token).await, 403, "mfa_required").await;
    clock.elapse(std::time::Duration::from_secs(30)).await;
    let mfa_token = first_step(&app, &boss).await;
    let res = second_step(&app, &mfa_token, "totp", &code(&clock, &secret, 0)).await;
    let strong: Value = res.json().await.unwrap();
    let strong = strong["access_token"].as_str().unwrap();
    assert_eq!(app.get_authed("/v1/admin/users", strong).await.status(), 200);
}

both_backends!(
    a_password_is_not_enough_once_a_factor_is_confirmed,
    wrong_codes_count_against_the_account_like_wrong_passwords,
    a_recovery_code_signs_in_once,
    the_password_grant_cannot_take_a_second_factor,
    sensitive_changes_need_a_recent_authentication,
    stepping_up_with_a_factor_needs_the_factor,
    admins_can_be_required_to_use_a_second_factor,
);
