//! `cargo xtask events [--check]`: the event contract in `docs/events/` (a JSON Schema per
//! event type) and the per-type sections of `docs/events.md`, generated from the payload types
//! of identity-core. The generator is the check: `crates/identity-core/tests/event_docs.rs`
//! compares the files with what the types give, and writes them when `IDENTITY_WRITE_EVENT_DOCS`
//! is set. So xtask needs none of identity-core's dependencies.

use crate::{Result, cargo_command};

pub fn events(check: bool) -> Result {
    let args = ["test", "--locked", "-q", "-p", "identity-core", "--test", "event_docs"];
    eprintln!("$ {}cargo {}", if check { "" } else { "IDENTITY_WRITE_EVENT_DOCS=1 " }, args.join(" "));
    let mut command = cargo_command();
    command.args(args);
    if check {
        command.env_remove("IDENTITY_WRITE_EVENT_DOCS");
    } else {
        command.env("IDENTITY_WRITE_EVENT_DOCS", "1");
    }
    let status = command.status().map_err(|e| format!("cannot run cargo: {e}"))?;
    match (status.success(), check) {
        (true, true) => eprintln!("xtask: docs/events/ and docs/events.md are up to date"),
        (true, false) => eprintln!("xtask: wrote docs/events/ and the generated part of docs/events.md"),
        (false, true) => return Err("the event docs are stale: run `cargo xtask events` and commit them".into()),
        (false, false) => return Err("generating the event docs failed: see the test output above".into()),
    }
    Ok(())
}
