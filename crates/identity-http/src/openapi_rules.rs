//! What every operation answers besides its own outcomes, added to the document in one place
//! instead of in each handler's annotation: the refusals of the shared extractors and
//! middleware ([`crate::extract::JsonBody`], [`crate::extract::Query`], `CurrentUser` with its
//! CSRF check, the admin gate, [`crate::idempotency`], the path parser, the stores).
//!
//! A handler documents its own error answers with `body = Problem` and names their problem
//! codes in backticks in the description (``"`email_taken` or `username_taken`"``). This pass
//! merges both, and gives every problem answer one example per code it can carry; the API
//! tests check the codes against [`ProblemCode`]'s statuses and the server's real answers.

use serde_json::{Map, Value, json};

use crate::error::ProblemCode;

const PROBLEM_JSON: &str = "application/problem+json";
const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
/// Operations outside the rules: probes and keys that touch no store and take no input, and
/// the OAuth2 token endpoint, which answers RFC 6749 errors instead of problems.
const EXEMPT: [&str; 4] = ["/health", "/ready", "/.well-known/paserk", "/v1/auth/token"];

/// The problem codes the shared machinery can answer for an operation, from what the
/// document says about it (its body, parameters, security and path).
pub fn common_codes(path: &str, method: &str, operation: &Value) -> Vec<ProblemCode> {
    use ProblemCode::*;
    if EXEMPT.contains(&path) {
        return Vec::new();
    }
    // Every operation reads a store (a session, an account, a limit): it can be down.
    let mut codes = vec![ServiceUnavailable];
    // A JSON body, or a form (`FormBody`, which answers the same way).
    let json_body = operation["requestBody"]["content"].as_object().is_some_and(|content| {
        content
            .keys()
            .any(|t| t == "application/json" || t.ends_with("+json") || t == "application/x-www-form-urlencoded")
    });
    if json_body {
        codes.extend([MalformedBody, PayloadTooLarge, UnsupportedMediaType, ValidationFailed]);
    }
    let parameters = operation["parameters"].as_array().map(Vec::as_slice).unwrap_or_default();
    let has = |place: &str| parameters.iter().any(|p| p["in"] == place);
    if has("query") {
        codes.push(ValidationFailed);
    }
    if has("path") {
        // A malformed id names no resource (`web::PathConfig`).
        codes.push(NotFound);
    }
    if parameters.iter().any(|p| p["in"] == "header" && p["name"] == "Idempotency-Key") {
        codes.extend([InvalidIdempotencyKey, IdempotencyInProgress, IdempotencyKeyReused]);
    }
    let schemes: Vec<&str> = operation["security"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .flat_map(|requirement| requirement.keys().map(String::as_str))
        .collect();
    if !schemes.is_empty() {
        codes.push(Unauthenticated);
    }
    if schemes.contains(&"cookie") && matches!(method, "post" | "put" | "patch" | "delete") {
        codes.push(CsrfRejected);
    }
    if path.starts_with("/v1/admin/") {
        codes.push(Forbidden);
    }
    // The admin gate: with `REQUIRE_MFA_FOR_ADMINS` an admin session without a second factor
    // is refused (`mfa_required`).
    let admin = operation["security"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .flat_map(|requirement| requirement.values())
        .any(|roles| roles.as_array().is_some_and(|roles| roles.iter().any(|r| r == "admin")));
    if admin {
        codes.extend([Forbidden, MfaRequired]);
    }
    codes
}

/// The problem codes a response's description names in backticks.
pub fn named_codes(description: &str) -> Vec<ProblemCode> {
    description.split('`').skip(1).step_by(2).filter_map(ProblemCode::parse).collect()
}

/// An example problem document for `code`.
pub fn example(code: ProblemCode) -> Value {
    let status = code.status();
    let mut problem = json!({
        "type": format!("urn:identity:problem:{code}"),
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": code.meaning(),
        "code": code.as_str(),
    });
    match code {
        ProblemCode::ValidationFailed => {
            problem["detail"] = json!("email: this is not a valid email address");
            problem["errors"] =
                json!([{"field": "email", "code": "invalid_email", "message": "this is not a valid email address"}]);
        }
        ProblemCode::InvalidCode => problem["attempts_left"] = json!(4),
        _ => {}
    }
    problem
}

/// Applies every rule to the whole document.
pub fn apply(doc: &mut Value) {
    // One example per code, referenced by every answer that can carry it.
    let examples: Map<String, Value> = ProblemCode::ALL
        .iter()
        .map(|c| (c.as_str().to_owned(), json!({ "summary": c.meaning(), "value": example(*c) })))
        .collect();
    if let Some(components) = doc.get_mut("components").and_then(Value::as_object_mut) {
        components.insert("examples".to_owned(), Value::Object(examples));
    }
    let requests = request_schemas(doc);
    constrain_schemas(doc, &requests);
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for (method, operation) in item.iter_mut() {
            if METHODS.contains(&method.as_str()) {
                operation_rules(path, method, operation);
            }
        }
    }
}

fn operation_rules(path: &str, method: &str, operation: &mut Value) {
    offer_oauth2(operation);
    optional_bodies_are_absent(operation);
    constrain_idempotency_key(operation);
    constrain_app_key(operation);
    constrain_cursor(path, operation);
    constrain_text(operation);
    let common = common_codes(path, method, operation);
    let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) else { return };
    // Status → codes: the handler's, then the shared ones.
    let mut by_status: std::collections::BTreeMap<String, Vec<ProblemCode>> = Default::default();
    for (status, response) in responses.iter() {
        if response["content"][PROBLEM_JSON].is_object() {
            let named = named_codes(response["description"].as_str().unwrap_or_default());
            by_status.entry(status.clone()).or_default().extend(named);
        }
    }
    for code in &common {
        by_status.entry(code.status().as_u16().to_string()).or_default().push(*code);
    }
    for (status, mut codes) in by_status {
        codes.dedup();
        let mut seen = std::collections::BTreeSet::new();
        codes.retain(|c| seen.insert(*c));
        let response = responses.entry(status.clone()).or_insert_with(|| json!({}));
        problem_response(&status, response, &codes);
    }
    for (status, response) in responses.iter_mut() {
        describe(status, response);
    }
}

