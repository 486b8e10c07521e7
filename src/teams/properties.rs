//! Property tests of everything Teams sends that pimbot parses: activities (any JSON), the
//! message text with its mentions and HTML, and the request form's card data. None may panic,
//! and the form's inputs are read field by field as exactly what was typed.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::activity::{Activity, unhtml};
use super::render::{self, DURATION, JUSTIFICATION, TARGET, TICKET};
use crate::arbitrary::{json_with, text_with};
use crate::domain::command::{self, Field};
use crate::domain::target::TargetRef;

/// Field names, entities and tags Teams sends, so generated activities get past the first check.
const TEAMS_WORDS: &[&str] = &[
    "type",
    "message",
    "invoke",
    "text",
    "entities",
    "mention",
    "mentioned",
    "id",
    "28:bot",
    "recipient",
    "from",
    "aadObjectId",
    "conversation",
    "tenantId",
    "channelData",
    "tenant",
    "value",
    "action",
    "verb",
    "data",
    "request",
    "<at>",
    "</at>",
    "<at>pimbot</at>",
    "<p>",
    "</p>",
    "<br>",
    "&amp;",
    "&lt;",
    "&gt;",
    "&quot;",
    "&#39;",
    "&apos;",
    "&nbsp;",
    "&",
    ";",
    "<",
    ">",
    "R&amp;D 🔥",
    "&amp;🔥;",
];

/// `text` as Teams sends what a user typed: HTML-escaped.
fn html_escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_activity_json_panics_a_reader(value in json_with(TEAMS_WORDS)) {
        if let Ok(activity) = serde_json::from_value::<Activity>(value) {
            let _ = (activity.tenant_id(), activity.aad_object_id(), activity.conversation_id());
            let _ = activity.is_personal();
            let _ = command::parse(&activity.command_text());
        }
    }

    #[test]
    fn message_text_never_panics_and_comes_out_as_single_spaced_words(
        text in text_with(TEAMS_WORDS),
        mention in proptest::option::of(text_with(TEAMS_WORDS)),
    ) {
        let entities: Vec<Value> = mention
            .into_iter()
            .map(|m| json!({"type": "mention", "text": m, "mentioned": {"id": "28:bot"}}))
            .collect();
        let activity: Activity = serde_json::from_value(json!({
            "type": "message", "text": text, "entities": entities, "recipient": {"id": "28:bot"},
        }))
        .expect("an activity");
        let command_text = activity.command_text();
        prop_assert_eq!(
            command_text.split_whitespace().collect::<Vec<_>>().join(" "),
            command_text.clone()
        );
        let _ = command::parse(&command_text);
    }

    #[test]
    fn escaped_text_is_read_back_exactly(text in any::<String>()) {
        prop_assert_eq!(unhtml(&html_escaped(&text)), text);
    }

    #[test]
    fn no_form_data_panics_the_form_reader(data in json_with(TEAMS_WORDS)) {
        let fields = render::form::submitted(&data);
        match fields.read() {
            Ok(args) => prop_assert!(args.target.is_some()),
            Err(errors) => prop_assert!(!errors.is_empty()),
        }
        let _ = fields.text();
    }

    #[test]
    fn the_forms_inputs_are_read_as_typed(
        key in "[a-z][a-z0-9-]{0,20}",
        duration in proptest::option::of(prop_oneof!["[1-9][0-9]?h", "[1-9][0-9]?m", any::<String>()]),
        ticket in proptest::option::of(any::<String>()),
        justification in proptest::option::of(prop_oneof![
            Just("for".to_owned()), Just("ticket".to_owned()), any::<String>()
        ]),
    ) {
        let data = json!({
            TARGET: key, DURATION: duration, TICKET: ticket, JUSTIFICATION: justification,
        });
        let typed = |field: &Option<String>| {
            field.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
        };
        match render::form::submitted(&data).read() {
            Ok(args) => {
                prop_assert_eq!(args.target, Some(TargetRef::Named(key)));
                prop_assert_eq!(args.ticket, typed(&ticket));
                prop_assert_eq!(args.reason, typed(&justification));
                prop_assert_eq!(args.duration.is_some(), typed(&duration).is_some());
            }
            Err(errors) => {
                // Only a duration that is not one may fail, with the formats in the message.
                prop_assert_eq!(errors.keys().copied().collect::<Vec<_>>(), vec![Field::Duration]);
                prop_assert!(errors[&Field::Duration].contains("use 30m, 2h"), "{errors:?}");
            }
        }
    }
}
