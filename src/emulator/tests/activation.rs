//! `selfActivate` / `selfDeactivate` with delegated tokens, PIM's EndUser rules and approvals,
//! for Entra roles, PIM for Groups and ARM.

use chrono::TimeDelta;
use reqwest::Method;

use super::identity::{ARM_SCOPE, GRAPH_SCOPES};
use super::*;
use crate::emulator::ApprovalOverride;

pub(super) const REQUESTS: &str = "/v1.0/roleManagement/directory/roleAssignmentScheduleRequests";
pub(super) const GROUP_REQUESTS: &str =
    "/v1.0/identityGovernance/privilegedAccess/group/assignmentScheduleRequests";
pub(super) const ROLE_APPROVALS: &str = "/beta/roleManagement/directory/roleAssignmentApprovals";
pub(super) const SUB: &str = "/subscriptions/3f1c9a7e-5b2d-4c8e-9f0a-6d4b2e8c1a57";
pub(super) const RG: &str =
    "/subscriptions/3f1c9a7e-5b2d-4c8e-9f0a-6d4b2e8c1a57/resourceGroups/pim-rg";
pub(super) const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";
pub(super) const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
pub(super) const PREVIEW: (&str, &str) = ("api-version", "2021-01-01-preview");
pub(super) const PIM: (&str, &str) = ("api-version", "2020-10-01");

pub(super) fn graph_token(harness: &Harness, user: &str, mfa: bool) -> String {
    let tokens = harness.emulator.sign_in(user, mfa, &[], GRAPH_SCOPES);
    tokens.expect("sign-in").access_token
}

pub(super) fn arm_token(harness: &Harness, user: &str, acrs: &[&str]) -> String {
    let tokens = harness.emulator.sign_in(user, false, acrs, ARM_SCOPE);
    tokens.expect("sign-in").access_token
}

pub(super) fn activate(principal: &str, role: &str, scope: &str, duration: &str) -> Value {
    json!({
        "action": "selfActivate", "principalId": principal, "roleDefinitionId": role,
        "directoryScopeId": scope, "justification": "on call",
        "ticketInfo": {"ticketNumber": "INC-7", "ticketSystem": "ServiceNow"},
        "scheduleInfo": {"expiration": {"type": "afterDuration", "duration": duration}},
    })
}

pub(super) fn deactivate(principal: &str, role: &str, scope: &str) -> Value {
    json!({"action": "selfDeactivate", "principalId": principal, "roleDefinitionId": role, "directoryScopeId": scope})
}

pub(super) fn group_activate(principal: &str, action: &str) -> Value {
    json!({
        "action": action, "accessId": "member", "groupId": KEYVAULT_GROUP, "principalId": principal,
        "justification": "reading secrets",
        "scheduleInfo": {"expiration": {"type": "afterDuration", "duration": "PT1H"}},
    })
}

pub(super) fn arm_request(principal: &str, role: &str, kind: &str) -> Value {
    json!({"properties": {
        "principalId": principal, "requestType": kind, "justification": "deploying",
        "roleDefinitionId": format!("{SUB}/providers/Microsoft.Authorization/roleDefinitions/{role}"),
        "scheduleInfo": {"expiration": {"type": "AfterDuration", "duration": "PT1H"}},
    }})
}

pub(super) fn arm_path(scope: &str, name: &str) -> String {
    format!("{scope}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/{name}")
}

pub(super) fn new_name() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub(super) fn approval_by(user: &str) -> ApprovalOverride {
    ApprovalOverride {
        is_approval_required: Some(true),
        primary_approvers: Some(vec![
            json!({"@odata.type": "#microsoft.graph.singleUser", "userId": user}),
        ]),
        approval_stage_time_out_in_days: Some(1),
        is_approver_justification_required: Some(true),
    }
}

#[tokio::test]
async fn self_activate_with_an_app_only_token_or_for_someone_else_is_refused_everywhere() {
    let harness = start().await;
    let body = activate(FRANK, SECURITY_READER, "/", "PT1H");
    let app = harness.post_request(&body).await;
    assert_eq!(app.status, StatusCode::FORBIDDEN);
    assert_eq!(app.error_code(), "Authorization_RequestDenied");
    let group = harness
        .send(
            Method::POST,
            GROUP_REQUESTS,
            &[],
            &group_activate(ALICE, "selfActivate"),
        )
        .await;
    assert_eq!(group.status, StatusCode::FORBIDDEN);
    let arm = harness
        .send(
            Method::PUT,
            &arm_path(RG, &new_name()),
            &[PIM],
            &arm_request(ALICE, CONTRIBUTOR, "SelfActivate"),
        )
        .await;
    assert_eq!(arm.status, StatusCode::FORBIDDEN);
    assert_eq!(arm.error_code(), "AuthorizationFailed");
    assert!(
        arm.error_message()
            .contains("does not have permissions for this request")
    );
    let alice = graph_token(&harness, ALICE, true);
    let other = harness
        .send_as(&alice, Method::POST, REQUESTS, &[], Some(&body))
        .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN, "{}", other.body);
    assert!(harness.emulator.active_assignments().is_empty());
}

