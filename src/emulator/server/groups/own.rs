//! PIM for Groups `selfActivate` / `selfDeactivate` of membership or ownership, by the
//! delegated member itself, with the group policy's EndUser rules.

use axum::http::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use super::request_json;
use crate::emulator::Provider;
use crate::emulator::activation::{self, SelfAsk};
use crate::emulator::identity::Caller;
use crate::emulator::odata::GraphError;
use crate::emulator::schedule;
use crate::emulator::state::State;

const SCOPES: [&str; 1] = ["PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup"];

/// Runs a checked `self*` group request (action, access, group and principal validated).
pub(super) fn create(
    state: &mut State,
    body: &Value,
    caller: &Caller,
) -> Result<Value, GraphError> {
    let text = |name: &str| body.get(name).and_then(Value::as_str).unwrap_or_default();
    let action = text("action");
    let user = activation::check_caller(caller, text("principalId"), &SCOPES).map_err(|d| {
        GraphError::new(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            activation::denied_message(d, action, &SCOPES),
        )
    })?;
    let request_id = Uuid::new_v4().to_string();
    let ask = SelfAsk {
        provider: Provider::Group,
        deactivate: action == "selfDeactivate",
        user,
        principal_id: text("principalId"),
        resource: text("accessId"),
        scope: text("groupId"),
        schedule_info: body.get("scheduleInfo"),
        has_justification: schedule::non_empty(body.get("justification")),
        has_ticket: schedule::non_empty(body.get("ticketInfo").and_then(|t| t.get("ticketNumber"))),
        validation_only: false,
        request_id: &request_id,
    };
    let policy = state.group_policy(text("groupId"), text("accessId"));
    let done = activation::execute(state, &ask, &policy)?;
    let created_by = json!({"application": null, "device": null, "user": {"id": user.oid}});
    let mut entity = request_json(body, &done.outcome, created_by, state.now());
    entity["id"] = json!(request_id);
    entity["approvalId"] = json!(done.approval_id);
    entity["targetScheduleId"] = json!(format!(
        "{}_{}_{}",
        text("groupId"),
        text("accessId"),
        done.outcome.schedule_id
    ));
    if done.approval_id.is_some() {
        entity["completedDateTime"] = Value::Null;
    }
    Ok(entity)
}
