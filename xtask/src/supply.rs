//! Supply chain: `cargo xtask audit`.
//!
//! `audit` runs `cargo deny check` with `deny.toml`: advisories (offline, against the RustSec
//! snapshot in `../shared/advisory-db` or `$IDENTITY_ADVISORY_DB`), licences, bans and sources.
//! cargo-deny is built from crates.io at a pinned version into `~/.cache/identity-tools` (or
//! `$IDENTITY_TOOLS_DIR`) when missing; nothing is skipped: a tool that cannot be installed or
//! a snapshot that cannot be read fails the check.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use crate::deploy::{tool, tools_dir};
use crate::{Result, cargo_bin, root};

/// The cargo-deny release `audit` runs. Raising it: change it here, run `cargo xtask audit`
/// (a cold build takes about 6 minutes on 2 cores) and check that [`DB_DIR`] still matches.
const CARGO_DENY_VERSION: &str = "0.20.2";

/// The directory cargo-deny looks for the default database (`db-urls`
/// https://github.com/rustsec/advisory-db) under `db-path`: the URL's last segment and an
/// XxHash64 of it (cargo-deny's `url_to_db_path`). If a new cargo-deny names it otherwise,
/// the check fails loudly ("failed to get 'FETCH_HEAD' metadata"): see `cargo deny -L debug`.
const DB_DIR: &str = "advisory-db-3157b0e258782691";

pub fn audit() -> Result {
    let deny = cargo_deny()?;
    let snapshot = snapshot_dir();
    let date = snapshot_date(&snapshot)?;
    // A fresh copy per run: parallel runs from other checkouts never see a half-written one.
    let dbs = std::env::temp_dir().join(format!("identity-advisory-dbs-{}", std::process::id()));
    let result = lay_out_db(&snapshot, &date, &dbs.join(DB_DIR)).and_then(|()| run_deny(&deny, &dbs, &date));
    let _ = std::fs::remove_dir_all(&dbs);
    result
}

fn run_deny(deny: &Path, dbs: &Path, date: &str) -> Result {
    // cargo-deny runs offline (`--offline` is what `check --disable-fetch` became): it reads the
    // crates' manifests from cargo's cache, so a fresh machine downloads them first (crates.io).
    crate::cargo(&["fetch"], &[])?;
    let args = ["--locked", "--offline", "check", "--show-stats"];
    eprintln!("$ IDENTITY_ADVISORY_DBS={} {} {}", dbs.display(), deny.display(), args.join(" "));
    let status = Command::new(deny)
        .args(args)
        .current_dir(root())
        .env("IDENTITY_ADVISORY_DBS", dbs)
        .status()
        .map_err(|e| format!("cannot run {}: {e}", deny.display()))?;
    if !status.success() {
        return Err(format!("cargo deny check failed ({status}): see the errors above; deny.toml explains each rule"));
    }
    eprintln!("xtask: supply-chain check passed (advisories known as of {date}, licences, bans, sources)");
    Ok(())
}

/// The cargo-deny binary of [`CARGO_DENY_VERSION`], built with `cargo install --locked` when
/// missing or of another version. Its own target directory keeps the workspace's clean.
fn cargo_deny() -> Result<PathBuf> {
    let tools = tools_dir()?;
    let install_root = tools.join("cargo-deny");
    let bin = install_root.join("bin/cargo-deny");
    if installed_version(&bin).as_deref() == Some(CARGO_DENY_VERSION) {
        return Ok(bin);
    }
    eprintln!(
        "xtask: installing cargo-deny {CARGO_DENY_VERSION} (crates.io) into {}; a cold build takes about 6 minutes",
        install_root.display()
    );
    let build = tools.join("cargo-deny-build");
    tool(
        Command::new(cargo_bin())
            .args(["install", "cargo-deny", "--version", &format!("={CARGO_DENY_VERSION}"), "--locked", "--force"])
            .arg("--root")
            .arg(&install_root)
            .arg("--target-dir")
            .arg(&build)
            .current_dir(root()),
        &format!("install cargo-deny {CARGO_DENY_VERSION} from crates.io"),
    )?;
    // About 1 GB of build artefacts nothing needs again.
    let _ = std::fs::remove_dir_all(&build);
    match installed_version(&bin) {
        Some(version) if version == CARGO_DENY_VERSION => Ok(bin),
        other => Err(format!("{} reports version {other:?} after installing {CARGO_DENY_VERSION}", bin.display())),
    }
}

