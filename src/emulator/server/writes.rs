//! Directory writes for `pimbot admin`: custom role definitions (`POST`, `PATCH`
//! `roleManagement/directory/roleDefinitions`), security groups (`POST`, `PATCH /groups`) and
//! their owners and members (`POST /groups/{id}/owners|members/$ref`), with Graph's validation
//! and error codes.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::emulator::Emulator;
use crate::emulator::odata::GraphError;
use crate::emulator::tenant::{Group, RoleDefinition};

/// A JSON object body, or Graph's answer to anything else.
pub(super) fn object_body(body: &Bytes) -> Result<serde_json::Map<String, Value>, GraphError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(GraphError::bad_request(
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
        )),
    }
}

fn invalid(message: impl Into<String>) -> GraphError {
    GraphError::new(StatusCode::BAD_REQUEST, "Request_BadRequest", message)
}

/// `rolePermissions[*].allowedResourceActions`, each a `microsoft.directory/…` action.
fn actions(body: &serde_json::Map<String, Value>) -> Result<Option<Vec<String>>, GraphError> {
    let Some(permissions) = body.get("rolePermissions") else {
        return Ok(None);
    };
    let mut actions = Vec::new();
    for permission in permissions.as_array().into_iter().flatten() {
        for action in permission["allowedResourceActions"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let Some(action) = action.as_str() else {
                return Err(invalid("allowedResourceActions must be strings."));
            };
            if !action.starts_with("microsoft.directory/") || action.split('/').count() < 3 {
                return Err(invalid(format!(
                    "The resource action '{action}' is not a valid resource action for custom roles."
                )));
            }
            actions.push(action.to_owned());
        }
    }
    if actions.is_empty() {
        return Err(invalid(
            "rolePermissions must contain at least one allowed resource action.",
        ));
    }
    Ok(Some(actions))
}

pub(super) async fn create_definition(
    State(emulator): State<Emulator>,
    body: Bytes,
) -> Result<Response, GraphError> {
    let body = object_body(&body)?;
    let name = body
        .get("displayName")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if name.trim().is_empty() {
        return Err(invalid("displayName is required."));
    }
    if !body.get("isEnabled").is_some_and(Value::is_boolean) {
        return Err(invalid("isEnabled is required."));
    }
    let Some(actions) = actions(&body)? else {
        return Err(invalid("rolePermissions is required."));
    };
    let mut state = emulator.lock();
    let tenant = &mut state.tenant;
    if tenant
        .role_definitions
        .iter()
        .any(|r| r.display_name.eq_ignore_ascii_case(name))
    {
        return Err(invalid(format!(
            "A role definition with the display name '{name}' already exists."
        )));
    }
    let role = RoleDefinition {
        id: Uuid::new_v4().to_string(),
        display_name: name.to_owned(),
        description: body
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned),
        is_built_in: false,
        allowed_resource_actions: actions,
    };
    let answer = json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#roleManagement/directory/roleDefinitions/$entity",
        "id": role.id,
        "displayName": role.display_name,
        "description": role.description,
        "isBuiltIn": false,
        "isEnabled": true,
        "templateId": role.id,
        "rolePermissions": [{"allowedResourceActions": role.allowed_resource_actions, "condition": null}],
    });
    tenant.role_definitions.push(role);
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

