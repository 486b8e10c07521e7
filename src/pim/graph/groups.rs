//! PIM for Groups: eligibility for membership or ownership, the group's policy, and its active
//! assignments (the writes share `requests.rs` with Entra roles).

use chrono::{DateTime, Utc};

use super::GraphClient;
use super::odata;
use super::requests::Settled;
use crate::domain::policy::PimPolicy;
use crate::domain::target::GroupMembership;
use crate::service::ports::{ActiveAssignment, Eligibility, UpstreamError};

const BASE: [&str; 3] = ["identityGovernance", "privilegedAccess", "group"];

/// A `privilegedAccessGroupEligibilityScheduleInstance` or `…AssignmentScheduleInstance`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GroupInstance {
    id: Option<String>,
    group_id: String,
    principal_id: String,
    /// `member` or `owner`.
    access_id: String,
    end_date_time: Option<DateTime<Utc>>,
    /// `direct` or `group`.
    member_type: Option<String>,
    assignment_schedule_id: Option<String>,
}

impl GraphClient {
    fn group_url(&self, set: &str) -> reqwest::Url {
        self.url(&[BASE[0], BASE[1], BASE[2], set])
    }

    /// Eligibilities for group membership/ownership held by any of `principal_ids`. With a group,
    /// one call filtered on it; without, one call for the user's own (`principal_ids[0]`).
    pub(crate) async fn group_eligibilities(
        &self,
        principal_ids: &[String],
        group_id: Option<&str>,
    ) -> Result<Vec<Eligibility>, UpstreamError> {
        const OPERATION: &str = "groupEligibilities";
        let url = self.group_url("eligibilityScheduleInstances");
        // Graph requires a groupId or principalId filter. Without a group, the user's own only:
        // one query per group they are in would make the cost grow with their groups.
        let filters: Vec<String> = match (group_id, principal_ids.first()) {
            (Some(group), _) => vec![format!("groupId eq {}", odata::literal(group))],
            (None, Some(user)) => vec![format!("principalId eq {}", odata::literal(user))],
            (None, None) => Vec::new(),
        };
        let mut eligibilities: Vec<Eligibility> = Vec::new();
        for filter in filters {
            let instances: Vec<GroupInstance> = self
                .rest
                .get_all(OPERATION, url.clone(), &[("$filter", filter)])
                .await?;
            for instance in instances {
                let eligibility = Eligibility {
                    principal_id: instance.principal_id,
                    role_definition_id: instance.group_id,
                    scope: instance.access_id,
                };
                if principal_ids.contains(&eligibility.principal_id)
                    && !eligibilities.contains(&eligibility)
                {
                    eligibilities.push(eligibility);
                }
            }
        }
        Ok(eligibilities)
    }

    /// The group's PIM policy for `member` or `owner`.
    pub(crate) async fn group_policy(
        &self,
        group: &GroupMembership,
    ) -> Result<PimPolicy, UpstreamError> {
        let (group_id, access) = (&group.group_id, group.access.as_str());
        let filter = format!(
            "scopeId eq {} and scopeType eq 'Group' and roleDefinitionId eq {}",
            odata::literal(group_id),
            odata::literal(access)
        );
        let what = format!("group {group_id} ({access})");
        self.policy_assignment("groupPolicy", filter, &what).await
    }

    /// The principal's own active membership or ownership of the target group.
    pub(super) async fn group_active_instance(
        &self,
        group: &GroupMembership,
        principal_id: &str,
    ) -> Result<Option<Settled>, UpstreamError> {
        Ok(self
            .group_instances(group, Some(principal_id))
            .await?
            .into_iter()
            .next()
            .map(|i| Settled {
                schedule_id: i.assignment_schedule_id.or(i.id).unwrap_or_default(),
                end: i.end_date_time,
            }))
    }

    /// Every current direct membership (or ownership) the target grants.
    pub(super) async fn group_assignments(
        &self,
        group: &GroupMembership,
    ) -> Result<Vec<ActiveAssignment>, UpstreamError> {
        Ok(self
            .group_instances(group, None)
            .await?
            .into_iter()
            .map(|i| ActiveAssignment {
                principal_id: i.principal_id,
                role_definition_id: i.group_id,
                scope: i.access_id,
                end: i.end_date_time,
            })
            .collect())
    }

    /// Current direct instances of the target's access to its group, of one principal or of
    /// everyone (PIM requires the `groupId` filter either way).
    async fn group_instances(
        &self,
        group: &GroupMembership,
        principal_id: Option<&str>,
    ) -> Result<Vec<GroupInstance>, UpstreamError> {
        let mut filter = format!("groupId eq {}", odata::literal(&group.group_id));
        if let Some(principal) = principal_id {
            filter = format!("{filter} and principalId eq {}", odata::literal(principal));
        }
        let instances: Vec<GroupInstance> = self
            .rest
            .get_all(
                "groupActiveAssignment",
                self.group_url("assignmentScheduleInstances"),
                &[("$filter", filter)],
            )
            .await?;
        Ok(instances
            .into_iter()
            .filter(|i| {
                i.access_id == group.access.as_str()
                    && i.member_type
                        .as_deref()
                        .is_none_or(|m| m.eq_ignore_ascii_case("direct"))
            })
            .collect())
    }
}
