#![allow(clippy::unwrap_used, clippy::expect_used)]

//! Service clients on both backends: their lifecycle (the secret shown once and stored as a
//! digest, rotation with an overlap, revocation), HTTP Basic and the `client_credentials`
//! grant, introspection (RFC 7662) of every kind of token, and the service reads.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{
    Backend, Db, PASSWORD, TestApp, TestClock, assert_problem, captured_logs, spawn_app_with_clock, unique_email,
};

/// A server on a clock the test moves, with a signed-in admin.
async fn app_with_admin(backend: Backend) -> (TestApp, TestClock, String) {
    let boss = unique_email();
    let (app, clock) = spawn_app_with_clock(backend, &[("BOOTSTRAP_ADMIN_EMAIL", &boss)]).await;
    let admin = app.bootstrap_admin(&boss).await;
    (app, clock, admin)
}

/// Creates a client; answers `(id, secret, answer)`.
async fn create(app: &TestApp, admin: &str, scopes: &[&str]) -> (String, String, Value) {
    let body = json!({ "name": "billing", "scopes": scopes });
    let res = app.post_authed("/v1/admin/service-clients", admin, Some(&body)).await;
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let answer: Value = res.json().await.unwrap();
    let id = answer["client_id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/v1/admin/service-clients/{id}"));
    (id, answer["client_secret"].as_str().unwrap().to_owned(), answer)
}

async fn get_basic(app: &TestApp, path: &str, id: &str, secret: &str) -> reqwest::Response {
    app.client.get(app.url(path)).basic_auth(id, Some(secret)).send().await.unwrap()
}

async fn get_bearer(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.client.get(app.url(path)).bearer_auth(token).send().await.unwrap()
}

/// `client_credentials` with HTTP Basic.
async fn service_token(app: &TestApp, id: &str, secret: &str, scope: Option<&str>) -> reqwest::Response {
    let mut form = vec![("grant_type", "client_credentials")];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    app.client.post(app.url("/v1/auth/token")).basic_auth(id, Some(secret)).form(&form).send().await.unwrap()
}

