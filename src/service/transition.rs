//! Applying a lifecycle event: the state machine decides, one transaction records the new state,
//! the audit event and the side-effect jobs, and a lost compare-and-set changes nothing.

use chrono::Utc;
use serde_json::json;

use crate::domain::audit::{AuditActor, AuditEvent};
use crate::domain::request::{Decision, Event, Platform, Request, State, next_state};

use super::jobs::{Job, NewJob};
use super::notice::{ApproverNotice, Notice};
use super::ports::TransitionWrite;
use super::{Service, ServiceError};

/// One lifecycle step, as the use case sees it.
pub(crate) struct Step {
    pub(crate) event: Event,
    pub(crate) actor: AuditActor,
    pub(crate) decision: Option<Decision>,
    /// What the requester is told, if anything.
    pub(crate) notice: Option<Notice>,
    /// Extra facts for the audit event (PIM ids, reasons).
    pub(crate) detail: serde_json::Value,
}

impl Step {
    pub(crate) fn new(event: Event, actor: AuditActor) -> Self {
        Self {
            event,
            actor,
            decision: None,
            notice: None,
            detail: json!({}),
        }
    }

    pub(crate) fn notice(mut self, notice: Notice) -> Self {
        self.notice = Some(notice);
        self
    }

    pub(crate) fn decision(mut self, decision: Decision) -> Self {
        self.decision = Some(decision);
        self
    }

    pub(crate) fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }
}

impl Service {
    /// Applies `step` to `current` (after `edit` adjusts the new request's fields). Returns the new
    /// request, or `None` when the event does not apply any more or another writer won the race.
    pub(crate) async fn apply(
        &self,
        current: &Request,
        step: Step,
        edit: impl FnOnce(&mut Request),
    ) -> Result<Option<Request>, ServiceError> {
        // The chat request's or the job's span (and its trace) carries the short id.
        tracing::Span::current().record("request.id", tracing::field::display(current.id));
        let Ok(to) = next_state(current.state, step.event) else {
            return Ok(None);
        };
        let mut next = current.clone();
        next.state = to;
        next.version = current.version + 1;
        next.updated_at = Utc::now();
        if let Some(decision) = &step.decision {
            next.decisions.push(decision.clone());
        }
        edit(&mut next);
        let kind = format!("request.{}", event_name(step.event, to));
        let mut detail = summary(&next);
        if let (Some(extra), Some(map)) = (step.detail.as_object(), detail.as_object_mut()) {
            map.extend(extra.clone());
        }
        if let Some(decision) = &step.decision {
            detail["decision"] = json!(decision);
        }
        let audit = AuditEvent::new(&kind, Some(next.id), step.actor, "ok").with_detail(detail);
        let jobs = self.effects(&next, step.event, step.notice);
        let write = TransitionWrite {
            request: next.clone(),
            expected_version: current.version,
            decision: step.decision,
            audit,
            jobs,
        };
        if !self.store.transition(write).await? {
            return Ok(None);
        }
        metrics::counter!("pimbot_transitions_total", "to" => to.as_str()).increment(1);
        self.jobs_ready.notify_one();
        Ok(Some(next))
    }

    /// The side effects of arriving in `request.state`: one place, so no transition forgets one.
    fn effects(&self, request: &Request, event: Event, notice: Option<Notice>) -> Vec<NewJob> {
        let id = request.id;
        let mut jobs = vec![NewJob::now(Job::UpdateApproval { request: id })];
        if let Some(notice) = notice {
            jobs.push(NewJob::now(Job::Notify {
                request: id,
                notice,
            }));
        }
        jobs.extend(self.audit_line_jobs(
            request.platform,
            audit_line(request, event_name(event, request.state)),
        ));
        match request.state {
            State::Approved => jobs.push(NewJob::now(Job::Activate { request: id })),
            State::Expired => jobs.push(NewJob::now(Job::NotifyApprovers {
                request: id,
                notice: ApproverNotice::Expired,
            })),
            State::Active => {
                if let Some(until) = request.active_until {
                    jobs.push(NewJob::at(Job::Expire { request: id }, until));
                    let warn_at = until - self.settings.defaults.end_warning;
                    if self.settings.defaults.end_warning > chrono::Duration::zero()
                        && warn_at > chrono::Utc::now()
                    {
                        jobs.push(NewJob::at(Job::WarnEnding { request: id }, warn_at));
                    }
                }
            }
            _ => {}
        }
        jobs
    }

    /// An audit-channel line on every platform that has an audit conversation.
    pub(crate) fn audit_line_jobs(&self, platform: Platform, line: String) -> Vec<NewJob> {
        line_jobs(&self.audit_platforms(platform), &line)
    }

    /// The platforms with an audit conversation, the request's own first.
    pub(crate) fn audit_platforms(&self, platform: Platform) -> Vec<Platform> {
        let mut platforms: Vec<Platform> = self
            .settings
            .audit_conversation
            .keys()
            .copied()
            .filter(|p| self.chat(*p).is_some())
            .collect();
        platforms.sort_by_key(|p| (*p != platform, p.as_str()));
        platforms
    }
}

/// One `AuditLine` job per platform.
pub(crate) fn line_jobs(platforms: &[Platform], line: &str) -> Vec<NewJob> {
    platforms
        .iter()
        .map(|platform| {
            NewJob::now(Job::AuditLine {
                platform: *platform,
                line: line.to_owned(),
            })
        })
        .collect()
}

fn event_name(event: Event, to: State) -> &'static str {
    match event {
        Event::PartialApprove if to == State::PendingApproval => "approval_recorded",
        Event::StartActivation => "activation_started",
        _ => to.as_str(),
    }
}

/// The facts every request audit event carries.
pub(crate) fn summary(request: &Request) -> serde_json::Value {
    json!({
        "state": request.state.as_str(),
        "version": request.version,
        "requester": { "entra_id": request.requester.entra_id, "name": request.requester.display_name },
        "target": request.target,
        "duration": request.duration.to_iso8601(),
        "ticket": request.ticket,
        "justification": request.justification,
        "pim_request_id": request.pim_request_id,
        "active_until": request.active_until,
    })
}

/// One line for the audit channel.
pub(crate) fn audit_line(request: &Request, what_happened: &str) -> String {
    let who = &request.requester.display_name;
    let what = request.target.label();
    let mut line = format!(
        "{} {}: {who} → {what} for {}",
        request.id,
        what_happened.replace('_', " "),
        request.duration
    );
    if let Some(ticket) = &request.ticket {
        line.push_str(&format!(", ticket {ticket}"));
    }
    match request.state {
        State::Approved | State::PendingApproval => {
            let by: Vec<&str> = request
                .approvals()
                .map(|d| d.approver.display_name.as_str())
                .collect();
            if !by.is_empty() {
                line.push_str(&format!(", approved by {}", by.join(", ")));
            }
        }
        State::Denied => {
            if let Some(denial) = request.denial() {
                line.push_str(&format!(
                    ", denied by {}: {}",
                    denial.approver.display_name,
                    denial.reason.as_deref().unwrap_or("no reason given")
                ));
            }
        }
        State::Active => {
            if let Some(until) = request.active_until {
                line.push_str(&format!(
                    ", active until {} UTC",
                    until.format("%Y-%m-%d %H:%M")
                ));
            }
        }
        State::Failed => {
            line.push_str(&format!(
                ": {}",
                request.failure.as_deref().unwrap_or("unknown error")
            ));
        }
        _ => {}
    }
    line
}
