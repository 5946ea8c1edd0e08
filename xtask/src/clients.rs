//! `cargo xtask clients [--check]`: the generated API clients under `clients/` (see
//! `clients/README.md`).
//!
//! Without `--check` it regenerates them from `docs/openapi.json`: the TypeScript types with
//! openapi-typescript (npm, pinned by `clients/typescript/package-lock.json`, installed with
//! `npm ci` into `clients/typescript/node_modules`), the Python package with
//! openapi-python-client (PyPI, pinned in `clients/python/requirements.txt`, in a virtual
//! environment under `~/.cache/identity-tools`). Only `typescript/src/schema.ts` and
//! `python/identity_client/` are generated; the packaging files around them (`package.json`,
//! `tsconfig.json`, `pyproject.toml`, `py.typed`) and the examples are hand-written.
//!
//! With `--check` it generates them into a temporary directory and fails if the checked-in ones
//! differ, then installs each client the way its README says, into an empty project of its own
//! under `target/clients/`, and runs its example from there against a server it starts (the
//! embedded default):
//!
//! - TypeScript: `tsc` builds `dist/` (`.js` + `.d.ts`, strict), `npm pack` makes the tarball,
//!   an empty npm project installs it (with the pinned `typescript` and `@types/node`), then
//!   type-checks `example/flow.ts` there (`example/tsconfig.json`, strict) and runs it with node;
//!   it imports `@identity/client` by name, so only the installed package can answer.
//! - Python: a fresh virtual environment `pip install`s `clients/python` (its
//!   `pyproject.toml`), then `mypy --strict` checks `example/flow.py` against the installed
//!   package (its `py.typed`) and the example runs from that directory, without `PYTHONPATH`.
//!
//! Every step runs and reports; any failure fails.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::server::{Backend, Server};
use crate::{Result, deploy, root};

const ADMIN_EMAIL: &str = "clients-admin@example.com";
const ADMIN_PASSWORD: &str = "clients example admin passphrase";

