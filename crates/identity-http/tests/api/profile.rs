#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, PASSWORD, TestApp, assert_problem, spawn_app, spawn_app_with_admin, unique_email};

both_backends!(
    profile_fields_are_validated_normalised_and_merged,
    anything_but_profile_fields_is_refused_naming_it,
    names_refuse_invisible_and_text_direction_characters,
);

async fn patch(app: &TestApp, token: &str, body: &Value) -> reqwest::Response {
    app.client
        .patch(app.url("/v1/users/me"))
        .bearer_auth(token)
        .header("Content-Type", "application/merge-patch+json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

async fn profile_fields_are_validated_normalised_and_merged(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, login) = app.signed_in().await;
    let token = login["access_token"].as_str().unwrap();
    let me: Value = app.get_authed("/v1/users/me", token).await.json().await.unwrap();
    assert_eq!(
        me["profile"],
        json!({
            "name": null, "display_name": null, "company": null, "phone": null, "telegram": null,
            "avatar_url": null, "locale": "en", "time_zone": "UTC", "region": "US", "currency": "USD",
            "preferences": {}
        })
    );

    let res = patch(
        &app,
        token,
        &json!({
            "name": "  Ada Lovelace ", "company": "Analytical Engines", "phone": "+44 20 7946 0958",
            "telegram": "@ada_lovelace", "avatar_url": "https://cdn.example.com/ada.png", "locale": "en_gb",
            "time_zone": "Europe/London", "region": "gb", "currency": "GBP",
            "preferences": { "notifications": { "email": true, "digest": "weekly" }, "focus": { "session_minutes": 25 } }
        }),
    )
    .await;
    assert_eq!(res.status(), 200);
    let user: Value = res.json().await.unwrap();
    let p = &user["profile"];
    assert_eq!(p["name"], "Ada Lovelace");
    assert_eq!(p["phone"], "+442079460958");
    assert_eq!(p["telegram"], "ada_lovelace");
    assert_eq!(p["locale"], "en-GB");
    assert_eq!((p["region"].as_str(), p["currency"].as_str()), (Some("GB"), Some("GBP")));
    assert!(user["updated_at"].as_str() > me["updated_at"].as_str());

    // Merge patch: untouched fields stay, null clears or restores the default, preferences merge.
    let res = patch(
        &app,
        token,
        &json!({ "company": null, "locale": null, "preferences": { "notifications": { "push": false, "digest": null } } }),
    )
    .await;
    let user: Value = res.json().await.unwrap();
    let p = &user["profile"];
    assert_eq!(p["company"], Value::Null);
    assert_eq!(p["locale"], "en");
    assert_eq!(p["name"], "Ada Lovelace");
    assert_eq!(
        p["preferences"],
        json!({ "notifications": { "email": true, "push": false }, "focus": { "session_minutes": 25 } })
    );
    // The stored state is what GET answers.
    let again: Value = app.get_authed("/v1/users/me", token).await.json().await.unwrap();
    assert_eq!(again["profile"], user["profile"]);

    if backend == Backend::Postgres {
        let mut db = crate::helpers::Db::connect(app.database_url.as_deref().unwrap()).await;
        let id = uuid::Uuid::parse_str(user["id"].as_str().unwrap()).unwrap();
        let events = db.outbox_for(id).await;
        let updates: Vec<&crate::helpers::OutboxRow> =
            events.iter().filter(|e| e.event_type == "user.updated").collect();
        assert_eq!(updates.len(), 2);
        assert_eq!(updates[1].payload["changed"], json!(["company", "locale", "preferences"]));
    }
    // A patch that changes nothing emits nothing and keeps updated_at.
    let same: Value = patch(&app, token, &json!({ "name": "Ada Lovelace" })).await.json().await.unwrap();
    assert_eq!(same["updated_at"], user["updated_at"]);
    assert_problem(
        app.client.patch(app.url("/v1/users/me")).json(&json!({})).send().await.unwrap(),
        401,
        "unauthenticated",
    )
    .await;
}

async fn anything_but_profile_fields_is_refused_naming_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, login) = app.signed_in().await;
    let token = login["access_token"].as_str().unwrap();
    let res = patch(
        &app,
        token,
        &json!({
            "email": "other@example.com", "status": "active", "roles": ["admin"], "id": "x", "favourite_color": "blue",
            "phone": "0151 12345678", "telegram": "ab", "avatar_url": "http://cdn.example.com/a.png", "locale": "english",
            "time_zone": "Mars/Olympus", "region": "XX", "currency": "BTC", "name": 42,
            "preferences": { "ai": { "temperature": 3, "api_key": "sk-123" }, "theme": {} }
        }),
    )
    .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    let mut found: Vec<(String, String)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap().to_owned(), e["code"].as_str().unwrap().to_owned()))
        .collect();
    found.sort();
    let expected = [
        ("avatar_url", "https_required"),
        ("currency", "invalid_currency"),
        ("email", "read_only"),
        ("favourite_color", "unknown_field"),
        ("id", "read_only"),
        ("locale", "invalid_locale"),
        ("name", "invalid_type"),
        ("phone", "invalid_phone"),
        ("preferences.ai.api_key", "unknown_field"),
        ("preferences.ai.temperature", "invalid_value"),
        ("preferences.theme", "unknown_field"),
        ("region", "invalid_region"),
        ("roles", "read_only"),
        ("status", "read_only"),
        ("telegram", "invalid_telegram"),
        ("time_zone", "invalid_time_zone"),
    ];
    let expected: Vec<(String, String)> = expected.iter().map(|(f, c)| ((*f).to_owned(), (*c).to_owned())).collect();
    assert_eq!(found, expected);
    // Nothing was changed by the refused patch.
    let me: Value = app.get_authed("/v1/users/me", token).await.json().await.unwrap();
    assert_eq!(me["profile"]["locale"], "en");
    assert_eq!(me["email"], login["user"]["email"]);
    assert_problem(patch(&app, token, &json!([1, 2])).await, 422, "validation_failed").await;
}

