//! The fixture sections for PIM for Groups and Azure resources. Both are optional, so fixtures
//! written before they existed still load.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::policy::RuleOverrides;

/// An eligibility for membership or ownership of a PIM-enabled group (served as a
/// `privilegedAccessGroupEligibilityScheduleInstance`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupEligibility {
    /// Instance id.
    pub id: String,
    /// The PIM-enabled group.
    pub group_id: String,
    /// The eligible user or group.
    pub principal_id: String,
    /// `member` or `owner`.
    pub access_id: String,
    /// Start of the eligibility.
    pub start_date_time: DateTime<Utc>,
    /// End of the eligibility; `None` means permanent.
    #[serde(default)]
    pub end_date_time: Option<DateTime<Utc>>,
}

/// Policy overrides for one group and access (`member` or `owner`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupPolicyFixture {
    /// The group the policy applies to.
    pub group_id: String,
    /// `member` or `owner`.
    pub access_id: String,
    /// Overrides keyed by rule id; rules not named keep PIM's defaults.
    #[serde(default)]
    pub rules: RuleOverrides,
}

/// The Azure side of the tenant: scopes, role definitions, eligibilities and policies.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AzureFixture {
    /// Management groups, subscriptions, resource groups and resources that exist.
    #[serde(default)]
    pub scopes: Vec<AzureScope>,
    /// Role definitions (built-in or custom), assignable at every scope.
    #[serde(default)]
    pub role_definitions: Vec<AzureRoleDefinition>,
    /// Role eligibility schedule instances.
    #[serde(default)]
    pub eligibilities: Vec<AzureEligibility>,
    /// Policy overrides per scope and role.
    #[serde(default)]
    pub policies: Vec<AzurePolicyFixture>,
    /// What each app may do at a scope and below (its Azure role assignments, flattened):
    /// served by `{scope}/providers/Microsoft.Authorization/permissions`.
    #[serde(default)]
    pub permissions: Vec<AzurePermission>,
}

/// The actions an app holds at a scope (and the scopes below it).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AzurePermission {
    /// The app (client) id the permission is for.
    pub client_id: String,
    /// Where the role assignment behind it is.
    pub scope: String,
    /// `Microsoft.Authorization/*`, `*/read`, ...
    #[serde(default)]
    pub actions: Vec<String>,
    /// Actions taken out of `actions`.
    #[serde(default)]
    pub not_actions: Vec<String>,
}

/// An ARM scope, e.g. `/subscriptions/{id}/resourceGroups/pim-rg`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AzureScope {
    /// The scope path.
    pub id: String,
    /// Name shown in `expandedProperties.scope.displayName`.
    pub display_name: String,
}

/// An Azure role definition.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AzureRoleDefinition {
    /// The role's GUID, e.g. Contributor `b24988ac-6180-42a0-ab88-20f7382dd24c`.
    pub id: String,
    /// `properties.roleName`.
    pub role_name: String,
    /// `BuiltInRole` unless said otherwise.
    #[serde(default)]
    pub custom: bool,
}

/// An Azure role eligibility at one scope.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AzureEligibility {
    /// Instance name (GUID).
    pub id: String,
    /// The scope the eligibility is at.
    pub scope: String,
    /// Role definition GUID.
    pub role_definition_id: String,
    /// The eligible user or group.
    pub principal_id: String,
    /// Start of the eligibility.
    pub start_date_time: DateTime<Utc>,
    /// End of the eligibility; `None` means permanent.
    #[serde(default)]
    pub end_date_time: Option<DateTime<Utc>>,
}

/// Policy overrides for one role at one scope (and the scopes below it).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AzurePolicyFixture {
    /// The scope the policy is assigned at.
    pub scope: String,
    /// Role definition GUID.
    pub role_definition_id: String,
    /// Overrides keyed by rule id.
    #[serde(default)]
    pub rules: RuleOverrides,
}

impl AzureFixture {
    /// The definition with this GUID, or this full id (`…/roleDefinitions/{guid}`).
    pub(crate) fn role(&self, id: &str) -> Option<&AzureRoleDefinition> {
        let guid = id.rsplit('/').next().unwrap_or(id);
        self.role_definitions
            .iter()
            .find(|r| r.id.eq_ignore_ascii_case(guid))
    }

    /// The known scope itself, or the closest known scope above a resource path.
    pub(crate) fn scope(&self, scope: &str) -> Option<&AzureScope> {
        self.scopes
            .iter()
            .filter(|s| is_at_or_below(scope, &s.id))
            .max_by_key(|s| s.id.len())
    }

    pub(crate) fn check(&self, principal_exists: impl Fn(&str) -> bool) -> Result<(), String> {
        for e in &self.eligibilities {
            if self.role(&e.role_definition_id).is_none() {
                return Err(format!("azure eligibility {} has unknown role", e.id));
            }
            if self.scope(&e.scope).is_none() {
                return Err(format!("azure eligibility {} has unknown scope", e.id));
            }
            if !principal_exists(&e.principal_id) {
                return Err(format!("azure eligibility {} has unknown principal", e.id));
            }
        }
        for p in &self.policies {
            if self.role(&p.role_definition_id).is_none() || self.scope(&p.scope).is_none() {
                return Err(format!(
                    "azure policy for {} at {} names an unknown role or scope",
                    p.role_definition_id, p.scope
                ));
            }
            p.rules.check()?;
        }
        if let Some(p) = self
            .permissions
            .iter()
            .find(|p| self.scope(&p.scope).is_none())
        {
            return Err(format!(
                "azure permission at {} names an unknown scope",
                p.scope
            ));
        }
        Ok(())
    }
}

/// Whether `scope` is `ancestor` or lies below it (`/subscriptions/1/resourceGroups/x` is below
/// `/subscriptions/1`); ARM compares scopes case-insensitively.
pub(crate) fn is_at_or_below(scope: &str, ancestor: &str) -> bool {
    let (scope, ancestor) = (
        scope.trim_end_matches('/').to_ascii_lowercase(),
        ancestor.trim_end_matches('/').to_ascii_lowercase(),
    );
    ancestor.is_empty()
        || scope == ancestor
        || scope
            .strip_prefix(&ancestor)
            .is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_nest_by_path_segments_and_ignore_case() {
        let rg = "/subscriptions/1/resourceGroups/pim-rg";
        assert!(is_at_or_below(rg, "/subscriptions/1"));
        assert!(is_at_or_below(rg, "/SUBSCRIPTIONS/1/resourcegroups/PIM-RG"));
        assert!(is_at_or_below(rg, ""));
        assert!(!is_at_or_below("/subscriptions/10", "/subscriptions/1"));
        assert!(!is_at_or_below("/subscriptions/1", rg));
    }
}
