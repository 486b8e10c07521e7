//! `/v1.0/applications`: app registrations, so scopes can be named by display name or appId.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use crate::emulator::Emulator;
use crate::emulator::odata::{GraphError, Query, Shape};
use crate::emulator::tenant::Application;

const APPLICATION: Shape = Shape {
    type_name: "application",
    known: &["id", "appId", "displayName"],
    defaults: None,
};

fn application_json(app: &Application) -> Value {
    json!({ "id": app.id, "appId": app.app_id, "displayName": app.display_name })
}

pub(super) async fn list_applications(
    State(emulator): State<Emulator>,
    query: Query,
) -> Result<Json<Value>, GraphError> {
    query.check_filter(&["displayName", "appId", "id"])?;
    let items = emulator
        .lock()
        .tenant
        .applications
        .iter()
        .map(application_json)
        .collect();
    Ok(Json(query.collection(
        "applications",
        items,
        APPLICATION,
    )?))
}

pub(super) async fn get_application(
    State(emulator): State<Emulator>,
    Path(id): Path<String>,
    query: Query,
) -> Result<Json<Value>, GraphError> {
    let app = emulator
        .lock()
        .tenant
        .applications
        .iter()
        .find(|a| a.id.eq_ignore_ascii_case(&id))
        .map(application_json)
        .ok_or_else(|| GraphError::not_found(&id))?;
    Ok(Json(query.entity(
        "applications/$entity",
        app,
        APPLICATION,
    )?))
}
