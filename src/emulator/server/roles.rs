//! Role reads: definitions, eligibility and assignment schedule instances, policy assignments.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::directory::directory_object;
use crate::emulator::odata::{GraphError, Query, Shape};
use crate::emulator::policy::RolePolicy;
use crate::emulator::state::{Assignment, State as EmuState};
use crate::emulator::tenant::{Eligibility, RoleDefinition};
use crate::emulator::{Emulator, Provider};

const ANY: Shape = Shape {
    type_name: "entity",
    known: &[],
    defaults: None,
};
const INSTANCE_EXPANDS: &[&str] = &[
    "roleDefinition",
    "principal",
    "principal,roleDefinition",
    "roleDefinition,principal",
];

/// Graph timestamps: UTC, millisecond precision, `Z`.
pub(crate) fn iso(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(super) async fn list_definitions(
    State(emulator): State<Emulator>,
    query: Query,
) -> Result<Json<Value>, GraphError> {
    query.check_filter(&["displayName", "id", "templateId"])?;
    let items = emulator
        .lock()
        .tenant
        .role_definitions
        .iter()
        .map(definition_json)
        .collect();
    Ok(Json(query.collection(
        "roleManagement/directory/roleDefinitions",
        items,
        ANY,
    )?))
}

pub(super) async fn get_definition(
    State(emulator): State<Emulator>,
    Path(id): Path<String>,
    query: Query,
) -> Result<Json<Value>, GraphError> {
    let role = emulator
        .lock()
        .tenant
        .role(&id)
        .map(definition_json)
        .ok_or_else(|| GraphError::not_found(&id))?;
    Ok(Json(query.entity(
        "roleManagement/directory/roleDefinitions/$entity",
        role,
        ANY,
    )?))
}

pub(super) async fn eligibility_instances(
    State(emulator): State<Emulator>,
    query: Query,
) -> Result<Json<Value>, GraphError> {
    query.check_filter(&[
        "principalId",
        "roleDefinitionId",
        "directoryScopeId",
        "appScopeId",
        "memberType",
    ])?;
    query.check_expand(INSTANCE_EXPANDS)?;
    let items = {
        let state = emulator.lock();
        let now = state.now();
        let current = |e: &&Eligibility| {
            e.start_date_time <= now && e.end_date_time.is_none_or(|end| end > now)
        };
        let items: Vec<Value> = state
            .tenant
            .eligibilities
            .iter()
            .filter(current)
            .map(eligibility_json)
            .collect();
        expand(&state, &query, items)
    };
    Ok(Json(query.collection(
        "roleManagement/directory/roleEligibilityScheduleInstances",
        items,
        ANY,
    )?))
}

pub(super) async fn assignment_instances(
    State(emulator): State<Emulator>,
    query: Query,
) -> Result<Json<Value>, GraphError> {
    query.check_filter(&[
        "principalId",
        "roleDefinitionId",
        "directoryScopeId",
        "appScopeId",
        "assignmentType",
        "memberType",
    ])?;
    query.check_expand(INSTANCE_EXPANDS)?;
    let items = {
        let state = emulator.lock();
        let items: Vec<Value> = state.listed(Provider::Role).map(assignment_json).collect();
        expand(&state, &query, items)
    };
    Ok(Json(query.collection(
        "roleManagement/directory/roleAssignmentScheduleInstances",
        items,
        ANY,
    )?))
}

/// `$filter` must pin `scopeId` and `scopeType` (Graph refuses otherwise); `$expand=policy($expand=rules)`
/// inlines the rules.
pub(super) async fn policy_assignments(
    State(emulator): State<Emulator>,
    query: Query,
) -> Result<Json<Value>, GraphError> {
    query.check_filter(&["scopeId", "scopeType", "roleDefinitionId", "policyId"])?;
    query.check_expand(&["policy($expand=rules)", "policy"])?;
    let (scope_id, scope_type) = match &query.filter {
        Some(f) => (f.required("scopeId"), f.required("scopeType")),
        None => (None, None),
    };
    let (Some(scope_id), Some(scope_type)) = (scope_id, scope_type) else {
        return Err(GraphError::bad_request(
            "The filter must contain 'scopeId eq' and 'scopeType eq' clauses joined by 'and'.",
        ));
    };
    let role_scope = matches!(
        scope_type.to_ascii_lowercase().as_str(),
        "directoryrole" | "directory"
    );
    let with_policy = query.expand.is_some();
    let with_rules = query.expand.as_deref().is_some_and(|e| e.contains("rules"));
    let state = emulator.lock();
    let items: Vec<Value> = if role_scope && scope_id == "/" {
        let scope_type = if scope_type.eq_ignore_ascii_case("directory") {
            "Directory"
        } else {
            "DirectoryRole"
        };
        state
            .tenant
            .role_definitions
            .iter()
            .map(|role| {
                let at = PolicyAt {
                    scope_id: "/",
                    scope_type,
                    role_id: &role.id,
                    key: &role.id,
                };
                policy_assignment_json(
                    &state,
                    &at,
                    state.policy(&role.id),
                    with_rules && with_policy,
                    with_policy,
                )
            })
            .collect()
    } else if scope_type.eq_ignore_ascii_case("group") {
        // Every group is PIM-enabled here: real PIM onboards a group on its first request.
        match state.tenant.group(scope_id) {
            Some(group) => ["member", "owner"]
                .into_iter()
                .map(|access| {
                    let at = PolicyAt {
                        scope_id: &group.id,
                        scope_type: "Group",
                        role_id: access,
                        key: &group.id,
                    };
                    let policy = state.group_policy(&group.id, access);
                    policy_assignment_json(
                        &state,
                        &at,
                        policy,
                        with_rules && with_policy,
                        with_policy,
                    )
                })
                .collect(),
            None => Vec::new(),
        }
    } else {
        Vec::new()
    };
    drop(state);
    let fragment = match (with_policy, with_rules) {
        (true, true) => "policies/roleManagementPolicyAssignments(policy(rules()))",
        (true, false) => "policies/roleManagementPolicyAssignments(policy())",
        _ => "policies/roleManagementPolicyAssignments",
    };
    Ok(Json(query.collection(fragment, items, ANY)?))
}

/// Where a policy is assigned: scope, scope type, role (or `member`/`owner`), and the id the
/// policy's GUID is derived from.
struct PolicyAt<'a> {
    scope_id: &'a str,
    scope_type: &'a str,
    role_id: &'a str,
    key: &'a str,
}

