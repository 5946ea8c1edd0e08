//! `MfaService`: TOTP enrolment and confirmation (a code once, its neighbours, not two steps
//! away), recovery codes, renaming and removing factors, step-up on the sensitive ones, an
//! admin's removal, and the `mfa.enabled` / `mfa.disabled` events; on the clock the test
//! moves.

use identity_core::domain::{ENROLMENT_TTL, EventType, Role, totp_step};
use identity_core::ports::{Mail, OtpGenerator, Outbox};
use identity_crypto::Totp;

use super::world::*;

async fn signed_in(auth: &Auth) -> Authenticated {
    auth.register(register_input()).await.unwrap();
    let out = auth.login(login_input(PW)).await.unwrap();
    auth.authenticate(&out.access_token).await.unwrap()
}

/// The `mfa.*` events waiting in the outbox, oldest first: (type, payload), each about the
/// user it names (aggregate and subject).
async fn mfa_events(world: &World) -> Vec<(EventType, identity_core::DomainEvent)> {
    let pending = world.store.pending(100).await.unwrap();
    pending
        .into_iter()
        .filter(|e| matches!(e.event.event_type, EventType::MfaEnabled | EventType::MfaDisabled))
        .inspect(|e| {
            let user = e.event.payload["user_id"].as_str().unwrap().parse().unwrap();
            assert_eq!((e.event.aggregate_id, e.event.subject), (user, Some(user)));
        })
        .map(|e| (e.event.event_type, e.event))
        .collect()
}

fn code(secret: &str, at: DateTime<Utc>, steps: i64) -> String {
    Totp.code(&Totp.decode(secret).unwrap(), totp_step(at) + steps)
}

