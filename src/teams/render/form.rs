//! The request form card (eligible targets only, duration, ticket, justification) and the small
//! cards that replace it: an error, or "request sent".

use serde_json::{Value, json};

use super::{
    DURATION, JUSTIFICATION, TARGET, TICKET, VERB_REQUEST, card, clip, escape, execute, text_block,
};
use crate::service::ports::EligibleTarget;

/// Offered targets; a longer list is cut (the card must stay small).
const MAX_TARGETS: usize = 50;

/// The form, or the error card when there is nothing to offer.
pub(crate) fn request_form(targets: &[EligibleTarget], error: Option<&str>) -> Value {
    if let Some(error) = error {
        return form_message_card(error);
    }
    if targets.is_empty() {
        return form_message_card(
            "You are not eligible for anything pimbot can grant. Try `list`, or ask your admin.",
        );
    }
    let offered = &targets[..targets.len().min(MAX_TARGETS)];
    let choices: Vec<Value> = offered
        .iter()
        .map(|t| json!({"title": choice_title(t), "value": t.key}))
        .collect();
    let mut select = json!({
        "type": "Input.ChoiceSet", "id": TARGET, "label": "What do you need?",
        "style": "compact", "isRequired": true, "choices": choices,
        "errorMessage": "Choose what you need.",
    });
    if let [only] = offered {
        select["value"] = json!(only.key);
    }
    let all = |f: fn(&EligibleTarget) -> bool| offered.iter().all(f);
    let shortest = offered.iter().map(|t| t.default_duration).min();
    let mut duration = json!({
        "type": "Input.Text", "id": DURATION, "label": "For how long?",
        "placeholder": "30m, 2h, 1h30m or PT2H", "maxLength": 20,
    });
    if let Some(shortest) = shortest {
        duration["value"] = json!(shortest.to_string());
    }
    let mut form = card(vec![
        json!({"type": "TextBlock", "text": "Request elevation", "weight": "Bolder",
               "size": "Medium", "wrap": true}),
        select,
        duration,
        json!({"type": "Input.Text", "id": TICKET, "label": "Ticket", "placeholder": "INC-1234",
               "maxLength": 100, "isRequired": all(|t| t.require_ticket),
               "errorMessage": "A ticket is required."}),
        json!({"type": "Input.Text", "id": JUSTIFICATION, "label": "Why do you need it?",
               "isMultiline": true, "maxLength": 1000,
               "isRequired": all(|t| t.require_justification),
               "errorMessage": "Say why you need it."}),
    ]);
    form["actions"] = json!([execute("Request", VERB_REQUEST, json!({}))]);
    form
}

/// A card holding one message (replaces the form for the person who used it).
pub(crate) fn form_message_card(message: &str) -> Value {
    card(vec![
        json!({"type": "TextBlock", "text": "Request elevation", "weight": "Bolder",
               "size": "Medium", "wrap": true}),
        text_block(&clip(&escape(message), 3000).replace('*', "**")),
    ])
}

fn choice_title(target: &EligibleTarget) -> String {
    let mut title = format!(
        "{} (up to {}",
        clip(&escape(&target.label), 120),
        target.max_duration
    );
    if target.require_ticket {
        title.push_str(", ticket required");
    }
    title.push(')');
    title
}

/// The form's inputs as a `request` command, quoted for the shared parser.
pub(crate) fn command_text(inputs: &Value) -> Result<String, &'static str> {
    let field = |name: &str| {
        inputs[name]
            .as_str()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| v.replace(['"', '\u{201c}', '\u{201d}'], "'"))
    };
    // Target keys come from pimbot's own choices (already in command syntax, quotes included);
    // anything else fails to parse or to resolve.
    let target = inputs[TARGET]
        .as_str()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or("Choose what you need.")?;
    let mut text = format!("request {target}");
    if let Some(duration) = field(DURATION) {
        text.push_str(&format!(" for \"{duration}\""));
    }
    if let Some(ticket) = field(TICKET) {
        text.push_str(&format!(" ticket \"{ticket}\""));
    }
    if let Some(justification) = field(JUSTIFICATION) {
        text.push_str(&format!(" \"{justification}\""));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::command::{Command, parse};
    use crate::domain::duration::ElevationDuration;

    fn target(key: &str) -> EligibleTarget {
        EligibleTarget {
            key: key.into(),
            label: format!("{key} (Application Secret Manager on App1)"),
            max_duration: ElevationDuration::from_minutes(120).expect("d"),
            default_duration: ElevationDuration::from_minutes(60).expect("d"),
            require_ticket: true,
            require_justification: false,
        }
    }

    #[test]
    fn the_form_offers_only_the_eligible_targets() {
        let form = request_form(&[target("app1-secrets")], None);
        let select = &form["body"][1];
        assert_eq!(select["type"], "Input.ChoiceSet");
        assert_eq!(select["choices"].as_array().map(Vec::len), Some(1));
        assert_eq!(select["value"], "app1-secrets");
        assert_eq!(form["body"][2]["value"], "1h");
        assert_eq!(form["body"][3]["isRequired"], true);
        assert_eq!(form["body"][4]["isRequired"], false);
        assert_eq!(form["actions"][0]["verb"], "request");
    }

    #[test]
    fn nothing_to_offer_is_a_message() {
        let card = request_form(&[], None);
        assert!(card.to_string().contains("not eligible"));
        assert!(card.get("actions").is_none());
    }

    #[test]
    fn the_inputs_become_a_command_the_shared_parser_reads() {
        let inputs = json!({"target": "app1-secrets", "duration": "2h", "ticket": "INC 7",
                            "justification": "rotating \"the\" cert"});
        let text = command_text(&inputs).expect("command");
        let Ok(Command::Request(args)) = parse(&text) else {
            panic!("not a request: {text}");
        };
        assert_eq!(args.ticket.as_deref(), Some("INC 7"));
        assert_eq!(args.reason.as_deref(), Some("rotating 'the' cert"));
        assert_eq!(args.duration.map(|d| d.to_string()).as_deref(), Some("2h"));
        assert!(command_text(&json!({"duration": "2h"})).is_err());
    }
}
