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

/// Carries out the request and answers 201 with the request entity: `fields` (what names the
/// target) plus what every eligibility request carries.
fn answer(
    emulator: &Emulator,
    body: &serde_json::Map<String, Value>,
    ask: EligibilityAsk<'_>,
    entity_set: &str,
    fields: Value,
) -> Result<Response, GraphError> {
    let done = execute(&mut emulator.lock(), &ask)?;
    let mut answer = json!({
        "@odata.context": format!("https://graph.microsoft.com/v1.0/$metadata#{entity_set}/$entity"),
        "id": Uuid::new_v4().to_string(),
        "status": if ask.action.eq_ignore_ascii_case("adminRemove") { "Revoked" } else { "Provisioned" },
        "action": ask.action,
        "principalId": ask.principal_id,
        "targetScheduleId": done["id"],
        "justification": body.get("justification"),
        "scheduleInfo": done["info"],
        "createdDateTime": iso(Utc::now()),
    });
    if let (Some(answer), Value::Object(fields)) = (answer.as_object_mut(), fields) {
        answer.extend(fields);
    }
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

fn ask<'a>(
    body: &'a serde_json::Map<String, Value>,
    provider: Provider,
    (action, principal_id): (&'a str, &'a str),
    (role, scope): (&'a str, &'a str),
) -> EligibilityAsk<'a> {
    const NULL: &Value = &Value::Null;
    EligibilityAsk {
        provider,
        action,
        principal_id,
        role,
        scope,
        schedule_info: body.get("scheduleInfo").unwrap_or(NULL),
        has_justification: non_empty(body.get("justification")),
        has_ticket: non_empty(body.get("ticketInfo").and_then(|t| t.get("ticketNumber"))),
    }
}

pub(super) async fn create_role_request(
    State(emulator): State<Emulator>,
    body: Bytes,
) -> Result<Response, GraphError> {
    let body = object_body(&body)?;
    let who = (required(&body, "action")?, required(&body, "principalId")?);
    let role = required(&body, "roleDefinitionId")?;
    let scope = required(&body, "directoryScopeId")?;
    {
        let state = emulator.lock();
        if state.tenant.role(role).is_none() {
            return Err(GraphError::not_found(role));
        }
        if !state.tenant.scope_exists(scope) {
            return Err(GraphError::bad_request(format!(
                "The directoryScopeId '{scope}' is not a valid directory scope."
            )));
        }
    }
    let fields = json!({"roleDefinitionId": role, "directoryScopeId": scope, "appScopeId": null});
    let ask = ask(&body, Provider::Role, who, (role, scope));
    answer(
        &emulator,
        &body,
        ask,
        "roleManagement/directory/roleEligibilityScheduleRequests",
        fields,
    )
}

pub(super) async fn create_group_request(
    State(emulator): State<Emulator>,
    body: Bytes,
) -> Result<Response, GraphError> {
    let body = object_body(&body)?;
    let who = (required(&body, "action")?, required(&body, "principalId")?);
    let group_id = required(&body, "groupId")?;
    let access = required(&body, "accessId")?;
    if access != "member" && access != "owner" {
        return Err(GraphError::bad_request(format!(
            "Requested value '{access}' was not found for 'accessId'; use member or owner."
        )));
    }
    if emulator.lock().tenant.group(group_id).is_none() {
        return Err(GraphError::not_found(group_id));
    }
    let fields = json!({"accessId": access, "groupId": group_id});
    let ask = ask(&body, Provider::Group, who, (access, group_id));
    answer(
        &emulator,
        &body,
        ask,
        "identityGovernance/privilegedAccess/group/eligibilityScheduleRequests",
        fields,
    )
}
