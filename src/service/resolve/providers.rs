//! Resolution for PIM for Groups and Azure resource targets, and the eligibility re-check all
//! three kinds share.

use crate::domain::refusal::Refusal;
use crate::domain::target::{AzureRole, GroupMembership, PimResource, ResolvedTarget, TargetKind};

use super::super::identity::Caller;
use super::super::ports::{Eligibility, EligibilityQuery, RoleLookup};
use super::super::{Service, ServiceError};
use super::{EligibleFor, Wanted, pick_eligibility};

impl Service {
    /// `group:NAME[/owner]` or a configured group target: the group by display name or id, and an
    /// eligibility for that access held by the caller or one of their groups.
    pub(super) async fn resolve_group(
        &self,
        caller: &Caller,
        wanted: Wanted,
    ) -> Result<Result<EligibleFor, Refusal>, ServiceError> {
        let Some(group) = self.directory.group(&wanted.resource).await? else {
            return Ok(Err(Refusal::UnknownTarget(format!(
                "a group named `{}`",
                wanted.resource
            ))));
        };
        let access = wanted.access;
        let principals = self.principals(caller).await?;
        let eligibilities = self
            .eligibilities_for(TargetKind::Group, &principals, &group.id, None)
            .await?;
        let what = access.noun();
        let Some(eligibility) = pick_eligibility(&eligibilities, &caller.user.id, access.as_str())
        else {
            return Ok(Err(Refusal::NotEligible(format!(
                "{what} of {}",
                group.display_name
            ))));
        };
        let via_group =
            (eligibility.principal_id != caller.user.id).then(|| eligibility.principal_id.clone());
        let mut target = ResolvedTarget {
            name: None,
            display_name: group.display_name,
            scope_display: what.to_owned(),
            resource: PimResource::Group(GroupMembership {
                group_id: group.id,
                access,
            }),
        };
        let settings = wanted.settings.or_else(|| self.configured_for(&target));
        target.name = wanted
            .name
            .or_else(|| settings.as_ref().map(|s| s.name.clone()));
        Ok(Ok(EligibleFor {
            target,
            via_group,
            settings,
        }))
    }

    /// `azure:ROLE@SCOPE` or a configured azure target: the role as ARM knows it at the scope, and
    /// an eligibility at exactly that scope.
    pub(super) async fn resolve_azure(
        &self,
        caller: &Caller,
        wanted: Wanted,
    ) -> Result<Result<EligibleFor, Refusal>, ServiceError> {
        let Some(scope) = wanted.scope.clone() else {
            return Ok(Err(Refusal::UnknownTarget(format!(
                "the Azure scope of `{}` (set `scope` on the target)",
                wanted.resource
            ))));
        };
        let scope = scope.trim_end_matches('/').to_owned();
        let definition = self
            .pim
            .role_definition(RoleLookup::Azure {
                name_or_id: &wanted.resource,
                scope: &scope,
            })
            .await?;
        let Some(definition) = definition else {
            return Ok(Err(Refusal::UnknownTarget(format!(
                "an Azure role named `{}` at {scope}",
                wanted.resource
            ))));
        };
        let principals = self.principals(caller).await?;
        let eligibilities = self
            .eligibilities_for(TargetKind::Azure, &principals, &definition.id, Some(&scope))
            .await?;
        let Some(eligibility) = pick_eligibility(&eligibilities, &caller.user.id, &scope) else {
            return Ok(Err(Refusal::NotEligible(format!(
                "{} on {}",
                definition.display_name,
                azure_scope_display(&scope)
            ))));
        };
        let via_group =
            (eligibility.principal_id != caller.user.id).then(|| eligibility.principal_id.clone());
        let scope = eligibility.scope.clone();
        let mut target = ResolvedTarget {
            name: None,
            display_name: definition.display_name,
            scope_display: azure_scope_display(&scope),
            resource: PimResource::Azure(AzureRole {
                role_definition_id: definition.id,
                scope,
            }),
        };
        let settings = wanted.settings.or_else(|| self.configured_for(&target));
        target.name = wanted
            .name
            .or_else(|| settings.as_ref().map(|s| s.name.clone()));
        Ok(Ok(EligibleFor {
            target,
            via_group,
            settings,
        }))
    }

    /// Eligibilities of one kind for one role or group; Azure looks at `scope`, or at the
    /// configured `arm_scopes` when there is none.
    pub(crate) async fn eligibilities_for(
        &self,
        kind: TargetKind,
        principals: &[String],
        resource: &str,
        scope: Option<&str>,
    ) -> Result<Vec<Eligibility>, ServiceError> {
        let scopes: Vec<String> = match scope {
            Some(scope) => vec![scope.to_owned()],
            None => self.settings.arm_scopes.clone(),
        };
        let query = EligibilityQuery {
            kind,
            principal_ids: principals,
            resource: Some(resource),
            scopes: &scopes,
        };
        Ok(self.pim.eligibilities(&query).await?)
    }

    /// Whether any of `principals` still holds an eligibility for exactly this target.
    pub(crate) async fn holds_eligibility(
        &self,
        target: &ResolvedTarget,
        principals: &[String],
    ) -> Result<bool, ServiceError> {
        let scope = (target.kind() == TargetKind::Azure).then_some(target.scope_id());
        let eligibilities = self
            .eligibilities_for(target.kind(), principals, target.resource_id(), scope)
            .await?;
        Ok(eligibilities
            .iter()
            .any(|e| e.scope.eq_ignore_ascii_case(target.scope_id())))
    }
}

/// How people call an ARM scope: `resource group pim-rg`, `subscription 3f1c…`, ...
pub(crate) fn azure_scope_display(scope: &str) -> String {
    let segments: Vec<&str> = scope.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        [.., kind, name] if kind.eq_ignore_ascii_case("resourceGroups") => {
            format!("resource group {name}")
        }
        [.., kind, name] if kind.eq_ignore_ascii_case("subscriptions") => {
            format!("subscription {name}")
        }
        [.., kind, name] if kind.eq_ignore_ascii_case("managementGroups") => {
            format!("management group {name}")
        }
        [.., name] => (*name).to_owned(),
        [] => "the whole tenant".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arm_scopes_are_shown_by_kind_and_name() {
        let sub = "/subscriptions/3f1c9a7e-5b2d-4c8e-9f0a-6d4b2e8c1a57";
        assert_eq!(
            azure_scope_display(&format!("{sub}/resourceGroups/pim-rg")),
            "resource group pim-rg"
        );
        assert_eq!(
            azure_scope_display(sub),
            "subscription 3f1c9a7e-5b2d-4c8e-9f0a-6d4b2e8c1a57"
        );
        assert_eq!(
            azure_scope_display("/providers/Microsoft.Management/managementGroups/mg1"),
            "management group mg1"
        );
        assert_eq!(
            azure_scope_display(&format!(
                "{sub}/resourceGroups/pim-rg/providers/Microsoft.KeyVault/vaults/kv1"
            )),
            "kv1"
        );
    }
}
