//! `pimbot admin policy set`: an Entra role's or a group's PIM activation rules (Graph
//! `roleManagementPolicies/{id}/rules/{ruleId}`): the maximum activation, what activation
//! requires (justification, ticket, MFA), and who approves. Only the rules whose value differs
//! are patched, each keeping the rest of its current body.

use serde_json::{Value, json};

use super::args::PolicyArgs;
use super::names::{is_placeholder, literal};
use super::{Change, Names, Result, Step, invalid};
use crate::domain::duration::ElevationDuration;
use crate::pim::tenant::{Call, Service, Verb};

pub(crate) async fn plan(names: &Names, command: &super::args::PolicyCommand) -> Result<Vec<Step>> {
    let super::args::PolicyCommand::Set(args) = command;
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

/// Graph `subjectSet`s for `--approval` (`none`: nobody, and no approval).
async fn approvers(names: &Names, approval: &[String]) -> Result<Vec<Value>> {
    let mut sets = Vec::new();
    for name in approval
        .iter()
        .map(|n| n.trim())
        .filter(|n| !n.is_empty() && !n.eq_ignore_ascii_case("none"))
    {
        let id = names.principal_id(name).await?;
        let is_group = is_placeholder(&id) || names.find_group(&id).await?.is_some();
        sets.push(if is_group {
            json!({"@odata.type": "#microsoft.graph.groupMembers", "groupId": id})
        } else {
            json!({"@odata.type": "#microsoft.graph.singleUser", "userId": id})
        });
    }
    Ok(sets)
}

fn approver_ids(rule: &Value) -> Vec<String> {
    let mut ids: Vec<String> = rule["setting"]["approvalStages"][0]["primaryApprovers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["userId"].as_str().or_else(|| a["groupId"].as_str()))
        .map(str::to_ascii_lowercase)
        .collect();
    ids.sort();
    ids
}

pub(crate) async fn step(names: &Names, args: &PolicyArgs) -> Result<Step> {
    if args.azure_role.is_some() {
        return Err(invalid(
            "policy set for Azure roles is not available in this version; set it in the Azure portal (PIM > Azure resources > Settings)",
        ));
    }
    let (scope_id, scope_type, role, object) = if let Some(role) = &args.role {
        if args.scope.as_deref().is_some_and(|s| s != "/") {
            return Err(invalid(
                "Entra role settings are tenant-wide in PIM: --scope must be / (or left out)",
            ));
        }
        (
            "/".to_owned(),
            "DirectoryRole",
            names.role_id(role).await?,
            format!("policy of role \"{role}\""),
        )
    } else {
        let group = args.group.as_deref().unwrap_or_default();
        let access = args
            .access
            .ok_or_else(|| invalid("--group needs --access member|owner"))?;
        (
            names.group_id(group).await?,
            "Group",
            access.as_str().to_owned(),
            format!("policy of {} of group \"{group}\"", access.as_str()),
        )
    };
    let max = match &args.max_duration {
        Some(text) => Some(
            ElevationDuration::parse(text).map_err(|e| invalid(format!("--max-duration: {e}")))?,
        ),
        None => None,
    };
    let require = args.require.as_deref().map(enabled_rules).transpose()?;
    let approval = match &args.approval {
        Some(list) => Some(approvers(names, list).await?),
        None => None,
    };
    if is_placeholder(&scope_id) || is_placeholder(&role) {
        // The role or group is created earlier in the same plan: PIM gives it the default
        // policy, which the plan changes once it exists.
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
    let policy_id = assignment["policyId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let rules = assignment["policy"]["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let rule = |id: &str| {
        rules
            .iter()
            .find(|r| r["id"] == id)
            .cloned()
            .unwrap_or_else(|| json!({"id": id}))
    };
    let mut calls = Vec::new();
    let mut changed = Vec::new();
    let mut patch = |id: &str, body: Value, what: &str| {
        calls.push(
            Call::new(
                Service::Graph,
                Verb::Patch,
                format!("policies/roleManagementPolicies/{policy_id}/rules/{id}"),
            )
            .body(body),
        );
        changed.push(what.to_owned());
    };
    if let Some(max) = max {
        let mut current = rule("Expiration_EndUser_Assignment");
        let now = current["maximumDuration"]
            .as_str()
            .and_then(|d| ElevationDuration::parse(d).ok());
        if now != Some(max) {
            current["maximumDuration"] = json!(max.to_iso8601());
            current["isExpirationRequired"] = json!(true);
            patch(
                "Expiration_EndUser_Assignment",
                current,
                &format!("maximum {}", max.to_iso8601()),
            );
        }
    }
    if let Some(require) = require {
        let mut current = rule("Enablement_EndUser_Assignment");
        let mut now: Vec<String> = current["enabledRules"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r.as_str().map(str::to_owned))
            .collect();
        now.sort();
        if now != require {
            current["enabledRules"] = json!(require);
            patch(
                "Enablement_EndUser_Assignment",
                current,
                &format!("requires {}", require.join(", ")),
            );
        }
    }
    if let Some(approval) = approval {
        let mut current = rule("Approval_EndUser_Assignment");
        let wanted_ids =
            approver_ids(&json!({"setting": {"approvalStages": [{"primaryApprovers": approval}]}}));
        let required = !approval.is_empty();
        if approver_ids(&current) != wanted_ids
            || current["setting"]["isApprovalRequired"] != required
        {
            current["setting"]["isApprovalRequired"] = json!(required);
            if current["setting"]["approvalStages"][0].is_object() {
                current["setting"]["approvalStages"][0]["primaryApprovers"] = json!(approval);
            } else {
                current["setting"]["approvalStages"] = json!([{"primaryApprovers": approval}]);
            }
            patch(
                "Approval_EndUser_Assignment",
                current,
                if required { "approvers" } else { "no approval" },
            );
        }
    }
    if calls.is_empty() {
        return Ok(Step::unchanged(object));
    }
    Ok(Step::new(object, Change::Update, calls).because(changed.join(", ")))
}
