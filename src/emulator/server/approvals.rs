//! Graph's PIM approvals, delegated approvers only: Entra roles in beta
//! (`roleManagement/directory/roleAssignmentApprovals/{id}` with `steps`), groups in v1.0
//! (`identityGovernance/privilegedAccess/group/assignmentApprovals/{id}` with `stages`; `steps`
//! is accepted too), and the requester's `cancel` of a pending request.

use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::ROLES;
use super::writes::object_body;
use crate::emulator::approval::{self, graph_json};
use crate::emulator::identity::{Caller, Delegated};
use crate::emulator::odata::GraphError;
use crate::emulator::{Emulator, Provider};

const ROLE_APPROVALS: &str = "/beta/roleManagement/directory/roleAssignmentApprovals";

/// The approval and cancel routes (behind the bearer-token check, like every Graph route).
pub(super) fn routes() -> Router<Emulator> {
    Router::new()
        .route(
            &format!("{ROLES}/roleAssignmentScheduleRequests/{{id}}/cancel"),
            post(cancel_role_request),
        )
        .route(
            &format!("{}/{{id}}", ROLE_APPROVALS),
            get(get_role_approval),
        )
        .route(
            &format!("{}/{{id}}/steps/{{step}}", ROLE_APPROVALS),
            patch(decide_role_step),
        )
        .route(
            &format!("{}/assignmentApprovals/{{id}}", super::groups::BASE),
            get(get_group_approval),
        )
        .route(
            &format!(
                "{}/assignmentApprovals/{{id}}/stages/{{stage}}",
                super::groups::BASE
            ),
            patch(decide_group_stage),
        )
        .route(
            &format!(
                "{}/assignmentApprovals/{{id}}/steps/{{stage}}",
                super::groups::BASE
            ),
            patch(decide_group_stage),
        )
        .route(
            &format!(
                "{}/assignmentScheduleRequests/{{id}}/cancel",
                super::groups::BASE
            ),
            post(cancel_group_request),
        )
}

fn delegated(caller: &Caller) -> Result<&Delegated, GraphError> {
    caller.user().ok_or_else(|| {
        GraphError::new(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Approvals are not supported with application permissions: use the approver's delegated token.",
        )
    })
}

fn read(
    emulator: &Emulator,
    caller: &Caller,
    provider: Provider,
    id: &str,
) -> Result<Json<Value>, GraphError> {
    let user = delegated(caller)?;
    let mut state = emulator.lock();
    approval::expire(&mut state);
    let found = approval::visible(&state, provider, id, user)?;
    let (context, key) = match provider {
        Provider::Role => (
            "https://graph.microsoft.com/beta/$metadata#roleManagement/directory/roleAssignmentApprovals/$entity",
            "steps",
        ),
        _ => (
            "https://graph.microsoft.com/v1.0/$metadata#identityGovernance/privilegedAccess/group/assignmentApprovals/$entity",
            "stages",
        ),
    };
    let mut body = graph_json(&state, found, &user.oid, key);
    body["@odata.context"] = json!(context);
    Ok(Json(body))
}

fn decide(
    emulator: &Emulator,
    caller: &Caller,
    provider: Provider,
    (id, stage): (&str, &str),
    body: &Bytes,
) -> Result<StatusCode, GraphError> {
    let user = delegated(caller)?;
    let body = object_body(body)?;
    let result = body
        .get("reviewResult")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let justification = body.get("justification").and_then(Value::as_str);
    let mut state = emulator.lock();
    approval::decide(&mut state, provider, id, stage, user, result, justification)?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn get_role_approval(
    State(emulator): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<Value>, GraphError> {
    read(&emulator, &caller, Provider::Role, &id)
}

pub(super) async fn decide_role_step(
    State(emulator): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path((id, step)): Path<(String, String)>,
    body: Bytes,
) -> Result<StatusCode, GraphError> {
    decide(&emulator, &caller, Provider::Role, (&id, &step), &body)
}

pub(super) async fn get_group_approval(
    State(emulator): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<Value>, GraphError> {
    if id.starts_with("filterByCurrentUser(") {
        let user = delegated(&caller)?;
        let mut state = emulator.lock();
        approval::expire(&mut state);
        let value: Vec<Value> = state
            .approvals
            .iter()
            .filter(|a| a.provider == Provider::Group && a.stage.status == "InProgress")
            .filter(|a| approval::is_approver(&state, &a.stage, &user.oid))
            .map(|a| graph_json(&state, a, &user.oid, "stages"))
            .collect();
        return Ok(Json(json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(approval)",
            "value": value,
        })));
    }
    read(&emulator, &caller, Provider::Group, &id)
}

pub(super) async fn decide_group_stage(
    State(emulator): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path((id, stage)): Path<(String, String)>,
    body: Bytes,
) -> Result<StatusCode, GraphError> {
    decide(&emulator, &caller, Provider::Group, (&id, &stage), &body)
}

/// `POST …/{id}/cancel` of a pending request, by its requester or an app (Graph documents
/// the application permission for cancel): 204; not pending → 400.
pub(super) fn cancel(
    emulator: &Emulator,
    caller: &Caller,
    provider: Provider,
    id: &str,
) -> Result<StatusCode, GraphError> {
    let mut state = emulator.lock();
    approval::expire(&mut state);
    let stored = match provider {
        Provider::Group => &state.group_requests,
        _ => &state.requests,
    };
    let request = stored
        .iter()
        .find(|r| r["id"] == id)
        .cloned()
        .ok_or_else(|| GraphError::not_found(id))?;
    if let Some(user) = caller.user()
        && request["principalId"].as_str() != Some(user.oid.as_str())
    {
        return Err(GraphError::new(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Only the requester can cancel this request.",
        ));
    }
    if request["status"] != "PendingApproval" && request["status"] != "Granted" {
        return Err(GraphError::bad_request(format!(
            "The request is {} and cannot be canceled.",
            request["status"].as_str().unwrap_or("closed")
        )));
    }
    approval::set_request_status(&mut state, provider, id, "Canceled");
    approval::close(&mut state, provider, id);
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn cancel_role_request(
    State(emulator): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<StatusCode, GraphError> {
    cancel(&emulator, &caller, Provider::Role, &id)
}

pub(super) async fn cancel_group_request(
    State(emulator): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<StatusCode, GraphError> {
    cancel(&emulator, &caller, Provider::Group, &id)
}