/// The routes that take a bearer token take the `oauth2` scheme's token too (the same token,
/// obtained from `/v1/auth/token`), so Swagger UI's *Authorize* works for them.
fn offer_oauth2(operation: &mut Value) {
    // (`get_mut`: indexing a `Value` mutably would insert a `null` where nothing is.)
    let Some(security) = operation.get_mut("security").and_then(Value::as_array_mut) else { return };
    if let Some(at) = security.iter().position(|r| r.get("bearer").is_some())
        && !security.iter().any(|r| r.get("oauth2").is_some())
    {
        security.insert(at + 1, json!({ "oauth2": [] }));
    }
}

/// An optional body is left out, never `null` (the server refuses `null` like any other
/// non-object): `oneOf: [X, null]` becomes `X`, and the body is not required.
fn optional_bodies_are_absent(operation: &mut Value) {
    let Some(body) = operation.get_mut("requestBody") else { return };
    let Some(content) = body.get_mut("content").and_then(Value::as_object_mut) else { return };
    for media in content.values_mut() {
        let schema = &mut media["schema"];
        let Some(branches) = schema["oneOf"].as_array() else { continue };
        let not_null: Vec<&Value> = branches.iter().filter(|b| b["type"] != "null").collect();
        if let [only] = not_null[..]
            && not_null.len() < branches.len()
        {
            *schema = only.clone();
        }
    }
    if let Some(body) = body.as_object_mut() {
        body.entry("required").or_insert(json!(false));
    }
}

/// `Idempotency-Key`: what [`crate::idempotency::valid_key`] accepts.
fn constrain_idempotency_key(operation: &mut Value) {
    let Some(parameters) = operation.get_mut("parameters").and_then(Value::as_array_mut) else { return };
    for parameter in parameters.iter_mut().filter(|p| p["in"] == "header" && p["name"] == "Idempotency-Key") {
        parameter["schema"] = json!({
            "type": "string",
            "minLength": 1,
            "maxLength": 255,
            "pattern": "^[!-~]+$",
            "examples": ["5f1d7c1e-3b7a-4c55-9d0e-0c8f4f8a2b11"],
        });
    }
}

/// What `identity_core::AppKey::parse` accepts: 1–64 of `a-z 0-9 _ . -`, starting with a
/// letter or digit (core states it beside the check).
pub const APP_KEY_PATTERN: &str = identity_core::AppKey::PATTERN;

