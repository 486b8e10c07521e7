//! An approver's authority is checked when it matters, not remembered: the click that would
//! complete the tally re-reads who approves and the approver's account, live (the directory
//! cache is bypassed), and no decision counts after the approval deadline, however late the
//! timeout job is.

use std::time::Duration;

use pimbot::emulator::Tenant;

use crate::harness::{TestApp, run_sql};
use crate::story::{TARGETS_TOML, alice_requests};

/// The group Alice is eligible through; Bob and Carol own it, so they approve.
const TEAM_FOO: &str = "00c3b016-8650-4918-b328-0643b54fbd50";
const BOB: &str = "d7a95a2d-6f54-4d5b-9b0a-9b8847c25a70";
const CAROL: &str = "8767515c-c303-466f-9b40-98e9a042f5b1";

async fn still_pending(app: &TestApp) {
    let pending = app.store.pending_requests().await.expect("store");
    assert_eq!(pending.len(), 1, "still pending");
    assert!(
        pending[0].decisions.is_empty(),
        "{:?}",
        pending[0].decisions
    );
    assert!(app.emulator.schedule_requests().is_empty(), "no PIM call");
}

#[tokio::test]
async fn an_owner_removed_after_the_request_can_no_longer_approve_it() {
    let app = TestApp::start_with(Tenant::demo(), TARGETS_TOML).await;
    // Reading the owners once more fills the cache with Bob as an owner.
    let (id, _) = alice_requests(&app).await;
    app.emulator.edit_tenant(|tenant| {
        let group = tenant.groups.iter_mut().find(|g| g.id == TEAM_FOO);
        group.expect("team foo").owners.retain(|owner| owner != BOB);
    });
    assert_eq!(app.click("UBOB", "approve", &id).await, 200);
    let reply = app
        .wait_for_response("click-UBOB", "no longer an approver")
        .await;
    assert_eq!(reply["response_type"], "ephemeral", "{reply}");
    still_pending(&app).await;
    let events = app.store.audit_events(0, 100).await.expect("audit");
    assert!(
        events
            .iter()
            .any(|e| e.canonical.contains("not_an_approver_any_more")),
        "the refusal is audited"
    );
    // Carol still owns the group: her approval goes through.
    assert_eq!(app.click("UCAROL", "approve", &id).await, 200);
    app.wait_for_dm("UALICE", "until").await;
}

#[tokio::test]
async fn an_approver_whose_account_was_disabled_cannot_approve() {
    let app = TestApp::start_with(Tenant::demo(), TARGETS_TOML).await;
    let (id, _) = alice_requests(&app).await;
    // Carol's identity and account are cached from the request; her account is disabled since.
    app.emulator.edit_tenant(|tenant| {
        let carol = tenant.users.iter_mut().find(|u| u.id == CAROL);
        carol.expect("carol").account_enabled = false;
    });
    assert_eq!(app.click("UCAROL", "approve", &id).await, 200);
    app.wait_for_response("click-UCAROL", "no longer an approver")
        .await;
    still_pending(&app).await;
}

#[tokio::test]
async fn no_approval_counts_after_the_deadline_even_when_the_timeout_job_is_late() {
    let toml = format!("[defaults]\napproval_timeout = \"2s\"\n{TARGETS_TOML}");
    let app = TestApp::start_with(Tenant::demo(), &toml).await;
    let (id, _) = alice_requests(&app).await;
    // Another replica holds the timeout job and has not run it.
    let held = run_sql(
        &app.database_url,
        "UPDATE jobs SET locked_by = 'a-late-replica', \
         locked_until = '2999-01-01 00:00:00+00:00' \
         WHERE kind = 'approval_timeout' AND $1 = $1",
        0,
    )
    .await;
    assert_eq!(held, 1, "the timeout job is held");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(app.click("UBOB", "approve", &id).await, 200);
    app.wait_for_response("click-UBOB", "deadline").await;
    still_pending(&app).await;
}
