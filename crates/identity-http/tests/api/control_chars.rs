//! Input a store cannot hold never reaches one (issue 8): NUL in any string of any documented
//! operation is refused at the edge (422 naming the field; RFC 6749 `invalid_request` on the
//! token endpoint), never a 500. The sweep reads the served OpenAPI document, so a new route or
//! field is covered without touching this file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::both_backends;
use crate::helpers::{Backend, Db, PASSWORD, TestApp, assert_problem, spawn_app_with, unique_email};

both_backends!(
    nul_in_any_documented_input_is_refused_not_a_500,
    nul_in_login_email_or_username_is_422_and_not_recorded,
    nul_in_token_form_is_an_rfc6749_invalid_request,
    nul_in_admin_search_filters_is_422_naming_the_parameter,
    nul_in_preferences_is_422_naming_the_path,
    control_characters_in_one_line_fields_are_refused_by_core,
    odd_user_agents_are_stored_not_a_500,
);

const NUL: &str = "a\u{0}b";

/// A server with a signed-in admin, another account, a group, and the admin's session and
/// device: ids for every path parameter.
struct World {
    app: TestApp,
    admin_email: String,
    token: String,
    user_id: String,
    group_id: String,
    session_id: String,
    device_id: String,
    agent_id: String,
    job_id: String,
    instance_id: String,
    /// A service client holding every scope, and its token: the service routes' caller.
    service_client_id: String,
    service_token: String,
}

async fn world(backend: Backend) -> World {
    let admin_email = unique_email();
    let app = spawn_app_with(backend, &[("BOOTSTRAP_ADMIN_EMAIL", &admin_email)]).await;
    app.bootstrap_admin(&admin_email).await;
    let login = app.login_ok(&admin_email, PASSWORD).await;
    let token = login["access_token"].as_str().unwrap().to_owned();
    let session_id = login["session"]["id"].as_str().unwrap().to_owned();
    let device_id = login["session"]["device_id"].as_str().unwrap().to_owned();
    let other: Value = app.register(&unique_email(), PASSWORD).await.json().await.unwrap();
    let user_id = other["id"].as_str().unwrap().to_owned();
    let res = app.post_authed("/v1/admin/groups", &token, Some(&json!({ "name": "Editors" }))).await;
    assert_eq!(res.status(), 201);
    let group_id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let res =
        app.post_authed("/v1/admin/agents", &token, Some(&json!({ "name": "Writer", "category": "writing" }))).await;
    assert_eq!(res.status(), 201);
    let agent_id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let res = app.post_authed("/v1/instances", &token, Some(&json!({ "agent_id": agent_id, "name": "Mine" }))).await;
    assert_eq!(res.status(), 201);
    let instance_id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let jobs: Value = app.get_authed("/v1/admin/jobs?limit=1", &token).await.json().await.unwrap();
    let job_id = jobs["items"][0]["id"].as_str().unwrap().to_owned();
    let (service_client_id, service_token) = app.service_client_with_every_scope(&token).await;
    World {
        app,
        admin_email,
        token,
        user_id,
        group_id,
        session_id,
        device_id,
        agent_id,
        instance_id,
        job_id,
        service_client_id,
        service_token,
    }
}

