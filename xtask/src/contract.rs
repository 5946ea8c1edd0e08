//! `cargo xtask contract [--backend embedded|postgres] [--role anonymous|user|service|admin]`: the
//! HTTP contract check. Schemathesis (PyPI, pinned in `xtask/contract/requirements.txt`)
//! generates requests from the server's own OpenAPI document (`/openapi.json`) and checks every
//! answer against it: all phases (examples, coverage, fuzzing, stateful), all checks, a fixed
//! seed and a bounded number of examples per operation, so a run is reproducible and fits CI.
//!
//! It runs against a real server (built and started here) on the embedded default and on
//! PostgreSQL + Redis (a fresh database and key prefix, dropped after), each time as an
//! anonymous caller, a user, a service client holding every scope (HTTP Basic) and an admin
//! (in that order: the admin's requests may lock or delete accounts and revoke clients). `xtask/contract/hooks.py` keeps the user and admin signed in (the
//! generated requests log out on purpose) and points the admin settings connection check at a
//! stub HTTP server this process runs. No operation and no check is excluded; the refusals
//! that depend on state rather than on the request's shape are listed, each with its reason,
//! in [`REFUSALS`].
//!
//! Set on the server for the run, with the reason: `RATE_LIMIT_AUTH_PER_MINUTE=100000`,
//! `MAIL_COOLDOWN_SECONDS=0` and `LOGIN_BACKOFF_AFTER=0`, because thousands of generated
//! requests from one address would otherwise be answered 429 after the tenth and the contract
//! of everything behind the limits would go untested (429s are tested by the cargo tests).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use serde_json::{Value, json};

use crate::server::{Backend, Server, Stub};
use crate::{Result, deploy, root};

/// The seed of every run: the same requests each time (`--seed N` explores others).
const SEED: &str = "20250611";
/// Test cases per operation and phase: enough to find what the document gets wrong, small
/// enough for CI (`--max-examples N` for more).
const MAX_EXAMPLES: &str = "12";

/// A refusal of a request that fits the schema, for a reason no schema can state: the state
/// of the service, not the shape of the request.
///
/// `positive_data_acceptance` (ST202) expects a request that fits the schema to be accepted,
/// or answered 401, 403, 404, 409 or 429. Each entry here adds the status of its `code` to the
/// statuses that check expects from its operation (`schemathesis.toml`, written for the run),
/// and the check `refused_for_a_listed_reason` of `hooks.py` takes that status back unless
/// the answer's problem `code` is the one listed (`validation_failed/<field code>`: every field
/// error of the answer has that code). So the extra status covers only the listed reason.
struct Refusal {
    operation: &'static str,
    code: &'static str,
    why: &'static str,
}

const NEVER_ISSUED_TOKEN: &str = "a token of the documented form that no mail carried: the token is state, not shape";
const NEVER_ISSUED_CODE: &str =
    "a code of the documented form that no mail carried (or a registration never requested)";
const WRONG_PASSWORD: &str =
    "a password of the documented form that is not the account's: re-authentication checks the secret, not its shape";
const REUSED_KEY: &str =
    "the same generated `Idempotency-Key` sent again with another body: the key is state, not shape";
const COMMON_PASSWORD: &str =
    "a password on the common-passwords list (NIST SP 800-63B): a list of 16,000 entries is no schema";
const REPETITIVE_PASSWORD: &str = "a password that is mostly repeated characters or blocks (`zzzzzzzz9`, `blahblahblah`): how much of a string repeats is no schema";
const SEQUENTIAL_PASSWORD: &str =
    "a password that is mostly alphabet, digit or keyboard sequences (`mnopqrstu`, `poiuytrewq0`): no schema states it";
const CONTAINS_USERNAME: &str =
    "a password built on the account's username: no schema relates one field to another (or to the stored username)";
const SERVICE_NAME: &str =
    "a password built on the service's name (`identity123`): a word with little else around it is no schema";

