//! The job engine as people see it: a slow PIM call holds up nobody else, a failing PIM write is
//! sent at most six times in all and the requester is told, a `Retry-After` is waited out or the
//! requester told by the deadline, and a job starts at once when it is made runnable, on this
//! replica and (PostgreSQL) on another.

use std::time::{Duration, Instant};

use pimbot::domain::request::{Platform, State};
use pimbot::emulator::{Fault, Provider, Tenant};
use pimbot::service::jobs::{Job, NewJob};

use crate::elevation::{new_approval, wait_for_dm_about};
use crate::harness::{AUDIT_CHANNEL, TestApp};
use crate::story::{REQUEST_TEXT, TARGETS_TOML};

/// Graph's PIM write for a directory role (`app1-secrets`), and only the write.
const ROLE_WRITE: &str = "POST /v1.0/roleManagement/directory/roleAssignmentScheduleRequests";

fn postgres() -> bool {
    std::env::var("DATABASE_URL").is_ok_and(|url| url.starts_with("postgres"))
}

fn writes(app: &TestApp) -> usize {
    app.emulator
        .calls()
        .iter()
        .filter(|c| c.starts_with(ROLE_WRITE))
        .count()
}

/// `requester` asks for app1-secrets; returns the new request's id once its approval message is
/// posted.
async fn ask(app: &TestApp, requester: &str, known: &[String]) -> String {
    let (status, _) = app.slash(requester, REQUEST_TEXT).await;
    assert_eq!(status, 200);
    new_approval(app, known).await.0
}