impl World {
    /// A valid value for path parameter `name` of `path`.
    fn path_value(&self, path: &str, name: &str) -> String {
        match name {
            "user_id" => self.user_id.clone(),
            "app_key" => "docs".to_owned(),
            "namespace" => "ai".to_owned(),
            "id" if path.starts_with("/v1/admin/groups") => self.group_id.clone(),
            "id" if path.starts_with("/v1/admin/users") => self.user_id.clone(),
            "id" if path.starts_with("/v1/sessions") => self.session_id.clone(),
            "id" if path.starts_with("/v1/devices") => self.device_id.clone(),
            "id" if path.starts_with("/v1/agents") || path.starts_with("/v1/admin/agents") => self.agent_id.clone(),
            "id" if path.starts_with("/v1/instances") || path.starts_with("/v1/admin/instances") => {
                self.instance_id.clone()
            }
            "id" if path.starts_with("/v1/admin/jobs") => self.job_id.clone(),
            "id" if path.starts_with("/v1/admin/service-clients") => self.service_client_id.clone(),
            "id" if path.starts_with("/v1/service/users") => self.user_id.clone(),
            // The admin has no second factor: any id (a NUL in the body is refused before it matters).
            "id" if path.starts_with("/v1/mfa/methods") => uuid::Uuid::now_v7().to_string(),
            other => panic!("no sample value for path parameter {other} of {path}"),
        }
    }
}

/// One step of a field's place in a JSON body.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index,
}

/// `device.name`, `roles[0]`: how the server names a field.
fn field_name(steps: &[Step]) -> String {
    let mut out = String::new();
    for step in steps {
        match step {
            Step::Key(key) if out.is_empty() => out.push_str(key),
            Step::Key(key) => {
                out.push('.');
                out.push_str(key);
            }
            Step::Index => out.push_str("[0]"),
        }
    }
    out
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/schemas/");
            let target = &doc["components"]["schemas"][name];
            assert!(target.is_object(), "unresolvable {reference}");
            resolve(doc, target)
        }
        None => schema,
    }
}

/// The non-null alternatives of a schema (`oneOf: [X, null]`, `anyOf`), or the schema itself.
fn variants<'a>(doc: &'a Value, schema: &'a Value) -> Vec<&'a Value> {
    let schema = resolve(doc, schema);
    match schema["oneOf"].as_array().or_else(|| schema["anyOf"].as_array()) {
        Some(options) => options.iter().filter(|o| o["type"] != "null").flat_map(|o| variants(doc, o)).collect(),
        None => vec![schema],
    }
}

/// The schema's type without `null`.
fn type_of(schema: &Value) -> Option<&str> {
    match &schema["type"] {
        Value::String(t) => Some(t.as_str()),
        Value::Array(types) => types.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ => schema["properties"].is_object().then_some("object"),
    }
}

/// A plausible valid value for a schema: examples, enums, formats; objects with their
/// required properties.
fn sample(doc: &Value, schema: &Value, name: &str) -> Value {
    let Some(schema) = variants(doc, schema).into_iter().next() else {
        return Value::Null;
    };
    match type_of(schema) {
        Some("string") => {
            if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
                return first.clone();
            }
            if schema["format"] == "password" || name.contains("password") {
                return json!(PASSWORD);
            }
            if schema["format"] == "uuid" {
                return json!(uuid::Uuid::now_v7().to_string());
            }
            if name.contains("email") {
                return json!(unique_email());
            }
            schema.get("example").cloned().unwrap_or_else(|| json!("sample"))
        }
        Some("integer" | "number") => schema.get("minimum").cloned().unwrap_or(json!(1)),
        Some("boolean") => json!(false),
        Some("array") => json!([sample(doc, &schema["items"], name)]),
        Some("object") => {
            let mut object = Map::new();
            for required in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                object.insert(required.to_owned(), sample(doc, &schema["properties"][required], required));
            }
            Value::Object(object)
        }
        _ => Value::Null,
    }
}

/// Every place a string can go in a body of `schema`: string properties at any depth, the
/// items of string arrays, and a key of free-form objects (`preferences`).
fn string_places(doc: &Value, schema: &Value, at: &[Step], out: &mut Vec<Vec<Step>>) {
    for schema in variants(doc, schema) {
        match type_of(schema) {
            Some("string") => out.push(at.to_vec()),
            Some("array") => {
                let mut next = at.to_vec();
                next.push(Step::Index);
                string_places(doc, &schema["items"], &next, out);
            }
            Some("object") => match schema["properties"].as_object() {
                Some(properties) => {
                    for (key, property) in properties {
                        let mut next = at.to_vec();
                        next.push(Step::Key(key.clone()));
                        string_places(doc, property, &next, out);
                    }
                }
                None => {
                    let mut next = at.to_vec();
                    next.push(Step::Key("k".to_owned()));
                    out.push(next);
                }
            },
            _ => {}
        }
    }
}