#[tokio::test]
async fn the_mfa_rule_reads_amr_and_an_activation_is_listed_as_activated() {
    let harness = start().await;
    let body = activate(FRANK, SECURITY_READER, "/", "PT1H");
    let weak = graph_token(&harness, FRANK, false);
    let refused = harness
        .send_as(&weak, Method::POST, REQUESTS, &[], Some(&body))
        .await;
    assert_eq!(
        refused.error_code(),
        "RoleAssignmentRequestPolicyValidationFailed"
    );
    assert!(
        refused.error_message().contains("MfaRule"),
        "{}",
        refused.body
    );
    let strong = graph_token(&harness, FRANK, true);
    let done = harness
        .send_as(&strong, Method::POST, REQUESTS, &[], Some(&body))
        .await;
    assert_eq!(done.status, StatusCode::CREATED, "{}", done.body);
    assert_eq!(done.body["status"], "Provisioned");
    assert_eq!(done.body["createdBy"]["user"]["id"], FRANK);
    let filter = format!("principalId eq '{FRANK}'");
    let listed = harness
        .get(
            "/v1.0/roleManagement/directory/roleAssignmentScheduleInstances",
            &[("$filter", &filter)],
        )
        .await;
    assert_eq!(listed.body["value"][0]["assignmentType"], "Activated");
    let twice = harness
        .send_as(&strong, Method::POST, REQUESTS, &[], Some(&body))
        .await;
    assert_eq!(twice.error_code(), "RoleAssignmentExists");
}

#[tokio::test]
async fn eligibility_through_a_role_assignable_group_and_the_expiration_rule_are_enforced() {
    let harness = start().await;
    let scope = format!("/{APP1}");
    let alice = graph_token(&harness, ALICE, false);
    let long = harness
        .send_as(
            &alice,
            Method::POST,
            REQUESTS,
            &[],
            Some(&activate(ALICE, SECRET_MANAGER, &scope, "PT3H")),
        )
        .await;
    assert!(
        long.error_message().contains("ExpirationRule"),
        "{}",
        long.body
    );
    let mut bare = activate(ALICE, SECRET_MANAGER, &scope, "PT1H");
    bare.as_object_mut().map(|b| b.remove("ticketInfo"));
    let no_ticket = harness
        .send_as(&alice, Method::POST, REQUESTS, &[], Some(&bare))
        .await;
    assert!(
        no_ticket.error_message().contains("TicketingRule"),
        "{}",
        no_ticket.body
    );
    let ok = harness
        .send_as(
            &alice,
            Method::POST,
            REQUESTS,
            &[],
            Some(&activate(ALICE, SECRET_MANAGER, &scope, "PT1H")),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    let dave = graph_token(&harness, DAVE, true);
    let not_eligible = harness
        .send_as(
            &dave,
            Method::POST,
            REQUESTS,
            &[],
            Some(&activate(DAVE, SECRET_MANAGER, &scope, "PT1H")),
        )
        .await;
    assert!(
        not_eligible.error_message().contains("EligibilityRule"),
        "{}",
        not_eligible.body
    );
}

#[tokio::test]
async fn self_deactivate_needs_five_minutes_of_activation_and_an_activation_to_end() {
    let harness = start().await;
    let token = graph_token(&harness, FRANK, true);
    let on = activate(FRANK, SECURITY_READER, "/", "PT1H");
    let off = deactivate(FRANK, SECURITY_READER, "/");
    let none = harness
        .send_as(&token, Method::POST, REQUESTS, &[], Some(&off))
        .await;
    assert_eq!(none.error_code(), "RoleAssignmentDoesNotExist");
    let started = harness
        .send_as(&token, Method::POST, REQUESTS, &[], Some(&on))
        .await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.body);
    let early = harness
        .send_as(&token, Method::POST, REQUESTS, &[], Some(&off))
        .await;
    assert_eq!(early.error_code(), "ActiveDurationTooShort");
    harness.emulator.advance_clock(TimeDelta::minutes(6));
    let ended = harness
        .send_as(&token, Method::POST, REQUESTS, &[], Some(&off))
        .await;
    assert_eq!(ended.status, StatusCode::CREATED, "{}", ended.body);
    assert_eq!(ended.body["status"], "Revoked");
    assert!(harness.emulator.active_assignments().is_empty());
}
