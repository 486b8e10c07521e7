//! `adminAssign` / `adminRemove` schedule requests for Entra roles and PIM for Groups. Graph POSTs
//! have no idempotency key, so an ambiguous failure (timeout, 5xx) is resolved by looking at the
//! active instances before any retry (pim-api.md section 11).

use std::time::Instant;

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use reqwest::{Method, Url};
use serde_json::{Value, json};
use tracing::{info, warn};

use super::GraphClient;
use super::errors::{ASSIGNMENT_DOES_NOT_EXIST, ASSIGNMENT_EXISTS};
use super::odata;
use super::roles::DirectoryTarget;
use crate::domain::target::TargetKind;
use crate::pim::receipt::{already_removed, receipt};
use crate::service::ports::{Grant, Receipt, UpstreamError, UpstreamErrorKind};

/// Written into `ticketInfo.ticketSystem`.
const TICKET_SYSTEM: &str = "pimbot";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    Assign,
    Remove,
    /// The signed-in principal's own activation (activate mode, delegated token).
    SelfActivate,
    SelfDeactivate,
}

impl Action {
    pub(super) fn name(self) -> &'static str {
        match self {
            Action::Assign => "adminAssign",
            Action::Remove => "adminRemove",
            Action::SelfActivate => "selfActivate",
            Action::SelfDeactivate => "selfDeactivate",
        }
    }

    /// How the call is named in logs and errors (and which permission it needs).
    pub(super) fn operation(self, kind: TargetKind) -> &'static str {
        match (kind, self) {
            (TargetKind::Group, Action::Assign) => "groupAdminAssign",
            (TargetKind::Group, Action::Remove) => "groupAdminRemove",
            (TargetKind::Group, Action::SelfActivate) => "groupSelfActivate",
            (TargetKind::Group, Action::SelfDeactivate) => "groupSelfDeactivate",
            _ => self.name(),
        }
    }

    /// Whether the request starts an assignment (and so carries `scheduleInfo`).
    fn starts(self) -> bool {
        matches!(self, Action::Assign | Action::SelfActivate)
    }
}

/// What PIM shows for a target that is (still) active.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Settled {
    pub(crate) schedule_id: String,
    pub(crate) end: Option<DateTime<Utc>>,
}

/// The `unifiedRoleAssignmentScheduleRequest` (roles) or
/// `privilegedAccessGroupAssignmentScheduleRequest` (groups) body; only declared properties.
pub(super) fn request_body(
    action: Action,
    target: DirectoryTarget<'_>,
    grant: &Grant,
    now: DateTime<Utc>,
) -> Value {
    let mut body = match target {
        DirectoryTarget::Group(group) => json!({
            "accessId": group.access.as_str(),
            "action": action.name(),
            "groupId": group.group_id,
            "principalId": grant.principal_id,
            "justification": grant.justification,
        }),
        DirectoryTarget::Role(role) => json!({
            "action": action.name(),
            "principalId": grant.principal_id,
            "roleDefinitionId": role.role_definition_id,
            "directoryScopeId": role.directory_scope_id,
            "justification": grant.justification,
        }),
    };
    if action.starts() {
        body["scheduleInfo"] = json!({
            "startDateTime": now.to_rfc3339_opts(SecondsFormat::Secs, true),
            "expiration": {
                "type": "afterDuration",
                "duration": grant.duration.to_iso8601(),
            },
        });
    }
    if let Some(ticket) = grant.ticket.as_deref().filter(|t| !t.trim().is_empty()) {
        body["ticketInfo"] = json!({ "ticketNumber": ticket, "ticketSystem": TICKET_SYSTEM });
    }
    body
}

impl GraphClient {
    /// Where schedule requests of the target's kind are sent and listed.
    /// Where the target's schedule requests are sent and listed.
    pub(super) fn requests_url(&self, target: DirectoryTarget<'_>) -> Url {
        match target {
            DirectoryTarget::Role(_) => self.url(&[
                "roleManagement",
                "directory",
                "roleAssignmentScheduleRequests",
            ]),
            DirectoryTarget::Group(_) => self.url(&[
                "identityGovernance",
                "privilegedAccess",
                "group",
                "assignmentScheduleRequests",
            ]),
        }
    }

