//! Who may approve, and what happens when several people click at once.

use pimbot::emulator::Tenant;

use crate::harness::TestApp;
use crate::story::{TARGETS_TOML, alice_requests};

#[tokio::test]
async fn a_click_on_approve_by_someone_who_is_not_an_approver_is_refused_and_changes_nothing() {
    let app = TestApp::start_with(Tenant::demo(), TARGETS_TOML).await;
    let (id, _) = alice_requests(&app).await;
    assert_eq!(app.click("UDAVE", "approve", &id).await, 200);
    let reply = app
        .wait_for_response("click-UDAVE", "not an approver")
        .await;
    assert_eq!(reply["response_type"], "ephemeral", "{reply}");
    let request = app.store.pending_requests().await.expect("store");
    assert_eq!(request.len(), 1, "still pending");
    assert!(request[0].decisions.is_empty());
    assert!(app.emulator.schedule_requests().is_empty());
}

#[tokio::test]
async fn the_requester_cannot_approve_their_own_request() {
    let app = TestApp::start_with(Tenant::demo(), TARGETS_TOML).await;
    let (id, _) = alice_requests(&app).await;
    assert_eq!(app.click("UALICE", "approve", &id).await, 200);
    app.wait_for_response("click-UALICE", "your own request")
        .await;
    assert_eq!(app.store.pending_requests().await.expect("store").len(), 1);
}

#[tokio::test]
async fn two_approvers_clicking_at_the_same_instant_make_exactly_one_transition_and_one_pim_call() {
    let app = TestApp::start_with(Tenant::demo(), TARGETS_TOML).await;
    let (id, _) = alice_requests(&app).await;
    let (bob, carol) = tokio::join!(
        app.click("UBOB", "approve", &id),
        app.click("UCAROL", "approve", &id)
    );
    assert_eq!((bob, carol), (200, 200));
    app.wait_for_dm("UALICE", "until").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.emulator.schedule_requests().len(), 1, "one PIM call");
    let events = app.store.audit_events(0, 100).await.expect("store");
    let approved = events
        .iter()
        .filter(|e| e.canonical.contains("\"request.approved\""))
        .count();
    assert_eq!(approved, 1, "one approval transition");
    let loser = [app.responses("click-UBOB"), app.responses("click-UCAROL")].concat();
    assert!(
        loser.iter().any(|r| r.to_string().contains("already")),
        "the second click is told: {loser:?}"
    );
}

#[tokio::test]
async fn with_two_approvals_required_the_request_waits_for_the_second_distinct_approver() {
    let toml = TARGETS_TOML.replace(
        "require_ticket = true",
        "require_ticket = true\napprovals_required = 2",
    );
    let app = TestApp::start_with(Tenant::demo(), &toml).await;
    let (id, _) = alice_requests(&app).await;
    assert_eq!(app.click("UBOB", "approve", &id).await, 200);
    app.wait_for_response("click-UBOB", "1 of 2").await;
    assert_eq!(app.click("UBOB", "approve", &id).await, 200);
    app.wait_for_response("click-UBOB", "already approved")
        .await;
    assert!(
        app.emulator.schedule_requests().is_empty(),
        "one approval is not enough"
    );
    app.slack
        .wait_for("the tally on the message", |calls| {
            calls
                .iter()
                .any(|c| c.method == "chat.update" && c.body.to_string().contains("1 of 2"))
        })
        .await;
    assert_eq!(app.click("UCAROL", "approve", &id).await, 200);
    app.wait_for_dm("UALICE", "until").await;
    assert_eq!(app.emulator.schedule_requests().len(), 1);
}

#[tokio::test]
async fn cancel_withdraws_a_pending_request() {
    let app = TestApp::start_with(Tenant::demo(), TARGETS_TOML).await;
    let (id, _) = alice_requests(&app).await;
    app.slash("UALICE", &format!("cancel {id}")).await;
    app.wait_for_response("UALICE", "cancelled").await;
    assert!(
        app.store
            .pending_requests()
            .await
            .expect("store")
            .is_empty()
    );
    assert_eq!(app.click("UBOB", "approve", &id).await, 200);
    app.wait_for_response("click-UBOB", "already cancelled")
        .await;
    assert!(app.emulator.schedule_requests().is_empty());
}

#[tokio::test]
async fn end_removes_an_active_assignment_early() {
    let app = TestApp::start_with(Tenant::demo(), TARGETS_TOML).await;
    let (id, _) = alice_requests(&app).await;
    app.click("UBOB", "approve", &id).await;
    app.wait_for_dm("UALICE", "until").await;
    app.slash("UALICE", &format!("end {id}")).await;
    app.wait_for_dm("UALICE", "ended").await;
    let actions: Vec<String> = app
        .emulator
        .schedule_requests()
        .iter()
        .map(|r| r["action"].to_string())
        .collect();
    assert_eq!(actions, vec!["\"adminAssign\"", "\"adminRemove\""]);
    assert!(app.emulator.active_assignments().is_empty());
}

#[tokio::test]
async fn a_double_end_sends_one_removal_and_the_second_is_told_it_is_already_ending() {
    let app = TestApp::start_with(Tenant::demo(), TARGETS_TOML).await;
    let (id, _) = alice_requests(&app).await;
    app.click("UBOB", "approve", &id).await;
    app.wait_for_dm("UALICE", "until").await;
    app.slash("UALICE", &format!("end {id}")).await;
    app.slash("UALICE", &format!("end {id}")).await;
    app.wait_for_dm("UALICE", "ended").await;
    app.wait_for_response("UALICE", "Ending").await;
    // The second `end` finds it ending, or (if PIM was quicker) ended: either way, no removal.
    let second = app
        .slack
        .wait_for("the answer to the second `end`", |calls| {
            calls.iter().any(|c| {
                let text = c.body.to_string();
                text.contains("already ending") || text.contains("is ended; nothing to end")
            })
        })
        .await;
    assert!(!second.is_empty());
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let removals = app
        .emulator
        .schedule_requests()
        .iter()
        .filter(|r| r["action"] == "adminRemove")
        .count();
    assert_eq!(removals, 1, "one removal for two `end`s");
    assert!(app.emulator.active_assignments().is_empty());
}
