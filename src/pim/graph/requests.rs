//! `adminAssign` / `adminRemove` schedule requests. Graph POSTs have no idempotency key, so an
//! ambiguous failure (timeout, 5xx) is resolved by looking at the active instances before any
//! retry (pim-api.md section 11).

use std::time::Instant;

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use tracing::{info, warn};

use super::errors::{ASSIGNMENT_DOES_NOT_EXIST, ASSIGNMENT_EXISTS};
use super::http::Answer;
use super::{GraphClient, unsupported};
use crate::domain::duration::ElevationDuration;
use crate::domain::target::{ResolvedTarget, TargetKind};
use crate::service::ports::{Grant, Receipt, UpstreamError, UpstreamErrorKind};

/// Written into `ticketInfo.ticketSystem`.
const TICKET_SYSTEM: &str = "pimbot";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    Assign,
    Remove,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::Assign => "adminAssign",
            Action::Remove => "adminRemove",
        }
    }
}

/// The `unifiedRoleAssignmentScheduleRequest` body; only declared properties.
pub(super) fn request_body(
    action: Action,
    target: &ResolvedTarget,
    grant: &Grant,
    now: DateTime<Utc>,
) -> Value {
    let mut body = json!({
        "action": action.name(),
        "principalId": grant.principal_id,
        "roleDefinitionId": target.id,
        "directoryScopeId": target.scope,
        "justification": grant.justification,
    });
    if action == Action::Assign {
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
    pub(super) async fn schedule_request(
        &self,
        action: Action,
        target: &ResolvedTarget,
        grant: &Grant,
    ) -> Result<Receipt, UpstreamError> {
        let operation = action.name();
        if target.kind != TargetKind::Role {
            return Err(unsupported(operation, target.kind));
        }
        let url = self.url(&[
            "roleManagement",
            "directory",
            "roleAssignmentScheduleRequests",
        ]);
        let started = Instant::now();
        let mut attempt = 1;
        loop {
            // Whole seconds: the receipt's fallback end is computed from what was sent.
            let now = Utc::now().trunc_subsecs(0);
            let body = request_body(action, target, grant, now);
            let error = match self
                .attempt(operation, Method::POST, url.clone(), &[], Some(&body))
                .await
            {
                Ok(answer) => return Ok(receipt(answer, grant.duration, now)),
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
            let Some(wait) = self.retry_wait(&error, attempt, started) else {
                return Err(error);
            };
            warn!(graph.operation = operation, attempt, error = %error, "retrying schedule request");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// A receipt when PIM already shows the wanted outcome: the assignment active (assign) or
    /// gone (remove); `None` when it does not.
    async fn settled(
        &self,
        action: Action,
        target: &ResolvedTarget,
        grant: &Grant,
        error: &UpstreamError,
    ) -> Result<Option<Receipt>, UpstreamError> {
        let instance = self.active_instance(target, &grant.principal_id).await?;
        Ok(match (action, instance) {
            (Action::Assign, Some(instance)) => {
                info!(graph.operation = action.name(), request.id = %grant.request, "assignment found active in PIM");
                Some(Receipt {
                    pim_request_id: instance
                        .role_assignment_schedule_id
                        .or(instance.id)
                        .unwrap_or_default(),
                    status: "Provisioned".to_owned(),
                    end: instance.end_date_time,
                    upstream_request_id: error.upstream_request_id.clone(),
                })
            }
            (Action::Remove, None) => Some(already_removed(error)),
            _ => None,
        })
    }
}

/// The removal's goal holds already: PIM shows nothing to remove.
fn already_removed(error: &UpstreamError) -> Receipt {
    Receipt {
        pim_request_id: String::new(),
        status: "Revoked".to_owned(),
        end: None,
        upstream_request_id: error.upstream_request_id.clone(),
    }
}

/// The 201 answer: id, status and end (`endDateTime`, else start + duration).
fn receipt(answer: Answer, requested: ElevationDuration, sent_at: DateTime<Utc>) -> Receipt {
    let body = &answer.body;
    let text = |v: &Value| v.as_str().map(str::to_owned);
    let expiration = &body["scheduleInfo"]["expiration"];
    let end = text(&expiration["endDateTime"])
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc))
        .or_else(|| {
            if body["action"].as_str() == Some("adminRemove") {
                return None;
            }
            let start = text(&body["scheduleInfo"]["startDateTime"])
                .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                .map_or(sent_at, |t| t.with_timezone(&Utc));
            let duration = text(&expiration["duration"])
                .and_then(|d| ElevationDuration::parse(&d).ok())
                .unwrap_or(requested);
            Some(start + duration.as_chrono())
        });
    Receipt {
        pim_request_id: text(&body["id"]).unwrap_or_default(),
        status: text(&body["status"]).unwrap_or_else(|| "Unknown".to_owned()),
        end,
        upstream_request_id: answer.request_id,
    }
}