/// Puts `value` at `steps` into `body`, making the objects and arrays on the way.
fn put(body: &mut Value, steps: &[Step], value: Value) {
    let Some((first, rest)) = steps.split_first() else {
        *body = value;
        return;
    };
    match first {
        Step::Key(key) => {
            if !body.is_object() {
                *body = json!({});
            }
            let slot = body.as_object_mut().unwrap().entry(key.clone()).or_insert(Value::Null);
            put(slot, rest, value);
        }
        Step::Index => {
            *body = json!([null]);
            put(&mut body.as_array_mut().unwrap()[0], rest, value);
        }
    }
}

/// What one request of the sweep changed, and what it must answer.
enum Expect {
    /// 422 `validation_failed` with an `invalid_characters` error naming the field.
    Field(String),
    /// RFC 6749 `400 {"error": "invalid_request"}`.
    OAuth,
    /// Anything but a 5xx (path parameters: a 404 or a 422, depending on the route).
    No5xx,
}

/// One request of the sweep: the one input that holds NUL (a path parameter, a query
/// parameter, or a body: content type and document), and what the answer must be.
struct Case<'a> {
    path_param: Option<&'a str>,
    query: Option<&'a str>,
    body: Option<(String, Value)>,
    expect: Expect,
}

async fn nul_in_any_documented_input_is_refused_not_a_500(backend: Backend) {
    let w = world(backend).await;
    let doc = w.app.get_json("/openapi.json").await;
    let mut operations = 0;
    let mut inputs = 0;
    let mut failures = Vec::new();
    for (template, item) in doc["paths"].as_object().expect("the document has paths") {
        for (method, op) in item.as_object().unwrap() {
            let method: Method = method.to_uppercase().parse().unwrap();
            let parameters: Vec<&Value> = op["parameters"].as_array().into_iter().flatten().collect();
            let path_params: Vec<&str> =
                parameters.iter().filter(|p| p["in"] == "path").filter_map(|p| p["name"].as_str()).collect();
            let query_params: Vec<&str> =
                parameters.iter().filter(|p| p["in"] == "query").filter_map(|p| p["name"].as_str()).collect();
            let body = op["requestBody"]["content"].as_object().and_then(|c| c.iter().next());

            // One NUL at a time.
            let mut cases: Vec<Case> = Vec::new();
            for name in &path_params {
                cases.push(Case { path_param: Some(name), query: None, body: None, expect: Expect::No5xx });
            }
            for name in &query_params {
                cases.push(Case {
                    path_param: None,
                    query: Some(name),
                    body: None,
                    expect: Expect::Field((*name).to_owned()),
                });
            }
            if let Some((content_type, media)) = body {
                let schema = &media["schema"];
                if content_type == "application/x-www-form-urlencoded" {
                    let properties = variants(&doc, schema)[0]["properties"].as_object().unwrap();
                    for field in properties.keys() {
                        let body = Some((content_type.clone(), json!(field)));
                        // The token endpoint answers RFC 6749 errors; other forms, problems.
                        let expect =
                            if template == "/v1/auth/token" { Expect::OAuth } else { Expect::Field(field.clone()) };
                        cases.push(Case { path_param: None, query: None, body, expect });
                    }
                } else {
                    let mut places = Vec::new();
                    string_places(&doc, schema, &[], &mut places);
                    for place in places {
                        let mut value = sample(&doc, schema, "");
                        if !value.is_object() {
                            value = json!({});
                        }
                        put(&mut value, &place, json!(NUL));
                        let body = Some((content_type.clone(), value));
                        cases.push(Case {
                            path_param: None,
                            query: None,
                            body,
                            expect: Expect::Field(field_name(&place)),
                        });
                    }
                }
            }
            if cases.is_empty() {
                continue;
            }
            operations += 1;
            for Case { path_param: nul_path_param, query, body, expect } in cases {
                inputs += 1;
                let mut path = template.clone();
                for name in &path_params {
                    let value = if Some(*name) == nul_path_param {
                        format!("{}%00x", w.path_value(template, name))
                    } else {
                        w.path_value(template, name)
                    };
                    path = path.replace(&format!("{{{name}}}"), &value);
                }
                // Service routes take the service client's token; every other route the admin's.
                let service = template.starts_with("/v1/service/") || template.starts_with("/v1/tokens/");
                let token = if service { &w.service_token } else { &w.token };
                let mut req = w.app.client.request(method.clone(), w.app.url(&path)).bearer_auth(token);
                if let Some(name) = query {
                    req = req.query(&[(name, NUL)]);
                }
                let mut described = format!("{method} {path}");
                match &body {
                    Some((content_type, field))
                        if content_type == "application/x-www-form-urlencoded" && template != "/v1/auth/token" =>
                    {
                        // The form's required fields with a value, then the field under test with NUL.
                        let field = field.as_str().unwrap();
                        let mut form = vec![("token", "x".to_owned())];
                        form.retain(|(name, _)| *name != field);
                        form.push((field, NUL.to_owned()));
                        described.push_str(&format!(" form {field}"));
                        req = req.form(&form);
                    }
                    Some((content_type, field)) if content_type == "application/x-www-form-urlencoded" => {
                        let field = field.as_str().unwrap();
                        let mut form = vec![
                            ("grant_type", "password".to_owned()),
                            ("username", w.admin_email.clone()),
                            ("password", PASSWORD.to_owned()),
                        ];
                        form.retain(|(name, _)| *name != field);
                        form.push((field, NUL.to_owned()));
                        described.push_str(&format!(" form {field}"));
                        req = req.form(&form);
                    }
                    Some((content_type, value)) => {
                        described.push_str(&format!(" {value}"));
                        req = req.header("content-type", content_type.as_str()).body(value.to_string());
                    }
                    None => {}
                }
                if let Some(name) = query {
                    described.push_str(&format!(" ?{name}=NUL"));
                }
                let res = req.send().await.unwrap();
                let status = res.status().as_u16();
                let answer: Value = res.json().await.unwrap_or(Value::Null);
                let ok = status < 500
                    && match &expect {
                        Expect::No5xx => true,
                        Expect::OAuth => status == 400 && answer["error"] == "invalid_request",
                        Expect::Field(field) => {
                            status == 422
                                && answer["errors"].as_array().is_some_and(|errors| {
                                    errors.iter().any(|e| e["field"] == *field && e["code"] == "invalid_characters")
                                })
                        }
                    };
                if !ok {
                    failures.push(format!("{described}: {status} {answer}"));
                }
            }
        }
    }
    eprintln!("control_chars sweep ({backend:?}): {operations} operations, {inputs} inputs");
    // Not vacuous: the document lists the routes this sweep is for.
    assert!(operations >= 30 && inputs >= 80, "the sweep found only {operations} operations and {inputs} inputs");
    assert!(
        failures.is_empty(),
        "{} of {inputs} inputs were not refused properly:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The admin was never signed out or changed by any of it.
    assert_eq!(w.app.me_with_bearer(&w.token).await.status(), 200);
}

async fn nul_in_login_email_or_username_is_422_and_not_recorded(backend: Backend) {
    let w = world(backend).await;
    let mut db = match &w.app.database_url {
        Some(url) => Some(Db::connect(url).await),
        None => None,
    };
    let attempts_before = match &mut db {
        Some(db) => Some(db.count("login_attempts").await),
        None => None,
    };
    for (field, body) in [
        ("email", json!({ "email": format!("{NUL}@example.com"), "password": PASSWORD })),
        ("username", json!({ "username": NUL, "password": PASSWORD })),
        ("password", json!({ "email": w.admin_email, "password": format!("{PASSWORD}\u{0}") })),
        ("device.name", json!({ "email": w.admin_email, "password": PASSWORD, "device": { "name": NUL } })),
    ] {
        let res = w.app.post_json("/v1/auth/login", &body).await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
        assert_eq!(problem["errors"][0]["code"], "invalid_characters", "{problem}");
    }
    // A control character other than NUL in a login name: refused by core, by name.
    let res = w.app.post_json("/v1/auth/login", &json!({ "email": "a\tb@example.com", "password": PASSWORD })).await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "invalid_characters", "{problem}");
    if let (Some(db), Some(before)) = (&mut db, attempts_before) {
        assert_eq!(db.count("login_attempts").await, before, "refused input reached the database");
    }
}

