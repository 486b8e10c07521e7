//! PIM for Groups under `/v1.0/identityGovernance/privilegedAccess/group`: eligibility and
//! assignment schedule instances, and `assignmentScheduleRequests` (`adminAssign` / `adminRemove`
//! of membership or ownership), with the same policy semantics as Entra roles.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::requests;
use super::roles::iso;
use crate::emulator::identity::Caller;
use crate::emulator::odata::{GraphError, Query, Shape};
use crate::emulator::providers::GroupEligibility;
use crate::emulator::schedule::{self, Ask, Outcome};
use crate::emulator::state::Assignment;
use crate::emulator::{Emulator, Provider};

const ANY: Shape = Shape {
    type_name: "entity",
    known: &[],
    defaults: None,
};
mod own;

pub(super) const BASE: &str = "/v1.0/identityGovernance/privilegedAccess/group";
const SET: &str = "identityGovernance/privilegedAccess/group";

/// Graph refuses these lists without a `groupId` or `principalId` clause.
fn require_group_or_principal(query: &Query) -> Result<(), GraphError> {
    let pinned = query
        .filter
        .as_ref()
        .is_some_and(|f| f.required("groupId").is_some() || f.required("principalId").is_some());
    if pinned {
        Ok(())
    } else {
        Err(GraphError::bad_request(
            "The filter must contain a 'groupId eq' or 'principalId eq' clause.",
        ))
    }
}

pub(super) async fn eligibility_instances(
    State(emulator): State<Emulator>,
    query: Query,
) -> Result<Json<Value>, GraphError> {
    query.check_filter(&["groupId", "principalId", "accessId", "memberType"])?;
    require_group_or_principal(&query)?;
    let items = {
        let state = emulator.lock();
        let now = state.now();
        let current = |e: &&GroupEligibility| {
            e.start_date_time <= now && e.end_date_time.is_none_or(|end| end > now)
        };
        let items: Vec<Value> = state
            .tenant
            .group_eligibilities
            .iter()
            .filter(current)
            .map(eligibility_json)
            .collect();
        items
    };
    Ok(Json(query.collection(
        &format!("{SET}/eligibilityScheduleInstances"),
        items,
        ANY,
    )?))
}

pub(super) async fn assignment_instances(
    State(emulator): State<Emulator>,
    query: Query,
) -> Result<Json<Value>, GraphError> {
    query.check_filter(&[
        "groupId",
        "principalId",
        "accessId",
        "memberType",
        "assignmentType",
    ])?;
    require_group_or_principal(&query)?;
    let items: Vec<Value> = emulator
        .lock()
        .listed(Provider::Group)
        .map(assignment_json)
        .collect();
    Ok(Json(query.collection(
        &format!("{SET}/assignmentScheduleInstances"),
        items,
        ANY,
    )?))
}

