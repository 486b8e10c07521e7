//! The EndUser side of a role policy, what `selfActivate` is checked against: the activation
//! rules, the authentication context, and the approval stage.

use serde_json::Value;

use super::{AssignmentAsk, RolePolicy, failed_rules};

/// The single approval stage of `Approval_EndUser_Assignment`.
#[derive(Debug, Clone)]
pub(crate) struct ApprovalStage {
    /// Graph subject sets (`singleUser` / `groupMembers`).
    pub(crate) approvers: Vec<Value>,
    pub(crate) timeout_days: u32,
    pub(crate) justification_required: bool,
}

impl RolePolicy {
    /// The names of the EndUser-assignment rules a `selfActivate` breaks; `has_mfa` is whether
    /// the caller's token carries `mfa` in `amr`.
    pub(crate) fn failed_activation_rules(
        &self,
        ask: AssignmentAsk,
        has_mfa: bool,
    ) -> Vec<&'static str> {
        let mut failed = failed_rules(&self.end_user, &self.end_user_enabled, ask);
        let mfa_needed = self
            .end_user_enabled
            .iter()
            .any(|r| r == "MultiFactorAuthentication");
        if mfa_needed && !has_mfa {
            failed.push("MfaRule");
        }
        failed
    }

    /// The authentication context an activation must satisfy, when the rule is enabled.
    pub(crate) fn required_auth_context(&self) -> Option<&str> {
        self.auth_context
            .as_ref()
            .filter(|a| a.is_enabled)
            .and_then(|a| a.claim_value.as_deref())
    }

    /// The approval stage an activation waits for, when approval is required.
    pub(crate) fn approval_stage(&self) -> Option<ApprovalStage> {
        self.approval_required.then(|| ApprovalStage {
            approvers: self.approvers.clone(),
            timeout_days: self.approval_timeout_days,
            justification_required: self.approver_justification_required,
        })
    }
}
