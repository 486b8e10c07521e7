//! The story through the sandbox API, in Slack and in Teams.

use serde_json::{Value, json};

use crate::{ALICE_ID, Demo, REQUEST, audit_kinds, request_state, slack_messages};

#[tokio::test]
async fn an_engineer_requests_in_slack_an_outsider_is_refused_and_an_owner_approves() {
    let demo = Demo::start().await;

    let typed = demo
        .post("slack/command", json!({"as": "alice", "text": REQUEST}))
        .await;
    assert_eq!(typed["status"], 200, "{typed}");
    let state = demo
        .wait_for("the approval message in #team-foo", |s| {
            slack_messages(s, "CTEAMFOO").any(|m| m["blocks"].to_string().contains("\"approve\""))
        })
        .await;
    let approval = slack_messages(&state, "CTEAMFOO")
        .find(|m| m["blocks"].to_string().contains("\"approve\""))
        .cloned()
        .expect("approval message");
    assert!(approval["visible_to"].is_null(), "everyone sees it");
    let blocks = approval["blocks"].to_string();
    for shown in [
        "PIM-1",
        "<@UBOB>",
        "<@UCAROL>",
        "INC-1234",
        "rotating the cert",
    ] {
        assert!(
            blocks.contains(shown),
            "the approval message shows {shown}: {blocks}"
        );
    }
    assert_eq!(request_state(&state, "PIM-1"), "pending_approval");
    let click = |who: &str| {
        json!({"as": who, "channel": "CTEAMFOO", "ts": approval["ts"], "action_id": "approve",
               "block_id": "decision", "value": "PIM-1"})
    };

    assert_eq!(demo.post("slack/click", click("dave")).await["status"], 200);
    let state = demo
        .wait_for("Dave told he is not an approver", |s| {
            slack_messages(s, "CTEAMFOO").any(|m| {
                m["visible_to"] == "UDAVE" && m["text"].to_string().contains("not an approver")
            })
        })
        .await;
    assert_eq!(request_state(&state, "PIM-1"), "pending_approval");
    assert!(demo.handle.emulator.active_assignments().is_empty());

    assert_eq!(demo.post("slack/click", click("bob")).await["status"], 200);
    let state = demo
        .wait_for("PIM-1 active and Alice's DM", |s| {
            request_state(s, "PIM-1") == "active"
                && slack_messages(s, "DUALICE")
                    .any(|m| m["text"].to_string().contains("active until"))
        })
        .await;
    let active = demo.handle.emulator.active_assignments();
    assert_eq!(active.len(), 1, "{active:?}");
    assert_eq!(active[0].principal_id, ALICE_ID);
    assert_eq!(
        active[0]
            .end
            .map(|end| (end - active[0].start).num_minutes()),
        Some(120)
    );
    assert_eq!(state["assignments"][0]["principal"], "Alice Engineer");
    assert_eq!(
        state["assignments"][0]["role"],
        "Application Secret Manager"
    );
    let updated = slack_messages(&state, "CTEAMFOO")
        .find(|m| m["ts"] == approval["ts"])
        .expect("still there");
    assert_eq!(updated["edited"], true);
    assert!(
        !updated["blocks"].to_string().contains("\"approve\""),
        "no buttons once decided"
    );

    let kinds = audit_kinds(&state);
    for expected in [
        "\"request.submitted\" \"ok\"",
        "\"request.refused\" \"not_an_approver\"",
        "\"request.approved\" \"ok\"",
        "\"request.active\" \"ok\"",
    ] {
        assert!(
            kinds.iter().any(|k| k == expected),
            "{expected} in {kinds:?}"
        );
    }
    assert_eq!(state["chain"]["intact"], true, "{}", state["chain"]);
    assert!(
        slack_messages(&state, "CPIMAUDIT").count() >= 4,
        "audit channel lines"
    );
    demo.handle.stop().await.expect("the demo stops cleanly");
}

