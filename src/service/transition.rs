//! Applying a lifecycle event: the state machine ([`Request::apply`]) decides and sets the
//! fields, one transaction records the new request, the audit event and the jobs of the work the
//! machine names, and a lost compare-and-set changes nothing ([`Outcome`] tells the caller which).

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::domain::audit::{AuditActor, AuditEvent};
use crate::domain::request::{
    Applied, Change, Event, InvalidTransition, Platform, Request, ShortId, State, Work,
};

use super::jobs::{Job, Lanes, NewJob};
use super::notice::{ApproverNotice, Notice};
use super::ports::TransitionWrite;
use super::{Service, ServiceError};

/// One lifecycle step, as the use case sees it.
#[derive(Clone)]
pub(crate) struct Step {
    pub(crate) event: Event,
    pub(crate) actor: AuditActor,
    /// What the requester is told, when not what the change itself says (see [`notice_for`]).
    pub(crate) notice: Option<Notice>,
    /// Extra facts for the audit event (PIM ids, reasons).
    pub(crate) detail: serde_json::Value,
}

impl Step {
    pub(crate) fn new(event: Event, actor: AuditActor) -> Self {
        Self {
            event,
            actor,
            notice: None,
            detail: json!({}),
        }
    }

    pub(crate) fn notice(mut self, notice: Notice) -> Self {
        self.notice = Some(notice);
        self
    }

    pub(crate) fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }
}

/// How applying a step went.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Recorded: the new request and what happened.
    Applied {
        request: Box<Request>,
        change: Change,
    },
    /// Another writer changed the request first (the compare-and-set failed): nothing written.
    LostRace,
    /// The event does not apply in the request's current state: nothing written.
    NotApplicable(InvalidTransition),
}

/// Compare-and-set attempts of [`Service::apply_fresh`] before it reports the race lost.
const APPLY_ATTEMPTS: usize = 5;

impl Service {
    /// Applies `step` to `current`: the state machine decides and sets the fields, and one
    /// transaction records the new request, the audit event and the jobs of its work.
    pub(crate) async fn apply(
        &self,
        current: &Request,
        step: Step,
    ) -> Result<Outcome, ServiceError> {
        // The chat request's or the job's span (and its trace) carries the short id.
        tracing::Span::current().record("request.id", tracing::field::display(current.id));
        let decision = match &step.event {
            Event::Decide { decision, .. } => Some(decision.clone()),
            _ => None,
        };
        let now = self.now();
        let applied = match current.apply(step.event, now) {
            Ok(applied) => applied,
            Err(invalid) => return Ok(Outcome::NotApplicable(invalid)),
        };
        let Applied {
            request: next,
            change,
            work,
        } = applied;
        let kind = format!("request.{}", change.name());
        let mut detail = summary(&next);
        if let (Some(extra), Some(map)) = (step.detail.as_object(), detail.as_object_mut()) {
            map.extend(extra.clone());
        }
        if let Some(decision) = &decision {
            detail["decision"] = json!(decision);
        }
        let audit = AuditEvent::new(&kind, Some(next.id), step.actor, "ok").with_detail(detail);
        let notice = step.notice.or_else(|| notice_for(&change, &next));
        let mut jobs = self.transition_jobs(&next, &change, notice);
        jobs.extend(self.work_jobs(next.id, &work, now));
        let lanes = Lanes::of(&jobs);
        let write = TransitionWrite {
            request: next.clone(),
            expected_version: current.version,
            decision,
            audit,
            jobs,
        };
        if !self.store.transition(write).await? {
            return Ok(Outcome::LostRace);
        }
        metrics::counter!("pimbot_transitions_total", "to" => next.state.as_str()).increment(1);
        self.jobs_ready.mark(lanes);
        Ok(Outcome::Applied {
            request: Box::new(next),
            change,
        })
    }

    /// [`Service::apply`], reading the request again and re-applying `step` after each lost
    /// race (up to a few times): for writers whose event must not be dropped.
    pub(crate) async fn apply_fresh(
        &self,
        current: &Request,
        step: Step,
    ) -> Result<Outcome, ServiceError> {
        let mut current = current.clone();
        for _ in 1..APPLY_ATTEMPTS {
            match self.apply(&current, step.clone()).await? {
                Outcome::LostRace => {}
                decided => return Ok(decided),
            }
            match self.store.request(current.id).await? {
                Some(fresh) => current = fresh,
                None => return Err(ServiceError::Corrupt(format!("{} vanished", current.id))),
            }
        }
        self.apply(&current, step).await
    }

