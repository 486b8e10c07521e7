//! The request form card (eligible targets only, duration, ticket, justification), its inputs as
//! submitted, and the small cards that replace it: an error, or "request sent".

use serde_json::{Value, json};

use super::{
    DURATION, JUSTIFICATION, TARGET, TICKET, VERB_REQUEST, card, clip, escape, execute, text_block,
};
use crate::domain::command::RequestFields;
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

/// The form's inputs as submitted, each field on its own (card data is untrusted: a value that
/// is not text is blank). Target keys are pimbot's own choices, in the grammar's words.
pub(crate) fn submitted(inputs: &Value) -> RequestFields {
    let field = |name: &str| {
        inputs[name]
            .as_str()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    RequestFields {
        target: field(TARGET),
        duration: field(DURATION),
        ticket: field(TICKET),
        justification: field(JUSTIFICATION),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::command::Field;
    use crate::domain::duration::ElevationDuration;
    use crate::domain::target::TargetRef;

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
    fn the_inputs_are_read_as_typed_and_never_as_grammar() {
        let inputs = json!({"target": "role:\"Security Reader\"@/", "duration": " 2h ",
                            "ticket": "INC \"7\"", "justification": "for"});
        let args = submitted(&inputs).read().expect("a request");
        assert_eq!(
            args.target,
            Some(TargetRef::Role {
                role: "Security Reader".into(),
                scope: Some("/".into())
            })
        );
        assert_eq!(args.ticket.as_deref(), Some("INC \"7\""));
        assert_eq!(args.reason.as_deref(), Some("for"));
        assert_eq!(args.duration.map(|d| d.to_string()).as_deref(), Some("2h"));
        let missing = submitted(&json!({"duration": 2, "ticket": "  "}));
        assert_eq!(missing, RequestFields::default());
        let errors = missing.read().expect_err("no target");
        assert_eq!(errors[&Field::Target], "Choose what you need.");
    }
}
