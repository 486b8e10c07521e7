//! The request form card and Deny with a reason, through Teams; every card validated.

use serde_json::json;

use crate::adaptive_cards::validate;
use crate::fake_teams::{ALICE, BOB, ConnectorCall, THREAD};
use crate::story::TARGETS_TOML;
use crate::teams_app::TeamsApp;

fn card(call: &ConnectorCall) -> serde_json::Value {
    call.body["attachments"][0]["content"].clone()
}

fn posted_card_with(call: &ConnectorCall, needle: &str) -> bool {
    call.method == "POST"
        && call.path == format!("v3/conversations/{THREAD}/activities")
        && card(call).to_string().contains(needle)
}

#[tokio::test]
async fn the_form_offers_eligible_targets_and_its_submission_becomes_a_request_that_can_be_denied()
{
    let app = TeamsApp::start(TARGETS_TOML).await;
    assert_eq!(
        app.send(&app.channel_message(ALICE, "request"))
            .await
            .status,
        200
    );
    let form = app
        .teams
        .wait_for("the request form", |c| {
            posted_card_with(c, "Input.ChoiceSet")
        })
        .await;
    let form = card(&form);
    assert_eq!(validate(&form), Vec::<String>::new(), "{form}");
    let choices = form["body"][1]["choices"].to_string();
    assert!(choices.contains("app1-secrets"), "{choices}");
    assert!(
        !choices.contains("Global Administrator"),
        "only eligible targets: {choices}"
    );
    assert_eq!(form["actions"][0]["verb"], "request");

    let inputs = json!({"target": "app1-secrets", "duration": "1h", "ticket": "INC-9",
                        "justification": "<at>Bob Owner</at> please"});
    let submitted = app
        .send(&app.invoke(ALICE, "form-1", "request", inputs))
        .await;
    assert_eq!(
        submitted.body["type"], "application/vnd.microsoft.card.adaptive",
        "{}",
        submitted.body
    );
    assert_eq!(validate(&submitted.body["value"]), Vec::<String>::new());
    assert!(
        submitted.body["value"]
            .to_string()
            .contains("Checking your eligibility")
    );

    let approval = app
        .teams
        .wait_for("the approval card", |c| {
            posted_card_with(c, "elevation request")
        })
        .await;
    let approval = card(&approval);
    assert_eq!(validate(&approval), Vec::<String>::new(), "{approval}");
    let text = approval["body"].to_string();
    assert!(text.contains("INC-9") && text.contains("1h"), "{text}");
    assert!(
        !text.contains("<at>Bob Owner</at> please"),
        "typed mentions are defused: {text}"
    );
    let id = regex::Regex::new(r"PIM-\d+")
        .expect("regex")
        .find(&text)
        .map(|m| m.as_str().to_owned())
        .expect("id");

    let no_reason = app
        .send(&app.invoke(BOB, "card", "deny", json!({"request": id})))
        .await;
    assert_eq!(
        no_reason.body["type"],
        "application/vnd.microsoft.activity.message"
    );
    let denied = app
        .send(&app.invoke(
            BOB,
            "card",
            "deny",
            json!({"request": id, "reason": "no change window"}),
        ))
        .await;
    assert_eq!(
        denied.body["type"], "application/vnd.microsoft.card.adaptive",
        "{}",
        denied.body
    );
    let denied_card = &denied.body["value"];
    assert_eq!(validate(denied_card), Vec::<String>::new());
    assert!(
        denied_card
            .to_string()
            .contains("Denied by <at>Bob Owner</at>")
    );
    assert!(denied_card.to_string().contains("no change window"));
    let again = app
        .send(&app.invoke(BOB, "card", "approve", json!({"request": id})))
        .await;
    assert_eq!(
        again.body["type"], "application/vnd.microsoft.activity.message",
        "{}",
        again.body
    );
    app.wait_for_dm("denied by Bob Owner").await;
    assert!(
        app.app.emulator.schedule_requests().is_empty(),
        "a denial calls no PIM API"
    );
}
