//! PIM for Entra roles: role definitions, eligibilities, role settings and active assignments.

use chrono::{DateTime, Utc};

use super::GraphClient;
use super::directory::only_one;
use super::odata::{self, Named};
use super::requests::{Action, Settled};
use crate::domain::policy::PimPolicy;
use crate::domain::target::{EntraRole, GroupMembership, TargetKind};
use crate::pim::rules;
use crate::service::ports::{
    ActiveAssignment, Eligibility, Grant, Receipt, RoleDefinition, Upstream, UpstreamError,
    UpstreamErrorKind,
};

/// A `unifiedRoleEligibilityScheduleInstance` or `unifiedRoleAssignmentScheduleInstance`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ScheduleInstance {
    pub(super) id: Option<String>,
    pub(super) principal_id: String,
    pub(super) role_definition_id: String,
    /// Null for app-scoped instances, which pimbot does not grant.
    pub(super) directory_scope_id: Option<String>,
    pub(super) end_date_time: Option<DateTime<Utc>>,
    /// `Direct`, `Group` or `Inherited`.
    pub(super) member_type: Option<String>,
    pub(super) role_assignment_schedule_id: Option<String>,
}

/// What Graph grants: an Entra role at a directory scope, or a group's membership or ownership.
#[derive(Debug, Clone, Copy)]
pub(crate) enum DirectoryTarget<'a> {
    Role(&'a EntraRole),
    Group(&'a GroupMembership),
}

impl DirectoryTarget<'_> {
    pub(super) fn kind(self) -> TargetKind {
        match self {
            DirectoryTarget::Role(_) => TargetKind::Role,
            DirectoryTarget::Group(_) => TargetKind::Group,
        }
    }
}

/// The PIM calls on Entra roles and PIM for Groups that
/// [`PimProviders`](crate::pim::PimProviders) routes here.
impl GraphClient {
    pub(crate) async fn policy(
        &self,
        target: DirectoryTarget<'_>,
    ) -> Result<PimPolicy, UpstreamError> {
        match target {
            DirectoryTarget::Role(role) => self.role_policy(&role.role_definition_id).await,
            DirectoryTarget::Group(group) => self.group_policy(group).await,
        }
    }

    pub(crate) async fn assign(
        &self,
        target: DirectoryTarget<'_>,
        grant: &Grant,
    ) -> Result<Receipt, UpstreamError> {
        self.schedule_request(Action::Assign, target, grant).await
    }

    pub(crate) async fn remove(
        &self,
        target: DirectoryTarget<'_>,
        grant: &Grant,
    ) -> Result<Receipt, UpstreamError> {
        self.schedule_request(Action::Remove, target, grant).await
    }

    pub(crate) async fn own_assignment(
        &self,
        target: DirectoryTarget<'_>,
        grant: &Grant,
    ) -> Result<Option<Receipt>, UpstreamError> {
        self.find_own_assignment(target, grant, None).await
    }

    pub(crate) async fn active_assignment(
        &self,
        target: DirectoryTarget<'_>,
        principal_id: &str,
    ) -> Result<Option<ActiveAssignment>, UpstreamError> {
        let (resource, scope) = match target {
            DirectoryTarget::Role(role) => {
                (&role.role_definition_id, role.directory_scope_id.as_str())
            }
            DirectoryTarget::Group(group) => (&group.group_id, group.access.as_str()),
        };
        Ok(self
            .active_instance(target, principal_id)
            .await?
            .map(|instance| ActiveAssignment {
                principal_id: principal_id.to_owned(),
                role_definition_id: resource.clone(),
                scope: scope.to_owned(),
                end: instance.end,
            }))
    }

    pub(crate) async fn assignments(
        &self,
        target: DirectoryTarget<'_>,
    ) -> Result<Vec<ActiveAssignment>, UpstreamError> {
        match target {
            DirectoryTarget::Role(role) => Ok(self
                .role_instances(role, None)
                .await?
                .into_iter()
                .map(|i| ActiveAssignment {
                    principal_id: i.principal_id,
                    role_definition_id: i.role_definition_id,
                    scope: role.directory_scope_id.clone(),
                    end: i.end_date_time,
                })
                .collect()),
            DirectoryTarget::Group(group) => self.group_assignments(group).await,
        }
    }
}

impl GraphClient {
    /// An Entra role definition (built-in or custom) by display name or id.
    pub(crate) async fn entra_role(
        &self,
        name_or_id: &str,
    ) -> Result<Option<RoleDefinition>, UpstreamError> {
        const OPERATION: &str = "roleDefinition";
        let path = ["roleManagement", "directory", "roleDefinitions"];
        let select = ("$select", "id,displayName".to_owned());
        let found = if odata::is_guid(name_or_id) {
            let url = self.url(&[path[0], path[1], path[2], name_or_id]);
            self.rest
                .get_optional::<Named>(OPERATION, url, &[select])
                .await?
        } else {
            let filter = (
                "$filter",
                format!("displayName eq {}", odata::literal(name_or_id)),
            );
            let roles = self
                .rest
                .get_all(OPERATION, self.url(&path), &[filter, select])
                .await?;
            only_one("role definition", name_or_id, roles)?
        };
        Ok(found.map(|role| RoleDefinition {
            display_name: role.display_name.unwrap_or_else(|| role.id.clone()),
            id: role.id,
        }))
    }

