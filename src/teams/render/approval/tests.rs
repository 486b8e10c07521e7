use serde_json::Value;

use super::*;
use crate::domain::request::State;
use crate::teams::render::MAX_CARD_BYTES;
use crate::teams::render::fixtures::{at, decision, person, request};

/// The approvers' Teams user ids, as the adapter found them in stored conversation references.
fn refresh_users() -> Vec<String> {
    vec!["29:bob".to_owned(), "29:carol".to_owned()]
}

fn many_users() -> Vec<String> {
    (0..500).map(|i| format!("29:approver-{i:03}")).collect()
}

fn texts(card: &Value) -> String {
    card["body"].to_string()
}

#[test]
fn a_pending_card_mentions_the_approvers_and_offers_approve_and_deny() {
    let card = approval_card(&request(), None, &refresh_users());
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(card["version"], "1.5");
    let body = texts(&card);
    assert!(body.contains("<at>Bob</at>, <at>Carol</at>"), "{body}");
    assert!(
        body.contains("<at>Alice</at> asks for **app1-secrets"),
        "{body}"
    );
    let entities = card["msteams"]["entities"].as_array().expect("entities");
    let ids: Vec<&str> = entities
        .iter()
        .filter_map(|e| e["mentioned"]["id"].as_str())
        .collect();
    assert_eq!(ids, ["entra-alice", "entra-bob", "entra-carol"]);
    for entity in entities {
        let text = entity["text"].as_str().expect("text");
        assert!(
            body.contains(text),
            "every entity's text is in the card: {text}"
        );
    }
    assert_eq!(
        card["refresh"]["userIds"],
        serde_json::json!(["29:bob", "29:carol"])
    );
    assert_eq!(card["refresh"]["action"]["verb"], "refresh");
    let actions = card["body"]
        .as_array()
        .and_then(|b| b.last())
        .map(|set| set["actions"].clone())
        .expect("action set");
    assert_eq!(actions[0]["type"], "Action.Execute");
    assert_eq!(actions[0]["verb"], "approve");
    assert_eq!(actions[0]["data"]["request"], "PIM-12");
    assert_eq!(actions[0]["fallback"]["type"], "Action.Submit");
    assert_eq!(actions[1]["type"], "Action.ShowCard");
    let deny = &actions[1]["card"];
    assert_eq!(deny["body"][0]["id"], "reason");
    assert_eq!(deny["body"][0]["isRequired"], true);
    assert_eq!(deny["actions"][0]["verb"], "deny");
}

#[test]
fn a_decided_card_says_who_when_and_why_and_has_no_buttons() {
    let mut approved = request();
    approved.state = State::Active;
    approved.active_until = Some(at(16, 5));
    approved.decisions = vec![decision(person("Bob"), true, Some("ok"))];
    let card = approval_card(&approved, Some("You approved PIM-12."), &refresh_users());
    let body = texts(&card);
    assert!(
        body.contains("Approved by <at>Bob</at> at 14:05 UTC (ok)"),
        "{body}"
    );
    assert!(body.contains("active until 16:05 UTC"), "{body}");
    assert!(body.contains("You approved PIM-12."), "{body}");
    assert!(
        !body.contains("Action.Execute") && card.get("refresh").is_none(),
        "{body}"
    );

    let mut denied = request();
    denied.state = State::Denied;
    denied.decisions = vec![decision(person("Carol"), false, Some("no change window"))];
    let body = texts(&approval_card(&denied, None, &refresh_users()));
    assert!(
        body.contains("Denied by <at>Carol</at> at 14:05 UTC: no change window"),
        "{body}"
    );
}

#[test]
fn user_text_cannot_mention_anyone_or_link_anywhere() {
    let mut hostile = request();
    hostile.justification = Some("<at>Bob</at> [urgent](https://evil.example)".into());
    hostile.requester.display_name = "Mallory <at>Carol</at>".into();
    let card = approval_card(&hostile, None, &refresh_users());
    let body = texts(&card);
    assert!(
        !body.contains("<at>Bob</at> ‹") && !body.contains("[urgent]"),
        "{body}"
    );
    assert_eq!(
        body.matches("<at>").count(),
        3,
        "only pimbot's own mentions: {body}"
    );
}

#[test]
fn a_huge_request_still_fits_in_28_kb() {
    let mut huge = request();
    huge.justification = Some("x".repeat(100_000));
    huge.ticket = Some("T".repeat(10_000));
    huge.approvers = (0..500)
        .map(|i| person(&format!("Approver {i:03} {}", "n".repeat(200))))
        .collect();
    let card = approval_card(&huge, Some(&"note ".repeat(1000)), &many_users());
    let size = card.to_string().len();
    assert!(size < MAX_CARD_BYTES, "{size} bytes");
    assert_eq!(
        card["refresh"]["userIds"].as_array().map(Vec::len),
        Some(60)
    );
}
