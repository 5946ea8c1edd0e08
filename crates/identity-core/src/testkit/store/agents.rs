//! Agents and instances: [`AgentRepository`], [`InstanceRepository`] and the
//! [`AgentsTransaction`] of [`AgentsUnitOfWork`], whose journal writes to the outbox of the
//! same database.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;
use std::time::Duration as StdDuration;

use chrono::Duration;
use uuid::Uuid;

use super::StoreUnderTest;
use crate::domain::*;
use crate::ports::*;
use crate::testkit::fixtures;

fn agent(name: &str, category: &str, tags: &[&str]) -> Agent {
    let now = fixtures::now();
    Agent {
        id: AgentId::from_uuid(Uuid::now_v7()),
        name: name.into(),
        description: format!("{name}, for the contract tests"),
        category: category.into(),
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        enabled: true,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    }
}

fn instance(user: UserId, agent: &Agent, name: &str, state: InstanceState) -> Instance {
    let now = fixtures::now();
    Instance {
        id: InstanceId::from_uuid(Uuid::now_v7()),
        user_id: user,
        agent_id: agent.id,
        name: name.into(),
        config: serde_json::json!({ "model": "small", "temperature": 0.5, "tools": ["search"], "limits": { "n": null } }),
        state,
        version: 1,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    }
}

/// A user of the instances: only an id (instances do not need the user's row: the tables
/// may live in another database than the users).
fn user() -> UserId {
    UserId::from_uuid(Uuid::now_v7())
}

/// Runs `write` in an agents transaction and commits it.
async fn in_tx<T>(store: &StoreUnderTest, write: impl AsyncFnOnce(&mut dyn AgentsTransaction) -> T) -> T {
    let mut tx = store.agents.uow.begin_agents().await.unwrap();
    let out = write(tx.as_mut()).await;
    tx.commit().await.unwrap();
    out
}

async fn insert_agents(store: &StoreUnderTest, agents: &[&Agent]) {
    in_tx(store, async |tx| {
        for a in agents {
            tx.agents().insert_agent(a).await.unwrap();
        }
    })
    .await;
}

async fn insert_instances(store: &StoreUnderTest, instances: &[&Instance]) {
    in_tx(store, async |tx| {
        for i in instances {
            tx.instances().insert_instance(i).await.unwrap();
        }
    })
    .await;
}

pub async fn agents_are_inserted_found_and_updated(store: &StoreUnderTest) {
    let writer = agent("Writer", "writing", &["drafting", "editing"]);
    let mut bare = agent("Bare", "misc", &[]);
    bare.description = String::new();
    insert_agents(store, &[&writer, &bare]).await;
    assert_eq!(store.agents.agents.find_agent(writer.id).await.unwrap(), Some(writer.clone()));
    assert_eq!(store.agents.agents.find_agent(bare.id).await.unwrap(), Some(bare.clone()));
    let unknown = AgentId::from_uuid(Uuid::now_v7());
    assert_eq!(store.agents.agents.find_agent(unknown).await.unwrap(), None);

    let mut changed = writer.clone();
    changed.name = "Ghostwriter".into();
    changed.description = "Writes in your voice.".into();
    changed.category = "ghostwriting".into();
    changed.tags = vec!["drafting".into(), "voice".into()];
    changed.enabled = false;
    changed.updated_at = fixtures::now() + Duration::seconds(1);
    // An update that is rolled back changes nothing.
    let mut tx = store.agents.uow.begin_agents().await.unwrap();
    assert_eq!(tx.agents().lock_agent(writer.id).await.unwrap(), Some(writer.clone()));
    tx.agents().update_agent(&changed).await.unwrap();
    drop(tx);
    assert_eq!(store.agents.agents.find_agent(writer.id).await.unwrap(), Some(writer.clone()));

    in_tx(store, async |tx| {
        assert_eq!(tx.agents().lock_agent(writer.id).await.unwrap(), Some(writer.clone()));
        assert_eq!(tx.agents().lock_agent(unknown).await.unwrap(), None);
        tx.agents().update_agent(&changed).await.unwrap();
    })
    .await;
    assert_eq!(store.agents.agents.find_agent(writer.id).await.unwrap(), Some(changed.clone()));
    assert_eq!(store.agents.agents.find_agent(bare.id).await.unwrap(), Some(bare), "other agents are untouched");

    // A deleted agent is still found (instances keep naming it).
    let mut deleted = changed.clone();
    deleted.deleted_at = Some(fixtures::now() + Duration::seconds(2));
    deleted.updated_at = deleted.deleted_at.unwrap();
    in_tx(store, async |tx| tx.agents().update_agent(&deleted).await.unwrap()).await;
    assert_eq!(store.agents.agents.find_agent(writer.id).await.unwrap(), Some(deleted));
}