    /// Entra role eligibilities held by any of `principal_ids`, optionally for one role only.
    pub(crate) async fn role_eligibilities(
        &self,
        principal_ids: &[String],
        role_id: Option<&str>,
    ) -> Result<Vec<Eligibility>, UpstreamError> {
        const OPERATION: &str = "roleEligibilities";
        let url = self.url(&[
            "roleManagement",
            "directory",
            "roleEligibilityScheduleInstances",
        ]);
        let mut instances: Vec<ScheduleInstance> = Vec::new();
        match role_id {
            Some(role_id) => {
                let filter = format!("roleDefinitionId eq {}", odata::literal(role_id));
                let all: Vec<ScheduleInstance> = self
                    .rest
                    .get_all(OPERATION, url, &[("$filter", filter)])
                    .await?;
                instances.extend(
                    all.into_iter()
                        .filter(|i| principal_ids.contains(&i.principal_id)),
                );
            }
            // The user's own only: one query per group they are in would make the cost grow
            // with their groups (eligibility through a group is read per target).
            None => {
                if let Some(user) = principal_ids.first() {
                    let filter = format!("principalId eq {}", odata::literal(user));
                    let mine: Vec<ScheduleInstance> = self
                        .rest
                        .get_all(OPERATION, url, &[("$filter", filter)])
                        .await?;
                    instances.extend(mine);
                }
            }
        }
        let mut eligibilities: Vec<Eligibility> = Vec::new();
        for instance in instances {
            let Some(scope) = instance.directory_scope_id else {
                continue;
            };
            let eligibility = Eligibility {
                principal_id: instance.principal_id,
                role_definition_id: instance.role_definition_id,
                scope,
            };
            if !eligibilities.contains(&eligibility) {
                eligibilities.push(eligibility);
            }
        }
        Ok(eligibilities)
    }

    /// Entra stores role settings at `/` whatever the scope of the assignment, so the scope is
    /// not part of the lookup.
    pub(crate) async fn role_policy(&self, role_id: &str) -> Result<PimPolicy, UpstreamError> {
        let filter = format!(
            "scopeId eq '/' and scopeType eq 'DirectoryRole' and roleDefinitionId eq {}",
            odata::literal(role_id)
        );
        self.policy_assignment("rolePolicy", filter, role_id).await
    }

    /// Reads one policy assignment with `$expand=policy($expand=rules)` and maps its rules.
    pub(crate) async fn policy_assignment(
        &self,
        operation: &'static str,
        filter: String,
        what: &str,
    ) -> Result<PimPolicy, UpstreamError> {
        let query = [
            ("$filter", filter),
            ("$expand", "policy($expand=rules)".to_owned()),
        ];
        let url = self.url(&["policies", "roleManagementPolicyAssignments"]);
        let assignments: Vec<serde_json::Value> = self.rest.get_all(operation, url, &query).await?;
        let Some(rules) = assignments
            .iter()
            .find_map(|a| a.get("policy")?.get("rules")?.as_array())
        else {
            return Err(UpstreamError::new(
                Upstream::Graph,
                operation,
                UpstreamErrorKind::NotFound,
                format!("no PIM policy assignment for {what}"),
            ));
        };
        rules::from_rules(rules).map_err(|e| self.rest.unreadable(operation, None, e))
    }
}

impl GraphClient {
    /// The principal's own (direct) active instance of the target: a role at its scope, or a
    /// group membership/ownership. Instances held through a group are not the principal's to
    /// remove, so they do not count.
    pub(super) async fn active_instance(
        &self,
        target: DirectoryTarget<'_>,
        principal_id: &str,
    ) -> Result<Option<Settled>, UpstreamError> {
        let role = match target {
            DirectoryTarget::Role(role) => role,
            DirectoryTarget::Group(group) => {
                return self.group_active_instance(group, principal_id).await;
            }
        };
        Ok(self
            .role_instances(role, Some(principal_id))
            .await?
            .into_iter()
            .next()
            .map(|i| Settled {
                schedule_id: i.role_assignment_schedule_id.or(i.id).unwrap_or_default(),
                end: i.end_date_time,
            }))
    }

    /// Current direct instances of the Entra role at exactly the target's scope, of one
    /// principal or of everyone.
    pub(super) async fn role_instances(
        &self,
        role: &EntraRole,
        principal_id: Option<&str>,
    ) -> Result<Vec<ScheduleInstance>, UpstreamError> {
        let mut filter = format!(
            "roleDefinitionId eq {}",
            odata::literal(&role.role_definition_id)
        );
        if let Some(principal) = principal_id {
            filter = format!("principalId eq {} and {filter}", odata::literal(principal));
        }
        let url = self.url(&[
            "roleManagement",
            "directory",
            "roleAssignmentScheduleInstances",
        ]);
        let instances: Vec<ScheduleInstance> = self
            .rest
            .get_all("activeAssignment", url, &[("$filter", filter)])
            .await?;
        Ok(instances
            .into_iter()
            .filter(|i| {
                i.directory_scope_id.as_deref() == Some(role.directory_scope_id.as_str())
                    && i.member_type.as_deref().is_none_or(|m| m == "Direct")
            })
            .collect())
    }
}
