//! ARM read resources: role definitions, schedule instances and policy assignments, shaped as
//! in the 2020-10-01 examples (`id`, `name`, `type`, `properties`, `expandedProperties`).

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::filter::{self, Term};
use super::{ArmError, Call, PROVIDER};
use crate::emulator::Provider;
use crate::emulator::providers::AzureRoleDefinition;
use crate::emulator::server::iso;
use crate::emulator::state::State;
use crate::emulator::tenant::PrincipalKind;

/// `{subscription scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}`, the form ARM
/// uses below a subscription (and without the prefix above one).
pub(crate) fn role_definition_id(scope: &str, guid: &str) -> String {
    let subscription: String = scope
        .split('/')
        .filter(|s| !s.is_empty())
        .take(2)
        .collect::<Vec<_>>()
        .join("/");
    let prefix = if subscription
        .to_ascii_lowercase()
        .starts_with("subscriptions/")
    {
        format!("/{subscription}")
    } else {
        String::new()
    };
    format!("{prefix}{PROVIDER}roleDefinitions/{guid}")
}

fn definition_json(scope: &str, role: &AzureRoleDefinition) -> Value {
    json!({
        "id": role_definition_id(scope, &role.id),
        "name": role.id,
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": role.role_name,
            "type": if role.custom { "CustomRole" } else { "BuiltInRole" },
            "description": role.role_name,
            "assignableScopes": ["/"],
            "permissions": [],
        },
    })
}

pub(super) fn role_definitions(state: &State, call: &Call) -> Result<Value, ArmError> {
    let wanted = match call.param("$filter") {
        None => None,
        Some(f) => Some(
            f.trim()
                .strip_prefix("roleName eq ")
                .and_then(super::filter::string_literal)
                .ok_or_else(|| {
                    ArmError::new(
                        StatusCode::BAD_REQUEST,
                        "InvalidFilter",
                        format!("The filter '{f}' is not supported on role definitions."),
                    )
                })?,
        ),
    };
    let items = state
        .tenant
        .azure
        .role_definitions
        .iter()
        .filter(|r| {
            wanted
                .as_deref()
                .is_none_or(|w| r.role_name.eq_ignore_ascii_case(w))
        })
        .map(|r| definition_json(&call.scope, r))
        .collect();
    filter::page(call, items)
}

pub(super) fn role_definition(state: &State, call: &Call, id: &str) -> Result<Value, ArmError> {
    state
        .tenant
        .azure
        .role(id)
        .map(|r| definition_json(&call.scope, r))
        .ok_or_else(|| {
            ArmError::new(
                StatusCode::NOT_FOUND,
                "RoleDefinitionDoesNotExist",
                format!("The specified role definition with ID '{id}' does not exist."),
            )
        })
}

/// What an instance list needs from each item.
struct Instance<'a> {
    kind: &'static str,
    name: &'a str,
    scope: &'a str,
    role_guid: &'a str,
    principal_id: &'a str,
    start: String,
    end: Option<String>,
    extra: Value,
}

fn instances(state: &State, call: &Call, items: Vec<Instance<'_>>) -> Result<Value, ArmError> {
    let terms = filter::parse(call.param("$filter"))?;
    let caller = super::own::caller_object(state, call);
    let user_filter = terms.iter().find_map(|t| match t {
        Term::AssignedTo(user) => Some(user.as_str()),
        _ => None,
    });
    let values = items
        .into_iter()
        .filter(|i| {
            let tenant = &state.tenant;
            filter::keeps(tenant, &terms, caller.as_deref(), &call.scope, i.scope, i.principal_id)
        })
        .map(|i| {
            let role = state.tenant.azure.role(i.role_guid);
            let principal_type = match state.tenant.principal_kind(i.principal_id) {
                Some(PrincipalKind::Group) => "Group",
                Some(PrincipalKind::ServicePrincipal) => "ServicePrincipal",
                _ => "User",
            };
            let via_group = user_filter.is_some_and(|u| !u.eq_ignore_ascii_case(i.principal_id));
            let role_id = role_definition_id(i.scope, i.role_guid);
            let scope_name = state.tenant.azure.scope(i.scope).map(|s| s.display_name.clone());
            let mut properties = json!({
                "scope": i.scope,
                "roleDefinitionId": role_id,
                "principalId": i.principal_id,
                "principalType": principal_type,
                "status": "Provisioned",
                "startDateTime": i.start,
                "endDateTime": i.end,
                "memberType": if via_group { "Group" } else { "Direct" },
                "createdOn": i.start,
                "expandedProperties": {
                    "scope": {"id": i.scope, "displayName": scope_name, "type": scope_type(i.scope)},
                    "roleDefinition": {"id": role_id, "displayName": role.map(|r| r.role_name.clone()), "type": "BuiltInRole"},
                    "principal": {"id": i.principal_id, "type": principal_type},
                },
            });
            if let (Some(map), Some(extra)) = (properties.as_object_mut(), i.extra.as_object()) {
                map.extend(extra.clone());
            }
            json!({
                "id": format!("{}{PROVIDER}{}/{}", i.scope, i.kind, i.name),
                "name": i.name,
                "type": format!("Microsoft.Authorization/{}", i.kind),
                "properties": properties,
            })
        })
        .collect();
    filter::page(call, values)
}

