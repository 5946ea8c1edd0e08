//! The durable job queue: [`JobWrites`] in both kinds of transaction and [`JobQueue`]. The
//! rules are core's ([`Job`]); each case checks that the store applied them (the expected
//! job is computed with the same rule) and kept what they produced. Times are passed
//! explicitly: nothing sleeps.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use uuid::Uuid;

use super::StoreUnderTest;
use crate::domain::*;
use crate::ports::*;
use crate::testkit::codes::futures_join_all;
use crate::testkit::fixtures;

const LEASE: Duration = Duration::seconds(30);

/// A job of `kind` due at `now` (ids are UUIDv7: later calls sort after earlier ones).
fn new_job(kind: JobKind, now: DateTime<Utc>) -> NewJob {
    let id = Uuid::now_v7();
    NewJob::new(JobId::from_uuid(id), kind, json!({ "to": "someone@example.com", "nonce": id }), 3, now)
}

async fn enqueue(store: &StoreUnderTest, job: &NewJob) {
    assert!(store.jobs.enqueue(job).await.unwrap(), "{job:?} is enqueued");
}

async fn find(store: &StoreUnderTest, id: JobId) -> Job {
    store.jobs.find_job(id).await.unwrap().unwrap_or_else(|| panic!("job {id} is stored"))
}

fn ids(jobs: &[Job]) -> Vec<JobId> {
    jobs.iter().map(|job| job.id).collect()
}

/// Claims `job` (the only claimable one) for `worker` and checks it is claimed as
/// [`Job::claim`] says.
async fn claim_one(store: &StoreUnderTest, job: &NewJob, worker: &str, now: DateTime<Utc>) -> Job {
    let mut expected = find(store, job.id).await;
    let claimed = store.jobs.claim(&[job.kind], worker, now, LEASE, 10).await.unwrap();
    expected.claim(worker, now, LEASE);
    assert_eq!(claimed, vec![expected.clone()]);
    assert_eq!(find(store, job.id).await, expected);
    expected
}

/// Applies `transition` through the store and checks it did what [`Job::apply`] does to
/// `before`; returns the job as stored.
async fn applied(store: &StoreUnderTest, before: &Job, transition: Transition, now: DateTime<Utc>) -> Job {
    let mut expected = before.clone();
    expected.apply(&transition, now).unwrap();
    let done = store.jobs.transition(before.id, &transition, now).await.unwrap();
    assert_eq!(done, Transitioned::Done(expected.clone()), "{transition:?}");
    assert_eq!(find(store, before.id).await, expected);
    expected
}

/// Applies a transition core refuses: the store answers with the reason and the job as it
/// is, and leaves it unchanged.
async fn refused(store: &StoreUnderTest, before: &Job, transition: Transition, reason: Refused, now: DateTime<Utc>) {
    assert_eq!(before.clone().apply(&transition, now), Err(reason), "core refuses {transition:?}");
    let answer = store.jobs.transition(before.id, &transition, now).await.unwrap();
    assert_eq!(answer, Transitioned::Refused(reason, before.clone()), "{transition:?}");
    assert_eq!(&find(store, before.id).await, before);
}

pub async fn enqueued_jobs_are_found_and_written_with_their_transaction(store: &StoreUnderTest) {
    let now = fixtures::now();
    let job = new_job(JobKind::Mail, now).with_sealed("sealed-part".into()).at(now + Duration::minutes(5));
    enqueue(store, &job).await;
    assert_eq!(store.jobs.find_job(job.id).await.unwrap(), Some(job.clone().into_job()));
    assert_eq!(store.jobs.find_job(JobId::from_uuid(Uuid::now_v7())).await.unwrap(), None);

    // In a change's transaction: there once it commits, never when it is rolled back.
    let committed = new_job(JobKind::Mail, now);
    let lost = new_job(JobKind::Mail, now);
    let mut tx = store.uow.begin().await.unwrap();
    assert!(tx.jobs().enqueue(&committed).await.unwrap());
    tx.commit().await.unwrap();
    {
        let mut tx = store.uow.begin().await.unwrap();
        assert!(tx.jobs().enqueue(&lost).await.unwrap());
        // Dropped without commit.
    }
    assert_eq!(store.jobs.find_job(committed.id).await.unwrap(), Some(committed.into_job()));
    assert_eq!(store.jobs.find_job(lost.id).await.unwrap(), None);

    // The same through an agents transaction (an instance's provisioning job).
    let provision = new_job(JobKind::ProvisionInstance, now).with_unique_key(format!("provision:{}", Uuid::now_v7()));
    let lost = new_job(JobKind::ProvisionInstance, now);
    let mut tx = store.agents.uow.begin_agents().await.unwrap();
    assert!(tx.jobs().enqueue(&provision).await.unwrap());
    tx.commit().await.unwrap();
    {
        let mut tx = store.agents.uow.begin_agents().await.unwrap();
        assert!(tx.jobs().enqueue(&lost).await.unwrap());
    }
    assert_eq!(store.jobs.find_job(provision.id).await.unwrap(), Some(provision.into_job()));
    assert_eq!(store.jobs.find_job(lost.id).await.unwrap(), None);
}

