//! `pimbot admin role apply --file ROLE.json`: a custom Entra role from a Graph
//! `unifiedRoleDefinition` body, matched by `displayName`: created when missing, patched when
//! its description, permissions or enablement differ, else left alone.

use serde_json::{Map, Value, json};

use super::args::RoleCommand;
use super::{Change, Names, Result, Step, invalid};
use crate::pim::tenant::{Call, Service, Verb};

const DEFINITIONS: &str = "roleManagement/directory/roleDefinitions";

pub(crate) async fn plan(names: &Names, command: &RoleCommand) -> Result<Vec<Step>> {
    let RoleCommand::Apply { file } = command;
    let text = std::fs::read_to_string(file)
        .map_err(|e| invalid(format!("cannot read {}: {e}", file.display())))?;
    let body: Value = serde_json::from_str(&text)
        .map_err(|e| invalid(format!("{} is not JSON: {e}", file.display())))?;
    Ok(vec![step(names, &body, &file.display().to_string()).await?])
}

/// The step that makes the tenant hold the role `body` describes (`source` names it in errors).
pub(crate) async fn step(names: &Names, body: &Value, source: &str) -> Result<Step> {
    let Some(definition) = body.as_object() else {
        return Err(invalid(format!(
            "{source}: a role definition must be a JSON object"
        )));
    };
    let name = definition
        .get("displayName")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| invalid(format!("{source}: `displayName` is required")))?;
    if actions(definition).is_empty() {
        return Err(invalid(format!(
            "{source}: `rolePermissions[].allowedResourceActions` must name at least one action"
        )));
    }
    let object = format!("role \"{name}\"");
    let mut wanted = definition.clone();
    wanted.entry("isEnabled").or_insert(Value::Bool(true));
    let Some(current) = names.find_role(name).await? else {
        let create = Call::new(Service::Graph, Verb::Post, DEFINITIONS).body(Value::Object(wanted));
        return Ok(Step::new(object, Change::Create, vec![create]));
    };
    if current["isBuiltIn"] == true {
        return Err(invalid(format!(
            "`{name}` is a built-in role, which cannot be changed; give the custom role another displayName"
        )));
    }
    let differs = differences(&wanted, &current);
    if differs.is_empty() {
        return Ok(Step::unchanged(object));
    }
    let patch: Map<String, Value> = wanted
        .iter()
        .filter(|(k, _)| ["description", "rolePermissions", "isEnabled"].contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let id = current["id"].as_str().unwrap_or_default();
    let update = Call::new(Service::Graph, Verb::Patch, format!("{DEFINITIONS}/{id}"))
        .body(Value::Object(patch));
    Ok(Step::new(object, Change::Update, vec![update])
        .because(format!("{} differ", differs.join(", "))))
}

/// The allowed actions of a definition, sorted, each once.
fn actions(definition: &Map<String, Value>) -> Vec<String> {
    let mut actions: Vec<String> = definition
        .get("rolePermissions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|p| {
            p["allowedResourceActions"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|a| a.as_str().map(str::to_ascii_lowercase))
        .collect();
    actions.sort();
    actions.dedup();
    actions
}

/// Which of the compared fields differ between the wanted body and the tenant's role.
fn differences(wanted: &Map<String, Value>, current: &Value) -> Vec<&'static str> {
    let mut differs = Vec::new();
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_owned();
    if wanted.contains_key("description")
        && text(wanted.get("description")) != text(current.get("description"))
    {
        differs.push("description");
    }
    let current_actions = current.as_object().map(actions).unwrap_or_default();
    if actions(wanted) != current_actions {
        differs.push("rolePermissions");
    }
    let enabled = wanted.get("isEnabled").cloned().unwrap_or(json!(true));
    if current.get("isEnabled").is_some_and(|e| *e != enabled) {
        differs.push("isEnabled");
    }
    differs
}
