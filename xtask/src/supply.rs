//! Supply chain: `cargo xtask audit` and `cargo xtask sbom`.
//!
//! `audit` runs `cargo deny check` with `deny.toml`: advisories (offline, against the RustSec
//! snapshot in `../shared/advisory-db` or `$IDENTITY_ADVISORY_DB`), licences, bans and sources.
//! cargo-deny is built from crates.io at a pinned version into `~/.cache/identity-tools` (or
//! `$IDENTITY_TOOLS_DIR`) when missing; nothing is skipped: a tool that cannot be installed or
//! a snapshot that cannot be read fails the check.
//!
//! `sbom` writes a CycloneDX 1.5 JSON SBOM of the `identity` binary (package `identity-http`):
//! the crates it is built from for one target, as `cargo tree -e normal` resolves them, with
//! the SHA-256 of every crate from `Cargo.lock`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use crate::deploy::{tool, tools_dir};
use crate::{Result, cargo_command, root};

/// The cargo-deny release `audit` runs. Raising it: change it here, run `cargo xtask audit`
/// (a cold build takes about 6 minutes on 2 cores) and check that [`DB_DIR`] still matches.
const CARGO_DENY_VERSION: &str = "0.20.2";

/// The directory cargo-deny looks for the default database (`db-urls`
/// https://github.com/rustsec/advisory-db) under `db-path`: the URL's last segment and an
/// XxHash64 of it (cargo-deny's `url_to_db_path`). If a new cargo-deny names it otherwise,
/// the check fails loudly ("failed to get 'FETCH_HEAD' metadata"): see `cargo deny -L debug`.
const DB_DIR: &str = "advisory-db-3157b0e258782691";

/// The package whose binary (`identity`) the SBOM describes.
const SERVICE_PACKAGE: &str = "identity-http";

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
        cargo_command()
            .args(["install", "cargo-deny", "--version", &format!("={CARGO_DENY_VERSION}"), "--locked", "--force"])
            .arg("--root")
            .arg(&install_root)
            .arg("--target-dir")
            .arg(&build),
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

/// `cargo xtask sbom [--target TRIPLE] [PATH]`: writes the SBOM (default
/// `target/sbom/identity.cdx.json`) for TRIPLE (default: this machine's).
pub fn sbom(args: &[String]) -> Result {
    let mut target = None;
    let mut path = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--target" => target = Some(args.next().ok_or("--target needs a target triple")?.clone()),
            other if other.starts_with('-') => return Err(format!("sbom: unknown option {other}")),
            other => path = Some(PathBuf::from(other)),
        }
    }
    let target = match target {
        Some(target) => target,
        None => host_triple()?,
    };
    let path = path.unwrap_or_else(|| root().join("target/sbom/identity.cdx.json"));
    let bom = service_bom(&target)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut text = serde_json::to_string_pretty(&bom).map_err(|e| format!("cannot render the SBOM: {e}"))?;
    text.push('\n');
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let count = bom["components"].as_array().map_or(0, Vec::len);
    eprintln!("xtask: wrote {} (CycloneDX 1.5, {count} components, target {target})", path.display());
    Ok(())
}

fn host_triple() -> Result<String> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let output =
        Command::new(&rustc).arg("-vV").current_dir(root()).output().map_err(|e| format!("cannot run {rustc}: {e}"))?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(str::to_owned)
        .ok_or_else(|| format!("`{rustc} -vV` names no host triple"))
}

/// The SBOM of the service for `target`. The graph comes from `cargo tree -e normal`, which
/// resolves features as `cargo build -p identity-http` does (cargo metadata's resolve unifies
/// the whole workspace, dev-dependencies included, and so lists crates the binary lacks); the
/// crates' details come from `cargo metadata`, their SHA-256 from `Cargo.lock`.
fn service_bom(target: &str) -> Result<Value> {
    let tree = cargo_output(&[
        "tree",
        "--locked",
        "-p",
        SERVICE_PACKAGE,
        "-e",
        "normal",
        "--target",
        target,
        "--prefix",
        "depth",
        "-f",
        "{p}",
    ])?;
    let graph = Graph::parse(&String::from_utf8_lossy(&tree))?;
    let metadata = cargo_output(&["metadata", "--format-version", "1", "--locked"])?;
    let metadata: Value =
        serde_json::from_slice(&metadata).map_err(|e| format!("cannot parse cargo metadata's output: {e}"))?;
    let lock_path = root().join("Cargo.lock");
    let lock = std::fs::read_to_string(&lock_path).map_err(|e| format!("cannot read {}: {e}", lock_path.display()))?;
    bom(&graph, &metadata, &lock_checksums(&lock))
}

fn cargo_output(args: &[&str]) -> Result<Vec<u8>> {
    let output = cargo_command()
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo {}: {e}", args[0]))?;
    if !output.status.success() {
        return Err(format!("`cargo {}` failed ({})", args.join(" "), output.status));
    }
    Ok(output.stdout)
}

