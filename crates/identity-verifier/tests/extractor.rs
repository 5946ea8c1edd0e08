//! The actix-web extractor: handlers run for valid tokens only; the others get a problem
//! document.
#![cfg(feature = "actix")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::header;
use actix_web::{App, HttpResponse, test, web};
use common::{Signer, claims, nobody_listening};
use identity_verifier::{Authenticated, Config, Verifier};
use serde_json::{Value, json};

/// Who the token says the user is.
async fn me(user: Authenticated) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "sub": user.sub, "roles": user.roles, "admin": user.has_role("admin") }))
}

/// A page for everyone, that greets signed-in users by id.
async fn welcome(user: Option<Authenticated>) -> String {
    user.map_or_else(|| "hello stranger".to_owned(), |Authenticated(claims)| format!("hello {}", claims.sub))
}

fn routes(config: &mut web::ServiceConfig) {
    config.route("/me", web::get().to(me)).route("/welcome", web::get().to(welcome));
}

/// The app with `verifier` registered, as a test service.
macro_rules! app {
    ($verifier:expr) => {
        test::init_service(App::new().app_data(web::Data::new($verifier)).configure(routes)).await
    };
}

fn verifier(key: &Signer, config: Config) -> Verifier {
    Verifier::with_keys(config, &[key.published()]).unwrap()
}

fn config() -> Config {
    Config::new("", "identity", "identity")
}

/// Status, `WWW-Authenticate` and the problem document of a refusal.
async fn refusal(response: ServiceResponse<impl MessageBody>) -> (u16, Option<String>, Value) {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    assert_eq!(headers.get(header::CONTENT_TYPE).unwrap(), "application/problem+json");
    assert_eq!(headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    let challenge = headers.get(header::WWW_AUTHENTICATE).map(|v| v.to_str().unwrap().to_owned());
    let body: Value = serde_json::from_slice(&test::read_body(response).await).unwrap();
    (status, challenge, body)
}

fn unauthorized(detail: &str) -> Value {
    json!({ "type": "about:blank", "title": "Unauthorized", "status": 401, "code": "unauthenticated", "detail": detail })
}

#[actix_web::test]
async fn a_valid_bearer_token_reaches_the_handler_with_its_claims() {
    let key = Signer::generate();
    let app = app!(verifier(&key, config()));
    let wire = common::WireClaims { roles: vec!["user".into(), "admin".into()], ..claims() };
    let request = test::TestRequest::get()
        .uri("/me")
        .insert_header((header::AUTHORIZATION, format!("bearer {}", key.sign(&wire))))
        .to_request();
    let response = test::call_service(&app, request).await;
    assert_eq!(response.status(), 200);
    let body: Value = test::read_body_json(response).await;
    assert_eq!(body, json!({ "sub": wire.sub, "roles": ["user", "admin"], "admin": true }));
}

#[actix_web::test]
async fn no_token_is_401_with_a_problem_document() {
    let key = Signer::generate();
    let app = app!(verifier(&key, config()));
    let response = test::call_service(&app, test::TestRequest::get().uri("/me").to_request()).await;
    let detail = "no access token: send it as `Authorization: Bearer <token>`";
    assert_eq!(refusal(response).await, (401, Some("Bearer".into()), unauthorized(detail)));
    // Another scheme is no token either.
    let basic = test::TestRequest::get().uri("/me").insert_header((header::AUTHORIZATION, "Basic dXNlcjpwdw=="));
    let response = test::call_service(&app, basic.to_request()).await;
    assert_eq!(refusal(response).await, (401, Some("Bearer".into()), unauthorized(detail)));
}

#[actix_web::test]
async fn a_bad_token_is_401_saying_why_without_the_token() {
    let key = Signer::generate();
    let app = app!(verifier(&key, config()));
    let expired = common::WireClaims { exp: common::time(common::now() - chrono::Duration::hours(1)), ..claims() };
    let cases = [
        (key.sign(&expired), "the token has expired"),
        (Signer::generate().token(), "the token is signed by an unknown key"),
        (Signer::generate().sign_as(&claims(), &key.kid), "the token's signature is invalid"),
        ("v4.public.garbage".to_owned(), "malformed token: not a v4.public token"),
    ];
    for (token, detail) in cases {
        let request =
            test::TestRequest::get().uri("/me").insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
        let (status, challenge, body) = refusal(test::call_service(&app, request.to_request()).await).await;
        assert_eq!((status, challenge, &body), (401, Some("Bearer".into()), &unauthorized(detail)));
        assert!(!body.to_string().contains(&token[10..]), "the token is echoed: {body}");
    }
}

#[actix_web::test]
async fn the_configured_cookie_carries_the_token_too() {
    let key = Signer::generate();
    let with_cookie = Config { cookie: Some("access_token".into()), ..config() };
    let app = app!(verifier(&key, with_cookie));
    let cookie = actix_web::cookie::Cookie::new("access_token", key.token());
    let response =
        test::call_service(&app, test::TestRequest::get().uri("/me").cookie(cookie.clone()).to_request()).await;
    assert_eq!(response.status(), 200);

    // Without a configured cookie name, cookies are not read.
    let app = app!(verifier(&key, config()));
    let response = test::call_service(&app, test::TestRequest::get().uri("/me").cookie(cookie).to_request()).await;
    assert_eq!(response.status(), 401);
}

#[actix_web::test]
async fn an_optional_extractor_lets_anonymous_requests_through() {
    let key = Signer::generate();
    let app = app!(verifier(&key, config()));
    let anonymous = test::call_and_read_body(&app, test::TestRequest::get().uri("/welcome").to_request()).await;
    assert_eq!(anonymous, "hello stranger");
    let wire = claims();
    let request = test::TestRequest::get()
        .uri("/welcome")
        .insert_header((header::AUTHORIZATION, format!("Bearer {}", key.sign(&wire))));
    let greeted = test::call_and_read_body(&app, request.to_request()).await;
    assert_eq!(greeted, format!("hello {}", wire.sub));
}

/// Keys that cannot be fetched say nothing about the token: 503, retry, rather than 401,
/// sign in again.
#[actix_web::test]
async fn unreachable_keys_are_503_and_a_missing_verifier_500() {
    let key = Signer::generate();
    let down = Verifier::new(Config::new(nobody_listening().await, "identity", "identity")).unwrap();
    let app = app!(down);
    let request =
        test::TestRequest::get().uri("/me").insert_header((header::AUTHORIZATION, format!("Bearer {}", key.token())));
    let response = test::call_service(&app, request.to_request()).await;
    assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "5");
    let (status, challenge, body) = refusal(response).await;
    assert_eq!((status, challenge), (503, None));
    assert_eq!(body["code"], "service_unavailable");
    assert_eq!(body["detail"], "the token cannot be checked right now");

    let app = test::init_service(App::new().configure(routes)).await;
    let request =
        test::TestRequest::get().uri("/me").insert_header((header::AUTHORIZATION, format!("Bearer {}", key.token())));
    let (status, _, body) = refusal(test::call_service(&app, request.to_request()).await).await;
    assert_eq!(status, 500);
    assert_eq!(body["code"], "internal_error");
}
