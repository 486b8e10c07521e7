//! One elevation through Slack for any kind of target: request, approval click, the PIM write
//! in the emulator, and ending it early. The group, Azure and call-budget tests share it; it
//! works for the second elevation in one app as well as the first.

use pimbot::emulator::Provider;
use serde_json::Value;

use crate::fake_slack::Call;
use crate::harness::{TEAM_CHANNEL, TestApp};

/// What one approved elevation left behind.
pub(crate) struct Elevated {
    /// `PIM-…`.
    pub(crate) id: String,
    /// The approval message as posted.
    pub(crate) message: String,
    /// The schedule-request body PIM received.
    pub(crate) body: Value,
}

fn request_ids(text: &str) -> Vec<String> {
    regex::Regex::new(r"PIM-\d+")
        .expect("regex")
        .find_iter(text)
        .map(|m| m.as_str().to_owned())
        .collect()
}

fn approval_posts(calls: &[Call]) -> impl Iterator<Item = &Call> {
    calls
        .iter()
        .filter(|c| c.method == "chat.postMessage" && c.body["channel"] == TEAM_CHANNEL)
}

/// Waits for an approval message about a request not in `known`; returns its id and text.
pub(crate) async fn new_approval(app: &TestApp, known: &[String]) -> (String, String) {
    let is_new = |c: &&Call| {
        request_ids(&c.body.to_string())
            .iter()
            .any(|id| !known.contains(id))
    };
    let calls = app
        .slack
        .wait_for("a new approval message", |calls| {
            approval_posts(calls).any(|c| is_new(&c))
        })
        .await;
    let message = approval_posts(&calls)
        .find(is_new)
        .map(|c| c.body.to_string())
        .unwrap_or_default();
    let id = request_ids(&message)
        .into_iter()
        .find(|id| !known.contains(id))
        .unwrap_or_default();
    (id, message)
}

/// Waits for a DM to `user` that names `id` and contains `needle`.
pub(crate) async fn wait_for_dm_about(app: &TestApp, user: &str, id: &str, needle: &str) {
    let channel = format!("D{user}");
    app.slack
        .wait_for(
            &format!("a DM to {user} about {id} with `{needle}`"),
            |calls| {
                calls.iter().any(|c| {
                    let text = c.body.to_string();
                    c.method == "chat.postMessage"
                        && c.body["channel"] == channel.as_str()
                        && text.contains(id)
                        && text.contains(needle)
                })
            },
        )
        .await;
}

/// `requester` asks with `text`, `approver` clicks Approve; waits for the "active until" DM and
/// returns the schedule request the emulator received for `provider` (exactly one more).
pub(crate) async fn request_and_approve(
    app: &TestApp,
    requester: &str,
    text: &str,
    approver: &str,
    provider: Provider,
) -> Elevated {
    let known: Vec<String> = approval_posts(&app.slack.calls())
        .flat_map(|c| request_ids(&c.body.to_string()))
        .collect();
    let writes_before = app.emulator.requests_of(provider).len();
    let (status, _) = app.slash(requester, text).await;
    assert_eq!(status, 200);
    let (id, message) = new_approval(app, &known).await;
    assert_eq!(app.click(approver, "approve", &id).await, 200);
    wait_for_dm_about(app, requester, &id, "until").await;
    let bodies = app.emulator.requests_of(provider);
    assert_eq!(
        bodies.len(),
        writes_before + 1,
        "exactly one PIM write: {bodies:?}"
    );
    Elevated {
        id,
        message,
        body: bodies[writes_before].clone(),
    }
}

/// `requester` ends the elevation early; returns the removal request PIM received.
pub(crate) async fn end_early(
    app: &TestApp,
    requester: &str,
    id: &str,
    provider: Provider,
) -> Value {
    let writes_before = app.emulator.requests_of(provider).len();
    app.slash(requester, &format!("end {id}")).await;
    wait_for_dm_about(app, requester, id, "ended").await;
    let bodies = app.emulator.requests_of(provider);
    assert_eq!(bodies.len(), writes_before + 1, "one removal: {bodies:?}");
    assert!(
        app.emulator.active_of(provider).is_empty(),
        "nothing left active in PIM"
    );
    bodies[writes_before].clone()
}

/// Minutes between start and end of the only active assignment of `provider`.
pub(crate) fn active_minutes(app: &TestApp, provider: Provider) -> Option<i64> {
    let active = app.emulator.active_of(provider);
    assert_eq!(active.len(), 1, "{active:?}");
    active[0]
        .end
        .map(|end| (end - active[0].start).num_minutes())
}
