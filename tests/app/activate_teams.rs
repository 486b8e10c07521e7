//! Activate mode on Teams: the sign-in link comes in a 1:1 chat, never in the channel; PIM holds
//! the request for its approver, whose click on the card in the channel gets a link of their own;
//! once they sign in, PIM activates as the requester, who is told in their 1:1 chat.

use pimbot::emulator::{Provider, ServicePrincipal, Tenant};
use reqwest::StatusCode;
use serde_json::json;

use crate::activate::{ALICE, CAROL, CONFIG, PIMBOT_APP, READ_ONLY, sign_in};
use crate::fake_teams::{ConnectorCall, THREAD};
use crate::teams_app::TeamsApp;

const CAROL_USER: (&str, &str, &str) = ("Carol Owner", "29:carol", CAROL);
const ALICE_USER: (&str, &str, &str) = ("Alice Engineer", "29:alice", ALICE);

fn tenant() -> Tenant {
    with_pimbot(Tenant::demo())
}

/// `tenant` with pimbot's app registration, holding read permissions only.
fn with_pimbot(mut tenant: Tenant) -> Tenant {
    tenant.service_principals.push(ServicePrincipal {
        id: "4c7a9d0e-1b2c-4d3e-8f4a-5b6c7d8e9f00".to_owned(),
        app_id: PIMBOT_APP.to_owned(),
        display_name: "pimbot".to_owned(),
        app_roles: READ_ONLY.iter().map(|p| (*p).to_owned()).collect(),
    });
    tenant
}

/// The `state` of a sign-in link in `call`'s text.
fn state_of(call: &ConnectorCall) -> Option<String> {
    let text = call.body["text"].as_str()?;
    let start = text.find("auth/start?state=")? + "auth/start?state=".len();
    Some(
        text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect(),
    )
}

/// The newest sign-in link sent in a 1:1 chat, once there are `nth` in all.
async fn link(teams_app: &TeamsApp, nth: usize) -> String {
    let links = |calls: Vec<ConnectorCall>| -> Vec<String> {
        calls
            .iter()
            .filter(|c| c.path.starts_with("v3/conversations/a:1on1-"))
            .filter_map(state_of)
            .collect()
    };
    for _ in 0..200 {
        let found = links(teams_app.teams.calls());
        if found.len() >= nth {
            return found.last().cloned().unwrap_or_default();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no sign-in link {nth} in a 1:1 chat");
}

/// The whole story in Teams for `target`: Alice signs in from a 1:1 link, asks in the channel,
/// PIM holds it for Carol, whose click on the card gets her own link; once she signs in, PIM
/// activates it as Alice, who is told in her 1:1 chat.
async fn story(tenant: Tenant, config: &str, target: &str, provider: Provider) {
    let teams_app = TeamsApp::start_in(tenant, "", config).await;
    let app = &teams_app.app;
    let answer = teams_app
        .send(&teams_app.channel_message(ALICE_USER, "login"))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let state = link(&teams_app, 1).await;
    assert!(
        !teams_app
            .teams
            .calls()
            .iter()
            .any(|c| c.path.contains(THREAD) && state_of(c).is_some()),
        "no sign-in link is posted in the channel"
    );
    let (status, page) = sign_in(app, &state, ALICE, true).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    teams_app.wait_for_dm("You are signed in").await;

    teams_app
        .send(&teams_app.channel_message(
            ALICE_USER,
            &format!("request {target} for 1h ticket INC-9 cleaning up"),
        ))
        .await;
    let id = teams_app.approval_card_id().await;
    let card = teams_app
        .teams
        .wait_for("the card waiting for PIM", |c| {
            c.path == format!("v3/conversations/{THREAD}/activities")
                && c.body.to_string().contains("waiting for approval in PIM")
        })
        .await;
    let card_id = card.body["id"].as_str().unwrap_or("1").to_owned();
    let click = teams_app
        .send(&teams_app.invoke(CAROL_USER, &card_id, "approve", json!({"request": id})))
        .await;
    assert_eq!(click.status, 200, "{}", click.body);
    let state = link(&teams_app, 2).await;
    let (status, page) = sign_in(app, &state, CAROL, true).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    teams_app.wait_for_dm("PIM recorded your approval").await;
    teams_app.wait_for_dm("active").await;
    assert!(
        app.emulator
            .active_of(provider)
            .iter()
            .any(|a| a.principal_id == ALICE),
        "PIM activated it for Alice"
    );
    assert!(
        !app.emulator
            .calls()
            .iter()
            .any(|c| c.contains("adminAssign") || c.contains("AdminAssign")),
        "pimbot's own identity granted nothing"
    );
    teams_app.app.stop().await;
}

#[tokio::test]
async fn in_teams_pim_activates_an_entra_role_as_the_requester_after_its_approver_signs_in() {
    story(tenant(), CONFIG, "groups-admin", Provider::Role).await;
}

#[tokio::test]
async fn in_teams_pim_activates_a_group_membership_after_its_approver_signs_in() {
    let config = crate::activate_providers::CONFIG;
    let tenant = with_pimbot(crate::activate_providers::tenant_with_approvals());
    story(tenant, config, "kv-readers", Provider::Group).await;
}

#[tokio::test]
async fn in_teams_pim_activates_an_azure_role_after_its_approver_signs_in() {
    let config = crate::activate_providers::CONFIG;
    let tenant = with_pimbot(crate::activate_providers::tenant_with_approvals());
    story(tenant, config, "pim-rg-contributor", Provider::Azure).await;
}
