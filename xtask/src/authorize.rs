//! `cargo xtask authorize-check`: Swagger UI's *Authorize* button works in a real browser.
//!
//! Headless Chromium (Debian's `chromium`, installed with apt-get when missing, like nginx in
//! `cargo xtask tools`) is driven by playwright-core (npm, pinned by
//! `xtask/authorize-check/package-lock.json`, installed with `npm ci` under
//! `~/.cache/identity-tools/authorize-check`; it uses the system Chromium and downloads no
//! browser). `xtask/authorize-check/check.mjs` opens `/docs/`, authorizes with the OAuth2
//! password flow as a registered user, runs *Try it out* on `GET /v1/auth/me` and expects a 200
//! naming the user. `cargo xtask mail-links-check` (mail_links.rs) drives the same browser
//! with [`Browser`].

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::Instant;

use crate::server::{Backend, Server};
use crate::{Result, clients, deploy, root, run_quiet};

const EMAIL: &str = "swagger-user@example.com";
const PASSWORD: &str = "swagger ui check passphrase";

/// Headless Chromium and the playwright-core that drives it, ready for a script of
/// `xtask/authorize-check/`.
pub struct Browser {
    chromium: String,
    modules: PathBuf,
}

impl Browser {
    /// Installs what is missing: Chromium from Debian, playwright-core with `npm ci`.
    pub fn ready() -> Result<Self> {
        let chromium = chromium()?;
        let modules = deploy::tools_dir()?.join("authorize-check");
        clients::npm_ci(&root().join("xtask/authorize-check"), &modules)?;
        Ok(Self { chromium, modules })
    }

    /// Runs `xtask/authorize-check/<script>` with node, `env` on top of `CHROMIUM` and
    /// `PLAYWRIGHT_DIR` (which `browser.mjs` reads).
    pub fn run(&self, script: &str, env: &[(&str, &str)]) -> Result<ExitStatus> {
        let script = root().join("xtask/authorize-check").join(script);
        let node = std::env::var("NODE").unwrap_or_else(|_| "node".into());
        eprintln!("$ {node} {}", script.display());
        Command::new(node)
            .arg(&script)
            .env("CHROMIUM", &self.chromium)
            .env("PLAYWRIGHT_DIR", &self.modules)
            .envs(env.iter().copied())
            .status()
            .map_err(|e| format!("cannot run node: {e}"))
    }
}

pub fn check() -> Result {
    let started = Instant::now();
    let browser = Browser::ready()?;
    let binary = crate::server::build()?;
    let tools_ready = started.elapsed();
    let log = root().join("target/authorize-check/server.log");
    let server = Server::start(&binary, Backend::Embedded, &[], &log)?;
    server.sign_up(EMAIL, PASSWORD)?;
    let screenshot = root().join("target/authorize-check/failure.png");
    let status = browser.run(
        "check.mjs",
        &[
            ("IDENTITY_BASE_URL", &server.base),
            ("IDENTITY_EMAIL", EMAIL),
            ("IDENTITY_PASSWORD", PASSWORD),
            ("SCREENSHOT", &screenshot.display().to_string()),
        ],
    )?;
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