pub(super) async fn create_request(
    State(emulator): State<Emulator>,
    Extension(caller): Extension<Caller>,
    query: Query,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), GraphError> {
    let parsed: Result<Value, _> = serde_json::from_slice(&body);
    let entity = {
        let mut state = emulator.lock();
        let recorded = parsed.as_ref().map_or_else(
            |_| Value::String(String::from_utf8_lossy(&body).into_owned()),
            Clone::clone,
        );
        state.posted.push((Provider::Group, recorded));
        let body = parsed.map_err(|e| {
            GraphError::bad_request(format!("Unable to read JSON request payload: {e}"))
        })?;
        let text = |name: &str| body.get(name).and_then(Value::as_str).unwrap_or_default();
        for name in ["accessId", "action", "groupId", "principalId"] {
            if text(name).is_empty() {
                return Err(GraphError::bad_request(format!(
                    "The '{name}' field is required."
                )));
            }
        }
        let (action, access, group_id) = (text("action"), text("accessId"), text("groupId"));
        let remove = match action {
            "adminAssign" => false,
            "adminRemove" => true,
            a if a.starts_with("self") && caller.user().is_none() => {
                return Err(GraphError::new(
                    StatusCode::FORBIDDEN,
                    "Authorization_RequestDenied",
                    format!("The action '{a}' requires a delegated (user) token."),
                ));
            }
            "selfActivate" | "selfDeactivate" => false,
            other => {
                return Err(GraphError::bad_request(format!(
                    "The action '{other}' is not supported by the emulator."
                )));
            }
        };
        if access != "member" && access != "owner" {
            return Err(GraphError::bad_request(format!(
                "Cannot convert the literal '{access}' to the expected type 'microsoft.graph.privilegedAccessGroupRelationships'."
            )));
        }
        if state.tenant.group(group_id).is_none() {
            return Err(GraphError::not_found(group_id));
        }
        if state.tenant.principal_kind(text("principalId")).is_none() {
            return Err(GraphError::not_found(text("principalId")));
        }
        if action.starts_with("self") {
            let entity = own::create(&mut state, &body, &caller)?;
            state.group_requests.push(entity.clone());
            entity
        } else {
            let request_id = format!("{group_id}_{access}_{}", Uuid::new_v4());
            let ask = Ask {
                provider: Provider::Group,
                remove,
                principal_id: text("principalId"),
                resource: access,
                scope: Some(group_id),
                app_scope: None,
                schedule_info: body.get("scheduleInfo"),
                has_justification: schedule::non_empty(body.get("justification")),
                has_ticket: schedule::non_empty(
                    body.get("ticketInfo").and_then(|t| t.get("ticketNumber")),
                ),
                validation_only: false,
                request_id: &request_id,
            };
            let policy = state.group_policy(group_id, access);
            let outcome = schedule::execute(&mut state, &ask, &policy)?;
            let created_by = json!({"application": {"displayName": null, "id": caller.client_id()}, "device": null, "user": null});
            let entity = request_json(&body, &outcome, created_by, state.now());
            state.group_requests.push(entity.clone());
            entity
        }
    };
    Ok((
        StatusCode::CREATED,
        Json(query.entity(
            &format!("{SET}/assignmentScheduleRequests/$entity"),
            entity,
            ANY,
        )?),
    ))
}

pub(super) async fn list_requests(
    State(emulator): State<Emulator>,
    query: Query,
) -> Result<Json<Value>, GraphError> {
    let filterable = [
        "groupId",
        "principalId",
        "accessId",
        "status",
        "action",
        "id",
    ];
    let set = format!("{SET}/assignmentScheduleRequests");
    requests::list_in(&emulator, &query, Provider::Group, &set, &filterable)
}

pub(super) async fn get_request(
    State(emulator): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    query: Query,
) -> Result<Json<Value>, GraphError> {
    let set = format!("{SET}/assignmentScheduleRequests");
    requests::get_in(&emulator, &caller, &id, &query, Provider::Group, &set)
}

pub(super) fn request_json(
    body: &Value,
    outcome: &Outcome,
    created_by: Value,
    now: DateTime<Utc>,
) -> Value {
    let field = |name: &str| body.get(name).cloned().unwrap_or(Value::Null);
    json!({
        "id": Uuid::new_v4().to_string(),
        "status": outcome.status,
        "createdDateTime": iso(now),
        "completedDateTime": iso(now),
        "approvalId": null,
        "customData": field("customData"),
        "createdBy": created_by,
        "action": field("action"),
        "isValidationOnly": false,
        "justification": field("justification"),
        "scheduleInfo": outcome.schedule.graph_json(),
        "ticketInfo": schedule::ticket_json(body.get("ticketInfo")),
        "accessId": field("accessId"),
        "principalId": field("principalId"),
        "groupId": field("groupId"),
        "targetScheduleId": outcome.schedule_id,
    })
}

fn eligibility_json(e: &GroupEligibility) -> Value {
    json!({
        "id": e.id,
        "startDateTime": iso(e.start_date_time),
        "endDateTime": e.end_date_time.map(iso),
        "accessId": e.access_id,
        "principalId": e.principal_id,
        "groupId": e.group_id,
        "memberType": "direct",
        "eligibilityScheduleId": format!("{}_{}_{}", e.group_id, e.access_id, e.id),
    })
}

fn assignment_json(a: &Assignment) -> Value {
    let kind = if a.activated { "activated" } else { "assigned" };
    json!({
        "id": a.instance_id,
        "startDateTime": iso(a.start),
        "endDateTime": a.end.map(iso),
        "accessId": a.role_definition_id,
        "principalId": a.principal_id,
        "groupId": a.directory_scope_id,
        "assignmentType": kind,
        "memberType": "direct",
        "assignmentScheduleId": a.schedule_id,
    })
}
