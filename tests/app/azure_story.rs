//! The whole Slack story for an Azure resource role: Contributor on the `pim-rg` resource group,
//! approved by the configured approver, granted with an ARM `AdminAssign` under a request name
//! derived from pimbot's request, ended early with `AdminRemove`.

use pimbot::emulator::{Provider, Tenant};

use crate::elevation::{active_minutes, end_early, request_and_approve};
use crate::harness::TestApp;
use crate::schema::Schemas;

pub(crate) const SUBSCRIPTION: &str = "/subscriptions/3f1c9a7e-5b2d-4c8e-9f0a-6d4b2e8c1a57";
pub(crate) const RESOURCE_GROUP: &str =
    "/subscriptions/3f1c9a7e-5b2d-4c8e-9f0a-6d4b2e8c1a57/resourceGroups/pim-rg";
const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";
const ALICE: &str = "90ea226b-db03-48c5-a5c4-7d42c40e0145";

/// `arm_scopes` for the `[azure]` section.
pub(crate) fn azure_toml() -> String {
    format!("arm_scopes = [\"{SUBSCRIPTION}\"]")
}

/// The configured Azure target, approved by Carol.
pub(crate) fn targets_toml() -> String {
    format!(
        r#"
[[targets]]
name = "pim-rg-contributor"
kind = "azure"
role = "Contributor"
scope = "{RESOURCE_GROUP}"
approvers = ["user:8767515c-c303-466f-9b40-98e9a042f5b1"]
"#
    )
}

#[tokio::test]
async fn an_azure_role_is_requested_approved_granted_through_arm_and_ended_early() {
    let app = TestApp::start_with_azure(Tenant::demo(), &azure_toml(), &targets_toml()).await;
    let elevated = request_and_approve(
        &app,
        "UALICE",
        "request pim-rg-contributor for 2h deploying the hotfix",
        "UCAROL",
        Provider::Azure,
    )
    .await;
    assert!(
        elevated.message.contains("<@UCAROL>"),
        "{}",
        elevated.message
    );
    assert!(elevated.message.contains("pim-rg"), "{}", elevated.message);

    let body = &elevated.body;
    let schemas = Schemas::arm();
    let errors = schemas.validate("RoleAssignmentScheduleRequest", body);
    assert!(
        errors.is_empty(),
        "body violates the ARM schema: {errors:?}\n{body}"
    );
    let properties = &body["properties"];
    assert_eq!(properties["requestType"], "AdminAssign");
    assert_eq!(properties["principalId"], ALICE);
    assert!(
        properties["roleDefinitionId"]
            .as_str()
            .is_some_and(|id| id.ends_with(&format!("/roleDefinitions/{CONTRIBUTOR}"))),
        "{properties}"
    );
    assert_eq!(
        properties["scheduleInfo"]["expiration"]["type"],
        "AfterDuration"
    );
    assert_eq!(properties["scheduleInfo"]["expiration"]["duration"], "PT2H");
    assert_eq!(active_minutes(&app, Provider::Azure), Some(120));
    let active = app.emulator.active_of(Provider::Azure);
    assert_eq!(active[0].directory_scope_id, RESOURCE_GROUP);

    let removal = end_early(&app, "UALICE", &elevated.id, Provider::Azure).await;
    let errors = schemas.validate("RoleAssignmentScheduleRequest", &removal);
    assert!(errors.is_empty(), "{errors:?}\n{removal}");
    assert_eq!(removal["properties"]["requestType"], "AdminRemove");
    app.stop().await;
}

#[tokio::test]
async fn the_typed_azure_form_resolves_and_list_shows_the_azure_eligibility() {
    let app = TestApp::start_with_azure(Tenant::demo(), &azure_toml(), &targets_toml()).await;
    app.slash("UALICE", "list").await;
    let listed = app
        .wait_for_response("UALICE", "pim-rg-contributor")
        .await
        .to_string();
    assert!(
        listed.contains("KeyVault Readers"),
        "groups are listed too: {listed}"
    );
    app.slash(
        "UALICE",
        &format!("request azure:Reader@{RESOURCE_GROUP} for 1h look around"),
    )
    .await;
    app.wait_for_response("UALICE", "not eligible for Reader on resource group pim-rg")
        .await;
    assert!(app.emulator.requests_of(Provider::Azure).is_empty());
    app.stop().await;
}

#[tokio::test]
async fn an_azure_role_whose_policy_needs_an_authentication_context_is_refused_and_audited() {
    let mut tenant = Tenant::demo();
    for policy in &mut tenant.azure.policies {
        policy.rules.AuthenticationContext_EndUser_Assignment =
            Some(pimbot::emulator::AuthContextOverride {
                is_enabled: true,
                claim_value: Some("c1".into()),
            });
    }
    let app = TestApp::start_with_azure(tenant, &azure_toml(), &targets_toml()).await;
    app.slash("UALICE", "request pim-rg-contributor for 1h deploying")
        .await;
    app.wait_for_response("UALICE", "authentication context `c1`")
        .await;
    assert!(app.emulator.requests_of(Provider::Azure).is_empty());
    let events = app.store.audit_events(0, 100).await.expect("store answers");
    assert!(
        events
            .iter()
            .any(|e| e.canonical.contains("request.refused")
                && e.canonical.contains("requires_authentication_context")),
        "the refusal is audited"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_azure_role_with_nobody_to_approve_is_refused_naming_what_to_configure() {
    // No target approvers, no PIM approvers, no group to take owners from, no defaults.
    let app = TestApp::start_with_azure(Tenant::demo(), &azure_toml(), "").await;
    app.slash(
        "UALICE",
        &format!("request azure:Contributor@{RESOURCE_GROUP} for 1h deploying"),
    )
    .await;
    app.wait_for_response("UALICE", "configure `approvers`")
        .await;
    assert!(app.emulator.requests_of(Provider::Azure).is_empty());
    app.stop().await;
}
