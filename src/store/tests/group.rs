//! Inbound writes made at once (committed together on SQLite): each is answered as if written
//! alone, a delivery key repeated inside one batch is written once, and the worker's writes
//! still land beside them.

use super::*;
use crate::service::jobs::WritePriority;

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
        let queued = db
            .store
            .queue_state(Utc::now() + Duration::seconds(1))
            .await
            .expect("queue");
        assert_eq!(
            queued.due_by_kind,
            vec![("update_approval".to_owned(), 21)],
            "{}: one job per first delivery, and the worker's",
            db.name()
        );
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
        let queued = db
            .store
            .queue_state(Utc::now() + Duration::seconds(1))
            .await
            .expect("queue");
        assert_eq!(
            queued.due_by_kind,
            vec![("update_approval".to_owned(), 39)],
            "{}: the other writes' jobs are all kept",
            db.name()
        );
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