pub async fn a_unique_key_is_enqueued_once(store: &StoreUnderTest) {
    let now = fixtures::now();
    let key = format!("mail:{}", Uuid::now_v7());
    let first = new_job(JobKind::Mail, now).with_unique_key(key.clone());
    let second = new_job(JobKind::Mail, now).with_unique_key(key.clone());
    enqueue(store, &first).await;
    assert!(!store.jobs.enqueue(&second).await.unwrap(), "the key is taken");
    assert_eq!(store.jobs.find_job(second.id).await.unwrap(), None, "nothing is written");

    // Still taken once the first job is over.
    let claimed = claim_one(store, &first, "w", now).await;
    applied(store, &claimed, Transition::Succeed { worker: "w".into(), result: None }, now).await;
    assert!(!store.jobs.enqueue(&second).await.unwrap(), "taken by a finished job");
    let mut tx = store.uow.begin().await.unwrap();
    assert!(!tx.jobs().enqueue(&second).await.unwrap(), "taken, in a transaction");
    tx.commit().await.unwrap();
    let mut tx = store.agents.uow.begin_agents().await.unwrap();
    assert!(!tx.jobs().enqueue(&second).await.unwrap(), "taken, in an agents transaction");
    tx.commit().await.unwrap();
    assert_eq!(store.jobs.find_job(second.id).await.unwrap(), None);

    // Twice in one transaction: the first only.
    let other = format!("mail:{}", Uuid::now_v7());
    let (a, b) = (new_job(JobKind::Mail, now).with_unique_key(other.clone()), new_job(JobKind::Mail, now));
    let b = b.with_unique_key(other);
    let mut tx = store.uow.begin().await.unwrap();
    assert!(tx.jobs().enqueue(&a).await.unwrap());
    assert!(!tx.jobs().enqueue(&b).await.unwrap());
    tx.commit().await.unwrap();
    assert!(store.jobs.find_job(a.id).await.unwrap().is_some());
    assert_eq!(store.jobs.find_job(b.id).await.unwrap(), None);

    // A rolled-back job frees its key.
    let freed = format!("mail:{}", Uuid::now_v7());
    {
        let mut tx = store.uow.begin().await.unwrap();
        assert!(tx.jobs().enqueue(&new_job(JobKind::Mail, now).with_unique_key(freed.clone())).await.unwrap());
    }
    enqueue(store, &new_job(JobKind::Mail, now).with_unique_key(freed)).await;

    // Different keys, and no key at all, are all enqueued.
    enqueue(store, &new_job(JobKind::Mail, now).with_unique_key(format!("{key}-other"))).await;
    enqueue(store, &new_job(JobKind::Mail, now)).await;
    enqueue(store, &new_job(JobKind::Mail, now)).await;
}

