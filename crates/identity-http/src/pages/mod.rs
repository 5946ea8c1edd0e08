//! The pages the mailed links open by default (`EMAIL_VERIFICATION_URL_TEMPLATE`,
//! `PASSWORD_RESET_URL_TEMPLATE`, `EMAIL_CHANGE_URL_TEMPLATE`): `GET /verify-email` (a button
//! that posts the token to `POST /v1/auth/email/verify`), `GET /reset-password` (a form that
//! posts the token and the new password to `POST /v1/auth/password/reset`) and `GET
//! /confirm-email-change` (a button that posts the token to `POST /v1/users/me/email/confirm`). Plain HTML with one script and one style
//! sheet, all compiled into the binary and served from the same origin under their own strict
//! CSP ([`CSP`]): nothing inline, nothing from elsewhere. The server renders them in the
//! request's language ([`texts::Lang::of_request`]); the script reads the token from the link,
//! calls the API and shows its answer in words. Not API operations: they are not in the OpenAPI
//! document. A frontend with pages of its own points the templates there instead
//! (docs/operations.md, "Mail links").

pub mod texts;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, guard, web};
use identity_core::PasswordPolicy;

use crate::error::{ApiError, ProblemCode};

use self::texts::{Lang, TEXTS};

/// The verification link's page.
pub const VERIFY_EMAIL: &str = "/verify-email";
/// The password link's page (reset and invitation mails).
pub const RESET_PASSWORD: &str = "/reset-password";
/// The email-change link's page.
pub const CONFIRM_EMAIL_CHANGE: &str = "/confirm-email-change";
/// The pages' script.
pub const SCRIPT: &str = "/pages/pages.js";
/// The pages' style sheet.
pub const STYLE: &str = "/pages/pages.css";
/// Every path this module serves (`GET` only).
pub const ROUTES: [&str; 5] = [VERIFY_EMAIL, RESET_PASSWORD, CONFIRM_EMAIL_CHANGE, SCRIPT, STYLE];

/// The pages' Content-Security-Policy: their own script, style sheet and API calls, nothing
/// else; no inline script or style, no framing, forms post nowhere else.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
                       form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Whether `path` is one of the pages or their assets (they get [`CSP`]).
pub fn serves(path: &str) -> bool {
    ROUTES.contains(&path)
}

const VERIFY_EMAIL_HTML: &str = include_str!("verify-email.html");
const RESET_PASSWORD_HTML: &str = include_str!("reset-password.html");
const CONFIRM_EMAIL_CHANGE_HTML: &str = include_str!("confirm-email-change.html");
const SCRIPT_JS: &str = include_str!("pages.js");
const STYLE_CSS: &str = include_str!("pages.css");

/// Texts every page's `<template id="messages">` carries besides its own (answers any call may
/// get, and every field error).
const COMMON: [&str; 6] = ["missing_token", "rate_limited", "unavailable", "network", "unexpected", "check_input"];

/// The pages, rendered once per language at start-up.
pub struct Pages {
    verify_email: Vec<String>,
    reset_password: Vec<String>,
    confirm_email_change: Vec<String>,
}

impl Pages {
    /// Renders every page in every language; `policy` gives the password lengths they state.
    pub fn new(policy: &PasswordPolicy) -> Self {
        let render_all = |template: &str| -> Vec<String> {
            Lang::ALL.iter().map(|&lang| render(template, lang, policy).0).collect()
        };
        Self {
            verify_email: render_all(VERIFY_EMAIL_HTML),
            reset_password: render_all(RESET_PASSWORD_HTML),
            confirm_email_change: render_all(CONFIRM_EMAIL_CHANGE_HTML),
        }
    }
}

/// Registers the pages and their assets (`GET` and `HEAD`; any other method is a problem+json
/// 405), outside the OpenAPI document.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig, pages: &web::Data<Pages>) {
    let read = || web::route().guard(guard::Any(guard::Get()).or(guard::Head()));
    cfg.app_data(pages.clone())
        .route(VERIFY_EMAIL, read().to(verify_email))
        .route(RESET_PASSWORD, read().to(reset_password))
        .route(CONFIRM_EMAIL_CHANGE, read().to(confirm_email_change))
        .route(SCRIPT, read().to(script))
        .route(STYLE, read().to(style));
    for path in ROUTES {
        cfg.route(path, web::route().to(method_not_allowed));
    }
}

async fn method_not_allowed() -> HttpResponse {
    let mut res = HttpResponse::from_error(ApiError::new(ProblemCode::MethodNotAllowed, "this page allows GET, HEAD"));
    res.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    res
}

async fn verify_email(req: HttpRequest, pages: web::Data<Pages>) -> HttpResponse {
    page(&req, &pages.verify_email)
}

