//! The approval card: the request, its approvers mentioned, the tally and Approve / Deny while it
//! is pending; who decided, when, why and the current state once it is not. Approvers get live
//! state through `refresh.userIds`.

use serde_json::{Value, json};

use super::{
    Mentions, REASON, VERB_APPROVE, VERB_DENY, VERB_REFRESH, card, clip, escape, execute,
    markdown_line, text_block,
};
use crate::domain::request::Request;
use crate::service::view::{Action, ApprovalView, Line};
/// Teams refreshes automatically for at most this many users.
const MAX_REFRESH_USERS: usize = 60;

/// The card for `request`; `note` is a line for one viewer (the clicker's invoke response).
/// `refresh_users`: the approvers' Teams user ids (`29:…`) that pimbot knows, for live state.
pub(crate) fn approval_card(
    request: &Request,
    note: Option<&str>,
    refresh_users: &[String],
) -> Value {
    let view = ApprovalView::of(request);
    let mut mentions = Mentions::default();
    let mut line = |line: &Line| markdown_line(line, Some(&mut mentions));
    let facts: Vec<Value> = view
        .facts
        .iter()
        .map(|fact| json!({"title": fact.label, "value": markdown_line(&fact.value, None)}))
        .collect();
    let mut body = vec![
        json!({"type": "TextBlock", "text": view.title,
               "weight": "Bolder", "size": "Medium", "wrap": true}),
        text_block(&line(&view.asks)),
        json!({"type": "FactSet", "facts": facts}),
    ];
    for fact in [&view.approvers, &view.justification] {
        body.push(text_block(&format!(
            "**{}:** {}",
            fact.label,
            line(&fact.value)
        )));
    }
    for progress in &view.progress {
        body.push(text_block(&line(progress)));
    }
    body.push(json!({"type": "TextBlock", "id": "state", "wrap": true,
                     "text": format!("**{}:** {}", view.state.label, line(&view.state.value))}));
    if let Some(note) = note {
        body.push(
            json!({"type": "TextBlock", "text": clip(&escape(note), 500), "wrap": true,
                         "color": "Accent", "weight": "Bolder"}),
        );
    }
    let pending = !view.actions.is_empty();
    if pending {
        body.push(decision_buttons(&view.id));
    }
    let mut out = card(body);
    out["msteams"] = json!({"width": "Full", "entities": mentions.entities});
    if pending {
        out["refresh"] = json!({
            "action": {"type": "Action.Execute", "title": "Refresh", "verb": VERB_REFRESH,
                       "data": {"request": view.id}},
            "userIds": refresh_users.iter().take(MAX_REFRESH_USERS).collect::<Vec<_>>(),
        });
    }
    out
}

/// Approve at once; Deny opens an inline form that needs a reason.
fn decision_buttons(id: &str) -> Value {
    let deny_form = json!({
        "type": "AdaptiveCard",
        "body": [{"type": "Input.Text", "id": REASON, "label": "Why do you deny it?",
                  "isMultiline": true, "isRequired": true, "maxLength": 1000,
                  "errorMessage": "Say why you deny it; the requester sees this reason."}],
        "actions": [execute(Action::Deny.label(), VERB_DENY, json!({"request": id}))],
    });
    let mut approve = execute(
        Action::Approve.label(),
        VERB_APPROVE,
        json!({"request": id}),
    );
    approve["style"] = json!("positive");
    json!({
        "type": "ActionSet",
        "actions": [
            approve,
            {"type": "Action.ShowCard", "title": "Deny…", "style": "destructive", "card": deny_form},
        ]
    })
}

#[cfg(test)]
mod tests;