fn notices(mails: &[Mail]) -> Vec<String> {
    mails
        .iter()
        .filter_map(|m| match m {
            Mail::SecurityNotice { what, .. } => Some(what.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn totp_is_enrolled_and_confirmed_with_a_code() {
    let world = World::new();
    let auth = world.service(AuthSettings::default());
    let me = signed_in(&auth).await;
    let mfa = auth.mfa();

    let bad = mfa.enrol_totp(&me, Some(" ")).await.unwrap_err();
    assert!(matches!(&bad, CoreError::Validation(e) if e.0[0].field == "label"), "{bad:?}");
    let enrolment = mfa.enrol_totp(&me, Some("phone")).await.unwrap();
    assert_eq!(enrolment.secret.len(), 32);
    assert!(enrolment.otpauth_uri.starts_with("otpauth://totp/identity:ada%40example.com?"));
    assert!(enrolment.qr_svg.starts_with("<?xml") || enrolment.qr_svg.starts_with("<svg"));
    assert!(!enrolment.method.sealed_secret.contains(&enrolment.secret), "sealed at rest");
    // Not a factor until confirmed.
    assert!(mfa.overview(&me).await.unwrap().methods.is_empty());

    let now = world.clock.now();
    let refused = mfa.confirm_totp(&me, &code(&enrolment.secret, now, 2)).await.unwrap_err();
    assert!(matches!(&refused, CoreError::Validation(e) if e.0[0].code == "invalid_code"), "{refused:?}");
    let (method, codes) = mfa.confirm_totp(&me, &code(&enrolment.secret, now, -1)).await.unwrap();
    assert_eq!(method.label, "phone");
    let codes = codes.expect("the first factor answers recovery codes");
    assert_eq!(codes.len(), 10);
    assert!(codes.iter().all(|c| c.len() == 14 && c.matches('-').count() == 2), "{codes:?}");
    let overview = mfa.overview(&me).await.unwrap();
    assert_eq!((overview.methods.len(), overview.recovery_codes_left), (1, 10));
    assert_eq!(notices(&world.mail.sent().await).len(), 1, "the user is told");
    let events = mfa_events(&world).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let (event_type, event) = &events[0];
    let payload = &event.payload;
    assert_eq!(*event_type, EventType::MfaEnabled);
    assert_eq!(payload["user_id"], me.user.id.as_uuid().to_string());
    assert_eq!(payload["method_id"], method.id.to_string());
    assert_eq!(
        (&payload["kind"], &payload["by_admin"], &payload["mfa_enabled"]),
        (&"totp".into(), &false.into(), &true.into())
    );

    // One TOTP per user: another needs the first removed.
    assert!(matches!(mfa.enrol_totp(&me, None).await, Err(CoreError::MfaAlreadyEnabled)));
}

#[tokio::test]
async fn an_unconfirmed_enrolment_expires_and_a_new_one_replaces_it() {
    let world = World::new();
    let auth = world.service(AuthSettings::default());
    let me = signed_in(&auth).await;
    let mfa = auth.mfa();
    let first = mfa.enrol_totp(&me, None).await.unwrap();
    let second = mfa.enrol_totp(&me, None).await.unwrap();
    assert_ne!(first.secret, second.secret);
    // The first one's code no longer confirms anything.
    let now = world.clock.now();
    assert!(mfa.confirm_totp(&me, &code(&first.secret, now, 0)).await.is_err());
    world.clock.advance(ENROLMENT_TTL);
    let late = world.clock.now();
    assert!(matches!(mfa.confirm_totp(&me, &code(&second.secret, late, 0)).await, Err(CoreError::NotFound)));
    assert!(mfa_events(&world).await.is_empty(), "nothing was enabled");
}

#[tokio::test]
async fn factors_are_renamed_and_removed_and_codes_go_with_the_last() {
    let world = World::new();
    let auth = world.service(AuthSettings::default());
    let me = signed_in(&auth).await;
    let mfa = auth.mfa();
    assert!(matches!(mfa.regenerate_recovery_codes(&me).await, Err(CoreError::MfaNotEnabled)));
    let enrolment = mfa.enrol_totp(&me, None).await.unwrap();
    let (method, first) = mfa.confirm_totp(&me, &code(&enrolment.secret, world.clock.now(), 0)).await.unwrap();
    let renamed = mfa.rename(&me, method.id, "  work phone ").await.unwrap();
    assert_eq!(renamed.label, "work phone");
    assert!(matches!(mfa.rename(&me, uuid::Uuid::now_v7(), "x").await, Err(CoreError::NotFound)));

    let again = mfa.regenerate_recovery_codes(&me).await.unwrap();
    assert_eq!(again.len(), 10);
    assert!(again.iter().all(|c| !first.as_ref().unwrap().contains(c)), "a new set");

    assert!(matches!(mfa.remove(&me, uuid::Uuid::now_v7()).await, Err(CoreError::NotFound)));
    assert_eq!(mfa.overview(&me).await.unwrap().methods.len(), 1);
    mfa.remove(&me, method.id).await.unwrap();
    let overview = mfa.overview(&me).await.unwrap();
    assert_eq!((overview.methods.len(), overview.recovery_codes_left), (0, 0));
    assert_eq!(notices(&world.mail.sent().await).len(), 2, "added, then removed");
    assert!(matches!(mfa.remove(&me, method.id).await, Err(CoreError::NotFound)));
    assert!(matches!(mfa.regenerate_recovery_codes(&me).await, Err(CoreError::MfaNotEnabled)));

    let events = mfa_events(&world).await;
    let types: Vec<EventType> = events.iter().map(|(t, _)| *t).collect();
    assert_eq!(types, [EventType::MfaEnabled, EventType::MfaDisabled]);
    let removed = &events[1].1.payload;
    assert_eq!(removed["method_id"], method.id.to_string());
    assert_eq!((&removed["by_admin"], &removed["mfa_enabled"]), (&false.into(), &false.into()), "the last one");
}

/// Adding or removing a factor and new recovery codes need a sign-in (or a step-up) within
/// `reauth_max_age` of the request; reading and renaming do not.
#[tokio::test]
async fn sensitive_changes_need_a_recent_sign_in() {
    let world = World::new();
    let auth = world.service(AuthSettings::default());
    auth.register(register_input()).await.unwrap();
    let out = auth.login(login_input(PW)).await.unwrap();
    let mfa = auth.mfa();
    world.clock.advance(Duration::minutes(11));
    let stale = auth.authenticate(&out.access_token).await.unwrap();
    assert!(matches!(mfa.enrol_totp(&stale, None).await, Err(CoreError::ReauthenticationRequired)));
    assert!(mfa.overview(&stale).await.unwrap().methods.is_empty());

    // A new sign-in is recent.
    let signed_in_again = auth.login(login_input(PW)).await.unwrap();
    let fresh = auth.authenticate(&signed_in_again.access_token).await.unwrap();
    let enrolment = mfa.enrol_totp(&fresh, None).await.unwrap();
    let (method, _) = mfa.confirm_totp(&fresh, &code(&enrolment.secret, world.clock.now(), 0)).await.unwrap();

    // Within `reauth_max_age` (10 minutes) of it it stays recent, past it not.
    world.clock.advance(Duration::minutes(9));
    let recent = auth.authenticate(&signed_in_again.access_token).await.unwrap();
    assert_eq!(mfa.regenerate_recovery_codes(&recent).await.unwrap().len(), 10);
    world.clock.advance(Duration::minutes(2));
    let late = auth.authenticate(&signed_in_again.access_token).await.unwrap();
    assert!(matches!(mfa.remove(&late, method.id).await, Err(CoreError::ReauthenticationRequired)));
    assert!(matches!(mfa.regenerate_recovery_codes(&late).await, Err(CoreError::ReauthenticationRequired)));
    assert!(matches!(mfa.enrol_totp(&late, None).await, Err(CoreError::ReauthenticationRequired)));
    assert_eq!(mfa.rename(&late, method.id, "tablet").await.unwrap().label, "tablet");
    assert_eq!(mfa.overview(&late).await.unwrap().methods.len(), 1, "still there");
}

/// An admin removes every factor of a user who lost them (no step-up: not their own); for a
/// user without one nothing happens.
#[tokio::test]
async fn an_admin_removes_every_factor_of_a_user() {
    let world = World::new();
    let auth = world.service(AuthSettings::default());
    let me = signed_in(&auth).await;
    let mfa = auth.mfa();
    let enrolment = mfa.enrol_totp(&me, None).await.unwrap();
    let (method, _) = mfa.confirm_totp(&me, &code(&enrolment.secret, world.clock.now(), 0)).await.unwrap();

    let boss = "grace@example.com";
    auth.register(RegisterInput { email: boss.into(), password: PW.into(), ..RegisterInput::default() }).await.unwrap();
    let out = auth.login(LoginInput { identifier: boss.into(), password: PW.into(), ..LoginInput::default() }).await;
    let mut admin = auth.authenticate(&out.unwrap().access_token).await.unwrap();
    assert!(matches!(mfa.admin_remove_all(&admin, &me.user).await, Err(CoreError::Forbidden)), "not an admin yet");
    admin.user.roles.insert(Role::new(Role::ADMIN));
    world.clock.advance(Duration::minutes(30));
    mfa.admin_remove_all(&admin, &me.user).await.unwrap();
    let overview = mfa.overview(&me).await.unwrap();
    assert_eq!((overview.methods.len(), overview.recovery_codes_left), (0, 0));
    assert!(notices(&world.mail.sent().await).iter().any(|n| n.contains("administrator")));
    // Nothing left: nothing happens.
    mfa.admin_remove_all(&admin, &me.user).await.unwrap();

    let events = mfa_events(&world).await;
    let types: Vec<EventType> = events.iter().map(|(t, _)| *t).collect();
    assert_eq!(types, [EventType::MfaEnabled, EventType::MfaDisabled]);
    let removed = &events[1].1.payload;
    assert_eq!(removed["user_id"], me.user.id.as_uuid().to_string());
    assert_eq!(removed["method_id"], method.id.to_string());
    assert_eq!((&removed["by_admin"], &removed["mfa_enabled"]), (&true.into(), &false.into()));
}