/// The GUID of the policy for `role_id` (a role id, or a group's `member` / `owner`) of `key`
/// (the role, or the group): stable, and different for a group's member and owner policies.
pub(super) fn policy_guid(key: &str, role_id: &str) -> Uuid {
    let owner = u128::from(role_id.eq_ignore_ascii_case("owner"));
    Uuid::parse_str(key)
        .map(|u| Uuid::from_u128(u.as_u128() ^ 0x5049_4d45_4d55_4c41_544f_5250_4f4c_4943 ^ owner))
        .unwrap_or_default()
}

fn policy_assignment_json(
    state: &EmuState,
    at: &PolicyAt<'_>,
    policy: RolePolicy,
    rules: bool,
    with_policy: bool,
) -> Value {
    // Stable per role or group, shaped like Graph's `{scopeType}_{tenantId}_{guid}` policy ids.
    let guid = policy_guid(at.key, at.role_id);
    let policy_id = format!("{}_{}_{guid}", at.scope_type, state.tenant.tenant_id);
    let mut item = json!({
        "id": format!("{policy_id}_{}", at.role_id),
        "policyId": policy_id,
        "scopeId": at.scope_id,
        "scopeType": at.scope_type,
        "roleDefinitionId": at.role_id,
    });
    if with_policy {
        let mut body = json!({
            "id": policy_id,
            "displayName": at.scope_type,
            "description": at.scope_type,
            "isOrganizationDefault": false,
            "scopeId": at.scope_id,
            "scopeType": at.scope_type,
            "lastModifiedDateTime": null,
            "lastModifiedBy": {"displayName": null, "id": null},
        });
        if rules {
            body["rules"] = Value::Array(policy.graph_rules());
        }
        item["policy"] = body;
    }
    item
}

fn expand(state: &EmuState, query: &Query, mut items: Vec<Value>) -> Vec<Value> {
    let Some(expand) = &query.expand else {
        return items;
    };
    for item in &mut items {
        let text = |key: &str| item[key].as_str().unwrap_or_default().to_owned();
        let (role_id, principal_id) = (text("roleDefinitionId"), text("principalId"));
        if expand.contains("roleDefinition") {
            item["roleDefinition"] = state
                .tenant
                .role(&role_id)
                .map(definition_json)
                .unwrap_or(Value::Null);
        }
        if expand.contains("principal") {
            item["principal"] =
                directory_object(&state.tenant, &principal_id).unwrap_or(Value::Null);
        }
    }
    items
}

fn definition_json(role: &RoleDefinition) -> Value {
    json!({
        "id": role.id,
        "displayName": role.display_name,
        "description": role.description,
        "isBuiltIn": role.is_built_in,
        "isEnabled": true,
        "resourceScopes": ["/"],
        "templateId": role.id,
        "version": if role.is_built_in { Value::from("1") } else { Value::Null },
        "rolePermissions": [{"allowedResourceActions": role.allowed_resource_actions, "condition": null}],
    })
}

fn eligibility_json(e: &Eligibility) -> Value {
    json!({
        "id": e.id,
        "principalId": e.principal_id,
        "roleDefinitionId": e.role_definition_id,
        "directoryScopeId": e.directory_scope_id,
        "appScopeId": null,
        "startDateTime": iso(e.start_date_time),
        "endDateTime": e.end_date_time.map(iso),
        "memberType": "Direct",
        "roleEligibilityScheduleId": e.id,
    })
}

fn assignment_json(a: &Assignment) -> Value {
    let kind = if a.activated { "Activated" } else { "Assigned" };
    json!({
        "id": a.instance_id,
        "principalId": a.principal_id,
        "roleDefinitionId": a.role_definition_id,
        "directoryScopeId": a.directory_scope_id,
        "appScopeId": a.app_scope_id,
        "startDateTime": iso(a.start),
        "endDateTime": a.end.map(iso),
        "assignmentType": kind,
        "memberType": "Direct",
        "roleAssignmentOriginId": a.instance_id,
        "roleAssignmentScheduleId": a.schedule_id,
    })
}
