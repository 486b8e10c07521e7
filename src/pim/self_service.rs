//! Activate mode's PIM calls ([`SelfService`]) on the same providers as [`Pim`](crate::service::ports::Pim):
//! the target's kind picks Graph or ARM. The person's delegated token goes to the `self*` and
//! approval calls (through the same `Rest` stack as pimbot's own calls: retries, gate, logs,
//! metrics); the status reads stay app-only.

mod refusals;

use async_trait::async_trait;

use super::providers::{PimProviders, Provider, provider};
use crate::domain::target::ResolvedTarget;
use crate::service::ports::{
    Activation, Grant, PendingActivation, Receipt, RequestStatus, SelfService, UpstreamError,
};

#[async_trait]
impl SelfService for PimProviders {
    async fn self_activate(
        &self,
        target: &ResolvedTarget,
        grant: &Grant,
        token: &str,
    ) -> Result<Activation, UpstreamError> {
        let result = match provider(target) {
            Provider::Graph(target) => self.graph.self_activate(target, grant, token).await,
            Provider::Arm(role) => self.arm.self_activate(role, grant, token).await,
        };
        result.map_err(refusals::activation)
    }

    async fn self_deactivate(
        &self,
        target: &ResolvedTarget,
        grant: &Grant,
        token: &str,
    ) -> Result<Receipt, UpstreamError> {
        let result = match provider(target) {
            Provider::Graph(target) => self.graph.self_deactivate(target, grant, token).await,
            Provider::Arm(role) => self.arm.self_deactivate(role, grant, token).await,
        };
        result.map_err(refusals::activation)
    }

    async fn decide_approval(
        &self,
        target: &ResolvedTarget,
        approval_id: &str,
        approve: bool,
        justification: &str,
        token: &str,
    ) -> Result<(), UpstreamError> {
        let result = match provider(target) {
            Provider::Graph(target) => {
                self.graph
                    .decide_approval(target, approval_id, approve, justification, token)
                    .await
            }
            Provider::Arm(_) => {
                self.arm
                    .decide_approval(approval_id, approve, justification, token)
                    .await
            }
        };
        result.map_err(refusals::approval)
    }

    async fn request_status(
        &self,
        target: &ResolvedTarget,
        pim_request_id: &str,
    ) -> Result<Option<RequestStatus>, UpstreamError> {
        match provider(target) {
            Provider::Graph(target) => self.graph.request_status(target, pim_request_id).await,
            Provider::Arm(role) => self.arm.request_status(role, pim_request_id).await,
        }
    }

    async fn pending_activations(
        &self,
        target: &ResolvedTarget,
    ) -> Result<Vec<PendingActivation>, UpstreamError> {
        match provider(target) {
            Provider::Graph(target) => self.graph.pending_activations(target).await,
            Provider::Arm(role) => self.arm.pending_activations(role).await,
        }
    }
}

#[cfg(test)]
mod tests;