/// `0.20.2` from `cargo-deny 0.20.2`, or `None` when the binary is missing or broken.
fn installed_version(bin: &Path) -> Option<String> {
    let output = Command::new(bin).arg("--version").stderr(Stdio::null()).output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    output.status.success().then(|| text.trim().rsplit(' ').next().map(str::to_owned)).flatten()
}

/// The offline RustSec snapshot: `$IDENTITY_ADVISORY_DB`, or `../shared/advisory-db` next to
/// the checkout.
fn snapshot_dir() -> PathBuf {
    let dir = std::env::var_os("IDENTITY_ADVISORY_DB")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/advisory-db"));
    std::fs::canonicalize(&dir).unwrap_or(dir)
}

/// The snapshot's date, from its README ("… commit <sha>, 2026-08-21)"): the first
/// `YYYY-MM-DD` in it.
fn snapshot_date(snapshot: &Path) -> Result<String> {
    let readme = snapshot.join("README.md");
    let text = std::fs::read_to_string(&readme).map_err(|e| {
        format!(
            "cannot read the advisory snapshot's {}: {e} (set IDENTITY_ADVISORY_DB to the snapshot's directory)",
            readme.display()
        )
    })?;
    text.split(|c: char| !(c.is_ascii_digit() || c == '-'))
        .find(|word| word.len() == 10 && unix_midnight(word).is_some())
        .map(str::to_owned)
        .ok_or_else(|| format!("{} names no snapshot date (YYYY-MM-DD)", readme.display()))
}

/// Lays the snapshot out as cargo-deny expects a fetched database: `<db>/crates/…` and
/// `<db>/.git/FETCH_HEAD`, whose modification time cargo-deny takes as the time of the last
/// fetch. It is set to the snapshot's date, so `maximum-db-staleness` measures the snapshot's
/// real age.
fn lay_out_db(snapshot: &Path, date: &str, db: &Path) -> Result {
    let crates = snapshot.join("crates");
    if !crates.is_dir() {
        return Err(format!("the advisory snapshot has no {} directory", crates.display()));
    }
    let _ = std::fs::remove_dir_all(db);
    copy_dir(&crates, &db.join("crates"))?;
    let git = db.join(".git");
    std::fs::create_dir_all(&git).map_err(|e| format!("cannot create {}: {e}", git.display()))?;
    let fetch_head = std::fs::File::create(git.join("FETCH_HEAD"))
        .map_err(|e| format!("cannot create {}: {e}", git.join("FETCH_HEAD").display()))?;
    let midnight = unix_midnight(date).ok_or_else(|| format!("not a date: {date}"))?;
    let fetched = SystemTime::UNIX_EPOCH + Duration::from_secs(midnight);
    fetch_head.set_modified(fetched).map_err(|e| format!("cannot date {}: {e}", git.join("FETCH_HEAD").display()))?;
    let age = SystemTime::now().duration_since(fetched).unwrap_or_default().as_secs() / 86_400;
    eprintln!("xtask: RustSec advisory snapshot of {date} ({age} days old) from {}", snapshot.display());
    if age > 90 {
        eprintln!("xtask: the snapshot is over 90 days old: advisories published since {date} are not checked");
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result {
    std::fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    let entries = std::fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", from.display()))?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        if source.is_dir() {
            copy_dir(&source, &target)?;
        } else {
            std::fs::copy(&source, &target).map_err(|e| format!("cannot copy {}: {e}", source.display()))?;
        }
    }
    Ok(())
}

/// Seconds from the Unix epoch to midnight UTC of `YYYY-MM-DD` (Hinnant's `days_from_civil`).
fn unix_midnight(date: &str) -> Option<u64> {
    let mut parts = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (year, month, day) = (parts.next()??, parts.next()??, parts.next()??);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    u64::try_from((era * 146_097 + day_of_era - 719_468) * 86_400).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_midnight_utc() {
        assert_eq!(unix_midnight("1970-01-01"), Some(0));
        assert_eq!(unix_midnight("2026-08-21"), Some(1_787_270_400));
        assert_eq!(unix_midnight("2024-02-29"), Some(1_709_164_800));
        assert_eq!(unix_midnight("2026-13-01"), None);
        assert_eq!(unix_midnight("bf5c0d2-45"), None);
    }
}
