#![allow(clippy::unwrap_used, clippy::expect_used)]

//! Forward-auth (`GET /v1/auth/verify`) on both backends: who the caller is as headers, a role
//! or an app the proxy requires, refusals as problem documents; and a real nginx in front of
//! a test upstream with `auth_request`.

use std::process::{Command, Stdio};

use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{
    Backend, PASSWORD, Process, TestApp, assert_problem, free_port, spawn_app_with, spawn_app_with_admin, unique_email,
    wait_until_up,
};
use crate::stubs::{Answer, StubHttp};

async fn verify(app: &TestApp, query: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url(&format!("/v1/auth/verify{query}")));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn admin_put(app: &TestApp, admin: &str, path: &str) {
    let res = app.client.request(Method::PUT, app.url(path)).bearer_auth(admin).send().await.unwrap();
    assert!(res.status().is_success(), "{path}: {}", res.status());
}

/// Who the caller is, in headers and no body; a required role or app; every refusal.
async fn forward_auth_answers_who_the_caller_is_and_what_they_may_open(backend: Backend) {
    let (app, admin) = spawn_app_with_admin(backend).await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 201);
    let login = app.login_ok(&email, PASSWORD).await;
    let token = login["access_token"].as_str().unwrap().to_owned();
    let user_id = login["user"]["id"].as_str().unwrap().to_owned();

    assert_problem(verify(&app, "", None).await, 401, "unauthenticated").await;
    assert_problem(verify(&app, "", Some("not-a-token")).await, 401, "unauthenticated").await;
    let res = verify(&app, "", Some(&token)).await;
    assert_eq!(res.status(), 200);
    let header = |name: &str| res.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(header("x-user-id").as_deref(), Some(user_id.as_str()));
    assert_eq!(header("x-user-email").as_deref(), Some(email.as_str()));
    assert_eq!(header("x-user-roles").as_deref(), Some("user"));
    assert_eq!(header("x-user-aal").as_deref(), Some("1"));
    let me: Value = app.get_authed("/v1/auth/me", &token).await.json().await.unwrap();
    assert_eq!(header("x-session-id").as_deref(), me["session"]["id"].as_str(), "{me}");
    assert_eq!(header("cache-control").as_deref(), Some("no-store"));
    assert!(res.bytes().await.unwrap().is_empty(), "no body");

    // The auth cookie works as well as the bearer header (a browser behind the proxy).
    let cookie = format!("identity_access={token}");
    let res = app.client.get(app.url("/v1/auth/verify")).header("cookie", cookie).send().await.unwrap();
    assert_eq!(res.status(), 200);

    // A role the proxy requires.
    assert_problem(verify(&app, "?role=admin", Some(&token)).await, 403, "forbidden").await;
    let res = verify(&app, "?role=admin", Some(&admin)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-user-roles"], "admin,user");
    assert_problem(verify(&app, "?role=wizard", Some(&token)).await, 422, "validation_failed").await;
    assert_problem(verify(&app, "?app=Not%20A%20Key", Some(&token)).await, 422, "validation_failed").await;
    // A typo in the proxy's configuration is refused, not read as "nothing required".
    assert_problem(verify(&app, "?ap=docs", Some(&token)).await, 422, "validation_failed").await;

    // An app: granted to the user directly, or through a group.
    assert_problem(verify(&app, "?app=docs", Some(&token)).await, 403, "forbidden").await;
    admin_put(&app, &admin, &format!("/v1/admin/users/{user_id}/apps/docs")).await;
    assert_eq!(verify(&app, "?app=docs", Some(&token)).await.status(), 200);
    assert_problem(verify(&app, "?app=chat", Some(&token)).await, 403, "forbidden").await;
    let group: Value = app
        .client
        .post(app.url("/v1/admin/groups"))
        .bearer_auth(&admin)
        .json(&json!({ "name": format!("chatters {}", uuid::Uuid::now_v7().simple()) }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let group = group["id"].as_str().unwrap();
    admin_put(&app, &admin, &format!("/v1/admin/groups/{group}/members/{user_id}")).await;
    admin_put(&app, &admin, &format!("/v1/admin/groups/{group}/apps/chat")).await;
    assert_eq!(verify(&app, "?app=chat", Some(&token)).await.status(), 200);
    assert_problem(verify(&app, "?app=chat&role=admin", Some(&token)).await, 403, "forbidden").await;

    // Envoy's `ext_authz` checks with the method of the request it holds, no body, at its
    // `path_override`: every method answers like GET.
    for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
        let check = || app.client.request(method.clone(), app.url("/v1/auth/verify?app=chat"));
        let res = check().bearer_auth(&token).header("content-length", "0").send().await.unwrap();
        assert_eq!(res.status(), 200, "{method}");
        assert_eq!(res.headers()["x-user-id"].to_str().unwrap(), user_id, "{method}");
        assert_problem(check().send().await.unwrap(), 401, "unauthenticated").await;
        let res = app.client.request(method.clone(), app.url("/v1/auth/verify?app=docs&role=admin"));
        assert_problem(res.bearer_auth(&token).send().await.unwrap(), 403, "forbidden").await;
        // With the cookie, the browser's origin must be one the service allows (unsafe method).
        let cookie = format!("identity_access={token}");
        let res = check().header("cookie", &cookie).header("origin", "https://evil.example").send().await.unwrap();
        assert_problem(res, 403, "csrf_rejected").await;
        let res = check().header("cookie", &cookie).header("origin", app.address.as_str()).send().await.unwrap();
        assert_eq!(res.status(), 200, "{method}");
    }

    // A session that ended is refused at once.
    assert_eq!(app.post_authed("/v1/auth/logout", &token, None).await.status(), 204);
    assert_problem(verify(&app, "", Some(&token)).await, 401, "unauthenticated").await;
}

/// One forward-auth URL for every route: the app follows from the forwarded path
/// (`FORWARD_AUTH_ROUTES`), however it is spelt.
async fn the_forwarded_path_names_the_app_it_needs(backend: Backend) {
    let boss = unique_email();
    let app =
        spawn_app_with(backend, &[("BOOTSTRAP_ADMIN_EMAIL", &boss), ("FORWARD_AUTH_ROUTES", "/api/documents=docs")])
            .await;
    let admin = app.bootstrap_admin(&boss).await;
    let (_, login) = app.signed_in().await;
    let token = login["access_token"].as_str().unwrap().to_owned();
    let user_id = login["user"]["id"].as_str().unwrap().to_owned();
    let check = |header: &'static str, uri: &str| {
        app.client.get(app.url("/v1/auth/verify")).bearer_auth(&token).header(header, uri).send()
    };
    // Paths of other routes need nothing; the documents' need the grant, however spelt.
    for uri in ["/api/chat/1", "/api/documentsX", "/"] {
        assert_eq!(check("x-forwarded-uri", uri).await.unwrap().status(), 200, "{uri}");
    }
    for uri in ["/api/documents", "/api/documents/1?x=y", "/api/%64ocuments/1", "//api///documents/1"] {
        for header in ["x-forwarded-uri", "x-original-uri"] {
            assert_problem(check(header, uri).await.unwrap(), 403, "forbidden").await;
        }
    }
    admin_put(&app, &admin, &format!("/v1/admin/users/{user_id}/apps/docs")).await;
    for uri in ["/api/documents", "/api/documents/1?x=y", "/api/%64ocuments/1", "//api///documents/1"] {
        assert_eq!(check("x-original-uri", uri).await.unwrap().status(), 200, "{uri}");
    }
    // A path that could be read two ways goes nowhere, granted or not.
    for uri in ["/api/documents/../chat", "/api/%2e%2e/documents", "/api%2fdocuments", "/api/x%zz"] {
        assert_problem(check("x-forwarded-uri", uri).await.unwrap(), 403, "forbidden").await;
    }
}

