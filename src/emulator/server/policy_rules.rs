//! `PATCH /policies/roleManagementPolicies/{policyId}/rules/{ruleId}`: changes one rule of a
//! role's or a group's PIM policy (found by the policy id the assignments list shows).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::roles::policy_guid;
use super::writes::object_body;
use crate::emulator::Emulator;
use crate::emulator::odata::GraphError;
use crate::emulator::policy::patch;
use crate::emulator::policy::{PolicyFixture, RuleOverrides};
use crate::emulator::providers::GroupPolicyFixture;

pub(super) async fn update_rule(
    State(emulator): State<Emulator>,
    Path((policy_id, rule_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<StatusCode, GraphError> {
    let body = serde_json::Value::Object(object_body(&body)?);
    let mut state = emulator.lock();
    let guid = policy_id
        .rsplit('_')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let tenant = &mut state.tenant;
    let same = |key: &str, role: &str| policy_guid(key, role).to_string() == guid;
    let role = tenant
        .role_definitions
        .iter()
        .find(|r| same(&r.id, &r.id))
        .map(|r| r.id.clone());
    let group = tenant.groups.iter().find_map(|g| {
        ["member", "owner"]
            .into_iter()
            .find(|access| same(&g.id, access))
            .map(|access| (g.id.clone(), access))
    });
    let rules: &mut RuleOverrides = if let Some(role) = role {
        let at = tenant
            .policies
            .iter()
            .position(|p| p.role_definition_id.eq_ignore_ascii_case(&role));
        let at = at.unwrap_or_else(|| {
            tenant.policies.push(PolicyFixture {
                role_definition_id: role.clone(),
                rules: RuleOverrides::default(),
            });
            tenant.policies.len() - 1
        });
        &mut tenant.policies[at].rules
    } else if let Some((group, access)) = group {
        let at = tenant
            .group_policies
            .iter()
            .position(|p| p.group_id.eq_ignore_ascii_case(&group) && p.access_id == access);
        let at = at.unwrap_or_else(|| {
            tenant.group_policies.push(GroupPolicyFixture {
                group_id: group.clone(),
                access_id: access.to_owned(),
                rules: RuleOverrides::default(),
            });
            tenant.group_policies.len() - 1
        });
        &mut tenant.group_policies[at].rules
    } else {
        return Err(GraphError::not_found(&policy_id));
    };
    let mut changed = rules.clone();
    match patch::apply(&mut changed, &rule_id, &body) {
        Ok(()) => {
            *rules = changed;
            Ok(StatusCode::NO_CONTENT)
        }
        Err(error) if error.unknown_rule => Err(GraphError::new(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            error.message,
        )),
        Err(error) => Err(GraphError::bad_request(error.message)),
    }
}
