//! `cargo xtask deploy-check`: validates `deploy/` offline — the Kubernetes manifests strictly
//! against the API of `KUBERNETES_VERSION`, the compose file and the Dockerfile
//! (`xtask/deploy-check/check.py` says what is checked).
//!
//! The Python tools come from PyPI, pinned in `xtask/deploy-check/requirements.txt`, into a
//! virtual environment under `~/.cache/identity-tools` (or `$IDENTITY_TOOLS_DIR`), installed
//! once per set of pins. Nothing is skipped: a tool that cannot be installed fails the check.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use crate::{Result, root};

/// The Kubernetes version whose API the manifests must fit (kubernetes-validate bundles its
/// schemas): the oldest minor still in EKS standard support when this was pinned. Raise it
/// with the clusters, never above their version.
const KUBERNETES_VERSION: &str = "1.33.0";

pub fn check() -> Result {
    let started = Instant::now();
    let python = tools()?;
    let tools_ready = started.elapsed();
    let script = root().join("xtask/deploy-check/check.py");
    eprintln!("$ {} {} --kubernetes-version {KUBERNETES_VERSION}", python.display(), script.display());
    let status = Command::new(&python)
        .arg(&script)
        .arg("--root")
        .arg(root())
        .args(["--kubernetes-version", KUBERNETES_VERSION])
        // No __pycache__ in the work tree.
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .status()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !status.success() {
        return Err(format!("deploy-check failed ({status}): see the FAIL lines above"));
    }
    eprintln!(
        "xtask: deploy-check passed in {:.1}s ({:.1}s of it getting the tools ready)",
        started.elapsed().as_secs_f64(),
        tools_ready.as_secs_f64()
    );
    Ok(())
}

/// Where xtask keeps the tools it installs: `$IDENTITY_TOOLS_DIR`, or `~/.cache/identity-tools`.
pub fn tools_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("IDENTITY_TOOLS_DIR") {
        return Ok(dir.into());
    }
    let home =
        std::env::var_os("HOME").ok_or("HOME is not set: set IDENTITY_TOOLS_DIR to where xtask may keep its tools")?;
    Ok(PathBuf::from(home).join(".cache/identity-tools"))
}

/// The Python of the deploy-check tools' virtual environment.
fn tools() -> Result<PathBuf> {
    venv("deploy-check", &root().join("xtask/deploy-check/requirements.txt"))
}

/// The Python of the virtual environment `name` under the tools directory holding the pins of
/// `requirements`, (re)made when the pins changed. A copy of the pins written after a complete
/// install marks it as usable, so an interrupted install is redone, not trusted.
pub fn venv(name: &str, requirements: &std::path::Path) -> Result<PathBuf> {
    let pins = requirements;
    let wanted = std::fs::read_to_string(pins).map_err(|e| format!("cannot read {}: {e}", pins.display()))?;
    let venv = tools_dir()?.join(name);
    let python = venv.join("bin/python");
    let mark = venv.join("installed-requirements.txt");
    if python.exists() && std::fs::read_to_string(&mark).is_ok_and(|installed| installed == wanted) {
        return Ok(python);
    }
    eprintln!("xtask: installing the {name} tools (PyPI) into {}", venv.display());
    if venv.exists() {
        std::fs::remove_dir_all(&venv).map_err(|e| format!("cannot remove the old {}: {e}", venv.display()))?;
    }
    let base = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    tool(
        Command::new(&base).args(["-m", "venv"]).arg(&venv),
        "create a Python virtual environment: xtask needs python3 (3.11+) with its venv module (Debian: python3-venv)",
    )?;
    tool(
        Command::new(&python)
            .args(["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--quiet", "-r"])
            .arg(pins),
        &format!("install the {name} tools from PyPI"),
    )?;
    std::fs::write(&mark, wanted).map_err(|e| format!("cannot write {}: {e}", mark.display()))?;
    Ok(python)
}

/// Runs one step of the install; its failure names what could not be done.
pub fn tool(command: &mut Command, what: &str) -> Result {
    let args: Vec<_> = command.get_args().map(|a| a.to_string_lossy()).collect();
    let shown = format!("{} {}", command.get_program().to_string_lossy(), args.join(" "));
    eprintln!("$ {shown}");
    let status = command.status().map_err(|e| format!("cannot {what}: `{shown}` did not start: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("cannot {what}: `{shown}` failed ({status})")) }
}
