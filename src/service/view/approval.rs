//! The approval message's words: the request, who may decide, the tally and the buttons while it
//! is pending; who decided, when, why and the current state once it is not.

use super::{Action, Emoji, Line};
use crate::domain::request::{Request, State};

/// Approvers mentioned by name; the rest are counted.
const SHOWN_APPROVERS: usize = 20;

/// A labelled value (`Scope`, `Duration`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub label: &'static str,
    pub value: Line,
}

/// Everything the approval message says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalView {
    /// `PIM-12`: the buttons carry it.
    pub id: String,
    /// `PIM-12: elevation request`.
    pub title: String,
    /// `<requester> asks for **<target>**`.
    pub asks: Line,
    /// Scope, duration, ticket.
    pub facts: Vec<Fact>,
    pub approvers: Fact,
    pub justification: Fact,
    /// The tally (when several approvals are needed) and who decided, when there is such a line.
    pub progress: Vec<Line>,
    pub state: Fact,
    /// Approve and Deny while the request is pending; nothing after.
    pub actions: Vec<Action>,
    /// One plain line for notifications and screen readers.
    pub summary: Line,
}

impl ApprovalView {
    pub fn of(request: &Request) -> Self {
        let id = request.id.to_string();
        let ticket = match request.ticket.as_deref() {
            Some(ticket) => Line::new().text(ticket, 200),
            None => Line::new().words("none"),
        };
        let justification = match request.justification.as_deref() {
            Some(justification) => Line::new().text(justification, 2500),
            None => Line::new().aside("none given"),
        };
        let progress = [tally(request), decided(request)]
            .into_iter()
            .flatten()
            .collect();
        let pending = request.state == State::PendingApproval || waits_for_pim(request);
        Self {
            title: format!("{id}: elevation request"),
            asks: Line::new()
                .person(&request.requester)
                .words(" asks for ")
                .strong(request.target.label(), 500),
            facts: vec![
                Fact {
                    label: "Scope",
                    value: Line::new()
                        .text(&request.target.scope_display, 200)
                        .words(" (")
                        .code(request.target.scope_id(), 300)
                        .words(")"),
                },
                Fact {
                    label: "Duration",
                    value: Line::new().words(request.duration.to_string()),
                },
                Fact {
                    label: "Ticket",
                    value: ticket,
                },
            ],
            approvers: Fact {
                label: "Approvers",
                value: approvers(request),
            },
            justification: Fact {
                label: "Justification",
                value: justification,
            },
            progress,
            state: Fact {
                label: "State",
                value: state(request),
            },
            actions: if pending {
                vec![Action::Approve, Action::Deny]
            } else {
                Vec::new()
            },
            summary: Line::new()
                .words(format!("{id}: "))
                .name(&request.requester.display_name)
                .words(" asks for ")
                .text(request.target.label(), 500)
                .words(format!(" for {}: ", request.duration))
                .then(state(request)),
            id,
        }
    }
}

/// The people who may decide, mentioned; a long list is cut rather than broken mid-mention.
fn approvers(request: &Request) -> Line {
    if request.approvers.is_empty() {
        return Line::new().words("nobody");
    }
    let mut names: Vec<Line> = request
        .approvers
        .iter()
        .take(SHOWN_APPROVERS)
        .map(|a| Line::new().person(a))
        .collect();
    if request.approvers.len() > SHOWN_APPROVERS {
        names.push(Line::new().words(format!(
            "and {} more",
            request.approvers.len() - SHOWN_APPROVERS
        )));
    }
    Line::joined(names, ", ")
}

/// `1 of 2 approvals: Bob`, only when more than one approval is needed.
fn tally(request: &Request) -> Option<Line> {
    if request.approvals_required <= 1 {
        return None;
    }
    let names: Vec<Line> = request
        .approvals()
        .map(|d| Line::new().name(&d.approver.display_name))
        .collect();
    let mut line = Line::new().words(format!(
        "{} of {} approvals",
        names.len(),
        request.approvals_required
    ));
    if !names.is_empty() {
        line = line.words(": ").then(Line::joined(names, ", "));
    }
    Some(line)
}

/// Who decided, when and why, once the request has left `pending_approval` by a decision.
fn decided(request: &Request) -> Option<Line> {
    if let Some(denial) = request.denial() {
        let mut line = Line::new()
            .emoji(Emoji::Denied)
            .words(" Denied by ")
            .person(&denial.approver)
            .words(" at ")
            .time(denial.at);
        if let Some(reason) = &denial.reason {
            line = line.words(": ").text(reason, 1000);
        }
        return Some(line);
    }
    let approved = !matches!(
        request.state,
        State::PendingApproval | State::Cancelled | State::Expired
    );
    if !approved {
        return None;
    }
    let approvals: Vec<Line> = request
        .approvals()
        .map(|d| {
            let part = Line::new().person(&d.approver).words(" at ").time(d.at);
            match &d.reason {
                Some(reason) => part.words(" (").text(reason, 300).words(")"),
                None => part,
            }
        })
        .collect();
    (!approvals.is_empty()).then(|| {
        Line::new()
            .emoji(Emoji::Approved)
            .words(" Approved by ")
            .then(Line::joined(approvals, ", "))
    })
}

/// Activate mode: PIM itself waits for its approvers; the buttons decide there.
fn waits_for_pim(request: &Request) -> bool {
    request.state == State::Activating && request.pim_approval_id.is_some()
}

/// The current state in words.
fn state(request: &Request) -> Line {
    let line = Line::new();
    match request.state {
        State::PendingApproval => line
            .words("waiting for approval (until ")
            .time(request.approval_deadline)
            .words(")"),
        State::Approved => line.words("approved, activating in PIM"),
        State::Activating if waits_for_pim(request) => {
            line.words("waiting for approval in PIM (decide here or in the PIM portal)")
        }
        State::Activating => line.words("activating in PIM"),
        State::Active => match request.active_until {
            Some(until) => line.words("active until ").time(until),
            None => line.words("active"),
        },
        State::Ending => match &request.ended_by {
            Some(by) => line
                .words("ending: ")
                .text(by, 200)
                .words(" asked to end it; PIM is removing it"),
            None => line.words("ending: PIM is removing it"),
        },
        State::Ended => line.words("ended at ").time(request.updated_at),
        State::Expired => line
            .words("expired: nobody decided by ")
            .time(request.approval_deadline),
        State::Cancelled => line
            .words("cancelled by the requester at ")
            .time(request.updated_at),
        State::Denied => line.words("denied"),
        State::Failed => match request.failure.as_deref() {
            Some(failure) => line.words("failed: ").text(failure, 1000),
            None => line.words("failed: PIM refused the assignment"),
        },
    }
}
