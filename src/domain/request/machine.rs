//! The state machine: [`Request::apply`] decides every transition, sets every field it changes,
//! counts the approvals, and says what [`Work`] the new state needs. The service only carries
//! that out (and does the I/O the machine cannot: the live re-check of approvers' authority).

use chrono::{DateTime, Utc};

use super::{Decision, Request, State};
use crate::domain::ids::EntraId;

/// What happens to a request, with what the machine needs to know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// An approver's decision. `lapsed` names (by Entra id) earlier approvers whose authority the
    /// service's live re-check no longer finds: their approvals no longer count.
    Decide {
        decision: Decision,
        lapsed: Vec<EntraId>,
    },
    Cancel,
    /// No decision before the approval deadline.
    Timeout,
    /// The activation job takes the request (intent recorded before the PIM call).
    StartActivation,
    /// PIM created the assignment (`pim_request_id` when PIM named it), ending at `until`.
    Activated {
        pim_request_id: Option<String>,
        until: DateTime<Utc>,
    },
    /// Activate mode: PIM took the requester's `selfActivate` and waits for its own approval.
    AwaitPimApproval {
        pim_request_id: String,
        approval_id: String,
    },
    /// PIM refused, or the last retry ran out; `reason` is for the requester.
    Fail {
        reason: String,
    },
    /// Someone (`by`) asked to end the elevation early: the removal follows.
    RequestEnd {
        by: String,
    },
    /// PIM refused the removal of an `ending` request: it stays active.
    EndFailed,
    /// The assignment ended: at `early` when removed before its end, else at its end time.
    End {
        early: Option<DateTime<Utc>>,
    },
}

impl Event {
    /// The event's name, for errors and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Decide { decision, .. } if decision.approve => "approve",
            Event::Decide { .. } => "deny",
            Event::Cancel => "cancel",
            Event::Timeout => "timeout",
            Event::StartActivation => "start_activation",
            Event::Activated { .. } => "activated",
            Event::AwaitPimApproval { .. } => "await_pim_approval",
            Event::Fail { .. } => "fail",
            Event::RequestEnd { .. } => "request_end",
            Event::EndFailed => "end_failed",
            Event::End { .. } => "end",
        }
    }
}

/// An event that the current state does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a request that is {from} cannot take `{event}`")]
pub struct InvalidTransition {
    pub from: State,
    pub event: &'static str,
}

/// What a transition did, by name (the audit event's kind is `request.` and [`Change::name`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// An approval that does not complete the tally: `approvals` of the required count so far.
    ApprovalRecorded {
        approvals: u32,
    },
    /// The approval that completed the tally; `by` names the approvers that counted.
    Approved {
        by: Vec<String>,
    },
    Denied,
    Cancelled,
    Expired,
    ActivationStarted,
    /// PIM waits for its own approval of the activation.
    PimApprovalPending,
    Activated,
    Failed,
    EndRequested,
    /// The removal failed; the elevation is active again.
    StillActive,
    Ended,
}

impl Change {
    pub fn name(&self) -> &'static str {
        match self {
            Change::ApprovalRecorded { .. } => "approval_recorded",
            Change::Approved { .. } => "approved",
            Change::Denied => "denied",
            Change::Cancelled => "cancelled",
            Change::Expired => "expired",
            Change::ActivationStarted => "activation_started",
            Change::PimApprovalPending => "pim_approval_pending",
            Change::Activated => "active",
            Change::Failed => "failed",
            Change::EndRequested => "end_requested",
            Change::StillActive => "still_active",
            Change::Ended => "ended",
        }
    }
}

/// The work a request's state needs done, as the domain sees it (the service maps it to jobs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Work {
    /// Post the approval message (or bring it up to date when it exists).
    PostApproval,
    /// Remind the approvers of the undecided request at `at`, halfway to its deadline.
    RemindApprovers { at: DateTime<Utc> },
    /// Expire the request at its approval deadline if nobody decides.
    ApprovalTimeout { at: DateTime<Utc> },
    /// Create the PIM assignment.
    Activate,
    /// Read PIM's decision on its own approval of the activation.
    FollowPim,
    /// Remove the assignment early; `by` asked for it.
    Deactivate { by: String },
    /// The assignment's end time.
    Expire { at: DateTime<Utc> },
    /// Warn the requester ahead of `until` (the service knows how far ahead).
    WarnEnding { until: DateTime<Utc> },
    /// Tell the approvers the request expired undecided.
    TellApproversExpired,
}

/// A transition the machine allowed: the new request, what happened, and the work it needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub request: Request,
    pub change: Change,
    pub work: Vec<Work>,
}

