//! Inbound writes made at once (committed together on SQLite): each is answered as if written
//! alone, a delivery key repeated inside one batch is written once, and the worker's writes
//! still land beside them.

use super::*;
use crate::domain::audit::verify_chain;
use crate::service::jobs::WritePriority;
use crate::store::sql::{Dialect, InboundWrite, SqlStore};
use crate::store::{PgStore, SqliteStore};

#[tokio::test]
async fn inbound_writes_made_at_once_are_each_answered_as_if_written_alone() {
    for db in test_databases().await {
        let mut writes = tokio::task::JoinSet::new();
        for n in 0..60 {
            let store = db.store.clone();
            writes.spawn(async move {
                let key = format!("delivery-{}", n % 20);
                let job = NewJob::now(Job::UpdateApproval {
                    request: ShortId::new(n),
                });
                store.record_delivery(&key, None, vec![job]).await
            });
        }
        let mut first = 0;
        while let Some(done) = writes.join_next().await {
            if done.expect("task").expect("written") {
                first += 1;
            }
        }
        assert_eq!(first, 20, "{}: each key once", db.name());
        let background = WritePriority::Background.scope(db.store.enqueue(vec![NewJob::now(
            Job::UpdateApproval {
                request: ShortId::new(99),
            },
        )]));
        background.await.expect("a worker's write");
        assert_due_chat_jobs(&db, 21, "one job per first delivery, and the worker's").await;
        db.finish().await;
    }
}

/// Makes the database refuse any job of request 13, as a write that cannot be made.
async fn refuse_jobs_of_request_13(db: &TestDb) {
    let statements: &[&str] = match db.backend {
        Backend::Sqlite => &[
            "CREATE TRIGGER refuse_13 BEFORE INSERT ON jobs WHEN NEW.request_id = 13 \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
        ],
        Backend::Postgres => &[
            "CREATE FUNCTION refuse_13() RETURNS trigger AS $$ BEGIN \
             IF NEW.request_id = 13 THEN RAISE EXCEPTION 'refused by the test'; END IF; \
             RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_13 BEFORE INSERT ON jobs FOR EACH ROW EXECUTE FUNCTION refuse_13()",
        ],
    };
    for sql in statements {
        db.execute(sql).await.expect("a refusing trigger");
    }
}

#[tokio::test]
async fn a_write_that_cannot_be_made_fails_alone_and_the_others_made_with_it_are_kept() {
    for db in test_databases().await {
        refuse_jobs_of_request_13(&db).await;
        let mut writes = tokio::task::JoinSet::new();
        for n in 0..40 {
            let store = db.store.clone();
            writes.spawn(async move {
                let job = NewJob::now(Job::UpdateApproval {
                    request: ShortId::new(n),
                });
                (
                    n,
                    store
                        .record_delivery(&format!("d-{n}"), None, vec![job])
                        .await,
                )
            });
        }
        let mut refused = Vec::new();
        while let Some(done) = writes.join_next().await {
            match done.expect("task") {
                (_, Ok(first)) => assert!(first, "{}: every key is new", db.name()),
                (n, Err(error)) => refused.push((n, error.to_string())),
            }
        }
        assert_eq!(refused.len(), 1, "{}: {refused:?}", db.name());
        assert_eq!(refused[0].0, 13);
        assert!(refused[0].1.contains("refused by the test"), "{refused:?}");
        assert_due_chat_jobs(&db, 39, "the other writes' jobs are all kept").await;
        let retried = db
            .store
            .record_delivery("d-13", None, Vec::new())
            .await
            .expect("a write without the refused job");
        assert!(
            retried,
            "{}: the refused write left no delivery key",
            db.name()
        );
        db.finish().await;
    }
}

/// One inbound write for the batch test: `key`, an event about request `n`, one job.
fn inbound(key: Option<&str>, n: i64) -> InboundWrite {
    InboundWrite {
        delivery: key.map(str::to_owned),
        audit: Some(event("request.status", Some(ShortId::new(n)))),
        jobs: vec![NewJob::now(Job::UpdateApproval {
            request: ShortId::new(n),
        })],
    }
}

/// Writes `writes` in one transaction of `store`, as the group commit does.
async fn write_in_one_transaction<D: Dialect>(
    store: &SqlStore<D>,
    writes: &[InboundWrite],
) -> Vec<bool> {
    let mut tx = store.begin_write().await.expect("begin");
    let new = tx.write_inbounds(writes).await.expect("written");
    tx.commit().await.expect("commit");
    new
}

#[tokio::test]
async fn a_batch_keeps_each_first_delivery_with_its_event_and_jobs_and_nothing_of_the_repeats() {
    for db in test_databases().await {
        assert!(
            db.store
                .record_delivery("seen", None, Vec::new())
                .await
                .expect("an earlier delivery")
        );
        let writes = [
            inbound(Some("a"), 1),
            inbound(Some("b"), 2),
            inbound(Some("a"), 3),
            inbound(None, 4),
            inbound(Some("seen"), 5),
        ];
        let new = match db.backend {
            Backend::Sqlite => {
                let store = SqliteStore::connect(&db.url).await.expect("connect");
                write_in_one_transaction(&store, &writes).await
            }
            Backend::Postgres => {
                let store = PgStore::connect(&db.url).await.expect("connect");
                write_in_one_transaction(&store, &writes).await
            }
        };
        assert_eq!(new, [true, true, false, true, false], "{}", db.name());
        let events = db.store.audit_events(0, 100).await.expect("read");
        let about: Vec<Option<u64>> = events
            .iter()
            .map(|stored| {
                let value: serde_json::Value =
                    serde_json::from_str(&stored.canonical).expect("json");
                value["event"]["request_id"].as_u64()
            })
            .collect();
        assert_eq!(
            about,
            [Some(1), Some(2), Some(4)],
            "{}: in order",
            db.name()
        );
        verify_chain(None, &events).expect("one intact chain");
        let head = db.text("SELECT hash FROM audit_head WHERE id = 1").await;
        assert_eq!(head.as_deref(), events.last().map(|e| e.hash.as_str()));
        assert_due_chat_jobs(&db, 3, "the jobs of the three new writes only").await;
        db.finish().await;
    }
}

/// Asserts that `chat` chat jobs are due, and none in the other lanes.
async fn assert_due_chat_jobs(db: &TestDb, chat: u64, why: &str) {
    let queued = db
        .store
        .queue_state(Utc::now() + Duration::seconds(1))
        .await
        .expect("queue");
    assert_eq!(
        queued.due_by_lane,
        vec![(Lane::Chat, chat), (Lane::Command, 0), (Lane::Pim, 0)],
        "{}: {why}",
        db.name()
    );
}
