//! The job queue: leases, retries, completion and unreadable payloads.

use std::time::Duration as StdDuration;

use super::*;

const LEASE: StdDuration = StdDuration::from_secs(30);

fn notify_job(n: i64) -> Job {
    Job::UpdateApproval {
        request: ShortId::new(n),
    }
}

#[tokio::test]
async fn a_claimed_job_is_leased_until_the_lease_runs_out() {
    for db in test_databases().await {
        let store = &db.store;
        store
            .enqueue(vec![NewJob::at(notify_job(1), t0())])
            .await
            .expect("enqueue");
        let early = store
            .claim_jobs("w1", t0() - Duration::seconds(1), LEASE, 10)
            .await;
        assert!(
            early.expect("claim").is_empty(),
            "{}: not due yet",
            db.name()
        );

        let first = store
            .claim_jobs("w1", t0(), LEASE, 10)
            .await
            .expect("claim");
        assert_eq!(first.len(), 1, "{}", db.name());
        assert_eq!(first[0].attempts, 1);
        assert_eq!(first[0].job, notify_job(1));

        let during = store
            .claim_jobs("w2", t0() + Duration::seconds(29), LEASE, 10)
            .await;
        assert!(during.expect("claim").is_empty(), "{}: leased", db.name());

        let after = store
            .claim_jobs("w2", t0() + Duration::seconds(31), LEASE, 10)
            .await;
        let after = after.expect("claim");
        assert_eq!(after.len(), 1, "{}: lease ran out", db.name());
        assert_eq!(after[0].id, first[0].id);
        assert_eq!(after[0].attempts, 2);
        let owner = db.text("SELECT locked_by FROM jobs").await;
        assert_eq!(owner.as_deref(), Some("w2"));
        db.finish().await;
    }
}

#[tokio::test]
async fn jobs_are_claimed_in_due_order_up_to_the_limit() {
    for db in test_databases().await {
        let store = &db.store;
        let jobs = vec![
            NewJob::at(notify_job(3), t0() + Duration::seconds(3)),
            NewJob::at(notify_job(1), t0() + Duration::seconds(1)),
            NewJob::at(notify_job(2), t0() + Duration::seconds(2)),
            NewJob::at(notify_job(9), t0() + Duration::hours(1)),
        ];
        store.enqueue(jobs).await.expect("enqueue");
        let now = t0() + Duration::seconds(10);
        let first = store.claim_jobs("w", now, LEASE, 2).await.expect("claim");
        let kinds: Vec<Job> = first.into_iter().map(|c| c.job).collect();
        assert_eq!(kinds, vec![notify_job(1), notify_job(2)], "{}", db.name());
        let rest = store.claim_jobs("w", now, LEASE, 10).await.expect("claim");
        let kinds: Vec<Job> = rest.into_iter().map(|c| c.job).collect();
        assert_eq!(kinds, vec![notify_job(3)]);
        db.finish().await;
    }
}

#[tokio::test]
async fn a_retried_job_comes_back_at_its_new_time_with_its_error_kept() {
    for db in test_databases().await {
        let store = &db.store;
        store
            .enqueue(vec![NewJob::at(notify_job(1), t0())])
            .await
            .expect("enqueue");
        let claimed = store.claim_jobs("w", t0(), LEASE, 10).await.expect("claim");
        let later = t0() + Duration::minutes(5);
        store
            .retry_job(claimed[0].id, later, "slack said 503")
            .await
            .expect("retry");
        let error = db.text("SELECT last_error FROM jobs").await;
        assert_eq!(error.as_deref(), Some("slack said 503"), "{}", db.name());
        assert_eq!(db.text("SELECT locked_by FROM jobs").await, None);

        let before = store
            .claim_jobs("w", later - Duration::seconds(1), LEASE, 10)
            .await;
        assert!(
            before.expect("claim").is_empty(),
            "{}: not due before run_at",
            db.name()
        );
        let again = store
            .claim_jobs("w", later, LEASE, 10)
            .await
            .expect("claim");
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].attempts, 2);
        db.finish().await;
    }
}

#[tokio::test]
async fn a_completed_job_is_gone() {
    for db in test_databases().await {
        let store = &db.store;
        store
            .enqueue(vec![NewJob::at(notify_job(1), t0())])
            .await
            .expect("enqueue");
        let claimed = store.claim_jobs("w", t0(), LEASE, 10).await.expect("claim");
        store.complete_job(claimed[0].id).await.expect("complete");
        let far = t0() + Duration::days(1);
        assert!(
            store
                .claim_jobs("w", far, LEASE, 10)
                .await
                .expect("claim")
                .is_empty()
        );
        let count = db.text("SELECT CAST(COUNT(*) AS TEXT) FROM jobs").await;
        assert_eq!(count.as_deref(), Some("0"), "{}", db.name());
        db.finish().await;
    }
}

