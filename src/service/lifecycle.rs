//! The jobs that move an approved request through PIM: activate, warn, expire, time out (ending
//! early is in `ending`).

use chrono::Utc;
use serde_json::json;

use crate::domain::audit::{AuditActor, AuditEvent};
use crate::domain::mode::ActivationMode;
use crate::domain::request::{Event, InvalidTransition, Request, ShortId, State};

use super::jobs::{Job, NewJob};
use super::notice::Notice;
use super::ports::{Grant, UpstreamError, UpstreamErrorKind};
use super::transition::{Outcome, Step};
use super::{Service, ServiceError};

/// PIM keeps justifications short; longer text is cut.
const MAX_JUSTIFICATION: usize = 500;

impl Service {
    /// The `activate` job: record the intent, re-check eligibility, `adminAssign`, record the result.
    /// Safe to repeat: a request already `activating` first asks PIM whether the assignment exists.
    pub(crate) async fn activate(&self, id: ShortId) -> Result<(), ServiceError> {
        let Some(mut request) = self.store.request(id).await? else {
            return Ok(());
        };
        // Only a request found already `activating` may have reached PIM before (a crash or a
        // failed attempt); one this run moves there has not, so it skips the look-up.
        let resumed = request.state == State::Activating;
        if request.state == State::Approved {
            let step = Step::new(Event::StartActivation, AuditActor::system());
            match self.apply(&request, step).await? {
                Outcome::Applied { request: next, .. } => request = *next,
                // Another run of this job took it first: that run activates it.
                Outcome::LostRace => return Ok(()),
                Outcome::NotApplicable(invalid) => {
                    tracing::debug!(%invalid, "the activation is no longer needed");
                    return Ok(());
                }
            }
        }
        if request.state != State::Activating {
            return Ok(());
        }
        if let Some(extended) = request.extends {
            // PIM holds one assignment per person and target: the extension takes over from the
            // elevation it extends, which ends first (a no-op when it already has).
            self.end_extended(extended, &format!("its extension {}", request.id))
                .await?;
        }
        let grant = self.grant(&request);
        if request.mode == ActivationMode::Activate {
            return self.activate_as_requester(&request, &grant).await;
        }
        // Only this request's own assignment (by the marks pimbot wrote) is taken as done; the
        // requester merely holding the access is not, or `end` would remove standing access.
        let own = if resumed {
            self.pim.own_assignment(&request.target, &grant).await?
        } else {
            None
        };
        if let Some(receipt) = own {
            let until = receipt
                .end
                .unwrap_or_else(|| self.now() + request.duration.as_chrono());
            let detail =
                json!({ "confirmed_existing": true, "pim_request_id": receipt.pim_request_id });
            return self
                .mark_active(&request, Some(receipt.pim_request_id), until, detail)
                .await;
        }
        if let Some(reason) = self.still_eligible(&request).await? {
            return self
                .mark_failed(&request, reason, json!({ "stage": "recheck" }))
                .await;
        }
        match self.pim.assign(&request.target, &grant).await {
            Ok(receipt) => {
                let until = receipt
                    .end
                    .unwrap_or_else(|| self.now() + request.duration.as_chrono());
                let detail = json!({ "pim_request_id": receipt.pim_request_id, "pim_status": receipt.status, "upstream_request_id": receipt.upstream_request_id });
                self.mark_active(&request, Some(receipt.pim_request_id), until, detail)
                    .await
            }
            Err(error) if error.is_retryable() => Err(error.into()),
            Err(error) if error.kind == UpstreamErrorKind::AlreadyAssigned => {
                let mut detail = upstream_detail(&error);
                detail["already_assigned"] = json!(true);
                self.mark_failed(&request, already_held(&request), detail)
                    .await
            }
            Err(error) => {
                let detail = upstream_detail(&error);
                self.mark_failed(&request, error.user_message(), detail)
                    .await
            }
        }
    }

