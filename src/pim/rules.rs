//! PIM role settings as a [`PimPolicy`]: the end-user activation rules only, since those are what
//! pimbot enforces in `assign` mode. Graph (`unifiedRoleManagementPolicy.rules`, typed by
//! `@odata.type`) and ARM (`effectiveRules`, typed by `ruleType`) use the same rule ids and model.

use serde_json::Value;

use crate::domain::duration::ElevationDuration;
use crate::domain::policy::PimPolicy;

const EXPIRATION: &str = "ExpirationRule";
const ENABLEMENT: &str = "EnablementRule";
const APPROVAL: &str = "ApprovalRule";
const AUTH_CONTEXT: &str = "AuthenticationContextRule";

/// `ExpirationRule` from `#microsoft.graph.unifiedRoleManagementPolicyExpirationRule` (Graph) or
/// `RoleManagementPolicyExpirationRule` (ARM).
fn rule_type(rule: &Value) -> &str {
    let text = rule
        .get("@odata.type")
        .or_else(|| rule.get("ruleType"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let text = text.trim_start_matches("#microsoft.graph.unified");
    text.trim_start_matches("RoleManagementPolicy")
}

/// Maps the rules of one policy. Fails on a maximum duration pimbot cannot read.
pub(crate) fn from_rules(rules: &[Value]) -> Result<PimPolicy, String> {
    let mut policy = PimPolicy::default();
    for rule in rules {
        let id = rule.get("id").and_then(Value::as_str).unwrap_or_default();
        match (id, rule_type(rule)) {
            ("Expiration_EndUser_Assignment", EXPIRATION) => {
                policy.max_duration = max_duration(rule)?;
            }
            ("Enablement_EndUser_Assignment", ENABLEMENT) => {
                for enabled in strings(rule.get("enabledRules")) {
                    match enabled {
                        "Justification" => policy.require_justification = true,
                        "Ticketing" => policy.require_ticket = true,
                        "MultiFactorAuthentication" => policy.require_mfa = true,
                        other => tracing::debug!(rule = other, "unknown enablement rule ignored"),
                    }
                }
            }
            ("AuthenticationContext_EndUser_Assignment", AUTH_CONTEXT)
                if rule.get("isEnabled").and_then(Value::as_bool) == Some(true) =>
            {
                let claim = rule
                    .get("claimValue")
                    .and_then(Value::as_str)
                    .filter(|c| !c.is_empty())
                    .unwrap_or("unspecified");
                policy.authentication_context = Some(claim.to_owned());
            }
            ("Approval_EndUser_Assignment", APPROVAL) => approvers(rule, &mut policy),
            _ => {}
        }
    }
    Ok(policy)
}

/// `None` when PIM does not require an end or allows more than pimbot ever grants (31 days).
fn max_duration(rule: &Value) -> Result<Option<ElevationDuration>, String> {
    if rule.get("isExpirationRequired").and_then(Value::as_bool) == Some(false) {
        return Ok(None);
    }
    let Some(text) = rule.get("maximumDuration").and_then(Value::as_str) else {
        return Ok(None);
    };
    match ElevationDuration::parse(text) {
        Ok(duration) => Ok(Some(duration)),
        Err(_) if whole_days(text).is_some_and(|days| days > 31) => Ok(None),
        Err(e) => Err(format!("maximumDuration: {e}")),
    }
}

fn whole_days(iso: &str) -> Option<u32> {
    iso.strip_prefix('P')?.strip_suffix('D')?.parse().ok()
}

fn approvers(rule: &Value, policy: &mut PimPolicy) {
    let Some(setting) = rule.get("setting") else {
        return;
    };
    if setting.get("isApprovalRequired").and_then(Value::as_bool) != Some(true) {
        return;
    }
    let stages = setting
        .get("approvalStages")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let subjects = stages
        .iter()
        .filter_map(|stage| stage.get("primaryApprovers").and_then(Value::as_array))
        .flatten();
    for subject in subjects {
        let field = |key: &str| subject.get(key).and_then(Value::as_str).map(str::to_owned);
        let odata_type = subject.get("@odata.type").and_then(Value::as_str);
        let user_type = subject.get("userType").and_then(Value::as_str);
        let (list, id) = match (odata_type, user_type) {
            (Some("#microsoft.graph.singleUser"), _) => {
                (&mut policy.approver_users, field("userId"))
            }
            (Some("#microsoft.graph.groupMembers"), _) => {
                (&mut policy.approver_groups, field("groupId"))
            }
            // ARM `UserSet`.
            (None, Some("User")) => (&mut policy.approver_users, field("id")),
            (None, Some("Group")) => (&mut policy.approver_groups, field("id")),
            other => {
                tracing::debug!(subject = ?other, "approver kind pimbot cannot resolve ignored");
                continue;
            }
        };
        if let Some(id) = id.filter(|id| !list.contains(id)) {
            list.push(id);
        }
    }
}

fn strings(value: Option<&Value>) -> impl Iterator<Item = &str> {
    value
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const GRAPH_EXPIRATION: &str = "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule";

    #[test]
    fn the_documented_arm_policy_maps_through_the_same_rules() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/contracts/arm-pim-examples/GetRoleManagementPolicyByName.json"
        );
        let text = std::fs::read_to_string(path).expect("contracts example");
        let example: Value = serde_json::from_str(&text).expect("json");
        let rules = example["responses"]["200"]["body"]["properties"]["effectiveRules"]
            .as_array()
            .expect("effectiveRules")
            .clone();
        let policy = from_rules(&rules).expect("readable");
        let expected_max = rules
            .iter()
            .find(|r| r["id"] == "Expiration_EndUser_Assignment")
            .and_then(|r| r["maximumDuration"].as_str())
            .and_then(|d| ElevationDuration::parse(d).ok());
        assert_eq!(policy.max_duration, expected_max);
        let enabled: Vec<&str> = rules
            .iter()
            .find(|r| r["id"] == "Enablement_EndUser_Assignment")
            .and_then(|r| r["enabledRules"].as_array())
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        assert_eq!(
            policy.require_mfa,
            enabled.contains(&"MultiFactorAuthentication")
        );
        assert_eq!(
            policy.require_justification,
            enabled.contains(&"Justification")
        );
        assert_eq!(policy.require_ticket, enabled.contains(&"Ticketing"));
    }

    #[test]
    fn arm_user_sets_are_approvers() {
        let rules = vec![json!({
            "id": "Approval_EndUser_Assignment", "ruleType": "RoleManagementPolicyApprovalRule",
            "setting": {"isApprovalRequired": true, "approvalStages": [{"primaryApprovers": [
                {"userType": "User", "id": "u-1", "isBackup": false},
                {"userType": "Group", "id": "g-1", "isBackup": false}
            ]}]}
        })];
        let policy = from_rules(&rules).expect("readable");
        assert_eq!(policy.approver_users, vec!["u-1"]);
        assert_eq!(policy.approver_groups, vec!["g-1"]);
    }

    fn example_rules() -> Vec<Value> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/contracts/graph-pim-examples/listRoleManagementPolicyAssignments.directoryRole.expandPolicyRules.json"
        );
        let text = std::fs::read_to_string(path).expect("contracts example");
        let example: Value = serde_json::from_str(&text).expect("json");
        example["response"]["body"]["value"][0]["policy"]["rules"]
            .as_array()
            .expect("rules")
            .clone()
    }

    #[test]
    fn the_documented_directory_role_policy_maps_to_eight_hours_mfa_and_justification() {
        let policy = from_rules(&example_rules()).expect("readable");
        assert_eq!(
            policy,
            PimPolicy {
                max_duration: ElevationDuration::from_minutes(480),
                require_justification: true,
                require_ticket: false,
                require_mfa: true,
                authentication_context: None,
                // isApprovalRequired is false there, so no approvers even if listed.
                approver_users: vec![],
                approver_groups: vec![],
            }
        );
    }

    #[test]
    fn approvers_of_every_stage_are_read_when_approval_is_required() {
        let mut rules = example_rules();
        for rule in &mut rules {
            if rule["id"] == "Approval_EndUser_Assignment" {
                rule["setting"]["isApprovalRequired"] = json!(true);
                rule["setting"]["approvalStages"] = json!([
                    {"primaryApprovers": [
                        {"@odata.type": "#microsoft.graph.singleUser", "userId": "u-1"},
                        {"@odata.type": "#microsoft.graph.groupMembers", "groupId": "g-1"},
                        {"@odata.type": "#microsoft.graph.requestorManager", "managerLevel": 1}
                    ]},
                    {"primaryApprovers": [
                        {"@odata.type": "#microsoft.graph.singleUser", "userId": "u-2"},
                        {"@odata.type": "#microsoft.graph.singleUser", "userId": "u-1"}
                    ]}
                ]);
            }
            if rule["id"] == "AuthenticationContext_EndUser_Assignment" {
                rule["isEnabled"] = json!(true);
                rule["claimValue"] = json!("c1");
            }
            if rule["id"] == "Enablement_EndUser_Assignment" {
                rule["enabledRules"] = json!(["Ticketing"]);
            }
        }
        let policy = from_rules(&rules).expect("readable");
        assert_eq!(policy.approver_users, vec!["u-1", "u-2"]);
        assert_eq!(policy.approver_groups, vec!["g-1"]);
        assert_eq!(policy.authentication_context.as_deref(), Some("c1"));
        assert!(policy.require_ticket);
        assert!(!policy.require_mfa);
        assert!(!policy.require_justification);
    }

    #[test]
    fn admin_rules_never_leak_into_the_end_user_policy() {
        let rules = vec![json!({
            "@odata.type": GRAPH_EXPIRATION, "id": "Expiration_Admin_Assignment",
            "isExpirationRequired": true, "maximumDuration": "PT1H"
        })];
        assert_eq!(from_rules(&rules), Ok(PimPolicy::default()));
    }

    #[test]
    fn maximums_beyond_31_days_mean_no_pim_cap_and_seconds_are_refused() {
        let rule = |max: &str| {
            vec![json!({
                "@odata.type": GRAPH_EXPIRATION, "id": "Expiration_EndUser_Assignment",
                "isExpirationRequired": true, "maximumDuration": max
            })]
        };
        assert_eq!(from_rules(&rule("P365D")).map(|p| p.max_duration), Ok(None));
        assert_eq!(
            from_rules(&rule("PT90M")).map(|p| p.max_duration),
            Ok(ElevationDuration::from_minutes(90))
        );
        assert!(from_rules(&rule("PT30S")).is_err());
    }
}