#[tokio::test]
async fn an_unreadable_job_is_parked_and_does_not_block_the_queue() {
    for db in test_databases().await {
        let store = &db.store;
        let sql = "INSERT INTO jobs (kind, payload, run_at, attempts, created_at) \
                   VALUES ('mystery', '{\"kind\":\"mystery\"}', '2026-01-01T00:00:00+00:00', 0, \
                   '2026-01-01T00:00:00+00:00')";
        db.execute(sql).await.expect("insert bad job");
        store
            .enqueue(vec![NewJob::at(notify_job(1), t0())])
            .await
            .expect("enqueue");
        let claimed = store.claim_jobs("w", t0(), LEASE, 10).await.expect("claim");
        assert_eq!(claimed.len(), 1, "{}", db.name());
        assert_eq!(claimed[0].job, notify_job(1));
        let error = db
            .text("SELECT last_error FROM jobs WHERE kind = 'mystery'")
            .await;
        assert!(
            error.is_some_and(|e| e.contains("unreadable")),
            "{}",
            db.name()
        );
        let far = t0() + Duration::days(365 * 100);
        let later = store.claim_jobs("w", far, LEASE, 10).await.expect("claim");
        assert!(
            later.iter().all(|c| c.job == notify_job(1)),
            "{}: parked",
            db.name()
        );
        db.finish().await;
    }
}

/// One job of every kind the worker knows, for the lane test.
fn one_of_each_lane_kind() -> Vec<Job> {
    let request = ShortId::new(1);
    vec![
        Job::PostApproval { request },
        Job::UpdateApproval { request },
        Job::ApprovalTimeout { request },
        Job::WarnEnding { request },
        Job::AuditLine {
            platform: Platform::Slack,
            line: "a line".to_owned(),
        },
        Job::Activate { request },
        Job::FollowPim { request },
        Job::Expire { request },
    ]
}

#[tokio::test]
async fn each_lane_claims_its_own_kinds_and_an_unknown_kind_is_claimed_by_the_command_lane() {
    for db in test_databases().await {
        let store = &db.store;
        let jobs = one_of_each_lane_kind();
        let new: Vec<NewJob> = jobs.iter().map(|j| NewJob::at(j.clone(), t0())).collect();
        store.enqueue(new).await.expect("enqueue");
        let sql = "INSERT INTO jobs (kind, payload, run_at, attempts, created_at) \
                   VALUES ('from_the_future', '{\"kind\":\"from_the_future\"}', \
                   '2026-01-01T00:00:00+00:00', 0, '2026-01-01T00:00:00+00:00')";
        db.execute(sql).await.expect("insert a newer version's job");
        for lane in Lane::ALL {
            let claimed = store
                .claim_lane("w", t0(), LEASE, 100, lane)
                .await
                .expect("claim");
            let kinds: Vec<&str> = claimed.iter().map(|c| c.job.kind()).collect();
            let expected: Vec<&str> = jobs
                .iter()
                .filter(|j| j.lane() == lane)
                .map(Job::kind)
                .collect();
            assert_eq!(kinds, expected, "{}: the {} lane", db.name(), lane.as_str());
        }
        let parked = db
            .text("SELECT last_error FROM jobs WHERE kind = 'from_the_future'")
            .await;
        assert!(
            parked.is_some_and(|e| e.contains("unreadable")),
            "{}: the command lane's claim looked at it and parked it",
            db.name()
        );
        // The database's list of kinds per lane (migrations/*/jobs_lane) is the code's.
        for lane in Lane::ALL {
            for kind in lane.kinds() {
                let sql = format!(
                    "INSERT INTO jobs (kind, payload, run_at, attempts, created_at) \
                     VALUES ('{kind}', '{{}}', '2100-01-01T00:00:00+00:00', 0, \
                     '2026-01-01T00:00:00+00:00')"
                );
                db.execute(&sql).await.expect("insert a job of the kind");
                let stored = db
                    .text(&format!("SELECT MIN(lane) FROM jobs WHERE kind = '{kind}'"))
                    .await;
                assert_eq!(
                    stored.as_deref(),
                    Some(lane.as_str()),
                    "{}: {kind}",
                    db.name()
                );
            }
        }
        db.finish().await;
    }
}
