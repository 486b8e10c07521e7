//! One elevation through Slack for any kind of target: request, approval click, the PIM write
//! in the emulator, and ending it early. The group and Azure stories share it.

use pimbot::emulator::Provider;
use serde_json::Value;

use crate::harness::TestApp;
use crate::story::approval_message;

/// What one approved elevation left behind.
pub(crate) struct Elevated {
    /// `PIM-…`.
    pub(crate) id: String,
    /// The approval message as posted.
    pub(crate) message: String,
    /// The schedule-request body PIM received.
    pub(crate) body: Value,
}

/// `requester` asks with `text`, `approver` clicks Approve; waits for the "active until" DM and
/// returns the one schedule request the emulator received for `provider`.
pub(crate) async fn request_and_approve(
    app: &TestApp,
    requester: &str,
    text: &str,
    approver: &str,
    provider: Provider,
) -> Elevated {
    let (status, _) = app.slash(requester, text).await;
    assert_eq!(status, 200);
    let (id, message) = approval_message(app).await;
    app.wait_for_response(requester, "waiting for approval")
        .await;
    assert_eq!(app.click(approver, "approve", &id).await, 200);
    let dm = app.wait_for_dm(requester, "until").await.to_string();
    assert!(dm.contains(&id), "{dm}");
    let bodies = app.emulator.requests_of(provider);
    assert_eq!(bodies.len(), 1, "exactly one PIM write: {bodies:?}");
    Elevated {
        id,
        message: message.to_string(),
        body: bodies[0].clone(),
    }
}

/// `requester` ends the elevation early; returns the removal request PIM received.
pub(crate) async fn end_early(
    app: &TestApp,
    requester: &str,
    id: &str,
    provider: Provider,
) -> Value {
    app.slash(requester, &format!("end {id}")).await;
    app.wait_for_dm(requester, "ended").await;
    let bodies = app.emulator.requests_of(provider);
    assert_eq!(bodies.len(), 2, "one assignment, one removal: {bodies:?}");
    assert!(
        app.emulator.active_of(provider).is_empty(),
        "nothing left active in PIM"
    );
    bodies[1].clone()
}

/// Minutes between start and end of the only active assignment of `provider`.
pub(crate) fn active_minutes(app: &TestApp, provider: Provider) -> Option<i64> {
    let active = app.emulator.active_of(provider);
    assert_eq!(active.len(), 1, "{active:?}");
    active[0]
        .end
        .map(|end| (end - active[0].start).num_minutes())
}