both_backends!(
    forward_auth_answers_who_the_caller_is_and_what_they_may_open,
    the_forwarded_path_names_the_app_it_needs
);

/// nginx in front of an upstream, asking forward-auth for every request of `/docs/` (with
/// `?app=docs`): no token → 401, no grant → 403, granted → the upstream gets the request
/// with the identity headers, and an `X-User-Id` the client sent is replaced, not passed on.
#[tokio::test]
async fn nginx_auth_request_lets_through_whom_forward_auth_names() {
    let (app, admin) = spawn_app_with_admin(Backend::Memory).await;
    let upstream = StubHttp::start(&[Answer::Status(200)]).await;
    let upstream_address = upstream.url.trim_start_matches("http://").split('/').next().unwrap().to_owned();
    let identity_address = app.address.trim_start_matches("http://").to_owned();
    let dir = std::env::temp_dir().join(format!("identity-nginx-auth-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let listen = free_port();
    let d = dir.display();
    let conf = format!(
        "worker_processes 1;\ndaemon off;\nuser root;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
         events {{ worker_connections 64; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
         server {{\n    listen 127.0.0.1:{listen};\n    location = /healthz {{ return 200; }}\n\
         location /docs/ {{\n      auth_request /_identity;\n\
         auth_request_set $user_id $upstream_http_x_user_id;\n\
         auth_request_set $user_roles $upstream_http_x_user_roles;\n\
         proxy_set_header X-User-Id $user_id;\n      proxy_set_header X-User-Roles $user_roles;\n\
         proxy_pass http://{upstream_address};\n    }}\n\
         location = /_identity {{\n      internal;\n\
         proxy_pass http://{identity_address}/v1/auth/verify?app=docs;\n\
         proxy_method GET;\n      proxy_pass_request_body off;\n      proxy_set_header Content-Length \"\";\n\
         proxy_set_header X-Original-URI $request_uri;\n    }}\n  }}\n}}\n"
    );
    let conf_path = dir.join("nginx.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let _nginx = Process::group(
        Command::new(crate::scale_out::nginx())
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(&conf_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    let base = format!("http://127.0.0.1:{listen}");
    wait_until_up(&format!("{base}/healthz")).await;

    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 201);
    let login = app.login_ok(&email, PASSWORD).await;
    let token = login["access_token"].as_str().unwrap().to_owned();
    let user_id = login["user"]["id"].as_str().unwrap().to_owned();
    let client = reqwest::Client::new();
    let get = |token: Option<&str>| {
        let mut request = client.get(format!("{base}/docs/page?x=1")).header("X-User-Id", "spoofed");
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    assert_eq!(get(None).await.unwrap().status(), 401);
    assert_eq!(get(Some(&token)).await.unwrap().status(), 403);
    assert!(upstream.requests().is_empty(), "nothing reached the upstream");

    admin_put(&app, &admin, &format!("/v1/admin/users/{user_id}/apps/docs")).await;
    assert_eq!(get(Some(&token)).await.unwrap().status(), 200);
    // A POST with a body goes through too: the check itself is a GET without the body.
    let post = client.post(format!("{base}/docs/upload")).bearer_auth(&token).body("hello").send().await.unwrap();
    assert_eq!(post.status(), 200);
    let requests = upstream.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    let (head, _) = &requests[0];
    let lower = head.to_lowercase();
    assert!(lower.starts_with("get /docs/page?x=1 "), "{head}");
    assert!(lower.contains(&format!("x-user-id: {user_id}")), "{head}");
    assert!(!lower.contains("spoofed"), "the client's X-User-Id is replaced: {head}");
    assert!(lower.contains("x-user-roles: user"), "{head}");
    assert_eq!(requests[1].1, "hello", "the body reaches the upstream");
    let _ = std::fs::remove_dir_all(&dir);
}
