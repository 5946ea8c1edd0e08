//! Sessions, devices and refresh tokens: [`SessionRepository`] and the [`SessionWrites`] of a
//! transaction.

use chrono::Duration;

use super::{StoreUnderTest, insert};
use crate::domain::*;
use crate::ports::*;
use crate::testkit::fixtures::{self, unique_email};

async fn with_sessions(store: &StoreUnderTest, n: usize) -> (crate::domain::User, Vec<crate::domain::Session>) {
    let user = fixtures::user(unique_email());
    insert(store, &user, &[]).await.unwrap();
    let mut sessions = Vec::new();
    let mut tx = store.uow.begin().await.unwrap();
    for _ in 0..n {
        let session = fixtures::session(&user);
        tx.sessions().insert_session(&session).await.unwrap();
        sessions.push(session);
    }
    tx.commit().await.unwrap();
    (user, sessions)
}

fn page(limit: usize, after: Option<uuid::Uuid>) -> PageRequest {
    PageRequest { limit, after }
}

pub async fn inserted_session_is_found(store: &StoreUnderTest) {
    let user = fixtures::user(unique_email());
    insert(store, &user, &[]).await.unwrap();
    let session = fixtures::session(&user);
    let mut anonymous = fixtures::session(&user);
    anonymous.user_agent = None;
    anonymous.ip = Some("2001:db8::1".parse().unwrap());
    let mut tx = store.uow.begin().await.unwrap();
    tx.sessions().insert_session(&session).await.unwrap();
    tx.sessions().insert_session(&anonymous).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.sessions.find_session(session.id).await.unwrap(), Some(session));
    assert_eq!(store.sessions.find_session(anonymous.id).await.unwrap(), Some(anonymous));
}

/// `find_session_with_user`: the session and its user as `find_by_id` reads it (profile and
/// every role), in one read; a revoked session comes back as it is (the caller judges it).
pub async fn session_is_read_with_its_user(store: &StoreUnderTest) {
    let mut user = fixtures::user(unique_email());
    user.profile.name = Some("Ada".into());
    insert(store, &user, &[]).await.unwrap();
    user.roles = std::collections::BTreeSet::from([Role::new(Role::ADMIN), Role::new(Role::USER)]);
    let session = fixtures::session(&user);
    let mut tx = store.uow.begin().await.unwrap();
    tx.users().set_roles(user.id, &user.roles).await.unwrap();
    tx.sessions().insert_session(&session).await.unwrap();
    tx.commit().await.unwrap();
    let read = store.sessions.find_session_with_user(session.id).await.unwrap();
    assert_eq!(read, Some((session.clone(), user.clone())));
    assert_eq!(read.map(|(_, u)| u), store.users.find_by_id(user.id).await.unwrap(), "the same user as find_by_id");

    let mut tx = store.uow.begin().await.unwrap();
    tx.sessions()
        .revoke_sessions(user.id, SessionSelector::One(session.id), fixtures::now(), RevocationReason::Logout)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (revoked, _) = store.sessions.find_session_with_user(session.id).await.unwrap().unwrap();
    assert!(revoked.revoked.is_some(), "the revocation is read with the user");
    let unknown = SessionId::from_uuid(uuid::Uuid::now_v7());
    assert_eq!(store.sessions.find_session_with_user(unknown).await.unwrap(), None);
}

