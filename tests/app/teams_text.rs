//! Untrusted text in Teams messages: whatever a person types (Teams sends `&` as `&amp;`) is
//! carried out once, and a delivery the Bot Framework repeats is carried out once, never lost.

use serde_json::json;

use crate::fake_teams::{self, ALICE, THREAD};
use crate::story::TARGETS_TOML;
use crate::teams_app::TeamsApp;

/// A POST the way the Bot Framework makes it: a dropped connection is an answer too (it retries).
async fn deliver(app: &TeamsApp, activity: &serde_json::Value) -> Option<u16> {
    let token = fake_teams::sign(
        &fake_teams::claims(&app.teams.service_url()),
        fake_teams::KID,
    );
    reqwest::Client::new()
        .post(format!("{}/api/messages", app.app.base_url))
        .bearer_auth(token)
        .json(activity)
        .send()
        .await
        .ok()
        .map(|response| response.status().as_u16())
}

#[tokio::test]
async fn an_entity_before_an_emoji_is_read_and_a_repeated_delivery_is_carried_out_once() {
    let app = TeamsApp::start(TARGETS_TOML).await;
    let mut activity = app.channel_message(
        ALICE,
        "request app1-secrets for 1h ticket INC-7 R&amp;D 🔥 rotating the cert",
    );
    activity["id"] = json!("f:entity-emoji");
    let first = deliver(&app, &activity).await;
    let repeat = deliver(&app, &activity).await;
    assert_eq!((first, repeat), (Some(200), Some(200)));
    let card = app
        .teams
        .wait_for("the approval card", |c| {
            c.path == format!("v3/conversations/{THREAD}/activities")
                && c.body.to_string().contains("elevation request")
        })
        .await;
    assert!(card.body.to_string().contains("R&D 🔥"), "{}", card.body);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let receipts = app
        .teams
        .calls()
        .iter()
        .filter(|c| c.body.to_string().contains("Checking your eligibility"))
        .count();
    let cards = app
        .teams
        .calls()
        .iter()
        .filter(|c| c.method == "POST" && c.body.to_string().contains("elevation request"))
        .count();
    assert_eq!((receipts, cards), (1, 1), "one receipt and one card");
    let requests = app.app.store.requests_of(ALICE.2, 10).await.expect("read");
    assert_eq!(requests.len(), 1, "one request");
}