const UNKNOWN_AGENT: &str = "an agent id of the documented form that names no enabled agent of the catalog: which agents exist is state, not shape";
const NO_PRECONDITION: &str = "a change of a versioned resource without `If-Match`: RFC 6585 has the server refuse it (428), and the document says the header is needed, but a header that must be sent is not a schema of the body";
const STALE_VERSION: &str =
    "an `If-Match` of the documented form that names no current version: which version is current is state, not shape";
const CONTAINS_EMAIL: &str = "a password that contains the account's email address: no schema relates one field to another (or to the stored address)";
const UNCHANGED: &str = "a new password that is the account's current one: which password that is, is state";
const ASTRAL_INVISIBLE: &str = "a name holding a tag or a variation selector of U+E0000-U+E0FFF, which the server refuses like every invisible character: no pattern can state that block portably (identity-core's `invisible_class`: the UTF-16 surrogates a non-Unicode-mode class would need are no valid pattern to Unicode-mode engines)";

const WRONG_CODE: &str = "a one-time code of the documented form that is not the one the authenticator shows now (or was used): the code is state, not shape";
const NEVER_ISSUED_CHALLENGE: &str = "a `challenge_id` of the documented form that no `start` answered (or that was finished): the ceremony is state, not shape";
const OPAQUE_CREDENTIAL: &str = "the passkey's answer is the browser's `PublicKeyCredential`, an object the document leaves open (its fields are the authenticator's); like every string of a body, its strings may not hold NUL, which no schema of an open object can state";
const REFUSED_CREDENTIAL: &str = "a passkey answer of the documented form that no authenticator made for this ceremony: a signature is state, not shape";

const NO_UPGRADE: &str = "a GET of the socket endpoint without the WebSocket handshake's headers (RFC 6455 §4.1: `Upgrade`, `Connection`, `Sec-WebSocket-Key`, `Sec-WebSocket-Version`), which are the protocol's, not parameters of the operation: schemathesis speaks HTTP, not WebSocket (the sockets are tested by tests/api/realtime.rs)";

