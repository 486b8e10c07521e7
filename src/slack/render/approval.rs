//! The approval message in the channel: the request, who may decide, the tally, and the buttons
//! while it is pending; who decided, when, why and the current state once it is not.

use serde_json::{Value, json};

use super::{buttons, mrkdwn, mrkdwn_line, plain};
use crate::domain::request::Request;
use crate::service::view::{ApprovalView, Fact, Line, clip};

/// `block_id` of the buttons.
pub(crate) const DECISION_BLOCK: &str = "decision";

/// `{"text": …, "blocks": […]}` for `chat.postMessage` / `chat.update`.
pub(crate) fn approval_message(request: &Request) -> Value {
    let view = ApprovalView::of(request);
    let line = |line: &Line| mrkdwn_line(line, request.platform);
    let fact = |fact: &Fact| mrkdwn(&format!("*{}*\n{}", fact.label, line(&fact.value)));
    let mut fields: Vec<Value> = view.facts.iter().map(fact).collect();
    fields.push(fact(&view.approvers));
    let mut status: Vec<String> = view.progress.iter().map(line).collect();
    status.push(format!(
        "*{}:* {}",
        view.state.label,
        line(&view.state.value)
    ));
    let mut blocks = vec![
        json!({"type": "header", "text": plain(&view.title)}),
        json!({"type": "section", "text": mrkdwn(&line(&view.asks)), "fields": fields}),
        json!({"type": "section", "text": fact(&view.justification)}),
        json!({"type": "section", "block_id": "status", "text": mrkdwn(&status.join("\n"))}),
    ];
    if !view.actions.is_empty() {
        blocks.push(json!({
            "type": "actions",
            "block_id": DECISION_BLOCK,
            "elements": buttons(&view.actions, &view.id),
        }));
    }
    json!({"text": clip(&line(&view.summary), 3000), "blocks": blocks})
}

#[cfg(test)]
mod tests;
