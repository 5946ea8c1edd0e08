//! `cargo xtask mail-links-check`: the links the server mails open pages that work, in a real
//! browser.
//!
//! Starts the server (embedded, mails in its log with their bodies) on a port chosen first, so
//! that `EMAIL_VERIFICATION_URL_TEMPLATE` and `PASSWORD_RESET_URL_TEMPLATE` point at its own
//! pages (`/verify-email`, `/reset-password`, crates/identity-http/src/pages). Then registers a
//! user, opens the mailed verification link in headless Chromium and clicks *verify*
//! (`xtask/authorize-check/mail-links.mjs`, `STEP=verify`), checks `GET /v1/auth/me` says
//! `email_verified`, asks for a reset link (`POST /v1/auth/password/forgot`), opens it and sets
//! a new password (`STEP=reset`, in German), then signs in with the new password (200) and the
//! old one (401). Signed in, it asks to change the address (`POST /v1/users/me/email`), opens
//! the link mailed to the new one and confirms it (`STEP=change`), then signs in with the new
//! address (200). The browser is authorize-check's ([`Browser`]). Screenshots of each page are
//! left in `target/mail-links-check/`.

use std::net::TcpListener;
use std::path::Path;
use std::time::Instant;

use serde_json::{Value, json};

use crate::authorize::Browser;
use crate::server::{Backend, Server};
use crate::{Result, root};

const EMAIL: &str = "mail-links@example.com";
const PASSWORD: &str = "mail links check passphrase";
const NEW_PASSWORD: &str = "a fresh passphrase from the mail";
const NEW_EMAIL: &str = "mail-links-new@example.com";

pub fn check() -> Result {
    let started = Instant::now();
    let browser = Browser::ready()?;
    let binary = crate::server::build()?;
    let tools_ready = started.elapsed();
    let dir = root().join("target/mail-links-check");
    let log = dir.join("server.log");
    // The links name the server's port: chosen before it starts.
    let port = free_port()?.to_string();
    let base = format!("http://127.0.0.1:{port}");
    let verify_template = format!("{base}/verify-email?token={{token}}");
    let reset_template = format!("{base}/reset-password?token={{token}}");
    let change_template = format!("{base}/confirm-email-change?token={{token}}");
    let env = [
        ("PORT", port.as_str()),
        ("EMAIL_VERIFICATION_URL_TEMPLATE", verify_template.as_str()),
        ("PASSWORD_RESET_URL_TEMPLATE", reset_template.as_str()),
        ("EMAIL_CHANGE_URL_TEMPLATE", change_template.as_str()),
        // The used link asks for a new one right after the first mail.
        ("MAIL_COOLDOWN_SECONDS", "0"),
        // A dozen auth requests from one address within the minute.
        ("RATE_LIMIT_AUTH_PER_MINUTE", "1000"),
    ];
    let server = Server::start(&binary, Backend::Embedded, &env, &log)?;
    let result = flow(&server, &browser, &dir);
    drop(server);
    eprintln!(
        "xtask: mail-links-check took {:.1}s ({:.1}s of it getting Chromium, playwright-core and the binary ready)",
        started.elapsed().as_secs_f64(),
        tools_ready.as_secs_f64()
    );
    result.map_err(|e| format!("mail-links-check failed: {e}; server log: {}", log.display()))?;
    eprintln!("xtask: mail-links-check passed; screenshots in {}", dir.display());
    Ok(())
}

fn flow(server: &Server, browser: &Browser, dir: &Path) -> Result {
    let shots = dir.display().to_string();
    let body = json!({ "email": EMAIL, "password": PASSWORD });
    expect(server.call("POST", "/v1/auth/register", None, Some(&body))?, 201, "registering")?;
    let link = mailed_link(server, "verify_email", EMAIL)?;
    in_browser(browser, &[("STEP", "verify"), ("LINK", &link), ("IDENTITY_EMAIL", EMAIL), ("SCREENSHOTS", &shots)])?;

    let token = sign_in(server, PASSWORD, 200)?;
    let token = token["access_token"].as_str().ok_or("login answered no access_token")?;
    let me = expect(server.call("GET", "/v1/auth/me", Some(token), None)?, 200, "GET /v1/auth/me")?;
    if me["user"]["email_verified"] != true {
        return Err(format!("after the page verified it, GET /v1/auth/me says {me}"));
    }
    eprintln!("xtask: GET /v1/auth/me: email_verified is true");

    let forgot = json!({ "email": EMAIL });
    expect(server.call("POST", "/v1/auth/password/forgot", None, Some(&forgot))?, 202, "password/forgot")?;
    let link = mailed_link(server, "password_reset", EMAIL)?;
    in_browser(
        browser,
        &[
            ("STEP", "reset"),
            ("LINK", &link),
            ("IDENTITY_EMAIL", EMAIL),
            ("NEW_PASSWORD", NEW_PASSWORD),
            ("SCREENSHOTS", &shots),
        ],
    )?;

    let token = sign_in(server, NEW_PASSWORD, 200)?;
    sign_in(server, PASSWORD, 401)?;
    eprintln!("xtask: signing in works with the new password (200), not with the old one (401)");

    // Just signed in: recent enough for the change.
    let token = token["access_token"].as_str().ok_or("login answered no access_token")?;
    let change = json!({ "new_email": NEW_EMAIL });
    expect(server.call("POST", "/v1/users/me/email", Some(token), Some(&change))?, 202, "POST /v1/users/me/email")?;
    let link = mailed_link(server, "email_change_confirm", NEW_EMAIL)?;
    in_browser(
        browser,
        &[("STEP", "change"), ("LINK", &link), ("IDENTITY_EMAIL", NEW_EMAIL), ("SCREENSHOTS", &shots)],
    )?;
    let login = json!({ "email": NEW_EMAIL, "password": NEW_PASSWORD });
    expect(server.call("POST", "/v1/auth/login", None, Some(&login))?, 200, "signing in with the new address")?;
    eprintln!("xtask: signing in works with the new address (200)");
    Ok(())
}

/// A free port on 127.0.0.1, for the server to listen on.
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot find a free port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

fn in_browser(browser: &Browser, env: &[(&str, &str)]) -> Result {
    let status = browser.run("mail-links.mjs", env)?;
    if status.success() { Ok(()) } else { Err(format!("the browser step failed ({status})")) }
}

/// The answer's body when its status is `status`.
fn expect((got, body): (u16, Value), status: u16, what: &str) -> Result<Value> {
    if got == status { Ok(body) } else { Err(format!("{what} answered {got}, not {status}: {body}")) }
}

fn sign_in(server: &Server, password: &str, status: u16) -> Result<Value> {
    let body = json!({ "email": EMAIL, "password": password });
    expect(server.call("POST", "/v1/auth/login", None, Some(&body))?, status, &format!("signing in with {password:?}"))
}

/// The link in the last mail of `kind` to `email` in the server log, which must lead to the
/// server itself.
fn mailed_link(server: &Server, kind: &str, email: &str) -> Result<String> {
    let link = server.mailed_link(kind, email)?;
    if !link.starts_with(&format!("{}/", server.base)) {
        return Err(format!("the {kind} mail links to {link}, not to the server at {}", server.base));
    }
    eprintln!("xtask: the {kind} mail links to {}", link.split("token=").next().unwrap_or_default());
    Ok(link)
}
