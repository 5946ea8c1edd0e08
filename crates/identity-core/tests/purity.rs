//! identity-core stays pure (SPEC §2): no web framework, database driver, cache or broker
//! client, async runtime, or crypto implementation among its normal dependencies.

use std::process::Command;

const FORBIDDEN: &[&str] = &[
    "actix-web",
    "actix-rt",
    "actix-http",
    "diesel",
    "diesel-async",
    "deadpool",
    "deadpool-redis",
    "redis",
    "lapin",
    "tokio",
    "argon2",
    "pasetors",
    "reqwest",
    "hyper",
];

#[test]
fn identity_core_has_no_infrastructure_dependencies() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["tree", "--offline", "-p", "identity-core", "-e", "normal", "--prefix", "none", "--format", "{p}"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(output.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&output.stderr));
    let tree = String::from_utf8_lossy(&output.stdout);
    let crates: Vec<&str> = tree.lines().filter_map(|l| l.split_whitespace().next()).collect();
    assert!(crates.contains(&"serde"), "the tree was read: {crates:?}");
    let leaks: Vec<&&str> = crates.iter().filter(|c| FORBIDDEN.contains(c)).collect();
    assert!(leaks.is_empty(), "identity-core depends on {leaks:?}; keep infrastructure in the adapters");
}