pub async fn claims_take_due_jobs_of_the_kinds_by_priority_then_time(store: &StoreUnderTest) {
    let now = fixtures::now();
    let early_mail = new_job(JobKind::Mail, now - Duration::minutes(2));
    let mail = new_job(JobKind::Mail, now - Duration::minutes(1));
    // Same priority and due time as `mail`: the id decides.
    let mail_twin = NewJob { id: JobId::from_uuid(Uuid::now_v7()), ..mail.clone() };
    let provision = new_job(JobKind::ProvisionInstance, now - Duration::minutes(1));
    let retention = new_job(JobKind::Retention, now - Duration::minutes(5));
    // An explicit priority beats the kind's.
    let urgent = NewJob { priority: 20, ..new_job(JobKind::Retention, now) };
    let later = new_job(JobKind::Mail, now).at(now + Duration::seconds(1));
    // Enqueued out of order: the order is the queue's, not the insertion's.
    for job in [&retention, &later, &mail_twin, &provision, &mail, &urgent, &early_mail] {
        enqueue(store, job).await;
    }
    assert!(mail.id < mail_twin.id);

    let all = JobKind::ALL;
    let first = store.jobs.claim(&all, "w1", now, LEASE, 2).await.unwrap();
    assert_eq!(ids(&first), vec![urgent.id, early_mail.id], "limit, priority, then run_at");
    let only_retention = store.jobs.claim(&[JobKind::Retention], "w2", now, LEASE, 10).await.unwrap();
    assert_eq!(ids(&only_retention), vec![retention.id], "only the kinds asked for");
    let rest = store.jobs.claim(&all, "w3", now, LEASE, 10).await.unwrap();
    assert_eq!(ids(&rest), vec![mail.id, mail_twin.id, provision.id], "the job due later waits");
    assert!(store.jobs.claim(&all, "w3", now, LEASE, 10).await.unwrap().is_empty());
    assert!(store.jobs.claim(&[], "w3", now + Duration::hours(1), LEASE, 10).await.unwrap().is_empty());

    // Each is claimed as `Job::claim` says, and stored so.
    let mut expected = mail.clone().into_job();
    expected.claim("w3", now, LEASE);
    assert_eq!(rest[0], expected);
    assert_eq!((expected.state, expected.attempts), (JobState::Running, 1));
    assert_eq!((expected.locked_by.as_deref(), expected.locked_until), (Some("w3"), Some(now + LEASE)));
    assert_eq!(find(store, mail.id).await, expected);

    // Due at `now` exactly is due.
    let due = now + Duration::seconds(1);
    let claimed = store.jobs.claim(&all, "w4", due, LEASE, 10).await.unwrap();
    assert_eq!(ids(&claimed), vec![later.id]);
}

pub async fn concurrent_claims_never_hand_out_a_job_twice(store: &StoreUnderTest) {
    let now = fixtures::now();
    let mut enqueued = Vec::new();
    for _ in 0..20 {
        let job = new_job(JobKind::Mail, now);
        enqueue(store, &job).await;
        enqueued.push(job.id);
    }
    // Four workers, each claiming three at a time until the queue is empty, interleaved.
    let workers = (0..4).map(|n| {
        let jobs = store.jobs.clone();
        async move {
            let worker = format!("worker-{n}");
            let mut mine = Vec::new();
            loop {
                let claimed = jobs.claim(&[JobKind::Mail], &worker, now, LEASE, 3).await.unwrap();
                if claimed.is_empty() {
                    return mine;
                }
                assert!(claimed.len() <= 3);
                assert!(claimed.iter().all(|job| job.locked_by.as_deref() == Some(worker.as_str())));
                mine.extend(claimed.into_iter().map(|job| job.id));
            }
        }
    });
    let mut claimed: Vec<JobId> = futures_join_all(workers.collect()).await.into_iter().flatten().collect();
    claimed.sort();
    enqueued.sort();
    assert_eq!(claimed, enqueued, "every job once, none twice");
    for id in enqueued {
        assert_eq!(find(store, id).await.attempts, 1);
    }
}

