//! `roleManagement/directory/roleEligibilityScheduleRequests` and PIM for Groups'
//! `eligibilityScheduleRequests`: `adminAssign` / `adminRemove` of an eligibility.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{Value, json};
use uuid::Uuid;

use super::roles::iso;
use super::writes::object_body;
use crate::emulator::eligibility::{EligibilityAsk, execute};
use crate::emulator::odata::GraphError;
use crate::emulator::schedule::non_empty;
use crate::emulator::{Emulator, Provider};

fn required<'a>(
    body: &'a serde_json::Map<String, Value>,
    key: &str,
) -> Result<&'a str, GraphError> {
    body.get(key)
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            GraphError::bad_request(format!(
                "The request is missing the required property '{key}'."
            ))
        })
}

pub(super) async fn create_role_request(
    State(emulator): State<Emulator>,
    body: Bytes,
) -> Result<Response, GraphError> {
    let body = object_body(&body)?;
    let action = required(&body, "action")?;
    let principal_id = required(&body, "principalId")?;
    let role = required(&body, "roleDefinitionId")?;
    let scope = required(&body, "directoryScopeId")?;
    let mut state = emulator.lock();
    if state.tenant.role(role).is_none() {
        return Err(GraphError::not_found(role));
    }
    if !state.tenant.scope_exists(scope) {
        return Err(GraphError::bad_request(format!(
            "The directoryScopeId '{scope}' is not a valid directory scope."
        )));
    }
    let null = Value::Null;
    let done = execute(
        &mut state,
        &EligibilityAsk {
            provider: Provider::Role,
            action,
            principal_id,
            role,
            scope,
            schedule_info: body.get("scheduleInfo").unwrap_or(&null),
            has_justification: non_empty(body.get("justification")),
            has_ticket: non_empty(body.get("ticketInfo").and_then(|t| t.get("ticketNumber"))),
        },
    )?;
    let answer = json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#roleManagement/directory/roleEligibilityScheduleRequests/$entity",
        "id": Uuid::new_v4().to_string(),
        "status": if action.eq_ignore_ascii_case("adminRemove") { "Revoked" } else { "Provisioned" },
        "action": action,
        "principalId": principal_id,
        "roleDefinitionId": role,
        "directoryScopeId": scope,
        "appScopeId": null,
        "targetScheduleId": done["id"],
        "justification": body.get("justification"),
        "scheduleInfo": done["info"],
        "createdDateTime": iso(Utc::now()),
    });
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

pub(super) async fn create_group_request(
    State(emulator): State<Emulator>,
    body: Bytes,
) -> Result<Response, GraphError> {
    let body = object_body(&body)?;
    let action = required(&body, "action")?;
    let principal_id = required(&body, "principalId")?;
    let group_id = required(&body, "groupId")?;
    let access = required(&body, "accessId")?;
    if access != "member" && access != "owner" {
        return Err(GraphError::bad_request(format!(
            "Requested value '{access}' was not found for 'accessId'; use member or owner."
        )));
    }
    let mut state = emulator.lock();
    if state.tenant.group(group_id).is_none() {
        return Err(GraphError::not_found(group_id));
    }
    let null = Value::Null;
    let done = execute(
        &mut state,
        &EligibilityAsk {
            provider: Provider::Group,
            action,
            principal_id,
            role: access,
            scope: group_id,
            schedule_info: body.get("scheduleInfo").unwrap_or(&null),
            has_justification: non_empty(body.get("justification")),
            has_ticket: non_empty(body.get("ticketInfo").and_then(|t| t.get("ticketNumber"))),
        },
    )?;
    let answer = json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#identityGovernance/privilegedAccess/group/eligibilityScheduleRequests/$entity",
        "id": Uuid::new_v4().to_string(),
        "status": if action.eq_ignore_ascii_case("adminRemove") { "Revoked" } else { "Provisioned" },
        "action": action,
        "accessId": access,
        "groupId": group_id,
        "principalId": principal_id,
        "targetScheduleId": done["id"],
        "justification": body.get("justification"),
        "scheduleInfo": done["info"],
        "createdDateTime": iso(Utc::now()),
    });
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}