fn constrain_app_key(operation: &mut Value) {
    let Some(parameters) = operation.get_mut("parameters").and_then(Value::as_array_mut) else { return };
    for parameter in parameters.iter_mut().filter(|p| p["in"] == "path" && p["name"] == "app_key") {
        parameter["schema"] = json!({
            "type": "string",
            "minLength": 1,
            "maxLength": identity_core::AppKey::MAX_CHARS,
            "pattern": APP_KEY_PATTERN,
            "examples": ["docs"],
        });
    }
}

/// `cursor`: what `next_cursor` holds, or empty (the first page). Audit pages go by entry
/// number, every other list by the UUIDv7 of the last item; core states both next to the
/// parsers. A cursor of the right form that was never issued is a valid position: the page
/// after it.
fn constrain_cursor(path: &str, operation: &mut Value) {
    let pattern = if path.contains("audit") {
        identity_core::usecases::AUDIT_CURSOR_PATTERN
    } else {
        identity_core::usecases::PAGE_CURSOR_PATTERN
    };
    let Some(parameters) = operation.get_mut("parameters").and_then(Value::as_array_mut) else { return };
    for parameter in parameters.iter_mut().filter(|p| p["in"] == "query" && p["name"] == "cursor") {
        parameter["schema"] = json!({ "type": "string", "pattern": pattern });
    }
}

/// Texts of requests, where the handler states no stricter form (a pattern, an enumeration,
/// a format): what core's shared checks refuse (`identity_core::domain::single_line`,
/// `no_invisible`, `free_text`, `no_nul`). A required text (`minLength` ≥ 1) must hold more
/// than white space (core trims it); names ([`NAMES`]) hold nothing invisible and no
/// text-direction control either; descriptions may hold tabs and line breaks; passwords
/// anything but NUL.
fn constrain_text(operation: &mut Value) {
    if let Some(parameters) = operation.get_mut("parameters").and_then(Value::as_array_mut) {
        for parameter in parameters.iter_mut().filter(|p| p["in"] == "query") {
            let name = parameter["name"].as_str().unwrap_or_default().to_owned();
            if let Some(schema) = parameter.get_mut("schema") {
                constrain_string(&name, schema);
            }
        }
    }
    let content = operation.pointer_mut("/requestBody/content").and_then(Value::as_object_mut);
    for media in content.into_iter().flat_map(|c| c.values_mut()) {
        if let Some(schema) = media.get_mut("schema") {
            constrain_properties(schema);
        }
    }
}

/// The inline properties of a request body (nested objects too); named schemas are
/// constrained where they are defined ([`constrain_schemas`]).
fn constrain_properties(schema: &mut Value) {
    if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        for (name, property) in properties.iter_mut() {
            constrain_string(name, property);
            constrain_properties(property);
        }
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        for branch in schema.get_mut(key).and_then(Value::as_array_mut).into_iter().flatten() {
            constrain_properties(branch);
        }
    }
}