pub async fn an_expired_lease_passes_the_job_on_or_ends_it_dead(store: &StoreUnderTest) {
    let now = fixtures::now();
    let job = new_job(JobKind::Mail, now);
    enqueue(store, &job).await;
    let held = claim_one(store, &job, "a", now).await;
    // Held until `locked_until`, included.
    assert!(store.jobs.claim(&[JobKind::Mail], "b", now + LEASE, LEASE, 10).await.unwrap().is_empty());
    let later = now + LEASE + Duration::seconds(1);
    let taken = store.jobs.claim(&[JobKind::Mail], "b", later, LEASE, 10).await.unwrap();
    let mut expected = held.clone();
    expected.claim("b", later, LEASE);
    assert_eq!(taken, vec![expected.clone()]);
    assert_eq!(expected.attempts, 2);
    // The first worker's late result is dropped.
    let late = later + Duration::seconds(1);
    refused(store, &expected, Transition::Succeed { worker: "a".into(), result: None }, Refused::LeaseLost, late).await;
    let fail = Transition::Fail { worker: "a".into(), error: "late".into(), retry_at: None };
    refused(store, &expected, fail, Refused::LeaseLost, late).await;
    applied(store, &expected, Transition::Succeed { worker: "b".into(), result: None }, late).await;

    // On its last attempt, a job whose worker died ends dead instead of running again.
    let spent = NewJob { max_attempts: 1, ..new_job(JobKind::Mail, now) };
    enqueue(store, &spent).await;
    let held = claim_one(store, &spent, "a", now).await;
    assert!(!held.is_spent(now + LEASE) && held.is_spent(later));
    assert!(store.jobs.claim(&[JobKind::Mail], "b", later, LEASE, 10).await.unwrap().is_empty());
    let mut dead = held;
    dead.expire(later);
    let stored = find(store, spent.id).await;
    assert_eq!(stored, dead);
    assert_eq!(stored.state, JobState::Dead);
    assert!(stored.last_error.is_some() && stored.finished_at == Some(later));
}

pub async fn transitions_apply_the_rules_of_core(store: &StoreUnderTest) {
    let now = fixtures::now();
    let step = |n: i64| now + Duration::seconds(n);
    // One job at a time, so each is the only one due when it is claimed.
    // Succeed: the result and the end are kept.
    let succeeds = new_job(JobKind::Mail, now);
    enqueue(store, &succeeds).await;
    let running = claim_one(store, &succeeds, "w", now).await;
    let result = Some(json!({ "delivered": true, "id": "smtp-42" }));
    let done = applied(store, &running, Transition::Succeed { worker: "w".into(), result }, step(1)).await;
    assert_eq!((done.state, done.finished_at), (JobState::Succeeded, Some(step(1))));
    refused(store, &done, Transition::Retry, Refused::WrongState, step(2)).await;
    refused(store, &done, Transition::Cancel, Refused::WrongState, step(2)).await;

    // Fail with a retry time: queued again then, the error kept (at most MAX_ERROR_CHARS).
    let fails = new_job(JobKind::Mail, now);
    enqueue(store, &fails).await;
    let running = claim_one(store, &fails, "w", now).await;
    let error = "é".repeat(MAX_ERROR_CHARS + 10);
    let retry_at = Some(step(60));
    let fail = Transition::Fail { worker: "w".into(), error, retry_at };
    let queued = applied(store, &running, fail, step(1)).await;
    assert_eq!((queued.state, queued.run_at, queued.attempts), (JobState::Queued, step(60), 1));
    assert_eq!(queued.last_error.as_ref().map(|e| e.chars().count()), Some(MAX_ERROR_CHARS));
    assert!(
        store.jobs.claim(&[JobKind::Mail], "w", step(59), LEASE, 10).await.unwrap().iter().all(|j| j.id != fails.id)
    );
    // Cancelled while it waits, then retried by an admin.
    let cancelled = applied(store, &queued, Transition::Cancel, step(2)).await;
    assert_eq!(cancelled.state, JobState::Cancelled);
    refused(store, &cancelled, Transition::Cancel, Refused::WrongState, step(3)).await;
    let retried = applied(store, &cancelled, Transition::Retry, step(3)).await;
    assert_eq!((retried.state, retried.attempts, retried.run_at), (JobState::Queued, 0, step(3)));

    // Fail without a retry time: dead; an admin's retry makes it due now with no attempts.
    let dies = new_job(JobKind::Mail, now);
    enqueue(store, &dies).await;
    let running = claim_one(store, &dies, "w", now).await;
    refused(store, &running, Transition::Cancel, Refused::WrongState, step(1)).await;
    refused(store, &running, Transition::Retry, Refused::WrongState, step(1)).await;
    let fail = Transition::Fail { worker: "w".into(), error: "refused by the receiver".into(), retry_at: None };
    let dead = applied(store, &running, fail, step(1)).await;
    assert_eq!((dead.state, dead.finished_at), (JobState::Dead, Some(step(1))));
    refused(store, &dead, Transition::Succeed { worker: "w".into(), result: None }, Refused::LeaseLost, step(2)).await;
    let retried = applied(store, &dead, Transition::Retry, step(2)).await;
    assert_eq!((retried.state, retried.attempts, retried.finished_at), (JobState::Queued, 0, None));
    let again = store.jobs.claim(&[JobKind::Mail], "v", step(2), LEASE, 10).await.unwrap();
    assert!(again.iter().any(|job| job.id == dies.id && job.attempts == 1), "{again:?}");

    // Extend moves the lease; Release gives the attempt back and makes it due at once.
    let releases = new_job(JobKind::Mail, now);
    enqueue(store, &releases).await;
    let running = claim_one(store, &releases, "w", now).await;
    let extended = applied(store, &running, Transition::Extend { worker: "w".into(), until: step(300) }, step(5)).await;
    assert_eq!(extended.locked_until, Some(step(300)));
    assert!(
        store
            .jobs
            .claim(&[JobKind::Mail], "x", step(200), LEASE, 10)
            .await
            .unwrap()
            .iter()
            .all(|j| j.id != releases.id)
    );
    refused(store, &extended, Transition::Release { worker: "x".into() }, Refused::LeaseLost, step(6)).await;
    let released = applied(store, &extended, Transition::Release { worker: "w".into() }, step(6)).await;
    assert_eq!((released.state, released.attempts, released.run_at), (JobState::Queued, 0, step(6)));
    assert_eq!((released.locked_by, released.locked_until), (None, None));

    // An unknown job.
    let unknown = JobId::from_uuid(Uuid::now_v7());
    assert_eq!(store.jobs.transition(unknown, &Transition::Retry, now).await.unwrap(), Transitioned::NotFound);
    let succeed = Transition::Succeed { worker: "w".into(), result: None };
    assert_eq!(store.jobs.transition(unknown, &succeed, now).await.unwrap(), Transitioned::NotFound);
}

