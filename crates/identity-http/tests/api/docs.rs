//! The docs are true to the code: `docs/configuration.md` names exactly the variables the
//! service reads, the README's commands run as pasted, and no link leaves the repository.
//! Repository checks, run as ordinary tests (like rust-analyzer's `tidy.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::helpers::{Process, free_port, server_command};

/// The workspace root. `CARGO_MANIFEST_DIR` is read at run time first: with a target
/// directory shared by several checkouts, the compiled-in path may be another tree's.
pub(crate) fn root() -> PathBuf {
    let manifest =
        std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| env!("CARGO_MANIFEST_DIR").into(), PathBuf::from);
    manifest.join("../..").canonicalize().unwrap()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Every file under `dir` whose name ends with `suffix`, skipping build output, installed
/// tools and hidden directories.
fn files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if !name.starts_with('.') && !matches!(name.as_str(), "target" | "node_modules" | "dist") {
                    pending.push(path);
                }
            } else if name.ends_with(suffix) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Whether `word` looks like an environment variable: `PORT`, `DATABASE_URL`.
fn is_variable(word: &str) -> bool {
    word.len() > 1
        && word.starts_with(|c: char| c.is_ascii_uppercase())
        && word.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// The words in backticks in `text`.
fn backticked(text: &str) -> impl Iterator<Item = &str> {
    text.split('`').skip(1).step_by(2)
}

/// Every `"NAME"` string literal in `code` that is a variable name.
fn quoted_variables(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find('"') {
        rest = &rest[at + 1..];
        let len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
        if rest[len..].starts_with('"') && is_variable(&rest[..len]) {
            found.insert(rest[..len].to_owned());
        }
    }
    found
}

/// The service's code in `dir` (every `.rs` file, without its `#[cfg(test)]` module).
fn service_code(dir: &Path) -> String {
    files(dir, ".rs")
        .iter()
        .map(|path| {
            let code = read(path);
            code.split("#[cfg(test)]").next().unwrap_or_default().to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The variables `docs/configuration.md` names: in the first column of its tables, and in
/// backticks anywhere (those with an underscore: `DATABASE_URL`, not `JSON`).
fn documented() -> (BTreeSet<String>, BTreeSet<String>) {
    let doc = read(&root().join("docs/configuration.md"));
    let mut in_tables = BTreeSet::new();
    let mut anywhere = BTreeSet::new();
    for line in doc.lines() {
        if let Some(row) = line.strip_prefix('|') {
            // Every cell: the secrets table gives the `_FILE` forms in its second column.
            in_tables.extend(backticked(row).filter(|w| is_variable(w)).map(str::to_owned));
            let first = row.split('|').next().unwrap_or_default();
            anywhere.extend(backticked(first).filter(|w| is_variable(w)).map(str::to_owned));
        }
        anywhere.extend(backticked(line).filter(|w| is_variable(w) && w.contains('_')).map(str::to_owned));
    }
    (in_tables, anywhere)
}

#[test]
fn configuration_md_names_only_variables_the_code_reads() {
    let root = root();
    let service = quoted_variables(&service_code(&root.join("crates/identity-http/src")));
    // The tests' own variables are read by the test kits and helpers.
    let tests: BTreeSet<String> = files(&root.join("crates"), ".rs")
        .iter()
        .filter(|path| path.components().any(|c| matches!(c.as_os_str().to_str(), Some("tests" | "testkit"))))
        .flat_map(|path| quoted_variables(&read(path)))
        .chain(files(&root.join("crates"), "testkit.rs").iter().flat_map(|path| quoted_variables(&read(path))))
        .collect();
    let (_, named) = documented();
    assert!(named.len() > 40, "found only {named:?}");
    let unknown: Vec<&String> = named
        .iter()
        .filter(|name| if name.starts_with("TEST_") { !tests.contains(*name) } else { !service.contains(*name) })
        .collect();
    assert!(
        unknown.is_empty(),
        "docs/configuration.md names variables no code reads (no \"NAME\" in crates/identity-http/src): {unknown:?}"
    );
}

#[test]
fn every_variable_the_configuration_reads_is_documented() {
    let root = root();
    let src = root.join("crates/identity-http/src");
    // The configuration reads its variables by name (`Reader::get("NAME")`, …) in config.rs
    // and config/; nothing else in the service reads the environment.
    let mut config = service_code(&src.join("config"));
    config.push_str(read(&src.join("config.rs")).split("#[cfg(test)]").next().unwrap_or_default());
    let read_by_config = quoted_variables(&config);
    assert!(read_by_config.contains("DATABASE_URL") && read_by_config.len() > 40, "{read_by_config:?}");
    for path in files(&src, ".rs") {
        let code = read(&path);
        let config_module = path.starts_with(src.join("config")) || path == src.join("config.rs");
        assert!(
            config_module || !(code.contains("env::var") || code.contains("var_os(")),
            "{} reads the environment itself: read it in config.rs, and document it",
            path.display()
        );
    }
    let (in_tables, _) = documented();
    let missing: Vec<&String> = read_by_config.difference(&in_tables).collect();
    assert!(
        missing.is_empty(),
        "variables the configuration reads but docs/configuration.md does not list: {missing:?}"
    );
}

/// Relative links in the repository's Markdown lead to files in the repository: a reader of
/// the repository has nothing beside it.
#[test]
fn markdown_links_stay_inside_the_repository() {
    let root = root();
    let mut broken = Vec::new();
    for path in files(&root, ".md") {
        let text = read(&path);
        for link in text.split("](").skip(1).filter_map(|rest| rest.split(')').next()) {
            let target = link.split_whitespace().next().unwrap_or_default();
            let target = target.split('#').next().unwrap_or_default();
            if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let resolved = path.parent().unwrap().join(target).canonicalize();
            if !resolved.is_ok_and(|p| p.starts_with(&root)) {
                broken.push(format!("{}: {link}", path.strip_prefix(&root).unwrap().display()));
            }
        }
    }
    assert!(broken.is_empty(), "links to nothing or to outside the repository: {broken:#?}");
    let readme = read(&root.join("README.md"));
    assert!(!readme.contains("../"), "the README names a path outside the repository");
}

/// The README's commands in order: the database exists before the server that needs it
/// starts, and no command holds a placeholder to fill in.
#[test]
fn readme_commands_need_no_editing() {
    let readme = read(&root().join("README.md"));
    let createdb = readme.find("createdb ").expect("the README creates the database");
    let first_use = readme.find("DATABASE_URL=postgres").expect("the README runs on PostgreSQL");
    assert!(createdb < first_use, "the database is created after the command that needs it");
    for block in shell_blocks(&readme) {
        for placeholder in ["…", "<access_token>", "<token>"] {
            assert!(!block.contains(placeholder), "a command with {placeholder:?} to fill in:\n{block}");
        }
    }
}

/// The contents of the README's ```sh blocks.
fn shell_blocks(markdown: &str) -> Vec<String> {
    markdown.split("```sh\n").skip(1).filter_map(|rest| rest.split("\n```").next()).map(str::to_owned).collect()
}

/// The README's first curl example, pasted into a shell against a fresh server on the
/// embedded default: register, sign in, `GET /v1/auth/me` with the token.
#[tokio::test]
async fn the_readme_curl_example_runs_as_pasted() {
    let readme = read(&root().join("README.md"));
    let block = shell_blocks(&readme).into_iter().find(|b| b.contains("curl")).expect("a curl example");
    let port = free_port();
    let _server = Process(
        server_command(port).env("RUST_LOG", "warn").stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap(),
    );
    crate::helpers::wait_until_up(&format!("http://127.0.0.1:{port}/health")).await;
    let script = block.replace("localhost:8080", &format!("127.0.0.1:{port}"));
    let out =
        tokio::task::spawn_blocking(move || Command::new("sh").args(["-ec", &script]).output().unwrap()).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    // The last command prints the signed-in user.
    let me = stdout.lines().last().unwrap_or_default();
    let me: serde_json::Value = serde_json::from_str(me).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(me["user"]["email"], "ada@example.com", "{me}");
}
