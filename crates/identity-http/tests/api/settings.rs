#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::both_backends;
use crate::helpers::{
    Backend, PASSWORD, TestApp, assert_problem, captured_logs, spawn_app_with, spawn_app_with_admin, unique_email,
};

both_backends!(
    secrets_are_sealed_masked_kept_and_tested,
    settings_input_is_checked_by_field,
    only_admins_read_or_change_settings,
);

/// A stand-in AI provider on a local port: `GET …/models` answers 200 when the request
/// carries `Authorization: Bearer <key>`, 401 otherwise. Records every request head.
async fn fake_provider(key: &str) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (expected, log) = (format!("authorization: bearer {}", key.to_lowercase()), seen.clone());
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match socket.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let head = String::from_utf8_lossy(&head).to_string();
            let authorized = head.lines().any(|l| l.to_lowercase() == expected);
            let models = head.starts_with("GET /v1/models ");
            log.lock().unwrap().push(head);
            let status = match (models, authorized) {
                (false, _) => "404 Not Found",
                (true, true) => "200 OK",
                (true, false) => "401 Unauthorized",
            };
            let body = r#"{"data":[]}"#;
            let answer = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    (url, seen)
}

async fn patch(app: &TestApp, token: &str, namespace: &str, body: &Value) -> reqwest::Response {
    app.client
        .patch(app.url(&format!("/v1/admin/settings/{namespace}")))
        .bearer_auth(token)
        .header("content-type", "application/merge-patch+json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

async fn check(app: &TestApp, token: &str, namespace: &str, body: Option<&Value>) -> Value {
    let mut req = app.client.post(app.url(&format!("/v1/admin/settings/{namespace}/test"))).bearer_auth(token);
    if let Some(body) = body {
        req = req.json(body);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn secrets_are_sealed_masked_kept_and_tested(backend: Backend) {
    let (app, token) = spawn_app_with_admin(backend).await;
    let key = format!("sk-test-{}", uuid::Uuid::now_v7().simple());
    let hint = format!("sk-…{}", &key[key.len() - 4..]);
    let (provider_url, seen) = fake_provider(&key).await;

    // The schema, and the defaults before anything is stored.
    let namespaces: Value = app.get_authed("/v1/admin/settings", &token).await.json().await.unwrap();
    let names: Vec<&str> =
        namespaces["items"].as_array().unwrap().iter().map(|n| n["namespace"].as_str().unwrap()).collect();
    assert_eq!(names, ["ai", "documents"]);
    let api_key = namespaces["items"][0]["fields"].as_array().unwrap().iter().find(|f| f["name"] == "api_key").unwrap();
    assert_eq!((api_key["type"].as_str(), api_key["secret"].as_bool()), (Some("secret"), Some(true)));
    let fresh: Value = app.get_authed("/v1/admin/settings/ai", &token).await.json().await.unwrap();
    assert_eq!(
        fresh,
        json!({
            "namespace": "ai",
            "values": { "provider": "openai", "base_url": null, "model": "gpt-4o-mini", "api_key": null },
            "secrets_set": [],
            "updated_at": null,
            "updated_by": null,
        })
    );

    // Saved: the key comes back only as its hint.
    let res = patch(
        &app,
        &token,
        "ai",
        &json!({ "provider": "openai_compatible", "base_url": format!("{provider_url}/"), "model": "m1", "api_key": key }),
    )
    .await;
    assert_eq!(res.status(), 200);
    let saved = res.text().await.unwrap();
    assert!(!saved.contains(&key), "the key leaked: {saved}");
    let saved: Value = serde_json::from_str(&saved).unwrap();
    assert_eq!(saved["values"]["api_key"], hint.as_str());
    assert_eq!(saved["values"]["base_url"], provider_url.as_str(), "trailing slash dropped");
    assert_eq!(saved["secrets_set"], json!(["api_key"]));
    assert!(saved["updated_by"].is_string() && saved["updated_at"].is_string());
    let read = app.get_authed("/v1/admin/settings/ai", &token).await.text().await.unwrap();
    assert!(!read.contains(&key));
    assert_eq!(serde_json::from_str::<Value>(&read).unwrap(), saved);

    // The check reaches the provider with the real key.
    let outcome = check(&app, &token, "ai", None).await;
    assert_eq!((outcome["ok"].as_bool(), outcome["status"].as_u64()), (Some(true), Some(200)), "{outcome}");
    assert!(seen.lock().unwrap().last().unwrap().starts_with("GET /v1/models "));

    // Left out or sent back as its hint, the key stays.
    let kept: Value = patch(&app, &token, "ai", &json!({ "model": "m2" })).await.json().await.unwrap();
    assert_eq!(
        (kept["values"]["model"].as_str(), kept["values"]["api_key"].as_str()),
        (Some("m2"), Some(hint.as_str()))
    );
    let echoed: Value = patch(&app, &token, "ai", &{
        let mut form = kept["values"].clone();
        form["model"] = json!("m3");
        form
    })
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(echoed["values"]["model"], "m3");
    assert_eq!(check(&app, &token, "ai", None).await["ok"], true, "the echoed hint did not replace the key");

    // Trying other values does not save them.
    let wrong = check(&app, &token, "ai", Some(&json!({ "api_key": "sk-wrong-0000000000000000" }))).await;
    assert_eq!((wrong["ok"].as_bool(), wrong["status"].as_u64()), (Some(false), Some(401)));
    assert!(wrong["detail"].as_str().unwrap().contains("refused"));
    let lost = check(&app, &token, "ai", Some(&json!({ "base_url": format!("{provider_url}/nowhere") }))).await;
    assert_eq!(lost["status"], 404);
    assert_eq!(check(&app, &token, "ai", None).await["ok"], true);

    if backend == Backend::Postgres {
        let mut db = crate::helpers::Db::connect(app.database_url.as_deref().unwrap()).await;
        assert_eq!(db.count("settings WHERE namespace = 'ai' AND secrets->'api_key'->>'sealed' LIKE 'v1.%'").await, 1);
        assert_eq!(db.count(&format!("settings WHERE secrets::text LIKE '%{}%'", &key[8..])).await, 0);
        assert_eq!(db.count(&format!("audit_logs WHERE metadata::text LIKE '%{}%'", &key[8..])).await, 0);
        assert_eq!(db.count("audit_logs WHERE action = 'settings.updated'").await, 3);
        assert_eq!(db.count("audit_logs WHERE action = 'settings.tested'").await, 5);
    }

    // null removes the key: the provider now refuses the keyless request.
    let cleared: Value =
        patch(&app, &token, "ai", &json!({ "api_key": null, "model": null })).await.json().await.unwrap();
    assert_eq!(
        (cleared["values"]["api_key"].clone(), cleared["values"]["model"].clone()),
        (Value::Null, json!("gpt-4o-mini"))
    );
    assert_eq!(cleared["secrets_set"], json!([]));
    let keyless = check(&app, &token, "ai", None).await;
    assert_eq!((keyless["ok"].as_bool(), keyless["status"].as_u64()), (Some(false), Some(401)));
    assert!(!seen.lock().unwrap().last().unwrap().to_lowercase().contains("authorization"));
    // Providers that need a key say so without calling out.
    let before = seen.lock().unwrap().len();
    let needs_key = check(&app, &token, "ai", Some(&json!({ "provider": "openai" }))).await;
    assert_eq!(needs_key["ok"], false);
    assert!(needs_key["detail"].as_str().unwrap().contains("api_key"));
    assert_eq!(seen.lock().unwrap().len(), before);

    // The audit trail names what changed, never the key; the logs never show it either.
    let audit: Value =
        app.get_authed("/v1/admin/audit-logs?action=settings.updated", &token).await.json().await.unwrap();
    assert_eq!(audit["items"][0]["metadata"]["changed"], json!(["model", "api_key"]));
    assert!(!audit.to_string().contains(&key));
    assert!(!captured_logs().contains(&key[8..]), "the key reached a log line");
}

async fn settings_input_is_checked_by_field(backend: Backend) {
    let (app, token) = spawn_app_with_admin(backend).await;
    let res = patch(
        &app,
        &token,
        "ai",
        &json!({ "provider": "skynet", "base_url": "ftp://example.com", "model": "", "api_key": 7, "temperature": 0.2 }),
    )
    .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    let mut fields: Vec<(String, String)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap().to_owned(), e["code"].as_str().unwrap().to_owned()))
        .collect();
    fields.sort();
    let expected = [
        ("api_key", "invalid_type"),
        ("base_url", "invalid_url"),
        ("model", "invalid_length"),
        ("provider", "invalid_choice"),
        ("temperature", "unknown_field"),
    ];
    assert_eq!(fields, expected.map(|(f, c)| (f.to_owned(), c.to_owned())));
    // Nothing was stored by the refused patch.
    let ai: Value = app.get_authed("/v1/admin/settings/ai", &token).await.json().await.unwrap();
    assert_eq!(ai["updated_at"], Value::Null);

    for (body, field) in [
        (json!({ "max_upload_size_mb": 0 }), "max_upload_size_mb"),
        (json!({ "max_upload_size_mb": 4096 }), "max_upload_size_mb"),
        (json!({ "max_upload_size_mb": "10" }), "max_upload_size_mb"),
        (json!({ "api_key": "sk-wrong-namespace" }), "api_key"),
        (json!(["not", "an", "object"]), "body"),
    ] {
        let problem = assert_problem(patch(&app, &token, "documents", &body).await, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
    }
    let limits: Value =
        patch(&app, &token, "documents", &json!({ "max_upload_size_mb": 100 })).await.json().await.unwrap();
    assert_eq!(limits["values"], json!({ "max_upload_size_mb": 100 }));
    assert_eq!(check(&app, &token, "documents", None).await["ok"], true);
    let reset: Value =
        patch(&app, &token, "documents", &json!({ "max_upload_size_mb": null })).await.json().await.unwrap();
    assert_eq!(reset["values"], json!({ "max_upload_size_mb": 25 }));

    // Unknown namespaces do not exist; malformed bodies are 400.
    assert_problem(app.get_authed("/v1/admin/settings/billing", &token).await, 404, "not_found").await;
    assert_problem(patch(&app, &token, "billing", &json!({})).await, 404, "not_found").await;
    let res = app.client.post(app.url("/v1/admin/settings/billing/test")).bearer_auth(&token).send().await.unwrap();
    assert_problem(res, 404, "not_found").await;
    let res = app
        .client
        .patch(app.url("/v1/admin/settings/ai"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"model\":")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = app
        .client
        .post(app.url("/v1/admin/settings/ai/test"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"model\": 5}")
        .send()
        .await
        .unwrap();
    assert_problem(res, 422, "validation_failed").await;
}

async fn only_admins_read_or_change_settings(backend: Backend) {
    let (app, token) = spawn_app_with_admin(backend).await;
    let (_, login) = app.signed_in().await;
    let user_token = login["access_token"].as_str().unwrap();
    assert_eq!(patch(&app, &token, "documents", &json!({ "max_upload_size_mb": 50 })).await.status(), 200);
    for path in ["/v1/admin/settings", "/v1/admin/settings/ai"] {
        assert_problem(app.client.get(app.url(path)).send().await.unwrap(), 401, "unauthenticated").await;
        assert_problem(app.get_authed(path, user_token).await, 403, "forbidden").await;
    }
    assert_problem(patch(&app, user_token, "documents", &json!({ "max_upload_size_mb": 1 })).await, 403, "forbidden")
        .await;
    let res = app.client.post(app.url("/v1/admin/settings/ai/test")).bearer_auth(user_token).send().await.unwrap();
    assert_problem(res, 403, "forbidden").await;
    let limits: Value = app.get_authed("/v1/admin/settings/documents", &token).await.json().await.unwrap();
    assert_eq!(limits["values"]["max_upload_size_mb"], 50);
}

/// A replica with another `SECRETS_ENCRYPTION_KEY` cannot open the stored key: its check
/// says so (not a 500) and a fresh PATCH makes the secret usable again.
#[tokio::test]
async fn a_changed_encryption_key_is_reported_not_a_crash() {
    use base64::Engine;
    let key_of = |byte: u8| base64::engine::general_purpose::STANDARD.encode([byte; 32]);
    let boss = unique_email();
    let (first_key, second_key) = (key_of(1), key_of(2));
    let first =
        spawn_app_with(Backend::Postgres, &[("BOOTSTRAP_ADMIN_EMAIL", &boss), ("SECRETS_ENCRYPTION_KEY", &first_key)])
            .await;
    let token = first.bootstrap_admin(&boss).await;
    let api_key = format!("sk-test-{}", uuid::Uuid::now_v7().simple());
    let (provider_url, _) = fake_provider(&api_key).await;
    let body = json!({ "provider": "openai_compatible", "base_url": provider_url, "api_key": api_key });
    assert_eq!(patch(&first, &token, "ai", &body).await.status(), 200);
    assert_eq!(check(&first, &token, "ai", None).await["ok"], true);

    let url = first.database_url.clone().unwrap();
    let second =
        spawn_app_with(Backend::Postgres, &[("DATABASE_URL", &url), ("SECRETS_ENCRYPTION_KEY", &second_key)]).await;
    let token = second.login_ok(&boss, PASSWORD).await["access_token"].as_str().unwrap().to_owned();
    let outcome = check(&second, &token, "ai", None).await;
    assert_eq!(outcome["ok"], false);
    assert!(outcome["detail"].as_str().unwrap().contains("another key"), "{outcome}");
    // The hint still shows; entering the key again repairs it.
    let read: Value = second.get_authed("/v1/admin/settings/ai", &token).await.json().await.unwrap();
    assert!(read["values"]["api_key"].as_str().unwrap().starts_with("sk-…"));
    assert_eq!(patch(&second, &token, "ai", &json!({ "api_key": api_key })).await.status(), 200);
    assert_eq!(check(&second, &token, "ai", None).await["ok"], true);

    // A key that is not 32 bytes of base64 stops start-up, naming the variable.
    let bad = identity_http::config::Config::from_env(&|name: &str| {
        (name == "SECRETS_ENCRYPTION_KEY").then(|| "c2hvcnQ=".to_owned())
    })
    .unwrap_err();
    assert_eq!(bad.var, "SECRETS_ENCRYPTION_KEY");
}
