//! The request form offers each configured target under its name, with its own limits, however
//! the target was written, and a submission meets the target's rules: the Slack modal and the
//! Teams card.

use serde_json::{Value, json};

use super::{APP1_APP_ID, CONTRIBUTOR, Chat, On, STRICT, assert_strict_request};
use crate::azure_story::RESOURCE_GROUP;
use crate::fake_teams::{ALICE, THREAD};
use crate::harness::text_input;

/// Every way at once: App1's scope as its appId, App2's as its object id without `/`, member and
/// owner of one group, and an Azure role by bare GUID. The strict targets carry [`STRICT`].
fn every_way() -> String {
    format!(
        r#"
[[targets]]
name = "app1-secrets"
kind = "role"
role = "Application Secret Manager"
scope = "{APP1_APP_ID}"
{STRICT}

[[targets]]
name = "app2-secrets"
kind = "role"
role = "Application Secret Manager"
scope = "{APP2}"
{STRICT}

[[targets]]
name = "kv-members"
kind = "group"
group = "KeyVault Readers"

[[targets]]
name = "kv-owners"
kind = "group"
group = "KeyVault Readers"
access = "owner"
{STRICT}

[[targets]]
name = "pim-rg-contributor"
kind = "azure"
role = "{CONTRIBUTOR}"
scope = "{RESOURCE_GROUP}"
{STRICT}
"#,
        APP2 = super::APP2,
    )
}

const STRICT_NAMES: [&str; 4] = [
    "app1-secrets",
    "app2-secrets",
    "kv-owners",
    "pim-rg-contributor",
];

#[tokio::test]
async fn the_slack_form_offers_every_configured_target_by_name_with_its_own_limits() {
    let chat = Chat::start(On::Slack, &every_way()).await;
    let app = chat.app();
    let (status, _) = app.slash("UALICE", "request").await;
    assert_eq!(status, 200);
    let update = crate::forms::filled_form(app).await;
    let view = update["view"].clone();
    let metadata: Value =
        serde_json::from_str(view["private_metadata"].as_str().unwrap_or_default())
            .expect("the form's metadata");
    let offered = |key: &str| {
        metadata["t"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|t| t["k"] == key)
            .cloned()
    };
    for name in STRICT_NAMES {
        let limits = offered(name).unwrap_or_else(|| panic!("{name} is offered: {metadata}"));
        assert_eq!(limits["m"], 60, "{name}'s max_duration: {limits}");
        assert_eq!(limits["t"], true, "{name} requires a ticket: {limits}");
    }
    let lenient = offered("kv-members").unwrap_or_else(|| panic!("kv-members: {metadata}"));
    assert_eq!(
        lenient["m"], 240,
        "membership keeps PIM's 4 hours: {lenient}"
    );

    let submit = |target: &str, duration: &str| {
        json!({
            "target": { "target": { "type": "static_select", "selected_option": { "value": target } } },
            "duration": { "duration": text_input(duration) },
            "ticket": { "ticket": text_input("SEC-1") },
            "justification": { "justification": text_input("rotating the secret") }
        })
    };
    let view_id = update["view_id"].as_str().unwrap_or("V0000").to_owned();
    let too_long = app
        .submit_view("UALICE", &view_id, &view, submit("app2-secrets", "2h"))
        .await;
    assert_eq!(too_long["response_action"], "errors", "{too_long}");
    assert!(
        too_long["errors"]["duration"].to_string().contains("1h"),
        "{too_long}"
    );
    let accepted = app
        .submit_view("UALICE", &view_id, &view, submit("app2-secrets", "1h"))
        .await;
    assert_eq!(accepted["response_action"], "clear", "{accepted}");
    crate::story::approval_message(app).await;
    assert_strict_request(app, "app2-secrets").await;
    chat.stop().await;
}

#[tokio::test]
async fn the_teams_form_offers_every_configured_target_by_name_with_its_own_limits() {
    let chat = Chat::start(On::Teams, &every_way()).await;
    let Chat::Teams(teams) = &chat else {
        unreachable!("started on Teams")
    };
    let answer = teams.send(&teams.channel_message(ALICE, "request")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let form = teams
        .teams
        .wait_for("the request form", |c| {
            c.method == "POST"
                && c.path == format!("v3/conversations/{THREAD}/activities")
                && c.body.to_string().contains("Input.ChoiceSet")
        })
        .await;
    let choices = form.body["attachments"][0]["content"]["body"][1]["choices"].clone();
    let title = |key: &str| {
        choices
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["value"] == key)
            .and_then(|c| c["title"].as_str())
            .map(str::to_owned)
    };
    for name in STRICT_NAMES {
        let title = title(name).unwrap_or_else(|| panic!("{name} is offered: {choices}"));
        assert!(
            title.contains("up to 1h") && title.contains("ticket required"),
            "{name}'s own limits: {title}"
        );
    }
    let inputs = json!({"target": "kv-owners", "duration": "1h", "ticket": "SEC-1",
                        "justification": "rotating the secret"});
    let submitted = teams
        .send(&teams.invoke(ALICE, "form-1", "request", inputs))
        .await;
    assert_eq!(submitted.status, 200, "{}", submitted.body);
    teams
        .teams
        .wait_for("the approval card", |c| {
            c.body.to_string().contains("elevation request")
        })
        .await;
    assert_strict_request(chat.app(), "kv-owners").await;
    chat.stop().await;
}
