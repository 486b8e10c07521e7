//! The whole story through Teams: an @mention in a channel, the approval card in the channel, an
//! owner's click answered with the updated card, one PIM assignment, the card updated for
//! everyone, the requester's DM (in a new 1:1 conversation) and the audit lines.

use std::time::Duration;

use serde_json::{Value, json};

use crate::adaptive_cards::{MAX_CARD_BYTES, validate};
use crate::fake_teams::{
    ALICE, AUDIT_CONVERSATION, BOB, CAROL_ID, ConnectorCall, THREAD, is_bot_token,
};
use crate::story::{REQUEST_TEXT, TARGETS_TOML};
use crate::teams_app::TeamsApp;

/// The card of a message activity, if it carries one.
fn card_of(call: &ConnectorCall) -> Option<&Value> {
    call.body["attachments"][0]["content"]
        .as_object()
        .map(|_| &call.body["attachments"][0]["content"])
}

fn is_post_to(call: &ConnectorCall, conversation: &str) -> bool {
    call.method == "POST" && call.path == format!("v3/conversations/{conversation}/activities")
}

#[tokio::test]
async fn a_request_in_a_channel_approved_on_its_card_becomes_one_pim_assignment() {
    let teams_app = TeamsApp::start(TARGETS_TOML).await;
    let (app, teams) = (&teams_app.app, &teams_app.teams);

    // Bob has talked to pimbot before, so it knows his Teams user id; Carol has not.
    let answer = teams_app
        .send(&teams_app.channel_message(BOB, "help"))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let answer = teams_app
        .send(&teams_app.channel_message(ALICE, REQUEST_TEXT))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);

    let posted = teams
        .wait_for("the approval card in the channel thread", |c| {
            is_post_to(c, THREAD)
                && card_of(c).is_some_and(|card| card.to_string().contains("elevation request"))
        })
        .await;
    assert!(is_bot_token(&posted), "{}", posted.authorization);
    let card = card_of(&posted).cloned().unwrap_or_default();
    assert_eq!(validate(&card), Vec::<String>::new(), "{card}");
    let id = regex::Regex::new(r"PIM-\d+")
        .expect("regex")
        .find(&card.to_string())
        .map(|m| m.as_str().to_owned())
        .expect("the card names the request id");
    let body = card["body"].to_string();
    for expected in [
        "<at>Bob Owner</at>",
        "<at>Carol Owner</at>",
        "<at>Alice Engineer</at> asks for",
        "INC-1234",
        "rotating the cert",
        "2h",
        "App1",
        "Application Secret Manager",
    ] {
        assert!(body.contains(expected), "the card shows {expected}: {body}");
    }
    let mentioned: Vec<&str> = card["msteams"]["entities"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["mentioned"]["id"].as_str())
        .collect();
    assert!(
        mentioned.contains(&BOB.2) && mentioned.contains(&CAROL_ID),
        "{mentioned:?}"
    );
    // `refresh.userIds` takes Teams user ids (MRIs), which pimbot knows only for approvers it
    // has seen; Carol sees the card updated when a decision is recorded.
    assert_eq!(card["refresh"]["userIds"], json!([BOB.1]));
    let buttons = card["body"]
        .as_array()
        .and_then(|b| b.last())
        .map(|set| set["actions"].clone())
        .unwrap_or_default();
    assert_eq!(buttons[0]["type"], "Action.Execute");
    assert_eq!(buttons[0]["verb"], "approve");
    assert_eq!(buttons[0]["fallback"]["type"], "Action.Submit");
    assert_eq!(buttons[1]["card"]["actions"][0]["verb"], "deny");
    let card_id = posted_id(teams, &posted);
    let pending_size = card.to_string().len();

    teams
        .wait_for("the receipt in the thread", |c| {
            is_post_to(c, THREAD)
                && c.body["text"]
                    .as_str()
                    .is_some_and(|t| t.contains("waiting for approval"))
        })
        .await;

    // An approver's client refreshes the card (Teams sends this for refresh.userIds).
    let refresh = teams_app
        .send(&teams_app.invoke(BOB, &card_id, "refresh", json!({"request": id})))
        .await;
    assert_eq!(
        refresh.body["type"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert_eq!(validate(&refresh.body["value"]), Vec::<String>::new());

    let click = teams_app
        .send(&teams_app.invoke(BOB, &card_id, "approve", json!({"request": id})))
        .await;
    assert_eq!(click.status, 200, "{}", click.body);
    assert_eq!(click.body["statusCode"], 200);
    assert_eq!(
        click.body["type"], "application/vnd.microsoft.card.adaptive",
        "{}",
        click.body
    );
    let clicker_card = &click.body["value"];
    assert_eq!(
        validate(clicker_card),
        Vec::<String>::new(),
        "{clicker_card}"
    );
    let clicker_text = clicker_card["body"].to_string();
    assert!(
        clicker_text.contains("Approved by <at>Bob Owner</at>"),
        "{clicker_text}"
    );
    assert!(
        clicker_text.contains(&format!("You approved {id}")),
        "{clicker_text}"
    );
    assert!(
        !clicker_text.contains("Action.Execute"),
        "no buttons once decided: {clicker_text}"
    );
    assert!(
        click.elapsed < Duration::from_secs(5),
        "invoke took {:?}",
        click.elapsed
    );

    // Exactly one adminAssign, and the card updated for everyone.
    let updated = teams
        .wait_for("the card updated for everyone with the active state", |c| {
            c.method == "PUT"
                && c.path == format!("v3/conversations/{THREAD}/activities/{card_id}")
                && card_of(c).is_some_and(|card| card.to_string().contains("active until"))
        })
        .await;
    let final_card = card_of(&updated).cloned().unwrap_or_default();
    assert_eq!(validate(&final_card), Vec::<String>::new(), "{final_card}");
    assert!(
        final_card["body"]
            .to_string()
            .contains("Approved by <at>Bob Owner</at>")
    );
    let requests = app.emulator.schedule_requests();
    assert_eq!(requests.len(), 1, "exactly one PIM call: {requests:?}");
    assert_eq!(requests[0]["action"], "adminAssign");
    assert_eq!(requests[0]["principalId"], ALICE.2);

    // The requester's DM, in a 1:1 conversation pimbot opened with her `29:` id.
    let created = teams
        .wait_for("a 1:1 conversation with Alice", |c| {
            c.method == "POST" && c.path == "v3/conversations"
        })
        .await;
    assert_eq!(created.body["members"][0]["id"], ALICE.1);
    assert_eq!(created.body["isGroup"], false);
    let dm = teams
        .wait_for("the DM saying the elevation is active", |c| {
            c.method == "POST"
                && c.path.starts_with("v3/conversations/a:1on1-")
                && c.body["text"]
                    .as_str()
                    .is_some_and(|t| t.contains("active until") && t.contains(&id))
        })
        .await;
    assert!(is_bot_token(&dm));

    for what in ["submitted", "approved", "active"] {
        teams
            .wait_for(&format!("the `{what}` audit line"), |c| {
                is_post_to(c, AUDIT_CONVERSATION)
                    && c.body["text"]
                        .as_str()
                        .is_some_and(|t| t.contains(&id) && t.contains(what))
            })
            .await;
    }
    let calls = teams.calls();
    assert!(
        calls.iter().all(is_bot_token),
        "every Connector call carries the bot's token"
    );
    let creates = calls
        .iter()
        .filter(|c| c.path == "v3/conversations")
        .count();
    assert_eq!(
        creates, 1,
        "the 1:1 conversation is created once and then reused"
    );

    let mut sizes = vec![("approval card, pending", pending_size)];
    sizes.push((
        "approval card, for the clicker",
        clicker_card.to_string().len(),
    ));
    sizes.push(("approval card, final", final_card.to_string().len()));
    for (what, size) in &sizes {
        assert!(*size < MAX_CARD_BYTES, "{what}: {size}");
    }
    eprintln!("teams card sizes (bytes): {sizes:?}");
    eprintln!(
        "teams invoke times: refresh {:?}, approve {:?}",
        refresh.elapsed, click.elapsed
    );
    pimbot::audit::verify(app.store.as_ref())
        .await
        .expect("audit chain intact");
}

/// The id the fake Connector gave the posted card.
fn posted_id(teams: &crate::fake_teams::FakeTeams, posted: &ConnectorCall) -> String {
    let index = teams
        .calls()
        .iter()
        .position(|c| c.path == posted.path && c.body == posted.body)
        .expect("recorded");
    format!("1700000000{:03}", index + 1)
}
