//! `PATCH {scope}/providers/Microsoft.Authorization/roleManagementPolicies/{name}`: changes
//! rules of an Azure role's PIM policy at a scope. The rules come in ARM's spelling (`ruleType`,
//! `UserSet` approvers); each is read as PIM reads the Graph rule of the same id.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{ArmError, Call};
use crate::emulator::policy::RuleOverrides;
use crate::emulator::policy::patch;
use crate::emulator::providers::AzurePolicyFixture;
use crate::emulator::state::State;

/// An ARM rule in Graph's spelling, for the shared rule reader.
fn graph_rule(rule: &Value) -> Value {
    let mut out = rule.clone();
    let Some(map) = out.as_object_mut() else {
        return out;
    };
    if let Some(Value::String(kind)) = map.remove("ruleType") {
        let name = kind.trim_start_matches("RoleManagementPolicy");
        map.insert(
            "@odata.type".into(),
            json!(format!(
                "#microsoft.graph.unifiedRoleManagementPolicy{name}"
            )),
        );
    }
    let stages = map
        .get_mut("setting")
        .and_then(|s| s.get_mut("approvalStages"))
        .and_then(Value::as_array_mut);
    for stage in stages.into_iter().flatten() {
        let approvers = stage
            .get_mut("primaryApprovers")
            .and_then(Value::as_array_mut);
        for approver in approvers.into_iter().flatten() {
            let id = approver.get("id").cloned().unwrap_or(Value::Null);
            *approver = match approver.get("userType").and_then(Value::as_str) {
                Some("Group") => {
                    json!({"@odata.type": "#microsoft.graph.groupMembers", "groupId": id})
                }
                _ => json!({"@odata.type": "#microsoft.graph.singleUser", "userId": id}),
            };
        }
    }
    out
}

pub(super) fn patch_policy(state: &mut State, call: &Call, name: &str) -> Result<Value, ArmError> {
    let bad =
        |message: String| ArmError::new(StatusCode::BAD_REQUEST, "InvalidRequestContent", message);
    let body: Value = serde_json::from_slice(&call.body)
        .map_err(|e| bad(format!("The request content was invalid: {e}")))?;
    let rules = body["properties"]["rules"]
        .as_array()
        .ok_or_else(|| bad("properties.rules is required.".to_owned()))?;
    let guid = name.rsplit('_').next().unwrap_or_default();
    let Some(role) = state.tenant.azure.role(guid).map(|r| r.id.clone()) else {
        return Err(ArmError::new(
            StatusCode::NOT_FOUND,
            "RoleManagementPolicyNotFound",
            format!("The role management policy '{name}' does not exist."),
        ));
    };
    let policies = &mut state.tenant.azure.policies;
    let at = policies.iter().position(|p| {
        p.role_definition_id.eq_ignore_ascii_case(&role)
            && p.scope.eq_ignore_ascii_case(&call.scope)
    });
    let mut overrides = at.map_or_else(RuleOverrides::default, |i| policies[i].rules.clone());
    for rule in rules {
        let id = rule["id"].as_str().unwrap_or_default();
        patch::apply(&mut overrides, id, &graph_rule(rule)).map_err(|e| {
            let code = if e.unknown_rule {
                "RoleManagementPolicyRuleNotFound"
            } else {
                "InvalidRoleManagementPolicyRule"
            };
            ArmError::new(StatusCode::BAD_REQUEST, code, e.message)
        })?;
    }
    match at {
        Some(i) => policies[i].rules = overrides,
        None => policies.push(AzurePolicyFixture {
            scope: call.scope.clone(),
            role_definition_id: role.clone(),
            rules: overrides,
        }),
    }
    Ok(json!({
        "id": format!("{}{}roleManagementPolicies/{name}", call.scope, super::PROVIDER),
        "name": name,
        "type": "Microsoft.Authorization/RoleManagementPolicies",
        "properties": {"scope": call.scope, "rules": rules},
    }))
}
