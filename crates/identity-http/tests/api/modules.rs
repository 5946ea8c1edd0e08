#![allow(clippy::unwrap_used, clippy::expect_used)]

//! The modules of identity-http import no cycle: a lower module never reaches up to one that
//! uses it. Read from the source text: every `crate::…`, `super::…` and `self::…` path
//! (`use` trees with their `{…}` groups included, and paths inside string literals such as
//! `wrap = "…(crate::idempotency::middleware)"`), comments left out, resolved to the file
//! that defines the module it names. A module's test submodule counts as the module. A
//! parent naming its children by relative paths (`routes::configure` listing the handlers)
//! is the module tree itself, not an import, and is not counted.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;

/// Module → the modules it names, each with the first place it does (`file:line path`).
type Graph = BTreeMap<String, BTreeMap<String, String>>;

#[test]
fn identity_http_modules_import_no_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    read_modules(&src, &src, &mut files);
    let graph = graph(&files);
    // The source was read: the server wires the routes, a handler reports its errors.
    assert!(graph["server"].contains_key("routes"), "{graph:#?}");
    assert!(graph["routes::auth"].contains_key("error"), "{graph:#?}");
    let cycles = cycles(&graph);
    assert!(cycles.is_empty(), "identity-http's modules import each other in a cycle:\n\n{}", cycles.join("\n\n"));
}

/// The reader on small sources: groups, `super::super`, attribute strings, comments, a cycle.
#[test]
fn the_module_graph_reads_use_trees_and_strings_but_not_comments() {
    let files = [
        ("crate", "lib.rs", "pub mod a;\npub mod b;\npub mod c;\npub mod d;"),
        ("a", "a.rs", "use crate::{b::{self, X}, c::Y as Z};\n// crate::d::nothing\n/* crate::d */ fn f() {}"),
        ("b", "b.rs", "#[post(\"/x\", wrap = \"from_fn(crate::a::middleware)\")]\nfn g(_: &'static str) { '{'; }"),
        ("c", "c.rs", "let url = \"http://x\"; mod tests { use super::super::d::W; }"),
        ("d", "d/mod.rs", "pub fn h() { r#\"crate::a\"#; }\n"),
    ];
    let files: Vec<(String, String, String)> =
        files.iter().map(|(m, f, t)| (m.to_string(), f.to_string(), t.to_string())).collect();
    let graph = graph(&files);
    let names = |module: &str| graph[module].keys().cloned().collect::<Vec<_>>();
    assert_eq!(names("a"), ["b", "c"], "use groups, `self` in a group, renames; comments are no imports");
    assert_eq!(names("b"), ["a"], "a path in an attribute's string");
    assert_eq!(names("c"), ["d"], "`super::super` from a test submodule");
    assert_eq!(names("d"), ["a"], "a raw string");
    assert_eq!(graph["b"]["a"], "b.rs:1 crate::a::middleware");
    let cycles = cycles(&graph);
    assert_eq!(cycles.len(), 1, "{cycles:?}");
    assert!(cycles[0].starts_with("a → b → a"), "{}", cycles[0]);
}

/// Every `.rs` file under `dir` but the binary's root, as `(module, file, text)`.
fn read_modules(root: &Path, dir: &Path, files: &mut Vec<(String, String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            read_modules(root, &path, files);
            continue;
        }
        let relative = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
        let Some(stem) = relative.strip_suffix(".rs") else { continue };
        let module = match stem {
            "main" => continue, // the binary: its own crate, using this one as `identity_http`
            "lib" => "crate".to_owned(),
            _ => stem.strip_suffix("/mod").unwrap_or(stem).replace('/', "::"),
        };
        files.push((module, format!("src/{relative}"), std::fs::read_to_string(&path).unwrap()));
    }
}