pub fn clients(check: bool) -> Result {
    let started = Instant::now();
    let typescript = root().join("clients/typescript");
    npm_ci(&typescript, &typescript)?;
    let python = deploy::venv("clients-python", &root().join("clients/python/requirements.txt"))?;
    let tools_ready = started.elapsed();
    if !check {
        generate(&root().join("clients"), &python)?;
        eprintln!("xtask: regenerated clients/ from docs/openapi.json in {:.1}s", started.elapsed().as_secs_f64());
        return Ok(());
    }

    let mut failures = Vec::new();
    let scratch = std::env::temp_dir().join(format!("identity-clients-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    generate(&scratch, &python)?;
    for generated in ["typescript/src/schema.ts", "python/identity_client"] {
        let stale = differences(&scratch.join(generated), &root().join("clients").join(generated));
        if !stale.is_empty() {
            let files = if stale == [""] { "its content differs".to_owned() } else { stale.join(", ") };
            eprintln!("xtask: clients/{generated} is stale: {files}");
            failures.push(format!("clients/{generated} is stale: run `cargo xtask clients` and commit it"));
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);

    // Each client installed into an empty project of its own, as its README says.
    let projects = root().join("target/clients");
    let ts_project = projects.join("typescript-project");
    let py_project = projects.join("python-project");
    for project in [&ts_project, &py_project] {
        let _ = std::fs::remove_dir_all(project);
        std::fs::create_dir_all(project).map_err(|e| format!("cannot create {}: {e}", project.display()))?;
    }

    // TypeScript: build, pack, install the tarball, type-check the example against it. tsc
    // emits the JavaScript even when a type is wrong, so the example still runs below.
    let _ = std::fs::remove_dir_all(typescript.join("dist"));
    step(
        &mut failures,
        "tsc --strict: build clients/typescript into dist/ (.js + .d.ts)",
        Command::new(typescript.join("node_modules/.bin/tsc")).args(["-p", "tsconfig.json"]).current_dir(&typescript),
    );
    let npm = std::env::var("NPM").unwrap_or_else(|_| "npm".into());
    // dist/ is built above: no prepack build a second time.
    step(
        &mut failures,
        "npm pack (clients/typescript)",
        Command::new(&npm)
            .args(["pack", "--ignore-scripts", "--silent", "--pack-destination"])
            .arg(&ts_project)
            .current_dir(&typescript),
    );
    let installing = "npm install the tarball into an empty project (target/clients/typescript-project)";
    match typescript_project(&typescript, &ts_project) {
        Ok(packages) => step(
            &mut failures,
            installing,
            Command::new(&npm)
                .args(["install", "--save-exact", "--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund"])
                .args(packages)
                .current_dir(&ts_project),
        ),
        Err(e) => failures.push(format!("{installing}: {e}")),
    }
    step(
        &mut failures,
        "tsc --strict: the example in that project, against the installed package",
        Command::new(ts_project.join("node_modules/.bin/tsc")).args(["-p", "tsconfig.json"]).current_dir(&ts_project),
    );

    // Python: a fresh venv, `pip install clients/python`, the example type-checked against it.
    std::fs::copy(root().join("clients/python/example/flow.py"), py_project.join("flow.py"))
        .map_err(|e| format!("cannot copy the Python example: {e}"))?;
    let venv_python = py_project.join("venv/bin/python");
    let base = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    step(
        &mut failures,
        "python -m venv (target/clients/python-project/venv)",
        Command::new(&base).args(["-m", "venv", "venv"]).current_dir(&py_project),
    );
    step(
        &mut failures,
        "pip install clients/python into that venv",
        isolated(Command::new(&venv_python).args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--quiet",
        ]))
        .arg(root().join("clients/python"))
        .current_dir(&py_project),
    );
    step(
        &mut failures,
        "identity_client is imported from the venv, not the source tree",
        isolated(Command::new(&venv_python).args([
            "-c",
            "import sys, identity_client; f = identity_client.__file__; print(f); \
             sys.exit(0 if f.startswith(sys.prefix + '/') else f'not installed in {sys.prefix}')",
        ]))
        .current_dir(&py_project),
    );
    let bin = python.parent().map(Path::to_path_buf).unwrap_or_default();
    step(
        &mut failures,
        "mypy --strict: the example, against the installed package",
        isolated(Command::new(bin.join("mypy")).args(["--strict", "--no-incremental", "--python-executable"]))
            .arg(&venv_python)
            .arg("flow.py")
            .current_dir(&py_project),
    );

    let binary = crate::server::build()?;
    let log = root().join("target/clients/server.log");
    // Both examples sign in, register and ask for resets from one address within a minute:
    // more than the default auth rate limit (10) allows.
    let env = [("BOOTSTRAP_ADMIN_EMAIL", ADMIN_EMAIL), ("RATE_LIMIT_AUTH_PER_MINUTE", "1000")];
    let server = Server::start(&binary, Backend::Embedded, &env, &log)?;
    server.sign_up(ADMIN_EMAIL, ADMIN_PASSWORD)?;
    let example = |command: &mut Command| {
        command
            .env("IDENTITY_BASE_URL", &server.base)
            .env("IDENTITY_MAIL_LOG", &server.log)
            .env("IDENTITY_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("IDENTITY_ADMIN_PASSWORD", ADMIN_PASSWORD);
    };
    let node = std::env::var("NODE").unwrap_or_else(|_| "node".into());
    let mut ts = Command::new(node);
    ts.arg("dist/flow.js").current_dir(&ts_project);
    example(&mut ts);
    step(&mut failures, "TypeScript example (installed @identity/client, target/clients/typescript-project)", &mut ts);
    let mut py = Command::new(&venv_python);
    py.arg("flow.py").current_dir(&py_project);
    example(isolated(&mut py));
    step(&mut failures, "Python example (installed identity-client, target/clients/python-project)", &mut py);
    drop(server);

    eprintln!(
        "xtask: clients check took {:.1}s ({:.1}s of it getting the tools ready)",
        started.elapsed().as_secs_f64(),
        tools_ready.as_secs_f64()
    );
    if failures.is_empty() {
        eprintln!("xtask: the generated clients are up to date, type-check and work");
        return Ok(());
    }
    for failure in &failures {
        eprintln!("xtask: FAILED: {failure}");
    }
    Err(format!("the clients check failed ({} of its steps)", failures.len()))
}

/// Runs one step of the check, noting its failure instead of stopping.
fn step(failures: &mut Vec<String>, what: &str, command: &mut Command) {
    let args: Vec<_> = command.get_args().map(|a| a.to_string_lossy()).collect();
    eprintln!("\nxtask: {what}\n$ {} {}", command.get_program().to_string_lossy(), args.join(" "));
    let started = Instant::now();
    match command.status() {
        Ok(status) if status.success() => eprintln!("xtask: {what}: ok ({:.1}s)", started.elapsed().as_secs_f64()),
        Ok(status) => failures.push(format!("{what} ({status})")),
        Err(e) => failures.push(format!("{what}: did not start: {e}")),
    }
}

/// A Python command that sees only what its own environment installed: no `PYTHONPATH` or
/// `MYPYPATH` from the caller (the source tree must not answer an import).
fn isolated(command: &mut Command) -> &mut Command {
    command.env_remove("PYTHONPATH").env_remove("MYPYPATH").env_remove("PYTHONHOME").env_remove("VIRTUAL_ENV")
}

/// Lays out the empty npm project the TypeScript example runs in: `package.json` (nothing but
/// a name and ESM), the example and its `tsconfig.json`. Returns what `npm install` installs
/// there: the tarball `npm pack` left in it, and the `typescript` and `@types/node` that
/// `clients/typescript/package.json` pins.
fn typescript_project(typescript: &Path, project: &Path) -> Result<Vec<String>> {
    let manifest = r#"{ "name": "identity-client-example", "private": true, "type": "module" }"#;
    std::fs::write(project.join("package.json"), format!("{manifest}\n")).map_err(|e| e.to_string())?;
    for file in ["flow.ts", "tsconfig.json"] {
        std::fs::copy(typescript.join("example").join(file), project.join(file))
            .map_err(|e| format!("cannot copy example/{file}: {e}"))?;
    }
    let tarball = std::fs::read_dir(project)
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .find(|name| name.ends_with(".tgz"))
        .ok_or("npm pack left no tarball")?;
    let client: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(typescript.join("package.json"))
            .map_err(|e| format!("cannot read package.json: {e}"))?,
    )
    .map_err(|e| format!("clients/typescript/package.json: {e}"))?;
    let mut packages = vec![format!("./{tarball}")];
    for tool in ["typescript", "@types/node"] {
        let version = client["devDependencies"][tool]
            .as_str()
            .ok_or_else(|| format!("clients/typescript/package.json pins no {tool} in devDependencies"))?;
        packages.push(format!("{tool}@{version}"));
    }
    Ok(packages)
}

/// Generates both clients from docs/openapi.json under `out` (`typescript/src/schema.ts`,
/// `python/identity_client/`).
fn generate(out: &Path, python: &Path) -> Result {
    let document = root().join("docs/openapi.json");
    let typescript = root().join("clients/typescript");
    let schema = out.join("typescript/src/schema.ts");
    deploy::tool(
        Command::new(typescript.join("node_modules/.bin/openapi-typescript")).arg(&document).arg("-o").arg(&schema),
        "generate the TypeScript client",
    )?;
    let bin = python.parent().map(Path::to_path_buf).unwrap_or_default();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![bin.clone()];
    paths.extend(std::env::split_paths(&path));
    let package = out.join("python/identity_client");
    deploy::tool(
        Command::new(bin.join("openapi-python-client"))
            .args(["generate", "--meta", "none", "--overwrite", "--path"])
            .arg(&document)
            .arg("--output-path")
            .arg(&package)
            .arg("--config")
            .arg(root().join("clients/python/generator.yaml"))
            // Its ruff hooks: the pinned ruff first on the PATH, no .ruff_cache in the tree.
            .env("PATH", std::env::join_paths(paths).map_err(|e| e.to_string())?)
            .env("RUFF_NO_CACHE", "true")
            .env("PYTHONDONTWRITEBYTECODE", "1"),
        "generate the Python client",
    )
}

/// `npm ci` in `dir` (its package.json and package-lock.json) when `node_modules` was not
/// installed from this very lock file; `modules` is where node_modules lands.
pub fn npm_ci(dir: &Path, modules: &Path) -> Result {
    let lock = std::fs::read_to_string(dir.join("package-lock.json"))
        .map_err(|e| format!("cannot read {}/package-lock.json: {e}", dir.display()))?;
    let mark = modules.join("node_modules/.installed-package-lock.json");
    if std::fs::read_to_string(&mark).is_ok_and(|installed| installed == lock) {
        return Ok(());
    }
    if dir != modules {
        std::fs::create_dir_all(modules).map_err(|e| format!("cannot create {}: {e}", modules.display()))?;
        for file in ["package.json", "package-lock.json"] {
            std::fs::copy(dir.join(file), modules.join(file)).map_err(|e| format!("cannot copy {file}: {e}"))?;
        }
    }
    eprintln!("xtask: installing the npm packages of {} (npm ci) into {}", dir.display(), modules.display());
    let npm = std::env::var("NPM").unwrap_or_else(|_| "npm".into());
    deploy::tool(
        Command::new(npm).args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"]).current_dir(modules),
        "install npm packages: this needs Node.js 20+ and npm",
    )?;
    std::fs::write(&mark, lock).map_err(|e| format!("cannot write {}: {e}", mark.display()))
}

/// The files that differ between two generated trees (or files), by relative path.
fn differences(generated: &Path, committed: &Path) -> Vec<String> {
    let (a, b) = (files(generated), files(committed));
    let mut stale: Vec<String> = a
        .iter()
        .filter(|(path, bytes)| b.get(*path) != Some(bytes))
        .map(|(path, _)| path.clone())
        .chain(b.keys().filter(|path| !a.contains_key(*path)).cloned())
        .collect();
    stale.sort();
    stale.dedup();
    stale
}

/// Every file under `path` (or `path` itself) by its path relative to `path`, `__pycache__` left out.
fn files(path: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &PathBuf, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if entry.file_name() != "__pycache__" {
                    walk(base, &path, out);
                }
            } else if let Ok(bytes) = std::fs::read(&path) {
                let relative = path.strip_prefix(base).unwrap_or(&path).to_string_lossy().into_owned();
                out.insert(relative, bytes);
            }
        }
    }
    let mut out = BTreeMap::new();
    if path.is_file() {
        out.insert(String::new(), std::fs::read(path).unwrap_or_default());
    } else {
        walk(path, &path.to_path_buf(), &mut out);
    }
    out
}
