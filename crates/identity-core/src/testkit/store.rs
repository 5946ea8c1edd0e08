//! The contract of the store ports: [`UserRepository`], [`SessionRepository`],
//! [`UnitOfWork`]/[`Transaction`] and [`Outbox`].

use std::sync::Mutex;

use async_trait::async_trait;

use super::fixtures::{self, unique_email, unique_username};
use crate::domain::*;
use crate::ports::*;

/// One store adapter, seen through each of its ports.
pub use crate::ports::StorePorts as StoreUnderTest;

// The contract cases panic with a message on failure, like any test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod cases {
    use super::*;
    use chrono::Duration;

    async fn insert(
        store: &StoreUnderTest,
        user: &crate::domain::User,
        events: &[DomainEvent],
    ) -> Result<(), RepoError> {
        let mut tx = store.uow.begin().await.unwrap();
        tx.insert_user(user).await?;
        tx.record_events(events).await?;
        tx.commit().await
    }

    pub async fn inserted_user_is_found_by_id_email_and_username(store: &StoreUnderTest) {
        let mut user = fixtures::user(unique_email());
        user.username = Some(unique_username());
        user.profile.name = Some("Ada Lovelace".into());
        insert(store, &user, &[]).await.unwrap();

        assert_eq!(store.users.find_by_id(user.id).await.unwrap().as_ref(), Some(&user));
        assert_eq!(store.users.find_by_email(&user.email).await.unwrap().as_ref(), Some(&user));
        let username = user.username.clone().unwrap();
        assert_eq!(store.users.find_by_username(&username).await.unwrap().as_ref(), Some(&user));
    }

    pub async fn email_lookup_ignores_letter_case(store: &StoreUnderTest) {
        let user = fixtures::user(unique_email());
        insert(store, &user, &[]).await.unwrap();
        let shouted = Email::from_trusted(user.email.as_str().to_uppercase());
        let found = store.users.find_by_email(&shouted).await.unwrap();
        assert_eq!(found.map(|u| u.id), Some(user.id));
    }

    pub async fn duplicate_email_is_a_conflict_and_writes_nothing(store: &StoreUnderTest) {
        let first = fixtures::user(unique_email());
        insert(store, &first, &[]).await.unwrap();

        let second = fixtures::user(Email::from_trusted(first.email.as_str().to_uppercase()));
        let event = fixtures::event(EventType::UserRegistered, second.id.as_uuid());
        let mut tx = store.uow.begin().await.unwrap();
        let err = tx.insert_user(&second).await.unwrap_err();
        assert!(matches!(err, RepoError::Conflict(Conflict::Email)), "got {err:?}");
        drop(tx);
        // The failed registration left no trace, and its event was never stored.
        assert_eq!(store.users.find_by_id(second.id).await.unwrap(), None);
        let pending = store.outbox.pending(1000).await.unwrap();
        assert!(pending.iter().all(|e| e.event.id != event.id));
        // The first account is untouched.
        assert_eq!(store.users.find_by_id(first.id).await.unwrap(), Some(first));
    }

    pub async fn duplicate_username_is_a_conflict(store: &StoreUnderTest) {
        let mut first = fixtures::user(unique_email());
        first.username = Some(unique_username());
        insert(store, &first, &[]).await.unwrap();

        let mut second = fixtures::user(unique_email());
        second.username = first.username.clone();
        let err = insert(store, &second, &[]).await.unwrap_err();
        assert!(matches!(err, RepoError::Conflict(Conflict::Username)), "got {err:?}");
        assert_eq!(store.users.find_by_email(&second.email).await.unwrap(), None);
    }

    pub async fn update_user_persists_account_fields_and_profile(store: &StoreUnderTest) {
        let mut user = fixtures::user(unique_email());
        insert(store, &user, &[]).await.unwrap();

        let later = fixtures::now() + Duration::seconds(5);
        user.password_hash = PasswordHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$bmV3c2FsdA$bmV3aGFzaA".into());
        user.email_verified = true;
        user.status = UserStatus::Locked;
        user.locked_until = Some(later + Duration::minutes(15));
        user.last_login_at = Some(later);
        user.updated_at = later;
        user.profile.name = Some("Grace Hopper".into());
        user.profile.display_name = Some("grace".into());
        user.profile.locale = "de-DE".into();
        user.profile.time_zone = "Europe/Berlin".into();
        user.profile.company = Some("Analytical Engines Ltd".into());
        user.profile.phone = Some("+4915112345678".into());
        user.profile.telegram = Some("grace_h".into());
        user.profile.avatar_url = Some("https://cdn.example.com/grace.png".into());
        user.profile.region = crate::domain::profile::Region::DE;
        user.profile.currency = crate::domain::profile::Currency::EUR;
        user.profile.preferences = serde_json::json!({ "focus": { "session_minutes": 25 } });
        let mut tx = store.uow.begin().await.unwrap();
        tx.update_user(&user).await.unwrap();
        tx.commit().await.unwrap();

        assert_eq!(store.users.find_by_id(user.id).await.unwrap(), Some(user.clone()));

        // Roles change only through set_roles.
        let admin = std::collections::BTreeSet::from([Role::new(Role::ADMIN), Role::new(Role::USER)]);
        let mut tx = store.uow.begin().await.unwrap();
        tx.set_roles(user.id, &admin).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(store.users.find_by_id(user.id).await.unwrap().unwrap().roles, admin);
        let mut tx = store.uow.begin().await.unwrap();
        assert!(tx.set_roles(user.id, &std::collections::BTreeSet::from([Role::new("no-such-role")])).await.is_err());
    }

    pub async fn dropped_transaction_leaves_nothing(store: &StoreUnderTest) {
        let user = fixtures::user(unique_email());
        let session = fixtures::session(&user);
        let event = fixtures::event(EventType::UserRegistered, user.id.as_uuid());
        {
            let mut tx = store.uow.begin().await.unwrap();
            tx.insert_user(&user).await.unwrap();
            tx.insert_session(&session).await.unwrap();
            tx.record_events(std::slice::from_ref(&event)).await.unwrap();
            // Dropped without commit: a failed request must leave no half-written state.
        }
        assert_eq!(store.users.find_by_id(user.id).await.unwrap(), None);
        assert_eq!(store.users.find_by_email(&user.email).await.unwrap(), None);
        assert_eq!(store.sessions.find_session(session.id).await.unwrap(), None);
        assert!(store.outbox.pending(1000).await.unwrap().iter().all(|e| e.event.id != event.id));
        // And the address is still free.
        insert(store, &user, &[]).await.unwrap();
    }

    pub async fn unknown_ids_are_none(store: &StoreUnderTest) {
        assert_eq!(store.users.find_by_id(UserId::from_uuid(uuid::Uuid::now_v7())).await.unwrap(), None);
        assert_eq!(store.users.find_by_email(&unique_email()).await.unwrap(), None);
        assert_eq!(store.users.find_by_username(&unique_username()).await.unwrap(), None);
        assert_eq!(store.sessions.find_session(SessionId::from_uuid(uuid::Uuid::now_v7())).await.unwrap(), None);
    }

    pub async fn inserted_session_is_found(store: &StoreUnderTest) {
        let user = fixtures::user(unique_email());
        insert(store, &user, &[]).await.unwrap();
        let session = fixtures::session(&user);
        let mut anonymous = fixtures::session(&user);
        anonymous.user_agent = None;
        anonymous.ip = Some("2001:db8::1".parse().unwrap());
        let mut tx = store.uow.begin().await.unwrap();
        tx.insert_session(&session).await.unwrap();
        tx.insert_session(&anonymous).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(store.sessions.find_session(session.id).await.unwrap(), Some(session));
        assert_eq!(store.sessions.find_session(anonymous.id).await.unwrap(), Some(anonymous));
    }

    pub async fn committed_events_are_pending_in_order(store: &StoreUnderTest) {
        let user = fixtures::user(unique_email());
        let events = vec![
            fixtures::event(EventType::UserRegistered, user.id.as_uuid()),
            fixtures::event(EventType::SessionCreated, uuid::Uuid::now_v7()),
        ];
        insert(store, &user, &events).await.unwrap();
        let more = fixtures::event(EventType::SessionCreated, uuid::Uuid::now_v7());
        let mut tx = store.uow.begin().await.unwrap();
        tx.record_events(std::slice::from_ref(&more)).await.unwrap();
        tx.commit().await.unwrap();

        let pending = store.outbox.pending(1000).await.unwrap();
        let ours: Vec<_> =
            pending.iter().filter(|e| events.iter().chain([&more]).any(|x| x.id == e.event.id)).collect();
        assert_eq!(ours.len(), 3);
        assert_eq!(ours[0].event, events[0]);
        assert_eq!(ours[1].event, events[1]);
        assert_eq!(ours[2].event, more);
        assert!(ours[0].seq < ours[1].seq && ours[1].seq < ours[2].seq);
        assert!(ours.iter().all(|e| e.published_at.is_none()));
    }

    /// How a [`RecordingPublisher`] answers.
    enum Answer {
        Confirm,
        /// The broker is down: nothing is confirmed.
        Unavailable,
        /// The broker refuses these events and confirms the others.
        Refuse(Vec<uuid::Uuid>),
    }

    /// Records what it confirmed; fails as told.
    struct RecordingPublisher {
        answer: Answer,
        offered: Mutex<Vec<DomainEvent>>,
        seen: Mutex<Vec<DomainEvent>>,
    }

    impl RecordingPublisher {
        fn new(answer: Answer) -> Self {
            Self { answer, offered: Mutex::new(Vec::new()), seen: Mutex::new(Vec::new()) }
        }

        fn seen_ids(&self) -> Vec<uuid::Uuid> {
            self.seen.lock().unwrap().iter().map(|e| e.id).collect()
        }

        fn offered_ids(&self) -> Vec<uuid::Uuid> {
            self.offered.lock().unwrap().iter().map(|e| e.id).collect()
        }
    }

    #[async_trait]
    impl EventPublisher for RecordingPublisher {
        async fn publish(&self, events: &[DomainEvent]) -> Result<(), PublishError> {
            self.offered.lock().unwrap().extend_from_slice(events);
            match &self.answer {
                Answer::Confirm => {
                    self.seen.lock().unwrap().extend_from_slice(events);
                    Ok(())
                }
                Answer::Unavailable => Err(PublishError::Unavailable(anyhow::anyhow!("connection refused"))),
                Answer::Refuse(refused) => {
                    let ours: Vec<uuid::Uuid> = events.iter().map(|e| e.id).filter(|id| refused.contains(id)).collect();
                    self.seen.lock().unwrap().extend(events.iter().filter(|e| !ours.contains(&e.id)).cloned());
                    if ours.is_empty() {
                        Ok(())
                    } else {
                        Err(PublishError::Rejected { ids: ours, reason: "queue full (nack)".into() })
                    }
                }
            }
        }
    }

    async fn record(store: &StoreUnderTest, events: &[DomainEvent]) {
        let mut tx = store.uow.begin().await.unwrap();
        tx.record_events(events).await.unwrap();
        tx.commit().await.unwrap();
    }

    fn pending_entry(pending: &[OutboxEntry], event: &DomainEvent) -> OutboxEntry {
        pending.iter().find(|e| e.event.id == event.id).cloned().unwrap_or_else(|| panic!("{event:?} is not pending"))
    }

    pub async fn relay_marks_published_only_after_the_publisher_confirmed(store: &StoreUnderTest) {
        let user = fixtures::user(unique_email());
        let event = fixtures::event(EventType::UserRegistered, user.id.as_uuid());
        insert(store, &user, std::slice::from_ref(&event)).await.unwrap();

        let failing = RecordingPublisher::new(Answer::Unavailable);
        let report = store.outbox.relay(1000, &failing, fixtures::now()).await.unwrap();
        assert_eq!((report.published, report.failed), (0, 1), "{report:?}");
        assert!(store.outbox.pending(1000).await.unwrap().iter().any(|e| e.event.id == event.id));

        let working = RecordingPublisher::new(Answer::Confirm);
        let report = store.outbox.relay(1000, &working, fixtures::now()).await.unwrap();
        assert_eq!((report.published, report.failed, report.parked.len()), (1, 0, 0), "{report:?}");
        assert_eq!(working.seen_ids(), vec![event.id]);
        assert!(store.outbox.pending(1000).await.unwrap().iter().all(|e| e.event.id != event.id));
        // Published once, never again.
        let again = RecordingPublisher::new(Answer::Confirm);
        assert_eq!(store.outbox.relay(1000, &again, fixtures::now()).await.unwrap(), RelayReport::default());
        assert!(again.offered_ids().is_empty());
    }

    /// Every event type a use case can record is relayed: none is refused by the store's own
    /// reading of the outbox (the defect of issue 8, where all but two types stalled it).
    pub async fn every_event_type_is_recorded_and_relayed_in_order(store: &StoreUnderTest) {
        let events: Vec<DomainEvent> =
            EventType::ALL.into_iter().map(|t| fixtures::event(t, uuid::Uuid::now_v7())).collect();
        record(store, &events).await;
        let pending = store.outbox.pending(1000).await.unwrap();
        assert_eq!(pending.iter().map(|e| e.event.clone()).collect::<Vec<_>>(), events);

        let publisher = RecordingPublisher::new(Answer::Confirm);
        let report = store.outbox.relay(1000, &publisher, fixtures::now()).await.unwrap();
        assert_eq!(report, RelayReport { published: EventType::ALL.len(), failed: 0, error: None, parked: Vec::new() },);
        assert_eq!(*publisher.seen.lock().unwrap(), events, "every type, in order, as recorded");
        assert!(store.outbox.pending(1000).await.unwrap().is_empty());
        assert!(store.outbox.parked(1000).await.unwrap().is_empty());
        assert_eq!(store.outbox.parked_count().await.unwrap(), 0);
    }

    /// A broker that is down loses and parks nothing: every row of the batch records the
    /// attempt and the error, stays due, and a later pass publishes them in order.
    pub async fn publish_failure_keeps_events_pending_with_attempts_recorded(store: &StoreUnderTest) {
        let events = vec![
            fixtures::event(EventType::UserVerified, uuid::Uuid::now_v7()),
            fixtures::event(EventType::SessionRevoked, uuid::Uuid::now_v7()),
        ];
        record(store, &events).await;
        let down = RecordingPublisher::new(Answer::Unavailable);
        for attempt in 1..=2 {
            let report = store.outbox.relay(1000, &down, fixtures::now()).await.unwrap();
            assert_eq!((report.published, report.failed, report.parked.len()), (0, 2, 0), "{report:?}");
            assert!(report.error.as_deref().unwrap().contains("connection refused"), "{report:?}");
            let pending = store.outbox.pending(1000).await.unwrap();
            for event in &events {
                let entry = pending_entry(&pending, event);
                assert_eq!(entry.attempts, attempt);
                assert!(entry.last_error.as_deref().unwrap().contains("connection refused"), "{entry:?}");
                assert_eq!(entry.next_attempt_at, None, "an outage keeps rows due and in order");
                assert_eq!(entry.published_at, None);
            }
        }
        assert_eq!(down.offered_ids(), [events[0].id, events[1].id, events[0].id, events[1].id]);
        assert_eq!(store.outbox.parked_count().await.unwrap(), 0);

        let up = RecordingPublisher::new(Answer::Confirm);
        let report = store.outbox.relay(1000, &up, fixtures::now()).await.unwrap();
        assert_eq!((report.published, report.failed), (2, 0), "{report:?}");
        assert_eq!(*up.seen.lock().unwrap(), events);
        assert!(store.outbox.pending(1000).await.unwrap().is_empty());
    }

    /// An event the broker refuses gets a retry time of its own: the others of its batch are
    /// published, later events are not held back, and it goes out once its time has come.
    pub async fn refused_event_waits_for_its_retry_time_without_blocking_others(store: &StoreUnderTest) {
        let events: Vec<DomainEvent> = [EventType::UserRegistered, EventType::UserUpdated, EventType::UserDeleted]
            .into_iter()
            .map(|t| fixtures::event(t, uuid::Uuid::now_v7()))
            .collect();
        record(store, &events).await;
        let now = fixtures::now();
        let picky = RecordingPublisher::new(Answer::Refuse(vec![events[0].id]));
        let report = store.outbox.relay(1000, &picky, now).await.unwrap();
        assert_eq!((report.published, report.failed, report.parked.len()), (2, 1, 0), "{report:?}");
        assert_eq!(picky.seen_ids(), vec![events[1].id, events[2].id]);
        let pending = store.outbox.pending(1000).await.unwrap();
        assert_eq!(pending.len(), 1, "{pending:?}");
        let refused = pending_entry(&pending, &events[0]);
        assert_eq!(refused.attempts, 1);
        assert!(refused.last_error.as_deref().unwrap().contains("queue full"), "{refused:?}");
        assert_eq!(refused.next_attempt_at, Some(now + retry_delay(1)));

        // Before its time it is not offered, and a newer event goes out past it.
        let newer = fixtures::event(EventType::PasswordChanged, uuid::Uuid::now_v7());
        record(store, std::slice::from_ref(&newer)).await;
        let working = RecordingPublisher::new(Answer::Confirm);
        let report = store.outbox.relay(1000, &working, now).await.unwrap();
        assert_eq!((report.published, report.failed), (1, 0), "{report:?}");
        assert_eq!(working.offered_ids(), vec![newer.id]);

        // Refused again: the wait grows.
        let later = now + retry_delay(1);
        let report = store.outbox.relay(1000, &picky, later).await.unwrap();
        assert_eq!((report.published, report.failed), (0, 1), "{report:?}");
        let again = pending_entry(&store.outbox.pending(1000).await.unwrap(), &events[0]);
        assert_eq!(again.attempts, 2);
        assert_eq!(again.next_attempt_at, Some(later + retry_delay(2)));
        assert!(retry_delay(2) > retry_delay(1));

        let last = later + retry_delay(2);
        let report = store.outbox.relay(1000, &working, last).await.unwrap();
        assert_eq!((report.published, report.failed), (1, 0), "{report:?}");
        assert_eq!(working.seen_ids(), vec![newer.id, events[0].id]);
        assert!(store.outbox.pending(1000).await.unwrap().is_empty());
        assert_eq!(store.outbox.parked_count().await.unwrap(), 0);
    }

    async fn with_sessions(store: &StoreUnderTest, n: usize) -> (crate::domain::User, Vec<crate::domain::Session>) {
        let user = fixtures::user(unique_email());
        insert(store, &user, &[]).await.unwrap();
        let mut sessions = Vec::new();
        let mut tx = store.uow.begin().await.unwrap();
        for _ in 0..n {
            let session = fixtures::session(&user);
            tx.insert_session(&session).await.unwrap();
            sessions.push(session);
        }
        tx.commit().await.unwrap();
        (user, sessions)
    }

    fn page(limit: usize, after: Option<uuid::Uuid>) -> PageRequest {
        PageRequest { limit, after }
    }

    pub async fn live_sessions_are_listed_newest_first_and_paged(store: &StoreUnderTest) {
        let (user, sessions) = with_sessions(store, 4).await;
        let (_, others) = with_sessions(store, 1).await;
        let now = fixtures::now();
        // One expired, one revoked: neither is listed.
        let mut tx = store.uow.begin().await.unwrap();
        let mut expired = fixtures::session(&user);
        expired.expires_at = now - Duration::seconds(1);
        tx.insert_session(&expired).await.unwrap();
        let revoked = tx
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
        let rest = store
            .sessions
            .list_live_sessions(user.id, now, None, page(2, Some(sessions[2].id.as_uuid())))
            .await
            .unwrap();
        assert_eq!(rest.iter().map(|s| s.id).collect::<Vec<_>>(), vec![sessions[1].id]);

        // With an idle timeout, a session last seen that long ago or longer is not live either;
        // one seen more recently still is (the rule of `Session::is_live`).
        let idle = Some(Duration::minutes(30));
        let mut tx = store.uow.begin().await.unwrap();
        tx.touch_session(sessions[3].id, now - Duration::minutes(30)).await.unwrap();
        tx.touch_session(sessions[2].id, now - Duration::minutes(29)).await.unwrap();
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
        tx.insert_device(&device).await.unwrap();
        tx.insert_session(&on_device).await.unwrap();
        tx.insert_refresh_token(&token).await.unwrap();
        tx.commit().await.unwrap();

        let now = fixtures::now();
        let mut tx = store.uow.begin().await.unwrap();
        let one = tx
            .revoke_sessions(user.id, SessionSelector::One(sessions[1].id), now, RevocationReason::Logout)
            .await
            .unwrap();
        assert_eq!(one.iter().map(|s| s.id).collect::<Vec<_>>(), vec![sessions[1].id]);
        assert!(one[0].revoked_at.is_some());
        // Revoking again finds nothing: only live sessions are revoked.
        let again = tx
            .revoke_sessions(user.id, SessionSelector::One(sessions[1].id), now, RevocationReason::Logout)
            .await
            .unwrap();
        assert!(again.is_empty());
        // Another user's selector never reaches these sessions.
        let stranger = fixtures::user(unique_email());
        let none =
            tx.revoke_sessions(stranger.id, SessionSelector::All, now, RevocationReason::LogoutAll).await.unwrap();
        assert!(none.is_empty());
        let by_device = tx
            .revoke_sessions(user.id, SessionSelector::Device(device.id), now, RevocationReason::DeviceRemoved)
            .await
            .unwrap();
        assert_eq!(by_device.iter().map(|s| s.id).collect::<Vec<_>>(), vec![on_device.id]);
        let mut except = tx
            .revoke_sessions(
                user.id,
                SessionSelector::AllExcept(sessions[0].id),
                now,
                RevocationReason::PasswordChanged,
            )
            .await
            .unwrap();
        except.sort_by_key(|s| s.id);
        assert_eq!(except.iter().map(|s| s.id).collect::<Vec<_>>(), vec![sessions[2].id, sessions[3].id]);
        let rest = tx.revoke_sessions(user.id, SessionSelector::All, now, RevocationReason::LogoutAll).await.unwrap();
        assert_eq!(rest.iter().map(|s| s.id).collect::<Vec<_>>(), vec![sessions[0].id]);
        let stored = tx.refresh_token(token.id).await.unwrap().unwrap();
        assert_eq!(stored.revoked_at, Some(now));
        tx.commit().await.unwrap();

        let session = store.sessions.find_session(sessions[1].id).await.unwrap().unwrap();
        assert_eq!(session.revoked_at, Some(now));
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
        tx.insert_device(&first).await.unwrap();
        tx.insert_device(&second).await.unwrap();
        tx.insert_session(&session).await.unwrap();
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
        tx.update_device(&renamed).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(store.sessions.find_device(first.id).await.unwrap(), Some(renamed));

        let mut tx = store.uow.begin().await.unwrap();
        tx.delete_device(first.id).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(store.sessions.find_device(first.id).await.unwrap(), None);
        // The session stays (as history), without its device.
        let kept = store.sessions.find_session(session.id).await.unwrap().unwrap();
        assert_eq!(kept.device_id, None);
    }

    pub async fn refresh_tokens_are_found_by_digest_and_updated(store: &StoreUnderTest) {
        let (_, sessions) = with_sessions(store, 1).await;
        let token = fixtures::refresh_token(&sessions[0]);
        let next = fixtures::refresh_token(&sessions[0]);
        let mut tx = store.uow.begin().await.unwrap();
        tx.insert_refresh_token(&token).await.unwrap();
        tx.insert_refresh_token(&next).await.unwrap();
        tx.commit().await.unwrap();

        let mut tx = store.uow.begin().await.unwrap();
        let mut found = tx.lock_refresh_token(&token.digest).await.unwrap().unwrap();
        assert_eq!(found, token);
        assert_eq!(tx.lock_refresh_token(&fixtures::digest()).await.unwrap(), None);
        found.consumed_at = Some(fixtures::now());
        found.replaced_by = Some(next.id);
        tx.update_refresh_token(&found).await.unwrap();
        tx.commit().await.unwrap();

        let mut tx = store.uow.begin().await.unwrap();
        assert_eq!(tx.refresh_token(token.id).await.unwrap(), Some(found));
        assert_eq!(tx.refresh_token(next.id).await.unwrap(), Some(next));
    }

    pub async fn sessions_are_read_and_touched_in_a_transaction(store: &StoreUnderTest) {
        let (user, sessions) = with_sessions(store, 1).await;
        let later = fixtures::now() + Duration::seconds(30);
        let mut tx = store.uow.begin().await.unwrap();
        assert_eq!(tx.session(sessions[0].id).await.unwrap().as_ref(), Some(&sessions[0]));
        assert_eq!(tx.lock_user(user.id).await.unwrap(), Some(user.clone()));
        assert_eq!(tx.lock_user(UserId::from_uuid(uuid::Uuid::now_v7())).await.unwrap(), None);
        tx.touch_session(sessions[0].id, later).await.unwrap();
        tx.record_login_attempt(&LoginAttempt {
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
        tx.record_login_attempt(&LoginAttempt {
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

    pub async fn one_time_tokens_are_found_by_purpose_and_consumed(store: &StoreUnderTest) {
        let user = fixtures::user(unique_email());
        insert(store, &user, &[]).await.unwrap();
        let reset = fixtures::one_time_token(&user, OneTimePurpose::ResetPassword);
        let older = fixtures::one_time_token(&user, OneTimePurpose::ResetPassword);
        let verify = fixtures::one_time_token(&user, OneTimePurpose::VerifyEmail);
        let mut tx = store.uow.begin().await.unwrap();
        for token in [&reset, &older, &verify] {
            tx.insert_one_time_token(token).await.unwrap();
        }
        tx.commit().await.unwrap();

        let mut tx = store.uow.begin().await.unwrap();
        assert_eq!(
            tx.lock_one_time_token(OneTimePurpose::ResetPassword, &reset.digest).await.unwrap(),
            Some(reset.clone())
        );
        // The purpose is part of the key: a verification token is no reset token.
        assert_eq!(tx.lock_one_time_token(OneTimePurpose::ResetPassword, &verify.digest).await.unwrap(), None);
        let at = fixtures::now();
        tx.consume_one_time_tokens(user.id, OneTimePurpose::ResetPassword, at).await.unwrap();
        tx.commit().await.unwrap();

        let mut tx = store.uow.begin().await.unwrap();
        for token in [&reset, &older] {
            let stored = tx.lock_one_time_token(OneTimePurpose::ResetPassword, &token.digest).await.unwrap().unwrap();
            assert_eq!(stored.consumed_at, Some(at));
        }
        let untouched = tx.lock_one_time_token(OneTimePurpose::VerifyEmail, &verify.digest).await.unwrap().unwrap();
        assert_eq!(untouched.consumed_at, None);
    }

    pub async fn audit_entries_are_appended_and_filtered(store: &StoreUnderTest) {
        let user = fixtures::user(unique_email());
        let other = fixtures::user(unique_email());
        let now = fixtures::now();
        let entry = |action: &'static str, subject: &crate::domain::User, at| AuditEntry {
            actor: Some(subject.id),
            subject: Some(subject.id),
            action,
            ip: Some("192.0.2.9".parse().unwrap()),
            user_agent: Some("contract".into()),
            metadata: serde_json::json!({ "n": 1 }),
            at,
        };
        let mut tx = store.uow.begin().await.unwrap();
        tx.record_audit(&entry("login.failed", &user, now)).await.unwrap();
        tx.record_audit(&entry("login.succeeded", &user, now + Duration::seconds(1))).await.unwrap();
        tx.record_audit(&entry("login.succeeded", &other, now + Duration::seconds(2))).await.unwrap();
        tx.commit().await.unwrap();
        // A rolled-back entry never appears.
        {
            let mut tx = store.uow.begin().await.unwrap();
            tx.record_audit(&entry("password.changed", &user, now)).await.unwrap();
        }

        let mine = store
            .audit
            .list_audit(&AuditFilter { subject: Some(user.id), limit: 10, ..AuditFilter::default() })
            .await
            .unwrap();
        assert_eq!(mine.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), vec!["login.succeeded", "login.failed"]);
        assert!(mine[0].id > mine[1].id);
        assert_eq!(mine[1].ip.map(|ip| ip.to_string()).as_deref(), Some("192.0.2.9"));
        assert_eq!(mine[1].metadata, serde_json::json!({ "n": 1 }));
        assert_eq!(mine[1].at, now);
        let older = store
            .audit
            .list_audit(&AuditFilter {
                subject: Some(user.id),
                before_id: Some(mine[0].id),
                limit: 10,
                ..AuditFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(older.len(), 1);
        let successes = store
            .audit
            .list_audit(&AuditFilter {
                action: Some("login.succeeded".into()),
                since: Some(now),
                until: Some(now + Duration::seconds(2)),
                limit: 10,
                ..AuditFilter::default()
            })
            .await
            .unwrap();
        assert!(
            successes.iter().any(|e| e.subject == Some(other.id))
                && successes.iter().any(|e| e.subject == Some(user.id))
        );
        assert!(successes.iter().all(|e| e.action == "login.succeeded"));
        let by_actor = store
            .audit
            .list_audit(&AuditFilter { actor: Some(other.id), limit: 1, ..AuditFilter::default() })
            .await
            .unwrap();
        assert_eq!(by_actor.len(), 1);
        assert_eq!(by_actor[0].subject, Some(other.id));
    }

    pub async fn users_are_listed_by_id_with_filters(store: &StoreUnderTest) {
        let tag = uuid::Uuid::now_v7().simple().to_string();
        let mut made = Vec::new();
        for (i, status) in
            [UserStatus::Active, UserStatus::Locked, UserStatus::Active, UserStatus::Deleted].into_iter().enumerate()
        {
            let mut user = fixtures::user(Email::from_trusted(format!("list{tag}{i}@example.com")));
            user.status = status;
            if status == UserStatus::Deleted {
                user.deleted_at = Some(fixtures::now());
            }
            user.profile.name = Some(format!("Zed{tag} {i}"));
            insert(store, &user, &[]).await.unwrap();
            made.push(user);
        }
        let mut tx = store.uow.begin().await.unwrap();
        let admin = std::collections::BTreeSet::from([Role::new(Role::ADMIN), Role::new(Role::USER)]);
        tx.set_roles(made[2].id, &admin).await.unwrap();
        tx.commit().await.unwrap();
        let list = |filter: UserFilter| {
            let store = store.clone();
            async move { store.users.list_users(&filter).await.unwrap().into_iter().map(|u| u.id).collect::<Vec<_>>() }
        };
        let by_prefix = UserFilter { query: Some(format!("LIST{tag}")), limit: 10, ..UserFilter::default() };
        assert_eq!(
            list(by_prefix.clone()).await,
            vec![made[0].id, made[1].id, made[2].id],
            "deleted ones are left out"
        );
        let by_name = UserFilter { query: Some(format!("zed{tag}")), limit: 10, ..UserFilter::default() };
        assert_eq!(list(by_name).await.len(), 3);
        let locked = UserFilter { status: Some(UserStatus::Locked), ..by_prefix.clone() };
        assert_eq!(list(locked).await, vec![made[1].id]);
        let deleted = UserFilter { status: Some(UserStatus::Deleted), ..by_prefix.clone() };
        assert_eq!(list(deleted).await, vec![made[3].id]);
        let admins = UserFilter { role: Some("admin".into()), ..by_prefix.clone() };
        assert_eq!(list(admins).await, vec![made[2].id]);
        let page = UserFilter { limit: 2, ..by_prefix.clone() };
        assert_eq!(list(page).await, vec![made[0].id, made[1].id]);
        let next = UserFilter { after: Some(made[1].id.as_uuid()), ..by_prefix };
        assert_eq!(list(next).await, vec![made[2].id]);
        let listed = store
            .users
            .list_users(&UserFilter {
                role: Some("admin".into()),
                query: Some(format!("list{tag}")),
                limit: 1,
                ..UserFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(listed[0].roles, std::collections::BTreeSet::from([Role::new(Role::ADMIN), Role::new(Role::USER)]));
    }

    fn group(name: &str) -> Group {
        let now = fixtures::now();
        Group {
            id: GroupId::from_uuid(uuid::Uuid::now_v7()),
            name: name.into(),
            description: Some("a test group".into()),
            created_at: now,
            updated_at: now,
        }
    }

    async fn in_tx<T>(store: &StoreUnderTest, write: impl AsyncFnOnce(&mut dyn Transaction) -> T) -> T {
        let mut tx = store.uow.begin().await.unwrap();
        let out = write(tx.as_mut()).await;
        tx.commit().await.unwrap();
        out
    }

    pub async fn groups_are_created_renamed_listed_and_deleted(store: &StoreUnderTest) {
        let tag = uuid::Uuid::now_v7().simple().to_string();
        let made: Vec<Group> = ["a", "b", "c"].iter().map(|n| group(&format!("Team{tag} {n}"))).collect();
        for g in &made {
            in_tx(store, async |tx| tx.insert_group(g).await.unwrap()).await;
        }
        assert_eq!(store.access.find_group(made[0].id).await.unwrap().as_ref(), Some(&made[0]));

        // Names are unique whatever their case; the refused insert writes nothing.
        let twin = group(&made[1].name.to_uppercase());
        let mut tx = store.uow.begin().await.unwrap();
        assert!(matches!(tx.insert_group(&twin).await, Err(RepoError::Conflict(Conflict::GroupName))));
        drop(tx);
        assert_eq!(store.access.find_group(twin.id).await.unwrap(), None);

        let page = |limit, after| PageRequest { limit, after };
        let prefix = format!("team{tag}");
        let ids = |groups: Vec<Group>| groups.into_iter().map(|g| g.id).collect::<Vec<_>>();
        let all = store.access.list_groups(Some(&prefix), page(10, None)).await.unwrap();
        assert_eq!(ids(all), vec![made[0].id, made[1].id, made[2].id]);
        let first = store.access.list_groups(Some(&prefix), page(2, None)).await.unwrap();
        assert_eq!(ids(first), vec![made[0].id, made[1].id]);
        let rest = store.access.list_groups(Some(&prefix), page(2, Some(made[1].id.as_uuid()))).await.unwrap();
        assert_eq!(ids(rest), vec![made[2].id]);
        assert!(store.access.list_groups(Some("no such prefix %"), page(10, None)).await.unwrap().is_empty());

        let mut renamed = made[2].clone();
        renamed.name = format!("Renamed{tag}");
        renamed.description = None;
        renamed.updated_at = fixtures::now() + Duration::seconds(1);
        let mut tx = store.uow.begin().await.unwrap();
        assert_eq!(tx.lock_group(renamed.id).await.unwrap().as_ref(), Some(&made[2]));
        tx.update_group(&renamed).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(store.access.find_group(renamed.id).await.unwrap(), Some(renamed.clone()));
        let mut clash = renamed.clone();
        clash.name = made[0].name.to_lowercase();
        let mut tx = store.uow.begin().await.unwrap();
        assert!(matches!(tx.update_group(&clash).await, Err(RepoError::Conflict(Conflict::GroupName))));
        drop(tx);

        assert!(in_tx(store, async |tx| tx.delete_group(made[0].id).await.unwrap()).await);
        assert!(!in_tx(store, async |tx| tx.delete_group(made[0].id).await.unwrap()).await);
        assert_eq!(store.access.find_group(made[0].id).await.unwrap(), None);
    }

    pub async fn memberships_and_grants_reach_their_users(store: &StoreUnderTest) {
        let tag = uuid::Uuid::now_v7().simple().to_string();
        let mut ada = fixtures::user(unique_email());
        ada.profile.name = Some("Ada".into());
        let bob = fixtures::user(unique_email());
        insert(store, &ada, &[]).await.unwrap();
        insert(store, &bob, &[]).await.unwrap();
        let editors = group(&format!("Editors{tag}"));
        let readers = group(&format!("Readers{tag}"));
        let at = fixtures::now();
        in_tx(store, async |tx| {
            tx.insert_group(&editors).await.unwrap();
            tx.insert_group(&readers).await.unwrap();
            assert!(tx.add_member(editors.id, ada.id, at).await.unwrap());
            assert!(!tx.add_member(editors.id, ada.id, at).await.unwrap(), "already a member");
            assert!(tx.add_member(readers.id, ada.id, at).await.unwrap());
            assert!(tx.add_member(editors.id, bob.id, at).await.unwrap());
        })
        .await;
        // A rolled-back membership leaves nothing.
        let mut tx = store.uow.begin().await.unwrap();
        assert!(tx.add_member(readers.id, bob.id, at).await.unwrap());
        drop(tx);
        let members = store.access.list_members(editors.id, PageRequest { limit: 10, after: None }).await.unwrap();
        let mut expected = vec![ada.id, bob.id];
        expected.sort();
        assert_eq!(members.iter().map(|m| m.user_id).collect::<Vec<_>>(), expected);
        let ada_row = members.iter().find(|m| m.user_id == ada.id).unwrap();
        assert_eq!(
            (&ada_row.email, ada_row.name.as_deref(), ada_row.status),
            (&ada.email, Some("Ada"), UserStatus::Active)
        );
        let after = PageRequest { limit: 10, after: Some(expected[0].as_uuid()) };
        assert_eq!(store.access.list_members(editors.id, after).await.unwrap().len(), 1);
        let names = |groups: Vec<Group>| groups.into_iter().map(|g| g.name).collect::<Vec<_>>();
        assert_eq!(
            names(store.access.groups_of(ada.id).await.unwrap()),
            vec![editors.name.clone(), readers.name.clone()]
        );
        assert_eq!(names(store.access.groups_of(bob.id).await.unwrap()), vec![editors.name.clone()]);

        let grant = |key: &str, grantee| AppGrant {
            app_key: AppKey::parse(key).unwrap(),
            grantee,
            granted_at: at,
            granted_by: Some(bob.id),
        };
        in_tx(store, async |tx| {
            assert!(tx.grant_app(&grant("docs", Grantee::User(ada.id))).await.unwrap());
            assert!(tx.grant_app(&grant("chat", Grantee::Group(editors.id))).await.unwrap());
            assert!(!tx.grant_app(&grant("chat", Grantee::Group(editors.id))).await.unwrap(), "granted twice");
            assert!(tx.grant_app(&grant("chat", Grantee::User(ada.id))).await.unwrap(), "user and group are distinct");
            assert!(tx.grant_app(&grant("wiki", Grantee::Group(readers.id))).await.unwrap());
        })
        .await;
        let grants = store.access.grants_of(&[Grantee::User(ada.id), Grantee::Group(editors.id)]).await.unwrap();
        let keys: Vec<&str> = grants.iter().map(|g| g.app_key.as_str()).collect();
        assert_eq!(keys, ["chat", "chat", "docs"]);
        assert!(grants.iter().all(|g| g.granted_by == Some(bob.id)));
        assert!(store.access.grants_of(&[Grantee::User(bob.id)]).await.unwrap().is_empty());

        let mut ids = in_tx(store, async |tx| tx.member_ids(editors.id).await.unwrap()).await;
        ids.sort();
        assert_eq!(ids, expected);
        in_tx(store, async |tx| {
            assert!(tx.revoke_app(Grantee::Group(editors.id), &AppKey::parse("chat").unwrap()).await.unwrap());
            assert!(!tx.revoke_app(Grantee::Group(editors.id), &AppKey::parse("chat").unwrap()).await.unwrap());
            assert!(tx.remove_member(editors.id, bob.id).await.unwrap());
            assert!(!tx.remove_member(editors.id, bob.id).await.unwrap());
        })
        .await;
        let left = store.access.grants_of(&[Grantee::User(ada.id), Grantee::Group(editors.id)]).await.unwrap();
        assert_eq!(left.iter().map(|g| g.app_key.as_str()).collect::<Vec<_>>(), ["chat", "docs"]);
        assert!(store.access.groups_of(bob.id).await.unwrap().is_empty());

        // Deleting a group takes its memberships and grants with it.
        in_tx(store, async |tx| assert!(tx.delete_group(readers.id).await.unwrap())).await;
        assert!(store.access.grants_of(&[Grantee::Group(readers.id)]).await.unwrap().is_empty());
        assert_eq!(names(store.access.groups_of(ada.id).await.unwrap()), vec![editors.name.clone()]);
    }

    pub async fn active_admins_are_counted(store: &StoreUnderTest) {
        let admin = std::collections::BTreeSet::from([Role::new(Role::ADMIN), Role::new(Role::USER)]);
        let before = in_tx(store, async |tx| tx.count_active_admins().await.unwrap()).await;
        let mut made = Vec::new();
        for status in [UserStatus::Active, UserStatus::Active, UserStatus::Locked] {
            let mut user = fixtures::user(unique_email());
            user.status = status;
            insert(store, &user, &[]).await.unwrap();
            made.push(user);
        }
        in_tx(store, async |tx| {
            tx.set_roles(made[0].id, &admin).await.unwrap();
            tx.set_roles(made[2].id, &admin).await.unwrap();
        })
        .await;
        assert_eq!(in_tx(store, async |tx| tx.count_active_admins().await.unwrap()).await, before + 1);
    }
    pub async fn settings_are_stored_locked_and_replaced(store: &StoreUnderTest) {
        use crate::domain::settings::{SealedSecret, StoredSettings};
        let admin = fixtures::user(unique_email());
        insert(store, &admin, &[]).await.unwrap();
        assert_eq!(store.settings.get_settings("ai").await.unwrap(), None);
        // Locking before the first write stores nothing by itself.
        let mut tx = store.uow.begin().await.unwrap();
        assert_eq!(tx.lock_settings("ai").await.unwrap(), StoredSettings::default());
        drop(tx);
        assert_eq!(store.settings.get_settings("ai").await.unwrap(), None);

        let mut stored = StoredSettings::default();
        stored.values.insert("model".into(), serde_json::json!("gpt-4.1"));
        stored.values.insert("max".into(), serde_json::json!(25));
        stored.secrets.insert("api_key".into(), SealedSecret { sealed: "v1.kid.body".into(), hint: "sk-…abcd".into() });
        stored.updated_at = Some(fixtures::now());
        stored.updated_by = Some(admin.id);
        in_tx(store, async |tx| {
            assert_eq!(tx.lock_settings("ai").await.unwrap(), StoredSettings::default());
            tx.put_settings("ai", &stored).await.unwrap();
        })
        .await;
        assert_eq!(store.settings.get_settings("ai").await.unwrap(), Some(stored.clone()));
        assert_eq!(store.settings.get_settings("documents").await.unwrap(), None);

        let mut replaced = stored.clone();
        replaced.secrets.clear();
        replaced.values.remove("max");
        replaced.updated_at = Some(fixtures::now() + Duration::seconds(5));
        let mut tx = store.uow.begin().await.unwrap();
        assert_eq!(tx.lock_settings("ai").await.unwrap(), stored);
        tx.put_settings("ai", &replaced).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(store.settings.get_settings("ai").await.unwrap(), Some(replaced));
    }
}

pub use cases::*;