mod deletion {
    use serde_json::json;

    use crate::both_backends;
    use crate::helpers::{Backend, PASSWORD, assert_problem, spawn_app};

    both_backends!(deleting_the_account_ends_it_at_once_and_keeps_the_address_reserved);

    async fn deleting_the_account_ends_it_at_once_and_keeps_the_address_reserved(backend: Backend) {
        let app = spawn_app(backend).await;
        let (email, login) = app.signed_in().await;
        let other = app.login_ok(&email, PASSWORD).await;
        let token = login["access_token"].as_str().unwrap();
        let delete = |password: &'static str| {
            let app = &app;
            async move {
                app.client
                    .delete(app.url("/v1/users/me"))
                    .bearer_auth(token)
                    .json(&json!({ "password": password }))
                    .send()
                    .await
                    .unwrap()
            }
        };
        let wrong = assert_problem(delete("not the password").await, 422, "validation_failed").await;
        assert_eq!(wrong["errors"][0]["field"], "password");
        assert_eq!(app.me_with_bearer(token).await.status(), 200, "a refused delete changes nothing");

        assert_eq!(delete(PASSWORD).await.status(), 204);
        for login in [&login, &other] {
            assert_eq!(app.me_with_bearer(login["access_token"].as_str().unwrap()).await.status(), 401);
            assert_eq!(app.refresh(login["refresh_token"].as_str().unwrap()).await.status(), 401);
        }
        assert_problem(app.login(&email, PASSWORD).await, 401, "invalid_credentials").await;
        assert_problem(app.register(&email, PASSWORD).await, 409, "email_taken").await;
        if backend == Backend::Postgres {
            let mut db = crate::helpers::Db::connect(app.database_url.as_deref().unwrap()).await;
            let id = uuid::Uuid::parse_str(login["user"]["id"].as_str().unwrap()).unwrap();
            let row = db.user(id).await.expect("the data is kept");
            assert_eq!(row.status, "deleted");
            let events: Vec<String> = db.outbox_for(id).await.into_iter().map(|e| e.event_type).collect();
            assert!(events.contains(&"user.deleted".to_owned()), "{events:?}");
        }
    }
}

