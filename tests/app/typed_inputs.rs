//! Forms, buttons and cards hand pimbot the command itself, not text to read again: free text in a
//! field (quotes, a justification of just "for") reaches PIM as written. Typed commands are read
//! by the grammar as before, and command jobs an older pimbot queued with text alone still run.

use pimbot::emulator::Tenant;
use serde_json::{Value, json};

use crate::fake_teams::{ALICE, BOB};
use crate::forms::filled_form;
use crate::harness::{TEAM_CHANNEL, TestApp, queue_raw_job, text_input};
use crate::story::{TARGETS_TOML, approval_message};
use crate::teams_app::TeamsApp;

/// The one adminAssign PIM received: its ticket number and justification.
fn assigned(app: &TestApp) -> (String, String) {
    let requests = app.emulator.schedule_requests();
    assert_eq!(requests.len(), 1, "exactly one PIM call: {requests:?}");
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    (
        text(&requests[0]["ticketInfo"]["ticketNumber"]),
        text(&requests[0]["justification"]),
    )
}

#[tokio::test]
async fn a_slack_form_with_quotes_in_the_ticket_and_just_for_as_the_reason_reaches_pim_verbatim() {
    let app = TestApp::start_with(Tenant::demo(), TARGETS_TOML).await;
    app.slash("UALICE", "request").await;
    let update = filled_form(&app).await;
    let view_id = update["view_id"].as_str().unwrap_or("V0000").to_owned();
    let ticket = "CHG \"7\" \u{201c}b\u{201d}";
    let accepted = app
        .submit_view(
            "UALICE",
            &view_id,
            &update["view"],
            json!({
                "target": { "target": { "type": "static_select", "selected_option": { "value": "app1-secrets" } } },
                "duration": { "duration": text_input("1h") },
                "ticket": { "ticket": text_input(ticket) },
                "justification": { "justification": text_input("for") }
            }),
        )
        .await;
    assert_eq!(accepted["response_action"], "clear", "{accepted}");
    let (id, _) = approval_message(&app).await;
    assert_eq!(app.click("UBOB", "approve", &id).await, 200);
    app.wait_for_dm("UALICE", "until").await;
    let (number, justification) = assigned(&app);
    assert_eq!(number, ticket);
    assert!(
        justification.contains(&format!("; ticket {ticket}"))
            && justification.ends_with("; reason: for"),
        "{justification}"
    );
}

#[tokio::test]
async fn a_typed_command_with_the_same_content_is_read_by_the_grammar_as_before() {
    let app = TestApp::start_with(Tenant::demo(), TARGETS_TOML).await;
    let typed = "request app1-secrets for 1h ticket \"CHG 7\" \"for\"";
    let (status, answer) = app.slash("UALICE", typed).await;
    assert_eq!(status, 200, "{answer}");
    let (id, _) = approval_message(&app).await;
    app.click("UBOB", "approve", &id).await;
    app.wait_for_dm("UALICE", "until").await;
    let (number, justification) = assigned(&app);
    assert_eq!(number, "CHG 7", "the quotes are the grammar's");
    assert!(justification.ends_with("; reason: for"), "{justification}");

    let (_, refused) = app.slash("UALICE", "request \"unclosed").await;
    assert!(
        refused.to_string().contains("quote is not closed"),
        "{refused}"
    );
}

#[tokio::test]
async fn a_teams_card_with_quotes_in_the_ticket_and_just_ticket_as_the_reason_reaches_pim_verbatim()
{
    let app = TeamsApp::start(TARGETS_TOML).await;
    let ticket = "INC \"9\"";
    let inputs = json!({"target": "app1-secrets", "duration": "1h", "ticket": ticket,
                        "justification": "ticket"});
    let submitted = app
        .send(&app.invoke(ALICE, "form-1", "request", inputs))
        .await;
    assert!(
        submitted
            .body
            .to_string()
            .contains("Checking your eligibility"),
        "{}",
        submitted.body
    );
    let id = app.approval_card_id().await;
    let approved = app
        .send(&app.invoke(BOB, "card", "approve", json!({"request": id})))
        .await;
    assert_eq!(approved.status, 200);
    app.wait_for_dm("active until").await;
    let (number, justification) = assigned(&app.app);
    assert_eq!(number, ticket, "not rewritten");
    assert!(
        justification.ends_with("; reason: ticket"),
        "{justification}"
    );
}

#[tokio::test]
async fn a_teams_card_with_an_unreadable_duration_is_answered_as_before() {
    let app = TeamsApp::start(TARGETS_TOML).await;
    let inputs = json!({"target": "app1-secrets", "duration": "soon", "ticket": "INC-9"});
    let answer = app
        .send(&app.invoke(ALICE, "form-1", "request", inputs))
        .await;
    assert_eq!(
        answer.body["type"], "application/vnd.microsoft.card.adaptive",
        "the form is replaced by the message: {}",
        answer.body
    );
    assert!(
        answer.body.to_string().contains("use 30m, 2h"),
        "{}",
        answer.body
    );
    let missing = app
        .send(&app.invoke(ALICE, "form-1", "request", json!({"duration": "1h"})))
        .await;
    assert_eq!(
        missing.body["type"], "application/vnd.microsoft.activity.message",
        "{}",
        missing.body
    );
    let events = app.app.store.audit_events(0, 100).await.expect("store");
    assert!(
        events
            .iter()
            .any(|e| e.canonical.contains("command.unparsable") && e.canonical.contains("soon")),
        "recorded as an unreadable command"
    );
}

#[tokio::test]
async fn a_command_job_queued_by_an_older_pimbot_with_text_alone_still_runs() {
    let app = TestApp::start_with(Tenant::demo(), TARGETS_TOML).await;
    let reply_to = app.slack.response_url("old-job");
    let payload = json!({"kind": "command", "command": {
        "platform": "slack", "chat_user": "UALICE", "workspace": "T1",
        "conversation": TEAM_CHANNEL, "reply_to": reply_to,
        "text": "request app1-secrets for 2h ticket INC-77 \"for\""}});
    queue_raw_job(&app.database_url, "command", &payload.to_string()).await;
    let (id, message) = approval_message(&app).await;
    let text = message.to_string();
    assert!(text.contains("INC-77") && text.contains("2h"), "{text}");
    app.wait_for_response("old-job", "waiting for approval")
        .await;
    app.click("UBOB", "approve", &id).await;
    app.wait_for_dm("UALICE", "until").await;
    let (number, justification) = assigned(&app);
    assert_eq!(number, "INC-77");
    assert!(justification.ends_with("; reason: for"), "{justification}");
}
