//! The Slack modals: the request form that lists only eligible targets, and the deny reason.

use pimbot::emulator::{Fault, Tenant};
use serde_json::json;

use crate::harness::{TestApp, text_input};
use crate::story::{TARGETS_TOML, alice_requests};

/// The `views.update` that filled the request form with targets.
pub(crate) async fn filled_form(app: &TestApp) -> serde_json::Value {
    let calls = app
        .slack
        .wait_for("the form filled with targets", |calls| {
            calls.iter().any(|c| c.method == "views.update")
        })
        .await;
    calls
        .iter()
        .find(|c| c.method == "views.update")
        .map(|c| c.body.clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn request_without_a_target_opens_a_form_listing_only_eligible_targets() {
    let app = TestApp::start_with(Tenant::demo(), TARGETS_TOML).await;
    let (status, _) = app.slash("UALICE", "request").await;
    assert_eq!(status, 200);
    let opened = app.slack.calls_to("views.open");
    assert_eq!(
        opened.len(),
        1,
        "the modal opens at once, before any Graph call"
    );
    let update = filled_form(&app).await;
    let text = update.to_string();
    assert!(
        text.contains("app1-secrets"),
        "the configured target is offered: {text}"
    );
    assert!(
        text.contains("Groups Administrator"),
        "Alice's direct eligibility is offered: {text}"
    );
    assert!(
        !text.contains("Security Reader"),
        "Frank's eligibility is not Alice's: {text}"
    );
    assert!(!text.contains("Global Administrator"), "{text}");

    let view = update["view"].clone();
    let view_id = update["view_id"].as_str().unwrap_or("V0000").to_owned();
    let too_long = app
        .submit_view(
            "UALICE",
            &view_id,
            &view,
            json!({
                "target": { "target": { "type": "static_select", "selected_option": { "value": "app1-secrets" } } },
                "duration": { "duration": text_input("3h") },
                "ticket": { "ticket": text_input("INC-9") },
                "justification": { "justification": text_input("rotating the cert") }
            }),
        )
        .await;
    assert_eq!(too_long["response_action"], "errors", "{too_long}");
    assert!(
        too_long["errors"]["duration"].to_string().contains("2h"),
        "{too_long}"
    );

    let accepted = app
        .submit_view(
            "UALICE",
            &view_id,
            &view,
            json!({
                "target": { "target": { "type": "static_select", "selected_option": { "value": "app1-secrets" } } },
                "duration": { "duration": text_input("90m") },
                "ticket": { "ticket": text_input("INC-9") },
                "justification": { "justification": text_input("rotating the cert") }
            }),
        )
        .await;
    assert_eq!(accepted["response_action"], "clear", "{accepted}");
    let (_, message) = crate::story::approval_message(&app).await;
    let text = message.to_string();
    assert!(text.contains("INC-9") && text.contains("1h30m"), "{text}");
}

#[tokio::test]
async fn deny_asks_for_a_reason_and_tells_the_requester() {
    let app = TestApp::start_with(Tenant::demo(), TARGETS_TOML).await;
    let (id, _) = alice_requests(&app).await;
    assert_eq!(app.click("UCAROL", "deny", &id).await, 200);
    let opened = app
        .slack
        .wait_for("the deny-reason modal", |calls| {
            calls.iter().any(|c| c.method == "views.open")
        })
        .await;
    let view = opened
        .iter()
        .find(|c| c.method == "views.open")
        .map(|c| c.body["view"].clone())
        .unwrap_or_default();
    assert_eq!(view["callback_id"], "deny_reason");
    assert!(
        app.store.pending_requests().await.expect("store").len() == 1,
        "a click on Deny alone decides nothing"
    );

    let refused = app
        .submit_view(
            "UDAVE",
            "V1",
            &view,
            json!({ "reason": { "reason": text_input("no") } }),
        )
        .await;
    assert_eq!(
        refused["response_action"], "errors",
        "an outsider's denial stays in the form: {refused}"
    );
    assert!(refused.to_string().contains("not an approver"), "{refused}");

    let answer = app
        .submit_view(
            "UCAROL",
            "V1",
            &view,
            json!({ "reason": { "reason": text_input("use the break-glass runbook <!channel>") } }),
        )
        .await;
    assert_eq!(answer["response_action"], "clear", "{answer}");
    let dm = app.wait_for_dm("UALICE", "break-glass").await.to_string();
    assert!(dm.contains("Carol Owner") || dm.contains("UCAROL"), "{dm}");
    assert!(
        !dm.contains("<!channel>"),
        "user text cannot ping the channel: {dm}"
    );
    app.slack
        .wait_for("the message updated as denied", |calls| {
            calls
                .iter()
                .any(|c| c.method == "chat.update" && c.body.to_string().contains("Denied"))
        })
        .await;
    assert!(app.emulator.schedule_requests().is_empty());
}

#[tokio::test]
async fn slash_commands_are_answered_at_once_even_when_graph_is_slow() {
    let app = TestApp::start_with(Tenant::demo(), TARGETS_TOML).await;
    app.emulator.inject_faults(
        "/v1.0/users",
        vec![Fault::Delay(std::time::Duration::from_secs(4))],
    );
    let started = std::time::Instant::now();
    let (status, answer) = app.slash("UALICE", crate::story::REQUEST_TEXT).await;
    let waited = started.elapsed();
    assert_eq!(status, 200, "{answer}");
    assert!(
        waited < std::time::Duration::from_secs(2),
        "Slack needs an answer within 3 s; took {waited:?}"
    );
    crate::story::approval_message(&app).await;
}

#[tokio::test]
async fn a_throttled_assignment_is_retried_after_retry_after_and_made_once() {
    let app = TestApp::start_with(Tenant::demo(), TARGETS_TOML).await;
    let (id, _) = alice_requests(&app).await;
    app.emulator.inject_faults(
        "roleAssignmentScheduleRequests",
        vec![Fault::Throttle {
            retry_after_secs: 1,
        }],
    );
    let clicked = std::time::Instant::now();
    app.click("UBOB", "approve", &id).await;
    app.wait_for_dm("UALICE", "until").await;
    assert!(
        clicked.elapsed() >= std::time::Duration::from_secs(1),
        "Retry-After was honoured"
    );
    // The emulator records the bodies that reached PIM; the throttled one was answered before.
    let assigns = app
        .emulator
        .schedule_requests()
        .iter()
        .filter(|r| r["action"] == "adminAssign")
        .count();
    assert_eq!(assigns, 1);
    assert_eq!(app.emulator.active_assignments().len(), 1);
}