fn graph(files: &[(String, String, String)]) -> Graph {
    let modules: BTreeSet<&str> = files.iter().map(|(module, _, _)| module.as_str()).collect();
    let mut graph = Graph::new();
    for (module, file, text) in files {
        let edges = graph.entry(module.clone()).or_default();
        let own: Vec<String> =
            if module == "crate" { Vec::new() } else { module.split("::").map(str::to_owned).collect() };
        for (line, inline, path) in references(text) {
            let mut at: Vec<String> = own.iter().chain(&inline).cloned().collect();
            for (i, segment) in path.iter().enumerate() {
                match segment.as_str() {
                    "crate" if i == 0 => at.clear(),
                    "super" => drop(at.pop()),
                    "self" => {}
                    name => at.push(name.to_owned()),
                }
            }
            let target = (0..=at.len())
                .rev()
                .map(|n| if n == 0 { "crate".to_owned() } else { at[..n].join("::") })
                .find(|name| modules.contains(name.as_str()))
                .unwrap();
            if target != *module {
                edges.entry(target).or_insert_with(|| format!("{file}:{line} {}", path.join("::")));
            }
        }
    }
    graph
}

#[derive(Debug, PartialEq)]
enum Token {
    Ident(String),
    PathSep,
    Punct(char),
    Str(String),
}

/// The source's tokens with their lines; comments, char literals and lifetimes left out.
fn tokens(text: &str) -> Vec<(usize, Token)> {
    let chars: Vec<char> = text.chars().collect();
    let (mut out, mut i, mut line) = (Vec::new(), 0, 1);
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            loop {
                match (at(i), at(i + 1)) {
                    ('/', '*') => (depth, i) = (depth + 1, i + 2),
                    ('*', '/') => (depth, i) = (depth - 1, i + 2),
                    ('\0', _) => break,
                    (ch, _) => (line, i) = (line + usize::from(ch == '\n'), i + 1),
                }
                if depth == 0 {
                    break;
                }
            }
        } else if c == '"' {
            let (start, mut text) = (line, String::new());
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    text.push(chars[i]);
                    i += 1;
                }
                line += usize::from(at(i) == '\n');
                text.push(at(i));
                i += 1;
            }
            out.push((start, Token::Str(text)));
            i += 1;
        } else if c == '\'' {
            // 'x' and '\n' are characters; 'a and 'static are lifetimes (the name follows).
            if at(i + 1) == '\\' {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == '\'' {
                i += 3;
            } else {
                i += 1;
            }
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while at(i).is_alphanumeric() || at(i) == '_' {
                i += 1;
            }
            let ident: String = chars[start..i].iter().collect();
            if matches!(ident.as_str(), "r" | "br") && matches!(at(i), '"' | '#') {
                // A raw string: r"…", r#"…"#.
                let hashes = chars[i..].iter().take_while(|c| **c == '#').count();
                let (start, mut text) = (line, String::new());
                i += hashes + 1;
                while i < chars.len() && !(chars[i] == '"' && chars[i + 1..].iter().take(hashes).all(|c| *c == '#')) {
                    line += usize::from(chars[i] == '\n');
                    text.push(chars[i]);
                    i += 1;
                }
                out.push((start, Token::Str(text)));
                i += hashes + 1;
            } else {
                out.push((line, Token::Ident(ident)));
            }
        } else if c == ':' && at(i + 1) == ':' {
            out.push((line, Token::PathSep));
            i += 2;
        } else {
            out.push((line, Token::Punct(c)));
            i += 1;
        }
    }
    out
}

