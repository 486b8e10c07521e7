//! Requests: creation, reading, transitions and their compare-and-set.

use super::*;

#[tokio::test]
async fn a_created_request_reads_back_with_every_field() {
    for db in test_databases().await {
        let store = &db.store;
        let created = create(store, "requester-1").await;
        assert!(created.id.get() > 0, "{}", db.name());
        assert_eq!(created.version, 1);
        let read = store
            .request(created.id)
            .await
            .expect("read")
            .expect("found");
        assert_eq!(read, created, "{}", db.name());
        assert_eq!(
            store
                .request(ShortId::new(created.id.get() + 1000))
                .await
                .expect("read"),
            None
        );
        // `data` is written with the assigned id.
        let data = db
            .text(&format!(
                "SELECT data FROM requests WHERE id = {}",
                created.id.get()
            ))
            .await;
        let stored: Request = serde_json::from_str(&data.expect("data")).expect("json");
        assert_eq!(stored.id, created.id);
        db.finish().await;
    }
}

#[tokio::test]
async fn creating_a_request_writes_its_audit_event_and_jobs() {
    for db in test_databases().await {
        let created = create(&db.store, "requester-1").await;
        let events = db.store.audit_events(0, 10).await.expect("audit");
        assert_eq!(events.len(), 1, "{}", db.name());
        assert!(events[0].canonical.contains("request.submitted"));
        let claimed = db
            .store
            .claim_jobs("w", t0(), std::time::Duration::from_secs(30), 10)
            .await
            .expect("claim");
        assert_eq!(claimed.len(), 1);
        assert_eq!(
            claimed[0].job,
            Job::PostApproval {
                request: created.id
            }
        );
        let request_id = db.text("SELECT CAST(request_id AS TEXT) FROM jobs").await;
        assert_eq!(request_id, Some(created.id.get().to_string()));
        db.finish().await;
    }
}

#[tokio::test]
async fn a_second_create_from_the_same_origin_returns_the_first_request_and_writes_nothing() {
    for db in test_databases().await {
        let store = &db.store;
        let create_from = |origin: Option<&'static str>| async move {
            let new = new_request(store, "requester-1", origin).await;
            store.create_request(new).await
        };
        let first = create_from(Some("job:7")).await.expect("create");
        let again = create_from(Some("job:7")).await.expect("create again");
        assert_eq!(again, first, "{}", db.name());
        let other = create_from(Some("job:8")).await.expect("another origin");
        assert_ne!(other.id, first.id);
        // Requests without an origin never collide.
        let (a, b) = (create_from(None).await, create_from(None).await);
        assert_ne!(a.expect("a").id, b.expect("b").id);
        let events = store.audit_events(0, 10).await.expect("audit");
        assert_eq!(
            events.len(),
            4,
            "one event per created request: {}",
            db.name()
        );
        let jobs = store
            .claim_jobs("w", t0(), std::time::Duration::from_secs(30), 10)
            .await
            .expect("claim");
        assert_eq!(jobs.len(), 4, "one job per created request: {}", db.name());
        db.finish().await;
    }
}

