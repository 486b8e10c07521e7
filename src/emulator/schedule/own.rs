//! An Entra role's `selfActivate` / `selfDeactivate`: the delegated caller's own request, with
//! PIM's EndUser rules, answered as a `unifiedRoleAssignmentScheduleRequest`.

use axum::http::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Target, finish, non_empty};
use crate::emulator::Provider;
use crate::emulator::activation::{self, Denied, SelfAsk};
use crate::emulator::identity::Caller;
use crate::emulator::odata::GraphError;
use crate::emulator::state::State;

/// Delegated permissions that allow writing role assignment schedules.
const SCOPES: [&str; 2] = [
    "RoleAssignmentSchedule.ReadWrite.Directory",
    "RoleManagement.ReadWrite.Directory",
];

/// Graph's 403 for a caller that may not send this `self*` request.
pub(super) fn refusal(denied: Denied, action: &str) -> GraphError {
    GraphError::new(
        StatusCode::FORBIDDEN,
        "Authorization_RequestDenied",
        activation::denied_message(denied, action, &SCOPES),
    )
}

pub(super) fn create(
    state: &mut State,
    body: &Value,
    target: &Target,
    caller: &Caller,
) -> Result<Value, GraphError> {
    let user = activation::check_caller(caller, &target.principal_id, &SCOPES)
        .map_err(|d| refusal(d, target.action))?;
    let deactivate = match target.action {
        "selfActivate" => false,
        "selfDeactivate" => true,
        other => {
            return Err(GraphError::new(
                StatusCode::BAD_REQUEST,
                "InvalidRequest",
                format!("The action '{other}' is not supported by the emulator."),
            ));
        }
    };
    let Some(scope) = target.directory_scope_id.as_deref() else {
        return Err(GraphError::bad_request(
            "The emulator supports selfActivate at a directoryScopeId only.",
        ));
    };
    let request_id = Uuid::new_v4().to_string();
    let validation_only = body
        .get("isValidationOnly")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let ask = SelfAsk {
        provider: Provider::Role,
        deactivate,
        user,
        principal_id: &target.principal_id,
        resource: &target.role_definition_id,
        scope,
        schedule_info: body.get("scheduleInfo"),
        has_justification: non_empty(body.get("justification")),
        has_ticket: non_empty(body.get("ticketInfo").and_then(|t| t.get("ticketNumber"))),
        validation_only,
        request_id: &request_id,
    };
    let policy = state.policy(&target.role_definition_id);
    let done = activation::execute(state, &ask, &policy)?;
    let display_name = state.tenant.user(&user.oid).map(|u| u.display_name.clone());
    let created_by = json!({
        "application": null,
        "device": null,
        "user": {"displayName": display_name, "id": user.oid},
    });
    let now = state.now();
    let mut entity = finish(body, target, &done.outcome, &request_id, created_by, now);
    entity["approvalId"] = json!(done.approval_id);
    if done.approval_id.is_some() {
        entity["completedDateTime"] = Value::Null;
    }
    if !validation_only {
        state.requests.push(entity.clone());
    }
    Ok(entity)
}