const REFUSALS: &[Refusal] = &[
    Refusal { operation: "open_socket", code: "bad_request", why: NO_UPGRADE },
    Refusal { operation: "confirm_email_change", code: "invalid_token", why: NEVER_ISSUED_TOKEN },
    Refusal { operation: "confirm_totp", code: "validation_failed/invalid_code", why: WRONG_CODE },
    Refusal { operation: "reauthenticate", code: "validation_failed/invalid_code", why: WRONG_CODE },
    Refusal { operation: "reauthenticate", code: "validation_failed/incorrect", why: WRONG_PASSWORD },
    Refusal { operation: "reauthenticate", code: "validation_failed/unknown_challenge", why: NEVER_ISSUED_CHALLENGE },
    Refusal {
        operation: "finish_passkey_registration",
        code: "validation_failed/unknown_challenge",
        why: NEVER_ISSUED_CHALLENGE,
    },
    Refusal { operation: "finish_passkey_registration", code: "validation_failed/refused", why: REFUSED_CREDENTIAL },
    Refusal {
        operation: "finish_passkey_registration",
        code: "validation_failed/invalid_characters",
        why: OPAQUE_CREDENTIAL,
    },
    Refusal {
        operation: "finish_passkey_sign_in",
        code: "validation_failed/invalid_characters",
        why: OPAQUE_CREDENTIAL,
    },
    Refusal { operation: "login_mfa", code: "validation_failed/invalid_characters", why: OPAQUE_CREDENTIAL },
    Refusal { operation: "reauthenticate", code: "validation_failed/invalid_characters", why: OPAQUE_CREDENTIAL },
    Refusal { operation: "verify_email", code: "invalid_token", why: NEVER_ISSUED_TOKEN },
    Refusal { operation: "reset_password", code: "invalid_token", why: NEVER_ISSUED_TOKEN },
    Refusal { operation: "reset_password", code: "validation_failed/common_password", why: COMMON_PASSWORD },
    Refusal { operation: "register_confirm", code: "invalid_code", why: NEVER_ISSUED_CODE },
    Refusal { operation: "register", code: "validation_failed/common_password", why: COMMON_PASSWORD },
    Refusal { operation: "register", code: "idempotency_key_reused", why: REUSED_KEY },
    Refusal { operation: "register_request", code: "validation_failed/common_password", why: COMMON_PASSWORD },
    Refusal { operation: "admin_create_user", code: "idempotency_key_reused", why: REUSED_KEY },
    Refusal { operation: "admin_create_user", code: "validation_failed/common_password", why: COMMON_PASSWORD },
    Refusal { operation: "admin_create_group", code: "idempotency_key_reused", why: REUSED_KEY },
    Refusal { operation: "admin_create_agent", code: "idempotency_key_reused", why: REUSED_KEY },
    Refusal { operation: "create_instance", code: "idempotency_key_reused", why: REUSED_KEY },
    Refusal { operation: "create_instance", code: "validation_failed/unknown_agent", why: UNKNOWN_AGENT },
    Refusal { operation: "update_instance", code: "precondition_required", why: NO_PRECONDITION },
    Refusal { operation: "update_instance", code: "precondition_failed", why: STALE_VERSION },
    Refusal { operation: "delete_instance", code: "precondition_failed", why: STALE_VERSION },
    Refusal { operation: "change_password", code: "validation_failed/incorrect", why: WRONG_PASSWORD },
    Refusal { operation: "change_password", code: "validation_failed/common_password", why: COMMON_PASSWORD },
    Refusal { operation: "change_password", code: "validation_failed/unchanged", why: UNCHANGED },
    Refusal { operation: "delete_account", code: "validation_failed/incorrect", why: WRONG_PASSWORD },
    Refusal { operation: "register", code: "validation_failed/contains_email", why: CONTAINS_EMAIL },
    Refusal { operation: "register_request", code: "validation_failed/contains_email", why: CONTAINS_EMAIL },
    Refusal { operation: "admin_create_user", code: "validation_failed/contains_email", why: CONTAINS_EMAIL },
    Refusal { operation: "change_password", code: "validation_failed/contains_email", why: CONTAINS_EMAIL },
    Refusal { operation: "reset_password", code: "validation_failed/contains_email", why: CONTAINS_EMAIL },
    Refusal { operation: "register", code: "validation_failed/contains_username", why: CONTAINS_USERNAME },
    Refusal { operation: "register", code: "validation_failed/contains_service_name", why: SERVICE_NAME },
    Refusal { operation: "register", code: "validation_failed/repetitive_password", why: REPETITIVE_PASSWORD },
    Refusal { operation: "register", code: "validation_failed/sequential_password", why: SEQUENTIAL_PASSWORD },
    Refusal { operation: "register_request", code: "validation_failed/contains_username", why: CONTAINS_USERNAME },
    Refusal { operation: "register_request", code: "validation_failed/contains_service_name", why: SERVICE_NAME },
    Refusal { operation: "register_request", code: "validation_failed/repetitive_password", why: REPETITIVE_PASSWORD },
    Refusal { operation: "register_request", code: "validation_failed/sequential_password", why: SEQUENTIAL_PASSWORD },
    Refusal { operation: "admin_create_user", code: "validation_failed/contains_username", why: CONTAINS_USERNAME },
    Refusal { operation: "admin_create_user", code: "validation_failed/contains_service_name", why: SERVICE_NAME },
    Refusal { operation: "admin_create_user", code: "validation_failed/repetitive_password", why: REPETITIVE_PASSWORD },
    Refusal { operation: "admin_create_user", code: "validation_failed/sequential_password", why: SEQUENTIAL_PASSWORD },
    Refusal { operation: "change_password", code: "validation_failed/contains_username", why: CONTAINS_USERNAME },
    Refusal { operation: "change_password", code: "validation_failed/contains_service_name", why: SERVICE_NAME },
    Refusal { operation: "change_password", code: "validation_failed/repetitive_password", why: REPETITIVE_PASSWORD },
    Refusal { operation: "change_password", code: "validation_failed/sequential_password", why: SEQUENTIAL_PASSWORD },
    Refusal { operation: "reset_password", code: "validation_failed/contains_username", why: CONTAINS_USERNAME },
    Refusal { operation: "reset_password", code: "validation_failed/contains_service_name", why: SERVICE_NAME },
    Refusal { operation: "reset_password", code: "validation_failed/repetitive_password", why: REPETITIVE_PASSWORD },
    Refusal { operation: "reset_password", code: "validation_failed/sequential_password", why: SEQUENTIAL_PASSWORD },
    Refusal { operation: "admin_create_agent", code: "validation_failed/invalid_characters", why: ASTRAL_INVISIBLE },
    Refusal { operation: "admin_update_agent", code: "validation_failed/invalid_characters", why: ASTRAL_INVISIBLE },
    Refusal { operation: "admin_create_group", code: "validation_failed/invalid_characters", why: ASTRAL_INVISIBLE },
    Refusal { operation: "admin_update_group", code: "validation_failed/invalid_characters", why: ASTRAL_INVISIBLE },
    Refusal {
        operation: "admin_create_service_client",
        code: "validation_failed/invalid_characters",
        why: ASTRAL_INVISIBLE,
    },
    Refusal {
        operation: "admin_update_service_client",
        code: "validation_failed/invalid_characters",
        why: ASTRAL_INVISIBLE,
    },
    Refusal { operation: "admin_create_user", code: "validation_failed/invalid_characters", why: ASTRAL_INVISIBLE },
    Refusal { operation: "create_instance", code: "validation_failed/invalid_characters", why: ASTRAL_INVISIBLE },
    Refusal { operation: "update_instance", code: "validation_failed/invalid_characters", why: ASTRAL_INVISIBLE },
    Refusal { operation: "register", code: "validation_failed/invalid_characters", why: ASTRAL_INVISIBLE },
    Refusal { operation: "register_request", code: "validation_failed/invalid_characters", why: ASTRAL_INVISIBLE },
    Refusal { operation: "rename_device", code: "validation_failed/invalid_characters", why: ASTRAL_INVISIBLE },
    Refusal { operation: "update_profile", code: "validation_failed/invalid_characters", why: ASTRAL_INVISIBLE },
];