pub async fn jobs_are_listed_newest_first_with_filters(store: &StoreUnderTest) {
    let now = fixtures::now();
    let jobs: Vec<NewJob> =
        [JobKind::Mail, JobKind::Retention, JobKind::Mail, JobKind::ProvisionInstance, JobKind::Mail]
            .into_iter()
            .map(|kind| new_job(kind, now))
            .collect();
    for job in &jobs {
        enqueue(store, job).await;
    }
    // The oldest mail runs.
    let running = store.jobs.claim(&[JobKind::Mail], "w", now, LEASE, 1).await.unwrap();
    assert_eq!(ids(&running), vec![jobs[0].id]);
    let list = |kind, state, before, limit| async move {
        ids(&store.jobs.list_jobs(&JobFilter { kind, state, before, limit }).await.unwrap())
    };
    let id = |n: usize| jobs[n].id;

    assert_eq!(list(None, None, None, 10).await, vec![id(4), id(3), id(2), id(1), id(0)]);
    assert_eq!(list(None, None, None, 2).await, vec![id(4), id(3)]);
    assert_eq!(list(None, None, Some(id(3)), 2).await, vec![id(2), id(1)]);
    assert_eq!(list(Some(JobKind::Mail), None, None, 10).await, vec![id(4), id(2), id(0)]);
    assert_eq!(list(Some(JobKind::Mail), Some(JobState::Queued), None, 10).await, vec![id(4), id(2)]);
    assert_eq!(list(None, Some(JobState::Running), None, 10).await, vec![id(0)]);
    assert_eq!(list(Some(JobKind::Mail), None, Some(id(2)), 10).await, vec![id(0)]);
    assert_eq!(list(None, Some(JobState::Dead), None, 10).await, Vec::<JobId>::new());
    assert_eq!(list(None, None, None, 0).await, Vec::<JobId>::new());
    // Listed as stored.
    let listed = store.jobs.list_jobs(&JobFilter { limit: 10, ..JobFilter::default() }).await.unwrap();
    assert_eq!(listed[0], jobs[4].clone().into_job());
    assert_eq!(listed[4], running[0]);
}