async fn introspect(app: &TestApp, id: &str, secret: &str, token: &str) -> Value {
    let res = app
        .client
        .post(app.url("/v1/tokens/introspect"))
        .basic_auth(id, Some(secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    res.json().await.unwrap()
}

async fn admin_id(app: &TestApp, admin: &str) -> String {
    let me: Value = app.get_authed("/v1/auth/me", admin).await.json().await.unwrap();
    me["user"]["id"].as_str().unwrap().to_owned()
}

/// The secret is shown once and stored as a digest; Basic works with it; a rotation keeps the
/// old one for its overlap; a revoked client authenticates no more; all of it audited.
async fn service_clients_live_rotate_and_end(backend: Backend) {
    let (app, clock, admin) = app_with_admin(backend).await;
    let user_path = format!("/v1/service/users/{}", admin_id(&app, &admin).await);
    let (id, secret, created) = create(&app, &admin, &["users:read", "tokens:introspect"]).await;
    assert_eq!(created["client"]["scopes"], json!(["tokens:introspect", "users:read"]));
    assert_eq!(created["client"]["secrets"].as_array().unwrap().len(), 1);
    assert!(secret.len() >= 43, "256 bits: {secret}");

    // Shown once: no read shows it again.
    let one = app.get_authed(&format!("/v1/admin/service-clients/{id}"), &admin).await;
    assert_eq!(one.status(), 200);
    let list = app.get_authed("/v1/admin/service-clients", &admin).await.text().await.unwrap();
    let one = one.text().await.unwrap();
    for shown in [&one, &list] {
        assert!(shown.contains(&id) && !shown.contains(&secret), "{shown}");
    }
    if let Some(url) = &app.database_url {
        let mut db = Db::connect(url).await;
        assert_eq!(db.count(&format!("service_clients WHERE id = '{id}'")).await, 1);
        assert_eq!(db.count(&format!("service_clients WHERE secrets::text LIKE '%{}%'", &secret[..12])).await, 0);
    }

    // HTTP Basic: the right secret reads; anything else is 401 with the challenge.
    let res = get_basic(&app, &user_path, &id, &secret).await;
    assert_eq!(res.status(), 200);
    let read: Value = res.json().await.unwrap();
    assert!(read["roles"].as_array().unwrap().contains(&json!("admin")));
    for (who, pass) in
        [(id.as_str(), "wrong"), ("not-a-uuid", secret.as_str()), (&uuid::Uuid::now_v7().to_string(), &secret)]
    {
        let res = get_basic(&app, &user_path, who, pass).await;
        assert_eq!(res.headers()["www-authenticate"], "Basic realm=\"identity\", Bearer realm=\"identity\"");
        assert_problem(res, 401, "unauthenticated").await;
    }
    assert_problem(app.client.get(app.url(&user_path)).send().await.unwrap(), 401, "unauthenticated").await;
    // A user's token is no service credential, and a service's secret opens no user route.
    assert_problem(get_bearer(&app, &user_path, &admin).await, 401, "unauthenticated").await;
    assert_problem(get_basic(&app, "/v1/users/me", &id, &secret).await, 401, "unauthenticated").await;
    // Only admins keep clients.
    let (_, user) = app.signed_in_user().await;
    assert_problem(app.get_authed("/v1/admin/service-clients", &user).await, 403, "forbidden").await;
    let bad = json!({ "name": " ", "scopes": ["users:write"] });
    let problem = assert_problem(
        app.post_authed("/v1/admin/service-clients", &admin, Some(&bad)).await,
        422,
        "validation_failed",
    )
    .await;
    let codes: Vec<&str> = problem["errors"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["required", "unknown_scope"]);

    // Rotation: the new secret works, the old one for the overlap only.
    let rotate = |overlap: u32| {
        let path = format!("/v1/admin/service-clients/{id}/secrets");
        let admin = admin.clone();
        let app = &app;
        async move {
            let res = app.post_authed(&path, &admin, Some(&json!({ "overlap_seconds": overlap }))).await;
            assert_eq!(res.status(), 200);
            res.json::<Value>().await.unwrap()["client_secret"].as_str().unwrap().to_owned()
        }
    };
    let second = rotate(600).await;
    assert_ne!(second, secret);
    assert_eq!(get_basic(&app, &user_path, &id, &second).await.status(), 200);
    assert_eq!(get_basic(&app, &user_path, &id, &secret).await.status(), 200);
    let view: Value = app.get_authed(&format!("/v1/admin/service-clients/{id}"), &admin).await.json().await.unwrap();
    assert_eq!(view["secrets"].as_array().unwrap().len(), 2);
    assert!(view["secrets"][0]["expires_at"].is_null() && view["secrets"][1]["expires_at"].is_string(), "{view}");
    clock.elapse(Duration::from_secs(601)).await;
    assert_problem(get_basic(&app, &user_path, &id, &secret).await, 401, "unauthenticated").await;
    assert_eq!(get_basic(&app, &user_path, &id, &second).await.status(), 200);
    // No overlap: the older secret ends at once.
    let third = rotate(0).await;
    assert_problem(get_basic(&app, &user_path, &id, &second).await, 401, "unauthenticated").await;
    assert_eq!(get_basic(&app, &user_path, &id, &third).await.status(), 200);
    // JSON's other spelling of a whole number is one too.
    let res = app
        .post_authed(
            &format!("/v1/admin/service-clients/{id}/secrets"),
            &admin,
            Some(&json!({ "overlap_seconds": 60.0 })),
        )
        .await;
    assert_eq!(res.status(), 200);
    let third: String = res.json::<Value>().await.unwrap()["client_secret"].as_str().unwrap().to_owned(); // the newest
    let res = app
        .post_authed(
            &format!("/v1/admin/service-clients/{id}/secrets"),
            &admin,
            Some(&json!({ "overlap_seconds": 1.5 })),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let too_long = json!({ "overlap_seconds": 604_801 });
    let res = app.post_authed(&format!("/v1/admin/service-clients/{id}/secrets"), &admin, Some(&too_long)).await;
    assert_problem(res, 422, "validation_failed").await;

    // Revoked: nothing of it works, a token neither; it stays listed.
    let token: Value = service_token(&app, &id, &third, None).await.json().await.unwrap();
    let token = token["access_token"].as_str().unwrap().to_owned();
    assert_eq!(get_bearer(&app, &user_path, &token).await.status(), 200);
    let res =
        app.client.request(Method::DELETE, app.url(&format!("/v1/admin/service-clients/{id}"))).bearer_auth(&admin);
    assert_eq!(res.send().await.unwrap().status(), 204);
    assert_problem(get_basic(&app, &user_path, &id, &third).await, 401, "unauthenticated").await;
    assert_problem(get_bearer(&app, &user_path, &token).await, 401, "unauthenticated").await;
    let res = service_token(&app, &id, &third, None).await;
    assert_eq!(res.status(), 401);
    let view: Value = app.get_authed(&format!("/v1/admin/service-clients/{id}"), &admin).await.json().await.unwrap();
    assert!(view["revoked_at"].is_string(), "{view}");
    let res = app.post_authed(&format!("/v1/admin/service-clients/{id}/secrets"), &admin, None).await;
    assert_problem(res, 404, "not_found").await;

    let audit: Value = app.get_authed("/v1/admin/audit-logs?limit=100", &admin).await.json().await.unwrap();
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for action in ["service_client.created", "service_client.secret_rotated", "service_client.revoked"] {
        assert!(actions.contains(&action), "{action}: {actions:?}");
    }
    assert!(!audit.to_string().contains(&secret) && !audit.to_string().contains(&third));
    assert!(!captured_logs().contains(&third), "a secret reached a log line");
}

/// The `client_credentials` grant: a short-lived token with its scopes, no refresh token;
/// refusals as RFC 6749 errors; a scope taken away counts at once.
async fn client_credentials_give_short_lived_scoped_tokens(backend: Backend) {
    let (app, clock, admin) = app_with_admin(backend).await;
    let user_path = format!("/v1/service/users/{}", admin_id(&app, &admin).await);
    let (id, secret, _) = create(&app, &admin, &["users:read", "tokens:introspect"]).await;

    let res = service_token(&app, &id, &secret, None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let answer: Value = res.json().await.unwrap();
    assert_eq!(answer["token_type"], "Bearer");
    assert_eq!(answer["expires_in"], 300);
    assert_eq!(answer["scope"], "tokens:introspect users:read");
    assert!(answer.get("refresh_token").is_none(), "{answer}");
    let token = answer["access_token"].as_str().unwrap().to_owned();
    assert_eq!(get_bearer(&app, &user_path, &token).await.status(), 200);
    // A service token is no user token.
    assert_problem(app.get_authed("/v1/auth/me", &token).await, 401, "unauthenticated").await;
    assert_problem(app.get_authed("/v1/auth/verify", &token).await, 401, "unauthenticated").await;

    // The form's client_id and client_secret work as well; one way only.
    let form = [("grant_type", "client_credentials"), ("client_id", &id), ("client_secret", &secret)];
    let res = app.client.post(app.url("/v1/auth/token")).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = app.client.post(app.url("/v1/auth/token")).basic_auth(&id, Some(&secret)).form(&form).send().await;
    let res = res.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_request");

    // Wrong credentials: 401 invalid_client with the Basic challenge.
    for res in [
        service_token(&app, &id, "wrong", None).await,
        app.client.post(app.url("/v1/auth/token")).form(&[("grant_type", "client_credentials")]).send().await.unwrap(),
    ] {
        assert_eq!(res.status(), 401);
        assert_eq!(res.headers()["www-authenticate"], "Basic realm=\"identity\"");
        assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_client");
    }
    // A scope it does not hold.
    let res = service_token(&app, &id, &secret, Some("users:read settings:read:ai")).await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_scope");

    // A narrower token opens only what it was granted.
    let narrow: Value = service_token(&app, &id, &secret, Some("users:read")).await.json().await.unwrap();
    assert_eq!(narrow["scope"], "users:read");
    let narrow = narrow["access_token"].as_str().unwrap().to_owned();
    let res = app.client.post(app.url("/v1/tokens/introspect")).bearer_auth(&narrow).form(&[("token", &token)]);
    assert_problem(res.send().await.unwrap(), 403, "forbidden").await;

    // A scope taken away counts at once, for tokens issued before.
    let res = app
        .client
        .patch(app.url(&format!("/v1/admin/service-clients/{id}")))
        .bearer_auth(&admin)
        .json(&json!({ "scopes": ["tokens:introspect"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_problem(get_bearer(&app, &user_path, &token).await, 403, "forbidden").await;
    assert_problem(get_basic(&app, &user_path, &id, &secret).await, 403, "forbidden").await;

    // Five minutes later the token is over.
    clock.elapse(Duration::from_secs(301)).await;
    let res = app.client.post(app.url("/v1/tokens/introspect")).bearer_auth(&token).form(&[("token", &token)]);
    assert_problem(res.send().await.unwrap(), 401, "unauthenticated").await;
}

/// RFC 7662: every kind of token, and exactly `{"active": false}` for what does not work.
async fn introspection_tells_live_tokens_from_everything_else(backend: Backend) {
    let (app, clock, admin) = app_with_admin(backend).await;
    let (id, secret, _) = create(&app, &admin, &["tokens:introspect"]).await;
    let (reader, reader_secret, _) = create(&app, &admin, &["users:read"]).await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 201);
    let login = app.login_ok(&email, PASSWORD).await;
    let access = login["access_token"].as_str().unwrap().to_owned();
    let refresh = login["refresh_token"].as_str().unwrap().to_owned();

    let active = introspect(&app, &id, &secret, &access).await;
    assert_eq!(active["active"], true);
    assert_eq!(active["token_type"], "Bearer");
    assert_eq!(active["sub"], login["user"]["id"]);
    assert_eq!(active["username"], email.as_str());
    assert_eq!((active["iss"].clone(), active["aud"].clone()), (json!("identity"), json!("identity")));
    assert_eq!(active["roles"], json!(["user"]));
    assert_eq!(active["amr"], json!(["pwd"]));
    assert_eq!(active["aal"], 1);
    let me: Value = app.get_authed("/v1/auth/me", &access).await.json().await.unwrap();
    assert_eq!(active["sid"], me["session"]["id"]);
    assert_eq!(active["exp"].as_i64().unwrap() - active["iat"].as_i64().unwrap(), 900);

    // A service token is active too, with its client and scope.
    let service: Value = service_token(&app, &id, &secret, None).await.json().await.unwrap();
    let service = introspect(&app, &id, &secret, service["access_token"].as_str().unwrap()).await;
    assert_eq!(service["client_id"].as_str(), Some(id.as_str()));
    assert_eq!(service["scope"], "tokens:introspect");
    assert!(service.get("sid").is_none(), "{service}");

    // Anything else: exactly inactive.
    let inactive = json!({ "active": false });
    for token in [refresh.as_str(), "garbage", "v4.public.AAAA", ""] {
        assert_eq!(introspect(&app, &id, &secret, token).await, inactive, "{token:?}");
    }
    // An ended session.
    let other = app.login_ok(&email, PASSWORD).await;
    let other = other["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.post_authed("/v1/auth/logout", &other, None).await.status(), 204);
    assert_eq!(introspect(&app, &id, &secret, &other).await, inactive);
    // An expired access token.
    clock.elapse(Duration::from_secs(901)).await;
    assert_eq!(introspect(&app, &id, &secret, &access).await, inactive);

    // Refusals: no credentials, the wrong scope, the wrong body.
    let res = app.client.post(app.url("/v1/tokens/introspect")).form(&[("token", &access)]).send().await.unwrap();
    assert_problem(res, 401, "unauthenticated").await;
    let res = app.client.post(app.url("/v1/tokens/introspect")).basic_auth(&reader, Some(&reader_secret));
    assert_problem(res.form(&[("token", &access)]).send().await.unwrap(), 403, "forbidden").await;
    let call = || app.client.post(app.url("/v1/tokens/introspect")).basic_auth(&id, Some(&secret));
    assert_problem(call().form(&[("token_type_hint", "access_token")]).send().await.unwrap(), 422, "validation_failed")
        .await;
    assert_problem(call().form(&[("token", "a"), ("token", "b")]).send().await.unwrap(), 422, "validation_failed")
        .await;
    assert_problem(call().json(&json!({ "token": access })).send().await.unwrap(), 415, "unsupported_media_type").await;
}

/// Users and settings for other services: settings secrets in clear, every read audited.
async fn services_read_users_and_their_settings(backend: Backend) {
    let (app, _clock, admin) = app_with_admin(backend).await;
    let (id, secret, _) = create(&app, &admin, &["users:read", "settings:read:ai"]).await;
    let (email, body) = app.signed_in().await;
    let user_id = body["user"]["id"].as_str().unwrap();
    let user: Value =
        get_basic(&app, &format!("/v1/service/users/{user_id}"), &id, &secret).await.json().await.unwrap();
    assert_eq!(user["email"], email.as_str());
    assert!(user.get("password_hash").is_none());
    let missing = format!("/v1/service/users/{}", uuid::Uuid::now_v7());
    assert_problem(get_basic(&app, &missing, &id, &secret).await, 404, "not_found").await;

    let key = format!("sk-{}", uuid::Uuid::now_v7().simple());
    let res = app
        .client
        .patch(app.url("/v1/admin/settings/ai"))
        .bearer_auth(&admin)
        .json(&json!({ "provider": "openai", "model": "gpt-4.1", "api_key": key }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let read = get_basic(&app, "/v1/service/settings/ai", &id, &secret).await;
    assert_eq!(read.status(), 200);
    let read: Value = read.json().await.unwrap();
    assert_eq!(read["namespace"], "ai");
    assert_eq!(read["values"]["api_key"], key.as_str());
    assert_eq!(read["values"]["model"], "gpt-4.1");
    // Another namespace, or one that does not exist: no scope names it.
    assert_problem(get_basic(&app, "/v1/service/settings/documents", &id, &secret).await, 403, "forbidden").await;
    assert_problem(get_basic(&app, "/v1/service/settings/nope", &id, &secret).await, 403, "forbidden").await;
    // Admins read hints, never the key, and cannot use the service route.
    assert_problem(app.get_authed("/v1/service/settings/ai", &admin).await, 401, "unauthenticated").await;

    assert_eq!(get_basic(&app, "/v1/service/settings/ai", &id, &secret).await.status(), 200);
    let audit: Value = app.get_authed("/v1/admin/audit-logs?action=settings.read", &admin).await.json().await.unwrap();
    let reads = audit["items"].as_array().unwrap();
    assert_eq!(reads.len(), 2, "{audit}");
    assert_eq!(reads[0]["metadata"]["service_client"], id.as_str());
    assert_eq!(reads[0]["metadata"]["namespace"], "ai");
    assert!(!audit.to_string().contains(&key));
    assert!(!captured_logs().contains(&key[8..]), "the key reached a log line");
    // The refusals are audited too, once a minute.
    let denied: Value =
        app.get_authed("/v1/admin/audit-logs?action=authorization.denied", &admin).await.json().await.unwrap();
    assert!(
        denied["items"].as_array().unwrap().iter().any(|e| e["metadata"]["service_client"] == id.as_str()),
        "{denied}"
    );
}

both_backends!(
    service_clients_live_rotate_and_end,
    client_credentials_give_short_lived_scoped_tokens,
    introspection_tells_live_tokens_from_everything_else,
    services_read_users_and_their_settings,
);
