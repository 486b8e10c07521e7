//! The whole Slack story for PIM for Groups: eligible membership of "KeyVault Readers", approved
//! by the group's owner, granted with `adminAssign`, ended early with `adminRemove`.

use pimbot::emulator::{Provider, Tenant};

use crate::elevation::{active_minutes, end_early, request_and_approve};
use crate::harness::TestApp;
use crate::schema::Schemas;

const KEYVAULT_READERS: &str = "77561494-d5f8-4fa2-9fdc-9ef12506179c";
const ALICE: &str = "90ea226b-db03-48c5-a5c4-7d42c40e0145";

#[tokio::test]
async fn group_membership_is_requested_approved_by_the_owner_granted_and_ended_early() {
    let app = TestApp::start_with(Tenant::demo(), "").await;
    let elevated = request_and_approve(
        &app,
        "UALICE",
        r#"request group:"KeyVault Readers" for 2h reading the rotation runbook secrets"#,
        "UBOB",
        Provider::Group,
    )
    .await;
    assert!(
        elevated.message.contains("<@UBOB>"),
        "the group's owner approves: {}",
        elevated.message
    );
    assert!(
        elevated.message.contains("KeyVault Readers"),
        "{}",
        elevated.message
    );

    let body = &elevated.body;
    let errors = Schemas::graph().validate(
        "microsoft.graph.privilegedAccessGroupAssignmentScheduleRequest",
        body,
    );
    assert!(
        errors.is_empty(),
        "body violates the Graph schema: {errors:?}\n{body}"
    );
    assert_eq!(body["action"], "adminAssign");
    assert_eq!(body["accessId"], "member");
    assert_eq!(body["groupId"], KEYVAULT_READERS);
    assert_eq!(body["principalId"], ALICE);
    assert_eq!(body["scheduleInfo"]["expiration"]["duration"], "PT2H");
    assert!(
        body["justification"]
            .as_str()
            .is_some_and(|j| j.contains(&elevated.id) && j.contains("Bob Owner")),
        "{body}"
    );
    assert_eq!(active_minutes(&app, Provider::Group), Some(120));

    let removal = end_early(&app, "UALICE", &elevated.id, Provider::Group).await;
    let errors = Schemas::graph().validate(
        "microsoft.graph.privilegedAccessGroupAssignmentScheduleRequest",
        &removal,
    );
    assert!(errors.is_empty(), "{errors:?}\n{removal}");
    assert_eq!(removal["action"], "adminRemove");
    assert_eq!(removal["groupId"], KEYVAULT_READERS);
    app.stop().await;
}

#[tokio::test]
async fn group_ownership_without_an_eligibility_is_refused() {
    let app = TestApp::start_with(Tenant::demo(), "").await;
    let (status, _) = app
        .slash(
            "UALICE",
            r#"request group:"KeyVault Readers"/owner for 1h why not"#,
        )
        .await;
    assert_eq!(status, 200);
    app.wait_for_response("UALICE", "not eligible for ownership of KeyVault Readers")
        .await;
    assert!(app.emulator.requests_of(Provider::Group).is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_duration_over_the_group_policy_maximum_is_refused_naming_it() {
    let app = TestApp::start_with(Tenant::demo(), "").await;
    app.slash(
        "UALICE",
        r#"request group:"KeyVault Readers" for 6h long job"#,
    )
    .await;
    app.wait_for_response("UALICE", "maximum of 4h").await;
    assert!(app.emulator.requests_of(Provider::Group).is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_group_whose_policy_requires_mfa_is_refused_with_the_reason() {
    let mut tenant = Tenant::demo();
    for policy in &mut tenant.group_policies {
        policy.rules.Enablement_EndUser_Assignment = Some(pimbot::emulator::EnablementOverride {
            enabled_rules: vec!["MultiFactorAuthentication".into(), "Justification".into()],
        });
    }
    let app = TestApp::start_with(tenant, "").await;
    app.slash(
        "UALICE",
        r#"request group:"KeyVault Readers" for 1h reading"#,
    )
    .await;
    app.wait_for_response("UALICE", "multi-factor").await;
    assert!(app.emulator.requests_of(Provider::Group).is_empty());
    app.stop().await;
}
