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
