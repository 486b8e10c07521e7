//! Role management policies: the fixture's per-rule overrides, the defaults PIM ships with, the
//! Graph rendering of the rule list and the Admin-rule checks applied to `adminAssign`.

use chrono::TimeDelta;
use serde::Deserialize;
use serde_json::{Value, json};

use super::duration;

mod activation;
pub(crate) mod patch;
mod rules;

pub(crate) use activation::ApprovalStage;

use rules::{enablement_rule, expiration_rule, notification_rules, subject_set, target};

/// Policy overrides for one role at scope `/`; rules not named keep PIM's defaults.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyFixture {
    /// The role the policy applies to.
    pub role_definition_id: String,
    /// Overrides keyed by Graph rule id.
    #[serde(default)]
    pub rules: RuleOverrides,
}

/// Rule overrides keyed by the Graph rule ids.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(non_snake_case, reason = "field names are the Graph rule ids")]
pub struct RuleOverrides {
    /// Maximum activation duration.
    pub Expiration_EndUser_Assignment: Option<ExpirationOverride>,
    /// Requirements on activation (MultiFactorAuthentication, Justification, Ticketing).
    pub Enablement_EndUser_Assignment: Option<EnablementOverride>,
    /// Approval on activation.
    pub Approval_EndUser_Assignment: Option<ApprovalOverride>,
    /// Conditional Access authentication context on activation.
    pub AuthenticationContext_EndUser_Assignment: Option<AuthContextOverride>,
    /// Limits on admin-made active assignments (checked by `adminAssign`).
    pub Expiration_Admin_Assignment: Option<ExpirationOverride>,
    /// Requirements on admin-made active assignments (checked by `adminAssign`).
    pub Enablement_Admin_Assignment: Option<EnablementOverride>,
    /// Limits on eligibility creation.
    pub Expiration_Admin_Eligibility: Option<ExpirationOverride>,
    /// Requirements on eligibility creation.
    pub Enablement_Admin_Eligibility: Option<EnablementOverride>,
}

/// Override of an expiration rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExpirationOverride {
    /// ISO-8601 duration such as `PT2H` or `P90D`.
    pub maximum_duration: Option<String>,
    /// Whether a permanent assignment is refused.
    pub is_expiration_required: Option<bool>,
}

/// Override of an enablement rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnablementOverride {
    /// Subset of `MultiFactorAuthentication`, `Justification`, `Ticketing`.
    pub enabled_rules: Vec<String>,
}

/// Override of the activation approval rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApprovalOverride {
    /// Whether activation needs approval.
    pub is_approval_required: Option<bool>,
    /// Graph `subjectSet` objects, e.g. `{"@odata.type":"#microsoft.graph.singleUser","userId":"…"}`.
    pub primary_approvers: Option<Vec<Value>>,
    /// Days before an undecided approval stage expires (PIM's default 1).
    #[serde(default)]
    pub approval_stage_time_out_in_days: Option<u32>,
    /// Whether approvers must give a justification (PIM's default true).
    #[serde(default)]
    pub is_approver_justification_required: Option<bool>,
}

/// Override of the authentication-context rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthContextOverride {
    /// Whether an authentication context is required.
    pub is_enabled: bool,
    /// The context id, e.g. `c1`.
    pub claim_value: Option<String>,
}

const ENABLEMENT_NAMES: [&str; 3] = ["MultiFactorAuthentication", "Justification", "Ticketing"];

impl RuleOverrides {
    /// Rejects durations and rule names PIM would not accept.
    pub(crate) fn check(&self) -> Result<(), String> {
        let expirations = [
            &self.Expiration_EndUser_Assignment,
            &self.Expiration_Admin_Assignment,
            &self.Expiration_Admin_Eligibility,
        ];
        for text in expirations
            .into_iter()
            .flatten()
            .filter_map(|e| e.maximum_duration.as_deref())
        {
            duration::parse(text).ok_or_else(|| format!("bad maximumDuration {text}"))?;
        }
        let enablements = [
            &self.Enablement_EndUser_Assignment,
            &self.Enablement_Admin_Assignment,
            &self.Enablement_Admin_Eligibility,
        ];
        for name in enablements
            .into_iter()
            .flatten()
            .flat_map(|e| &e.enabled_rules)
        {
            if !ENABLEMENT_NAMES.contains(&name.as_str()) {
                return Err(format!("unknown enabled rule {name}"));
            }
        }
        let approvers = self
            .Approval_EndUser_Assignment
            .iter()
            .flat_map(|a| a.primary_approvers.iter().flatten());
        for approver in approvers {
            if approver
                .get("@odata.type")
                .and_then(Value::as_str)
                .is_none()
            {
                return Err("every primary approver needs an @odata.type".to_owned());
            }
        }
        Ok(())
    }
}