async fn reset_password(req: HttpRequest, pages: web::Data<Pages>) -> HttpResponse {
    page(&req, &pages.reset_password)
}

/// A page in the request's language. The link's token is in the address: the answer is never
/// stored, and the security headers add `Referrer-Policy: no-referrer` and [`CSP`].
fn page(req: &HttpRequest, rendered: &[String]) -> HttpResponse {
    let lang = Lang::of_request(req);
    let html = rendered.get(lang.index()).cloned().unwrap_or_default();
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header((header::CONTENT_LANGUAGE, lang.tag()))
        .insert_header((header::VARY, "Accept-Language"))
        .body(html)
}

async fn confirm_email_change(req: HttpRequest, pages: web::Data<Pages>) -> HttpResponse {
    page(&req, &pages.confirm_email_change)
}

async fn script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", SCRIPT_JS)
}

async fn style() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLE_CSS)
}

/// A static asset: revalidated on every use, so a new binary's version is never mixed with
/// an old page.
fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        .body(body)
}

/// `template` in `lang`: `{{key}}` becomes the text `key` (HTML-escaped, `{min}`/`{max}` the
/// policy's lengths), `{{lang}}` the language's tag, `<!--languages-->` the language links and
/// `<!--common-->` the shared texts of the messages template. Also the keys no text has.
fn render(template: &str, lang: Lang, policy: &PasswordPolicy) -> (String, Vec<String>) {
    let lengths = |text: &str| {
        text.replace("{min}", &policy.min_chars.to_string()).replace("{max}", &policy.max_chars.to_string())
    };
    let common: String = TEXTS
        .iter()
        .filter(|(key, _)| COMMON.contains(key) || key.starts_with("field_"))
        .map(|(key, texts)| format!("  <p data-key=\"{key}\">{}</p>\n", escape(&lengths(texts[lang.index()]))))
        .collect();
    let languages: String = Lang::ALL
        .iter()
        .map(|other| {
            let current = if *other == lang { " aria-current=\"true\"" } else { "" };
            format!(
                "<a href=\"?lang={tag}\" data-lang=\"{tag}\" hreflang=\"{tag}\" lang=\"{tag}\"{current}>{name}</a>",
                tag = other.tag(),
                name = other.name()
            )
        })
        .collect();
    let template = template
        .replace("<!--languages-->", &format!("<nav class=\"languages\">{languages}</nav>"))
        .replace("  <!--common-->\n", &common);
    let mut out = String::with_capacity(template.len() + 1024);
    let mut unknown = Vec::new();
    let mut rest = template.as_str();
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            rest = &rest[start..];
            break;
        };
        let key = &after[..end];
        match (key, texts::text(key, lang)) {
            ("lang", _) => out.push_str(lang.tag()),
            (_, Some(text)) => out.push_str(&escape(&lengths(text))),
            (_, None) => unknown.push(key.to_owned()),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    (out, unknown)
}

/// Text as HTML content or attribute value.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_has_a_text_in_every_language() {
        let policy = PasswordPolicy::default();
        for template in [VERIFY_EMAIL_HTML, RESET_PASSWORD_HTML, CONFIRM_EMAIL_CHANGE_HTML] {
            for lang in Lang::ALL {
                let (html, unknown) = render(template, lang, &policy);
                assert!(unknown.is_empty(), "{lang:?}: no text for {unknown:?}");
                assert!(!html.contains("{{") && !html.contains("<!--"), "{lang:?}: left over in\n{html}");
                assert!(html.contains(&format!("<html lang=\"{}\">", lang.tag())));
                assert!(html.contains("data-key=\"field_common_password\""));
                assert!(!html.contains("{min}") && html.contains(&policy.min_chars.to_string()));
            }
        }
    }

    /// The CSP allows no inline script or style: the pages have none.
    #[test]
    fn nothing_inline() {
        for html in [VERIFY_EMAIL_HTML, RESET_PASSWORD_HTML, CONFIRM_EMAIL_CHANGE_HTML] {
            assert_eq!(html.matches("<script").count(), 1);
            assert!(html.contains(&format!("<script src=\"{SCRIPT}\" defer></script>")));
            assert!(html.contains(&format!("<link rel=\"stylesheet\" href=\"{STYLE}\">")));
            assert!(!html.contains("<style") && !html.contains(" style="), "inline style");
            let handler = |rest: &str| {
                rest.split('=').next().is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_lowercase()))
            };
            assert!(!html.split(" on").skip(1).any(handler), "inline event handler");
            assert!(!html.contains("http://") && !html.contains("https://"), "loads from elsewhere");
        }
        assert!(!STYLE_CSS.contains("url(") && !STYLE_CSS.contains("@import"));
        assert!(!SCRIPT_JS.contains("innerHTML") && !SCRIPT_JS.contains("eval("));
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }
}