/// Checks that do not apply to an operation, each with the reason: the behaviour is the
/// documented one, not a gap. Written into `schemathesis.toml` as `enabled = false` for that
/// operation alone.
const EXEMPT: &[(&str, &str, &str)] = &[(
    "admin_get_user",
    "use_after_free",
    "DELETE /v1/admin/users/{id} is a soft delete: admins still read the account, with status \"deleted\", to restore it",
)];

/// The statuses `positive_data_acceptance` expects by default (schemathesis 4.32's list).
const ACCEPTED: [&str; 8] = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"];

/// `schemathesis.toml` for a run: per operation, the statuses of its [`REFUSALS`] (read from
/// the document's example problem of each code) added to what `positive_data_acceptance`
/// expects. Also the JSON the hooks read: operation id → those added statuses and the listed
/// codes.
fn refusal_config(document: &Value) -> Result<(String, String)> {
    let mut toml = String::from(
        "# Written by `cargo xtask contract` from REFUSALS and EXEMPT in xtask/src/contract.rs.\n\
         # Every check, on every operation but where EXEMPT says why not.\nchecks.enabled = true\n\n",
    );
    let mut codes = serde_json::Map::new();
    let mut operations: Vec<&str> = REFUSALS.iter().map(|r| r.operation).collect();
    operations.sort_unstable();
    operations.dedup();
    let known: Vec<&str> = document["paths"]
        .as_object()
        .into_iter()
        .flat_map(|paths| paths.values())
        .filter_map(Value::as_object)
        .flat_map(|item| item.values())
        .filter_map(|operation| operation["operationId"].as_str())
        .collect();
    for operation in operations {
        if !known.contains(&operation) {
            return Err(format!("REFUSALS names {operation}, which the document does not have"));
        }
        let mut statuses: Vec<String> = ACCEPTED.iter().map(|s| (*s).to_owned()).collect();
        let mut added = Vec::new();
        let mut listed = Vec::new();
        for refusal in REFUSALS.iter().filter(|r| r.operation == operation) {
            let problem = refusal.code.split('/').next().unwrap_or(refusal.code);
            let status = document["components"]["examples"][problem]["value"]["status"]
                .as_u64()
                .ok_or_else(|| format!("REFUSALS names {problem}, which is not a problem code of the document"))?;
            if !statuses.contains(&status.to_string()) {
                statuses.push(status.to_string());
                added.push(Value::from(status));
            }
            listed.push(Value::from(refusal.code));
            toml.push_str(&format!("# {operation}: {} ({})\n", refusal.code, refusal.why));
        }
        let quoted: Vec<String> = statuses.iter().map(|s| format!("\"{s}\"")).collect();
        toml.push_str(&format!(
            "[[operations]]\ninclude-operation-id = \"{operation}\"\nchecks.positive_data_acceptance.expected-statuses = [{}]\n\n",
            quoted.join(", ")
        ));
        codes.insert(operation.to_owned(), json!({ "statuses": added, "codes": listed }));
    }
    for (operation, check, why) in EXEMPT {
        if !known.contains(operation) {
            return Err(format!("EXEMPT names {operation}, which the document does not have"));
        }
        toml.push_str(&format!(
            "# {operation}: no {check} ({why})\n[[operations]]\ninclude-operation-id = \"{operation}\"\nchecks.{check}.enabled = false\n\n"
        ));
    }
    Ok((toml, Value::Object(codes).to_string()))
}