pub async fn agents_are_listed_by_id_with_filters(store: &StoreUnderTest) {
    let writer = agent("Writer", "writing", &["drafting", "editing"]);
    let researcher = agent("Researcher", "research", &["search", "summaries"]);
    let mut coder = agent("Coder", "coding", &["review", "rust"]);
    coder.enabled = false;
    let mut copywriter = agent("Copywriter", "writing", &["editing"]);
    copywriter.deleted_at = Some(fixtures::now());
    let editor = agent("Editor", "writing", &["editing", "review"]);
    insert_agents(store, &[&writer, &researcher, &coder, &copywriter, &editor]).await;

    let list = async |filter: AgentFilter| -> Vec<AgentId> {
        let found = store.agents.agents.list_agents(&filter).await.unwrap();
        assert!(found.iter().all(|a| filter.matches(a)), "{filter:?}");
        found.into_iter().map(|a| a.id).collect()
    };
    let all = AgentFilter { limit: 10, ..AgentFilter::default() };
    // By id ascending; a deleted agent is never listed.
    assert_eq!(list(all.clone()).await, [writer.id, researcher.id, coder.id, editor.id]);
    assert_eq!(list(AgentFilter { enabled_only: true, ..all.clone() }).await, [writer.id, researcher.id, editor.id]);
    assert_eq!(list(AgentFilter { category: Some("writing".into()), ..all.clone() }).await, [writer.id, editor.id]);
    assert_eq!(list(AgentFilter { category: Some("writ".into()), ..all.clone() }).await, []);
    assert_eq!(list(AgentFilter { tag: Some("editing".into()), ..all.clone() }).await, [writer.id, editor.id]);
    assert_eq!(list(AgentFilter { tag: Some("review".into()), ..all.clone() }).await, [coder.id, editor.id]);
    assert_eq!(list(AgentFilter { tag: Some("edit".into()), ..all.clone() }).await, [], "a whole tag, not a part");
    let enabled_reviewers = AgentFilter { tag: Some("review".into()), enabled_only: true, ..all.clone() };
    assert_eq!(list(enabled_reviewers).await, [editor.id]);
    let writing_drafts = AgentFilter { category: Some("writing".into()), tag: Some("drafting".into()), ..all.clone() };
    assert_eq!(list(writing_drafts).await, [writer.id]);

    // Pages: at most `limit`, then those after the cursor.
    assert_eq!(list(AgentFilter { limit: 2, ..all.clone() }).await, [writer.id, researcher.id]);
    let second = AgentFilter { limit: 2, after: Some(researcher.id.as_uuid()), ..all.clone() };
    assert_eq!(list(second).await, [coder.id, editor.id]);
    assert_eq!(list(AgentFilter { after: Some(editor.id.as_uuid()), ..all.clone() }).await, []);
    // The cursor may name a deleted agent.
    assert_eq!(list(AgentFilter { after: Some(copywriter.id.as_uuid()), ..all.clone() }).await, [editor.id]);
    assert_eq!(list(AgentFilter { limit: 0, ..all.clone() }).await, []);

    // Deleting leaves the listing; disabling leaves the users' listing only.
    let mut gone = researcher.clone();
    gone.deleted_at = Some(fixtures::now());
    let mut off = writer.clone();
    off.enabled = false;
    in_tx(store, async |tx| {
        tx.agents().update_agent(&gone).await.unwrap();
        tx.agents().update_agent(&off).await.unwrap();
    })
    .await;
    assert_eq!(list(all.clone()).await, [writer.id, coder.id, editor.id]);
    assert_eq!(list(AgentFilter { enabled_only: true, ..all }).await, [editor.id]);
}

