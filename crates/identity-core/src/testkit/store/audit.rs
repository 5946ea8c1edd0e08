//! The audit log: [`AuditRepository`](crate::ports::AuditRepository) and
//! [`JournalWrites::record_audit`](crate::ports::JournalWrites::record_audit).

use chrono::Duration;

use super::StoreUnderTest;
use crate::domain::*;
use crate::testkit::fixtures::{self, unique_email};

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
    tx.journal().record_audit(&entry("login.failed", &user, now)).await.unwrap();
    tx.journal().record_audit(&entry("login.succeeded", &user, now + Duration::seconds(1))).await.unwrap();
    tx.journal().record_audit(&entry("login.succeeded", &other, now + Duration::seconds(2))).await.unwrap();
    tx.commit().await.unwrap();
    // A rolled-back entry never appears.
    {
        let mut tx = store.uow.begin().await.unwrap();
        tx.journal().record_audit(&entry("password.changed", &user, now)).await.unwrap();
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
        successes.iter().any(|e| e.subject == Some(other.id)) && successes.iter().any(|e| e.subject == Some(user.id))
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