const USER_EMAIL: &str = "contract-user@example.com";
const ADMIN_EMAIL: &str = "contract-admin@example.com";
/// Not the document's example password, so generated password changes and account deletions
/// never guess it.
const PASSWORD: &str = "contract check passphrase 7f3a";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Anonymous,
    User,
    /// A service client with every scope, authenticating with HTTP Basic.
    Service,
    Admin,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Self::Anonymous => "anonymous",
            Self::User => "user",
            Self::Service => "service",
            Self::Admin => "admin",
        }
    }
}

/// One schemathesis run's outcome.
struct Outcome {
    label: String,
    cases: u64,
    seconds: f64,
    passed: bool,
    failures: Vec<String>,
}

pub fn contract(args: &[String]) -> Result {
    let started = Instant::now();
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).map(String::as_str);
    let backends: Vec<Backend> = match value("--backend") {
        None => vec![Backend::Embedded, Backend::Postgres],
        Some("embedded") => vec![Backend::Embedded],
        Some("postgres") => vec![Backend::Postgres],
        Some(other) => return Err(format!("unknown backend {other}: embedded or postgres")),
    };
    let roles: Vec<Role> = match value("--role") {
        None => vec![Role::Anonymous, Role::User, Role::Service, Role::Admin],
        Some("anonymous") => vec![Role::Anonymous],
        Some("user") => vec![Role::User],
        Some("service") => vec![Role::Service],
        Some("admin") => vec![Role::Admin],
        Some(other) => return Err(format!("unknown role {other}: anonymous, user, service or admin")),
    };
    let seed = value("--seed").unwrap_or(SEED);
    let max_examples = value("--max-examples").unwrap_or(MAX_EXAMPLES);
    for (flag, number) in [("--seed", seed), ("--max-examples", max_examples)] {
        if number.parse::<u64>().is_err() {
            return Err(format!("{flag} takes a whole number, not {number}"));
        }
    }
    let python = deploy::venv("contract", &root().join("xtask/contract/requirements.txt"))?;
    let st = python.with_file_name("st");
    let binary = crate::server::build()?;
    let tools_ready = started.elapsed();
    let stub = Stub::start()?;
    let reports = root().join("target/contract");
    let mut outcomes = Vec::new();
    for backend in backends {
        let log = reports.join(format!("{}-server.log", backend.name()));
        let server = Server::start(
            &binary,
            backend,
            &[
                ("BOOTSTRAP_ADMIN_EMAIL", ADMIN_EMAIL),
                ("RATE_LIMIT_AUTH_PER_MINUTE", "100000"),
                ("MAIL_COOLDOWN_SECONDS", "0"),
                ("LOGIN_BACKOFF_AFTER", "0"),
            ],
            &log,
        )?;
        let user_token = server.sign_up(USER_EMAIL, PASSWORD)?;
        let admin_token = server.sign_up(ADMIN_EMAIL, PASSWORD)?;
        let (status, _) = server.call("GET", "/v1/admin/users", Some(&admin_token), None)?;
        if status != 200 {
            return Err(format!("{ADMIN_EMAIL} is not an admin (GET /v1/admin/users answered {status})"));
        }
        // The stored settings the connection check tries when a request brings none.
        let settings = json!({ "provider": "openai", "base_url": stub.url, "api_key": "sk-contract-stub" });
        let (status, answer) = server.call("PATCH", "/v1/admin/settings/ai", Some(&admin_token), Some(&settings))?;
        if status != 200 {
            return Err(format!("storing the stub's URL in the ai settings answered {status}: {answer}"));
        }
        // The connection check reaches the stub (schemathesis' own requests may all be refused).
        let before = stub.hits();
        let (status, answer) = server.call("POST", "/v1/admin/settings/ai/test", Some(&admin_token), None)?;
        if status != 200 || answer["ok"] != Value::Bool(true) || stub.hits() == before {
            return Err(format!("the settings connection check did not reach the stub: {status} {answer}"));
        }
        let (status, document) = server.call("GET", "/openapi.json", None, None)?;
        if status != 200 {
            return Err(format!("GET /openapi.json answered {status}"));
        }
        // The service client of the service run, holding every scope the document lists.
        let scopes: Vec<&str> =
            document["components"]["securitySchemes"]["service_token"]["flows"]["clientCredentials"]["scopes"]
                .as_object()
                .map(|scopes| scopes.keys().map(String::as_str).filter(|s| !s.contains('{')).collect())
                .unwrap_or_default();
        let body = json!({ "name": "contract", "scopes": scopes });
        let (status, client) = server.call("POST", "/v1/admin/service-clients", Some(&admin_token), Some(&body))?;
        if status != 201 {
            return Err(format!("creating the contract's service client answered {status}: {client}"));
        }
        let service = (
            client["client_id"].as_str().unwrap_or_default().to_owned(),
            client["client_secret"].as_str().unwrap_or_default().to_owned(),
        );
        let (config, refusals) = refusal_config(&document)?;
        let run = Run { config, refusals, seed, max_examples };
        for &role in &roles {
            // The service client: its id and secret in the places of the email and token.
            let (email, token) = match role {
                Role::Anonymous => ("", ""),
                Role::User => (USER_EMAIL, user_token.as_str()),
                Role::Service => (service.0.as_str(), service.1.as_str()),
                Role::Admin => (ADMIN_EMAIL, admin_token.as_str()),
            };
            let label = format!("{} as {}", backend.name(), role.name());
            let dir = reports.join(format!("{}-{}", backend.name(), role.name()));
            outcomes.push(schemathesis(&st, &server, &stub, &label, &dir, role, email, token, &run)?);
        }
    }
    eprintln!("\nxtask: contract check, seed {seed}, at most {max_examples} examples per operation and phase");
    let mut failed = 0;
    for outcome in &outcomes {
        let verdict = if outcome.passed { "passed" } else { "FAILED" };
        eprintln!("  {:<32} {verdict:<6} {:>6} cases in {:>5.1}s", outcome.label, outcome.cases, outcome.seconds);
        for failure in &outcome.failures {
            eprintln!("      {failure}");
        }
        failed += usize::from(!outcome.passed);
    }
    eprintln!(
        "xtask: the stub server answered {} connection checks; {:.1}s in all ({:.1}s of it getting the tools and the binary ready); reports in {}",
        stub.hits(),
        started.elapsed().as_secs_f64(),
        tools_ready.as_secs_f64(),
        reports.display()
    );
    if failed > 0 {
        return Err(format!("the contract check failed in {failed} of {} runs (see above)", outcomes.len()));
    }
    Ok(())
}

