//! `/providers/Microsoft.Authorization/roleAssignmentApprovals` (api-version
//! `2021-01-01-preview`): list (`asApprover()`, `asCreatedBy()`, `asTarget()`), get, the
//! `steps` and one step, and the decision (`PATCH`/`PUT …/steps/{stepId}`; `stages` is accepted
//! as the examples' spelling). Delegated approvers only.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{ArmError, Call};
use crate::emulator::Provider;
use crate::emulator::approval::{self, arm_json, arm_step};
use crate::emulator::identity::Delegated;
use crate::emulator::odata::GraphError;
use crate::emulator::state::State;

/// The api-version approvals exist in.
pub(super) const API_VERSION: &str = "2021-01-01-preview";

fn arm(error: GraphError) -> ArmError {
    let code = match error.status {
        StatusCode::NOT_FOUND => "RoleAssignmentApprovalNotFound",
        StatusCode::FORBIDDEN => "AuthorizationFailed",
        StatusCode::CONFLICT => "Conflict",
        _ => "InvalidRequestContent",
    };
    ArmError::new(error.status, code, error.message)
}

fn user(call: &Call) -> Result<&Delegated, ArmError> {
    call.caller.user().ok_or_else(|| {
        ArmError::new(
            StatusCode::FORBIDDEN,
            "AuthorizationFailed",
            format!(
                "The client '{}' does not have permissions for this request: approvals are decided with the approver's own (delegated) token.",
                call.client_id
            ),
        )
    })
}

/// `{id}`, `{id}/steps` or `{id}/steps/{stepId}` (or `stages`).
fn split(rest: &str) -> (&str, Option<Option<&str>>) {
    let mut parts = rest.splitn(3, '/');
    let id = parts.next().unwrap_or_default();
    match parts.next() {
        Some(seg) if seg.eq_ignore_ascii_case("steps") || seg.eq_ignore_ascii_case("stages") => {
            (id, Some(parts.next()))
        }
        _ => (id, None),
    }
}

pub(super) fn list(state: &State, call: &Call) -> Result<Value, ArmError> {
    let me = user(call)?;
    let filter = call.param("$filter").unwrap_or("asApprover()").trim();
    let keep = |a: &approval::Approval| match filter {
        "asApprover()" => {
            a.stage.status == "InProgress" && approval::is_approver(state, &a.stage, &me.oid)
        }
        "asCreatedBy()" => a.requester.eq_ignore_ascii_case(&me.oid),
        "asTarget()" => a.activation.principal_id.eq_ignore_ascii_case(&me.oid),
        _ => false,
    };
    if !["asApprover()", "asCreatedBy()", "asTarget()"].contains(&filter) {
        return Err(ArmError::new(
            StatusCode::BAD_REQUEST,
            "InvalidFilter",
            format!("The filter '{filter}' is not valid."),
        ));
    }
    let items = state
        .approvals
        .iter()
        .filter(|a| a.provider == Provider::Azure && keep(a))
        .map(|a| arm_json(state, a, &me.oid))
        .collect();
    super::filter::page(call, items)
}

pub(super) fn get(state: &State, call: &Call, rest: &str) -> Result<Value, ArmError> {
    let me = user(call)?;
    let (id, steps) = split(rest);
    let found = approval::visible(state, Provider::Azure, id, me).map_err(arm)?;
    match steps {
        None => Ok(arm_json(state, found, &me.oid)),
        Some(None) => Ok(json!({"value": [arm_step(state, found, &me.oid)]})),
        Some(Some(step)) if step.eq_ignore_ascii_case(&found.stage.id) => {
            Ok(arm_step(state, found, &me.oid))
        }
        Some(Some(step)) => Err(arm(GraphError::not_found(step))),
    }
}

pub(super) fn decide(state: &mut State, call: &Call, rest: &str) -> Result<Value, ArmError> {
    let me = user(call)?.clone();
    let (id, Some(Some(step))) = split(rest) else {
        return Err(ArmError::new(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
            "Decide on one step: PATCH …/roleAssignmentApprovals/{id}/steps/{stepId}.",
        ));
    };
    let body: Value = serde_json::from_slice(&call.body).unwrap_or(Value::Null);
    let properties = body.get("properties").unwrap_or(&body);
    let result = properties["reviewResult"].as_str().unwrap_or_default();
    let justification = properties["justification"].as_str();
    approval::decide(state, Provider::Azure, id, step, &me, result, justification).map_err(arm)?;
    let found = approval::visible(state, Provider::Azure, id, &me).map_err(arm)?;
    Ok(arm_step(state, found, &me.oid))
}