pub async fn live_sessions_are_listed_newest_first_and_paged(store: &StoreUnderTest) {
    let (user, sessions) = with_sessions(store, 4).await;
    let (_, others) = with_sessions(store, 1).await;
    let now = fixtures::now();
    // One expired, one revoked: neither is listed.
    let mut tx = store.uow.begin().await.unwrap();
    let mut expired = fixtures::session(&user);
    expired.expires_at = now - Duration::seconds(1);
    tx.sessions().insert_session(&expired).await.unwrap();
    let revoked = tx
        .sessions()
        .revoke_sessions(user.id, SessionSelector::One(sessions[0].id), now, RevocationReason::Logout)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(revoked.len(), 1);

    let all = store.sessions.list_live_sessions(user.id, now, None, page(10, None)).await.unwrap();
    let ids: Vec<_> = all.iter().map(|s| s.id).collect();
    assert_eq!(ids, vec![sessions[3].id, sessions[2].id, sessions[1].id]);
    assert!(all.iter().all(|s| s.user_id == user.id) && !ids.contains(&others[0].id));

    let first = store.sessions.list_live_sessions(user.id, now, None, page(2, None)).await.unwrap();
    assert_eq!(first.iter().map(|s| s.id).collect::<Vec<_>>(), vec![sessions[3].id, sessions[2].id]);
    let rest =
        store.sessions.list_live_sessions(user.id, now, None, page(2, Some(sessions[2].id.as_uuid()))).await.unwrap();
    assert_eq!(rest.iter().map(|s| s.id).collect::<Vec<_>>(), vec![sessions[1].id]);

    // With an idle timeout, a session last seen that long ago or longer is not live either;
    // one seen more recently still is (the rule of `Session::is_live`).
    let idle = Some(Duration::minutes(30));
    let mut tx = store.uow.begin().await.unwrap();
    tx.sessions().touch_session(sessions[3].id, now - Duration::minutes(30)).await.unwrap();
    tx.sessions().touch_session(sessions[2].id, now - Duration::minutes(29)).await.unwrap();
    tx.commit().await.unwrap();
    let live = store.sessions.list_live_sessions(user.id, now, idle, page(10, None)).await.unwrap();
    assert_eq!(live.iter().map(|s| s.id).collect::<Vec<_>>(), vec![sessions[2].id, sessions[1].id]);
    assert!(live.iter().all(|s| s.is_live(now, idle)));
    let unlimited = store.sessions.list_live_sessions(user.id, now, None, page(10, None)).await.unwrap();
    assert_eq!(unlimited.len(), 3);
}

pub async fn revoking_picks_sessions_and_revokes_their_refresh_tokens(store: &StoreUnderTest) {
    let (user, sessions) = with_sessions(store, 4).await;
    let device = fixtures::device(&user);
    let mut on_device = fixtures::session(&user);
    on_device.device_id = Some(device.id);
    let token = fixtures::refresh_token(&sessions[1]);
    let mut tx = store.uow.begin().await.unwrap();
    tx.sessions().insert_device(&device).await.unwrap();
    tx.sessions().insert_session(&on_device).await.unwrap();
    tx.sessions().insert_refresh_token(&token).await.unwrap();
    tx.commit().await.unwrap();

    let now = fixtures::now();
    let mut tx = store.uow.begin().await.unwrap();
    let one = tx
        .sessions()
        .revoke_sessions(user.id, SessionSelector::One(sessions[1].id), now, RevocationReason::Logout)
        .await
        .unwrap();
    assert_eq!(one.iter().map(|s| s.id).collect::<Vec<_>>(), vec![sessions[1].id]);
    let revoked = |reason| Some(Revocation { at: now, reason });
    assert_eq!(one[0].revoked, revoked(RevocationReason::Logout), "the store returns what it recorded");
    // Revoking again finds nothing: only live sessions are revoked.
    let again = tx
        .sessions()
        .revoke_sessions(user.id, SessionSelector::One(sessions[1].id), now, RevocationReason::Logout)
        .await
        .unwrap();
    assert!(again.is_empty());
    // Another user's selector never reaches these sessions.
    let stranger = fixtures::user(unique_email());
    let none = tx
        .sessions()
        .revoke_sessions(stranger.id, SessionSelector::All, now, RevocationReason::LogoutAll)
        .await
        .unwrap();
    assert!(none.is_empty());
    let by_device = tx
        .sessions()
        .revoke_sessions(user.id, SessionSelector::Device(device.id), now, RevocationReason::DeviceRemoved)
        .await
        .unwrap();
    assert_eq!(by_device.iter().map(|s| s.id).collect::<Vec<_>>(), vec![on_device.id]);
    assert_eq!(by_device[0].revoked, revoked(RevocationReason::DeviceRemoved));
    let mut except = tx
        .sessions()
        .revoke_sessions(user.id, SessionSelector::AllExcept(sessions[0].id), now, RevocationReason::PasswordChanged)
        .await
        .unwrap();
    except.sort_by_key(|s| s.id);
    assert_eq!(except.iter().map(|s| s.id).collect::<Vec<_>>(), vec![sessions[2].id, sessions[3].id]);
    assert!(except.iter().all(|s| s.revoked == revoked(RevocationReason::PasswordChanged)), "{except:?}");
    let rest =
        tx.sessions().revoke_sessions(user.id, SessionSelector::All, now, RevocationReason::LogoutAll).await.unwrap();
    assert_eq!(rest.iter().map(|s| s.id).collect::<Vec<_>>(), vec![sessions[0].id]);
    let stored = tx.sessions().refresh_token(token.id).await.unwrap().unwrap();
    assert_eq!(stored.revoked_at, Some(now));
    tx.commit().await.unwrap();

    // Every reason the domain knows is stored as such and read back.
    for reason in RevocationReason::ALL {
        let mut tx = store.uow.begin().await.unwrap();
        let fresh = fixtures::session(&user);
        tx.sessions().insert_session(&fresh).await.unwrap();
        tx.sessions().revoke_sessions(user.id, SessionSelector::One(fresh.id), now, reason).await.unwrap();
        tx.commit().await.unwrap();
        let stored = store.sessions.find_session(fresh.id).await.unwrap().unwrap();
        assert_eq!(stored.revoked, revoked(reason), "{reason}");
    }
    let session = store.sessions.find_session(sessions[1].id).await.unwrap().unwrap();
    assert_eq!(session.revoked, revoked(RevocationReason::Logout));
    assert!(store.sessions.list_live_sessions(user.id, now, None, page(10, None)).await.unwrap().is_empty());
}