/// Every path that starts with `crate`, `super` or `self`: its line, the inline modules it is
/// written in (`mod tests { … }`), its segments.
fn references(text: &str) -> Vec<(usize, Vec<String>, Vec<String>)> {
    let tokens = tokens(text);
    let ident = |i: usize| match tokens.get(i) {
        Some((_, Token::Ident(name))) => Some(name.as_str()),
        _ => None,
    };
    let (mut found, mut inline, mut depth, mut i) = (Vec::new(), Vec::<(String, usize)>::new(), 0, 0);
    while i < tokens.len() {
        let (line, token) = &tokens[i];
        let names = || inline.iter().map(|(name, _)| name.clone()).collect::<Vec<_>>();
        match token {
            Token::Ident(word) if word == "mod" && tokens.get(i + 2).is_some_and(|t| t.1 == Token::Punct('{')) => {
                depth += 1;
                inline.push((ident(i + 1).unwrap_or_default().to_owned(), depth));
                i += 3;
                continue;
            }
            Token::Ident(word)
                if matches!(word.as_str(), "crate" | "super" | "self")
                    && tokens.get(i + 1).is_some_and(|t| t.1 == Token::PathSep) =>
            {
                let mut paths = Vec::new();
                i = use_tree(&tokens, i, Vec::new(), &mut paths);
                found.extend(paths.into_iter().map(|path| (*line, names(), path)));
                continue;
            }
            Token::Str(text) => {
                for (start, _) in text.match_indices("crate::") {
                    let before = text[..start].chars().next_back();
                    if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                        continue;
                    }
                    let rest = &text[start..];
                    let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(rest.len());
                    let path = rest[..end].split("::").filter(|s| !s.is_empty()).map(str::to_owned).collect();
                    found.push((*line, names(), path));
                }
            }
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => {
                if inline.last().is_some_and(|(_, at)| *at == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// Reads the path (or `use` tree) at `i` onto `prefix`; every leaf path goes to `paths`.
/// Returns the index after it.
fn use_tree(tokens: &[(usize, Token)], mut i: usize, mut prefix: Vec<String>, paths: &mut Vec<Vec<String>>) -> usize {
    loop {
        match tokens.get(i).map(|t| &t.1) {
            Some(Token::Ident(name)) => prefix.push(name.clone()),
            Some(Token::Punct('{')) => {
                i += 1;
                while !matches!(tokens.get(i).map(|t| &t.1), Some(Token::Punct('}')) | None) {
                    let next = use_tree(tokens, i, prefix.clone(), paths);
                    i = if next == i { i + 1 } else { next };
                    if tokens.get(i).is_some_and(|t| t.1 == Token::Punct(',')) {
                        i += 1;
                    }
                }
                return i + 1;
            }
            _ => break, // `*`, or the end of the path
        }
        i += 1;
        if !tokens.get(i).is_some_and(|t| t.1 == Token::PathSep) {
            break;
        }
        i += 1;
    }
    // `Y as Z`: the rename is no part of the path.
    if tokens.get(i).is_some_and(|t| t.1 == Token::Ident("as".into())) {
        i += 2;
    }
    if !prefix.is_empty() {
        paths.push(prefix);
    }
    i
}

/// Each group of modules that import each other: one shortest cycle through it, then every
/// import inside the group with where it is written.
fn cycles(graph: &Graph) -> Vec<String> {
    let reaches = |from: &str| -> BTreeSet<String> {
        let (mut seen, mut queue) = (BTreeSet::new(), VecDeque::from([from.to_owned()]));
        while let Some(module) = queue.pop_front() {
            for next in graph.get(&module).into_iter().flat_map(BTreeMap::keys) {
                if seen.insert(next.clone()) {
                    queue.push_back(next.clone());
                }
            }
        }
        seen
    };
    let reach: BTreeMap<&String, BTreeSet<String>> = graph.keys().map(|m| (m, reaches(m))).collect();
    let mut done = BTreeSet::new();
    let mut found = Vec::new();
    for (module, reached) in &reach {
        if done.contains(*module) || !reached.contains(*module) {
            continue;
        }
        let group: BTreeSet<&String> = reached.iter().filter(|other| reach[other].contains(*module)).collect();
        done.extend(group.iter().map(|m| m.to_string()));
        // Breadth first from `module` inside the group, back to it.
        let mut previous: BTreeMap<&String, &String> = BTreeMap::new();
        let mut queue = VecDeque::from([*module]);
        'search: while let Some(at) = queue.pop_front() {
            for next in graph[at].keys().filter(|next| group.contains(next)) {
                if next == *module {
                    previous.insert(next, at);
                    break 'search;
                }
                if !previous.contains_key(next) {
                    previous.insert(next, at);
                    queue.push_back(next);
                }
            }
        }
        let mut cycle = vec![(*module).clone()];
        let mut at = previous[*module];
        while at != *module {
            cycle.push(at.clone());
            at = previous[at];
        }
        cycle.push((*module).clone());
        cycle.reverse();
        let imports: Vec<String> = group
            .iter()
            .flat_map(|from| {
                graph[*from]
                    .iter()
                    .filter(|(to, _)| group.contains(to))
                    .map(move |(to, place)| format!("    {from} → {to}: {place}"))
            })
            .collect();
        found.push(format!("{}\n{}", cycle.join(" → "), imports.join("\n")));
    }
    found
}
