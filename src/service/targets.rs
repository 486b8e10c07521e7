//! The configured `[[targets]]`, each resolved once at startup to what it grants (a
//! [`TargetKey`]), so a request meets a target's rules however it names the target, and two
//! targets that grant the same thing are refused. Uses the directory and PIM ports only.

use std::collections::HashMap;

use crate::domain::target::{
    AzureRole, EntraRole, GroupMembership, PimResource, ResolvedTarget, TargetKey, TargetKind,
};

use super::ports::RoleLookup;

use super::resolve::azure_scope_display;
use super::settings::TargetSettings;
use super::{Service, ServiceError};

/// A `[[targets]]` entry and what it grants, in ids.
#[derive(Debug, Clone)]
pub(crate) struct ConfiguredTarget {
    pub(crate) settings: TargetSettings,
    /// What it grants: the role at its directory scope (`/`, `/administrativeUnits/<id>`,
    /// `/<object id>`), the group access, or the Azure role at its ARM scope (no trailing slash).
    pub(crate) resource: PimResource,
}

/// Every configured target, by name and by what it grants.
#[derive(Debug, Default)]
pub(crate) struct ConfiguredTargets {
    targets: Vec<ConfiguredTarget>,
    by_key: HashMap<TargetKey, usize>,
}

impl ConfiguredTarget {
    /// What it grants as a request names it (as `pimbot check` shows it).
    pub(crate) fn resolved(&self) -> ResolvedTarget {
        ResolvedTarget {
            name: Some(self.settings.name.clone()),
            display_name: self.settings.resource.clone(),
            scope_display: self.resource.scope_id().to_owned(),
            resource: self.resource.clone(),
        }
    }
}

impl ConfiguredTargets {
    /// Every configured target, in the configuration's order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &ConfiguredTarget> {
        self.targets.iter()
    }

    pub(crate) fn named(&self, name: &str) -> Option<&ConfiguredTarget> {
        self.targets.iter().find(|t| t.settings.name == name)
    }

    /// The one configured target that grants what `key` names.
    pub(crate) fn granting(&self, key: &TargetKey) -> Option<&ConfiguredTarget> {
        self.by_key.get(key).map(|&index| &self.targets[index])
    }
}

/// Why the configured targets cannot be used: pimbot does not start, rather than serve requests
/// without some target's rules.
#[derive(Debug, thiserror::Error)]
pub enum TargetsError {
    #[error("config target `{target}`: {missing}")]
    Unknown { target: String, missing: String },
    #[error(
        "config targets `{first}` and `{second}` both grant {what}, so pimbot cannot tell whose rules apply; keep one of them"
    )]
    Ambiguous {
        first: String,
        second: String,
        what: String,
    },
    #[error(
        "config target `{target}` could not be resolved in Microsoft Graph or ARM, even after retries; pimbot does not start without the rules of every target (check that both are reachable and pimbot may read them, then start it again)"
    )]
    Unreadable {
        target: String,
        #[source]
        source: ServiceError,
    },
}

impl Service {
    /// Resolves every target as a request would be resolved (the same role, group and scope
    /// lookups), refusing one that names nothing in the tenant or grants what another grants.
    pub(crate) async fn resolve_configured(
        &self,
        settings: &[TargetSettings],
    ) -> Result<ConfiguredTargets, TargetsError> {
        let mut resolved = ConfiguredTargets::default();
        for target in settings {
            let found = self
                .resolve_configured_one(target)
                .await
                .map_err(|source| TargetsError::Unreadable {
                    target: target.name.clone(),
                    source,
                })?;
            let (configured, what) = found.map_err(|missing| TargetsError::Unknown {
                target: target.name.clone(),
                missing,
            })?;
            let key = TargetKey::of(&configured.resource);
            if let Some(&first) = resolved.by_key.get(&key) {
                return Err(TargetsError::Ambiguous {
                    first: resolved.targets[first].settings.name.clone(),
                    second: target.name.clone(),
                    what,
                });
            }
            resolved.by_key.insert(key, resolved.targets.len());
            resolved.targets.push(configured);
        }
        Ok(resolved)
    }

    /// One target in ids, and how people call what it grants; `Err(what is missing)` when the
    /// tenant has no such role, group or application.
    pub(super) async fn resolve_configured_one(
        &self,
        target: &TargetSettings,
    ) -> Result<Result<(ConfiguredTarget, String), String>, ServiceError> {
        let written = target.resource.as_str();
        let (resource, what) = match target.kind {
            TargetKind::Role => {
                let definition = self
                    .pim
                    .role_definition(RoleLookup::Entra {
                        name_or_id: written,
                    })
                    .await?;
                let Some(definition) = definition else {
                    return Ok(Err(format!(
                        "there is no directory role `{written}`; correct `role`"
                    )));
                };
                // A role target without a scope is the role at `/`, as documented.
                let scope = target.scope.as_deref().unwrap_or("/");
                let Some((scope_id, scope_display)) = self.resolve_scope(scope).await? else {
                    return Ok(Err(format!(
                        "there is no application `{scope}` to scope it to; correct `scope`"
                    )));
                };
                let what = format!("{} on {scope_display}", definition.display_name);
                let role = EntraRole {
                    role_definition_id: definition.id,
                    directory_scope_id: scope_id,
                };
                (PimResource::Role(role), what)
            }
            TargetKind::Group => {
                let Some(group) = self.directory.group(written).await? else {
                    return Ok(Err(format!(
                        "there is no group `{written}`; correct `group`"
                    )));
                };
                let what = format!("{} of {}", target.access.noun(), group.display_name);
                let group = GroupMembership {
                    group_id: group.id,
                    access: target.access,
                };
                (PimResource::Group(group), what)
            }
            TargetKind::Azure => {
                let scope = target.scope.as_deref().unwrap_or_default();
                let scope = scope.trim_end_matches('/');
                let definition = self
                    .pim
                    .role_definition(RoleLookup::Azure {
                        name_or_id: written,
                        scope,
                    })
                    .await?;
                let Some(definition) = definition else {
                    return Ok(Err(format!(
                        "there is no Azure role `{written}` at `{scope}` (or no such scope); correct `role` or `scope`"
                    )));
                };
                let what = format!(
                    "{} on {}",
                    definition.display_name,
                    azure_scope_display(scope)
                );
                let role = AzureRole {
                    role_definition_id: definition.id,
                    scope: scope.to_owned(),
                };
                (PimResource::Azure(role), what)
            }
        };
        let configured = ConfiguredTarget {
            settings: target.clone(),
            resource,
        };
        Ok(Ok((configured, what)))
    }
}
