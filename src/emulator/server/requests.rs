//! `roleAssignmentScheduleRequests`: create (recorded verbatim for tests), list and get.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use serde_json::Value;

use crate::emulator::identity::Caller;
use crate::emulator::odata::{GraphError, Query, Shape};
use crate::emulator::state::State as EmuState;
use crate::emulator::{Emulator, Provider};
use crate::emulator::{approval, schedule};

const ANY: Shape = Shape {
    type_name: "unifiedRoleAssignmentScheduleRequest",
    known: &[],
    defaults: None,
};
const SET: &str = "roleManagement/directory/roleAssignmentScheduleRequests";

/// Records a schedule-request body verbatim (tests read them, rejected ones included), then
/// parses it.
pub(crate) fn record(
    state: &mut EmuState,
    provider: Provider,
    body: &Bytes,
) -> Result<Value, String> {
    let parsed: Result<Value, _> = serde_json::from_slice(body);
    let recorded = match &parsed {
        Ok(value) => value.clone(),
        Err(_) => Value::String(String::from_utf8_lossy(body).into_owned()),
    };
    state.posted.push((provider, recorded));
    parsed.map_err(|e| e.to_string())
}

/// Lists the stored requests of `provider` as the OData collection `set`.
pub(super) fn list_in(
    emulator: &Emulator,
    query: &Query,
    provider: Provider,
    set: &str,
    filterable: &[&str],
) -> Result<Json<Value>, GraphError> {
    query.check_filter(filterable)?;
    let mut state = emulator.lock();
    approval::expire(&mut state);
    let items = stored(&state, provider).clone();
    Ok(Json(query.collection(set, items, ANY)?))
}

/// One stored request of `provider` by id.
pub(super) fn get_in(
    emulator: &Emulator,
    caller: &Caller,
    id: &str,
    query: &Query,
    provider: Provider,
    set: &str,
) -> Result<Json<Value>, GraphError> {
    let mut state = emulator.lock();
    approval::expire(&mut state);
    if let Some(on) = id
        .strip_prefix("filterByCurrentUser(on='")
        .and_then(|rest| rest.strip_suffix("')"))
    {
        let items = current_user(&state, caller, provider, on)?;
        return Ok(Json(query.collection(set, items, ANY)?));
    }
    let found = stored(&state, provider)
        .iter()
        .find(|r| r["id"].as_str() == Some(id))
        .cloned();
    let entity = found.ok_or_else(|| GraphError::not_found(id))?;
    Ok(Json(query.entity(
        &format!("{set}/$entity"),
        entity,
        ANY,
    )?))
}

/// `filterByCurrentUser(on='principal'|'createdBy'|'approver')`: the delegated caller's own
/// requests, or those waiting on their approval.
fn current_user(
    state: &EmuState,
    caller: &Caller,
    provider: Provider,
    on: &str,
) -> Result<Vec<Value>, GraphError> {
    let user = caller.user().ok_or_else(|| {
        GraphError::new(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "filterByCurrentUser needs a delegated (user) token.",
        )
    })?;
    let me = user.oid.as_str();
    let waiting_on_me = |request: &Value| {
        state.approvals.iter().any(|a| {
            a.provider == provider
                && a.stage.status == "InProgress"
                && request["approvalId"].as_str() == Some(a.id.as_str())
                && !a.requester.eq_ignore_ascii_case(me)
                && approval::is_approver(state, &a.stage, me)
        })
    };
    let keep = |request: &&Value| match on {
        "principal" => request["principalId"].as_str() == Some(me),
        "createdBy" => request["createdBy"]["user"]["id"].as_str() == Some(me),
        "approver" => waiting_on_me(request),
        _ => false,
    };
    if !["principal", "createdBy", "approver"].contains(&on) {
        return Err(GraphError::bad_request(format!(
            "The value '{on}' of 'on' is not valid; use principal, createdBy or approver."
        )));
    }
    Ok(stored(state, provider)
        .iter()
        .filter(keep)
        .cloned()
        .collect())
}

fn stored(state: &EmuState, provider: Provider) -> &Vec<Value> {
    match provider {
        Provider::Group => &state.group_requests,
        _ => &state.requests,
    }
}

pub(super) async fn create(
    State(emulator): State<Emulator>,
    Extension(caller): Extension<Caller>,
    query: Query,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), GraphError> {
    let entity = {
        let mut state = emulator.lock();
        let value = record(&mut state, Provider::Role, &body).map_err(|e| {
            GraphError::bad_request(format!("Unable to read JSON request payload: {e}"))
        })?;
        schedule::create(&mut state, &value, &caller)?
    };
    Ok((
        StatusCode::CREATED,
        Json(query.entity(&format!("{SET}/$entity"), entity, ANY)?),
    ))
}

pub(super) async fn list(
    State(emulator): State<Emulator>,
    query: Query,
) -> Result<Json<Value>, GraphError> {
    let filterable = [
        "principalId",
        "roleDefinitionId",
        "directoryScopeId",
        "status",
        "action",
        "id",
    ];
    list_in(&emulator, &query, Provider::Role, SET, &filterable)
}

pub(super) async fn get_one(
    State(emulator): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    query: Query,
) -> Result<Json<Value>, GraphError> {
    get_in(&emulator, &caller, &id, &query, Provider::Role, SET)
}