/// Agent names are searched like users and groups ([`SearchPrefix`]): a case-insensitive
/// prefix, never in the middle, wildcards literal.
pub async fn agent_search_matches_a_prefix_of_the_name(store: &StoreUnderTest) {
    let tag = Uuid::now_v7().simple().to_string();
    let alpha = agent(&format!("Alpha{tag}"), "misc", &[]);
    let beta = agent(&format!("Beta{tag} alpha{tag}"), "misc", &[]);
    let mut gamma = agent(&format!("alpha{tag} gamma"), "misc", &[]);
    gamma.deleted_at = Some(fixtures::now());
    insert_agents(store, &[&alpha, &beta, &gamma]).await;
    for (query, expected) in [
        (format!(" ALPHA{} ", tag.to_uppercase()), vec![alpha.id]),
        (format!("beta{tag} A"), vec![beta.id]),
        (format!("lpha{tag}"), vec![]),
        (format!("%{tag}"), vec![]),
        (format!("_lpha{tag}"), vec![]),
        (format!("Alpha{tag}_"), vec![]),
    ] {
        let filter = AgentFilter { search: SearchPrefix::parse(&query), limit: 10, ..AgentFilter::default() };
        let found: Vec<AgentId> =
            store.agents.agents.list_agents(&filter).await.unwrap().into_iter().map(|a| a.id).collect();
        assert_eq!(found, expected, "{query:?}");
        assert!([&alpha, &beta].iter().all(|a| filter.matches(a) == expected.contains(&a.id)), "{query:?}");
    }
}

pub async fn instances_are_inserted_found_and_updated(store: &StoreUnderTest) {
    let coder = agent("Coder", "coding", &["rust"]);
    let owner = user();
    let mine = instance(owner, &coder, "My coder", InstanceState::Ready);
    let mut empty = instance(owner, &coder, "Empty", InstanceState::Provisioning);
    empty.config = serde_json::json!({});
    in_tx(store, async |tx| {
        tx.agents().insert_agent(&coder).await.unwrap();
        tx.instances().insert_instance(&mine).await.unwrap();
        tx.instances().insert_instance(&empty).await.unwrap();
    })
    .await;
    assert_eq!(store.agents.instances.find_instance(mine.id).await.unwrap(), Some(mine.clone()));
    assert_eq!(store.agents.instances.find_instance(empty.id).await.unwrap(), Some(empty.clone()));
    let unknown = InstanceId::from_uuid(Uuid::now_v7());
    assert_eq!(store.agents.instances.find_instance(unknown).await.unwrap(), None);

    // Every state is stored as itself.
    let mut changed = mine.clone();
    for (n, state) in InstanceState::ALL.into_iter().enumerate() {
        let previous = changed.clone();
        changed.name = format!("My coder ({})", state.as_str());
        changed.config = serde_json::json!({ "model": "large", "state": state.as_str(), "n": n });
        changed.state = state;
        changed.bump(fixtures::now() + Duration::seconds(1 + i64::try_from(n).unwrap()));
        in_tx(store, async |tx| {
            assert_eq!(tx.instances().lock_instance(mine.id).await.unwrap(), Some(previous));
            assert_eq!(tx.instances().lock_instance(unknown).await.unwrap(), None);
            tx.instances().update_instance(&changed).await.unwrap();
        })
        .await;
        assert_eq!(store.agents.instances.find_instance(mine.id).await.unwrap(), Some(changed.clone()));
    }
    assert_eq!(changed.version, 6);

    // Rolled back, an update leaves the instance as it was.
    let mut tx = store.agents.uow.begin_agents().await.unwrap();
    let mut dropped = tx.instances().lock_instance(empty.id).await.unwrap().unwrap();
    dropped.name = "never".into();
    dropped.bump(fixtures::now());
    tx.instances().update_instance(&dropped).await.unwrap();
    drop(tx);
    assert_eq!(store.agents.instances.find_instance(empty.id).await.unwrap(), Some(empty.clone()));

    // A deleted instance is still found (deleted or not), and so is one of a deleted agent.
    let mut deleted = empty.clone();
    deleted.delete(fixtures::now() + Duration::seconds(1));
    let mut retired = coder.clone();
    retired.deleted_at = Some(fixtures::now());
    in_tx(store, async |tx| {
        tx.instances().update_instance(&deleted).await.unwrap();
        tx.agents().update_agent(&retired).await.unwrap();
    })
    .await;
    assert_eq!(store.agents.instances.find_instance(empty.id).await.unwrap(), Some(deleted));
    assert_eq!(store.agents.instances.find_instance(mine.id).await.unwrap(), Some(changed));
}