/// Names that would show as another name, or hide text, are refused wherever a name is given
/// (issue 25): right-to-left overrides and isolates, marks, zero-width spaces and joiners, the
/// word joiner, U+FEFF, the soft hyphen, tags. 422 `invalid_characters` naming the field;
/// other scripts and emoji stay welcome.
async fn names_refuse_invisible_and_text_direction_characters(backend: Backend) {
    let (app, admin) = spawn_app_with_admin(backend).await;
    let (_, login) = app.signed_in().await;
    let token = login["access_token"].as_str().unwrap();
    let device = login["session"]["device_id"].as_str().unwrap();
    let group: Value =
        app.post_authed("/v1/admin/groups", &admin, Some(&json!({ "name": "Staff" }))).await.json().await.unwrap();
    let group = group["id"].as_str().unwrap();
    let refused = |res: reqwest::Response, field: &'static str| async move {
        let problem = assert_problem(res, 422, "validation_failed").await;
        let errors: Vec<(&str, &str)> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
            .collect();
        assert_eq!(errors, [(field, "invalid_characters")], "{problem}");
    };
    let send = |method: reqwest::Method, path: String, token: String, body: Value| {
        let app = &app;
        async move { app.client.request(method, app.url(&path)).bearer_auth(token).json(&body).send().await.unwrap() }
    };
    use reqwest::Method;
    for c in [
        '\u{202E}',
        '\u{2067}',
        '\u{200F}',
        '\u{61C}',
        '\u{200B}',
        '\u{200D}',
        '\u{2060}',
        '\u{FEFF}',
        '\u{AD}',
        '\u{E0041}',
    ] {
        let name = format!("Ada{c}Lovelace");
        for field in ["name", "display_name", "company"] {
            refused(patch(&app, token, &json!({ field: name })).await, field).await;
        }
        let register = json!({ "email": unique_email(), "password": PASSWORD, "name": name });
        refused(app.post_json("/v1/auth/register", &register).await, "name").await;
        let register = json!({ "email": unique_email(), "password": PASSWORD, "username": format!("ada{c}") });
        refused(app.post_json("/v1/auth/register", &register).await, "username").await;
        let create = json!({ "email": unique_email(), "password": PASSWORD, "name": name });
        refused(send(Method::POST, "/v1/admin/users".into(), admin.clone(), create).await, "name").await;
        let new_group = json!({ "name": format!("Admins{c}") });
        refused(send(Method::POST, "/v1/admin/groups".into(), admin.clone(), new_group.clone()).await, "name").await;
        let path = format!("/v1/admin/groups/{group}");
        refused(send(Method::PATCH, path, admin.clone(), new_group).await, "name").await;
        let rename = json!({ "name": format!("Work{c}laptop") });
        refused(send(Method::PATCH, format!("/v1/devices/{device}"), token.to_owned(), rename).await, "name").await;
    }
    let email = login["user"]["email"].as_str().unwrap();
    let sign_in = json!({ "email": email, "password": PASSWORD, "device": { "name": "Laptop\u{202E}" } });
    refused(app.post_json("/v1/auth/login", &sign_in).await, "device.name").await;

    // Nothing was changed by the refusals; names in any script, with emoji, are fine.
    let me: Value = app.get_authed("/v1/users/me", token).await.json().await.unwrap();
    assert_eq!((me["profile"]["name"].as_str(), me["profile"]["display_name"].as_str()), (None, None), "{me}");
    for name in ["محمد بن موسى", "李小龙", "Zoë 😀", "Jean-Luc O'Neil"] {
        let res = patch(&app, token, &json!({ "name": name, "display_name": name })).await;
        let user: Value = res.json().await.unwrap();
        assert_eq!(user["profile"]["name"], name, "{user}");
    }
    let res =
        send(Method::PATCH, format!("/v1/devices/{device}"), token.to_owned(), json!({ "name": "עבודה 💻" })).await;
    assert_eq!(res.status(), 200);
}
