//! PIM approvals over HTTP: Entra roles (beta `steps`), groups (v1.0 `stages`) and ARM
//! (`2021-01-01-preview`), with the decision rules, deny, cancel and timeout, and the ARM
//! authentication-context challenge.

use chrono::TimeDelta;
use reqwest::Method;

use super::activation::*;
use super::*;
use crate::emulator::Provider;

#[tokio::test]
async fn a_role_approval_is_decided_once_by_an_approver_who_is_not_the_requester() {
    let harness = start().await;
    let alice = graph_token(&harness, ALICE, false);
    let body = activate(ALICE, GROUPS_ADMIN, "/", "PT2H");
    let pending = harness
        .send_as(&alice, Method::POST, REQUESTS, &[], Some(&body))
        .await;
    assert_eq!(pending.status, StatusCode::CREATED, "{}", pending.body);
    assert_eq!(pending.body["status"], "PendingApproval");
    assert!(harness.emulator.active_assignments().is_empty());
    let request_id = pending.body["id"].as_str().expect("id").to_owned();
    let approval_id = pending.body["approvalId"]
        .as_str()
        .expect("approvalId")
        .to_owned();
    let listed = harness
        .get(
            REQUESTS,
            &[(
                "$filter",
                &format!("status eq 'PendingApproval' and roleDefinitionId eq '{GROUPS_ADMIN}'"),
            )],
        )
        .await;
    assert_eq!(ids(&listed.body), vec![request_id.clone()]);
    let carol = graph_token(&harness, CAROL, false);
    let mine = harness
        .send_as(
            &carol,
            Method::GET,
            &format!("{REQUESTS}/filterByCurrentUser(on='approver')"),
            &[],
            None,
        )
        .await;
    assert_eq!(ids(&mine.body), vec![request_id.clone()], "{}", mine.body);
    let approval_path = format!("{ROLE_APPROVALS}/{approval_id}");
    let read = harness
        .send_as(&carol, Method::GET, &approval_path, &[], None)
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    let step = &read.body["steps"][0];
    assert_eq!(step["assignedToMe"], true);
    assert_eq!(step["status"], "InProgress");
    assert_eq!(step["reviewResult"], "NotReviewed");
    let step_path = format!(
        "{approval_path}/steps/{}",
        step["id"].as_str().expect("step")
    );
    let approve = json!({"reviewResult": "Approve", "justification": "fine"});
    let own = harness
        .send_as(&alice, Method::PATCH, &step_path, &[], Some(&approve))
        .await;
    assert_eq!(own.status, StatusCode::FORBIDDEN, "no self-approval");
    let dave = graph_token(&harness, DAVE, false);
    let outsider = harness
        .send_as(&dave, Method::PATCH, &step_path, &[], Some(&approve))
        .await;
    assert_eq!(outsider.status, StatusCode::FORBIDDEN);
    let app = harness.send(Method::PATCH, &step_path, &[], &approve).await;
    assert_eq!(app.status, StatusCode::FORBIDDEN);
    let bare = json!({"reviewResult": "Approve"});
    let unjustified = harness
        .send_as(&carol, Method::PATCH, &step_path, &[], Some(&bare))
        .await;
    assert_eq!(unjustified.status, StatusCode::BAD_REQUEST);
    let unknown = harness
        .send_as(
            &carol,
            Method::GET,
            &format!("{ROLE_APPROVALS}/{}", new_name()),
            &[],
            None,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let decided = harness
        .send_as(&carol, Method::PATCH, &step_path, &[], Some(&approve))
        .await;
    assert_eq!(decided.status, StatusCode::NO_CONTENT, "{}", decided.body);
    let request = harness.get(&format!("{REQUESTS}/{request_id}"), &[]).await;
    assert_eq!(request.body["status"], "Provisioned");
    assert_eq!(harness.emulator.active_assignments().len(), 1);
    let again = harness
        .send_as(&carol, Method::PATCH, &step_path, &[], Some(&approve))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_role_request_can_be_denied_canceled_while_pending_or_time_out() {
    let harness = start().await;
    let alice = graph_token(&harness, ALICE, false);
    let carol = graph_token(&harness, CAROL, false);
    let body = activate(ALICE, GROUPS_ADMIN, "/", "PT2H");
    let first = harness
        .send_as(&alice, Method::POST, REQUESTS, &[], Some(&body))
        .await;
    let approval = harness.emulator.approvals().pop().expect("an approval");
    let step_path = format!(
        "{ROLE_APPROVALS}/{}/steps/{}",
        approval.id, approval.stage_id
    );
    let deny = json!({"reviewResult": "Deny", "justification": "not today"});
    let denied = harness
        .send_as(&carol, Method::PATCH, &step_path, &[], Some(&deny))
        .await;
    assert_eq!(denied.status, StatusCode::NO_CONTENT);
    let first_id = first.body["id"].as_str().expect("id");
    let status = harness.get(&format!("{REQUESTS}/{first_id}"), &[]).await;
    assert_eq!(status.body["status"], "Denied");
    assert!(harness.emulator.active_assignments().is_empty());

    let second = harness
        .send_as(&alice, Method::POST, REQUESTS, &[], Some(&body))
        .await;
    let cancel = format!(
        "{REQUESTS}/{}/cancel",
        second.body["id"].as_str().expect("id")
    );
    let canceled = harness
        .send_as(&alice, Method::POST, &cancel, &[], None)
        .await;
    assert_eq!(canceled.status, StatusCode::NO_CONTENT, "{}", canceled.body);
    let twice = harness
        .send_as(&alice, Method::POST, &cancel, &[], None)
        .await;
    assert_eq!(twice.status, StatusCode::BAD_REQUEST);

    let third = harness
        .send_as(&alice, Method::POST, REQUESTS, &[], Some(&body))
        .await;
    harness.emulator.advance_clock(TimeDelta::days(2));
    let third_id = third.body["id"].as_str().expect("id");
    let fresh = graph_token(&harness, ALICE, false);
    let timed_out = harness
        .send_as(
            &fresh,
            Method::GET,
            &format!("{REQUESTS}/{third_id}"),
            &[],
            None,
        )
        .await;
    assert_eq!(timed_out.body["status"], "TimedOut");
    let last = harness.emulator.approvals().pop().expect("approval");
    assert_eq!(last.status, "Expired");
}

#[tokio::test]
async fn a_group_membership_is_activated_directly_or_after_the_owners_approval() {
    let harness = start().await;
    let alice = graph_token(&harness, ALICE, false);
    let on = group_activate(ALICE, "selfActivate");
    let done = harness
        .send_as(&alice, Method::POST, GROUP_REQUESTS, &[], Some(&on))
        .await;
    assert_eq!(done.status, StatusCode::CREATED, "{}", done.body);
    assert_eq!(done.body["status"], "Provisioned");
    assert_eq!(harness.emulator.active_of(Provider::Group).len(), 1);
    harness.emulator.advance_clock(TimeDelta::minutes(6));
    let off = group_activate(ALICE, "selfDeactivate");
    let ended = harness
        .send_as(&alice, Method::POST, GROUP_REQUESTS, &[], Some(&off))
        .await;
    assert_eq!(ended.body["status"], "Revoked", "{}", ended.body);

    harness.emulator.edit_tenant(|t| {
        if let Some(policy) = t
            .group_policies
            .iter_mut()
            .find(|p| p.group_id == KEYVAULT_GROUP)
        {
            policy.rules.Approval_EndUser_Assignment = Some(approval_by(BOB));
        }
    });
    let pending = harness
        .send_as(&alice, Method::POST, GROUP_REQUESTS, &[], Some(&on))
        .await;
    assert_eq!(
        pending.body["status"], "PendingApproval",
        "{}",
        pending.body
    );
    let approval_id = pending.body["approvalId"].as_str().expect("approvalId");
    assert_eq!(pending.body["id"], approval_id);
    let bob = graph_token(&harness, BOB, false);
    let path = format!(
        "/v1.0/identityGovernance/privilegedAccess/group/assignmentApprovals/{approval_id}"
    );
    let read = harness.send_as(&bob, Method::GET, &path, &[], None).await;
    let stage = read.body["stages"][0]["id"]
        .as_str()
        .expect("stage")
        .to_owned();
    let approve = json!({"reviewResult": "Approve", "justification": "ok"});
    let decided = harness
        .send_as(
            &bob,
            Method::PATCH,
            &format!("{path}/stages/{stage}"),
            &[],
            Some(&approve),
        )
        .await;
    assert_eq!(decided.status, StatusCode::NO_CONTENT, "{}", decided.body);
    let request = harness
        .get(&format!("{GROUP_REQUESTS}/{approval_id}"), &[])
        .await;
    assert_eq!(request.body["status"], "Provisioned");
    assert_eq!(harness.emulator.active_of(Provider::Group).len(), 1);
}

#[tokio::test]
async fn arm_asks_for_the_authentication_context_with_a_claims_challenge() {
    let harness = start().await;
    let body = arm_request(FRANK, READER, "SelfActivate");
    let plain = arm_token(&harness, FRANK, &[]);
    let challenged = harness
        .send_as(
            &plain,
            Method::PUT,
            &arm_path(SUB, &new_name()),
            &[PIM],
            Some(&body),
        )
        .await;
    assert_eq!(challenged.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        challenged.error_code(),
        "RoleAssignmentRequestAcrsValidationFailed"
    );
    let message = challenged.error_message();
    let encoded = message
        .strip_prefix("&claims=")
        .expect("a claims challenge");
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(&format!("claims={encoded}")).expect("encoded");
    let challenge: Value = serde_json::from_str(&pairs[0].1).expect("json");
    assert_eq!(
        challenge,
        json!({"access_token": {"acrs": {"essential": true, "value": "c1"}}})
    );
    let stepped_up = arm_token(&harness, FRANK, &["c1"]);
    let done = harness
        .send_as(
            &stepped_up,
            Method::PUT,
            &arm_path(SUB, &new_name()),
            &[PIM],
            Some(&body),
        )
        .await;
    assert_eq!(done.status, StatusCode::CREATED, "{}", done.body);
    assert_eq!(done.body["properties"]["status"], "Provisioned");
    let graph = graph_token(&harness, FRANK, true);
    let wrong_audience = harness
        .send_as(
            &graph,
            Method::PUT,
            &arm_path(SUB, &new_name()),
            &[PIM],
            Some(&body),
        )
        .await;
    assert_eq!(wrong_audience.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_arm_activation_waits_for_approval_and_deactivates_after_five_minutes() {
    let harness = start().await;
    harness.emulator.edit_tenant(|t| {
        let policy = t.azure.policies.iter_mut().find(|p| p.scope == RG);
        if let Some(policy) = policy {
            policy.rules.Approval_EndUser_Assignment = Some(approval_by(CAROL));
        }
    });
    let alice = arm_token(&harness, ALICE, &[]);
    let name = new_name();
    let body = arm_request(ALICE, CONTRIBUTOR, "SelfActivate");
    let pending = harness
        .send_as(
            &alice,
            Method::PUT,
            &arm_path(RG, &name),
            &[PIM],
            Some(&body),
        )
        .await;
    assert_eq!(
        pending.body["properties"]["status"], "PendingApproval",
        "{}",
        pending.body
    );
    let approval_id = pending.body["properties"]["approvalId"]
        .as_str()
        .expect("approvalId");
    let listed = harness
        .send_as(
            &alice,
            Method::GET,
            &arm_path(RG, ""),
            &[PIM, ("$filter", "atScope()")],
            None,
        )
        .await;
    assert_eq!(
        listed.body["value"][0]["properties"]["status"], "PendingApproval",
        "{}",
        listed.body
    );
    let carol = arm_token(&harness, CAROL, &[]);
    let approval =
        format!("/providers/Microsoft.Authorization/roleAssignmentApprovals/{approval_id}");
    let read = harness
        .send_as(&carol, Method::GET, &approval, &[PREVIEW], None)
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    let step = read.body["properties"]["steps"][0]["name"]
        .as_str()
        .expect("step")
        .to_owned();
    assert_eq!(
        read.body["properties"]["steps"][0]["properties"]["assignedToMe"],
        true
    );
    let decision = json!({"properties": {"reviewResult": "Approve", "justification": "ok"}});
    let own = harness
        .send_as(
            &alice,
            Method::PATCH,
            &format!("{approval}/steps/{step}"),
            &[PREVIEW],
            Some(&decision),
        )
        .await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);
    let approved = harness
        .send_as(
            &carol,
            Method::PATCH,
            &format!("{approval}/stages/{step}"),
            &[PREVIEW],
            Some(&decision),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    assert_eq!(approved.body["properties"]["reviewResult"], "Approve");
    let request = harness
        .send_as(&alice, Method::GET, &arm_path(RG, &name), &[PIM], None)
        .await;
    assert_eq!(request.body["properties"]["status"], "Provisioned");
    let off = arm_request(ALICE, CONTRIBUTOR, "SelfDeactivate");
    let early = harness
        .send_as(
            &alice,
            Method::PUT,
            &arm_path(RG, &new_name()),
            &[PIM],
            Some(&off),
        )
        .await;
    assert_eq!(early.error_code(), "ActiveDurationTooShort");
    harness.emulator.advance_clock(TimeDelta::minutes(6));
    let ended = harness
        .send_as(
            &alice,
            Method::PUT,
            &arm_path(RG, &new_name()),
            &[PIM],
            Some(&off),
        )
        .await;
    assert_eq!(
        ended.body["properties"]["status"], "Revoked",
        "{}",
        ended.body
    );
    assert!(harness.emulator.active_of(Provider::Azure).is_empty());
}
