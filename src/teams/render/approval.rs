//! The approval card: the request, its approvers mentioned, the tally and Approve / Deny while it
//! is pending; who decided, when, why and the current state once it is not. Approvers get live
//! state through `refresh.userIds`.

use serde_json::{Value, json};

use super::{
    REASON, VERB_APPROVE, VERB_DENY, VERB_REFRESH, card, clip, escape, execute, hhmm, text_block,
};
use crate::domain::request::{Person, Request, State};

/// Mentions shown on the card; the rest are counted.
const SHOWN_APPROVERS: usize = 20;
/// Teams refreshes automatically for at most this many users.
const MAX_REFRESH_USERS: usize = 60;

/// The card for `request`; `note` is a line for one viewer (the clicker's invoke response).
/// `refresh_users`: the approvers' Teams user ids (`29:…`) that pimbot knows, for live state.
pub(crate) fn approval_card(
    request: &Request,
    note: Option<&str>,
    refresh_users: &[String],
) -> Value {
    let mut mentions = Mentions::default();
    let id = request.id.to_string();
    let mut body = vec![
        json!({"type": "TextBlock", "text": format!("{id}: elevation request"),
               "weight": "Bolder", "size": "Medium", "wrap": true}),
        text_block(&format!(
            "{} asks for **{}**",
            mentions.add(&request.requester),
            clip(&escape(&request.target.label()), 500)
        )),
        json!({"type": "FactSet", "facts": [
            {"title": "Scope", "value": format!(
                "{} ({})",
                clip(&escape(&request.target.scope_display), 200),
                clip(&escape(&request.target.scope), 300)
            )},
            {"title": "Duration", "value": request.duration.to_string()},
            {"title": "Ticket", "value": request.ticket.as_deref()
                .map_or("none".into(), |t| clip(&escape(t), 200))},
        ]}),
        text_block(&format!(
            "**Approvers:** {}",
            approvers(request, &mut mentions)
        )),
        text_block(&format!(
            "**Justification:** {}",
            request
                .justification
                .as_deref()
                .map_or("none given".into(), |j| clip(&escape(j), 1000))
        )),
    ];
    if let Some(tally) = tally(request) {
        body.push(text_block(&tally));
    }
    if let Some(decided) = decided(request, &mut mentions) {
        body.push(text_block(&decided));
    }
    body.push(json!({"type": "TextBlock", "id": "state", "wrap": true,
                     "text": format!("**State:** {}", state(request))}));
    if let Some(note) = note {
        body.push(
            json!({"type": "TextBlock", "text": clip(&escape(note), 500), "wrap": true,
                         "color": "Accent", "weight": "Bolder"}),
        );
    }
    let pending = request.state == State::PendingApproval;
    if pending {
        body.push(decision_buttons(&id));
    }
    let mut out = card(body);
    out["msteams"] = json!({"width": "Full", "entities": mentions.entities});
    if pending {
        out["refresh"] = json!({
            "action": {"type": "Action.Execute", "title": "Refresh", "verb": VERB_REFRESH,
                       "data": {"request": id}},
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
        "actions": [execute("Deny", VERB_DENY, json!({"request": id}))],
    });
    let mut approve = execute("Approve", VERB_APPROVE, json!({"request": id}));
    approve["style"] = json!("positive");
    json!({
        "type": "ActionSet",
        "actions": [
            approve,
            {"type": "Action.ShowCard", "title": "Deny…", "style": "destructive", "card": deny_form},
        ]
    })
}

/// `<at>` mentions and their entities, one per person.
#[derive(Default)]
struct Mentions {
    entities: Vec<Value>,
}

impl Mentions {
    /// `<at>Name</at>` when the person's Teams id (Entra object id) is known, else the name.
    fn add(&mut self, person: &Person) -> String {
        let name = clip(&escape(&person.display_name), 80);
        let Some(id) = person.chat_id.as_deref().filter(|id| !id.is_empty()) else {
            return name;
        };
        let text = format!("<at>{name}</at>");
        let known = self
            .entities
            .iter()
            .any(|e| e["mentioned"]["id"] == id && e["text"] == text.as_str());
        if !known {
            self.entities.push(json!({
                "type": "mention", "text": text, "mentioned": {"id": id, "name": name}
            }));
        }
        text
    }
}

fn approvers(request: &Request, mentions: &mut Mentions) -> String {
    if request.approvers.is_empty() {
        return "nobody".into();
    }
    let mut names: Vec<String> = request
        .approvers
        .iter()
        .take(SHOWN_APPROVERS)
        .map(|a| mentions.add(a))
        .collect();
    if request.approvers.len() > SHOWN_APPROVERS {
        names.push(format!(
            "and {} more",
            request.approvers.len() - SHOWN_APPROVERS
        ));
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
        .map(|d| clip(&escape(&d.approver.display_name), 80))
        .collect();
    let mut line = format!(
        "{} of {} approvals",
        names.len(),
        request.approvals_required
    );
    if !names.is_empty() {
        line.push_str(&format!(": {}", names.join(", ")));
    }
    Some(line)
}

/// Who decided, when and why.
fn decided(request: &Request, mentions: &mut Mentions) -> Option<String> {
    if let Some(denial) = request.denial() {
        let mut line = format!(
            "⛔ Denied by {} at {}",
            mentions.add(&denial.approver),
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
    let parts: Vec<String> = request
        .approvals()
        .map(|d| {
            let mut part = format!("{} at {}", mentions.add(&d.approver), hhmm(d.at));
            if let Some(reason) = &d.reason {
                part.push_str(&format!(" ({})", clip(&escape(reason), 300)));
            }
            part
        })
        .collect();
    (!parts.is_empty()).then(|| format!("✅ Approved by {}", parts.join(", ")))
}

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
