//! The pages mailed links open (`GET /verify-email`, `GET /reset-password`) and their assets:
//! HTML under their own strict CSP, never stored, never referred; the default links of the
//! mails lead to them; not API operations. What they do in a browser is `cargo xtask
//! mail-links-check`'s part.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use identity_core::ports::Mail;
use identity_http::pages;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, PASSWORD, TestApp, spawn_app, unique_email};

both_backends!(pages_are_html_under_their_own_csp, mailed_links_open_the_pages);

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// GET of `path`, asserting what every page answers with: 200 HTML, the pages' CSP, no
/// referrer, never stored.
async fn get_page(app: &TestApp, path: &str) -> reqwest::Response {
    let res = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    assert_eq!(header(&res, "content-type"), "text/html; charset=utf-8", "{path}");
    assert_eq!(header(&res, "content-security-policy"), pages::CSP, "{path}");
    assert_eq!(header(&res, "referrer-policy"), "no-referrer", "{path}");
    assert_eq!(header(&res, "cache-control"), "no-store", "{path}");
    assert_eq!(header(&res, "x-content-type-options"), "nosniff", "{path}");
    assert_eq!(header(&res, "x-frame-options"), "DENY", "{path}");
    res
}

async fn pages_are_html_under_their_own_csp(backend: Backend) {
    let app = spawn_app(backend).await;
    for (path, form) in [("/verify-email?token=abc", "verify-email"), ("/reset-password?token=abc", "reset-password")] {
        let body = get_page(&app, path).await.text().await.unwrap();
        assert!(body.starts_with("<!doctype html>"), "{body}");
        assert!(body.contains(&format!("data-page=\"{form}\"")), "{body}");
        assert!(body.contains("<script src=\"/pages/pages.js\" defer></script>"), "{body}");
        assert!(body.contains("<link rel=\"stylesheet\" href=\"/pages/pages.css\">"), "{body}");
        // The CSP forbids inline script and style, and nothing comes from elsewhere.
        assert_eq!(body.matches("<script").count(), 1, "{body}");
        assert!(!body.contains("<style") && !body.contains(" style="), "{body}");
        assert!(!body.contains("http://") && !body.contains("https://"), "{body}");
    }
    let csp = pages::CSP;
    for directive in ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'"] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
    // A page without a token is still a page: its script says the link is incomplete.
    get_page(&app, "/verify-email").await;

    for (path, content_type, sample) in [
        ("/pages/pages.js", "text/javascript; charset=utf-8", "/v1/auth/email/verify"),
        ("/pages/pages.css", "text/css; charset=utf-8", ".card"),
    ] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(header(&res, "content-type"), content_type, "{path}");
        assert_eq!(header(&res, "x-content-type-options"), "nosniff", "{path}");
        assert!(res.text().await.unwrap().contains(sample), "{path}");
    }
    // The API's answers keep the API's CSP.
    let res = app.client.get(app.url("/health")).send().await.unwrap();
    assert!(header(&res, "content-security-policy").contains("form-action 'none'"));
}

/// The default links of the verification and the reset mails open these pages (their host is
/// `localhost:8080`: the link's path and query are asked of the test server).
async fn mailed_links_open_the_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 201);
    let verify = app
        .mails_to(&email)
        .await
        .into_iter()
        .find_map(|mail| match mail {
            Mail::VerifyEmail { link, .. } => Some(link),
            _ => None,
        })
        .expect("a verification mail");
    assert!(verify.starts_with("http://localhost:8080/verify-email?token="), "{verify}");
    let res = get_page(&app, path_and_query(&verify)).await;
    assert!(res.text().await.unwrap().contains("data-page=\"verify-email\""));

    let res = app.post_json("/v1/auth/password/forgot", &json!({ "email": email })).await;
    assert_eq!(res.status(), 202);
    let reset = app
        .mails_to(&email)
        .await
        .into_iter()
        .find_map(|mail| match mail {
            Mail::PasswordReset { link, .. } => Some(link),
            _ => None,
        })
        .expect("a reset mail");
    assert!(reset.starts_with("http://localhost:8080/reset-password?token="), "{reset}");
    let res = get_page(&app, path_and_query(&reset)).await;
    assert!(res.text().await.unwrap().contains("data-page=\"reset-password\""));
}

/// `/path?query` of an absolute `http://host[:port]/path?query` link.
fn path_and_query(link: &str) -> &str {
    let after_scheme = link.split_once("://").map_or(link, |(_, rest)| rest);
    after_scheme.find('/').map_or("/", |slash| &after_scheme[slash..])
}

/// The server renders the page in the language of `?lang=`, else of `Accept-Language`, else
/// English, and says which.
#[tokio::test]
async fn pages_speak_the_language_asked_for() {
    let app = spawn_app(Backend::Memory).await;
    let page = |path: &'static str, accept: Option<&'static str>| {
        let mut request = app.client.get(app.url(path));
        if let Some(accept) = accept {
            request = request.header("accept-language", accept);
        }
        async move {
            let res = request.send().await.unwrap();
            assert_eq!(res.status(), 200);
            assert!(header(&res, "vary").contains("Accept-Language"));
            let language = header(&res, "content-language");
            (language, res.text().await.unwrap())
        }
    };
    let (language, body) = page("/verify-email?token=t", None).await;
    assert_eq!(language, "en");
    assert!(body.contains("<html lang=\"en\">") && body.contains("Verify your email address"));
    let (language, body) = page("/verify-email?token=t", Some("de-DE,de;q=0.9,en;q=0.5")).await;
    assert_eq!(language, "de");
    assert!(body.contains("<html lang=\"de\">") && body.contains("E-Mail-Adresse bestätigen"));
    let (language, body) = page("/reset-password?token=t&lang=de", Some("en-US")).await;
    assert_eq!(language, "de");
    assert!(body.contains("Neues Passwort festlegen"));
    let (language, _) = page("/reset-password?token=t&lang=en", Some("de")).await;
    assert_eq!(language, "en");
    // A language the pages lack is passed over for the next one asked for.
    let (language, _) = page("/reset-password?lang=fr&token=t", Some("fr-FR, de;q=0.5")).await;
    assert_eq!(language, "de");
    // The password policy's length is the one stated.
    let (_, body) = page("/reset-password?token=t", None).await;
    assert!(body.contains("At least 8 characters."), "{body}");
}

/// The pages are no API operations: the OpenAPI document does not list them (generated
/// clients have no methods for them), and other methods than GET are refused as problems.
#[tokio::test]
async fn pages_are_not_api_operations() {
    let doc = identity_http::openapi::openapi();
    for path in pages::ROUTES {
        assert!(doc["paths"][path].is_null(), "{path} is in the document");
        assert!(identity_http::openapi::served_routes().iter().all(|route| route.template != path), "{path}");
    }
    let app = spawn_app(Backend::Memory).await;
    let res = app.client.post(app.url("/verify-email")).json(&json!({ "token": "t" })).send().await.unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(header(&res, "content-type"), "application/problem+json");
    assert_eq!(header(&res, "allow"), "GET, HEAD");
    // Link checkers and mail scanners may ask with HEAD.
    let res = app.client.head(app.url("/reset-password?token=t")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-security-policy"), pages::CSP);
}
