//! `pimbot check`'s view of each configured target: does it resolve the way startup resolves
//! it, can its PIM policy be read, who would approve it, and does its policy ask for what an
//! app's token cannot give (MFA, an authentication context). Reads only.

use crate::domain::policy::PimPolicy;
use crate::domain::request::ApproverSource;
use crate::domain::target::ResolvedTarget;

use super::approvers::{approvers_from, listed, policy_approvers};
use super::settings::TargetSettings;
use super::{Service, ServiceError};

/// What the tenant says about one `[[targets]]` entry.
#[derive(Debug, Clone)]
pub struct TargetReport {
    /// How people call what it grants (`Application Secret Manager on App1`), or what is
    /// missing in the tenant and which key to correct.
    pub resolved: Result<String, String>,
    /// Its PIM activation rules; `None` when the target did not resolve.
    pub policy: Option<Result<PimPolicy, String>>,
    /// The enabled users who would approve a request from someone outside the approver set,
    /// by the first step of DESIGN's order that names anyone (the requester's own group
    /// ownership is not known without a requester, so that step is left out).
    pub approvers: Option<Result<Vec<String>, String>>,
    /// What it grants, in ids, when it resolved.
    pub grants: Option<ResolvedTarget>,
}

impl Service {
    /// Looks one target up in the tenant, reporting instead of failing.
    pub async fn preflight_target(&self, target: &TargetSettings) -> TargetReport {
        let found = match self.resolve_configured_one(target).await {
            Ok(found) => found,
            Err(error) => {
                return TargetReport {
                    resolved: Err(format!("cannot be read: {error}")),
                    policy: None,
                    approvers: None,
                    grants: None,
                };
            }
        };
        let (configured, what) = match found {
            Ok(found) => found,
            Err(missing) => {
                return TargetReport {
                    resolved: Err(missing),
                    policy: None,
                    approvers: None,
                    grants: None,
                };
            }
        };
        let resolved = configured.resolved();
        let policy = self.pim.policy(&resolved).await;
        let approvers = match &policy {
            Ok(policy) => Some(
                self.preflight_approvers(target, &resolved, policy)
                    .await
                    .map_err(|e| e.to_string()),
            ),
            Err(_) => None,
        };
        TargetReport {
            resolved: Ok(what),
            policy: Some(policy.map_err(|e| e.to_string())),
            approvers,
            grants: Some(resolved),
        }
    }

    async fn preflight_approvers(
        &self,
        target: &TargetSettings,
        resolved: &ResolvedTarget,
        policy: &PimPolicy,
    ) -> Result<Vec<String>, ServiceError> {
        let from_policy = policy_approvers(policy);
        let target_group = resolved.group().map(|group| ApproverSource::GroupOwners {
            group: group.group_id.clone(),
        });
        let steps = [
            listed(&target.approvers),
            listed(&from_policy),
            target_group,
            listed(&self.settings.defaults.approvers),
        ];
        for source in steps.into_iter().flatten() {
            let users = approvers_from(&*self.directory, &source, "").await?;
            if !users.is_empty() {
                return Ok(users.into_iter().map(|u| u.display_name).collect());
            }
        }
        Ok(Vec::new())
    }
}