pub(super) async fn update_definition(
    State(emulator): State<Emulator>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<StatusCode, GraphError> {
    let body = object_body(&body)?;
    let actions = actions(&body)?;
    let mut state = emulator.lock();
    let tenant = &mut state.tenant;
    let renamed = body.get("displayName").and_then(Value::as_str);
    if let Some(name) = renamed {
        let taken = tenant
            .role_definitions
            .iter()
            .any(|r| r.display_name.eq_ignore_ascii_case(name) && !r.id.eq_ignore_ascii_case(&id));
        if taken {
            return Err(invalid(format!(
                "A role definition with the display name '{name}' already exists."
            )));
        }
    }
    let role = tenant
        .role_definitions
        .iter_mut()
        .find(|r| r.id.eq_ignore_ascii_case(&id))
        .ok_or_else(|| GraphError::not_found(&id))?;
    if role.is_built_in {
        return Err(GraphError::new(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Built-in role definitions cannot be modified.",
        ));
    }
    if let Some(name) = renamed {
        name.clone_into(&mut role.display_name);
    }
    if let Some(description) = body.get("description") {
        role.description = description.as_str().map(str::to_owned);
    }
    if let Some(actions) = actions {
        role.allowed_resource_actions = actions;
    }
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn create_group(
    State(emulator): State<Emulator>,
    body: Bytes,
) -> Result<Response, GraphError> {
    let body = object_body(&body)?;
    let text = |key: &str| body.get(key).and_then(Value::as_str).unwrap_or_default();
    for key in ["displayName", "mailNickname"] {
        if text(key).trim().is_empty() {
            return Err(invalid(format!(
                "Invalid value specified for property '{key}' of resource 'Group'."
            )));
        }
    }
    let flag = |key: &str| body.get(key).and_then(Value::as_bool);
    if flag("securityEnabled").is_none() || flag("mailEnabled").is_none() {
        return Err(invalid(
            "A value is required for properties 'mailEnabled' and 'securityEnabled'.",
        ));
    }
    let assignable = flag("isAssignableToRole").unwrap_or(false);
    if assignable && (flag("securityEnabled") != Some(true) || flag("mailEnabled") != Some(false)) {
        return Err(invalid(
            "Role-assignable groups must be security groups: securityEnabled true, mailEnabled false.",
        ));
    }
    let group = Group {
        id: Uuid::new_v4().to_string(),
        display_name: text("displayName").to_owned(),
        description: body
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned),
        mail_nickname: Some(text("mailNickname").to_owned()),
        is_assignable_to_role: assignable,
        owners: Vec::new(),
        members: Vec::new(),
    };
    let answer = json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#groups/$entity",
        "id": group.id,
        "displayName": group.display_name,
        "description": group.description,
        "mailNickname": group.mail_nickname,
        "mailEnabled": false,
        "securityEnabled": true,
        "isAssignableToRole": assignable,
    });
    emulator.lock().tenant.groups.push(group);
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

pub(super) async fn update_group(
    State(emulator): State<Emulator>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<StatusCode, GraphError> {
    let body = object_body(&body)?;
    if body.contains_key("isAssignableToRole") {
        return Err(invalid(
            "Property 'isAssignableToRole' is read-only once the group is created.",
        ));
    }
    let mut state = emulator.lock();
    let group = state
        .tenant
        .groups
        .iter_mut()
        .find(|g| g.id.eq_ignore_ascii_case(&id))
        .ok_or_else(|| GraphError::not_found(&id))?;
    if let Some(name) = body.get("displayName").and_then(Value::as_str) {
        name.clone_into(&mut group.display_name);
    }
    if let Some(description) = body.get("description") {
        group.description = description.as_str().map(str::to_owned);
    }
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn add_owner(
    State(emulator): State<Emulator>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<StatusCode, GraphError> {
    add_reference(&emulator, &id, &body, "owners")
}

pub(super) async fn add_member(
    State(emulator): State<Emulator>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<StatusCode, GraphError> {
    add_reference(&emulator, &id, &body, "members")
}

/// `{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/{id}"}` added to the
/// group's owners or members; 400 when it is there already, as Graph answers.
fn add_reference(
    emulator: &Emulator,
    group_id: &str,
    body: &Bytes,
    property: &str,
) -> Result<StatusCode, GraphError> {
    let body = object_body(body)?;
    let reference = body
        .get("@odata.id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some(object_id) = reference
        .rsplit_once("/directoryObjects/")
        .map(|(_, id)| id.trim_matches('/'))
        .filter(|id| !id.is_empty())
    else {
        return Err(invalid(format!(
            "Invalid object identifier '{reference}'. A reference must be an '@odata.id' of a directoryObjects URL."
        )));
    };
    let mut state = emulator.lock();
    let tenant = &mut state.tenant;
    let kind = tenant.principal_kind(object_id);
    if kind.is_none() {
        return Err(GraphError::not_found(object_id));
    }
    if property == "owners" && kind == Some(crate::emulator::tenant::PrincipalKind::Group) {
        return Err(invalid("A group cannot be an owner of a group."));
    }
    let group = tenant
        .groups
        .iter_mut()
        .find(|g| g.id.eq_ignore_ascii_case(group_id))
        .ok_or_else(|| GraphError::not_found(group_id))?;
    let list = if property == "owners" {
        &mut group.owners
    } else {
        &mut group.members
    };
    if list.iter().any(|m| m.eq_ignore_ascii_case(object_id)) {
        return Err(invalid(format!(
            "One or more added object references already exist for the following modified properties: '{property}'."
        )));
    }
    list.push(object_id.to_owned());
    Ok(StatusCode::NO_CONTENT)
}
