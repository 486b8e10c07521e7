//! The approval message in the channel: the request, who may decide, the tally, and the buttons
//! while it is pending; who decided, when, why and the current state once it is not.

use serde_json::{Value, json};

use super::{clip, escape, hhmm, mrkdwn, plain, who};
use crate::domain::request::{Request, State};

/// `action_id` of the Approve button; its `value` is the request id (`PIM-12`).
pub(crate) const APPROVE_ACTION: &str = "approve";
/// `action_id` of the Deny button; its `value` is the request id.
pub(crate) const DENY_ACTION: &str = "deny";
/// `block_id` of the buttons.
pub(crate) const DECISION_BLOCK: &str = "decision";

/// `{"text": …, "blocks": […]}` for `chat.postMessage` / `chat.update`.
pub(crate) fn approval_message(request: &Request) -> Value {
    let platform = request.platform;
    let mut blocks = vec![
        json!({"type": "header", "text": plain(&format!("{}: elevation request", request.id))}),
        json!({
            "type": "section",
            "text": mrkdwn(&format!(
                "{} asks for *{}*",
                who(&request.requester, platform),
                clip(&escape(&request.target.label()), 500)
            )),
            "fields": [
                mrkdwn(&format!(
                    "*Scope*\n{} (`{}`)",
                    clip(&escape(&request.target.scope_display), 200),
                    clip(&escape(&request.target.scope), 300)
                )),
                mrkdwn(&format!("*Duration*\n{}", request.duration)),
                mrkdwn(&format!(
                    "*Ticket*\n{}",
                    request.ticket.as_deref().map_or("none".into(), |t| clip(&escape(t), 200))
                )),
                mrkdwn(&format!("*Approvers*\n{}", approvers(request))),
            ]
        }),
        json!({
            "type": "section",
            "text": mrkdwn(&format!(
                "*Justification*\n{}",
                request
                    .justification
                    .as_deref()
                    .map_or("_none given_".into(), |j| clip(&escape(j), 2500))
            ))
        }),
    ];
    let mut status = Vec::new();
    if let Some(tally) = tally(request) {
        status.push(tally);
    }
    if let Some(decided) = decided(request) {
        status.push(decided);
    }
    status.push(format!("*State:* {}", state(request)));
    blocks
        .push(json!({"type": "section", "block_id": "status", "text": mrkdwn(&status.join("\n"))}));
    if request.state == State::PendingApproval {
        let id = request.id.to_string();
        blocks.push(json!({
            "type": "actions",
            "block_id": DECISION_BLOCK,
            "elements": [
                {"type": "button", "action_id": APPROVE_ACTION, "style": "primary",
                 "text": plain("Approve"), "value": id},
                {"type": "button", "action_id": DENY_ACTION, "style": "danger",
                 "text": plain("Deny"), "value": id},
            ]
        }));
    }
    json!({"text": approval_text(request), "blocks": blocks})
}

/// The plain fallback (notifications, screen readers): id, requester, target, duration, state.
fn approval_text(request: &Request) -> String {
    clip(
        &format!(
            "{}: {} asks for {} for {}: {}",
            request.id,
            escape(&request.requester.display_name),
            escape(&request.target.label()),
            request.duration,
            state(request)
        ),
        3000,
    )
}

/// The people who may decide, mentioned; a long list is cut rather than broken mid-mention.
fn approvers(request: &Request) -> String {
    const SHOWN: usize = 20;
    if request.approvers.is_empty() {
        return "nobody".into();
    }
    let mut names: Vec<String> = request
        .approvers
        .iter()
        .take(SHOWN)
        .map(|a| who(a, request.platform))
        .collect();
    if request.approvers.len() > SHOWN {
        names.push(format!("and {} more", request.approvers.len() - SHOWN));
    }
    names.join(", ")
}

/// `1 of 2 approvals: Bob`, only when more than one approval is needed.
fn tally(request: &Request) -> Option<String> {
    if request.approvals_required <= 1 {
        return None;
    }
    let names: Vec<String> = request
        .approvals()
        .map(|d| escape(&d.approver.display_name))
        .collect();
    let mut line = format!(
        "{} of {} approvals",
        names.len(),
        request.approvals_required
    );
    if !names.is_empty() {
        line.push_str(": ");
        line.push_str(&names.join(", "));
    }
    Some(line)
}

/// Who decided, when and why, once the request has left `pending_approval` by a decision.
fn decided(request: &Request) -> Option<String> {
    if let Some(denial) = request.denial() {
        let mut line = format!(
            ":no_entry: Denied by {} at {}",
            who(&denial.approver, request.platform),
            hhmm(denial.at)
        );
        if let Some(reason) = &denial.reason {
            line.push_str(&format!(": {}", clip(&escape(reason), 1000)));
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
    let approvals: Vec<String> = request
        .approvals()
        .map(|d| {
            let mut part = format!("{} at {}", who(&d.approver, request.platform), hhmm(d.at));
            if let Some(reason) = &d.reason {
                part.push_str(&format!(" ({})", clip(&escape(reason), 300)));
            }
            part
        })
        .collect();
    (!approvals.is_empty())
        .then(|| format!(":white_check_mark: Approved by {}", approvals.join(", ")))
}

/// The current state in words.
fn state(request: &Request) -> String {
    match request.state {
        State::PendingApproval => format!(
            "waiting for approval (until {})",
            hhmm(request.approval_deadline)
        ),
        State::Approved => "approved, activating in PIM".into(),
        State::Activating => "activating in PIM".into(),
        State::Active => match request.active_until {
            Some(until) => format!("active until {}", hhmm(until)),
            None => "active".into(),
        },
        State::Ended => format!("ended at {}", hhmm(request.updated_at)),
        State::Expired => format!(
            "expired: nobody decided by {}",
            hhmm(request.approval_deadline)
        ),
        State::Cancelled => format!("cancelled by the requester at {}", hhmm(request.updated_at)),
        State::Denied => "denied".into(),
        State::Failed => format!(
            "failed: {}",
            request
                .failure
                .as_deref()
                .map_or("PIM refused the assignment".into(), |f| clip(
                    &escape(f),
                    1000
                ))
        ),
    }
}

#[cfg(test)]
mod tests;
