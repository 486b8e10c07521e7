//! Approvals in activate mode: a pending activation decided with the approver's own token,
//! refusals of the requester and of a second decision, and requests made outside pimbot found
//! by the app-only reads.

use super::*;
use crate::pim::approval::{ALREADY_DECIDED, NO_SUCH_APPROVAL, NOT_AN_APPROVER};

/// Activates pending approval, has the requester and then `approver` decide, and follows the
/// request's status until Provisioned.
async fn approve_pending(
    setup: &Setup,
    target: &ResolvedTarget,
    api: DelegatedApi,
    approver: &str,
) {
    let alice = setup.token(ALICE, false, &[], api);
    let grant = grant(ALICE, 20);
    let pending = setup
        .pim
        .self_activate(target, &grant, &alice)
        .await
        .expect("sent");
    assert!(pending.is_pending_approval(), "{pending:?}");
    let approval = pending.approval_id.clone().expect("an approval id");
    let id = &pending.receipt.pim_request_id;
    let status = setup.pim.request_status(target, id).await.expect("status");
    let status = status.expect("the request exists");
    assert_eq!(status.status, "PendingApproval");
    assert_eq!(status.approval_id.as_deref(), Some(approval.as_str()));

    let own = setup
        .pim
        .decide_approval(target, &approval, true, "mine", &alice)
        .await
        .expect_err("no self-approval");
    assert_eq!(own.kind, UpstreamErrorKind::Rejected);
    assert_eq!(own.user_message(), NOT_AN_APPROVER);

    let approver = setup.token(approver, false, &[], api);
    setup
        .pim
        .decide_approval(target, &approval, true, "looks right", &approver)
        .await
        .expect("approved");
    let status = setup.pim.request_status(target, id).await.expect("status");
    assert_eq!(status.map(|s| s.status).as_deref(), Some("Provisioned"));

    let again = setup
        .pim
        .decide_approval(target, &approval, false, "changed my mind", &approver)
        .await
        .expect_err("decided already");
    assert_eq!(again.kind, UpstreamErrorKind::Rejected);
    assert_eq!(again.user_message(), ALREADY_DECIDED);

    let unknown = setup
        .pim
        .decide_approval(
            target,
            "3b0e3c9e-0000-4000-8000-000000000000",
            true,
            "?",
            &approver,
        )
        .await
        .expect_err("unknown");
    assert_eq!(unknown.user_message(), NO_SUCH_APPROVAL, "{unknown:?}");
}

#[tokio::test]
async fn an_entra_role_activation_waits_for_and_gets_the_approvers_decision() {
    let setup = Setup::start().await;
    approve_pending(
        &setup,
        &entra_role(GROUPS_ADMIN),
        DelegatedApi::Graph,
        CAROL,
    )
    .await;
}

#[tokio::test]
async fn a_group_activation_waits_for_and_gets_the_approvers_decision() {
    let setup = Setup::start().await;
    let target = keyvault_members();
    setup.require_approval(&target, BOB);
    approve_pending(&setup, &target, DelegatedApi::Graph, BOB).await;
}

#[tokio::test]
async fn an_azure_activation_waits_for_and_gets_the_approvers_decision() {
    let setup = Setup::start().await;
    let target = azure_role(RG, CONTRIBUTOR);
    setup.require_approval(&target, CAROL);
    approve_pending(&setup, &target, DelegatedApi::Arm, CAROL).await;
}

#[tokio::test]
async fn an_unknown_request_has_no_status() {
    let setup = Setup::start().await;
    let unknown = "0f8fad5b-d9cb-469f-a165-70867728950e";
    for target in [
        entra_role(GROUPS_ADMIN),
        keyvault_members(),
        azure_role(RG, CONTRIBUTOR),
    ] {
        let status = setup.pim.request_status(&target, unknown).await;
        assert_eq!(status.expect("read"), None, "{target:?}");
    }
}

#[tokio::test]
async fn requests_made_in_the_portal_are_listed_as_pending_with_their_approval() {
    let setup = Setup::start().await;
    let role = entra_role(GROUPS_ADMIN);
    assert!(
        setup
            .pim
            .pending_activations(&role)
            .await
            .expect("none yet")
            .is_empty()
    );
    let alice = setup.token(ALICE, false, &[], DelegatedApi::Graph);
    let body = serde_json::json!({
        "action": "selfActivate", "principalId": ALICE, "roleDefinitionId": GROUPS_ADMIN,
        "directoryScopeId": "/", "justification": "from the portal",
        "scheduleInfo": {"expiration": {"type": "afterDuration", "duration": "PT2H"}},
    });
    let made = setup
        .send_as(
            &alice,
            reqwest::Method::POST,
            "/v1.0/roleManagement/directory/roleAssignmentScheduleRequests",
            &body,
        )
        .await;
    let listed = setup.pim.pending_activations(&role).await.expect("listed");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].pim_request_id, made["id"].as_str().expect("id"));
    assert_eq!(
        Some(listed[0].approval_id.as_str()),
        made["approvalId"].as_str()
    );
    assert_eq!(listed[0].principal_id, ALICE);
    assert_eq!(listed[0].justification.as_deref(), Some("from the portal"));
    assert_eq!(listed[0].duration.as_deref(), Some("PT2H"));

    let azure = azure_role(RG, CONTRIBUTOR);
    setup.require_approval(&azure, CAROL);
    let arm = setup.token(ALICE, false, &[], DelegatedApi::Arm);
    let name = "6c6f3c1e-3f7e-4b8e-9d41-6a1f2b3c4d5e";
    let body = serde_json::json!({"properties": {
        "principalId": ALICE, "requestType": "SelfActivate", "justification": "from the CLI",
        "roleDefinitionId": format!("{SUB}/providers/Microsoft.Authorization/roleDefinitions/{CONTRIBUTOR}"),
        "scheduleInfo": {"expiration": {"type": "AfterDuration", "duration": "PT1H"}},
    }});
    let path =
        format!("{RG}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/{name}");
    let made = setup
        .send_as(&arm, reqwest::Method::PUT, &path, &body)
        .await;
    let listed = setup.pim.pending_activations(&azure).await.expect("listed");
    assert_eq!(listed.len(), 1, "{listed:?} after {made}");
    assert_eq!(listed[0].pim_request_id, name);
    assert_eq!(
        Some(listed[0].approval_id.as_str()),
        made["properties"]["approvalId"].as_str()
    );
    assert!(
        setup
            .pim
            .pending_activations(&keyvault_members())
            .await
            .expect("groups")
            .is_empty()
    );
}
