//! `roleAssignmentScheduleRequests`: create (recorded verbatim for tests), list and get.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use serde_json::Value;

use super::Caller;
use crate::emulator::odata::{GraphError, Query, Shape};
use crate::emulator::schedule;
use crate::emulator::{Emulator, Provider};

const ANY: Shape = Shape {
    type_name: "unifiedRoleAssignmentScheduleRequest",
    known: &[],
    defaults: None,
};
const SET: &str = "roleManagement/directory/roleAssignmentScheduleRequests";

pub(super) async fn create(
    State(emulator): State<Emulator>,
    Extension(caller): Extension<Caller>,
    query: Query,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), GraphError> {
    let parsed: Result<Value, _> = serde_json::from_slice(&body);
    let entity = {
        let mut state = emulator.lock();
        let recorded = match &parsed {
            Ok(value) => value.clone(),
            Err(_) => Value::String(String::from_utf8_lossy(&body).into_owned()),
        };
        state.posted.push((Provider::Role, recorded));
        let value = parsed.map_err(|e| {
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
    query.check_filter(&[
        "principalId",
        "roleDefinitionId",
        "directoryScopeId",
        "status",
        "action",
        "id",
    ])?;
    let items = emulator.lock().requests.clone();
    Ok(Json(query.collection(SET, items, ANY)?))
}

pub(super) async fn get_one(
    State(emulator): State<Emulator>,
    Path(id): Path<String>,
    query: Query,
) -> Result<Json<Value>, GraphError> {
    let found = emulator
        .lock()
        .requests
        .iter()
        .find(|r| r["id"].as_str() == Some(id.as_str()))
        .cloned();
    let entity = found.ok_or_else(|| GraphError::not_found(&id))?;
    Ok(Json(query.entity(
        &format!("{SET}/$entity"),
        entity,
        ANY,
    )?))
}