#[tokio::test]
async fn requests_are_listed_newest_first_per_requester_and_pending_oldest_first() {
    for db in test_databases().await {
        let store = &db.store;
        let a1 = create(store, "alice").await;
        let b1 = create(store, "bob").await;
        let a2 = create(store, "alice").await;
        let a3 = create(store, "alice").await;
        let ids = |list: Vec<Request>| list.into_iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(
            ids(store.requests_of("alice", 10).await.expect("list")),
            vec![a3.id, a2.id, a1.id],
            "{}",
            db.name()
        );
        assert_eq!(
            ids(store.requests_of("alice", 2).await.expect("list")),
            vec![a3.id, a2.id]
        );
        assert_eq!(
            ids(store.requests_of("nobody", 10).await.expect("list")),
            vec![]
        );

        let mut denied = a2.clone();
        denied.version = 2;
        denied.state = State::Denied;
        let write = TransitionWrite {
            request: denied,
            expected_version: 1,
            decision: None,
            audit: event("request.denied", Some(a2.id)),
            jobs: vec![],
        };
        assert!(store.transition(write).await.expect("transition"));
        assert_eq!(
            ids(store.pending_requests().await.expect("pending")),
            vec![a1.id, b1.id, a3.id]
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn activating_requests_are_listed_oldest_first_with_their_pim_ids() {
    for db in test_databases().await {
        let store = &db.store;
        let pending = create(store, "alice").await;
        let mut ids = Vec::new();
        for requester in ["bob", "carol"] {
            let created = create(store, requester).await;
            let mut held = created.clone();
            held.version = 2;
            held.state = State::Activating;
            held.pim_request_id = Some(format!("pim-{requester}"));
            held.pim_approval_id = Some(format!("approval-{requester}"));
            let write = TransitionWrite {
                request: held,
                expected_version: 1,
                decision: None,
                audit: event("request.pim_approval_pending", Some(created.id)),
                jobs: vec![],
            };
            assert!(store.transition(write).await.expect("transition"));
            ids.push(created.id);
        }
        let activating = store.activating_requests().await.expect("activating");
        let found: Vec<_> = activating.iter().map(|r| r.id).collect();
        assert_eq!(found, ids, "{}", db.name());
        assert!(!found.contains(&pending.id));
        assert_eq!(activating[1].pim_request_id.as_deref(), Some("pim-carol"));
        assert_eq!(
            activating[1].pim_approval_id.as_deref(),
            Some("approval-carol")
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn a_transition_writes_the_new_version_state_and_decision() {
    for db in test_databases().await {
        let store = &db.store;
        let created = create(store, "requester-1").await;
        let mut write = approval(&created, "approver-1");
        write.request.state = State::Approved;
        let expected = write.request.clone();
        assert!(
            store.transition(write).await.expect("transition"),
            "{}",
            db.name()
        );
        let read = store
            .request(created.id)
            .await
            .expect("read")
            .expect("found");
        assert_eq!(read, expected);
        assert_eq!(read.version, 2);
        assert_eq!(read.state, State::Approved);
        let approver = db.text("SELECT approver_entra_id FROM approvals").await;
        assert_eq!(approver.as_deref(), Some("approver-1"));
        assert_eq!(store.audit_events(0, 10).await.expect("audit").len(), 2);
        db.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_transitions_from_the_same_version_let_exactly_one_win() {
    for db in test_databases().await {
        let store = &db.store;
        let created = create(store, "requester-1").await;
        let first = approval(&created, "approver-1");
        let second = approval(&created, "approver-2");
        let (a, b) = tokio::join!(store.transition(first), store.transition(second));
        let (a, b) = (a.expect("first"), b.expect("second"));
        assert!(a ^ b, "{}: exactly one wins, got {a} and {b}", db.name());
        let read = store
            .request(created.id)
            .await
            .expect("read")
            .expect("found");
        assert_eq!(read.version, 2);
        assert_eq!(read.decisions.len(), 1);
        // The loser wrote nothing: one decision, one event besides the submission.
        let decisions = db
            .text("SELECT CAST(COUNT(*) AS TEXT) FROM approvals")
            .await;
        assert_eq!(decisions.as_deref(), Some("1"));
        assert_eq!(store.audit_events(0, 10).await.expect("audit").len(), 2);
        db.finish().await;
    }
}

#[tokio::test]
async fn a_transition_from_a_stale_version_loses() {
    for db in test_databases().await {
        let store = &db.store;
        let created = create(store, "requester-1").await;
        assert!(
            store
                .transition(approval(&created, "approver-1"))
                .await
                .expect("first")
        );
        assert!(
            !store
                .transition(approval(&created, "approver-2"))
                .await
                .expect("stale")
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn a_second_decision_by_the_same_approver_loses() {
    for db in test_databases().await {
        let store = &db.store;
        let created = create(store, "requester-1").await;
        assert!(
            store
                .transition(approval(&created, "approver-1"))
                .await
                .expect("first")
        );
        let current = store
            .request(created.id)
            .await
            .expect("read")
            .expect("found");
        let again = approval(&current, "approver-1");
        assert!(
            !store.transition(again).await.expect("again"),
            "{}",
            db.name()
        );
        let read = store
            .request(created.id)
            .await
            .expect("read")
            .expect("found");
        assert_eq!(read.version, 2, "the losing transition was rolled back");
        assert_eq!(store.audit_events(0, 10).await.expect("audit").len(), 2);
        let jobs = db.text("SELECT CAST(COUNT(*) AS TEXT) FROM jobs").await;
        assert_eq!(
            jobs.as_deref(),
            Some("2"),
            "submission and first approval only"
        );
        db.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn request_ids_are_never_handed_out_twice_by_replicas_nor_after_rows_inserted_without_one() {
    for db in test_databases().await {
        let replica = connect(&db.url).await.expect("a second store");
        let first = create(&db.store, "requester-1").await;
        // A row inserted without an id (as an older pimbot does) moves the sequence on.
        db.execute(&format!(
            "INSERT INTO requests \
             (version, state, platform, requester_entra_id, created_at, updated_at, data) \
             VALUES (1, '{}', 'slack', 'older', '{at}', '{at}', '{{}}')",
            State::PendingApproval.as_str(),
            at = t0().to_rfc3339(),
        ))
        .await
        .expect("insert without an id");
        let older: i64 = db
            .text("SELECT CAST(MAX(id) AS TEXT) FROM requests")
            .await
            .expect("an id")
            .parse()
            .expect("a number");
        assert!(older > first.id.get(), "{}", db.name());
        let mut handing_out = tokio::task::JoinSet::new();
        for n in 0..20 {
            let store = if n % 2 == 0 { &db.store } else { &replica }.clone();
            handing_out.spawn(async move { store.next_request_id().await });
        }
        let mut ids = Vec::new();
        while let Some(id) = handing_out.join_next().await {
            ids.push(id.expect("task").expect("an id").get());
        }
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 20, "{}: each id once", db.name());
        assert!(ids[0] > older, "{}: {ids:?} after {older}", db.name());
        // Ids handed out and not used are gaps: the next request comes after them.
        let next = create(&replica, "requester-1").await;
        assert!(next.id.get() > ids[19], "{}", db.name());
        drop(replica);
        db.finish().await;
    }
}

#[tokio::test]
async fn the_sweep_finds_each_requests_jobs_by_index_instead_of_reading_the_whole_queue() {
    let db = sqlite_db().await;
    let mut conn = SqliteConnection::connect(&db.url).await.expect("connect");
    let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(AssertSqlSafe(format!(
        "EXPLAIN QUERY PLAN {}",
        crate::store::sql::STALLED_REQUESTS
    )))
    .fetch_all(&mut conn)
    .await
    .expect("plan");
    let steps: Vec<&str> = plan.iter().map(|(.., detail)| detail.as_str()).collect();
    assert!(
        steps.iter().any(|step| step.contains("jobs_request_idx")),
        "{steps:?}"
    );
    assert!(
        !steps.iter().any(|step| step.starts_with("SCAN j")),
        "{steps:?}"
    );
    db.finish().await;
}
