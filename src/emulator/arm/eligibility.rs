//! `PUT {scope}/providers/Microsoft.Authorization/roleEligibilityScheduleRequests/{name}`:
//! `AdminAssign` / `AdminRemove` of an Azure role eligibility, with PIM's checks (shared with
//! Graph) and ARM's error shapes.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::resources::role_definition_id;
use super::writes::request_properties;
use super::{ArmError, Call, PROVIDER};
use crate::emulator::Provider;
use crate::emulator::eligibility::{EligibilityAsk, execute};
use crate::emulator::schedule::non_empty;
use crate::emulator::server::iso;
use crate::emulator::state::State;

pub(super) fn put_request(state: &mut State, call: &Call, name: &str) -> Result<Value, ArmError> {
    let bad =
        |message: String| ArmError::new(StatusCode::BAD_REQUEST, "InvalidRequestContent", message);
    let body: Value = serde_json::from_slice(&call.body)
        .map_err(|e| bad(format!("The request content was invalid: {e}")))?;
    let properties = request_properties(&body, name)?;
    let text = |key: &str| {
        properties
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    let role = text("roleDefinitionId");
    let Some(definition) = state.tenant.azure.role(role) else {
        return Err(ArmError::new(
            StatusCode::BAD_REQUEST,
            "RoleDefinitionDoesNotExist",
            format!("The specified role definition with ID '{role}' does not exist."),
        ));
    };
    let guid = definition.id.clone();
    let request_type = text("requestType");
    let action = match request_type.to_ascii_lowercase().as_str() {
        "adminassign" => "adminAssign",
        "adminremove" => "adminRemove",
        _ => {
            return Err(bad(format!(
                "The requestType '{request_type}' is not supported here; use AdminAssign or AdminRemove."
            )));
        }
    };
    let null = Value::Null;
    let done = execute(
        state,
        &EligibilityAsk {
            provider: Provider::Azure,
            action,
            principal_id: text("principalId"),
            role: &guid,
            scope: &call.scope,
            schedule_info: properties.get("scheduleInfo").unwrap_or(&null),
            has_justification: non_empty(properties.get("justification")),
            has_ticket: non_empty(
                properties
                    .get("ticketInfo")
                    .and_then(|t| t.get("ticketNumber")),
            ),
        },
    )
    .map_err(ArmError::from_pim)?;
    Ok(json!({
        "id": format!("{}{PROVIDER}roleEligibilityScheduleRequests/{name}", call.scope),
        "name": name,
        "type": "Microsoft.Authorization/RoleEligibilityScheduleRequests",
        "properties": {
            "scope": call.scope,
            "roleDefinitionId": role_definition_id(&call.scope, &guid),
            "principalId": text("principalId"),
            "requestType": request_type,
            "status": if action == "adminRemove" { "Revoked" } else { "Provisioned" },
            "targetRoleEligibilityScheduleId": done["id"],
            "scheduleInfo": properties.get("scheduleInfo"),
            "justification": properties.get("justification"),
            "createdOn": iso(chrono::Utc::now()),
        },
    }))
}
