//! From what a user typed to a PIM target: configured names, role names and scopes, groups, Azure
//! roles and scopes, and the caller's eligibility (directly or through a group).

mod discovery;
mod providers;

pub(crate) use providers::azure_scope_display;

use crate::domain::policy::{EffectivePolicy, LocalPolicy, PimPolicy};
use crate::domain::refusal::Refusal;
use crate::domain::target::{
    EntraRole, GroupAccess, PimResource, ResolvedTarget, TargetKind, TargetRef,
};

use super::identity::Caller;
use super::ports::{Eligibility, EligibilityQuery, RoleLookup};
use super::settings::TargetSettings;
use super::{Service, ServiceError};

/// A target the caller may request, and how they are eligible.
#[derive(Debug, Clone)]
pub(crate) struct EligibleFor {
    pub(crate) target: ResolvedTarget,
    /// The group through which the caller is eligible, when not directly.
    pub(crate) via_group: Option<String>,
    pub(crate) settings: Option<TargetSettings>,
}

impl Service {
    /// Resolves a typed target and checks the caller's eligibility for it.
    pub(crate) async fn resolve_eligible(
        &self,
        caller: &Caller,
        typed: &TargetRef,
    ) -> Result<Result<EligibleFor, Refusal>, ServiceError> {
        let wanted = match typed {
            TargetRef::Named(name) => {
                let Some(configured) = self.targets.named(name) else {
                    return Ok(Err(Refusal::UnknownTarget(format!(
                        "a target named `{name}`"
                    ))));
                };
                let settings = &configured.settings;
                // The ids startup resolved: what the configuration named then, however written.
                Wanted {
                    name: Some(name.clone()),
                    kind: settings.kind,
                    resource: configured.resource.resource_id().to_owned(),
                    scope: (settings.kind != TargetKind::Group)
                        .then(|| configured.resource.scope_id().to_owned()),
                    access: settings.access,
                    settings: Some(settings.clone()),
                }
            }
            TargetRef::Role { role, scope } => Wanted::typed(TargetKind::Role, role, scope.clone()),
            TargetRef::Group { group, access } => Wanted {
                access: *access,
                ..Wanted::typed(TargetKind::Group, group, None)
            },
            TargetRef::Azure { role, scope } => {
                Wanted::typed(TargetKind::Azure, role, Some(scope.clone()))
            }
        };
        match wanted.kind {
            TargetKind::Role => self.resolve_role(caller, wanted).await,
            TargetKind::Group => self.resolve_group(caller, wanted).await,
            TargetKind::Azure => self.resolve_azure(caller, wanted).await,
        }
    }

    async fn resolve_role(
        &self,
        caller: &Caller,
        wanted: Wanted,
    ) -> Result<Result<EligibleFor, Refusal>, ServiceError> {
        let Wanted {
            name,
            resource: role,
            scope,
            settings,
            ..
        } = wanted;
        let Some(definition) = self
            .pim
            .role_definition(RoleLookup::Entra { name_or_id: &role })
            .await?
        else {
            return Ok(Err(Refusal::UnknownTarget(format!(
                "a role named `{role}`"
            ))));
        };
        let principals = self.principals(caller).await?;
        let query = EligibilityQuery {
            kind: TargetKind::Role,
            principal_ids: &principals,
            resource: Some(&definition.id),
            scopes: &[],
        };
        let eligibilities = self.pim.eligibilities(&query).await?;
        let label = definition.display_name.clone();
        let scope = match scope {
            Some(scope) => match self.resolve_scope(&scope).await? {
                Some(scope) => scope,
                None => return Ok(Err(Refusal::UnknownTarget(format!("the scope `{scope}`")))),
            },
            None => {
                let mut scopes: Vec<&str> =
                    eligibilities.iter().map(|e| e.scope.as_str()).collect();
                scopes.sort_unstable();
                scopes.dedup();
                match scopes.as_slice() {
                    [] => return Ok(Err(Refusal::NotEligible(label))),
                    [only] => (only.to_string(), self.scope_display(only).await?),
                    many => {
                        return Ok(Err(Refusal::UnknownTarget(format!(
                            "which scope of {label} you mean (you are eligible at {}); add `@SCOPE`",
                            many.join(", ")
                        ))));
                    }
                }
            }
        };
        let Some(eligibility) = pick_eligibility(&eligibilities, &caller.user.id, &scope.0) else {
            let what = format!("{label} on {}", scope.1);
            return Ok(Err(Refusal::NotEligible(what)));
        };
        let via_group =
            (eligibility.principal_id != caller.user.id).then(|| eligibility.principal_id.clone());
        let mut target = ResolvedTarget {
            name: None,
            display_name: definition.display_name,
            scope_display: scope.1,
            resource: PimResource::Role(EntraRole {
                role_definition_id: definition.id,
                directory_scope_id: scope.0,
            }),
        };
        let settings = settings.or_else(|| self.configured_for(&target));
        target.name = name.or_else(|| settings.as_ref().map(|s| s.name.clone()));
        Ok(Ok(EligibleFor {
            target,
            via_group,
            settings,
        }))
    }