/// The component schemas request bodies use, directly or nested.
fn request_schemas(doc: &Value) -> Vec<String> {
    fn refs(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(name) = map.get("$ref").and_then(Value::as_str).and_then(|r| r.rsplit('/').next()) {
                    found.push(name.to_owned());
                }
                map.values().for_each(|v| refs(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }
    let mut names = Vec::new();
    for item in doc["paths"].as_object().into_iter().flat_map(|p| p.values()) {
        for operation in item.as_object().into_iter().flat_map(|i| i.values()) {
            refs(&operation["requestBody"], &mut names);
        }
    }
    let mut done = 0;
    while done < names.len() {
        let mut nested = Vec::new();
        refs(&doc["components"]["schemas"][&names[done]], &mut nested);
        for name in nested {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        done += 1;
    }
    names
}

/// The request schemas of `components` (every schema a request body names), constrained
/// like inline ones.
fn constrain_schemas(doc: &mut Value, requests: &[String]) {
    let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) else { return };
    for name in requests {
        if let Some(schema) = schemas.get_mut(name) {
            constrain_properties(schema);
        }
    }
}

/// The request fields that are names (of a person, a company, a group, a device): core checks
/// them with `identity_core::domain::no_invisible` too.
const NAMES: [&str; 3] = ["name", "display_name", "company"];

fn constrain_string(name: &str, schema: &mut Value) {
    let is_string = match &schema["type"] {
        Value::String(t) => t == "string",
        Value::Array(types) => types.iter().any(|t| t == "string"),
        _ => false,
    };
    let stated = ["pattern", "enum", "$ref", "const"].iter().any(|k| schema.get(*k).is_some())
        || schema["format"].as_str().is_some_and(|f| f != "password");
    if !is_string || stated {
        return;
    }
    let required = schema["minLength"].as_u64().is_some_and(|n| n >= 1);
    let pattern = if schema["format"] == "password" {
        identity_core::domain::NO_NUL_PATTERN
    } else if name == "description" {
        identity_core::domain::FREE_TEXT_PATTERN
    } else if NAMES.contains(&name) && required {
        identity_core::domain::NAME_PATTERN
    } else if NAMES.contains(&name) {
        identity_core::domain::OPTIONAL_NAME_PATTERN
    } else if required {
        identity_core::domain::SINGLE_LINE_PATTERN
    } else {
        identity_core::domain::NO_CONTROL_PATTERN
    };
    schema["pattern"] = json!(pattern);
}

/// A problem answer carrying `codes`: the `Problem` schema, one example per code, and the
/// codes the handler's description does not name appended to it.
fn problem_response(status: &str, response: &mut Value, codes: &[ProblemCode]) {
    let described = response["description"].as_str().unwrap_or_default().to_owned();
    let named = named_codes(&described);
    let extra: Vec<String> =
        codes.iter().filter(|c| !named.contains(c)).map(|c| format!("`{}`: {}", c.as_str(), c.meaning())).collect();
    let description = match (described.is_empty(), extra.is_empty()) {
        (true, _) => extra.join("\n\n"),
        (false, true) => described,
        (false, false) => format!("{described}\n\nAlso {}", extra.join("\n\n")),
    };
    let examples: Map<String, Value> = codes
        .iter()
        .map(|c| (c.as_str().to_owned(), json!({ "$ref": format!("#/components/examples/{c}") })))
        .collect();
    response["description"] = json!(description);
    response["content"] = json!({
        PROBLEM_JSON: {
            "schema": { "$ref": "#/components/schemas/Problem" },
            "examples": examples,
        }
    });
    if matches!(status, "429" | "503") || codes.contains(&ProblemCode::IdempotencyInProgress) {
        response["headers"]["Retry-After"] =
            json!({ "description": "Seconds to wait before retrying", "schema": { "type": "integer", "minimum": 0 } });
    }
    if status == "401" {
        response["headers"]["WWW-Authenticate"] = json!({ "schema": { "type": "string", "examples": ["Bearer"] } });
    }
}

/// OpenAPI 3.1 requires a description on every response: the ones left without get their
/// status's reason phrase (`OK`, `Created`, …).
fn describe(status: &str, response: &mut Value) {
    if response["description"].as_str().is_none_or(str::is_empty) {
        let reason = status
            .parse::<u16>()
            .ok()
            .and_then(|s| actix_web::http::StatusCode::from_u16(s).ok())
            .and_then(|s| s.canonical_reason());
        response["description"] = json!(reason.unwrap_or("Response"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_from_backticks() {
        let codes = named_codes("`email_taken` (not with `REGISTRATION_HIDE_TAKEN_EMAILS`), `username_taken`");
        assert_eq!(codes, [ProblemCode::EmailTaken, ProblemCode::UsernameTaken]);
    }

    #[test]
    fn a_cookie_secured_json_post_gets_every_shared_refusal() {
        let operation = json!({
            "requestBody": { "content": { "application/json": {} } },
            "parameters": [{ "in": "header", "name": "Idempotency-Key" }],
            "security": [{ "bearer": [] }, { "cookie": [] }],
        });
        let codes = common_codes("/v1/admin/users", "post", &operation);
        for code in [
            ProblemCode::MalformedBody,
            ProblemCode::PayloadTooLarge,
            ProblemCode::UnsupportedMediaType,
            ProblemCode::ValidationFailed,
            ProblemCode::Unauthenticated,
            ProblemCode::CsrfRejected,
            ProblemCode::Forbidden,
            ProblemCode::InvalidIdempotencyKey,
            ProblemCode::IdempotencyInProgress,
            ProblemCode::IdempotencyKeyReused,
            ProblemCode::ServiceUnavailable,
        ] {
            assert!(codes.contains(&code), "{code}");
        }
        assert!(!common_codes("/v1/admin/users", "get", &operation).contains(&ProblemCode::CsrfRejected));
    }
}
