//! `roleAssignmentScheduleRequests`: create (recorded verbatim for tests), list and get.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use serde_json::Value;

use super::Caller;
use crate::emulator::odata::{GraphError, Query, Shape};
use crate::emulator::schedule;
use crate::emulator::state::State as EmuState;
use crate::emulator::{Emulator, Provider};

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
    let items = stored(&emulator.lock(), provider).clone();
    Ok(Json(query.collection(set, items, ANY)?))
}

/// One stored request of `provider` by id.
pub(super) fn get_in(
    emulator: &Emulator,
    id: &str,
    query: &Query,
    provider: Provider,
    set: &str,
) -> Result<Json<Value>, GraphError> {
    let found = stored(&emulator.lock(), provider)
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
        schedule::create(&mut state, &value, &caller.client_id)?
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
    Path(id): Path<String>,
    query: Query,
) -> Result<Json<Value>, GraphError> {
    get_in(&emulator, &id, &query, Provider::Role, SET)
}
