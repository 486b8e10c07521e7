use std::collections::HashMap;

use super::*;
use crate::domain::target::TargetRef;
use crate::slack::payload::{InputValue, SelectedOption};

fn limits(key: &str, max: u32, ticket: bool, justification: bool) -> FormTarget {
    FormTarget {
        key: key.into(),
        max,
        default: 60,
        ticket,
        justification,
    }
}

fn metadata() -> FormMetadata {
    FormMetadata {
        channel: Some("C1".into()),
        targets: vec![
            limits("app1-secrets", 120, true, true),
            limits("kv-readers", 480, false, false),
        ],
        partial: false,
    }
}

fn state(fields: &[(&str, &str)]) -> ViewState {
    let mut values = HashMap::new();
    for (block, value) in fields {
        let input = if *block == TARGET {
            InputValue {
                kind: Some("static_select".into()),
                value: None,
                selected_option: Some(SelectedOption {
                    value: (*value).into(),
                }),
            }
        } else {
            InputValue {
                kind: Some("plain_text_input".into()),
                value: Some((*value).into()),
                selected_option: None,
            }
        };
        values.insert(
            (*block).to_owned(),
            HashMap::from([((*block).to_owned(), input)]),
        );
    }
    ViewState { values }
}

#[test]
fn a_complete_submission_becomes_the_request_as_typed() {
    let submitted = state(&[
        (TARGET, "app1-secrets"),
        (DURATION, "90m"),
        (TICKET, "INC-1234"),
        (JUSTIFICATION, "for the \"release\"\nand the cert"),
    ]);
    let args = validate(&submitted, &metadata()).expect("valid");
    assert_eq!(args.target, Some(TargetRef::Named("app1-secrets".into())));
    assert_eq!(args.duration.map(|d| d.minutes()), Some(90));
    assert_eq!(args.ticket.as_deref(), Some("INC-1234"));
    assert_eq!(
        args.reason.as_deref(),
        Some("for the \"release\"\nand the cert")
    );
}

#[test]
fn quoted_target_keys_and_tickets_with_spaces_survive() {
    let metadata = FormMetadata {
        targets: vec![limits("role:\"Security Reader\"@/", 60, false, false)],
        ..FormMetadata::default()
    };
    let submitted = state(&[(TARGET, "role:\"Security Reader\"@/"), (TICKET, "CHG 42")]);
    let args = validate(&submitted, &metadata).expect("valid");
    assert_eq!(
        args.target,
        Some(TargetRef::Role {
            role: "Security Reader".into(),
            scope: Some("/".into())
        })
    );
    assert_eq!(args.ticket.as_deref(), Some("CHG 42"));
    assert_eq!(args.duration.map(|d| d.minutes()), Some(60), "the default");
    assert_eq!(args.reason, None);
}

#[test]
fn a_missing_target_is_an_error_on_the_target_field() {
    let errors = validate(&state(&[(DURATION, "1h")]), &metadata()).expect_err("invalid");
    assert!(errors[TARGET].contains("Choose"));
}

#[test]
fn a_target_the_form_did_not_offer_is_refused_unless_the_list_was_partial() {
    let submitted = state(&[(TARGET, "something-else")]);
    assert!(
        validate(&submitted, &metadata()).expect_err("invalid")[TARGET].contains("not offered")
    );
    let partial = FormMetadata {
        partial: true,
        ..metadata()
    };
    assert!(validate(&submitted, &partial).is_ok());
}

#[test]
fn a_duration_over_the_maximum_names_the_maximum() {
    let submitted = state(&[
        (TARGET, "app1-secrets"),
        (DURATION, "3h"),
        (TICKET, "I-1"),
        (JUSTIFICATION, "x y"),
    ]);
    let errors = validate(&submitted, &metadata()).expect_err("invalid");
    assert_eq!(
        errors[DURATION],
        "3h is over the maximum of 2h for this target. Ask for 2h or less."
    );
    assert_eq!(errors.len(), 1);
}

#[test]
fn an_unreadable_duration_says_how_to_write_one() {
    let submitted = state(&[(TARGET, "kv-readers"), (DURATION, "soon")]);
    let errors = validate(&submitted, &metadata()).expect_err("invalid");
    assert!(errors[DURATION].contains("30m, 2h"));
}

#[test]
fn required_ticket_and_justification_are_errors_on_their_fields() {
    let errors = validate(&state(&[(TARGET, "app1-secrets")]), &metadata()).expect_err("invalid");
    assert!(errors[TICKET].contains("requires a ticket"));
    assert!(errors[JUSTIFICATION].contains("requires a justification"));
    assert!(validate(&state(&[(TARGET, "kv-readers")]), &metadata()).is_ok());
}

#[test]
fn quotes_in_a_ticket_and_a_keyword_as_the_whole_reason_are_taken_as_written() {
    for reason in ["for", "ticket", "TICKET INC-2"] {
        let submitted = state(&[
            (TARGET, "kv-readers"),
            (TICKET, "IN\"C \u{201c}7\u{201d}"),
            (JUSTIFICATION, reason),
        ]);
        let args = validate(&submitted, &metadata()).expect("valid");
        assert_eq!(args.ticket.as_deref(), Some("IN\"C \u{201c}7\u{201d}"));
        assert_eq!(args.reason.as_deref(), Some(reason));
    }
}

#[test]
fn an_unreadable_target_key_is_an_error_on_the_target_field() {
    let partial = FormMetadata {
        partial: true,
        ..metadata()
    };
    let submitted = state(&[(TARGET, "app1 for 2h"), (DURATION, "soon")]);
    let errors = validate(&submitted, &partial).expect_err("invalid");
    assert!(errors[TARGET].contains("is not a target"), "{errors:?}");
    assert!(errors[DURATION].contains("30m, 2h"), "{errors:?}");
}

#[test]
fn metadata_round_trips_and_garbage_reads_as_partial() {
    let encoded = metadata().encode();
    assert_eq!(FormMetadata::decode(&encoded), metadata());
    assert!(FormMetadata::decode("not json").partial);
}

#[test]
fn form_refs_carry_the_view_and_the_channel() {
    let with_channel = FormRef {
        view_id: "V1".into(),
        channel: Some("C2".into()),
    };
    assert_eq!(with_channel.to_string(), "V1/C2");
    assert_eq!(FormRef::parse("V1/C2"), with_channel);
    assert_eq!(
        FormRef::parse("V1"),
        FormRef {
            view_id: "V1".into(),
            channel: None
        }
    );
}
