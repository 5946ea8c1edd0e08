//! `AdminUserService`: the admin gate's audit.

use super::world::*;

#[tokio::test]
async fn admin_refusals_are_audited_at_most_once_a_minute() {
    let world = World::new();
    let auth = world.service(AuthSettings::default());
    auth.register(register_input()).await.unwrap();
    let out = auth.login(login_input(PW)).await.unwrap();
    let authed = auth.authenticate(&out.access_token).await.unwrap();
    for _ in 0..3 {
        let refused = auth.authorize_admin(&authed, "get", "/v1/admin/users").await;
        assert!(matches!(refused, Err(CoreError::Forbidden)));
    }
    let refused = auth.authorize_admin(&authed, "DELETE", "/v1/admin/users/{id}").await;
    assert!(matches!(refused, Err(CoreError::Forbidden)));
    // A route any caller may use lets this one through, unaudited.
    let any = identity_core::usecases::Need::Caller;
    assert!(auth.authorize_route(&authed, any, "GET", "/v1/sessions").await.is_ok());
    let filter = identity_core::AuditFilter {
        action: Some("authorization.denied".into()),
        limit: 10,
        ..identity_core::AuditFilter::default()
    };
    let entries = identity_core::ports::AuditRepository::list_audit(&world.store, &filter).await.unwrap();
    let seen: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e.metadata["method"].as_str().unwrap(), e.metadata["route"].as_str().unwrap()))
        .collect();
    assert_eq!(seen, vec![("DELETE", "/v1/admin/users/{id}"), ("GET", "/v1/admin/users")]);
    assert!(entries.iter().all(|e| e.actor == Some(authed.user.id) && e.subject == Some(authed.user.id)));
}
