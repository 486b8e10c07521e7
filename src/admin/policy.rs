//! `pimbot admin policy set`: an Entra role's, a group's or an Azure role's PIM activation rules
//! (the maximum activation, what activation requires, who approves). Graph: one
//! `PATCH …/roleManagementPolicies/{id}/rules/{ruleId}` per rule that differs; ARM: one
//! `PATCH {scope}/…/roleManagementPolicies/{name}` with the rules that differ.

mod rules;

use serde_json::{Value, json};

use super::args::{PolicyArgs, PolicyCommand};
use super::names::{is_placeholder, literal};
use super::{Change, Names, Result, Step, invalid};
use crate::domain::duration::ElevationDuration;
use crate::pim::tenant::{Call, Service, Verb};
use rules::{Approver, Dialect, Wanted, changes};

pub(crate) async fn plan(names: &Names, command: &PolicyCommand) -> Result<Vec<Step>> {
    let PolicyCommand::Set(args) = command;
    Ok(vec![step(names, args).await?])
}

/// `justification,ticket,mfa` in PIM's words (`none`: nothing).
fn enabled_rules(require: &[String]) -> Result<Vec<String>> {
    let mut rules = Vec::new();
    for word in require.iter().map(|w| w.trim().to_ascii_lowercase()) {
        let rule = match word.as_str() {
            "none" | "" => continue,
            "justification" => "Justification",
            "ticket" => "Ticketing",
            "mfa" => "MultiFactorAuthentication",
            other => {
                return Err(invalid(format!(
                    "--require `{other}`: use justification, ticket, mfa (comma-separated) or none"
                )));
            }
        };
        rules.push(rule.to_owned());
    }
    rules.sort();
    rules.dedup();
    Ok(rules)
}

async fn approvers(names: &Names, approval: &[String]) -> Result<Vec<Approver>> {
    let mut out = Vec::new();
    let named = approval
        .iter()
        .map(|n| n.trim())
        .filter(|n| !n.is_empty() && !n.eq_ignore_ascii_case("none"));
    for name in named {
        let id = names.principal_id(name).await?;
        let is_group = is_placeholder(&id) || names.find_group(&id).await?.is_some();
        out.push(Approver { id, is_group });
    }
    Ok(out)
}

async fn wanted(names: &Names, args: &PolicyArgs) -> Result<Wanted> {
    let max_duration = match &args.max_duration {
        Some(text) => Some(
            ElevationDuration::parse(text).map_err(|e| invalid(format!("--max-duration: {e}")))?,
        ),
        None => None,
    };
    let approvers = match &args.approval {
        Some(list) => Some(approvers(names, list).await?),
        None => None,
    };
    Ok(Wanted {
        max_duration,
        enabled_rules: args.require.as_deref().map(enabled_rules).transpose()?,
        approvers,
    })
}

pub(crate) async fn step(names: &Names, args: &PolicyArgs) -> Result<Step> {
    let target = &args.target;
    if let Some(role) = &target.azure_role {
        return azure_step(names, args, role).await;
    }
    let (scope_id, scope_type, role, object) = if let Some(role) = &target.role {
        if target.scope.as_deref().is_some_and(|s| s != "/") {
            return Err(invalid(
                "Entra role settings are tenant-wide in PIM: --scope must be / (or left out)",
            ));
        }
        let id = names.role_id(role).await?;
        (
            "/".to_owned(),
            "DirectoryRole",
            id,
            format!("policy of role \"{role}\""),
        )
    } else {
        let group = target.group.as_deref().unwrap_or_default();
        let access = target
            .access
            .ok_or_else(|| invalid("--group needs --access member|owner"))?;
        let object = format!("policy of {} of group \"{group}\"", access.as_str());
        (
            names.group_id(group).await?,
            "Group",
            access.as_str().to_owned(),
            object,
        )
    };
    let wanted = wanted(names, args).await?;
    if is_placeholder(&scope_id) || is_placeholder(&role) {
        // Created earlier in the same plan: PIM gives it the default policy, which the plan
        // changes once it exists.
        return Ok(Step::new(object, Change::Update, Vec::new()).because("after it is created"));
    }
    let filter = format!(
        "scopeId eq {} and scopeType eq {} and roleDefinitionId eq {}",
        literal(&scope_id),
        literal(scope_type),
        literal(&role)
    );
    let call = Call::new(
        Service::Graph,
        Verb::Get,
        "policies/roleManagementPolicyAssignments",
    )
    .query("$filter", filter)
    .query("$expand", "policy($expand=rules)");
    let assignments = names.api.list(&call).await?;
    let Some(assignment) = assignments.first() else {
        return Err(invalid(format!("PIM shows no policy for the {object}")));
    };
    let policy_id = assignment["policyId"].as_str().unwrap_or_default();
    let current = assignment["policy"]["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let changed = changes(&current, &wanted, Dialect::Graph);
    if changed.is_empty() {
        return Ok(Step::unchanged(object));
    }
    let what: Vec<String> = changed.iter().map(|(_, _, what)| what.clone()).collect();
    let calls = changed
        .into_iter()
        .map(|(id, body, _)| {
            let path = format!("policies/roleManagementPolicies/{policy_id}/rules/{id}");
            Call::new(Service::Graph, Verb::Patch, path).body(body)
        })
        .collect();
    Ok(Step::new(object, Change::Update, calls).because(what.join(", ")))
}

async fn azure_step(names: &Names, args: &PolicyArgs, role: &str) -> Result<Step> {
    let scope = args
        .target
        .scope
        .as_deref()
        .ok_or_else(|| invalid("--azure-role needs --scope ARM_SCOPE"))?
        .trim_end_matches('/');
    let (role_id, role_name) = names.azure_role(role, scope).await?;
    let object = format!("policy of Azure role \"{role_name}\" at {scope}");
    let wanted = wanted(names, args).await?;
    let path = format!("{scope}/providers/Microsoft.Authorization/roleManagementPolicyAssignments");
    let call = Call::new(Service::Arm, Verb::Get, path).query("api-version", "2020-10-01");
    let guid = |id: &str| id.rsplit('/').next().unwrap_or(id).to_ascii_lowercase();
    let assignments = names.api.list(&call).await?;
    let Some(assignment) = assignments.iter().find(|a| {
        a["properties"]["roleDefinitionId"]
            .as_str()
            .is_some_and(|r| guid(r) == guid(&role_id))
    }) else {
        return Err(invalid(format!("PIM shows no policy for the {object}")));
    };
    let policy_id = assignment["properties"]["policyId"]
        .as_str()
        .unwrap_or_default();
    let current: Vec<Value> = assignment["properties"]["effectiveRules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let changed = changes(&current, &wanted, Dialect::Arm);
    if changed.is_empty() {
        return Ok(Step::unchanged(object));
    }
    let what: Vec<String> = changed.iter().map(|(_, _, what)| what.clone()).collect();
    let rules: Vec<Value> = changed.into_iter().map(|(_, body, _)| body).collect();
    let patch = Call::new(Service::Arm, Verb::Patch, policy_id)
        .query("api-version", "2020-10-01")
        .body(json!({ "properties": { "rules": rules } }));
    Ok(Step::new(object, Change::Update, vec![patch]).because(what.join(", ")))
}
