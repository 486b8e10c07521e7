//! What `list` and the request form offer: the targets a caller is eligible for, found with one
//! eligibility read per kind for the caller's own eligibilities and one per configured target
//! (everyone eligible for that role or group, matched here against the caller and their groups),
//! so the cost follows the number of targets, never the number of groups a person is in.

use crate::domain::target::{GroupAccess, TargetKind, TargetRef};

use super::super::ports::{Eligibility, EligibilityQuery, RoleLookup};
use super::super::{Service, ServiceError};

impl Service {
    /// Every role, group and Azure role `principals` (the caller first, then their groups) are
    /// eligible for, as typed targets to resolve.
    pub(crate) async fn discover_targets(
        &self,
        principals: &[String],
    ) -> Result<Vec<TargetRef>, ServiceError> {
        let mut typed = Vec::new();
        for kind in [TargetKind::Role, TargetKind::Group, TargetKind::Azure] {
            if kind == TargetKind::Azure && self.settings.arm_scopes.is_empty() {
                continue;
            }
            // Graph: the caller's own eligibilities; ARM's `assignedTo` also reads their groups'.
            let query = EligibilityQuery {
                kind,
                principal_ids: principals,
                resource: None,
                scopes: &self.settings.arm_scopes,
            };
            let mut eligibilities = self.pim.eligibilities(&query).await?;
            if kind != TargetKind::Azure {
                for resource in self.configured_resources(kind).await? {
                    eligibilities.extend(
                        self.eligibilities_for(kind, principals, &resource, None)
                            .await?,
                    );
                }
            }
            eligibilities.sort_by(|a, b| {
                (&a.role_definition_id, &a.scope).cmp(&(&b.role_definition_id, &b.scope))
            });
            eligibilities.dedup_by(|a, b| {
                a.role_definition_id == b.role_definition_id && a.scope == b.scope
            });
            typed.extend(eligibilities.into_iter().map(|e| typed_target(kind, e)));
        }
        Ok(typed)
    }

    /// The role definition or group ids of the configured targets of `kind` that exist, once
    /// each (several targets may name one role at different scopes).
    async fn configured_resources(&self, kind: TargetKind) -> Result<Vec<String>, ServiceError> {
        let mut ids: Vec<String> = Vec::new();
        for target in self.settings.targets.iter().filter(|t| t.kind == kind) {
            let id = match kind {
                TargetKind::Role => self
                    .pim
                    .role_definition(RoleLookup::Entra {
                        name_or_id: &target.resource,
                    })
                    .await?
                    .map(|definition| definition.id),
                TargetKind::Group => self
                    .directory
                    .group(&target.resource)
                    .await?
                    .map(|group| group.id),
                TargetKind::Azure => None,
            };
            if let Some(id) = id.filter(|id| !ids.contains(id)) {
                ids.push(id);
            }
        }
        Ok(ids)
    }
}

fn typed_target(kind: TargetKind, eligibility: Eligibility) -> TargetRef {
    match kind {
        TargetKind::Role => TargetRef::Role {
            role: eligibility.role_definition_id,
            scope: Some(eligibility.scope),
        },
        TargetKind::Group => TargetRef::Group {
            group: eligibility.role_definition_id,
            access: if eligibility.scope == "owner" {
                GroupAccess::Owner
            } else {
                GroupAccess::Member
            },
        },
        TargetKind::Azure => TargetRef::Azure {
            role: eligibility.role_definition_id,
            scope: eligibility.scope,
        },
    }
}
