//! PIM for Entra roles: role definitions, eligibilities, role settings and active assignments.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::directory::only_one;
use super::odata::{self, Named};
use super::requests::Action;
use super::{GraphClient, errors, policy, unsupported};
use crate::domain::policy::PimPolicy;
use crate::domain::target::{ResolvedTarget, TargetKind};
use crate::service::ports::{
    ActiveAssignment, Eligibility, Grant, Pim, Receipt, RoleDefinition, UpstreamError,
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

#[async_trait]
impl Pim for GraphClient {
    async fn role_definition(
        &self,
        name_or_id: &str,
    ) -> Result<Option<RoleDefinition>, UpstreamError> {
        const OPERATION: &str = "roleDefinition";
        let path = ["roleManagement", "directory", "roleDefinitions"];
        let select = ("$select", "id,displayName".to_owned());
        let found = if odata::is_guid(name_or_id) {
            let url = self.url(&[path[0], path[1], path[2], name_or_id]);
            self.get_optional::<Named>(OPERATION, url, &[select])
                .await?
        } else {
            let filter = (
                "$filter",
                format!("displayName eq {}", odata::literal(name_or_id)),
            );
            let roles = self
                .get_all(OPERATION, self.url(&path), &[filter, select])
                .await?;
            only_one("role definition", name_or_id, roles)?
        };
        Ok(found.map(|role| RoleDefinition {
            display_name: role.display_name.unwrap_or_else(|| role.id.clone()),
            id: role.id,
        }))
    }

    async fn role_eligibilities(
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
                let all: Vec<ScheduleInstance> =
                    self.get_all(OPERATION, url, &[("$filter", filter)]).await?;
                instances.extend(
                    all.into_iter()
                        .filter(|i| principal_ids.contains(&i.principal_id)),
                );
            }
            None => {
                for principal in principal_ids {
                    let filter = format!("principalId eq {}", odata::literal(principal));
                    let mine: Vec<ScheduleInstance> = self
                        .get_all(OPERATION, url.clone(), &[("$filter", filter)])
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

    /// Entra stores role settings at `/` whatever the scope of the assignment, so `_scope` is
    /// not part of the lookup.
    async fn role_policy(&self, role_id: &str, _scope: &str) -> Result<PimPolicy, UpstreamError> {
        const OPERATION: &str = "rolePolicy";
        let query = [
            (
                "$filter",
                format!(
                    "scopeId eq '/' and scopeType eq 'DirectoryRole' and roleDefinitionId eq {}",
                    odata::literal(role_id)
                ),
            ),
            ("$expand", "policy($expand=rules)".to_owned()),
        ];
        let url = self.url(&["policies", "roleManagementPolicyAssignments"]);
        let assignments: Vec<serde_json::Value> = self.get_all(OPERATION, url, &query).await?;
        let Some(rules) = assignments
            .iter()
            .find_map(|a| a.get("policy")?.get("rules")?.as_array())
        else {
            return Err(UpstreamError::new(
                "graph",
                OPERATION,
                UpstreamErrorKind::NotFound,
                format!("no PIM policy assignment for role {role_id} at /"),
            ));
        };
        policy::from_rules(rules).map_err(|e| errors::unreadable(OPERATION, None, e))
    }

    async fn assign(
        &self,
        target: &ResolvedTarget,
        grant: &Grant,
    ) -> Result<Receipt, UpstreamError> {
        self.schedule_request(Action::Assign, target, grant).await
    }

    async fn remove(
        &self,
        target: &ResolvedTarget,
        grant: &Grant,
    ) -> Result<Receipt, UpstreamError> {
        self.schedule_request(Action::Remove, target, grant).await
    }

    async fn active_assignment(
        &self,
        target: &ResolvedTarget,
        principal_id: &str,
    ) -> Result<Option<ActiveAssignment>, UpstreamError> {
        Ok(self
            .active_instance(target, principal_id)
            .await?
            .map(|instance| ActiveAssignment {
                principal_id: instance.principal_id,
                role_definition_id: instance.role_definition_id,
                scope: instance.directory_scope_id.unwrap_or_default(),
                end: instance.end_date_time,
            }))
    }
}

impl GraphClient {
    /// The principal's own (direct) active instance of the role at the target's scope.
    /// Instances held through a group are not the principal's to remove, so they do not count.
    pub(super) async fn active_instance(
        &self,
        target: &ResolvedTarget,
        principal_id: &str,
    ) -> Result<Option<ScheduleInstance>, UpstreamError> {
        const OPERATION: &str = "activeAssignment";
        if target.kind != TargetKind::Role {
            return Err(unsupported(OPERATION, target.kind));
        }
        let filter = format!(
            "principalId eq {} and roleDefinitionId eq {}",
            odata::literal(principal_id),
            odata::literal(&target.id)
        );
        let url = self.url(&[
            "roleManagement",
            "directory",
            "roleAssignmentScheduleInstances",
        ]);
        let instances: Vec<ScheduleInstance> =
            self.get_all(OPERATION, url, &[("$filter", filter)]).await?;
        Ok(instances.into_iter().find(|i| {
            i.directory_scope_id.as_deref() == Some(target.scope.as_str())
                && i.member_type.as_deref().is_none_or(|m| m == "Direct")
        }))
    }
}