    /// `None` when the requester may still be assigned; else why not, for the requester.
    async fn still_eligible(&self, request: &Request) -> Result<Option<String>, ServiceError> {
        let Some(user) = self
            .directory
            .user(request.requester.entra_id.as_str())
            .await?
        else {
            return Ok(Some("your Entra account no longer exists".to_owned()));
        };
        if !user.account_enabled {
            return Ok(Some("your Entra account is disabled".to_owned()));
        }
        let mut principals = vec![user.id.clone()];
        principals.extend(
            self.directory
                .user_groups(&user.id)
                .await?
                .into_iter()
                .map(|g| g.id),
        );
        let eligible = self.holds_eligibility(&request.target, &principals).await?;
        Ok((!eligible).then(|| {
            format!(
                "you are no longer eligible for {} in PIM",
                request.target.label()
            )
        }))
    }

    pub(super) fn grant(&self, request: &Request) -> Grant {
        let approvers: Vec<&str> = request
            .approvals()
            .map(|d| d.approver.display_name.as_str())
            .collect();
        let mut justification = format!(
            "pimbot {}: requested by {} ({}) via {}; approved by {}",
            request.id,
            request.requester.display_name,
            request.requester.entra_id,
            request.platform.as_str(),
            approvers.join(", ")
        );
        if let Some(ticket) = &request.ticket {
            justification.push_str(&format!("; ticket {ticket}"));
        }
        if let Some(reason) = &request.justification {
            justification.push_str(&format!("; reason: {reason}"));
        }
        Grant {
            principal_id: request.requester.entra_id.to_string(),
            duration: request.duration,
            justification: justification.chars().take(MAX_JUSTIFICATION).collect(),
            ticket: request.ticket.clone(),
            request: request.id,
            intent: format!("{}@{}", request.id, request.created_at.timestamp_micros()),
        }
    }

    /// Records the assignment PIM made. A lost race is re-read and re-applied; a request that
    /// moved to where the assignment no longer fits is reported, so that PIM's assignment is not
    /// forgotten but cleaned up.
    pub(super) async fn mark_active(
        &self,
        request: &Request,
        pim_request_id: Option<String>,
        until: chrono::DateTime<Utc>,
        detail: serde_json::Value,
    ) -> Result<(), ServiceError> {
        let event = Event::Activated {
            pim_request_id: pim_request_id.clone(),
            until,
        };
        let step = Step::new(event, AuditActor::system()).detail(detail);
        match self.apply_fresh(request, step).await? {
            Outcome::Applied { .. } => Ok(()),
            Outcome::LostRace => Err(ServiceError::NotReady(format!(
                "{} keeps changing; its activation is recorded on the next run",
                request.id
            ))),
            Outcome::NotApplicable(invalid) => {
                self.report_orphaned_assignment(request, pim_request_id, invalid)
                    .await
            }
        }
    }

    /// PIM holds an assignment for a request that moved on meanwhile: warn, and keep the trail.
    async fn report_orphaned_assignment(
        &self,
        request: &Request,
        pim_request_id: Option<String>,
        invalid: InvalidTransition,
    ) -> Result<(), ServiceError> {
        let id = request.id;
        tracing::warn!(request.id = %id, state = invalid.from.as_str(), "PIM holds an assignment for a request that is no longer activating");
        let event = AuditEvent::new(
            "request.assignment_orphaned",
            Some(id),
            AuditActor::system(),
            "needs_cleanup",
        )
        .with_detail(json!({
            "state": invalid.from.as_str(),
            "pim_request_id": pim_request_id,
            "target": request.target.label(),
            "principal": request.requester.entra_id,
        }));
        let line = format!(
            "{id} is {}, but PIM holds the assignment pimbot made for it ({} for {}): remove it in PIM",
            invalid.from,
            request.target.label(),
            request.requester.display_name
        );
        self.store
            .append_audit(event, self.audit_line_jobs(request.platform, line))
            .await?;
        Ok(())
    }

