//! Property tests of everything Slack sends that pimbot parses: slash-command and interaction
//! bodies, Events API envelopes, the request form's metadata, view state and form refs. None may
//! panic on any input, and a checked form submission is exactly the request that was submitted
//! (its free text never read as grammar).

use std::collections::HashMap;

use proptest::prelude::*;
use serde_json::json;

use super::form::{self, FormMetadata, FormRef, FormTarget};
use super::payload::{
    EventEnvelope, InputValue, Interaction, SelectedOption, SlashCommand, ViewState,
};
use crate::arbitrary::{json_with, text_with};
use crate::domain::command::{self, Command};
use crate::domain::duration::ElevationDuration;

/// Field names and values Slack's payloads carry, so generated bodies get past the first check.
const SLACK_WORDS: &[&str] = &[
    "payload",
    "type",
    "block_actions",
    "view_submission",
    "view_closed",
    "url_verification",
    "event_callback",
    "challenge",
    "event_id",
    "event",
    "user",
    "id",
    "trigger_id",
    "actions",
    "action_id",
    "value",
    "view",
    "state",
    "values",
    "private_metadata",
    "team",
    "channel",
    "command",
    "text",
    "/pim",
    "response_url",
    "user_id",
    "ssl_check",
    "1",
    "=",
    "&",
    "%",
    "%ZZ",
    "+",
];

fn form_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        any::<Vec<u8>>(),
        text_with(SLACK_WORDS).prop_map(String::into_bytes),
        proptest::collection::vec((text_with(SLACK_WORDS), text_with(SLACK_WORDS)), 0..8).prop_map(
            |pairs| serde_urlencoded::to_string(pairs)
                .unwrap_or_default()
                .into_bytes()
        ),
    ]
}

fn submission(fields: &[(&str, Option<&str>)]) -> ViewState {
    let mut values = HashMap::new();
    for (block, value) in fields {
        let Some(value) = value else { continue };
        let input = InputValue {
            kind: None,
            value: (*block != form::TARGET).then(|| (*value).to_owned()),
            selected_option: (*block == form::TARGET).then(|| SelectedOption {
                value: (*value).to_owned(),
            }),
        };
        values.insert(
            (*block).to_owned(),
            HashMap::from([((*block).to_owned(), input)]),
        );
    }
    ViewState { values }
}

/// A target key as the form offers them: a configured name or a quoted role reference.
fn offered_key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9-]{0,20}".prop_filter("a keyword", |k| k != "for" && k != "ticket"),
        "[A-Z][A-Za-z ]{0,20}[a-z]".prop_map(|role| format!("role:\"{role}\"@/")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_slack_body_panics_a_parser(body in form_body()) {
        let _ = SlashCommand::parse(&body);
        let _ = SlashCommand::is_ssl_check(&body);
        let _ = Interaction::parse(&body);
        let _ = EventEnvelope::parse(&body);
    }

    #[test]
    fn no_interaction_json_panics_a_parser(payload in json_with(SLACK_WORDS)) {
        let body = serde_urlencoded::to_string([("payload", payload.to_string())]).expect("encodes");
        if let Ok(Interaction::ViewSubmission(submission)) = Interaction::parse(body.as_bytes()) {
            let metadata = FormMetadata::decode(&submission.view.private_metadata);
            if let Ok(args) = form::validate(&submission.view.state, &metadata) {
                prop_assert!(args.target.is_some(), "a valid submission names its target");
            }
        }
        let _ = EventEnvelope::parse(payload.to_string().as_bytes());
    }

    #[test]
    fn form_metadata_decodes_anything_and_reads_back_what_it_wrote(
        text in any::<String>(),
        channel in proptest::option::of("[A-Z0-9]{1,12}"),
        keys in proptest::collection::vec(offered_key(), 0..5),
    ) {
        let _ = FormMetadata::decode(&text);
        let metadata = FormMetadata {
            channel,
            targets: keys
                .into_iter()
                .map(|key| FormTarget { key, max: 120, default: 60, ticket: true, justification: false })
                .collect(),
            partial: false,
        };
        prop_assert_eq!(FormMetadata::decode(&metadata.encode()), metadata);
    }

    #[test]
    fn a_form_ref_reads_back_as_written(
        view_id in "[A-Z0-9]{1,12}",
        channel in proptest::option::of("[^/]{1,20}"),
        anything in any::<String>(),
    ) {
        let _ = FormRef::parse(&anything);
        let written = FormRef { view_id, channel };
        prop_assert_eq!(FormRef::parse(&written.to_string()), written);
    }

    #[test]
    fn a_checked_submission_is_the_request_as_submitted(
        key in offered_key(),
        minutes in proptest::option::of(1u32..=120),
        ticket in proptest::option::of(any::<String>()),
        justification in proptest::option::of(prop_oneof![
            Just("for".to_owned()), Just("ticket".to_owned()), Just("\"for\" 2h".to_owned()),
            any::<String>(),
        ]),
    ) {
        let metadata = FormMetadata {
            channel: None,
            targets: vec![FormTarget { key: key.clone(), max: 120, default: 60, ticket: false, justification: false }],
            partial: false,
        };
        let duration = minutes.and_then(ElevationDuration::from_minutes);
        let written = duration.map(|d| d.to_string());
        let state = submission(&[
            (form::TARGET, Some(&key)),
            (form::DURATION, written.as_deref()),
            (form::TICKET, ticket.as_deref()),
            (form::JUSTIFICATION, justification.as_deref()),
        ]);
        let args = form::validate(&state, &metadata);
        let Ok(args) = args else {
            return Err(TestCaseError::fail(format!("free text refused: {args:?}")));
        };
        let expected_target = command::parse(&format!("request {key}"));
        let Ok(Command::Request(expected)) = expected_target else {
            return Err(TestCaseError::fail(format!("{key:?} gave {expected_target:?}")));
        };
        let as_typed = |field: &Option<String>| {
            field.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
        };
        prop_assert_eq!(args.target, expected.target);
        prop_assert_eq!(args.duration, Some(duration.unwrap_or(ElevationDuration::from_minutes(60).expect("valid"))));
        prop_assert_eq!(args.ticket, as_typed(&ticket));
        prop_assert_eq!(args.reason, as_typed(&justification));
    }
}

#[test]
fn a_view_submission_with_odd_inputs_is_still_read() {
    let payload = json!({
        "type": "view_submission",
        "user": {"id": "U1"},
        "view": {"id": "V1", "private_metadata": "{not json", "state": {"values": {
            "target": {"target": {"type": "static_select", "selected_option": {"value": "app1"}}},
            "duration": {"duration": {"type": "plain_text_input", "value": "   "}}
        }}}
    });
    let body = serde_urlencoded::to_string([("payload", payload.to_string())]).expect("encodes");
    let Ok(Interaction::ViewSubmission(submission)) = Interaction::parse(body.as_bytes()) else {
        panic!("not read");
    };
    let metadata = FormMetadata::decode(&submission.view.private_metadata);
    assert!(
        metadata.partial,
        "unreadable metadata is treated as partial"
    );
    let args = form::validate(&submission.view.state, &metadata).expect("valid");
    assert_eq!(args.duration, None, "a blank duration is no duration");
}