fn scope_type(scope: &str) -> &'static str {
    let segments = scope.split('/').filter(|s| !s.is_empty()).count();
    match segments {
        _ if scope.contains("managementGroups") => "managementgroup",
        2 => "subscription",
        4 => "resourcegroup",
        _ => "resource",
    }
}

pub(super) fn eligibility_instances(state: &State, call: &Call) -> Result<Value, ArmError> {
    let now = state.now();
    let items = state
        .tenant
        .azure
        .eligibilities
        .iter()
        .filter(|e| e.start_date_time <= now && e.end_date_time.is_none_or(|end| end > now))
        .map(|e| Instance {
            kind: "roleEligibilityScheduleInstances",
            name: &e.id,
            scope: &e.scope,
            role_guid: &e.role_definition_id,
            principal_id: &e.principal_id,
            start: iso(e.start_date_time),
            end: e.end_date_time.map(iso),
            extra: json!({
                "roleEligibilityScheduleId": format!("{}{PROVIDER}roleEligibilitySchedules/{}", e.scope, e.id),
            }),
        })
        .collect();
    instances(state, call, items)
}

pub(super) fn assignment_instances(state: &State, call: &Call) -> Result<Value, ArmError> {
    let items = state
        .listed(Provider::Azure)
        .map(|a| Instance {
            kind: "roleAssignmentScheduleInstances",
            name: &a.instance_id,
            scope: a.directory_scope_id.as_deref().unwrap_or_default(),
            role_guid: a.role_definition_id.rsplit('/').next().unwrap_or_default(),
            principal_id: &a.principal_id,
            start: iso(a.start),
            end: a.end.map(iso),
            extra: json!({
                "assignmentType": if a.activated { "Activated" } else { "Assigned" },
                "roleAssignmentScheduleId": format!(
                    "{}{PROVIDER}roleAssignmentSchedules/{}",
                    a.directory_scope_id.as_deref().unwrap_or_default(),
                    a.schedule_id
                ),
            }),
        })
        .collect();
    instances(state, call, items)
}

/// One policy assignment per role at the scope, each with the `effectiveRules` that apply there.
pub(super) fn policy_assignments(state: &State, call: &Call) -> Result<Value, ArmError> {
    if call.param("$filter").is_some() {
        return Err(ArmError::new(
            StatusCode::BAD_REQUEST,
            "InvalidFilter",
            "The emulator lists policy assignments without $filter; match properties.roleDefinitionId.",
        ));
    }
    let items = state
        .tenant
        .azure
        .role_definitions
        .iter()
        .map(|role| {
            let policy = state.azure_policy(&call.scope, &role.id);
            let name = format!("{}_{}", scope_guid(&call.scope), role.id);
            json!({
                "id": format!("{}{PROVIDER}roleManagementPolicyAssignments/{name}", call.scope),
                "name": name,
                "type": "Microsoft.Authorization/RoleManagementPolicyAssignment",
                "properties": {
                    "scope": call.scope,
                    "roleDefinitionId": role_definition_id(&call.scope, &role.id),
                    "policyId": format!("{}{PROVIDER}roleManagementPolicies/{name}", call.scope),
                    "effectiveRules": policy.graph_rules().iter().map(arm_rule).collect::<Vec<_>>(),
                    "policyAssignmentProperties": {
                        "scope": {"id": call.scope, "type": scope_type(&call.scope)},
                        "roleDefinition": {"id": role_definition_id(&call.scope, &role.id), "displayName": role.role_name, "type": "BuiltInRole"},
                    },
                },
            })
        })
        .collect();
    filter::page(call, items)
}

/// A Graph rule in ARM's spelling: `ruleType` for `@odata.type`, `All` for `all`, `UserSet`
/// approvers for Graph subject sets.
fn arm_rule(rule: &Value) -> Value {
    let mut out = rule.clone();
    let Some(map) = out.as_object_mut() else {
        return out;
    };
    if let Some(Value::String(odata)) = map.remove("@odata.type") {
        let name = odata.trim_start_matches("#microsoft.graph.unifiedRoleManagementPolicy");
        map.insert(
            "ruleType".into(),
            json!(format!("RoleManagementPolicy{name}")),
        );
    }
    if let Some(target) = map.get_mut("target").and_then(Value::as_object_mut) {
        target.insert("operations".into(), json!(["All"]));
        target.insert("targetObjects".into(), Value::Null);
    }
    let stages = map
        .get_mut("setting")
        .and_then(|s| s.get_mut("approvalStages"))
        .and_then(Value::as_array_mut);
    for stage in stages.into_iter().flatten() {
        if let Some(approvers) = stage
            .get_mut("primaryApprovers")
            .and_then(Value::as_array_mut)
        {
            for approver in approvers.iter_mut() {
                *approver = user_set(approver);
            }
        }
    }
    out
}

fn user_set(subject: &Value) -> Value {
    let (user_type, id) = match subject.get("@odata.type").and_then(Value::as_str) {
        Some("#microsoft.graph.groupMembers") => ("Group", subject.get("groupId")),
        _ => ("User", subject.get("userId")),
    };
    json!({"userType": user_type, "isBackup": false, "id": id, "description": null})
}

/// A stable GUID per scope, for policy names (the emulator's stand-in for ARM's own ids).
fn scope_guid(scope: &str) -> uuid::Uuid {
    let mut bytes = [0u8; 16];
    for (i, b) in scope.to_ascii_lowercase().bytes().enumerate() {
        bytes[i % 16] = bytes[i % 16].wrapping_mul(31).wrapping_add(b);
    }
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}