/// An expiration rule resolved against the defaults.
#[derive(Debug, Clone)]
struct Expiration {
    maximum: String,
    required: bool,
}

impl Expiration {
    fn resolve(over: Option<&ExpirationOverride>, maximum: &str, required: bool) -> Expiration {
        Expiration {
            maximum: over
                .and_then(|o| o.maximum_duration.clone())
                .unwrap_or_else(|| maximum.to_owned()),
            required: over
                .and_then(|o| o.is_expiration_required)
                .unwrap_or(required),
        }
    }

    fn maximum(&self) -> TimeDelta {
        duration::parse(&self.maximum).unwrap_or(TimeDelta::MAX)
    }
}

/// A role's effective rules (fixture overrides on top of PIM's defaults).
#[derive(Debug, Clone)]
pub(crate) struct RolePolicy {
    admin_eligibility: Expiration,
    admin_eligibility_enabled: Vec<String>,
    admin_assignment: Expiration,
    admin_assignment_enabled: Vec<String>,
    end_user: Expiration,
    end_user_enabled: Vec<String>,
    approval_required: bool,
    approvers: Vec<Value>,
    approval_timeout_days: u32,
    approver_justification_required: bool,
    auth_context: Option<AuthContextOverride>,
}

/// What `adminAssign` asked for, as far as the Admin rules care.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AssignmentAsk {
    /// `None` for a permanent assignment.
    pub(crate) length: Option<TimeDelta>,
    pub(crate) has_justification: bool,
    pub(crate) has_ticket: bool,
}

impl RolePolicy {
    pub(crate) fn resolve(over: Option<&RuleOverrides>) -> RolePolicy {
        let enabled = |o: Option<&EnablementOverride>, default: &[&str]| {
            o.map(|e| e.enabled_rules.clone())
                .unwrap_or_else(|| default.iter().map(|s| (*s).to_owned()).collect())
        };
        let approval = over.and_then(|o| o.Approval_EndUser_Assignment.as_ref());
        RolePolicy {
            admin_eligibility: Expiration::resolve(
                over.and_then(|o| o.Expiration_Admin_Eligibility.as_ref()),
                "P365D",
                false,
            ),
            admin_eligibility_enabled: enabled(
                over.and_then(|o| o.Enablement_Admin_Eligibility.as_ref()),
                &[],
            ),
            admin_assignment: Expiration::resolve(
                over.and_then(|o| o.Expiration_Admin_Assignment.as_ref()),
                "P180D",
                false,
            ),
            admin_assignment_enabled: enabled(
                over.and_then(|o| o.Enablement_Admin_Assignment.as_ref()),
                &["Justification"],
            ),
            end_user: Expiration::resolve(
                over.and_then(|o| o.Expiration_EndUser_Assignment.as_ref()),
                "PT8H",
                true,
            ),
            end_user_enabled: enabled(
                over.and_then(|o| o.Enablement_EndUser_Assignment.as_ref()),
                &["Justification"],
            ),
            approval_required: approval
                .and_then(|a| a.is_approval_required)
                .unwrap_or(false),
            approvers: approval
                .and_then(|a| a.primary_approvers.clone())
                .unwrap_or_default(),
            approval_timeout_days: approval
                .and_then(|a| a.approval_stage_time_out_in_days)
                .unwrap_or(1),
            approver_justification_required: approval
                .and_then(|a| a.is_approver_justification_required)
                .unwrap_or(true),
            auth_context: over.and_then(|o| o.AuthenticationContext_EndUser_Assignment.clone()),
        }
    }

