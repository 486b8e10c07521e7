use serde_json::Value;

use super::*;
use crate::domain::duration::ElevationDuration;
use crate::domain::request::ShortId;
use crate::service::ports::EligibleTarget;
use crate::slack::form::FormMetadata;

fn minutes(m: u32) -> ElevationDuration {
    ElevationDuration::from_minutes(m).expect("duration")
}

pub(crate) fn target(key: &str, label: &str, max: u32, default: u32) -> EligibleTarget {
    EligibleTarget {
        key: key.into(),
        label: label.into(),
        max_duration: minutes(max),
        default_duration: minutes(default),
        require_ticket: false,
        require_justification: true,
    }
}

fn block<'a>(view: &'a Value, block_id: &str) -> &'a Value {
    view["blocks"]
        .as_array()
        .expect("blocks")
        .iter()
        .find(|b| b["block_id"] == block_id)
        .unwrap_or_else(|| panic!("no block {block_id}"))
}

#[test]
fn the_loading_view_is_the_request_form_without_inputs() {
    let view = request_form_loading();
    assert_eq!(view["type"], "modal");
    assert_eq!(view["callback_id"], "request_form");
    assert!(view.get("submit").is_none());
}

#[test]
fn the_filled_form_offers_each_target_with_its_key_and_label() {
    let mut ticketed = target(
        "app1-secrets",
        "app1-secrets (Application Secret Manager on App1)",
        120,
        60,
    );
    ticketed.require_ticket = true;
    let targets = vec![
        ticketed,
        target(
            "role:\"Security Reader\"@/",
            "Security Reader on tenant <!here>",
            480,
            30,
        ),
    ];
    let view = request_form(Some("C0REQ"), &targets);
    assert_eq!(view["callback_id"], "request_form");
    assert_eq!(view["submit"]["text"], "Request");
    let options = block(&view, "target")["element"]["options"]
        .as_array()
        .expect("options")
        .clone();
    assert_eq!(options.len(), 2);
    assert_eq!(options[0]["value"], "app1-secrets");
    assert_eq!(
        options[0]["text"]["text"],
        "app1-secrets (Application Secret Manager on App1)"
    );
    assert_eq!(
        options[0]["description"]["text"],
        "up to 2h, ticket required, reason required"
    );
    assert_eq!(options[1]["value"], "role:\"Security Reader\"@/");
    assert_eq!(
        options[1]["text"]["text"],
        "Security Reader on tenant &lt;!here&gt;"
    );
    assert_eq!(block(&view, "target")["element"]["action_id"], "target");
    assert_eq!(block(&view, "duration")["element"]["initial_value"], "30m");
    assert_eq!(block(&view, "ticket")["optional"], true);
    assert_eq!(block(&view, "justification")["optional"], false);
    assert_eq!(block(&view, "justification")["element"]["multiline"], true);
    let metadata = FormMetadata::decode(view["private_metadata"].as_str().expect("metadata"));
    assert_eq!(metadata.channel.as_deref(), Some("C0REQ"));
    assert_eq!(metadata.targets.len(), 2);
    assert_eq!(metadata.targets[0].max, 120);
    assert!(metadata.targets[0].ticket);
    assert!(!metadata.partial);
}

#[test]
fn labels_are_cut_to_75_characters_and_options_to_100() {
    let long = "x".repeat(200);
    let targets: Vec<EligibleTarget> = (0..130)
        .map(|i| target(&format!("t{i}"), &long, 60, 60))
        .collect();
    let view = request_form(None, &targets);
    let options = block(&view, "target")["element"]["options"]
        .as_array()
        .expect("options")
        .clone();
    assert_eq!(options.len(), 100);
    assert_eq!(
        options[0]["text"]["text"]
            .as_str()
            .expect("text")
            .chars()
            .count(),
        75
    );
    assert!(view["private_metadata"].as_str().expect("metadata").len() <= 3000);
}

#[test]
fn a_single_target_is_preselected() {
    let view = request_form(None, &[target("kv-readers", "kv-readers", 60, 60)]);
    assert_eq!(
        block(&view, "target")["element"]["initial_option"]["value"],
        "kv-readers"
    );
}

#[test]
fn no_targets_or_an_error_show_a_message_instead_of_the_form() {
    let view = request_form(None, &[]);
    assert!(view.get("submit").is_none());
    assert!(view.to_string().contains("not eligible"));
    let view = request_form_error("Graph is down <!channel>");
    assert_eq!(view["callback_id"], "request_form");
    assert!(view.to_string().contains("Graph is down &lt;!channel&gt;"));
}

#[test]
fn the_deny_form_carries_the_request_id_and_asks_for_a_reason() {
    let view = deny_reason_modal(ShortId::new(12));
    assert_eq!(view["callback_id"], "deny_reason");
    assert_eq!(view["private_metadata"], "PIM-12");
    assert_eq!(view["title"]["text"], "Deny PIM-12");
    let reason = block(&view, "reason");
    assert_eq!(reason["type"], "input");
    assert!(reason.get("optional").is_none());
    assert_eq!(reason["element"]["action_id"], "reason");
    assert_eq!(reason["element"]["multiline"], true);
}