#[tokio::test]
async fn a_pim_call_held_20_s_holds_up_no_other_requester() {
    // Alice, and an engineer in her team eligible the same way.
    let (tenant, users) = crate::replicas::crowded_tenant(1);
    let users: Vec<(&str, &str)> = users
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let slack = crate::fake_slack::FakeSlack::start(&users).await;
    let app = TestApp::start_with_slack(tenant, TARGETS_TOML, slack).await;
    let alice = ask(&app, "UALICE", &[]).await;
    app.emulator
        .inject_faults(ROLE_WRITE, vec![Fault::Delay(Duration::from_secs(20))]);
    assert_eq!(app.click("UBOB", "approve", &alice).await, 200);
    let held = Instant::now();
    while writes(&app) == 0 {
        assert!(
            held.elapsed() < Duration::from_secs(5),
            "Alice's write was never sent"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    // While Alice's write is held, the engineer asks, is approved, and is told he is active.
    let other = ask(&app, "UENG0000", std::slice::from_ref(&alice)).await;
    let approved = Instant::now();
    assert_eq!(app.click("UBOB", "approve", &other).await, 200);
    wait_for_dm_about(&app, "UENG0000", &other, "until").await;
    let took = approved.elapsed();
    assert!(
        took <= Duration::from_secs(2),
        "active and told {took:?} after the approval"
    );
    let active = app.emulator.active_of(Provider::Role);
    assert_eq!(
        active.len(),
        1,
        "only the engineer's yet; Alice's write is still held: {active:?}"
    );
    assert!(
        held.elapsed() < Duration::from_secs(20),
        "all of it while the call was held"
    );
    // Not stopped: stopping would wait out the held call. The process ends with the test.
}

#[tokio::test]
async fn a_persistent_500_is_sent_at_most_six_times_in_all_and_the_requester_is_told() {
    let app = TestApp::start_with(Tenant::demo(), TARGETS_TOML).await;
    app.emulator
        .inject_faults(ROLE_WRITE, vec![Fault::ServerError; 100]);
    let id = ask(&app, "UALICE", &[]).await;
    let approved = Instant::now();
    assert_eq!(app.click("UBOB", "approve", &id).await, 200);
    app.slack
        .wait_for_within(Duration::from_secs(120), "Alice told it failed", |calls| {
            calls.iter().any(|c| {
                let text = c.body.to_string();
                c.method == "chat.postMessage"
                    && c.body["channel"] == "DUALICE"
                    && text.contains(&id)
                    && text.contains("failed")
            })
        })
        .await;
    let took = approved.elapsed();
    let sent = writes(&app);
    assert!(
        (2..=6).contains(&sent),
        "the write was retried, and sent at most 6 times in all: {sent}"
    );
    assert!(took < Duration::from_secs(120), "told after {took:?}");
    assert!(
        app.emulator.active_of(Provider::Role).is_empty(),
        "nothing assigned"
    );
    assert_eq!(app.stored_request(&id).await.state, State::Failed);
    app.stop().await;
}

#[tokio::test]
async fn a_retry_after_past_the_deadline_is_waited_out_by_telling_the_requester() {
    let extra = format!("{TARGETS_TOML}\n[worker]\nretry_deadline = \"3s\"\n");
    let app = TestApp::start_with(Tenant::demo(), &extra).await;
    app.emulator.inject_faults(
        ROLE_WRITE,
        vec![Fault::Throttle {
            retry_after_secs: 30,
        }],
    );
    let id = ask(&app, "UALICE", &[]).await;
    let approved = Instant::now();
    assert_eq!(app.click("UBOB", "approve", &id).await, 200);
    wait_for_dm_about(&app, "UALICE", &id, "failed").await;
    let took = approved.elapsed();
    assert!(
        took <= Duration::from_secs(4),
        "told by the deadline: {took:?}"
    );
    assert_eq!(
        writes(&app),
        1,
        "nothing sent before the Retry-After is over"
    );
    assert_eq!(app.stored_request(&id).await.state, State::Failed);
    app.stop().await;
}

#[tokio::test]
async fn a_job_made_runnable_on_this_replica_starts_without_waiting_for_the_poll() {
    // No poll and no sweep to find the jobs: only being woken can.
    let app = TestApp::start_tuned(Tenant::demo(), TARGETS_TOML, |worker| {
        worker.poll_interval = Duration::from_secs(600);
        worker.sweep_interval = Duration::from_secs(600);
    })
    .await;
    let replies = |app: &TestApp| app.slack.calls_to("response_url").len();
    let mut delays = Vec::new();
    for n in 0..8 {
        let before = replies(&app);
        let (status, _) = app.slash("UALICE", "status").await;
        assert_eq!(status, 200);
        let acked = Instant::now();
        app.slack
            .wait_for("the answer to `status`", |calls| {
                calls.iter().filter(|c| c.method == "response_url").count() > before
            })
            .await;
        // The first one also looks Alice up in Slack and Entra.
        if n > 0 {
            delays.push(acked.elapsed());
        }
    }
    delays.sort();
    let median = delays[delays.len() / 2];
    // Waking, not polling (the poll is 600 s away): how soon exactly is the engine benchmark's
    // to measure (a timed test on a shared machine only proves the mechanism).
    let limit = Duration::from_secs(1);
    assert!(median <= limit, "answered after {delays:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_job_made_runnable_by_another_replica_is_heard_of_at_once_on_postgresql() {
    let postgres = postgres();
    // SQLite has no notifications: there, the poll is the fallback that finds the job.
    let poll = if postgres {
        Duration::from_secs(600)
    } else {
        Duration::from_millis(200)
    };
    let app = TestApp::start_tuned(Tenant::demo(), "", |worker| {
        worker.poll_interval = poll;
        worker.sweep_interval = Duration::from_secs(600);
    })
    .await;
    let mut delays = Vec::new();
    // The first waits for the worker to be listening.
    for n in 0..8 {
        let line = format!("written by another replica #{n}");
        // The test's own connection: the worker hears of it from the database, not the service.
        let job = Job::AuditLine {
            platform: Platform::Slack,
            line: line.clone(),
        };
        let written = Instant::now();
        app.store
            .enqueue(vec![NewJob::now(job)])
            .await
            .expect("enqueue");
        app.slack
            .wait_for("the audit line", |calls| {
                calls.iter().any(|c| {
                    c.body["channel"] == AUDIT_CHANNEL && c.body.to_string().contains(&line)
                })
            })
            .await;
        if n > 0 {
            delays.push(written.elapsed());
        }
    }
    delays.sort();
    let median = delays[delays.len() / 2];
    // PostgreSQL: notified (the poll is 600 s away). SQLite: found by the poll.
    let limit = if postgres {
        Duration::from_secs(1)
    } else {
        poll + Duration::from_secs(1)
    };
    assert!(median <= limit, "posted after {delays:?}");
    app.stop().await;
}