pub async fn depth_counts_jobs_by_kind_and_state(store: &StoreUnderTest) {
    assert_eq!(store.jobs.depth().await.unwrap(), Vec::new());
    let now = fixtures::now();
    let minutes = |n: i64| now - Duration::minutes(n);
    let old_mail = new_job(JobKind::Mail, minutes(10));
    let mail = new_job(JobKind::Mail, minutes(3));
    let running_mail = new_job(JobKind::Mail, minutes(30)).at(minutes(20));
    let dead_provision = new_job(JobKind::ProvisionInstance, minutes(7));
    let future_retention = new_job(JobKind::Retention, now).at(now + Duration::hours(1));
    for job in [&running_mail, &old_mail, &mail, &dead_provision, &future_retention] {
        enqueue(store, job).await;
    }
    let running = store.jobs.claim(&[JobKind::Mail], "w", now, LEASE, 1).await.unwrap();
    assert_eq!(ids(&running), vec![running_mail.id]);
    let provision = claim_one(store, &dead_provision, "w", now).await;
    let fail = Transition::Fail { worker: "w".into(), error: "no capacity".into(), retry_at: None };
    applied(store, &provision, fail, now).await;

    let mut depth = store.jobs.depth().await.unwrap();
    depth.sort_by_key(|d| (d.kind, d.state));
    let row = |kind, state, count, oldest| QueueDepth { kind, state, count, oldest_run_at: Some(oldest) };
    assert_eq!(
        depth,
        vec![
            row(JobKind::Mail, JobState::Queued, 2, minutes(10)),
            row(JobKind::Mail, JobState::Running, 1, minutes(20)),
            row(JobKind::ProvisionInstance, JobState::Dead, 1, minutes(7)),
            row(JobKind::Retention, JobState::Queued, 1, now + Duration::hours(1)),
        ]
    );
}

/// Retention deletes jobs that finished before `history_before` (by when they finished),
/// and never one that waits or runs; a deleted job's unique key is free again.
pub async fn retention_purges_finished_jobs_only(store: &StoreUnderTest) {
    let now = fixtures::now();
    let policy = RetentionPolicy::at(now, Duration::days(7));
    let old = policy.history_before - Duration::hours(1);
    let recent = policy.history_before + Duration::hours(1);
    let created = old - Duration::days(1);
    let key = format!("mail:{}", Uuid::now_v7());

    // One at a time, so each is the only one due when it is claimed.
    let succeeded = new_job(JobKind::Mail, created).with_unique_key(key.clone());
    enqueue(store, &succeeded).await;
    let running = claim_one(store, &succeeded, "w", old).await;
    applied(store, &running, Transition::Succeed { worker: "w".into(), result: None }, old).await;
    let dead = new_job(JobKind::Mail, created);
    enqueue(store, &dead).await;
    let running = claim_one(store, &dead, "w", old).await;
    let fail = Transition::Fail { worker: "w".into(), error: "refused".into(), retry_at: None };
    applied(store, &running, fail, old).await;
    let cancelled = new_job(JobKind::Retention, created);
    enqueue(store, &cancelled).await;
    applied(store, &find(store, cancelled.id).await, Transition::Cancel, old).await;
    // Created as long ago, but finished after `history_before`: kept.
    let finished_lately = new_job(JobKind::Mail, created);
    enqueue(store, &finished_lately).await;
    let running = claim_one(store, &finished_lately, "w", recent).await;
    applied(store, &running, Transition::Succeed { worker: "w".into(), result: None }, recent).await;
    // Waiting or running since long ago (even with a lease long expired): kept.
    let stuck = new_job(JobKind::ProvisionInstance, created);
    enqueue(store, &stuck).await;
    claim_one(store, &stuck, "w", old).await;
    let waiting = new_job(JobKind::Mail, created);
    enqueue(store, &waiting).await;

    let purged = store.retention.purge(&policy).await.unwrap();
    assert_eq!(purged, Purged { jobs: 3, ..Purged::default() });
    for gone in [&succeeded, &dead, &cancelled] {
        assert_eq!(store.jobs.find_job(gone.id).await.unwrap(), None, "{gone:?}");
    }
    for kept in [&finished_lately, &stuck, &waiting] {
        assert!(store.jobs.find_job(kept.id).await.unwrap().is_some(), "{kept:?}");
    }
    assert_eq!(store.retention.purge(&policy).await.unwrap(), Purged::default(), "nothing left to purge");
    enqueue(store, &new_job(JobKind::Mail, now).with_unique_key(key)).await;
}