    pub(super) async fn schedule_request(
        &self,
        action: Action,
        target: DirectoryTarget<'_>,
        grant: &Grant,
    ) -> Result<Receipt, UpstreamError> {
        let operation = action.operation(target.kind());
        let url = self.requests_url(target);
        let started = Instant::now();
        let mut attempt = 1;
        loop {
            // Whole seconds: the receipt's fallback end is computed from what was sent.
            let now = Utc::now().trunc_subsecs(0);
            let body = request_body(action, target, grant, now);
            let error = match self
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
            match (action, error.code.as_deref(), &error.kind) {
                (Action::Assign, Some(ASSIGNMENT_EXISTS), _) => {
                    return self
                        .settled(action, target, grant, &error)
                        .await?
                        .ok_or(error);
                }
                (Action::Remove, Some(ASSIGNMENT_DOES_NOT_EXIST), _) => {
                    info!(graph.operation = operation, request.id = %grant.request, "already removed in PIM");
                    return Ok(already_removed(&error));
                }
                // Certainly not executed: wait as told.
                (_, _, UpstreamErrorKind::Throttled { .. }) => {}
                // Maybe executed: look before sending it again.
                (_, _, UpstreamErrorKind::Unavailable) => {
                    match self.settled(action, target, grant, &error).await {
                        Ok(Some(receipt)) => return Ok(receipt),
                        Ok(None) => {}
                        // Cannot tell: do not risk a second request; the caller retries later.
                        Err(check) => {
                            warn!(graph.operation = operation, error = %check, "could not check the outcome of a failed request");
                            return Err(error);
                        }
                    }
                }
                _ => return Err(error),
            }
            self.rest
                .pause_before_retry(operation, error, &mut attempt, started)
                .await?;
        }
    }

    /// A receipt when PIM already shows the wanted outcome: the assignment active and created by
    /// this grant (assign), or gone (remove); `None` when it does not. An active assignment that
    /// another request created is not ours to report, or later to remove.
    pub(super) async fn settled(
        &self,
        action: Action,
        target: DirectoryTarget<'_>,
        grant: &Grant,
        error: &UpstreamError,
    ) -> Result<Option<Receipt>, UpstreamError> {
        match action {
            Action::Assign => {
                self.find_own_assignment(target, grant, error.upstream_request_id.clone())
                    .await
            }
            Action::Remove | Action::SelfDeactivate => Ok(self
                .active_instance(target, &grant.principal_id)
                .await?
                .is_none()
                .then(|| already_removed(error))),
            // A person's own activation is found by its request (`activation.rs`).
            Action::SelfActivate => Ok(None),
        }
    }

    /// The assignment this grant made, when PIM shows it active: the principal's active
    /// instance, and this grant's own `adminAssign` among PIM's requests. The principal's
    /// access from anything else (a permanent assignment, another request) is `None`.
    pub(super) async fn find_own_assignment(
        &self,
        target: DirectoryTarget<'_>,
        grant: &Grant,
        upstream_request_id: Option<String>,
    ) -> Result<Option<Receipt>, UpstreamError> {
        let Some(instance) = self.active_instance(target, &grant.principal_id).await? else {
            return Ok(None);
        };
        if !self.created_by(target, grant).await? {
            warn!(request.id = %grant.request, "PIM shows the assignment active from another request");
            return Ok(None);
        }
        info!(request.id = %grant.request, "assignment found active in PIM");
        Ok(Some(Receipt {
            pim_request_id: instance.schedule_id,
            status: "Provisioned".to_owned(),
            end: instance.end,
            upstream_request_id,
        }))
    }

    /// Whether PIM holds an `adminAssign` request of this very grant (Graph POSTs have no
    /// idempotency key; the grant's justification, which names pimbot's request, identifies it).
    async fn created_by(
        &self,
        target: DirectoryTarget<'_>,
        grant: &Grant,
    ) -> Result<bool, UpstreamError> {
        let principal = odata::literal(&grant.principal_id);
        let filter = match target {
            DirectoryTarget::Group(group) => format!(
                "groupId eq {} and principalId eq {principal}",
                odata::literal(&group.group_id)
            ),
            DirectoryTarget::Role(role) => format!(
                "principalId eq {principal} and roleDefinitionId eq {}",
                odata::literal(&role.role_definition_id)
            ),
        };
        let url = self.requests_url(target);
        let requests: Vec<Value> = self
            .rest
            .get_all("scheduleRequests", url, &[("$filter", filter)])
            .await?;
        Ok(requests.iter().any(|r| {
            r["action"] == "adminAssign"
                && r["justification"].as_str() == Some(grant.justification.as_str())
                && matches!(
                    r["status"].as_str(),
                    Some("Provisioned" | "Granted" | "ScheduleCreated")
                )
        }))
    }
}
