//! The modals: the request form (loading, filled, or an error) and the deny-reason form.

use serde_json::{Value, json};

use super::{clip, escape, mrkdwn, plain};
use crate::domain::request::ShortId;
use crate::service::ports::EligibleTarget;
use crate::slack::form::{DURATION, FormMetadata, JUSTIFICATION, TARGET, TICKET};

/// `callback_id` of the request form, in every stage.
pub(crate) const FORM_CALLBACK: &str = "request_form";
/// `callback_id` of the deny-reason form; its `private_metadata` is the request id.
pub(crate) const DENY_CALLBACK: &str = "deny_reason";
/// `block_id` and `action_id` of the deny reason.
pub(crate) const REASON: &str = "reason";

const TITLE: &str = "Request elevation";

/// Opened at once with the trigger id; `views.update` fills it when the targets are known.
pub(crate) fn request_form_loading() -> Value {
    json!({
        "type": "modal",
        "callback_id": FORM_CALLBACK,
        "title": plain(TITLE),
        "close": plain("Cancel"),
        "blocks": [{
            "type": "section",
            "text": mrkdwn(":hourglass_flowing_sand: Looking up what you are eligible for…")
        }]
    })
}

/// The form itself: the targets the user may request, with their limits in `private_metadata`.
pub(crate) fn request_form(channel: Option<&str>, targets: &[EligibleTarget]) -> Value {
    let (offered, metadata) = FormMetadata::offer(channel, targets);
    if offered.is_empty() {
        return request_form_error(
            "You are not eligible for anything pimbot can grant. Try `/pim list`, or ask your admin.",
        );
    }
    let options: Vec<Value> = offered.iter().map(|t| option(t)).collect();
    let mut select = json!({
        "type": "static_select",
        "action_id": TARGET,
        "placeholder": plain("Choose a role, group or Azure role"),
        "options": options,
    });
    if let [only] = options.as_slice() {
        select["initial_option"] = only.clone();
    }
    // The shortest default fits every offered target's maximum.
    let initial = offered
        .iter()
        .map(|t| t.default_duration)
        .min()
        .map(|d| d.to_string());
    let all = |f: fn(&EligibleTarget) -> bool| offered.iter().all(|t| f(t));
    let mut duration = json!({
        "type": "plain_text_input",
        "action_id": DURATION,
        "placeholder": plain("2h"),
        "max_length": 20,
    });
    if let Some(initial) = initial {
        duration["initial_value"] = json!(initial);
    }
    json!({
        "type": "modal",
        "callback_id": FORM_CALLBACK,
        "title": plain(TITLE),
        "submit": plain("Request"),
        "close": plain("Cancel"),
        "private_metadata": metadata.encode(),
        "blocks": [
            {"type": "input", "block_id": TARGET, "label": plain("What do you need?"), "element": select},
            {"type": "input", "block_id": DURATION, "label": plain("For how long?"), "element": duration,
             "hint": plain("30m, 2h, 1h30m or PT2H, up to the target's maximum")},
            {"type": "input", "block_id": TICKET, "label": plain("Ticket"),
             "optional": !all(|t| t.require_ticket),
             "element": {"type": "plain_text_input", "action_id": TICKET,
                         "placeholder": plain("INC-1234"), "max_length": 100}},
            {"type": "input", "block_id": JUSTIFICATION, "label": plain("Why do you need it?"),
             "optional": !all(|t| t.require_justification),
             "element": {"type": "plain_text_input", "action_id": JUSTIFICATION, "multiline": true,
                         "max_length": 1000}},
        ]
    })
}

/// One select option: value = the target key, text = its label, description = its limits.
fn option(target: &EligibleTarget) -> Value {
    let mut limits = format!("up to {}", target.max_duration);
    if target.require_ticket {
        limits.push_str(", ticket required");
    }
    if target.require_justification {
        limits.push_str(", reason required");
    }
    json!({
        "text": plain(&clip(&escape(&target.label), 75)),
        "description": plain(&clip(&limits, 75)),
        "value": target.key,
    })
}

/// The form replaced by a message (nothing to offer, or the lookup failed).
pub(crate) fn request_form_error(message: &str) -> Value {
    json!({
        "type": "modal",
        "callback_id": FORM_CALLBACK,
        "title": plain(TITLE),
        "close": plain("Close"),
        "blocks": [{"type": "section", "text": mrkdwn(&clip(&escape(message), 3000))}]
    })
}

/// Asks the approver why they deny `id`.
pub(crate) fn deny_reason_modal(id: ShortId) -> Value {
    json!({
        "type": "modal",
        "callback_id": DENY_CALLBACK,
        "private_metadata": id.to_string(),
        "title": plain(&format!("Deny {id}")),
        "submit": plain("Deny"),
        "close": plain("Cancel"),
        "blocks": [{
            "type": "input",
            "block_id": REASON,
            "label": plain("Why do you deny it?"),
            "hint": plain("The requester sees this reason."),
            "element": {"type": "plain_text_input", "action_id": REASON, "multiline": true,
                        "min_length": 1, "max_length": 1000}
        }]
    })
}

#[cfg(test)]
mod tests;