/// What every schemathesis run of a check shares: the listed refusals (`schemathesis.toml`,
/// and the hooks' JSON), the seed and the examples per operation and phase.
struct Run<'a> {
    config: String,
    refusals: String,
    seed: &'a str,
    max_examples: &'a str,
}

/// One schemathesis run against `server` as `role`.
#[allow(clippy::too_many_arguments)]
fn schemathesis(
    st: &Path,
    server: &Server,
    stub: &Stub,
    label: &str,
    dir: &Path,
    role: Role,
    email: &str,
    token: &str,
    run: &Run,
) -> Result<Outcome> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let report = dir.join("report.json");
    let config = dir.join("schemathesis.toml");
    std::fs::write(&config, &run.config).map_err(|e| format!("cannot write {}: {e}", config.display()))?;
    let location = format!("{}/openapi.json", server.base);
    let args = [
        "run",
        location.as_str(),
        "--phases",
        "examples,coverage,fuzzing,stateful",
        // Every check: `checks.enabled = true` in the configuration rather than `--checks all`,
        // which would win over the operations' exemptions (EXEMPT).
        "--seed",
        run.seed,
        "--max-examples",
        run.max_examples,
        // One worker: Hypothesis' lambda descriptions parse source with `ast`, which is not
        // thread-safe on Python 3.11 ("AST constructor recursion depth mismatch" errors).
        "--workers",
        "1",
        // No example database: a run depends on the seed alone, not on what earlier runs found.
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        "--output-truncate",
        "true",
        "--report",
        "json,junit",
        "--report-dir",
    ];
    eprintln!("\nxtask: contract {label}\n$ {} {} {}", st.display(), args.join(" "), dir.display());
    let started = Instant::now();
    let status = Command::new(st)
        .arg("--config-file")
        .arg(&config)
        .args(args)
        .arg(dir)
        .arg("--report-json-path")
        .arg(&report)
        // Its cache (`.schemathesis/`) lands next to the reports, not in the work tree.
        .current_dir(dir.parent().unwrap_or(dir))
        .env("SCHEMATHESIS_HOOKS", "hooks")
        .env("PYTHONPATH", root().join("xtask/contract"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("IDENTITY_CONTRACT_BASE_URL", &server.base)
        .env("IDENTITY_CONTRACT_STUB_URL", &stub.url)
        .env("IDENTITY_CONTRACT_ROLE", role.name())
        .env("IDENTITY_CONTRACT_EMAIL", email)
        .env("IDENTITY_CONTRACT_PASSWORD", PASSWORD)
        .env("IDENTITY_CONTRACT_TOKEN", token)
        .env("IDENTITY_CONTRACT_REFUSALS", &run.refusals)
        .status()
        .map_err(|e| format!("cannot run {}: {e}", st.display()))?;
    let seconds = started.elapsed().as_secs_f64();
    let (cases, failures) = summarize(&report);
    Ok(Outcome { label: label.to_owned(), cases, seconds, passed: status.success(), failures })
}

/// The number of generated test cases and one line per kind of failure (and per error) from
/// schemathesis' JSON report; its console output above has each failing case in full.
fn summarize(report: &Path) -> (u64, Vec<String>) {
    let Ok(text) = std::fs::read_to_string(report) else {
        return (0, vec![format!("no report at {}", report.display())]);
    };
    let Ok(json) = serde_json::from_str::<Value>(&text) else { return (0, vec!["the report is not JSON".into()]) };
    let cases = json["test_cases"]["generated"].as_u64().unwrap_or(0);
    let list = |value: &Value| -> String {
        let names: Vec<&str> = value.as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        names.join(", ")
    };
    let mut lines: Vec<String> = json["failures"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            let (code, title, count) =
                (f["code"].as_str().unwrap_or("?"), f["title"].as_str().unwrap_or("?"), &f["count"]);
            format!("{code} {title} ({count}): {}", list(&f["operations"]))
        })
        .collect();
    lines.extend(json["errors"].as_array().into_iter().flatten().map(|e| format!("error: {e}")));
    if json["complete"] != Value::Bool(true) {
        lines.push(format!("incomplete run: {}", json["stop_reason"]));
    }
    (cases, lines)
}
