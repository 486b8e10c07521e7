//! A strict validator for the subset of Adaptive Cards 1.5 pimbot sends to Teams: known element
//! and action types with their required members, `Action.Execute` with a verb, `refresh`, unique
//! input ids, mention entities whose text appears on the card, and Teams' 28 KB.

use std::collections::HashSet;

use serde_json::Value;

pub(crate) const MAX_CARD_BYTES: usize = 28 * 1024;

const ELEMENTS: [&str; 9] = [
    "TextBlock",
    "FactSet",
    "ActionSet",
    "Input.Text",
    "Input.ChoiceSet",
    "Container",
    "ColumnSet",
    "Image",
    "RichTextBlock",
];
const ACTIONS: [&str; 5] = [
    "Action.Execute",
    "Action.Submit",
    "Action.ShowCard",
    "Action.OpenUrl",
    "Action.ToggleVisibility",
];

/// Every violation; empty means valid.
pub(crate) fn validate(card: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    let size = card.to_string().len();
    if size >= MAX_CARD_BYTES {
        errors.push(format!("$: {size} bytes, over 28 KB"));
    }
    if card["version"] != "1.5" {
        errors.push(format!("$.version: {} is not \"1.5\"", card["version"]));
    }
    let mut ids = HashSet::new();
    check_card(card, "$", &mut ids, &mut errors);
    if let Some(refresh) = card.get("refresh") {
        // The refresh action is never a button, so it needs no fallback.
        let action = &refresh["action"];
        if action["type"] != "Action.Execute" || action["verb"].as_str().is_none_or(str::is_empty) {
            errors.push("$.refresh.action: must be an Action.Execute with a verb".into());
        }
        match refresh["userIds"].as_array() {
            Some(users) if users.len() <= 60 && users.iter().all(Value::is_string) => {}
            _ => errors.push("$.refresh.userIds: at most 60 strings".into()),
        }
    }
    let mut without_entities = card.clone();
    if let Some(map) = without_entities.as_object_mut() {
        map.remove("msteams");
    }
    let texts = without_entities.to_string();
    for (i, entity) in card["msteams"]["entities"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let path = format!("$.msteams.entities[{i}]");
        let text = entity["text"].as_str().unwrap_or_default();
        if entity["type"] != "mention" || !text.starts_with("<at>") || !text.ends_with("</at>") {
            errors.push(format!(
                "{path}: a mention needs type mention and <at>…</at> text"
            ));
        }
        if entity["mentioned"]["id"].as_str().is_none_or(str::is_empty)
            || entity["mentioned"]["name"].as_str().is_none()
        {
            errors.push(format!(
                "{path}: mentioned.id and mentioned.name are required"
            ));
        }
        if !texts.contains(text) {
            errors.push(format!("{path}: `{text}` does not appear on the card"));
        }
    }
    errors
}

fn check_card(card: &Value, path: &str, ids: &mut HashSet<String>, errors: &mut Vec<String>) {
    if card["type"] != "AdaptiveCard" {
        errors.push(format!("{path}.type: must be AdaptiveCard"));
    }
    for (i, element) in card["body"].as_array().into_iter().flatten().enumerate() {
        check_element(element, &format!("{path}.body[{i}]"), ids, errors);
    }
    for (i, action) in card["actions"].as_array().into_iter().flatten().enumerate() {
        check_action(action, &format!("{path}.actions[{i}]"), ids, errors);
    }
}

fn check_element(element: &Value, path: &str, ids: &mut HashSet<String>, errors: &mut Vec<String>) {
    let kind = element["type"].as_str().unwrap_or_default();
    if !ELEMENTS.contains(&kind) {
        errors.push(format!("{path}: unknown element type `{kind}`"));
        return;
    }
    if let Some(id) = element["id"].as_str()
        && !ids.insert(id.to_owned())
    {
        errors.push(format!("{path}: duplicate id `{id}`"));
    }
    match kind {
        "TextBlock" if !element["text"].is_string() => {
            errors.push(format!("{path}: TextBlock needs text"));
        }
        "FactSet" => {
            for fact in element["facts"].as_array().into_iter().flatten() {
                if !fact["title"].is_string() || !fact["value"].is_string() {
                    errors.push(format!("{path}: a fact needs title and value strings"));
                }
            }
        }
        "ActionSet" => {
            for (i, action) in element["actions"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                check_action(action, &format!("{path}.actions[{i}]"), ids, errors);
            }
        }
        "Input.Text" | "Input.ChoiceSet" if !element["id"].is_string() => {
            errors.push(format!("{path}: inputs need an id"));
        }
        _ => {}
    }
    if kind == "Input.ChoiceSet" {
        for choice in element["choices"].as_array().into_iter().flatten() {
            if !choice["title"].is_string() || !choice["value"].is_string() {
                errors.push(format!("{path}: a choice needs title and value strings"));
            }
        }
    }
}

fn check_action(action: &Value, path: &str, ids: &mut HashSet<String>, errors: &mut Vec<String>) {
    let kind = action["type"].as_str().unwrap_or_default();
    if !ACTIONS.contains(&kind) {
        errors.push(format!("{path}: unknown action type `{kind}`"));
        return;
    }
    match kind {
        "Action.Execute" => {
            if action["verb"].as_str().is_none_or(str::is_empty) {
                errors.push(format!("{path}: Action.Execute needs a verb"));
            }
            match action.get("fallback") {
                Some(Value::String(drop)) if drop == "drop" => {}
                Some(fallback) if fallback["type"] == "Action.Submit" => {
                    check_action(fallback, &format!("{path}.fallback"), ids, errors);
                }
                _ => errors.push(format!(
                    "{path}: Action.Execute needs an Action.Submit fallback"
                )),
            }
        }
        "Action.ShowCard" => check_card(&action["card"], &format!("{path}.card"), ids, errors),
        "Action.OpenUrl" if !action["url"].is_string() => {
            errors.push(format!("{path}: Action.OpenUrl needs a url"));
        }
        _ => {}
    }
    if !action["title"].is_string() && path.ends_with(']') {
        errors.push(format!("{path}: a button needs a title"));
    }
}

#[test]
fn the_validator_rejects_what_teams_would_not_render() {
    use serde_json::json;
    let good = json!({"type": "AdaptiveCard", "version": "1.5", "body": [
        {"type": "TextBlock", "text": "<at>Bob</at>"},
        {"type": "ActionSet", "actions": [{"type": "Action.Execute", "title": "Go", "verb": "go",
            "fallback": {"type": "Action.Submit", "title": "Go"}}]}],
        "msteams": {"entities": [{"type": "mention", "text": "<at>Bob</at>",
                                  "mentioned": {"id": "e1", "name": "Bob"}}]}});
    assert_eq!(validate(&good), Vec::<String>::new());
    let mut old = good.clone();
    old["version"] = json!("1.2");
    assert!(!validate(&old).is_empty());
    let mut no_verb = good.clone();
    no_verb["body"][1]["actions"][0]["verb"] = json!("");
    assert!(!validate(&no_verb).is_empty());
    let mut unknown = good.clone();
    unknown["body"][0]["type"] = json!("Marquee");
    assert!(!validate(&unknown).is_empty());
    let mut ghost = good.clone();
    ghost["msteams"]["entities"][0]["text"] = json!("<at>Eve</at>");
    assert!(!validate(&ghost).is_empty());
    let mut huge = good;
    huge["body"][0]["text"] = json!("x".repeat(MAX_CARD_BYTES));
    assert!(!validate(&huge).is_empty());
}
