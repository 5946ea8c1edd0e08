//! `MfaService`: TOTP enrolment and confirmation (a code once, its neighbours, not two steps
//! away), recovery codes, renaming and removing factors; on the clock the test moves.

use identity_core::domain::{ENROLMENT_TTL, totp_step};
use identity_core::ports::{Mail, OtpGenerator};
use identity_crypto::Totp;

use super::world::*;

async fn signed_in(auth: &Auth) -> Authenticated {
    auth.register(register_input()).await.unwrap();
    let out = auth.login(login_input(PW)).await.unwrap();
    auth.authenticate(&out.access_token).await.unwrap()
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
async fn totp_is_enrolled_with_the_password_and_confirmed_with_a_code() {
    let world = World::new();
    let auth = world.service(AuthSettings::default());
    let me = signed_in(&auth).await;
    let mfa = auth.mfa();

    let wrong = mfa.enrol_totp(&me, "not my password at all", None).await.unwrap_err();
    assert!(matches!(&wrong, CoreError::Validation(e) if e.0[0].code == "incorrect"), "{wrong:?}");
    let enrolment = mfa.enrol_totp(&me, PW, Some("phone")).await.unwrap();
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

    // One TOTP per user: another needs the first removed.
    assert!(matches!(mfa.enrol_totp(&me, PW, None).await, Err(CoreError::MfaAlreadyEnabled)));
}

#[tokio::test]
async fn an_unconfirmed_enrolment_expires_and_a_new_one_replaces_it() {
    let world = World::new();
    let auth = world.service(AuthSettings::default());
    let me = signed_in(&auth).await;
    let mfa = auth.mfa();
    let first = mfa.enrol_totp(&me, PW, None).await.unwrap();
    let second = mfa.enrol_totp(&me, PW, None).await.unwrap();
    assert_ne!(first.secret, second.secret);
    // The first one's code no longer confirms anything.
    let now = world.clock.now();
    assert!(mfa.confirm_totp(&me, &code(&first.secret, now, 0)).await.is_err());
    world.clock.advance(ENROLMENT_TTL);
    let late = world.clock.now();
    assert!(matches!(mfa.confirm_totp(&me, &code(&second.secret, late, 0)).await, Err(CoreError::NotFound)));
}

#[tokio::test]
async fn factors_are_renamed_and_removed_with_the_password_and_codes_go_with_the_last() {
    let world = World::new();
    let auth = world.service(AuthSettings::default());
    let me = signed_in(&auth).await;
    let mfa = auth.mfa();
    assert!(matches!(mfa.regenerate_recovery_codes(&me, PW).await, Err(CoreError::MfaNotEnabled)));
    let enrolment = mfa.enrol_totp(&me, PW, None).await.unwrap();
    let (method, first) = mfa.confirm_totp(&me, &code(&enrolment.secret, world.clock.now(), 0)).await.unwrap();
    let renamed = mfa.rename(&me, method.id, "  work phone ").await.unwrap();
    assert_eq!(renamed.label, "work phone");
    assert!(matches!(mfa.rename(&me, uuid::Uuid::now_v7(), "x").await, Err(CoreError::NotFound)));

    let again = mfa.regenerate_recovery_codes(&me, PW).await.unwrap();
    assert_eq!(again.len(), 10);
    assert!(again.iter().all(|c| !first.as_ref().unwrap().contains(c)), "a new set");

    assert!(mfa.remove(&me, method.id, "wrong password entirely").await.is_err());
    assert_eq!(mfa.overview(&me).await.unwrap().methods.len(), 1);
    mfa.remove(&me, method.id, PW).await.unwrap();
    let overview = mfa.overview(&me).await.unwrap();
    assert_eq!((overview.methods.len(), overview.recovery_codes_left), (0, 0));
    assert_eq!(notices(&world.mail.sent().await).len(), 2, "added, then removed");
    assert!(matches!(mfa.remove(&me, method.id, PW).await, Err(CoreError::NotFound)));
}
