//! Activate mode on Graph (Entra roles, PIM for Groups): `selfActivate` / `selfDeactivate` sent
//! with the person's own token, and the app-only reads that follow a request (its status, the
//! target's requests waiting for approval). Graph POSTs have no idempotency key: after an
//! ambiguous failure pimbot looks (app-only) for the person's own request before sending again.

use std::time::Instant;

use chrono::{SubsecRound, Utc};
use reqwest::Method;
use serde_json::Value;
use tracing::{info, warn};

use super::GraphClient;
use super::errors::ASSIGNMENT_DOES_NOT_EXIST;
use super::odata;
use super::requests::{Action, request_body};
use super::roles::DirectoryTarget;
use crate::pim::receipt::{
    activation, already_removed, pending_activation, receipt, request_status,
};
use crate::service::ports::{
    Activation, Grant, PendingActivation, Receipt, RequestStatus, UpstreamError, UpstreamErrorKind,
};

/// The statuses of a request that went through (or waits for its approver).
const TAKEN: [&str; 4] = [
    "PendingApproval",
    "Provisioned",
    "Granted",
    "ScheduleCreated",
];

impl GraphClient {
    /// `selfActivate` for `grant.principal_id`, with their delegated Graph `token`.
    pub(crate) async fn self_activate(
        &self,
        target: DirectoryTarget<'_>,
        grant: &Grant,
        token: &str,
    ) -> Result<Activation, UpstreamError> {
        let user = self.as_user(token);
        let operation = Action::SelfActivate.operation(target.kind());
        let url = self.requests_url(target);
        let started = Instant::now();
        let mut attempt = 1;
        loop {
            let now = Utc::now().trunc_subsecs(0);
            let body = request_body(Action::SelfActivate, target, grant, now);
            let error = match user
                .rest
                .attempt(operation, Method::POST, url.clone(), &[], Some(&body))
                .await
            {
                Ok(answer) => {
                    return Ok(activation(
                        &answer.body,
                        answer.request_id,
                        grant.duration,
                        now,
                    ));
                }
                Err(error) => error,
            };
            match error.kind {
                // Certainly not executed: wait as told.
                UpstreamErrorKind::Throttled { .. } => {}
                // Maybe executed: look for the person's request before sending another.
                UpstreamErrorKind::Unavailable => match self.own_request(target, grant).await {
                    Ok(Some(found)) => {
                        info!(graph.operation = operation, request.id = %grant.request, "earlier activation found in PIM");
                        let request_id = error.upstream_request_id.clone();
                        return Ok(activation(&found, request_id, grant.duration, now));
                    }
                    Ok(None) => {}
                    Err(check) => {
                        warn!(graph.operation = operation, error = %check, "could not check the outcome of a failed request");
                        return Err(error);
                    }
                },
                _ => return Err(error),
            }
            user.rest
                .pause_before_retry(operation, error, &mut attempt, started)
                .await?;
        }
    }

    /// `selfDeactivate` of `grant.principal_id`'s activation, with their delegated token.
    pub(crate) async fn self_deactivate(
        &self,
        target: DirectoryTarget<'_>,
        grant: &Grant,
        token: &str,
    ) -> Result<Receipt, UpstreamError> {
        let user = self.as_user(token);
        let action = Action::SelfDeactivate;
        let operation = action.operation(target.kind());
        let url = self.requests_url(target);
        let started = Instant::now();
        let mut attempt = 1;
        loop {
            let now = Utc::now().trunc_subsecs(0);
            let body = request_body(action, target, grant, now);
            let error = match user
                .rest
                .attempt(operation, Method::POST, url.clone(), &[], Some(&body))
                .await
            {
                Ok(answer) => {
                    return Ok(receipt(
                        &answer.body,
                        answer.request_id,
                        grant.duration,
                        now,
                    ));
                }
                Err(error) => error,
            };
            match (error.code.as_deref(), &error.kind) {
                (Some(ASSIGNMENT_DOES_NOT_EXIST), _) => return Ok(already_removed(&error)),
                (_, UpstreamErrorKind::Throttled { .. }) => {}
                (_, UpstreamErrorKind::Unavailable) => {
                    match self.settled(action, target, grant, &error).await {
                        Ok(Some(gone)) => return Ok(gone),
                        Ok(None) => {}
                        Err(check) => {
                            warn!(graph.operation = operation, error = %check, "could not check the outcome of a failed request");
                            return Err(error);
                        }
                    }
                }
                _ => return Err(error),
            }
            user.rest
                .pause_before_retry(operation, error, &mut attempt, started)
                .await?;
        }
    }

    /// App-only: the requests PIM holds for the principal on the target (roles: the role,
    /// checked at the target's scope; groups: the group, checked for the target's access).
    async fn target_requests(
        &self,
        target: DirectoryTarget<'_>,
        filter: String,
    ) -> Result<Vec<Value>, UpstreamError> {
        let filter = match target {
            DirectoryTarget::Role(role) => format!(
                "{filter} and roleDefinitionId eq {}",
                odata::literal(&role.role_definition_id)
            ),
            DirectoryTarget::Group(group) => format!(
                "{filter} and groupId eq {}",
                odata::literal(&group.group_id)
            ),
        };
        let requests: Vec<Value> = self
            .rest
            .get_all(
                "scheduleRequests",
                self.requests_url(target),
                &[("$filter", filter)],
            )
            .await?;
        Ok(requests
            .into_iter()
            .filter(|r| match target {
                DirectoryTarget::Role(role) => {
                    r["directoryScopeId"].as_str() == Some(role.directory_scope_id.as_str())
                }
                DirectoryTarget::Group(group) => {
                    r["accessId"].as_str() == Some(group.access.as_str())
                }
            })
            .collect())
    }

    /// App-only: this grant's own `selfActivate`, when PIM holds it (its justification names
    /// pimbot's request) and it went through or waits for approval.
    async fn own_request(
        &self,
        target: DirectoryTarget<'_>,
        grant: &Grant,
    ) -> Result<Option<Value>, UpstreamError> {
        let filter = format!("principalId eq {}", odata::literal(&grant.principal_id));
        Ok(self
            .target_requests(target, filter)
            .await?
            .into_iter()
            .find(|r| {
                r["action"] == "selfActivate"
                    && r["justification"].as_str() == Some(grant.justification.as_str())
                    && r["status"].as_str().is_some_and(|s| TAKEN.contains(&s))
            }))
    }

    /// App-only: one schedule request by id; `None` when PIM has no such request.
    pub(crate) async fn request_status(
        &self,
        target: DirectoryTarget<'_>,
        pim_request_id: &str,
    ) -> Result<Option<RequestStatus>, UpstreamError> {
        let mut url = self.requests_url(target);
        if let Ok(mut path) = url.path_segments_mut() {
            path.push(pim_request_id);
        }
        let found: Option<Value> = self.rest.get_optional("requestStatus", url, &[]).await?;
        Ok(found.as_ref().map(request_status))
    }

    /// App-only: every request on the target that waits for approval, with its approval.
    pub(crate) async fn pending_activations(
        &self,
        target: DirectoryTarget<'_>,
    ) -> Result<Vec<PendingActivation>, UpstreamError> {
        let filter = "status eq 'PendingApproval'".to_owned();
        Ok(self
            .target_requests(target, filter)
            .await?
            .into_iter()
            .filter_map(|r| pending_activation(r["id"].as_str()?.to_owned(), &r))
            .collect())
    }
}
