//! `roleAssignmentScheduleRequests/{name}`: PUT (`AdminAssign` / `AdminRemove`, executed with the
//! same PIM semantics as Graph) and GET by the client-chosen name.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::own;
use super::resources::role_definition_id;
use super::{ArmError, Call, PROVIDER};
use crate::emulator::Provider;
use crate::emulator::activation::{self, SelfAsk};
use crate::emulator::schedule::{self, Ask};
use crate::emulator::server::{iso, record};
use crate::emulator::state::State;

const REQUEST_TYPES: [&str; 9] = [
    "AdminAssign",
    "AdminRemove",
    "AdminUpdate",
    "AdminExtend",
    "AdminRenew",
    "SelfActivate",
    "SelfDeactivate",
    "SelfExtend",
    "SelfRenew",
];

pub(super) fn get_request(state: &State, name: &str) -> Result<Value, ArmError> {
    state
        .arm_requests
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
        .ok_or_else(|| {
            ArmError::new(
                StatusCode::NOT_FOUND,
                "RoleAssignmentScheduleRequestNotFound",
                format!("The role assignment schedule request '{name}' does not exist."),
            )
        })
}

/// The `properties` of a schedule request named `name` (a GUID), with the keys every request
/// needs (`principalId`, `roleDefinitionId`, `requestType`).
pub(super) fn request_properties<'a>(body: &'a Value, name: &str) -> Result<&'a Value, ArmError> {
    let bad =
        |message: String| ArmError::new(StatusCode::BAD_REQUEST, "InvalidRequestContent", message);
    if uuid::Uuid::parse_str(name).is_err() {
        return Err(bad(format!("The request name '{name}' must be a GUID.")));
    }
    let properties = body
        .get("properties")
        .filter(|p| p.is_object())
        .ok_or_else(|| bad("The 'properties' object is required.".to_owned()))?;
    for key in ["principalId", "roleDefinitionId", "requestType"] {
        if properties
            .get(key)
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            return Err(bad(format!("The '{key}' property is required.")));
        }
    }
    Ok(properties)
}

pub(super) fn put_request(state: &mut State, call: &Call, name: &str) -> Result<Value, ArmError> {
    let parsed = record(state, Provider::Azure, &call.body);
    let bad =
        |message: String| ArmError::new(StatusCode::BAD_REQUEST, "InvalidRequestContent", message);
    let body = parsed.map_err(|e| bad(format!("The request content was invalid: {e}")))?;
    let properties = request_properties(&body, name)?;
    let text = |key: &str| {
        properties
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    let request_type = REQUEST_TYPES
        .into_iter()
        .find(|t| t.eq_ignore_ascii_case(text("requestType")))
        .ok_or_else(|| bad(format!("Unknown requestType '{}'.", text("requestType"))))?;
    let mode = match request_type {
        "AdminAssign" => Mode::Admin { remove: false },
        "AdminRemove" => Mode::Admin { remove: true },
        t if t.starts_with("Self") && call.caller.user().is_none() => {
            return Err(ArmError::new(
                StatusCode::FORBIDDEN,
                "AuthorizationFailed",
                format!(
                    "The requestor '{}' does not have permissions for this request: {t} acts for the caller only.",
                    call.client_id
                ),
            ));
        }
        "SelfActivate" => Mode::Own { deactivate: false },
        "SelfDeactivate" => Mode::Own { deactivate: true },
        t => {
            return Err(bad(format!(
                "The emulator does not support requestType '{t}'."
            )));
        }
    };
    let role_id = text("roleDefinitionId");
    let Some(role) = state.tenant.azure.role(role_id) else {
        return Err(ArmError::new(
            StatusCode::BAD_REQUEST,
            "RoleDefinitionDoesNotExist",
            format!("The specified role definition with ID '{role_id}' does not exist."),
        ));
    };
    let role_guid = role.id.clone();
    let full_role_id = role_definition_id(&call.scope, &role_guid);
    if state.tenant.principal_kind(text("principalId")).is_none() {
        return Err(ArmError::new(
            StatusCode::BAD_REQUEST,
            "PrincipalNotFound",
            format!(
                "Principal {} does not exist in the directory.",
                text("principalId")
            ),
        ));
    }
    let has_justification = schedule::non_empty(properties.get("justification"));
    let has_ticket = schedule::non_empty(
        properties
            .get("ticketInfo")
            .and_then(|t| t.get("ticketNumber")),
    );
    let policy = state.azure_policy(&call.scope, &role_guid);
    let (outcome, approval_id, requestor) = match mode {
        Mode::Admin { remove } => {
            let ask = Ask {
                provider: Provider::Azure,
                remove,
                principal_id: text("principalId"),
                resource: &full_role_id,
                scope: Some(&call.scope),
                app_scope: None,
                schedule_info: properties.get("scheduleInfo"),
                has_justification,
                has_ticket,
                validation_only: false,
                request_id: name,
            };
            let outcome = schedule::execute(state, &ask, &policy).map_err(ArmError::from_pim)?;
            (outcome, None, call.client_id.clone())
        }
        Mode::Own { deactivate } => {
            let user = own::caller(call, text("principalId"))?;
            let ask = SelfAsk {
                provider: Provider::Azure,
                deactivate,
                user,
                principal_id: text("principalId"),
                resource: &full_role_id,
                scope: &call.scope,
                schedule_info: properties.get("scheduleInfo"),
                has_justification,
                has_ticket,
                validation_only: false,
                request_id: name,
            };
            let done = activation::execute(state, &ask, &policy).map_err(ArmError::from_pim)?;
            (done.outcome, done.approval_id, user.oid.clone())
        }
    };
    let now = state.now();
    let schedule = &outcome.schedule;
    let entity = json!({
        "id": format!("{}{PROVIDER}roleAssignmentScheduleRequests/{name}", call.scope),
        "name": name,
        "type": "Microsoft.Authorization/RoleAssignmentScheduleRequests",
        "properties": {
            "targetRoleAssignmentScheduleId": outcome.schedule_id,
            "targetRoleAssignmentScheduleInstanceId": null,
            "scope": call.scope,
            "roleDefinitionId": full_role_id,
            "principalId": text("principalId"),
            "principalType": "User",
            "requestType": request_type,
            "status": outcome.status,
            "approvalId": approval_id,
            "scheduleInfo": {
                "startDateTime": iso(schedule.start),
                "expiration": {
                    "type": pascal(schedule.kind),
                    "endDateTime": schedule.end.map(iso),
                    "duration": schedule.duration,
                },
            },
            "ticketInfo": schedule::ticket_json(properties.get("ticketInfo")),
            "justification": properties.get("justification").cloned().unwrap_or(Value::Null),
            "requestorId": requestor,
            "createdOn": iso(now),
        },
    });
    state
        .arm_requests
        .retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    state.arm_requests.push((name.to_owned(), entity.clone()));
    Ok(entity)
}

/// Who acts: an admin on someone's assignment, or a principal on its own.
#[derive(Debug, Clone, Copy)]
enum Mode {
    Admin { remove: bool },
    Own { deactivate: bool },
}

/// ARM spells the expiration types `AfterDuration`, Graph `afterDuration`.
fn pascal(kind: &str) -> String {
    let mut chars = kind.chars();
    chars
        .next()
        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}
