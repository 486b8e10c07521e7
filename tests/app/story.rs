//! The whole Slack story, from `/pim request` to an active PIM assignment and a verifiable trail.

use serde_json::Value;

use crate::harness::{AUDIT_CHANNEL, TEAM_CHANNEL, TestApp};
use crate::schema::Schemas;

pub(crate) const REQUEST_TEXT: &str =
    "request app1-secrets for 2h ticket INC-1234 rotating the cert";

pub(crate) const TARGETS_TOML: &str = r#"
[[targets]]
name = "app1-secrets"
kind = "role"
role = "Application Secret Manager"
scope = "App1"
require_ticket = true
"#;

/// The request id in the first approval message posted to the team channel.
pub(crate) async fn approval_message(app: &TestApp) -> (String, Value) {
    let calls = app
        .slack
        .wait_for("the approval message", |calls| {
            calls
                .iter()
                .any(|c| c.method == "chat.postMessage" && c.body["channel"] == TEAM_CHANNEL)
        })
        .await;
    let message = calls
        .into_iter()
        .find(|c| c.method == "chat.postMessage" && c.body["channel"] == TEAM_CHANNEL)
        .map(|c| c.body)
        .unwrap_or_default();
    let id = regex::Regex::new(r"PIM-\d+")
        .expect("regex")
        .find(&message.to_string())
        .map(|m| m.as_str().to_owned())
        .expect("the approval message names the request id");
    (id, message)
}

/// Requests as Alice and waits for the approval message.
pub(crate) async fn alice_requests(app: &TestApp) -> (String, Value) {
    let (status, _) = app.slash("UALICE", REQUEST_TEXT).await;
    assert_eq!(status, 200);
    approval_message(app).await
}

#[tokio::test]
async fn a_request_approved_by_an_owner_becomes_one_time_bound_pim_assignment() {
    let app = TestApp::start_with(pimbot::emulator::Tenant::demo(), TARGETS_TOML).await;

    let (status, answer) = app.slash("UALICE", REQUEST_TEXT).await;
    assert_eq!(status, 200);
    assert_eq!(answer["response_type"], "ephemeral", "{answer}");

    let (id, message) = approval_message(&app).await;
    let text = message.to_string();
    assert!(
        text.contains("<@UBOB>") && text.contains("<@UCAROL>"),
        "owners mentioned: {text}"
    );
    assert!(!text.contains("<@UALICE> can approve"), "{text}");
    for expected in [
        "INC-1234",
        "rotating the cert",
        "2h",
        "App1",
        "Application Secret Manager",
        "\"approve\"",
        "\"deny\"",
    ] {
        assert!(
            text.contains(expected),
            "approval message shows {expected}: {text}"
        );
    }
    app.wait_for_response("UALICE", "waiting for approval")
        .await;

    assert_eq!(app.click("UBOB", "approve", &id).await, 200);

    let dm = app.wait_for_dm("UALICE", "until").await.to_string();
    let requests = app.emulator.schedule_requests();
    assert_eq!(requests.len(), 1, "exactly one PIM call: {requests:?}");
    let body = &requests[0];
    let errors =
        Schemas::graph().validate("microsoft.graph.unifiedRoleAssignmentScheduleRequest", body);
    assert!(
        errors.is_empty(),
        "adminAssign body violates the Graph schema: {errors:?}\n{body}"
    );
    assert_eq!(body["action"], "adminAssign");
    assert_eq!(body["principalId"], "90ea226b-db03-48c5-a5c4-7d42c40e0145");
    assert_eq!(
        body["directoryScopeId"],
        "/924dabc8-72e9-42de-952f-16054679d118"
    );
    assert_eq!(body["scheduleInfo"]["expiration"]["type"], "afterDuration");
    assert_eq!(body["scheduleInfo"]["expiration"]["duration"], "PT2H");
    assert_eq!(body["ticketInfo"]["ticketNumber"], "INC-1234");
    let justification = body["justification"].as_str().unwrap_or_default();
    for expected in ["Alice Engineer", "Bob Owner", "INC-1234", id.as_str()] {
        assert!(
            justification.contains(expected),
            "justification names {expected}: {justification}"
        );
    }
    let active = app.emulator.active_assignments();
    assert_eq!(active.len(), 1);
    let minutes = active[0]
        .end
        .map(|end| (end - active[0].start).num_minutes());
    assert_eq!(minutes, Some(120));

    assert!(dm.contains(&id), "{dm}");

    let audit = app
        .slack
        .wait_for("audit lines for submitted, approved and active", |calls| {
            let lines: Vec<String> = calls
                .iter()
                .filter(|c| c.method == "chat.postMessage" && c.body["channel"] == AUDIT_CHANNEL)
                .map(|c| c.body.to_string())
                .collect();
            ["submitted", "approved", "active"]
                .iter()
                .all(|w| lines.iter().any(|l| l.contains(w)))
        })
        .await;
    assert!(
        audit
            .iter()
            .filter(|c| c.body["channel"] == AUDIT_CHANNEL)
            .all(|c| c.body.to_string().contains(&id))
    );

    let updates = app
        .slack
        .wait_for("the approval message updated without buttons", |calls| {
            calls.iter().any(|c| {
                c.method == "chat.update"
                    && c.body.to_string().contains("Approved by <@UBOB>")
                    && !c.body.to_string().contains("\"approve\"")
            })
        })
        .await;
    assert!(
        updates
            .iter()
            .any(|c| c.method == "chat.update" && c.body["channel"] == TEAM_CHANNEL)
    );

    let checked = pimbot::audit::verify(app.store.as_ref())
        .await
        .expect("audit chain intact");
    assert!(
        checked >= 4,
        "submitted, approved, activation started, active: {checked}"
    );
    app.stop().await;
}