pub async fn instances_are_listed_newest_first_with_filters(store: &StoreUnderTest) {
    let coder = agent("Coder", "coding", &[]);
    insert_agents(store, &[&coder]).await;
    let (ada, bob) = (user(), user());
    let i0 = instance(ada, &coder, "first", InstanceState::Ready);
    let i1 = instance(ada, &coder, "second", InstanceState::Stopped);
    let i2 = instance(ada, &coder, "third", InstanceState::Ready);
    let j0 = instance(bob, &coder, "bob's", InstanceState::Ready);
    let i3 = instance(ada, &coder, "fourth", InstanceState::Failed);
    let i4 = instance(ada, &coder, "fifth", InstanceState::Ready);
    insert_instances(store, &[&i0, &i1, &i2, &j0, &i3, &i4]).await;
    let mut deleted = i2.clone();
    deleted.delete(fixtures::now());
    in_tx(store, async |tx| tx.instances().update_instance(&deleted).await.unwrap()).await;

    let list = async |filter: InstanceFilter| -> Vec<InstanceId> {
        let found = store.agents.instances.list_instances(&filter).await.unwrap();
        assert!(found.iter().all(|i| filter.matches(i)), "{filter:?}");
        found.into_iter().map(|i| i.id).collect()
    };
    let all = InstanceFilter { user: ada, state: None, after: None, limit: 10 };
    // The owner's only, newest first; a deleted instance is never listed.
    assert_eq!(list(all.clone()).await, [i4.id, i3.id, i1.id, i0.id]);
    assert_eq!(list(InstanceFilter { user: bob, ..all.clone() }).await, [j0.id]);
    assert_eq!(list(InstanceFilter { user: user(), ..all.clone() }).await, []);
    let in_state = |state| InstanceFilter { state: Some(state), ..all.clone() };
    assert_eq!(list(in_state(InstanceState::Ready)).await, [i4.id, i0.id]);
    assert_eq!(list(in_state(InstanceState::Stopped)).await, [i1.id]);
    assert_eq!(list(in_state(InstanceState::Failed)).await, [i3.id]);
    assert_eq!(list(in_state(InstanceState::Provisioning)).await, []);
    assert_eq!(list(in_state(InstanceState::Deleted)).await, [], "deleted instances are never listed");

    // Pages: at most `limit`, then those older than the cursor.
    assert_eq!(list(InstanceFilter { limit: 2, ..all.clone() }).await, [i4.id, i3.id]);
    let second = InstanceFilter { limit: 2, after: Some(i3.id.as_uuid()), ..all.clone() };
    assert_eq!(list(second).await, [i1.id, i0.id]);
    assert_eq!(list(InstanceFilter { after: Some(i0.id.as_uuid()), ..all.clone() }).await, []);
    // The cursor may name a deleted instance, or someone else's.
    assert_eq!(list(InstanceFilter { after: Some(i2.id.as_uuid()), ..all.clone() }).await, [i1.id, i0.id]);
    assert_eq!(list(InstanceFilter { after: Some(j0.id.as_uuid()), ..all.clone() }).await, [i1.id, i0.id]);
    let ready_after = InstanceFilter { state: Some(InstanceState::Ready), after: Some(i4.id.as_uuid()), ..all.clone() };
    assert_eq!(list(ready_after).await, [i0.id]);
    assert_eq!(list(InstanceFilter { limit: 0, ..all }).await, []);
}

