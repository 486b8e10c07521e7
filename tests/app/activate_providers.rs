//! Activate mode for PIM for Groups and Azure roles on Slack: PIM requires approval, the approver
//! signs in from the card and approves, PIM activates as the requester; `end` is the requester's
//! own `selfDeactivate`; an authentication context is met by a second sign-in.

use pimbot::emulator::{Provider, Tenant};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::activate::{ALICE, CAROL, FRANK, log_in, request_id, sign_in, sign_in_link, start_in};
use crate::harness::TestApp;

const KEYVAULT_READERS: &str = "77561494-d5f8-4fa2-9fdc-9ef12506179c";

pub(crate) const CONFIG: &str = r#"
[auth]
token_keys = ["k2:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="]

[[targets]]
name = "kv-readers"
kind = "group"
group = "KeyVault Readers"
access = "member"
mode = "activate"

[[targets]]
name = "pim-rg-contributor"
kind = "azure"
role = "Contributor"
scope = "/subscriptions/3f1c9a7e-5b2d-4c8e-9f0a-6d4b2e8c1a57/resourceGroups/pim-rg"
mode = "activate"

[[targets]]
name = "sub-reader"
kind = "azure"
role = "Reader"
scope = "/subscriptions/3f1c9a7e-5b2d-4c8e-9f0a-6d4b2e8c1a57"
mode = "activate"
"#;

/// The demo tenant with PIM approval by Carol on the group's membership and on Contributor.
pub(crate) fn tenant_with_approvals() -> Tenant {
    let mut tenant: Value =
        serde_json::from_str(include_str!("../../src/emulator/demo_tenant.json")).expect("json");
    let approval = json!({ "isApprovalRequired": true, "primaryApprovers": [
        { "@odata.type": "#microsoft.graph.singleUser", "userId": CAROL }
    ] });
    let approve = |policies: &mut Value, matches: &dyn Fn(&Value) -> bool| {
        for policy in policies.as_array_mut().into_iter().flatten() {
            if matches(policy) {
                policy["rules"]["Approval_EndUser_Assignment"] = approval.clone();
            }
        }
    };
    approve(&mut tenant["groupPolicies"], &|p| {
        p["groupId"] == KEYVAULT_READERS
    });
    approve(&mut tenant["azure"]["policies"], &|p| {
        p["roleDefinitionId"] == "b24988ac-6180-42a0-ab88-20f7382dd24c"
    });
    Tenant::from_json(&tenant.to_string()).expect("tenant")
}

/// Alice asks for `target`; PIM holds it for Carol, who signs in from the card and approves.
async fn approved_by_carol(app: &TestApp, target: &str, provider: Provider) -> String {
    log_in(app, "UALICE", ALICE, true).await;
    app.slash(
        "UALICE",
        &format!("request {target} for 1h fixing the rotation"),
    )
    .await;
    let reply = app.wait_for_response("UALICE", "goes to PIM as you").await;
    let id = request_id(&reply);
    app.slack
        .wait_for("the approval card", |calls| {
            calls.iter().any(|c| {
                c.method == "chat.postMessage"
                    && c.body.to_string().contains("waiting for approval in PIM")
            })
        })
        .await;
    assert!(app.emulator.active_of(provider).is_empty(), "PIM waits");
    assert_eq!(app.click("UCAROL", "approve", &id).await, 200);
    let state = sign_in_link(app, "UCAROL", 1).await;
    let (status, page) = sign_in(app, &state, CAROL, true).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    app.wait_for_dm("UCAROL", "PIM recorded your approval")
        .await;
    app.wait_for_dm("UALICE", "active").await;
    assert!(
        app.emulator
            .active_of(provider)
            .iter()
            .any(|a| a.principal_id == ALICE),
        "PIM activated it for Alice"
    );
    id
}

#[tokio::test]
async fn a_group_membership_is_approved_in_pim_from_the_card_and_ended_by_the_requesters_own_sign_in()
 {
    let app = start_in(tenant_with_approvals(), CONFIG).await;
    let id = approved_by_carol(&app, "kv-readers", Provider::Group).await;
    let sent = app.emulator.requests_of(Provider::Group);
    assert!(
        sent.iter()
            .any(|r| r["action"] == "selfActivate" && r["principalId"] == ALICE),
        "{sent:?}"
    );
    // PIM refuses to end an activation in its first five minutes.
    app.emulator.advance_clock(chrono::TimeDelta::minutes(6));
    app.slash("UALICE", &format!("end {id}")).await;
    app.wait_for_dm("UALICE", "ended").await;
    let sent = app.emulator.requests_of(Provider::Group);
    assert!(
        sent.iter()
            .any(|r| r["action"] == "selfDeactivate" && r["principalId"] == ALICE),
        "{sent:?}"
    );
    assert!(app.emulator.active_of(Provider::Group).is_empty());
    app.stop().await;
}

#[tokio::test]
async fn an_azure_role_is_approved_in_pim_from_the_card_and_activated_as_the_requester() {
    let app = start_in(tenant_with_approvals(), CONFIG).await;
    approved_by_carol(&app, "pim-rg-contributor", Provider::Azure).await;
    let sent = app.emulator.requests_of(Provider::Azure);
    assert!(
        sent.iter()
            .any(|r| r["properties"]["requestType"] == "SelfActivate"),
        "{sent:?}"
    );
    assert!(
        !sent
            .iter()
            .any(|r| r["properties"]["requestType"] == "AdminAssign"),
        "pimbot's own identity granted nothing"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_authentication_context_is_met_by_signing_in_again_with_pims_claims_challenge() {
    let app = start_in(tenant_with_approvals(), CONFIG).await;
    log_in(&app, "UFRANK", FRANK, true).await;
    app.slash(
        "UFRANK",
        "request sub-reader for 1h reading the cost reports",
    )
    .await;
    app.wait_for_response("UFRANK", "goes to PIM as you").await;
    app.wait_for_dm("UFRANK", "stronger sign-in").await;
    let state = sign_in_link(&app, "UFRANK", 2).await;
    let (status, page) = sign_in(&app, &state, FRANK, true).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    app.wait_for_dm("UFRANK", "active").await;
    assert!(
        app.emulator
            .active_of(Provider::Azure)
            .iter()
            .any(|a| a.principal_id == FRANK)
    );
    app.stop().await;
}
