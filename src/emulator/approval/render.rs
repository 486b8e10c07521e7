//! Approvals as Graph (`steps` in beta, `stages` in v1.0) and ARM (`properties.steps`) show
//! them; `assignedToMe` is computed for the caller.

use serde_json::{Value, json};

use super::{Approval, is_approver};
use crate::emulator::server::iso;
use crate::emulator::state::State;

/// The Graph `approval` entity; `stages_key` is `steps` (beta) or `stages` (v1.0).
pub(crate) fn graph_json(
    state: &State,
    approval: &Approval,
    caller: &str,
    stages_key: &str,
) -> Value {
    let stage = &approval.stage;
    let reviewed_by = stage.reviewed_by.as_deref().map(|id| {
        let user = state.tenant.user(id);
        json!({
            "id": id,
            "displayName": user.map(|u| u.display_name.clone()),
            "userPrincipalName": user.map(|u| u.user_principal_name.clone()),
        })
    });
    json!({
        "id": approval.id,
        stages_key: [{
            "id": stage.id,
            "displayName": null,
            "reviewedBy": reviewed_by,
            "reviewedDateTime": stage.reviewed_at.map(iso),
            "reviewResult": stage.review_result,
            "status": stage.status,
            "assignedToMe": assigned_to(state, approval, caller),
            "justification": stage.justification,
        }],
    })
}

/// Whether the stage waits on the caller: an approver who is not the requester.
fn assigned_to(state: &State, approval: &Approval, caller: &str) -> bool {
    !approval.requester.eq_ignore_ascii_case(caller) && is_approver(state, &approval.stage, caller)
}

/// One ARM approval step resource.
pub(crate) fn arm_step(state: &State, approval: &Approval, caller: &str) -> Value {
    let stage = &approval.stage;
    let reviewed_by = stage.reviewed_by.as_deref().map(|id| {
        let user = state.tenant.user(id);
        json!({
            "principalType": "user",
            "principalId": id,
            "principalName": user.map(|u| u.display_name.clone()),
            "userPrincipalName": user.map(|u| u.user_principal_name.clone()),
        })
    });
    json!({
        "id": format!("/providers/Microsoft.Authorization/roleAssignmentApprovals/{}/steps/{}", approval.id, stage.id),
        "type": "Microsoft.Authorization/roleAssignmentApprovals/steps",
        "name": stage.id,
        "properties": {
            "displayName": null,
            "status": stage.status,
            "assignedToMe": assigned_to(state, approval, caller),
            "reviewedBy": reviewed_by,
            "reviewedDateTime": stage.reviewed_at.map(iso),
            "reviewResult": stage.review_result,
            "justification": stage.justification,
        },
    })
}

/// The ARM `roleAssignmentApproval` resource, its steps under `properties.steps`.
pub(crate) fn arm_json(state: &State, approval: &Approval, caller: &str) -> Value {
    json!({
        "id": format!("/providers/Microsoft.Authorization/roleAssignmentApprovals/{}", approval.id),
        "type": "Microsoft.Authorization/roleAssignmentApprovals",
        "name": approval.id,
        "properties": {"steps": [arm_step(state, approval, caller)]},
    })
}