    /// The configured target that grants what `target` grants, however either was written.
    pub(crate) fn configured_for(&self, target: &ResolvedTarget) -> Option<TargetSettings> {
        self.targets
            .granting(&target.key())
            .map(|t| t.settings.clone())
    }

    /// The caller and every group they belong to: eligibility may come through any of them.
    pub(crate) async fn principals(&self, caller: &Caller) -> Result<Vec<String>, ServiceError> {
        let mut principals = vec![caller.user.id.clone()];
        principals.extend(
            self.directory
                .user_groups(&caller.user.id)
                .await?
                .into_iter()
                .map(|g| g.id),
        );
        Ok(principals)
    }

    /// `(directory scope id, how people call it)` for `/`, `/administrativeUnits/..`, `/{objectId}`
    /// or an application's display name / appId.
    pub(crate) async fn resolve_scope(
        &self,
        scope: &str,
    ) -> Result<Option<(String, String)>, ServiceError> {
        if scope == "/" || scope.starts_with("/administrativeUnits/") {
            return Ok(Some((scope.to_owned(), self.scope_display(scope).await?)));
        }
        let lookup = scope.strip_prefix('/').unwrap_or(scope);
        Ok(self
            .directory
            .application(lookup)
            .await?
            .map(|(object_id, name)| (format!("/{object_id}"), name)))
    }

    pub(crate) async fn scope_display(&self, scope: &str) -> Result<String, ServiceError> {
        if scope == "/" {
            return Ok("the whole tenant".to_owned());
        }
        if scope.starts_with("/administrativeUnits/") {
            return Ok(scope.to_owned());
        }
        let id = scope.trim_start_matches('/');
        Ok(self
            .directory
            .application(id)
            .await?
            .map_or_else(|| scope.to_owned(), |(_, name)| name))
    }

    /// PIM's rules for the target, tightened by pimbot's defaults and the target's overrides.
    pub(crate) async fn effective_policy(
        &self,
        eligible: &EligibleFor,
    ) -> Result<(EffectivePolicy, PimPolicy), ServiceError> {
        let pim_policy = self.pim.policy(&eligible.target).await?;
        let defaults = &self.settings.defaults;
        let overrides = eligible.settings.as_ref();
        let local = LocalPolicy {
            max_duration: overrides
                .and_then(|t| t.max_duration)
                .map_or(defaults.max_duration, |m| m.min(defaults.max_duration)),
            default_duration: defaults.duration,
            require_justification: overrides
                .and_then(|t| t.require_justification)
                .unwrap_or(defaults.require_justification),
            require_ticket: overrides
                .and_then(|t| t.require_ticket)
                .unwrap_or(defaults.require_ticket),
        };
        Ok((EffectivePolicy::merge(&pim_policy, &local), pim_policy))
    }
}

/// What a typed or configured target asks for, before it is looked up.
pub(crate) struct Wanted {
    pub(crate) name: Option<String>,
    pub(crate) kind: TargetKind,
    /// Role name or id, or group name or id.
    pub(crate) resource: String,
    pub(crate) scope: Option<String>,
    pub(crate) access: GroupAccess,
    pub(crate) settings: Option<TargetSettings>,
}

impl Wanted {
    fn typed(kind: TargetKind, resource: &str, scope: Option<String>) -> Self {
        Self {
            name: None,
            kind,
            resource: resource.to_owned(),
            scope,
            access: GroupAccess::Member,
            settings: None,
        }
    }
}

/// The caller's own eligibility if there is one, else one through a group. Scopes compare
/// case-insensitively (ARM scopes, directory object ids).
pub(crate) fn pick_eligibility<'a>(
    eligibilities: &'a [Eligibility],
    user_id: &str,
    scope: &str,
) -> Option<&'a Eligibility> {
    let at_scope = || {
        eligibilities
            .iter()
            .filter(|e| e.scope.eq_ignore_ascii_case(scope))
    };
    at_scope()
        .find(|e| e.principal_id == user_id)
        .or_else(|| at_scope().next())
}