/// A dependency graph of `name@version` keys.
struct Graph {
    root: String,
    deps: BTreeMap<String, BTreeSet<String>>,
}

impl Graph {
    /// Reads `cargo tree --prefix depth -f '{p}'`: lines such as `2actix-web v4.18.1`, each a
    /// dependency of the nearest line above it one level up. A crate already shown is shown
    /// again, marked `(*)`, without its dependencies.
    fn parse(tree: &str) -> Result<Self> {
        let mut deps = BTreeMap::<String, BTreeSet<String>>::new();
        let mut path: Vec<String> = Vec::new();
        let mut root = None;
        for line in tree.lines().filter(|l| !l.trim().is_empty()) {
            let unexpected = || format!("unexpected cargo tree line: {line}");
            let digits = line.find(|c: char| !c.is_ascii_digit()).unwrap_or(line.len());
            let depth: usize = line[..digits].parse().map_err(|_| unexpected())?;
            let mut words = line[digits..].split_whitespace();
            let (Some(name), Some(version)) = (words.next(), words.next().and_then(|v| v.strip_prefix('v'))) else {
                return Err(unexpected());
            };
            // One root, and no line deeper than one below the line above it.
            if depth > path.len() || (depth == 0 && root.is_some()) {
                return Err(unexpected());
            }
            let key = format!("{name}@{version}");
            path.truncate(depth);
            match path.last() {
                Some(parent) => deps.entry(parent.clone()).or_default().insert(key.clone()),
                None => root.replace(key.clone()).is_none(),
            };
            deps.entry(key.clone()).or_default();
            path.push(key);
        }
        Ok(Self { root: root.ok_or("cargo tree printed no crate")?, deps })
    }

    /// Everything the root reaches, not descending into crates for which `stop` holds.
    fn reach(&self, stop: impl Fn(&str) -> bool) -> BTreeSet<&str> {
        let mut seen = BTreeSet::from([self.root.as_str()]);
        let mut queue = VecDeque::from([self.root.as_str()]);
        while let Some(key) = queue.pop_front() {
            for dep in self.deps.get(key).into_iter().flatten() {
                if seen.insert(dep.as_str()) && !stop(dep) {
                    queue.push_back(dep.as_str());
                }
            }
        }
        seen
    }
}

/// `name@version` → the SHA-256 of its `.crate`, from Cargo.lock's `checksum` lines.
fn lock_checksums(lock: &str) -> BTreeMap<String, String> {
    let mut checksums = BTreeMap::new();
    for entry in lock.split("[[package]]").skip(1) {
        let field =
            |key: &str| entry.lines().find_map(|line| line.strip_prefix(key)?.strip_prefix(" = \"")?.strip_suffix('"'));
        if let (Some(name), Some(version), Some(checksum)) = (field("name"), field("version"), field("checksum")) {
            checksums.insert(format!("{name}@{version}"), checksum.to_owned());
        }
    }
    checksums
}

