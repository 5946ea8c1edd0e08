//! `AuthorizationService`: the route gate's decisions and its audit.

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

/// The gate refuses with the reason `decide` gives, and audits that reason: a one-factor
/// session where a second factor is needed, a sign-in older than a step-up need allows (on
/// the moved clock, and still after a refresh: refreshing re-issues the token, not the proof).
#[tokio::test]
async fn the_gate_refuses_with_the_reason_and_audits_it() {
    use identity_core::usecases::Need;
    let world = World::new();
    let auth = world.service(AuthSettings::default());
    auth.register(register_input()).await.unwrap();
    let out = auth.login(login_input(PW)).await.unwrap();
    let authed = auth.authenticate(&out.access_token).await.unwrap();
    assert_eq!(authed.assurance().level, identity_core::usecases::Aal::One);
    let refused = auth.authorize_route(&authed, Need::SecondFactor, "POST", "/v1/x").await;
    assert!(matches!(refused, Err(CoreError::MfaRequired)), "{refused:?}");

    let five_minutes = Need::Recent(chrono::Duration::minutes(5));
    assert!(auth.authorize_route(&authed, five_minutes, "POST", "/v1/y").await.is_ok());
    world.clock.advance(chrono::Duration::minutes(6));
    let refreshed = auth.refresh(&out.refresh_token, &ClientInfo::default()).await.unwrap();
    let later = auth.authenticate(&refreshed.access_token).await.unwrap();
    assert_eq!(later.assurance().authenticated_at, authed.assurance().authenticated_at);
    let refused = auth.authorize_route(&later, five_minutes, "POST", "/v1/y").await;
    assert!(matches!(refused, Err(CoreError::ReauthenticationRequired)), "{refused:?}");

    let filter = identity_core::AuditFilter {
        action: Some("authorization.denied".into()),
        limit: 10,
        ..identity_core::AuditFilter::default()
    };
    let entries = identity_core::ports::AuditRepository::list_audit(&world.store, &filter).await.unwrap();
    let seen: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e.metadata["route"].as_str().unwrap(), e.metadata["refusal"].as_str().unwrap()))
        .collect();
    assert_eq!(seen, vec![("/v1/y", "reauthentication_required"), ("/v1/x", "mfa_required")]);
}