    /// The jobs every transition has: the approval message re-rendered, the requester told, the
    /// audit channels' line.
    fn transition_jobs(
        &self,
        request: &Request,
        change: &Change,
        notice: Option<Notice>,
    ) -> Vec<NewJob> {
        let id = request.id;
        let now = self.now();
        let mut jobs = vec![NewJob::at(Job::UpdateApproval { request: id }, now)];
        if let Some(notice) = notice {
            jobs.push(NewJob::at(
                Job::Notify {
                    request: id,
                    notice,
                },
                now,
            ));
        }
        jobs.extend(self.audit_line_jobs(request.platform, audit_line(request, change.name())));
        jobs
    }

    /// The jobs that do the domain's `work` for request `id`.
    pub(crate) fn work_jobs(&self, id: ShortId, work: &[Work], now: DateTime<Utc>) -> Vec<NewJob> {
        let warning = self.settings.defaults.end_warning;
        work.iter()
            .filter_map(|work| match work {
                Work::PostApproval => Some(NewJob::at(Job::PostApproval { request: id }, now)),
                // A repaired request past its halfway point is not reminded late.
                Work::RemindApprovers { at } => (*at > now).then(|| {
                    NewJob::at(
                        Job::NotifyApprovers {
                            request: id,
                            notice: ApproverNotice::Reminder,
                        },
                        *at,
                    )
                }),
                Work::ApprovalTimeout { at } => {
                    Some(NewJob::at(Job::ApprovalTimeout { request: id }, *at))
                }
                Work::Activate => Some(NewJob::at(Job::Activate { request: id }, now)),
                Work::FollowPim => Some(NewJob::at(
                    Job::FollowPim { request: id },
                    now + super::activation::FOLLOW_INTERVAL,
                )),
                Work::Deactivate { by } => Some(NewJob::at(
                    Job::Deactivate {
                        request: id,
                        by: by.clone(),
                    },
                    now,
                )),
                Work::Expire { at } => Some(NewJob::at(Job::Expire { request: id }, *at)),
                Work::WarnEnding { until } => (warning > chrono::Duration::zero()
                    && *until - warning > now)
                    .then(|| NewJob::at(Job::WarnEnding { request: id }, *until - warning)),
                Work::TellApproversExpired => Some(NewJob::at(
                    Job::NotifyApprovers {
                        request: id,
                        notice: ApproverNotice::Expired,
                    },
                    now,
                )),
            })
            .collect()
    }

    /// An audit-channel line on every platform that has an audit conversation.
    pub(crate) fn audit_line_jobs(&self, platform: Platform, line: String) -> Vec<NewJob> {
        line_jobs(&self.audit_platforms(platform), &line, self.now())
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
pub(crate) fn line_jobs(
    platforms: &[Platform],
    line: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<NewJob> {
    platforms
        .iter()
        .map(|platform| {
            NewJob::at(
                Job::AuditLine {
                    platform: *platform,
                    line: line.to_owned(),
                },
                now,
            )
        })
        .collect()
}

/// What the requester is told of `change`, unless the step says otherwise.
fn notice_for(change: &Change, request: &Request) -> Option<Notice> {
    match change {
        Change::Approved { by } => Some(Notice::Approved { by: by.clone() }),
        Change::Denied => request.denial().map(|denial| Notice::Denied {
            by: denial.approver.display_name.clone(),
            reason: denial
                .reason
                .clone()
                .unwrap_or_else(|| "no reason given".to_owned()),
        }),
        Change::Cancelled => Some(Notice::Cancelled),
        Change::Expired => Some(Notice::Expired),
        Change::Activated => request.active_until.map(|until| Notice::Active { until }),
        Change::Failed => Some(Notice::Failed {
            reason: request
                .failure
                .clone()
                .unwrap_or_else(|| "unknown error".to_owned()),
        }),
        Change::ApprovalRecorded { .. }
        | Change::ActivationStarted
        | Change::PimApprovalPending
        | Change::EndRequested
        | Change::StillActive
        | Change::Ended => None,
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