pub async fn lock_instances_of_takes_the_live_instances_of_one_user(store: &StoreUnderTest) {
    let coder = agent("Coder", "coding", &[]);
    insert_agents(store, &[&coder]).await;
    let (ada, bob) = (user(), user());
    let i0 = instance(ada, &coder, "first", InstanceState::Ready);
    let i1 = instance(ada, &coder, "second", InstanceState::Stopped);
    let i2 = instance(ada, &coder, "third", InstanceState::Ready);
    let j0 = instance(bob, &coder, "bob's", InstanceState::Ready);
    let i3 = instance(ada, &coder, "fourth", InstanceState::Failed);
    insert_instances(store, &[&i0, &i1, &i2, &j0, &i3]).await;
    let mut deleted = i2.clone();
    deleted.delete(fixtures::now());
    in_tx(store, async |tx| tx.instances().update_instance(&deleted).await.unwrap()).await;

    // Live ones only (every state but deleted), oldest first; then each can be changed in the
    // same transaction (what deleting a user's instances does).
    let now = fixtures::now() + Duration::seconds(1);
    let locked = in_tx(store, async |tx| {
        let locked = tx.instances().lock_instances_of(ada).await.unwrap();
        assert_eq!(tx.instances().lock_instances_of(user()).await.unwrap(), []);
        for mut i in locked.clone() {
            i.delete(now);
            tx.instances().update_instance(&i).await.unwrap();
        }
        locked
    })
    .await;
    assert_eq!(locked, [i0.clone(), i1.clone(), i3.clone()]);
    let all = InstanceFilter { user: ada, state: None, after: None, limit: 10 };
    assert_eq!(store.agents.instances.list_instances(&all).await.unwrap(), []);
    for i in [&i0, &i1, &i3] {
        let found = store.agents.instances.find_instance(i.id).await.unwrap().unwrap();
        assert_eq!((found.state, found.version, found.deleted_at), (InstanceState::Deleted, 2, Some(now)));
    }
    assert_eq!(store.agents.instances.find_instance(i2.id).await.unwrap(), Some(deleted), "deleted once only");
    let bobs = in_tx(store, async |tx| tx.instances().lock_instances_of(bob).await.unwrap()).await;
    assert_eq!(bobs, [j0]);
    assert_eq!(in_tx(store, async |tx| tx.instances().lock_instances_of(ada).await.unwrap()).await, []);
}

pub async fn dropped_agents_transaction_leaves_nothing(store: &StoreUnderTest) {
    let coder = agent("Coder", "coding", &[]);
    let mine = instance(user(), &coder, "mine", InstanceState::Ready);
    let events = [
        fixtures::event(EventType::AgentCreated, coder.id.as_uuid()),
        fixtures::event(EventType::InstanceCreated, mine.id.as_uuid()),
    ];
    {
        let mut tx = store.agents.uow.begin_agents().await.unwrap();
        tx.agents().insert_agent(&coder).await.unwrap();
        tx.instances().insert_instance(&mine).await.unwrap();
        tx.journal().record_events(&events).await.unwrap();
        // Dropped without commit: a failed request must leave no half-written state.
    }
    assert_eq!(store.agents.agents.find_agent(coder.id).await.unwrap(), None);
    assert_eq!(store.agents.instances.find_instance(mine.id).await.unwrap(), None);
    let everything = AgentFilter { limit: 10, ..AgentFilter::default() };
    assert_eq!(store.agents.agents.list_agents(&everything).await.unwrap(), []);
    let filter = InstanceFilter { user: mine.user_id, state: None, after: None, limit: 10 };
    assert_eq!(store.agents.instances.list_instances(&filter).await.unwrap(), []);
    assert!(store.outbox.pending(1000).await.unwrap().iter().all(|e| events.iter().all(|x| x.id != e.event.id)));
    // And the ids are still free.
    in_tx(store, async |tx| {
        tx.agents().insert_agent(&coder).await.unwrap();
        tx.instances().insert_instance(&mine).await.unwrap();
    })
    .await;
    assert_eq!(store.agents.instances.find_instance(mine.id).await.unwrap(), Some(mine));
}

pub async fn committed_agents_events_are_pending_in_the_outbox(store: &StoreUnderTest) {
    let coder = agent("Coder", "coding", &[]);
    let mine = instance(user(), &coder, "mine", InstanceState::Ready);
    let created = fixtures::event(EventType::AgentCreated, coder.id.as_uuid());
    let made = fixtures::event(EventType::InstanceCreated, mine.id.as_uuid());
    in_tx(store, async |tx| {
        tx.agents().insert_agent(&coder).await.unwrap();
        tx.journal().record_events(std::slice::from_ref(&created)).await.unwrap();
        tx.instances().insert_instance(&mine).await.unwrap();
        tx.journal().record_events(std::slice::from_ref(&made)).await.unwrap();
    })
    .await;
    let updated = fixtures::event(EventType::InstanceUpdated, mine.id.as_uuid());
    let deleted = fixtures::event(EventType::InstanceDeleted, mine.id.as_uuid());
    in_tx(store, async |tx| tx.journal().record_events(&[updated.clone(), deleted.clone()]).await.unwrap()).await;

    let expected = [&created, &made, &updated, &deleted];
    let pending = store.outbox.pending(1000).await.unwrap();
    let ours: Vec<_> = pending.iter().filter(|e| expected.iter().any(|x| x.id == e.event.id)).collect();
    assert_eq!(ours.iter().map(|e| &e.event).collect::<Vec<_>>(), expected);
    assert!(ours.windows(2).all(|w| w[0].seq < w[1].seq));
    assert!(ours.iter().all(|e| e.delivery.published_at.is_none()));
}

