//! Role definitions, eligibility instances, policies and active instances from ARM.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{
    API_VERSION, ArmClient, ROLE_DEFINITIONS_API_VERSION, role_guid, same_role, same_scope,
};
use crate::domain::policy::PimPolicy;
use crate::domain::target::AzureRole;
use crate::pim::rules;
use crate::service::ports::{
    ActiveAssignment, Eligibility, EligibilityQuery, Grant, Receipt, RoleDefinition, Upstream,
    UpstreamError, UpstreamErrorKind,
};

/// An ARM resource: `{id, name, properties}`.
#[derive(Debug, Clone, serde::Deserialize)]
pub(super) struct Resource<P> {
    pub(super) id: String,
    pub(super) properties: P,
}

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct DefinitionProperties {
    role_name: String,
}

/// Properties of a schedule instance (eligibility or assignment).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct InstanceProperties {
    pub(super) scope: String,
    pub(super) role_definition_id: String,
    pub(super) principal_id: String,
    pub(super) end_date_time: Option<DateTime<Utc>>,
    /// `Direct`, `Group` or `Inherited`.
    pub(super) member_type: Option<String>,
}

fn version(v: &str) -> [(&'static str, String); 1] {
    [("api-version", v.to_owned())]
}

/// The PIM calls on Azure roles that [`PimProviders`](crate::pim::PimProviders) routes here.
impl ArmClient {
    /// An Azure role definition by name or id, as seen at `scope`.
    pub(crate) async fn role_definition(
        &self,
        name_or_id: &str,
        scope: &str,
    ) -> Result<Option<RoleDefinition>, UpstreamError> {
        const OPERATION: &str = "azureRoleDefinition";
        let guid = role_guid(name_or_id);
        let found: Vec<Resource<DefinitionProperties>> = if uuid::Uuid::parse_str(guid).is_ok() {
            let url = self.url(scope, &["roleDefinitions", guid]);
            let query = version(ROLE_DEFINITIONS_API_VERSION);
            self.rest
                .get_optional(OPERATION, url, &query)
                .await?
                .into_iter()
                .collect()
        } else {
            let query = [
                version(ROLE_DEFINITIONS_API_VERSION)[0].clone(),
                (
                    "$filter",
                    format!("roleName eq {}", super::literal(name_or_id)),
                ),
            ];
            let url = self.url(scope, &["roleDefinitions"]);
            self.rest.get_all(OPERATION, url, &query).await?
        };
        Ok(found.into_iter().next().map(|d| RoleDefinition {
            id: d.id,
            display_name: d.properties.role_name,
        }))
    }

    /// `assignedTo('{user}')` returns the user's eligibilities and those of the groups they are
    /// in, at, above and below each scope: one call per configured scope.
    pub(crate) async fn eligibilities(
        &self,
        query: &EligibilityQuery<'_>,
    ) -> Result<Vec<Eligibility>, UpstreamError> {
        const OPERATION: &str = "azureEligibilities";
        let Some(user) = query.principal_ids.first() else {
            return Ok(Vec::new());
        };
        let mut eligibilities: Vec<Eligibility> = Vec::new();
        for scope in query.scopes {
            let params = [
                version(API_VERSION)[0].clone(),
                ("$filter", format!("assignedTo({})", super::literal(user))),
            ];
            let url = self.url(scope, &["roleEligibilityScheduleInstances"]);
            let instances: Vec<Resource<InstanceProperties>> =
                self.rest.get_all(OPERATION, url, &params).await?;
            for instance in instances {
                let p = instance.properties;
                let wanted = query
                    .resource
                    .is_none_or(|r| same_role(r, &p.role_definition_id));
                let eligibility = Eligibility {
                    principal_id: p.principal_id,
                    role_definition_id: p.role_definition_id,
                    scope: p.scope,
                };
                if wanted
                    && query.principal_ids.contains(&eligibility.principal_id)
                    && !eligibilities.contains(&eligibility)
                {
                    eligibilities.push(eligibility);
                }
            }
        }
        Ok(eligibilities)
    }

    /// The policy assignment of the role at the target's scope; its `effectiveRules` are what
    /// applies there (inherited rules included).
    pub(crate) async fn policy(&self, target: &AzureRole) -> Result<PimPolicy, UpstreamError> {
        const OPERATION: &str = "azurePolicy";
        let url = self.url(&target.scope, &["roleManagementPolicyAssignments"]);
        let assignments: Vec<Resource<Value>> = self
            .rest
            .get_all(OPERATION, url, &version(API_VERSION))
            .await?;
        let rules = assignments.iter().find_map(|a| {
            let role = a.properties.get("roleDefinitionId")?.as_str()?;
            same_role(role, &target.role_definition_id)
                .then(|| a.properties.get("effectiveRules")?.as_array())
                .flatten()
        });
        let Some(rules) = rules else {
            return Err(UpstreamError::new(
                Upstream::Arm,
                OPERATION,
                UpstreamErrorKind::NotFound,
                format!(
                    "no PIM policy assignment for {} at {}",
                    target.role_definition_id, target.scope
                ),
            ));
        };
        rules::from_rules(rules).map_err(|e| self.rest.unreadable(OPERATION, None, e))
    }

    pub(crate) async fn assign(
        &self,
        target: &AzureRole,
        grant: &Grant,
    ) -> Result<Receipt, UpstreamError> {
        self.schedule_request(super::writes::RequestType::AdminAssign, target, grant)
            .await
    }

    pub(crate) async fn remove(
        &self,
        target: &AzureRole,
        grant: &Grant,
    ) -> Result<Receipt, UpstreamError> {
        self.schedule_request(super::writes::RequestType::AdminRemove, target, grant)
            .await
    }

    pub(crate) async fn own_assignment(
        &self,
        target: &AzureRole,
        grant: &Grant,
    ) -> Result<Option<Receipt>, UpstreamError> {
        self.own_request(target, grant).await
    }

    pub(crate) async fn active_assignment(
        &self,
        target: &AzureRole,
        principal_id: &str,
    ) -> Result<Option<ActiveAssignment>, UpstreamError> {
        Ok(self
            .active_instance(target, principal_id)
            .await?
            .map(|p| ActiveAssignment {
                principal_id: p.principal_id,
                role_definition_id: p.role_definition_id,
                scope: p.scope,
                end: p.end_date_time,
            }))
    }

    pub(crate) async fn assignments(
        &self,
        target: &AzureRole,
    ) -> Result<Vec<ActiveAssignment>, UpstreamError> {
        Ok(self
            .instances_at(target, "atScope()".to_owned())
            .await?
            .into_iter()
            .map(|i| ActiveAssignment {
                principal_id: i.properties.principal_id,
                role_definition_id: i.properties.role_definition_id,
                scope: i.properties.scope,
                end: i.properties.end_date_time,
            })
            .collect())
    }
}

impl ArmClient {
    /// The principal's own (direct) active instance of the role at exactly the target's scope.
    pub(super) async fn active_instance(
        &self,
        target: &AzureRole,
        principal_id: &str,
    ) -> Result<Option<InstanceProperties>, UpstreamError> {
        let filter = format!("principalId eq {}", super::literal(principal_id));
        Ok(self
            .instances_at(target, filter)
            .await?
            .into_iter()
            .next()
            .map(|i| i.properties))
    }

    /// Direct active instances of the role at exactly the target's scope matching `filter`.
    async fn instances_at(
        &self,
        target: &AzureRole,
        filter: String,
    ) -> Result<Vec<Resource<InstanceProperties>>, UpstreamError> {
        let params = [version(API_VERSION)[0].clone(), ("$filter", filter)];
        let url = self.url(&target.scope, &["roleAssignmentScheduleInstances"]);
        let instances: Vec<Resource<InstanceProperties>> = self
            .rest
            .get_all("azureActiveAssignment", url, &params)
            .await?;
        Ok(instances
            .into_iter()
            .filter(|i| {
                let p = &i.properties;
                same_role(&p.role_definition_id, &target.role_definition_id)
                    && same_scope(&p.scope, &target.scope)
                    && p.member_type.as_deref().is_none_or(|m| m == "Direct")
            })
            .collect())
    }
}