impl Request {
    /// Applies `event` at `now`: the new request (state, version, `updated_at` and the fields
    /// the event sets), what happened, and the work its new state needs beyond the work its old
    /// state already had.
    pub fn apply(&self, event: Event, now: DateTime<Utc>) -> Result<Applied, InvalidTransition> {
        let invalid = InvalidTransition {
            from: self.state,
            event: event.name(),
        };
        let mut next = self.clone();
        let change = self.transition(&mut next, event).ok_or(invalid)?;
        next.version = self.version + 1;
        next.updated_at = now;
        // Work already scheduled stays: an `ending` request back to `active` kept its expiry.
        let mut before = self.work(now);
        if self.state == State::Ending {
            before.extend(next.work(now));
        }
        let work = next
            .work(now)
            .into_iter()
            .filter(|w| {
                !before
                    .iter()
                    .any(|b| std::mem::discriminant(b) == std::mem::discriminant(w))
            })
            .collect();
        Ok(Applied {
            request: next,
            change,
            work,
        })
    }

    /// Sets `next`'s state and the fields `event` carries; `None` when the state does not allow
    /// the event.
    fn transition(&self, next: &mut Request, event: Event) -> Option<Change> {
        use State as S;
        let change = match (self.state, event) {
            (S::PendingApproval, Event::Decide { decision, lapsed }) => {
                let change = self.tally(&decision, &lapsed);
                next.state = match change {
                    Change::Approved { .. } => S::Approved,
                    Change::Denied => S::Denied,
                    _ => S::PendingApproval,
                };
                next.decisions.push(decision);
                change
            }
            (S::PendingApproval, Event::Cancel) => {
                next.state = S::Cancelled;
                Change::Cancelled
            }
            (S::PendingApproval, Event::Timeout) => {
                next.state = S::Expired;
                Change::Expired
            }
            (S::Approved, Event::StartActivation) => {
                next.state = S::Activating;
                Change::ActivationStarted
            }
            (
                S::Activating,
                Event::AwaitPimApproval {
                    pim_request_id,
                    approval_id,
                },
            ) if self.pim_approval_id.is_none() => {
                next.pim_request_id = Some(pim_request_id);
                next.pim_approval_id = Some(approval_id);
                Change::PimApprovalPending
            }
            (S::Approved | S::Activating, Event::Fail { reason }) => {
                next.state = S::Failed;
                next.failure = Some(reason);
                Change::Failed
            }
            (
                S::Activating,
                Event::Activated {
                    pim_request_id,
                    until,
                },
            ) => {
                next.state = S::Active;
                next.active_until = Some(until);
                next.pim_request_id = pim_request_id.or(next.pim_request_id.take());
                Change::Activated
            }
            (S::Active, Event::RequestEnd { by }) => {
                next.state = S::Ending;
                next.ended_by = Some(by);
                Change::EndRequested
            }
            (S::Ending, Event::EndFailed) => {
                next.state = S::Active;
                next.ended_by = None;
                Change::StillActive
            }
            (S::Active | S::Ending, Event::End { early }) => {
                next.state = S::Ended;
                next.active_until = early.or(next.active_until);
                Change::Ended
            }
            _ => return None,
        };
        Some(change)
    }

    /// The work this request's state needs: what a transition into it schedules, and what the
    /// sweep schedules for a request found without any job.
    pub fn work(&self, now: DateTime<Utc>) -> Vec<Work> {
        match self.state {
            State::PendingApproval => vec![
                Work::PostApproval,
                Work::ApprovalTimeout {
                    at: self.approval_deadline,
                },
                Work::RemindApprovers {
                    at: self.created_at + (self.approval_deadline - self.created_at) / 2,
                },
            ],
            // Activate mode, once PIM waits for its own approval: follow the request there.
            State::Activating if self.pim_approval_id.is_some() => {
                vec![Work::PostApproval, Work::FollowPim]
            }
            State::Approved | State::Activating => vec![Work::Activate],
            State::Active => {
                let at = self.active_until.unwrap_or(now);
                vec![Work::Expire { at }, Work::WarnEnding { until: at }]
            }
            State::Ending => vec![Work::Deactivate {
                by: self
                    .ended_by
                    .clone()
                    .unwrap_or_else(|| "its requester".to_owned()),
            }],
            State::Expired => vec![Work::TellApproversExpired],
            State::Ended | State::Cancelled | State::Denied | State::Failed => Vec::new(),
        }
    }

    /// Whether an approval now would complete the tally (counting every earlier approval): when
    /// it would, the service re-checks the earlier approvers' authority, live, first.
    pub fn approval_completes_tally(&self) -> bool {
        self.approvals().count() as u32 + 1 >= self.approvals_required
    }

    /// What `decision` does to the tally, with the approvals of `lapsed` approvers not counted.
    fn tally(&self, decision: &Decision, lapsed: &[EntraId]) -> Change {
        if !decision.approve {
            return Change::Denied;
        }
        let mut by: Vec<String> = self
            .approvals()
            .filter(|d| !lapsed.contains(&d.approver.entra_id))
            .map(|d| d.approver.display_name.clone())
            .collect();
        by.push(decision.approver.display_name.clone());
        let approvals = by.len() as u32;
        if approvals >= self.approvals_required {
            Change::Approved { by }
        } else {
            Change::ApprovalRecorded { approvals }
        }
    }
}