    /// The names of the Admin-assignment rules a request breaks, in PIM's rule-name vocabulary.
    pub(crate) fn failed_admin_rules(&self, ask: AssignmentAsk) -> Vec<&'static str> {
        let mut failed = failed_rules(&self.admin_assignment, &self.admin_assignment_enabled, ask);
        if self
            .admin_assignment_enabled
            .iter()
            .any(|r| r == "MultiFactorAuthentication")
        {
            // App-only tokens never carry an MFA claim.
            failed.push("MfaRule");
        }
        failed
    }

    /// The names of the Admin-eligibility rules a new eligibility breaks.
    pub(crate) fn failed_eligibility_rules(&self, ask: AssignmentAsk) -> Vec<&'static str> {
        failed_rules(
            &self.admin_eligibility,
            &self.admin_eligibility_enabled,
            ask,
        )
    }

    /// The `rules` array exactly as Graph returns it under `policy($expand=rules)`.
    pub(crate) fn graph_rules(&self) -> Vec<Value> {
        let mut rules = vec![
            expiration_rule(
                "Expiration_Admin_Eligibility",
                &self.admin_eligibility,
                "Admin",
                "Eligibility",
            ),
            enablement_rule(
                "Enablement_Admin_Eligibility",
                &self.admin_eligibility_enabled,
                "Admin",
                "Eligibility",
            ),
        ];
        rules.extend(notification_rules("Admin", "Eligibility"));
        rules.push(expiration_rule(
            "Expiration_Admin_Assignment",
            &self.admin_assignment,
            "Admin",
            "Assignment",
        ));
        rules.push(enablement_rule(
            "Enablement_Admin_Assignment",
            &self.admin_assignment_enabled,
            "Admin",
            "Assignment",
        ));
        rules.extend(notification_rules("Admin", "Assignment"));
        rules.push(expiration_rule(
            "Expiration_EndUser_Assignment",
            &self.end_user,
            "EndUser",
            "Assignment",
        ));
        rules.push(enablement_rule(
            "Enablement_EndUser_Assignment",
            &self.end_user_enabled,
            "EndUser",
            "Assignment",
        ));
        rules.push(self.approval_rule());
        rules.push(json!({
            "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyAuthenticationContextRule",
            "id": "AuthenticationContext_EndUser_Assignment",
            "isEnabled": self.auth_context.as_ref().is_some_and(|a| a.is_enabled),
            "claimValue": self.auth_context.as_ref().and_then(|a| a.claim_value.clone()),
            "target": target("EndUser", "Assignment"),
        }));
        rules.extend(notification_rules("EndUser", "Assignment"));
        rules
    }

    fn approval_rule(&self) -> Value {
        let approvers: Vec<Value> = self.approvers.iter().map(subject_set).collect();
        json!({
            "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyApprovalRule",
            "id": "Approval_EndUser_Assignment",
            "target": target("EndUser", "Assignment"),
            "setting": {
                "isApprovalRequired": self.approval_required,
                "isApprovalRequiredForExtension": false,
                "isRequestorJustificationRequired": true,
                "approvalMode": "SingleStage",
                "approvalStages": [{
                    "approvalStageTimeOutInDays": self.approval_timeout_days,
                    "isApproverJustificationRequired": self.approver_justification_required,
                    "escalationTimeInMinutes": 0,
                    "isEscalationEnabled": false,
                    "primaryApprovers": approvers,
                    "escalationApprovers": [],
                }],
            },
        })
    }
}

/// The expiration, justification and ticket rules an admin request breaks.
fn failed_rules(
    expiration: &Expiration,
    enabled: &[String],
    ask: AssignmentAsk,
) -> Vec<&'static str> {
    let mut failed = Vec::new();
    let too_long = match ask.length {
        None => expiration.required,
        Some(length) => length > expiration.maximum(),
    };
    let enabled = |name: &str| enabled.iter().any(|r| r == name);
    if too_long {
        failed.push("ExpirationRule");
    }
    if enabled("Justification") && !ask.has_justification {
        failed.push("JustificationRule");
    }
    if enabled("Ticketing") && !ask.has_ticket {
        failed.push("TicketingRule");
    }
    failed
}