async fn nul_in_token_form_is_an_rfc6749_invalid_request(backend: Backend) {
    let w = world(backend).await;
    for form in [
        vec![("grant_type", "password"), ("username", NUL), ("password", PASSWORD)],
        vec![("grant_type", "password"), ("username", w.admin_email.as_str()), ("password", "pass\u{0}word")],
        vec![("grant_type", "password"), ("username", "ada\nlovelace"), ("password", PASSWORD)],
        vec![("grant_type", "refresh_token"), ("refresh_token", NUL)],
        vec![("grant_type", "pass\u{0}word"), ("username", "ada"), ("password", PASSWORD)],
    ] {
        let res = w.app.client.post(w.app.url("/v1/auth/token")).form(&form).send().await.unwrap();
        assert_eq!(res.status(), 400, "{form:?}");
        assert_eq!(res.headers()["cache-control"], "no-store");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request", "{form:?}: {body}");
        assert!(body["error_description"].as_str().unwrap().contains("not allowed"), "{body}");
    }
    // The ordinary grant still works.
    assert_eq!(w.app.password_grant(&w.admin_email, PASSWORD).await.status(), 200);
}

async fn nul_in_admin_search_filters_is_422_naming_the_parameter(backend: Backend) {
    let w = world(backend).await;
    for (path, parameter) in [
        ("/v1/admin/users", "query"),
        ("/v1/admin/users", "role"),
        ("/v1/admin/users", "status"),
        ("/v1/admin/groups", "query"),
        ("/v1/admin/audit-logs", "action"),
        ("/v1/sessions", "cursor"),
    ] {
        for value in [NUL, "line\nbreak", "\u{85}"] {
            let res = w
                .app
                .client
                .get(w.app.url(path))
                .query(&[(parameter, value)])
                .bearer_auth(&w.token)
                .send()
                .await
                .unwrap();
            let problem = assert_problem(res, 422, "validation_failed").await;
            assert_eq!(problem["errors"][0]["field"], parameter, "{path} {problem}");
            assert_eq!(problem["errors"][0]["code"], "invalid_characters", "{path} {problem}");
        }
    }
    // Ordinary filters, Unicode included, still search.
    for (path, parameter) in
        [("/v1/admin/users", "query"), ("/v1/admin/groups", "query"), ("/v1/admin/audit-logs", "action")]
    {
        let res = w
            .app
            .client
            .get(w.app.url(path))
            .query(&[(parameter, "Zoë ✓")])
            .bearer_auth(&w.token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
    }
}

async fn nul_in_preferences_is_422_naming_the_path(backend: Backend) {
    let w = world(backend).await;
    let patch = |body: Value| {
        w.app
            .client
            .patch(w.app.url("/v1/users/me"))
            .bearer_auth(&w.token)
            .header("content-type", "application/merge-patch+json")
            .body(body.to_string())
            .send()
    };
    for (body, field) in [
        (json!({ "preferences": { "ai": { "model": NUL } } }), "preferences.ai.model"),
        (json!({ "preferences": { "theme": NUL } }), "preferences.theme"),
        (json!({ "preferences": { "ai": { "language": ["x", NUL] } } }), "preferences.ai.language[1]"),
        (json!({ "name": NUL }), "name"),
        (json!({ "time_zone": NUL }), "time_zone"),
    ] {
        let problem = assert_problem(patch(body.clone()).await.unwrap(), 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}: {problem}");
        assert_eq!(problem["errors"][0]["code"], "invalid_characters", "{body}: {problem}");
    }
    // Core's rule, past the edge: a preference text is free text (tab and line feed are fine)
    // but holds no other control character.
    let problem = assert_problem(
        patch(json!({ "preferences": { "ai": { "model": "gpt\u{1b}[0m" } } })).await.unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "preferences.ai.model", "{problem}");
    assert_eq!(problem["errors"][0]["code"], "invalid_characters", "{problem}");
    let res = patch(json!({ "preferences": { "ai": { "model": "gpt\tfour" } } })).await.unwrap();
    assert_eq!(res.status(), 200);
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["profile"]["preferences"]["ai"]["model"], "gpt\tfour", "{me}");
}

