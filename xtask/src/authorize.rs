//! `cargo xtask authorize-check`: Swagger UI's *Authorize* button works in a real browser.
//!
//! Headless Chromium (Debian's `chromium`, installed with apt-get when missing, like nginx in
//! `cargo xtask tools`) is driven by playwright-core (npm, pinned by
//! `xtask/authorize-check/package-lock.json`, installed with `npm ci` under
//! `~/.cache/identity-tools/authorize-check`; it uses the system Chromium and downloads no
//! browser). `xtask/authorize-check/check.mjs` opens `/docs/`, authorizes with the OAuth2
//! password flow as a registered user, runs *Try it out* on `GET /v1/auth/me` and expects a 200
//! naming the user. Not part of `cargo xtask test`: a browser is a large install and start.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::server::{Backend, Server};
use crate::{Result, clients, deploy, root, run_quiet};

const EMAIL: &str = "swagger-user@example.com";
const PASSWORD: &str = "swagger ui check passphrase";

pub fn check() -> Result {
    let started = Instant::now();
    let chromium = chromium()?;
    let modules = deploy::tools_dir()?.join("authorize-check");
    clients::npm_ci(&root().join("xtask/authorize-check"), &modules)?;
    let binary = crate::server::build()?;
    let tools_ready = started.elapsed();
    let log = root().join("target/authorize-check/server.log");
    let server = Server::start(&binary, Backend::Embedded, &[], &log)?;
    server.sign_up(EMAIL, PASSWORD)?;
    let screenshot = root().join("target/authorize-check/failure.png");
    let script = root().join("xtask/authorize-check/check.mjs");
    let node = std::env::var("NODE").unwrap_or_else(|_| "node".into());
    eprintln!("$ {node} {}", script.display());
    let status = Command::new(node)
        .arg(&script)
        .env("IDENTITY_BASE_URL", &server.base)
        .env("IDENTITY_EMAIL", EMAIL)
        .env("IDENTITY_PASSWORD", PASSWORD)
        .env("CHROMIUM", &chromium)
        .env("PLAYWRIGHT_DIR", &modules)
        .env("SCREENSHOT", &screenshot)
        .status()
        .map_err(|e| format!("cannot run node: {e}"))?;
    drop(server);
    eprintln!(
        "xtask: authorize-check took {:.1}s ({:.1}s of it getting Chromium, playwright-core and the binary ready)",
        started.elapsed().as_secs_f64(),
        tools_ready.as_secs_f64()
    );
    if status.success() {
        Ok(())
    } else {
        Err(format!("authorize-check failed ({status}); server log: {}", log.display()))
    }
}

/// The Chromium executable, installed from Debian when missing.
fn chromium() -> Result<String> {
    let found = || ["/usr/bin/chromium", "/usr/bin/chromium-browser"].into_iter().find(|p| Path::new(p).exists());
    if let Some(path) = found() {
        return Ok(path.to_owned());
    }
    eprintln!("xtask: Chromium is missing: installing chromium from Debian");
    let sudo = if run_quiet("id", &["-u"]).is_some_and(|uid| uid.trim() == "0") { "" } else { "sudo " };
    let install = format!(
        "{sudo}apt-get update -q && DEBIAN_FRONTEND=noninteractive {sudo}apt-get install -y -q --no-install-recommends chromium"
    );
    let status = Command::new("sh").args(["-c", &install]).status().map_err(|e| format!("cannot run apt-get: {e}"))?;
    if !status.success() {
        return Err(format!("installing chromium failed ({status})"));
    }
    found().map(str::to_owned).ok_or_else(|| "apt-get installed chromium but /usr/bin/chromium is missing".into())
}