    pub(crate) async fn mark_failed(
        &self,
        request: &Request,
        reason: String,
        detail: serde_json::Value,
    ) -> Result<(), ServiceError> {
        let step = Step::new(Event::Fail { reason }, AuditActor::system()).detail(detail);
        self.settle(request, step).await
    }

    /// Applies a system step that must not be dropped: a lost race is re-read and re-applied
    /// (and, if it keeps being lost, the job runs again later); an event that no longer applies
    /// is left, as the request moved on.
    pub(crate) async fn settle(&self, request: &Request, step: Step) -> Result<(), ServiceError> {
        let what = step.event.name();
        match self.apply_fresh(request, step).await? {
            Outcome::Applied { .. } => Ok(()),
            Outcome::LostRace => Err(ServiceError::NotReady(format!(
                "{} keeps changing; `{what}` is tried again",
                request.id
            ))),
            Outcome::NotApplicable(invalid) => {
                tracing::debug!(request.id = %request.id, %invalid, "the request moved on meanwhile");
                Ok(())
            }
        }
    }

    /// The `warn_ending` job, `defaults.end_warning` before the end: tells the requester, who may
    /// end it now. Nothing when the request has already ended or its end moved.
    pub(crate) async fn warn_ending(&self, id: ShortId) -> Result<(), ServiceError> {
        let Some(request) = self.store.request(id).await? else {
            return Ok(());
        };
        let Some(until) = request.active_until.filter(|until| *until > self.now()) else {
            return Ok(());
        };
        if request.state != State::Active {
            return Ok(());
        }
        if let Some(chat) = self.chat(request.platform) {
            chat.notify_requester(&request, &Notice::EndingSoon { until })
                .await?;
        }
        Ok(())
    }

    /// The `expire` job at the assignment's end time.
    pub(crate) async fn expire(&self, id: ShortId) -> Result<(), ServiceError> {
        let Some(request) = self.store.request(id).await? else {
            return Ok(());
        };
        let now = self.now();
        let due = request.active_until.is_some_and(|until| until <= now);
        if !request.state.holds_assignment() || !due {
            return Ok(());
        }
        // Confirm with PIM: an assignment extended there ends later, and is followed to its end.
        let principal = request.requester.entra_id.clone();
        if let Some(existing) = self
            .pim
            .active_assignment(&request.target, principal.as_str())
            .await?
            && let Some(end) = existing
                .end
                .filter(|end| *end > now + chrono::Duration::minutes(1))
        {
            let follow = NewJob::at(Job::Expire { request: id }, end);
            self.store.enqueue(vec![follow]).await?;
            return Ok(());
        }
        let step = Step::new(Event::End { early: None }, AuditActor::system())
            .notice(Notice::Ended {
                early: false,
                by: None,
            })
            .detail(json!({ "early": false }));
        self.settle(&request, step).await
    }

    /// The `approval_timeout` job at the approval deadline.
    pub(crate) async fn time_out(&self, id: ShortId) -> Result<(), ServiceError> {
        let Some(request) = self.store.request(id).await? else {
            return Ok(());
        };
        if request.state != State::PendingApproval || request.approval_deadline > self.now() {
            return Ok(());
        }
        self.settle(&request, Step::new(Event::Timeout, AuditActor::system()))
            .await
    }
}

/// Why a request fails when PIM shows the requester holding the target from an assignment
/// pimbot did not make for it: pimbot made nothing, so it ends nothing either.
fn already_held(request: &Request) -> String {
    format!(
        "you already hold {} in PIM, from an assignment pimbot did not make: nothing to do. pimbot leaves that assignment as it is (ending this request removes nothing); whoever granted it can change it in PIM.",
        request.target.label()
    )
}

/// The upstream facts worth keeping in the audit trail.
pub(crate) fn upstream_detail(error: &UpstreamError) -> serde_json::Value {
    json!({
        "error": {
            "service": error.service,
            "operation": error.operation,
            "code": error.code,
            "message": error.message,
            "upstream_request_id": error.upstream_request_id,
        }
    })
}