pub async fn devices_are_stored_listed_renamed_and_deleted(store: &StoreUnderTest) {
    let user = fixtures::user(unique_email());
    insert(store, &user, &[]).await.unwrap();
    let first = fixtures::device(&user);
    let mut second = fixtures::device(&user);
    second.name = None;
    let mut session = fixtures::session(&user);
    session.device_id = Some(first.id);
    let mut tx = store.uow.begin().await.unwrap();
    tx.sessions().insert_device(&first).await.unwrap();
    tx.sessions().insert_device(&second).await.unwrap();
    tx.sessions().insert_session(&session).await.unwrap();
    tx.commit().await.unwrap();

    assert_eq!(store.sessions.find_device(first.id).await.unwrap(), Some(first.clone()));
    let listed = store.sessions.list_devices(user.id, page(10, None)).await.unwrap();
    assert_eq!(listed, vec![second.clone(), first.clone()]);
    let paged = store.sessions.list_devices(user.id, page(10, Some(second.id.as_uuid()))).await.unwrap();
    assert_eq!(paged, vec![first.clone()]);

    let mut renamed = first.clone();
    renamed.name = Some("Work laptop".into());
    renamed.last_seen_at = fixtures::now() + Duration::seconds(3);
    let mut tx = store.uow.begin().await.unwrap();
    tx.sessions().update_device(&renamed).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.sessions.find_device(first.id).await.unwrap(), Some(renamed));

    let mut tx = store.uow.begin().await.unwrap();
    tx.sessions().delete_device(first.id).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.sessions.find_device(first.id).await.unwrap(), None);
    // The session stays (as history), without its device.
    let kept = store.sessions.find_session(session.id).await.unwrap().unwrap();
    assert_eq!(kept.device_id, None);
}

