use serde_json::Value;

use super::*;
use crate::domain::request::State;
use crate::slack::render::fixtures::{at, decision, person, request};

fn blocks_text(message: &Value) -> String {
    message["blocks"].to_string()
}

fn buttons(message: &Value) -> Vec<Value> {
    message["blocks"]
        .as_array()
        .expect("blocks")
        .iter()
        .filter(|b| b["type"] == "actions")
        .flat_map(|b| b["elements"].as_array().cloned().unwrap_or_default())
        .collect()
}

#[test]
fn a_pending_request_has_approve_and_deny_buttons_carrying_its_id() {
    let message = approval_message(&request());
    let buttons = buttons(&message);
    assert_eq!(buttons.len(), 2);
    assert_eq!(buttons[0]["action_id"], "approve");
    assert_eq!(buttons[0]["style"], "primary");
    assert_eq!(buttons[0]["value"], "PIM-12");
    assert_eq!(buttons[1]["action_id"], "deny");
    assert_eq!(buttons[1]["style"], "danger");
    assert_eq!(buttons[1]["value"], "PIM-12");
    let text = blocks_text(&message);
    for expected in [
        "PIM-12",
        "<@U0ALICE> asks for *app1-secrets (Application Secret Manager on App1)*",
        "/00000000-0000-0000-0000-0000000000a1",
        "*Duration*\\n2h",
        "INC-1234",
        "rotating the cert",
        "<@U0BOB>, Carol",
        "waiting for approval (until 15:00 UTC)",
    ] {
        assert!(text.contains(expected), "{expected} missing from {text}");
    }
    assert!(!text.contains("approvals"), "no tally for one approval");
    assert_eq!(
        message["text"],
        "PIM-12: Alice asks for app1-secrets (Application Secret Manager on App1) for 2h: \
         waiting for approval (until 15:00 UTC)"
    );
}

#[test]
fn an_approved_request_has_no_buttons_and_says_who_approved_and_when() {
    let mut request = request();
    request.state = State::Active;
    request.active_until = Some(at(16, 7));
    request.decisions = vec![decision(
        person("Bob", Some("U0BOB")),
        true,
        None,
        at(14, 5),
    )];
    let message = approval_message(&request);
    assert!(buttons(&message).is_empty());
    let text = blocks_text(&message);
    assert!(text.contains("Approved by <@U0BOB> at 14:05 UTC"), "{text}");
    assert!(text.contains("*State:* active until 16:07 UTC"), "{text}");
}

#[test]
fn a_denied_request_shows_the_denier_and_the_escaped_reason() {
    let mut request = request();
    request.state = State::Denied;
    request.decisions = vec![decision(
        person("Carol", None),
        false,
        Some("no <!here> change window"),
        at(14, 9),
    )];
    let message = approval_message(&request);
    assert!(buttons(&message).is_empty());
    let text = blocks_text(&message);
    assert!(
        text.contains("Denied by Carol at 14:09 UTC: no &lt;!here&gt; change window"),
        "{text}"
    );
    assert!(text.contains("*State:* denied"));
    assert!(message["text"].as_str().expect("text").ends_with("denied"));
}

#[test]
fn the_tally_shows_when_several_approvals_are_needed() {
    let mut request = request();
    request.approvals_required = 2;
    assert!(blocks_text(&approval_message(&request)).contains("0 of 2 approvals"));
    request.decisions = vec![decision(
        person("Bob", Some("U0BOB")),
        true,
        None,
        at(14, 5),
    )];
    let message = approval_message(&request);
    assert!(blocks_text(&message).contains("1 of 2 approvals: Bob"));
    assert_eq!(buttons(&message).len(), 2, "still pending");
}

#[test]
fn user_typed_text_is_escaped_everywhere() {
    let mut request = request();
    request.justification = Some("<!channel> please & thanks <@U999>".into());
    request.ticket = Some("<!here>".into());
    request.requester = person("Mallory <!everyone>", None);
    let message = approval_message(&request);
    let all = message.to_string();
    assert!(all.contains("&lt;!channel&gt; please &amp; thanks &lt;@U999&gt;"));
    assert!(all.contains("&lt;!here&gt;"));
    assert!(all.contains("Mallory &lt;!everyone&gt;"));
    for raw in ["<!channel>", "<!here>", "<!everyone>", "<@U999>"] {
        assert!(!all.contains(raw), "{raw} reached Slack unescaped");
    }
}

#[test]
fn every_final_state_is_described() {
    let cases = [
        (State::Approved, "approved, activating in PIM"),
        (State::Activating, "activating in PIM"),
        (State::Ended, "ended at 14:00 UTC"),
        (State::Expired, "expired: nobody decided by 15:00 UTC"),
        (State::Cancelled, "cancelled by the requester at 14:00 UTC"),
        (State::Failed, "failed: PIM said no"),
    ];
    for (state, expected) in cases {
        let mut request = request();
        request.state = state;
        request.failure = Some("PIM said no".into());
        let message = approval_message(&request);
        assert!(buttons(&message).is_empty(), "{state:?}");
        assert!(
            blocks_text(&message).contains(expected),
            "{state:?}: {expected}"
        );
    }
}
