//! The audit trail: the chain, its order under concurrency and the append-only triggers.

use crate::domain::audit::{GENESIS_HASH, verify_chain};

use super::*;

#[tokio::test]
async fn audit_appends_chain_from_the_genesis_hash() {
    for db in test_databases().await {
        let store = &db.store;
        for n in 0..5 {
            let jobs = vec![NewJob::now(Job::AuditLine {
                platform: Platform::Slack,
                line: format!("line {n}"),
            })];
            store
                .append_audit(event("auth.rejected", None), jobs)
                .await
                .expect("append");
        }
        let events = store.audit_events(0, 100).await.expect("read");
        assert_eq!(events.len(), 5, "{}", db.name());
        assert_eq!(events[0].prev_hash, GENESIS_HASH);
        let last = verify_chain(None, &events).expect("intact chain");
        assert_eq!(last.as_ref().map(|(seq, _)| *seq), Some(5));

        // Paging continues the chain from where the previous page ended.
        let first = store.audit_events(0, 2).await.expect("page 1");
        let rest = store.audit_events(2, 100).await.expect("page 2");
        assert_eq!(rest.first().map(|e| e.seq), Some(3));
        let head = verify_chain(None, &first)
            .expect("page 1 intact")
            .expect("two events");
        let end = verify_chain(Some((head.0, &head.1)), &rest).expect("page 2 intact");
        assert_eq!(end, last);

        // The canonical text is stored exactly as hashed.
        let original = event("auth.rejected", None);
        assert!(
            events[0].canonical.contains(r#""note":"ünïcode ✓""#),
            "{}",
            events[0].canonical
        );
        assert_eq!(
            events[0].canonical,
            AuditEvent {
                at: events_at(&events[0].canonical),
                ..original
            }
            .canonical(1)
        );
        let jobs = db.text("SELECT CAST(COUNT(*) AS TEXT) FROM jobs").await;
        assert_eq!(jobs.as_deref(), Some("5"));
        db.finish().await;
    }
}

/// The `at` of a stored canonical event.
fn events_at(canonical: &str) -> DateTime<Utc> {
    let value: serde_json::Value = serde_json::from_str(canonical).expect("json");
    serde_json::from_value(value["event"]["at"].clone()).expect("at")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_appends_get_sequence_numbers_one_to_fifty_in_one_chain() {
    for db in test_databases().await {
        let tasks: Vec<_> = (0..50)
            .map(|n| {
                let store = db.store.clone();
                tokio::spawn(async move {
                    let event = event("request.status", Some(ShortId::new(n + 1)));
                    store.append_audit(event, vec![]).await
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("task").expect("append");
        }
        let events = db.store.audit_events(0, 100).await.expect("read");
        let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=50).collect::<Vec<_>>(), "{}", db.name());
        verify_chain(None, &events).expect("intact chain");
        let head = db.text("SELECT hash FROM audit_head WHERE id = 1").await;
        assert_eq!(head.as_deref(), events.last().map(|e| e.hash.as_str()));
        db.finish().await;
    }
}

#[tokio::test]
async fn the_database_refuses_to_update_or_delete_audit_events() {
    for db in test_databases().await {
        db.store
            .append_audit(event("request.submitted", None), vec![])
            .await
            .expect("append");
        let update = db
            .execute("UPDATE audit_events SET kind = 'forged' WHERE seq = 1")
            .await;
        let error = update.expect_err("update refused").to_string();
        assert!(error.contains("append-only"), "{}: {error}", db.name());
        let delete = db.execute("DELETE FROM audit_events WHERE seq = 1").await;
        assert!(delete.is_err(), "{}: delete refused", db.name());
        let kind = db.text("SELECT kind FROM audit_events WHERE seq = 1").await;
        assert_eq!(kind.as_deref(), Some("request.submitted"));
        db.finish().await;
    }
}

#[tokio::test]
async fn a_tampered_event_is_found_once_the_trigger_is_bypassed() {
    for db in test_databases().await {
        for _ in 0..3 {
            db.store
                .append_audit(event("request.submitted", None), vec![])
                .await
                .expect("append");
        }
        let bypass = match db.backend {
            Backend::Sqlite => "DROP TRIGGER audit_events_no_update",
            Backend::Postgres => "ALTER TABLE audit_events DISABLE TRIGGER ALL",
        };
        db.execute(bypass).await.expect("bypass");
        db.execute("UPDATE audit_events SET canonical = REPLACE(canonical, 'submitted', 'approved') WHERE seq = 2")
            .await
            .expect("tamper");
        let events = db.store.audit_events(0, 10).await.expect("read");
        assert_eq!(
            verify_chain(None, &events),
            Err(crate::domain::audit::ChainBreak::Tampered { seq: 2 }),
            "{}",
            db.name()
        );
        db.finish().await;
    }
}

/// TRUNCATE fires no row trigger, so it needs its own (migration 0004). SQLite has no TRUNCATE;
/// its `DELETE FROM audit_events` without WHERE is refused by the delete trigger above.
#[tokio::test]
async fn postgres_refuses_to_truncate_audit_events() {
    for db in test_databases().await {
        db.store
            .append_audit(event("request.submitted", None), vec![])
            .await
            .expect("append");
        let refused = match db.backend {
            Backend::Sqlite => db.execute("DELETE FROM audit_events").await,
            Backend::Postgres => db.execute("TRUNCATE audit_events").await,
        };
        let error = refused.expect_err("emptying refused").to_string();
        assert!(error.contains("append-only"), "{}: {error}", db.name());
        let count = db
            .text("SELECT CAST(COUNT(*) AS TEXT) FROM audit_events")
            .await;
        assert_eq!(count.as_deref(), Some("1"), "{}", db.name());
        db.finish().await;
    }
}