pub async fn refresh_tokens_are_found_by_digest_with_their_session_and_user(store: &StoreUnderTest) {
    let (user, sessions) = with_sessions(store, 1).await;
    let token = fixtures::refresh_token(&sessions[0]);
    let next = fixtures::refresh_token(&sessions[0]);
    let mut tx = store.uow.begin().await.unwrap();
    tx.sessions().insert_refresh_token(&token).await.unwrap();
    tx.sessions().insert_refresh_token(&next).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.uow.begin().await.unwrap();
    let (found, session, owner) = tx.sessions().lock_refresh_token(&token.digest).await.unwrap().unwrap();
    assert_eq!(found, token);
    assert_eq!(session, sessions[0], "the token's session comes with it");
    assert_eq!(owner, user, "and the session's user, as find_by_id reads it");
    assert_eq!(tx.sessions().lock_refresh_token(&fixtures::digest()).await.unwrap(), None);
    assert_eq!(tx.sessions().refresh_token(token.id).await.unwrap(), Some(found));
    assert_eq!(tx.sessions().refresh_token(next.id).await.unwrap(), Some(next));
}

/// `rotate_refresh_token`: the successor stored, the token consumed and replaced by it, the
/// session seen, in one step; a token that is not there fails it and the transaction, dropped,
/// leaves nothing.
pub async fn a_rotation_writes_the_successor_the_consumed_token_and_the_session(store: &StoreUnderTest) {
    let (_, sessions) = with_sessions(store, 1).await;
    let mut token = fixtures::refresh_token(&sessions[0]);
    let next = fixtures::refresh_token(&sessions[0]);
    let mut tx = store.uow.begin().await.unwrap();
    tx.sessions().insert_refresh_token(&token).await.unwrap();
    tx.commit().await.unwrap();

    let seen = fixtures::now() + Duration::seconds(90);
    token.consumed_at = Some(seen);
    token.replaced_by = Some(next.id);
    let mut tx = store.uow.begin().await.unwrap();
    tx.sessions().rotate_refresh_token(&token, &next, seen).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.uow.begin().await.unwrap();
    assert_eq!(tx.sessions().refresh_token(token.id).await.unwrap(), Some(token.clone()));
    assert_eq!(tx.sessions().refresh_token(next.id).await.unwrap(), Some(next.clone()));
    let session = tx.sessions().session(sessions[0].id).await.unwrap().unwrap();
    assert_eq!(session.last_seen_at, seen);
    drop(tx);

    let unknown = fixtures::refresh_token(&sessions[0]);
    let orphan = fixtures::refresh_token(&sessions[0]);
    let mut tx = store.uow.begin().await.unwrap();
    assert!(tx.sessions().rotate_refresh_token(&unknown, &orphan, seen).await.is_err(), "no such token");
    drop(tx);
    let mut tx = store.uow.begin().await.unwrap();
    assert_eq!(tx.sessions().refresh_token(orphan.id).await.unwrap(), None, "nothing half-written");
}

pub async fn sessions_are_read_and_touched_in_a_transaction(store: &StoreUnderTest) {
    let (user, sessions) = with_sessions(store, 1).await;
    let later = fixtures::now() + Duration::seconds(30);
    let mut tx = store.uow.begin().await.unwrap();
    assert_eq!(tx.sessions().session(sessions[0].id).await.unwrap().as_ref(), Some(&sessions[0]));
    assert_eq!(tx.users().lock_user(user.id).await.unwrap(), Some(user.clone()));
    assert_eq!(tx.users().lock_user(UserId::from_uuid(uuid::Uuid::now_v7())).await.unwrap(), None);
    tx.sessions().touch_session(sessions[0].id, later).await.unwrap();
    tx.journal()
        .record_login_attempt(&LoginAttempt {
            user_id: Some(user.id),
            identifier: user.email.as_str().to_owned(),
            ip: Some("192.0.2.1".parse().unwrap()),
            user_agent: None,
            success: true,
            reason: "ok",
            at: later,
        })
        .await
        .unwrap();
    tx.journal()
        .record_login_attempt(&LoginAttempt {
            user_id: None,
            identifier: "nobody@example.com".into(),
            ip: None,
            user_agent: Some("curl".into()),
            success: false,
            reason: "unknown_account",
            at: later,
        })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let touched = store.sessions.find_session(sessions[0].id).await.unwrap().unwrap();
    assert_eq!(touched.last_seen_at, later);
}
