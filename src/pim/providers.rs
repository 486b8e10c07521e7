//! The three PIM providers behind one [`Pim`]: the target's kind picks Graph (Entra roles, PIM for
//! Groups) or ARM (Azure resources). Role definitions and policies are cached here for the
//! configured time (`azure.policy_cache`), so a warm elevation costs only the eligibility checks
//! and the write.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::arm::ArmClient;
use super::cache::TtlCache;
use super::graph::{DirectoryTarget, GraphClient};
use crate::domain::policy::PimPolicy;
use crate::domain::target::{AzureRole, PimResource, ResolvedTarget, TargetKind};
use crate::service::ports::{
    ActiveAssignment, Eligibility, EligibilityQuery, Grant, Pim, Receipt, RoleDefinition,
    RoleLookup, UpstreamError,
};

/// Routes each call to the provider of its target's kind: each provider takes only the kinds it
/// serves, so a call cannot reach the wrong one.
pub struct PimProviders {
    pub(super) graph: Arc<GraphClient>,
    pub(super) arm: Arc<ArmClient>,
    definitions: TtlCache<(TargetKind, String, String), Option<RoleDefinition>>,
    policies: TtlCache<(TargetKind, String, String), PimPolicy>,
}

/// A target as one of the two providers takes it.
pub(super) enum Provider<'a> {
    Graph(DirectoryTarget<'a>),
    Arm(&'a AzureRole),
}

pub(super) fn provider(target: &ResolvedTarget) -> Provider<'_> {
    match &target.resource {
        PimResource::Role(role) => Provider::Graph(DirectoryTarget::Role(role)),
        PimResource::Group(group) => Provider::Graph(DirectoryTarget::Group(group)),
        PimResource::Azure(role) => Provider::Arm(role),
    }
}

impl PimProviders {
    /// `graph` serves roles and groups, `arm` Azure resources; `cache` is how long definitions
    /// and policies are kept (zero: not at all).
    pub fn new(graph: Arc<GraphClient>, arm: Arc<ArmClient>, cache: Duration) -> Self {
        Self {
            graph,
            arm,
            definitions: TtlCache::new(cache),
            policies: TtlCache::new(cache),
        }
    }
}

#[async_trait]
impl Pim for PimProviders {
    async fn role_definition(
        &self,
        lookup: RoleLookup<'_>,
    ) -> Result<Option<RoleDefinition>, UpstreamError> {
        let key = match lookup {
            RoleLookup::Entra { name_or_id } => (TargetKind::Role, name_or_id, ""),
            RoleLookup::Azure { name_or_id, scope } => (TargetKind::Azure, name_or_id, scope),
        };
        let key = (key.0, key.1.to_lowercase(), key.2.to_lowercase());
        let fetch = || async move {
            match lookup {
                RoleLookup::Entra { name_or_id } => self.graph.entra_role(name_or_id).await,
                RoleLookup::Azure { name_or_id, scope } => {
                    self.arm.role_definition(name_or_id, scope).await
                }
            }
        };
        self.definitions.get_or_fetch(key, fetch).await
    }

    async fn eligibilities(
        &self,
        query: &EligibilityQuery<'_>,
    ) -> Result<Vec<Eligibility>, UpstreamError> {
        match query.kind {
            TargetKind::Role => {
                self.graph
                    .role_eligibilities(query.principal_ids, query.resource)
                    .await
            }
            TargetKind::Group => {
                self.graph
                    .group_eligibilities(query.principal_ids, query.resource)
                    .await
            }
            TargetKind::Azure => self.arm.eligibilities(query).await,
        }
    }

    async fn policy(&self, target: &ResolvedTarget) -> Result<PimPolicy, UpstreamError> {
        let key = (
            target.kind(),
            target.resource.resource_id().to_lowercase(),
            target.resource.scope_id().to_lowercase(),
        );
        let fetch = || async move {
            match provider(target) {
                Provider::Graph(target) => self.graph.policy(target).await,
                Provider::Arm(role) => self.arm.policy(role).await,
            }
        };
        self.policies.get_or_fetch(key, fetch).await
    }

    async fn assign(
        &self,
        target: &ResolvedTarget,
        grant: &Grant,
    ) -> Result<Receipt, UpstreamError> {
        match provider(target) {
            Provider::Graph(target) => self.graph.assign(target, grant).await,
            Provider::Arm(role) => self.arm.assign(role, grant).await,
        }
    }

    async fn remove(
        &self,
        target: &ResolvedTarget,
        grant: &Grant,
    ) -> Result<Receipt, UpstreamError> {
        match provider(target) {
            Provider::Graph(target) => self.graph.remove(target, grant).await,
            Provider::Arm(role) => self.arm.remove(role, grant).await,
        }
    }

    async fn own_assignment(
        &self,
        target: &ResolvedTarget,
        grant: &Grant,
    ) -> Result<Option<Receipt>, UpstreamError> {
        match provider(target) {
            Provider::Graph(target) => self.graph.own_assignment(target, grant).await,
            Provider::Arm(role) => self.arm.own_assignment(role, grant).await,
        }
    }

    async fn active_assignment(
        &self,
        target: &ResolvedTarget,
        principal_id: &str,
    ) -> Result<Option<ActiveAssignment>, UpstreamError> {
        match provider(target) {
            Provider::Graph(target) => self.graph.active_assignment(target, principal_id).await,
            Provider::Arm(role) => self.arm.active_assignment(role, principal_id).await,
        }
    }

    async fn assignments(
        &self,
        target: &ResolvedTarget,
    ) -> Result<Vec<ActiveAssignment>, UpstreamError> {
        match provider(target) {
            Provider::Graph(target) => self.graph.assignments(target).await,
            Provider::Arm(role) => self.arm.assignments(role).await,
        }
    }
}