#[tokio::test]
async fn in_teams_an_owner_denies_on_the_card_with_a_reason() {
    let demo = Demo::start().await;
    let posted = demo
        .post("teams/message", json!({"as": "alice", "text": REQUEST}))
        .await;
    assert_eq!(posted["status"], 200, "{posted}");
    let is_card = |m: &Value| {
        m["attachments"][0]["content"]["body"]
            .to_string()
            .contains("elevation request")
            && m["replaces"].is_null()
    };
    let state = demo
        .wait_for("the approval card in the channel thread", |s| {
            s["teams"]["messages"]
                .as_array()
                .into_iter()
                .flatten()
                .any(is_card)
        })
        .await;
    let card = state["teams"]["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| is_card(m))
        .cloned()
        .expect("card");
    assert!(
        card["conversation"]
            .as_str()
            .is_some_and(|c| c.starts_with("19:teamfoo@thread.tacv2;messageid="))
    );

    let clicked = demo
        .post(
            "teams/invoke",
            json!({"as": "carol", "activity": card["id"], "verb": "deny",
                   "data": {"request": "PIM-1", "reason": "not during the freeze"}}),
        )
        .await;
    assert_eq!(clicked["status"], 200, "{clicked}");
    assert_eq!(
        clicked["answer"]["type"],
        "application/vnd.microsoft.card.adaptive"
    );
    let state = demo
        .wait_for("PIM-1 denied and Alice told in her 1:1 chat", |s| {
            request_state(s, "PIM-1") == "denied"
                && s["teams"]["messages"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|m| {
                        s["teams"]["personal"][m["conversation"].as_str().unwrap_or_default()]
                            == ALICE_ID
                            && m["text"].to_string().contains("not during the freeze")
                    })
        })
        .await;
    let overlay = state["teams"]["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["replaces"] == card["id"])
        .expect("the clicker's card");
    assert_eq!(
        overlay["visible_to"],
        "8767515c-c303-466f-9b40-98e9a042f5b1"
    );
    assert!(
        demo.handle.emulator.schedule_requests().is_empty(),
        "nothing asked of PIM"
    );
    assert!(audit_kinds(&state).contains(&"\"request.denied\" \"ok\"".to_owned()));
    demo.handle.stop().await.expect("the demo stops cleanly");
}

#[tokio::test]
async fn in_slack_an_owner_denies_through_the_reason_form() {
    let demo = Demo::start().await;
    demo.post("slack/command", json!({"as": "alice", "text": REQUEST}))
        .await;
    let state = demo
        .wait_for("the approval message", |s| {
            slack_messages(s, "CTEAMFOO").any(|m| m["blocks"].to_string().contains("\"deny\""))
        })
        .await;
    let ts = slack_messages(&state, "CTEAMFOO")
        .find(|m| m["blocks"].to_string().contains("\"deny\""))
        .map(|m| m["ts"].clone())
        .expect("approval message");
    let click = json!({"as": "carol", "channel": "CTEAMFOO", "ts": ts, "action_id": "deny",
                       "block_id": "decision", "value": "PIM-1"});
    assert_eq!(demo.post("slack/click", click).await["status"], 200);
    let state = demo
        .wait_for("the deny-reason form opened for Carol", |s| {
            s["slack"]["views"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|v| v["user"] == "UCAROL")
        })
        .await;
    let view_id = state["slack"]["views"][0]["id"].clone();
    let empty = json!({"reason": {"reason": {"type": "plain_text_input", "value": null}}});
    let refused = demo
        .post(
            "slack/submit",
            json!({"as": "carol", "view_id": view_id, "values": empty}),
        )
        .await;
    assert_eq!(refused["answer"]["response_action"], "errors", "{refused}");
    let reason =
        json!({"reason": {"reason": {"type": "plain_text_input", "value": "use the runbook"}}});
    let accepted = demo
        .post(
            "slack/submit",
            json!({"as": "carol", "view_id": view_id, "values": reason}),
        )
        .await;
    assert_eq!(accepted["answer"]["response_action"], "clear", "{accepted}");
    let state = demo
        .wait_for("PIM-1 denied, the form closed, Alice told why", |s| {
            request_state(s, "PIM-1") == "denied"
                && s["slack"]["views"].as_array().is_some_and(Vec::is_empty)
                && slack_messages(s, "DUALICE")
                    .any(|m| m["text"].to_string().contains("use the runbook"))
        })
        .await;
    assert_eq!(state["requests"][0]["decisions"][0]["by"], "Carol Owner");
    assert!(demo.handle.emulator.schedule_requests().is_empty());
    demo.handle.stop().await.expect("the demo stops cleanly");
}
