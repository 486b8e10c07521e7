//! `PATCH …/rules/{ruleId}` as PIM reads it: the body must be a rule of the rule's own type
//! (`@odata.type`), and what it sets becomes the policy's override for that rule.

use serde_json::Value;

use super::{
    ApprovalOverride, AuthContextOverride, EnablementOverride, ExpirationOverride, RuleOverrides,
};
use crate::emulator::duration;

const EXPIRATION: &str = "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule";
const ENABLEMENT: &str = "#microsoft.graph.unifiedRoleManagementPolicyEnablementRule";
const APPROVAL: &str = "#microsoft.graph.unifiedRoleManagementPolicyApprovalRule";
const AUTH_CONTEXT: &str = "#microsoft.graph.unifiedRoleManagementPolicyAuthenticationContextRule";
const ENABLED_RULES: [&str; 3] = ["MultiFactorAuthentication", "Justification", "Ticketing"];

/// Why a rule update was refused: `(404 when the rule does not exist, message)`.
pub(crate) struct RuleError {
    pub(crate) unknown_rule: bool,
    pub(crate) message: String,
}

fn bad(message: impl Into<String>) -> RuleError {
    RuleError {
        unknown_rule: false,
        message: message.into(),
    }
}

/// Applies one rule `body` to the overrides of a policy.
pub(crate) fn apply(
    rules: &mut RuleOverrides,
    rule_id: &str,
    body: &Value,
) -> Result<(), RuleError> {
    let expected = match rule_id {
        "Expiration_EndUser_Assignment"
        | "Expiration_Admin_Assignment"
        | "Expiration_Admin_Eligibility" => EXPIRATION,
        "Enablement_EndUser_Assignment"
        | "Enablement_Admin_Assignment"
        | "Enablement_Admin_Eligibility" => ENABLEMENT,
        "Approval_EndUser_Assignment" => APPROVAL,
        "AuthenticationContext_EndUser_Assignment" => AUTH_CONTEXT,
        _ => {
            return Err(RuleError {
                unknown_rule: true,
                message: format!(
                    "The rule '{rule_id}' does not exist in this policy or cannot be changed here."
                ),
            });
        }
    };
    let odata_type = body
        .get("@odata.type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if odata_type != expected {
        return Err(bad(format!(
            "The '@odata.type' of rule '{rule_id}' must be '{expected}', not '{odata_type}'."
        )));
    }
    if body
        .get("id")
        .and_then(Value::as_str)
        .is_some_and(|id| id != rule_id)
    {
        return Err(bad(
            "The rule id in the body does not match the rule id in the URL.",
        ));
    }
    match expected {
        EXPIRATION => *expiration_slot(rules, rule_id) = Some(expiration(body)?),
        ENABLEMENT => {
            let over = Some(enablement(body)?);
            match rule_id {
                "Enablement_EndUser_Assignment" => rules.Enablement_EndUser_Assignment = over,
                "Enablement_Admin_Assignment" => rules.Enablement_Admin_Assignment = over,
                _ => rules.Enablement_Admin_Eligibility = over,
            }
        }
        APPROVAL => rules.Approval_EndUser_Assignment = Some(approval(body)?),
        _ => {
            rules.AuthenticationContext_EndUser_Assignment = Some(AuthContextOverride {
                is_enabled: body["isEnabled"].as_bool().unwrap_or(false),
                claim_value: body["claimValue"].as_str().map(str::to_owned),
            });
        }
    }
    rules.check().map_err(bad)
}

fn expiration(body: &Value) -> Result<ExpirationOverride, RuleError> {
    let maximum = body.get("maximumDuration").and_then(Value::as_str);
    if let Some(text) = maximum
        && duration::parse(text).is_none()
    {
        return Err(bad(format!(
            "'{text}' is not a valid ISO-8601 duration for maximumDuration."
        )));
    }
    Ok(ExpirationOverride {
        maximum_duration: maximum.map(str::to_owned),
        is_expiration_required: body.get("isExpirationRequired").and_then(Value::as_bool),
    })
}

fn enablement(body: &Value) -> Result<EnablementOverride, RuleError> {
    let enabled: Vec<String> = body
        .get("enabledRules")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("enabledRules is required."))?
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect();
    if let Some(unknown) = enabled
        .iter()
        .find(|r| !ENABLED_RULES.contains(&r.as_str()))
    {
        return Err(bad(format!(
            "'{unknown}' is not a valid enabled rule; use MultiFactorAuthentication, Justification or Ticketing."
        )));
    }
    Ok(EnablementOverride {
        enabled_rules: enabled,
    })
}

fn approval(body: &Value) -> Result<ApprovalOverride, RuleError> {
    let setting = body
        .get("setting")
        .ok_or_else(|| bad("setting is required."))?;
    let approvers = setting["approvalStages"][0]["primaryApprovers"]
        .as_array()
        .cloned();
    for approver in approvers.iter().flatten() {
        let kind = approver["@odata.type"].as_str().unwrap_or_default();
        let id = match kind {
            "#microsoft.graph.singleUser" => &approver["userId"],
            "#microsoft.graph.groupMembers" => &approver["groupId"],
            _ => return Err(bad(format!("The approver type '{kind}' is not supported."))),
        };
        if id.as_str().is_none_or(str::is_empty) {
            return Err(bad("Each primary approver needs a userId or groupId."));
        }
    }
    let stage = &setting["approvalStages"][0];
    Ok(ApprovalOverride {
        is_approval_required: setting["isApprovalRequired"].as_bool(),
        primary_approvers: approvers,
        approval_stage_time_out_in_days: stage["approvalStageTimeOutInDays"]
            .as_u64()
            .and_then(|d| u32::try_from(d).ok()),
        is_approver_justification_required: stage["isApproverJustificationRequired"].as_bool(),
    })
}

fn expiration_slot<'a>(
    rules: &'a mut RuleOverrides,
    rule_id: &str,
) -> &'a mut Option<ExpirationOverride> {
    match rule_id {
        "Expiration_EndUser_Assignment" => &mut rules.Expiration_EndUser_Assignment,
        "Expiration_Admin_Assignment" => &mut rules.Expiration_Admin_Assignment,
        _ => &mut rules.Expiration_Admin_Eligibility,
    }
}
