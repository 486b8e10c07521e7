//! The three PIM providers behind one [`Pim`]: the target's kind picks Graph (Entra roles, PIM for
//! Groups) or ARM (Azure resources). Role definitions and policies are cached here for the
//! configured time (`azure.policy_cache`), so a warm elevation costs only the eligibility checks
//! and the write.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::cache::TtlCache;
use crate::domain::policy::PimPolicy;
use crate::domain::target::{ResolvedTarget, TargetKind};
use crate::service::ports::{
    ActiveAssignment, Eligibility, EligibilityQuery, Grant, Pim, Receipt, RoleDefinition,
    UpstreamError,
};

/// Routes each call to the provider of its target kind.
pub struct PimProviders {
    graph: Arc<dyn Pim>,
    arm: Arc<dyn Pim>,
    definitions: TtlCache<(TargetKind, String, String), Option<RoleDefinition>>,
    policies: TtlCache<(TargetKind, String, String), PimPolicy>,
}

impl PimProviders {
    /// `graph` serves roles and groups, `arm` Azure resources; `cache` is how long definitions
    /// and policies are kept (zero: not at all).
    pub fn new(graph: Arc<dyn Pim>, arm: Arc<dyn Pim>, cache: Duration) -> Self {
        Self {
            graph,
            arm,
            definitions: TtlCache::new(cache),
            policies: TtlCache::new(cache),
        }
    }

    fn provider(&self, kind: TargetKind) -> &dyn Pim {
        match kind {
            TargetKind::Role | TargetKind::Group => self.graph.as_ref(),
            TargetKind::Azure => self.arm.as_ref(),
        }
    }
}

#[async_trait]
impl Pim for PimProviders {
    async fn role_definition(
        &self,
        kind: TargetKind,
        name_or_id: &str,
        scope: &str,
    ) -> Result<Option<RoleDefinition>, UpstreamError> {
        let key = (kind, name_or_id.to_lowercase(), scope.to_lowercase());
        let fetch = || self.provider(kind).role_definition(kind, name_or_id, scope);
        self.definitions.get_or_fetch(key, fetch).await
    }

    async fn eligibilities(
        &self,
        query: &EligibilityQuery<'_>,
    ) -> Result<Vec<Eligibility>, UpstreamError> {
        self.provider(query.kind).eligibilities(query).await
    }

    async fn policy(&self, target: &ResolvedTarget) -> Result<PimPolicy, UpstreamError> {
        let key = (
            target.kind,
            target.id.to_lowercase(),
            target.scope.to_lowercase(),
        );
        let fetch = || self.provider(target.kind).policy(target);
        self.policies.get_or_fetch(key, fetch).await
    }

    async fn assign(
        &self,
        target: &ResolvedTarget,
        grant: &Grant,
    ) -> Result<Receipt, UpstreamError> {
        self.provider(target.kind).assign(target, grant).await
    }

    async fn remove(
        &self,
        target: &ResolvedTarget,
        grant: &Grant,
    ) -> Result<Receipt, UpstreamError> {
        self.provider(target.kind).remove(target, grant).await
    }

    async fn own_assignment(
        &self,
        target: &ResolvedTarget,
        grant: &Grant,
    ) -> Result<Option<Receipt>, UpstreamError> {
        self.provider(target.kind)
            .own_assignment(target, grant)
            .await
    }

    async fn active_assignment(
        &self,
        target: &ResolvedTarget,
        principal_id: &str,
    ) -> Result<Option<ActiveAssignment>, UpstreamError> {
        self.provider(target.kind)
            .active_assignment(target, principal_id)
            .await
    }

    async fn assignments(
        &self,
        target: &ResolvedTarget,
    ) -> Result<Vec<ActiveAssignment>, UpstreamError> {
        self.provider(target.kind).assignments(target).await
    }
}
