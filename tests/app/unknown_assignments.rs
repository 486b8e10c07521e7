//! The reconciliation sweep reports, once, an assignment PIM shows on a target pimbot grants but
//! that pimbot did not grant (here: made directly in PIM for someone else).

use std::time::Duration;

use pimbot::emulator::Tenant;
use serde_json::json;

use crate::harness::{AUDIT_CHANNEL, TestApp};
use crate::story::{TARGETS_TOML, alice_requests};

const FRANK: &str = "20c857e8-5b84-4089-a34c-8729ea394230";

/// `adminAssign`s, straight to the emulator's Graph, what pimbot assigned Alice, to Frank.
async fn assign_outside_pimbot(app: &TestApp) {
    let http = reqwest::Client::new();
    let token = app.admin_tool_token().await;
    let mut body = app
        .emulator
        .schedule_requests()
        .into_iter()
        .find(|r| r["action"] == "adminAssign")
        .expect("pimbot's adminAssign");
    body["principalId"] = json!(FRANK);
    body["justification"] = json!("granted by hand in the portal");
    let answer = http
        .post(format!(
            "{}/v1.0/roleManagement/directory/roleAssignmentScheduleRequests",
            app.emulator_url
        ))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .expect("adminAssign");
    assert!(
        answer.status().is_success(),
        "{}",
        answer.text().await.unwrap_or_default()
    );
}

fn is_report(call: &crate::fake_slack::Call, who: &str) -> bool {
    call.method == "chat.postMessage"
        && call.body["channel"] == AUDIT_CHANNEL
        && call.body["text"]
            .as_str()
            .is_some_and(|t| t.contains("pimbot did not grant") && t.contains(who))
}

#[tokio::test]
async fn an_assignment_pimbot_did_not_grant_is_reported_once() {
    let app = TestApp::start_with(Tenant::demo(), TARGETS_TOML).await;
    let (id, _) = alice_requests(&app).await;
    assert_eq!(app.click("UBOB", "approve", &id).await, 200);
    app.wait_for_dm("UALICE", "is active until").await;
    assign_outside_pimbot(&app).await;
    assert_eq!(app.emulator.active_assignments().len(), 2);

    app.slack
        .wait_for("the audit channel told about Frank's assignment", |calls| {
            calls.iter().any(|c| is_report(c, "Frank Direct"))
        })
        .await;
    // Several more sweeps (every 200 ms here) say nothing new, and Alice's is pimbot's own.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let calls = app.slack.calls();
    assert_eq!(
        calls
            .iter()
            .filter(|c| is_report(c, "Frank Direct"))
            .count(),
        1
    );
    assert!(
        !calls.iter().any(|c| is_report(c, "Alice")),
        "Alice's assignment is pimbot's"
    );
    let events = app.store.audit_events(0, 100).await.expect("audit");
    let reported: Vec<_> = events
        .iter()
        .filter(|e| e.canonical.contains("assignment.unknown"))
        .collect();
    assert_eq!(reported.len(), 1, "{reported:?}");
    assert!(reported[0].canonical.contains(FRANK));
}
