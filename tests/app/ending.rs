//! Before an elevation ends, its requester is warned (`defaults.end_warning` ahead) with Extend
//! and End now buttons. End now: an outsider's click is refused, the requester's ends it and PIM's
//! assignment goes with it. Extend: a new request through the same approval, which once approved
//! replaces the elevation (PIM holds one assignment per person and target).

use pimbot::emulator::Tenant;

use crate::harness::TestApp;
use crate::story::{TARGETS_TOML, alice_requests};

#[tokio::test]
async fn the_requester_is_warned_before_the_end_and_can_end_it_from_the_warning() {
    // 2 h elevations, warned 2 h - 2 s ahead: the warning comes two seconds after activation.
    let config = format!("[defaults]\nend_warning = \"7198s\"\n{TARGETS_TOML}");
    let app = TestApp::start_with(Tenant::demo(), &config).await;
    let (id, _) = alice_requests(&app).await;
    assert_eq!(app.click("UBOB", "approve", &id).await, 200);
    app.wait_for_dm("UALICE", "is active until").await;

    let warning = app.wait_for_dm("UALICE", "Done already?").await;
    let text = warning["text"].as_str().expect("text");
    assert!(text.contains(&id) && text.contains("ends at"), "{text}");
    let button = &warning["blocks"][1]["elements"][1];
    assert_eq!(button["action_id"], "end_now", "{warning}");
    assert_eq!(button["value"], id.as_str());
    assert_eq!(app.emulator.active_assignments().len(), 1);

    // An outsider's click (a forwarded message, say) changes nothing.
    assert_eq!(app.click("UDAVE", "end_now", &id).await, 200);
    app.wait_for_dm("UDAVE", &format!("{id} is not yours"))
        .await;
    assert_eq!(app.emulator.active_assignments().len(), 1, "still active");

    assert_eq!(app.click("UALICE", "end_now", &id).await, 200);
    app.wait_for_dm("UALICE", "ended early").await;
    assert!(
        app.emulator.active_assignments().is_empty(),
        "PIM's assignment removed"
    );
}

#[tokio::test]
async fn in_teams_the_warning_is_a_card_whose_end_now_ends_the_elevation() {
    use crate::adaptive_cards::validate;
    use crate::fake_teams::{ALICE, BOB};
    use serde_json::json;

    let config = format!("[defaults]\nend_warning = \"7198s\"\n{TARGETS_TOML}");
    let teams_app = crate::teams_app::TeamsApp::start(&config).await;
    let request = teams_app.channel_message(ALICE, crate::story::REQUEST_TEXT);
    assert_eq!(teams_app.send(&request).await.status, 200);
    let id = teams_app.approval_card_id().await;
    let approve = teams_app.invoke(BOB, "card", "approve", json!({"request": id}));
    assert_eq!(teams_app.send(&approve).await.status, 200);

    let warning = teams_app
        .teams
        .wait_for("the ending-soon card in Alice's chat", |c| {
            c.path.contains("a:1on1") && c.body.to_string().contains("end_now")
        })
        .await;
    let card = &warning.body["attachments"][0]["content"];
    assert_eq!(validate(card), Vec::<String>::new(), "{card}");
    assert!(card.to_string().contains("Done already?"), "{card}");
    assert_eq!(teams_app.app.emulator.active_assignments().len(), 1);

    let end = teams_app.invoke(ALICE, "warning", "end_now", json!({"request": id}));
    assert_eq!(teams_app.send(&end).await.status, 200);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !teams_app.app.emulator.active_assignments().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the assignment was not removed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn extend_asks_the_approvers_again_and_the_approved_extension_replaces_the_elevation() {
    let config = format!("[defaults]\nend_warning = \"7198s\"\n{TARGETS_TOML}");
    let app = TestApp::start_with(Tenant::demo(), &config).await;
    let (first, _) = alice_requests(&app).await;
    assert_eq!(app.click("UBOB", "approve", &first).await, 200);
    let warning = app.wait_for_dm("UALICE", "Need longer?").await;
    assert_eq!(warning["blocks"][1]["elements"][0]["action_id"], "extend");

    // Only the requester may extend.
    assert_eq!(app.click("UDAVE", "extend", &first).await, 200);
    app.wait_for_dm("UDAVE", &format!("{first} is not yours"))
        .await;

    assert_eq!(app.click("UALICE", "extend", &first).await, 200);
    let calls = app
        .slack
        .wait_for("the extension's approval message", |calls| {
            calls.iter().any(|c| {
                c.method == "chat.postMessage"
                    && c.body["blocks"].to_string().contains("\"approve\"")
                    && c.body["text"].as_str().is_some_and(|t| !t.contains(&first))
            })
        })
        .await;
    let message = calls
        .iter()
        .rev()
        .find(|c| {
            c.method == "chat.postMessage" && c.body["blocks"].to_string().contains("\"approve\"")
        })
        .expect("approval message");
    let text = message.body.to_string();
    assert!(text.contains(&format!("extends {first}")), "{text}");
    assert_eq!(
        message.body["channel"], "CTEAMFOO",
        "asked where the original was, not in the DM: {text}"
    );
    let second = regex::Regex::new(r"PIM-\d+")
        .expect("regex")
        .find(message.body["text"].as_str().unwrap_or_default())
        .map(|m| m.as_str().to_owned())
        .expect("the extension's id");
    assert_ne!(second, first);
    assert_eq!(
        app.emulator.active_assignments().len(),
        1,
        "nothing changes before approval"
    );

    assert_eq!(app.click("UBOB", "approve", &second).await, 200);
    app.wait_for_dm("UALICE", &format!("ended early by its extension {second}"))
        .await;
    let active = format!("{second}* (app1-secrets (Application Secret Manager on App1)) is active");
    app.wait_for_dm("UALICE", &active).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let posted = app.emulator.schedule_requests();
        let assigns = posted
            .iter()
            .filter(|r| r["action"] == "adminAssign")
            .count();
        let removes = posted
            .iter()
            .filter(|r| r["action"] == "adminRemove")
            .count();
        if assigns == 2 && removes == 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{assigns} assigns, {removes} removes"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        app.emulator.active_assignments().len(),
        1,
        "one assignment: the extension's"
    );
}