/// A CycloneDX 1.5 BOM of `graph`, its root as the described application. Crates reached only
/// through a proc-macro run at compile time and are marked `"scope": "excluded"`.
fn bom(graph: &Graph, metadata: &Value, checksums: &BTreeMap<String, String>) -> Result<Value> {
    let packages: BTreeMap<String, &Value> = metadata["packages"]
        .as_array()
        .ok_or("cargo metadata lists no packages")?
        .iter()
        .map(|p| {
            (format!("{}@{}", p["name"].as_str().unwrap_or_default(), p["version"].as_str().unwrap_or_default()), p)
        })
        .collect();
    let package = |key: &str| packages.get(key).copied().ok_or_else(|| format!("cargo metadata does not list {key}"));
    let is_proc_macro = |key: &str| {
        let targets = packages.get(key).and_then(|p| p["targets"].as_array());
        targets.into_iter().flatten().any(|t| t["kind"].as_array().into_iter().flatten().any(|k| k == "proc-macro"))
    };
    let all = graph.reach(|_| false);
    let runtime: BTreeSet<&str> = graph.reach(is_proc_macro).into_iter().filter(|k| !is_proc_macro(k)).collect();

    // Workspace crates are not published: no package URL.
    let bom_ref = |key: &str| match packages.get(key) {
        Some(p) if !p["source"].is_null() => format!("pkg:cargo/{key}"),
        _ => key.to_owned(),
    };
    let component = |key: &str, kind: &str| -> Result<Value> {
        let p = package(key)?;
        let mut c = json!({ "type": kind, "bom-ref": bom_ref(key), "name": p["name"], "version": p["version"] });
        if let Some(description) = p["description"].as_str() {
            c["description"] = json!(description.split_whitespace().collect::<Vec<_>>().join(" "));
        }
        if let Some(license) = p["license"].as_str() {
            // Old crates write `MIT/Apache-2.0`, which crates.io reads as `OR`.
            let expression = license.split('/').map(str::trim).collect::<Vec<_>>().join(" OR ");
            c["licenses"] = json!([{ "expression": expression }]);
        } else if let Some(file) = p["license_file"].as_str() {
            let file = Path::new(file).file_name().map(|f| f.to_string_lossy()).unwrap_or_default();
            c["licenses"] = json!([{ "license": { "name": format!("see {file} in the crate") } }]);
        }
        if !p["source"].is_null() {
            c["purl"] = json!(bom_ref(key));
        }
        if let Some(checksum) = checksums.get(key) {
            c["hashes"] = json!([{ "alg": "SHA-256", "content": checksum }]);
        }
        if let Some(repository) = p["repository"].as_str() {
            c["externalReferences"] = json!([{ "type": "vcs", "url": repository }]);
        }
        if kind != "application" && !runtime.contains(key) {
            c["scope"] = json!("excluded");
        }
        Ok(c)
    };

    let components =
        all.iter().filter(|k| **k != graph.root).map(|k| component(k, "library")).collect::<Result<Vec<_>>>()?;
    let dependencies: Vec<Value> = all
        .iter()
        .map(|key| {
            let depends_on: BTreeSet<String> = graph.deps.get(*key).into_iter().flatten().map(|d| bom_ref(d)).collect();
            json!({ "ref": bom_ref(key), "dependsOn": depends_on })
        })
        .collect();
    Ok(json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.5.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "metadata": {
            "tools": { "components": [{ "type": "application", "name": "cargo xtask sbom" }] },
            "component": component(&graph.root, "application")?,
        },
        "components": components,
        "dependencies": dependencies,
    }))
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

    #[test]
    fn reads_checksums_from_the_lock_file() {
        let lock = "version = 4\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"abc\"\ndependencies = [\n \"b\",\n]\n\n[[package]]\nname = \"b\"\nversion = \"0.1.0\"\n";
        assert_eq!(lock_checksums(lock), BTreeMap::from([("a@1.0.0".to_owned(), "abc".to_owned())]));
    }

    #[test]
    fn reads_the_cargo_tree_graph() {
        let tree = "0app v0.1.0 (/src/app)\n1a v1.0.0\n2c v0.3.1\n1b v2.0.0\n2a v1.0.0 (*)\n2m v1.2.0 (proc-macro)\n3c v0.3.1 (*)\n";
        let graph = Graph::parse(tree).unwrap();
        assert_eq!(graph.root, "app@0.1.0");
        let deps = |k: &str| graph.deps[k].iter().map(String::as_str).collect::<Vec<_>>();
        assert_eq!(deps("app@0.1.0"), ["a@1.0.0", "b@2.0.0"]);
        assert_eq!(deps("b@2.0.0"), ["a@1.0.0", "m@1.2.0"]);
        assert_eq!(deps("m@1.2.0"), ["c@0.3.1"]);
        assert!(deps("c@0.3.1").is_empty());
        assert_eq!(graph.reach(|k| k == "m@1.2.0").len(), 5);
        assert!(Graph::parse("1a v1.0.0\n").is_err());
    }

    #[test]
    fn the_service_sbom_is_cyclonedx() {
        let bom = service_bom(&host_triple().unwrap()).unwrap();
        assert_eq!(bom["bomFormat"], "CycloneDX");
        assert_eq!(bom["specVersion"], "1.5");
        assert_eq!(bom["metadata"]["component"]["name"], SERVICE_PACKAGE);
        let components = bom["components"].as_array().unwrap();
        let actix = components.iter().find(|c| c["name"] == "actix-web").expect("actix-web is a component");
        let purl = actix["purl"].as_str().unwrap();
        assert_eq!(purl, format!("pkg:cargo/actix-web@{}", actix["version"].as_str().unwrap()));
        assert_eq!(actix["hashes"][0]["alg"], "SHA-256");
        assert_eq!(actix["hashes"][0]["content"].as_str().unwrap().len(), 64);
        assert!(actix["licenses"][0]["expression"].as_str().unwrap().contains("MIT"));
        assert!(actix.get("scope").is_none());
        let serde_derive = components.iter().find(|c| c["name"] == "serde_derive").unwrap();
        assert_eq!(serde_derive["scope"], "excluded", "proc-macros run at build time only");
        // Dev-dependencies are not part of the binary.
        assert!(!components.iter().any(|c| c["name"] == "criterion"));
        // The service speaks HTTP/1.1 only (docs/operations.md, "Supply chain").
        assert!(!components.iter().any(|c| c["name"] == "h2"), "h2 is back in the service's tree");
        let service = bom["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["ref"] == bom["metadata"]["component"]["bom-ref"]);
        assert!(service.unwrap()["dependsOn"].as_array().unwrap().iter().any(|r| r.as_str() == Some(purl)));
    }
}