async fn control_characters_in_one_line_fields_are_refused_by_core(backend: Backend) {
    let w = world(backend).await;
    let register = |body: Value| w.app.client.post(w.app.url("/v1/auth/register")).json(&body).send();
    for (body, field) in [
        (json!({ "email": unique_email(), "password": PASSWORD, "username": "ada\tx" }), "username"),
        (json!({ "email": unique_email(), "password": PASSWORD, "name": "Ada\nLovelace" }), "name"),
        (json!({ "email": "ada\u{85}@example.com", "password": PASSWORD }), "email"),
    ] {
        let problem = assert_problem(register(body.clone()).await.unwrap(), 422, "validation_failed").await;
        let errors = problem["errors"].as_array().unwrap();
        assert!(errors.iter().any(|e| e["field"] == field && e["code"] == "invalid_characters"), "{body}: {problem}");
    }
    // A password may hold anything but NUL.
    let res = register(json!({ "email": unique_email(), "password": "tab\there and \u{1} too" })).await.unwrap();
    assert_eq!(res.status(), 201);
    let res = register(json!({ "email": unique_email(), "password": format!("{PASSWORD}\u{0}") })).await.unwrap();
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "password", "{problem}");
    // Group names and app keys (a path segment) on the admin side.
    let res = w.app.post_authed("/v1/admin/groups", &w.token, Some(&json!({ "name": "Edi\ttors" }))).await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "invalid_characters", "{problem}");
    let path = format!("/v1/admin/users/{}/apps/do%09cs", w.user_id);
    let res = w.app.client.put(w.app.url(&path)).bearer_auth(&w.token).send().await.unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
}

async fn odd_user_agents_are_stored_not_a_500(backend: Backend) {
    let app = spawn_app_with(backend, &[]).await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 201);
    let agent = reqwest::header::HeaderValue::from_bytes(b"Odd/1.0 \xff\xfe caf\xc3\xa9\ttabbed").unwrap();
    let res = app
        .client
        .post(app.url("/v1/auth/login"))
        .header("user-agent", agent)
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let login: Value = res.json().await.unwrap();
    let stored = login["session"]["user_agent"].as_str().unwrap();
    assert_eq!(stored, "Odd/1.0 \u{fffd}\u{fffd} cafétabbed", "{login}");
    // A failed login is recorded with the same agent.
    let agent = reqwest::header::HeaderValue::from_bytes(b"\x80\x81 bot").unwrap();
    let res = app
        .client
        .post(app.url("/v1/auth/login"))
        .header("user-agent", agent)
        .json(&json!({ "email": email, "password": "wrong password!" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}
