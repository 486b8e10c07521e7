//! Requests made outside chat (the portal, PowerShell, a CLI) that PIM holds for approval, on a
//! target in activate mode with an approval channel: the sweep finds them and posts the card to
//! their approvers once, and a decision on the card or in the portal goes the same way.

use std::time::Duration;

use pimbot::emulator::Provider;
use reqwest::StatusCode;
use serde_json::{Value, json};

use pimbot::emulator::Tenant;

use crate::activate::{sign_in, sign_in_link, start_in};
use crate::fake_slack::Call;
use crate::harness::TestApp;

const ALICE: &str = "90ea226b-db03-48c5-a5c4-7d42c40e0145";
const CAROL: &str = "8767515c-c303-466f-9b40-98e9a042f5b1";
const GROUPS_ADMIN: &str = "fdd7a751-b60b-444a-984c-02652fe8fa1c";
const GRAPH_SCOPES: &str =
    "openid offline_access https://graph.microsoft.com/RoleAssignmentSchedule.ReadWrite.Directory";
const APPROVE_CHANNEL: &str = "CAPPROVE";

const CONFIG: &str = r#"
[auth]
token_keys = ["k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="]

[[targets]]
name = "groups-admin"
kind = "role"
role = "Groups Administrator"
mode = "activate"
approval_channel = { slack = "CAPPROVE" }
"#;

async fn start() -> TestApp {
    start_in(Tenant::demo(), CONFIG).await
}

fn token(app: &TestApp, user: &str) -> String {
    let tokens = app.emulator.sign_in(user, true, &[], GRAPH_SCOPES);
    tokens.expect("sign-in").access_token
}

/// Alice asks PIM for Groups Administrator herself, as the portal would; PIM holds it for Carol.
async fn portal_request(app: &TestApp) -> Value {
    let body = json!({
        "action": "selfActivate", "principalId": ALICE, "roleDefinitionId": GROUPS_ADMIN,
        "directoryScopeId": "/", "justification": "rotating group owners in the portal",
        "scheduleInfo": {"expiration": {"type": "afterDuration", "duration": "PT1H"}},
    });
    let made = reqwest::Client::new()
        .post(format!(
            "{}/v1.0/roleManagement/directory/roleAssignmentScheduleRequests",
            app.emulator_url
        ))
        .bearer_auth(token(app, ALICE))
        .json(&body)
        .send()
        .await
        .expect("selfActivate");
    assert!(made.status().is_success(), "{}", made.status());
    let made: Value = made.json().await.expect("json");
    assert_eq!(made["status"], "PendingApproval", "{made}");
    made
}

fn cards(calls: &[Call]) -> Vec<&Call> {
    calls
        .iter()
        .filter(|c| {
            c.method == "chat.postMessage"
                && c.body["channel"] == APPROVE_CHANNEL
                && c.body.to_string().contains("waiting for approval in PIM")
        })
        .collect()
}

/// Waits for the card, lets a few more sweeps run (the harness sweeps every 200 ms, once per
/// second of the service's clock), and checks the card was posted once; the request's id.
async fn card_posted_once(app: &TestApp, made: &Value) -> String {
    app.slack
        .wait_for("the approval card", |calls| !cards(calls).is_empty())
        .await;
    for _ in 0..4 {
        app.advance_clock(Duration::from_secs(2));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let calls = app.slack.calls();
    assert_eq!(cards(&calls).len(), 1, "one card, however many sweeps");
    let known = app.store.activating_requests().await.expect("read");
    assert_eq!(known.len(), 1, "{known:?}");
    let request = &known[0];
    assert_eq!(request.requester.entra_id.as_str(), ALICE);
    assert_eq!(request.pim_request_id.as_deref(), made["id"].as_str());
    assert_eq!(
        request.pim_approval_id.as_deref(),
        made["approvalId"].as_str()
    );
    assert_eq!(
        request.justification.as_deref(),
        Some("rotating group owners in the portal")
    );
    assert_eq!(request.duration.minutes(), 60);
    assert!(request.is_approver(CAROL), "{:?}", request.approvers);
    let events = app.store.audit_events(0, 1000).await.expect("audit");
    let discovered: Vec<_> = events
        .iter()
        .filter(|e| e.canonical.contains("\"request.discovered\""))
        .collect();
    assert_eq!(discovered.len(), 1);
    assert!(discovered[0].canonical.contains(ALICE));
    request.id.to_string()
}

async fn card_shows_active(app: &TestApp) {
    app.slack
        .wait_for("the card updated to active", |calls| {
            calls.iter().any(|c| {
                c.method == "chat.update"
                    && c.body["channel"] == APPROVE_CHANNEL
                    && c.body.to_string().contains("active until")
            })
        })
        .await;
    let active = app.emulator.active_of(Provider::Role);
    assert!(
        active.iter().any(|a| a.principal_id == ALICE),
        "PIM activated it for Alice: {active:?}"
    );
}

#[tokio::test]
async fn a_request_made_in_the_portal_is_posted_once_and_approved_on_the_card() {
    let app = start().await;
    let made = portal_request(&app).await;
    let id = card_posted_once(&app, &made).await;

    // Carol approves on the card: she signs in, and her approval goes to PIM as her.
    assert_eq!(app.click("UCAROL", "approve", &id).await, 200);
    let state = sign_in_link(&app, "UCAROL", 1).await;
    let (status, page) = sign_in(&app, &state, CAROL, true).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    app.wait_for_dm("UCAROL", "PIM recorded your approval")
        .await;
    card_shows_active(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn a_decision_made_in_the_portal_updates_the_card() {
    let app = start().await;
    let made = portal_request(&app).await;
    card_posted_once(&app, &made).await;

    // Carol approves in the portal, straight against PIM.
    let carol = token(&app, CAROL);
    let approval = format!(
        "{}/beta/roleManagement/directory/roleAssignmentApprovals/{}",
        app.emulator_url,
        made["approvalId"].as_str().expect("approval id")
    );
    let client = reqwest::Client::new();
    let read: Value = client
        .get(&approval)
        .bearer_auth(&carol)
        .send()
        .await
        .expect("approval")
        .json()
        .await
        .expect("json");
    let step = read["steps"][0]["id"].as_str().expect("a step");
    let decided = client
        .patch(format!("{approval}/steps/{step}"))
        .bearer_auth(&carol)
        .json(&json!({"reviewResult": "Approve", "justification": "fine, from the portal"}))
        .send()
        .await
        .expect("decide");
    assert_eq!(decided.status(), StatusCode::NO_CONTENT);

    // pimbot reads PIM's request again on its interval and updates the card.
    app.advance_clock(Duration::from_secs(31));
    card_shows_active(&app).await;
    app.stop().await;
}