/// `lock_instance` holds the row until commit: a second transaction locking it waits, then
/// sees what the first committed. (The memory store serialises whole transactions: there the
/// second waits at `begin_agents`.)
pub async fn a_locked_instance_waits_for_the_commit_of_its_holder(store: &StoreUnderTest) {
    let coder = agent("Coder", "coding", &[]);
    let mine = instance(user(), &coder, "mine", InstanceState::Ready);
    in_tx(store, async |tx| {
        tx.agents().insert_agent(&coder).await.unwrap();
        tx.instances().insert_instance(&mine).await.unwrap();
    })
    .await;

    let mut first = store.agents.uow.begin_agents().await.unwrap();
    let mut renamed = first.instances().lock_instance(mine.id).await.unwrap().unwrap();
    renamed.name = "renamed".into();
    renamed.bump(fixtures::now());
    let committed = AtomicBool::new(false);
    let holder = async {
        // Long enough for the second transaction to be waiting for the row.
        pause(StdDuration::from_millis(300)).await;
        first.instances().update_instance(&renamed).await.unwrap();
        committed.store(true, Ordering::SeqCst);
        first.commit().await.unwrap();
    };
    let waiter = async {
        let mut second = store.agents.uow.begin_agents().await.unwrap();
        let seen = second.instances().lock_instance(mine.id).await.unwrap().unwrap();
        assert!(committed.load(Ordering::SeqCst), "the second lock was granted before the first commit");
        let mut stopped = seen.clone();
        stopped.state = InstanceState::Stopped;
        stopped.bump(fixtures::now());
        second.instances().update_instance(&stopped).await.unwrap();
        second.commit().await.unwrap();
        (seen, stopped)
    };
    let ((), (seen, stopped)) = join(holder, waiter).await;
    assert_eq!(seen, renamed, "the second transaction sees the first one's commit");
    assert_eq!(stopped.version, 3);
    assert_eq!(store.agents.instances.find_instance(mine.id).await.unwrap(), Some(stopped));
}

/// Polls both futures to completion, interleaved (no runtime dependency).
async fn join<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut out_a, mut out_b) = (None, None);
    std::future::poll_fn(|cx| {
        if out_a.is_none()
            && let Poll::Ready(value) = a.as_mut().poll(cx)
        {
            out_a = Some(value);
        }
        if out_b.is_none()
            && let Poll::Ready(value) = b.as_mut().poll(cx)
        {
            out_b = Some(value);
        }
        if out_a.is_some() && out_b.is_some() { Poll::Ready(()) } else { Poll::Pending }
    })
    .await;
    (out_a.unwrap(), out_b.unwrap())
}

/// Waits `duration` on a thread of its own (no runtime dependency).
async fn pause(duration: StdDuration) {
    let done = Arc::new(AtomicBool::new(false));
    let mut started = false;
    std::future::poll_fn(|cx| {
        if done.load(Ordering::SeqCst) {
            return Poll::Ready(());
        }
        if !started {
            started = true;
            let (done, waker) = (done.clone(), cx.waker().clone());
            std::thread::spawn(move || {
                std::thread::sleep(duration);
                done.store(true, Ordering::SeqCst);
                waker.wake();
            });
        }
        Poll::Pending
    })
    .await;
}

/// A message id is recorded once: the second record of it answers `false`; a record in a
/// transaction that is dropped is forgotten with it.
pub async fn consumed_messages_are_recorded_once(store: &StoreUnderTest) {
    let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
    let now = chrono::Utc::now();
    let mut tx = store.agents.uow.begin_agents().await.unwrap();
    assert!(tx.instances().record_consumed(first, now).await.unwrap());
    assert!(!tx.instances().record_consumed(first, now).await.unwrap(), "twice in one transaction");
    tx.commit().await.unwrap();
    let mut tx = store.agents.uow.begin_agents().await.unwrap();
    assert!(!tx.instances().record_consumed(first, now).await.unwrap(), "after its commit");
    assert!(tx.instances().record_consumed(second, now).await.unwrap());
    drop(tx);
    let mut tx = store.agents.uow.begin_agents().await.unwrap();
    assert!(tx.instances().record_consumed(second, now).await.unwrap(), "a rolled-back record is forgotten");
    tx.commit().await.unwrap();
}
