//! Activate mode on ARM: `SelfActivate` / `SelfDeactivate` PUT with the person's own token under
//! a request name derived from the grant's intent (so an ambiguous failure is settled by a GET
//! of that name, as for pimbot's own writes), approval steps decided with the approver's token
//! (api-version `2021-01-01-preview`), and the app-only reads that follow a request.

use reqwest::Method;
use serde_json::{Value, json};

use super::writes::RequestType;
use super::{API_VERSION, ArmClient, same_role, same_scope};
use crate::domain::target::AzureRole;
use crate::pim::approval::{Stage, my_stage, review_result};
use crate::pim::receipt::{already_removed, pending_activation, request_status};
use crate::pim::rest::errors::ASSIGNMENT_DOES_NOT_EXIST;
use crate::service::ports::{
    Activation, Grant, PendingActivation, Receipt, RequestStatus, Upstream, UpstreamError,
};

/// The only api-version with approvals.
const APPROVALS_API_VERSION: &str = "2021-01-01-preview";

fn version(v: &str) -> [(&'static str, String); 1] {
    [("api-version", v.to_owned())]
}

impl ArmClient {
    /// `SelfActivate` for `grant.principal_id`, with their delegated ARM `token`.
    pub(crate) async fn self_activate(
        &self,
        target: &AzureRole,
        grant: &Grant,
        token: &str,
    ) -> Result<Activation, UpstreamError> {
        self.as_user(token)
            .send_request(RequestType::SelfActivate, target, grant)
            .await
    }

    /// `SelfDeactivate` of `grant.principal_id`'s activation, with their delegated token.
    pub(crate) async fn self_deactivate(
        &self,
        target: &AzureRole,
        grant: &Grant,
        token: &str,
    ) -> Result<Receipt, UpstreamError> {
        match self
            .as_user(token)
            .send_request(RequestType::SelfDeactivate, target, grant)
            .await
        {
            Ok(done) => Ok(done.receipt),
            Err(error) if error.code.as_deref() == Some(ASSIGNMENT_DOES_NOT_EXIST) => {
                Ok(already_removed(&error))
            }
            Err(error) => Err(error),
        }
    }

    /// Decides the approval step assigned to the token's user (tenant-wide approvals).
    pub(crate) async fn decide_approval(
        &self,
        approval_id: &str,
        approve: bool,
        justification: &str,
        token: &str,
    ) -> Result<(), UpstreamError> {
        let user = self.as_user(token);
        let query = version(APPROVALS_API_VERSION);
        let steps_url = self.url("", &["roleAssignmentApprovals", approval_id, "steps"]);
        let steps: Vec<Value> = user
            .rest
            .get_all("azureApproval", steps_url.clone(), &query)
            .await?;
        let steps: Vec<Stage> = steps.iter().filter_map(Stage::arm).collect();
        let step = my_stage(Upstream::Arm, &steps)?;
        let mut url = steps_url;
        if let Ok(mut path) = url.path_segments_mut() {
            path.push(&step);
        }
        let body = json!({"properties": {
            "reviewResult": review_result(approve),
            "justification": justification,
        }});
        // A decision is not repeated on its own: a second PATCH of a decided step is refused
        // (409), and the caller's retry reads the step again first.
        user.rest
            .attempt(
                "azureDecideApproval",
                Method::PATCH,
                url,
                &query,
                Some(&body),
            )
            .await?;
        Ok(())
    }

    /// App-only: one schedule request by name at the target's scope; `None` when ARM has none.
    pub(crate) async fn request_status(
        &self,
        target: &AzureRole,
        name: &str,
    ) -> Result<Option<RequestStatus>, UpstreamError> {
        let url = self.url(&target.scope, &["roleAssignmentScheduleRequests", name]);
        let found: Option<Value> = self
            .rest
            .get_optional("azureRequestStatus", url, &version(API_VERSION))
            .await?;
        Ok(found.map(|r| request_status(&r["properties"])))
    }

    /// App-only: the requests at exactly the target's scope, for its role, that wait for
    /// approval.
    pub(crate) async fn pending_activations(
        &self,
        target: &AzureRole,
    ) -> Result<Vec<PendingActivation>, UpstreamError> {
        let url = self.url(&target.scope, &["roleAssignmentScheduleRequests"]);
        let query = [
            ("api-version", API_VERSION.to_owned()),
            ("$filter", "atScope()".to_owned()),
        ];
        let requests: Vec<Value> = self
            .rest
            .get_all("azurePendingRequests", url, &query)
            .await?;
        Ok(requests
            .into_iter()
            .filter(|r| {
                let properties = &r["properties"];
                let text = |key: &str| properties[key].as_str().unwrap_or_default();
                same_role(text("roleDefinitionId"), &target.role_definition_id)
                    && same_scope(text("scope"), &target.scope)
            })
            .filter_map(|r| pending_activation(r["name"].as_str()?.to_owned(), &r["properties"]))
            .collect())
    }
}
