//! The chat platforms' limits as people see them: a Slack `Retry-After` holds back its method for
//! every job until it ends (their jobs rescheduled, nothing sent, no attempt spent), other
//! methods go on, and everything is delivered after it; and a stalled Slack does not hold up
//! Teams' side effects.

use std::time::{Duration, Instant};

use pimbot::domain::request::Platform;
use pimbot::emulator::Fault;
use pimbot::service::jobs::{Job, NewJob};

use crate::fake_slack::Call;
use crate::fake_teams::AUDIT_CONVERSATION;
use crate::harness::{AUDIT_CHANNEL, TestApp, run_sql};
use crate::teams_app::TeamsApp;

/// Queues an audit line for `platform`, as a transition would.
async fn audit_line(app: &TestApp, platform: Platform, line: &str) {
    audit_lines(app, platform, &[line.to_owned()]).await;
}

/// Queues audit lines for `platform` in one transaction.
async fn audit_lines(app: &TestApp, platform: Platform, lines: &[String]) {
    let jobs = lines
        .iter()
        .map(|line| {
            NewJob::now(Job::AuditLine {
                platform,
                line: line.clone(),
            })
        })
        .collect();
    app.store.enqueue(jobs).await.expect("enqueue");
}

fn is_slack_line(call: &Call, line: &str) -> bool {
    call.method == "chat.postMessage"
        && call.body["channel"] == AUDIT_CHANNEL
        && call.body["text"]
            .as_str()
            .is_some_and(|text| text.contains(line))
}

/// Waits until `sql` (with `$1` = 0) touches `rows` rows, or panics after `limit`.
async fn wait_for_rows(app: &TestApp, what: &str, sql: &'static str, rows: u64, limit: Duration) {
    let started = Instant::now();
    loop {
        let touched = run_sql(&app.database_url, sql, 0).await;
        if touched == rows {
            return;
        }
        assert!(started.elapsed() < limit, "{what}: {touched} of {rows}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_slack_retry_after_holds_back_its_method_for_every_job_until_it_ends() {
    const RETRY_AFTER: Duration = Duration::from_secs(3);
    let app = TestApp::start().await;
    app.slack.inject_faults(
        "chat.postMessage",
        vec![Fault::Throttle {
            retry_after_secs: RETRY_AFTER.as_secs(),
        }],
    );
    audit_line(&app, Platform::Slack, "line #0").await;
    let calls = app
        .slack
        .wait_for("the throttled post", |calls| {
            calls.iter().any(|c| is_slack_line(c, "line #0"))
        })
        .await;
    let throttled = calls
        .iter()
        .find(|c| is_slack_line(c, "line #0"))
        .map(|c| c.at)
        .expect("the throttled post");
    // Once its job is rescheduled, the client has read the 429.
    wait_for_rows(
        &app,
        "the throttled job rescheduled",
        "UPDATE jobs SET attempts = attempts \
         WHERE kind = 'audit_line' AND last_error LIKE '%ratelimited%' AND $1 = $1",
        1,
        Duration::from_secs(2),
    )
    .await;

    for n in 1..=4 {
        audit_line(&app, Platform::Slack, &format!("line #{n}")).await;
    }
    // The others' jobs are run, held back without a call, and rescheduled with no attempt spent.
    wait_for_rows(
        &app,
        "the other jobs held back",
        "UPDATE jobs SET attempts = attempts WHERE kind = 'audit_line' \
         AND last_error LIKE '%waiting out Retry-After%' AND attempts = $1",
        4,
        Duration::from_secs(2),
    )
    .await;
    // Another method is not held back: `/pim status` is answered meanwhile.
    let (status, _) = app.slash("UALICE", "status").await;
    assert_eq!(status, 200);
    let answered = app
        .slack
        .wait_for("the answer to `status`", |calls| {
            calls.iter().any(|c| c.method == "response_url")
        })
        .await;
    let answered = answered
        .iter()
        .find(|c| c.method == "response_url")
        .map(|c| c.at)
        .expect("answered");
    assert!(
        answered < throttled + RETRY_AFTER,
        "answered {:?} after the 429",
        answered - throttled
    );

    let calls = app
        .slack
        .wait_for_within(Duration::from_secs(15), "every line posted", |calls| {
            (0..=4).all(|n| {
                let line = format!("line #{n}");
                calls.iter().filter(|c| is_slack_line(c, &line)).count()
                    == if n == 0 { 2 } else { 1 }
            })
        })
        .await;
    let posts: Vec<&Call> = calls
        .iter()
        .filter(|c| is_slack_line(c, "line #"))
        .collect();
    assert_eq!(posts.len(), 6, "the 429, then each line once");
    for post in posts.iter().filter(|c| c.at > throttled) {
        assert!(
            post.at >= throttled + RETRY_AFTER,
            "a post {:?} after the 429: {}",
            post.at - throttled,
            post.body
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn a_stalled_slack_does_not_hold_up_teams_side_effects() {
    let teams_app = TeamsApp::start("").await;
    let (app, teams) = (&teams_app.app, &teams_app.teams);
    // Every Slack call is held past the client's 10 s timeout.
    let before = app.slack.calls().len();
    app.slack.stall(Some(Duration::from_secs(30)));
    // More Slack side effects than the worker has slots (32).
    let stalled = Instant::now();
    let slack_lines: Vec<String> = (0..48).map(|n| format!("slack line {n}/48")).collect();
    audit_lines(app, Platform::Slack, &slack_lines).await;
    let in_flight = pimbot::gate::IN_FLIGHT;
    app.slack
        .wait_for("Slack's call slots all taken", |calls| {
            calls.len() - before >= in_flight
        })
        .await;

    let queued = Instant::now();
    let lines: Vec<String> = (0..3).map(|n| format!("teams line #{n}")).collect();
    audit_lines(app, Platform::Teams, &lines).await;
    for line in &lines {
        teams
            .wait_for(line, |c| {
                c.method == "POST"
                    && c.path == format!("v3/conversations/{AUDIT_CONVERSATION}/activities")
                    && c.body.to_string().contains(line.as_str())
            })
            .await;
    }
    let took = queued.elapsed();
    assert!(
        took <= Duration::from_secs(5),
        "Teams' lines posted {took:?} after they were queued"
    );
    let sent = app.slack.calls().len() - before;
    assert!(
        stalled.elapsed() < Duration::from_secs(10),
        "all of it before the first Slack call timed out"
    );
    assert_eq!(
        sent, in_flight,
        "no more Slack calls than its call slots were sent while they were held"
    );

    // Slack recovers: every line is delivered (a call held by the stall timed out: only one
    // sent since counts), none given up.
    app.slack.stall(None);
    let recovered = Instant::now();
    app.slack
        .wait_for_within(
            Duration::from_secs(40),
            "every Slack line delivered",
            |calls| {
                slack_lines.iter().all(|line| {
                    calls
                        .iter()
                        .any(|c| c.at >= recovered && is_slack_line(c, line))
                })
            },
        )
        .await;
}
