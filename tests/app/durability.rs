//! Promises kept over time: timeouts, reminders, and the sweep that repairs a request left
//! without work.

use std::time::Duration;

use pimbot::emulator::Tenant;

use crate::harness::TestApp;
use crate::story::{TARGETS_TOML, alice_requests};

#[tokio::test]
async fn a_pending_request_is_reminded_halfway_then_expires_losing_its_buttons_and_both_sides_are_told()
 {
    // An hour to decide, which the test's clock passes without waiting for it.
    let toml = format!("{TARGETS_TOML}\n[defaults]\napproval_timeout = \"1h\"\n");
    let app = TestApp::start_with(Tenant::demo(), &toml).await;
    let (id, message) = alice_requests(&app).await;
    assert!(message.to_string().contains("\"approve\""));
    app.advance_clock(Duration::from_secs(31 * 60));

    let calls = app
        .slack
        .wait_for("a reminder in the approval thread", |calls| {
            calls.iter().any(|c| {
                c.method == "chat.postMessage"
                    && c.body["thread_ts"].is_string()
                    && c.body.to_string().contains("still waiting")
            })
        })
        .await;
    let reminder = calls
        .iter()
        .find(|c| c.body.to_string().contains("still waiting"))
        .map(|c| c.body.to_string())
        .unwrap_or_default();
    assert!(
        reminder.contains("<@UBOB>") && reminder.contains("<@UCAROL>"),
        "approvers mentioned: {reminder}"
    );
    assert!(
        !app.slack
            .calls()
            .iter()
            .any(|c| c.body.to_string().contains("without a decision")),
        "not expired halfway"
    );
    app.advance_clock(Duration::from_secs(30 * 60));

    let dm = app.wait_for_dm("UALICE", "expired").await.to_string();
    assert!(dm.contains(&id), "{dm}");
    app.slack
        .wait_for("the approvers told in the thread", |calls| {
            calls.iter().any(|c| {
                c.body["thread_ts"].is_string() && c.body.to_string().contains("without a decision")
            })
        })
        .await;
    app.slack
        .wait_for("the message without buttons", |calls| {
            calls.iter().any(|c| {
                c.method == "chat.update"
                    && c.body.to_string().contains("xpired")
                    && !c.body.to_string().contains("\"approve\"")
            })
        })
        .await;
    assert_eq!(app.click("UBOB", "approve", &id).await, 200);
    app.wait_for_response("click-UBOB", "already expired").await;
    assert!(app.emulator.schedule_requests().is_empty());
}

#[tokio::test]
async fn the_sweep_gives_a_request_that_lost_its_jobs_a_new_one() {
    let app = TestApp::start_with(Tenant::demo(), TARGETS_TOML).await;
    let (id, _) = alice_requests(&app).await;
    let number: i64 = id.trim_start_matches("PIM-").parse().expect("id");
    crate::harness::run_sql(
        &app.database_url,
        "DELETE FROM jobs WHERE request_id = $1",
        number,
    )
    .await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let events = app.store.audit_events(0, 100).await.expect("store");
        if events
            .iter()
            .any(|e| e.canonical.contains("request.repaired"))
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the sweep repaired the request"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        app.store
            .stalled_requests()
            .await
            .expect("store")
            .is_empty()
    );
    app.click("UBOB", "approve", &id).await;
    app.wait_for_dm("UALICE", "until").await;
}