fn attempt(user: Option<UserId>, at: DateTime<Utc>) -> LoginAttempt {
    LoginAttempt {
        user_id: user,
        identifier: "someone@example.com".into(),
        ip: None,
        user_agent: None,
        success: false,
        reason: "invalid_credentials",
        at,
    }
}

fn event_at(event_type: EventType, at: DateTime<Utc>) -> DomainEvent {
    let mut event = fixtures::event(event_type, Uuid::now_v7());
    event.occurred_at = at;
    event
}

/// A broker that confirms everything.
struct Confirming;

#[async_trait::async_trait]
impl EventPublisher for Confirming {
    async fn publish(&self, _events: &[DomainEvent]) -> Result<(), PublishError> {
        Ok(())
    }
}

async fn record_events(store: &StoreUnderTest, events: &[DomainEvent]) {
    let mut tx = store.uow.begin().await.unwrap();
    tx.journal().record_events(events).await.unwrap();
    tx.commit().await.unwrap();
}

/// Retention deletes what has expired (sessions with their refresh tokens, refresh tokens,
/// one-time tokens, request keys) and history older than `history_before` (revoked
/// sessions, login attempts, published outbox rows, handled messages), and keeps what lives.
pub async fn retention_purges_what_expired_and_keeps_what_lives(store: &StoreUnderTest) {
    let now = fixtures::now();
    let policy = RetentionPolicy::at(now, Duration::days(30));
    let old = policy.history_before - Duration::hours(1);
    let user = fixtures::user(fixtures::unique_email());
    let other = fixtures::user(fixtures::unique_email());
    super::insert(store, &user, &[]).await.unwrap();
    super::insert(store, &other, &[]).await.unwrap();

    // Sessions and refresh tokens.
    let mut expired = fixtures::session(&user);
    (expired.created_at, expired.last_seen_at) = (now - Duration::days(2), now - Duration::days(2));
    expired.expires_at = now - Duration::hours(1);
    let expired_token = fixtures::refresh_token(&expired);
    let live = fixtures::session(&user);
    let live_token = fixtures::refresh_token(&live);
    let mut stale_token = fixtures::refresh_token(&live);
    (stale_token.issued_at, stale_token.expires_at) = (now - Duration::days(1), now - Duration::minutes(1));
    let mut revoked_long_ago = fixtures::session(&user);
    (revoked_long_ago.created_at, revoked_long_ago.last_seen_at) = (old, old);
    let revoked_lately = fixtures::session(&user);
    // One-time tokens: an expired one, a used one, a live one.
    let mut expired_code = fixtures::one_time_token(&user, OneTimePurpose::ResetPassword);
    (expired_code.created_at, expired_code.expires_at) = (now - Duration::hours(2), now - Duration::minutes(1));
    let used_code = fixtures::one_time_token(&user, OneTimePurpose::VerifyEmail);
    let live_code = fixtures::one_time_token(&other, OneTimePurpose::ResetPassword);
    // Request keys: one past its day, one within it (recorded first: a later record forgets
    // the older ones).
    let tag = Uuid::now_v7().simple().to_string();
    let request = |name: &str, at| RequestRecord {
        key: format!("{tag}:{name}"),
        fingerprint: "f".into(),
        resource: Uuid::now_v7(),
        at,
    };
    let fresh_key = request("fresh", now - Duration::hours(1));
    let stale_key = request("stale", now - REQUEST_KEY_TTL - Duration::hours(1));

    let mut tx = store.uow.begin().await.unwrap();
    for session in [&expired, &live, &revoked_long_ago, &revoked_lately] {
        tx.sessions().insert_session(session).await.unwrap();
    }
    for token in [&expired_token, &live_token, &stale_token] {
        tx.sessions().insert_refresh_token(token).await.unwrap();
    }
    for code in [&expired_code, &used_code, &live_code] {
        tx.one_time_tokens().insert_one_time_token(code).await.unwrap();
    }
    tx.one_time_tokens()
        .consume_one_time_tokens(user.id, OneTimePurpose::VerifyEmail, now - Duration::minutes(1))
        .await
        .unwrap();
    let reason = RevocationReason::Logout;
    tx.sessions().revoke_sessions(user.id, SessionSelector::One(revoked_long_ago.id), old, reason).await.unwrap();
    let lately = now - Duration::hours(1);
    tx.sessions().revoke_sessions(user.id, SessionSelector::One(revoked_lately.id), lately, reason).await.unwrap();
    tx.journal().record_login_attempt(&attempt(Some(user.id), old)).await.unwrap();
    tx.journal().record_login_attempt(&attempt(None, now - Duration::hours(1))).await.unwrap();
    tx.journal().record_request(&fresh_key).await.unwrap();
    tx.journal().record_request(&stale_key).await.unwrap();
    tx.commit().await.unwrap();

    // The outbox: published long ago, published lately, waiting since long ago.
    let publisher = Confirming;
    let published_long_ago = event_at(EventType::UserRegistered, old);
    record_events(store, std::slice::from_ref(&published_long_ago)).await;
    assert_eq!(store.outbox.relay(100, &publisher, old).await.unwrap().published, 1);
    let published_lately = event_at(EventType::UserUpdated, now - Duration::hours(1));
    record_events(store, std::slice::from_ref(&published_lately)).await;
    assert_eq!(store.outbox.relay(100, &publisher, now - Duration::hours(1)).await.unwrap().published, 1);
    let waiting = event_at(EventType::UserDeleted, old);
    record_events(store, std::slice::from_ref(&waiting)).await;

    // Messages of other services handled long ago and lately.
    let (handled_long_ago, handled_lately) = (Uuid::now_v7(), Uuid::now_v7());
    let mut tx = store.agents.uow.begin_agents().await.unwrap();
    assert!(tx.instances().record_consumed(handled_long_ago, old).await.unwrap());
    assert!(tx.instances().record_consumed(handled_lately, now - Duration::hours(1)).await.unwrap());
    tx.commit().await.unwrap();

    let purged = store.retention.purge(&policy).await.unwrap();
    let expected = Purged {
        sessions: 2,
        refresh_tokens: 2,
        one_time_tokens: 2,
        login_attempts: 1,
        request_keys: 1,
        outbox: 1,
        consumed_messages: 1,
        jobs: 0,
    };
    assert_eq!(purged, expected);

    for (session, kept) in [(&expired, false), (&revoked_long_ago, false), (&live, true), (&revoked_lately, true)] {
        assert_eq!(store.sessions.find_session(session.id).await.unwrap().is_some(), kept, "{session:?}");
    }
    let mut tx = store.uow.begin().await.unwrap();
    for (token, kept) in [(&expired_token, false), (&stale_token, false), (&live_token, true)] {
        assert_eq!(tx.sessions().refresh_token(token.id).await.unwrap().is_some(), kept, "{token:?}");
    }
    for (code, kept) in [(&expired_code, false), (&used_code, false), (&live_code, true)] {
        let found = tx.one_time_tokens().lock_one_time_token(code.purpose, &code.digest).await.unwrap();
        assert_eq!(found.is_some(), kept, "{code:?}");
    }
    drop(tx);
    assert_eq!(store.requests.find_request(&stale_key.key).await.unwrap(), None);
    assert_eq!(store.requests.find_request(&fresh_key.key).await.unwrap(), Some(fresh_key));
    let pending = store.outbox.pending(100).await.unwrap();
    assert_eq!(pending.iter().map(|e| e.event.id).collect::<Vec<_>>(), vec![waiting.id], "a waiting row stays");
    {
        let mut tx = store.agents.uow.begin_agents().await.unwrap();
        assert!(tx.instances().record_consumed(handled_long_ago, now).await.unwrap(), "forgotten");
        assert!(!tx.instances().record_consumed(handled_lately, now).await.unwrap(), "remembered");
        // Rolled back.
    }
    assert_eq!(store.retention.purge(&policy).await.unwrap(), Purged::default(), "nothing left to purge");
}
