//! Property tests of the parsers that read what a chat user typed: the command grammar, target
//! references, request ids and durations. None may panic on any text, and text that does not
//! parse gets a message that says what to type instead.

use proptest::prelude::*;

use crate::arbitrary::text_with;

use super::command::{self, Command, ParseError, RequestArgs, RequestFields};
use super::duration::{ElevationDuration, Timeout};
use super::request::ShortId;
use super::target::{GroupAccess, TargetRef};

/// Words that steer the grammar, mixed into random text so that generated input reaches every
/// branch, not only "unknown command".
const GRAMMAR_WORDS: &[&str] = &[
    "help",
    "list",
    "request",
    "req",
    "status",
    "cancel",
    "end",
    "extend",
    "approvals",
    "approve",
    "deny",
    "for",
    "ticket",
    "PIM-1",
    "pim-0042",
    "2h",
    "PT2H",
    "1h30m",
    "0m",
    "role:",
    "group:",
    "azure:",
    "@",
    "/owner",
    "\"",
    "\u{201c}",
    "\u{201d}",
    "é",
    "🔥",
    "\u{0}",
    "\t",
    "\n",
];

/// Free text from a form field, without the quotes the grammar cannot write inside a quote.
fn quote_free() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("for".to_owned()),
        Just("ticket for".to_owned()),
        Just(String::new()),
        any::<String>().prop_map(|t| t.replace(['"', '\u{201c}', '\u{201d}'], "")),
    ]
}

/// Any target a form offers or a person types.
fn target() -> impl Strategy<Value = TargetRef> {
    let words = "[A-Za-z][A-Za-z .-]{0,20}[A-Za-z]";
    prop_oneof![
        "[A-Za-z0-9._-]{1,20}".prop_map(TargetRef::Named),
        (
            words,
            proptest::option::of("[A-Za-z0-9/][A-Za-z0-9 /-]{0,20}[A-Za-z0-9/]")
        )
            .prop_map(|(role, scope)| TargetRef::Role { role, scope }),
        (words, any::<bool>()).prop_map(|(group, owner)| TargetRef::Group {
            group,
            access: if owner {
                GroupAccess::Owner
            } else {
                GroupAccess::Member
            },
        }),
        (words, "/subscriptions/[a-z0-9@-]{1,12}")
            .prop_map(|(role, scope)| TargetRef::Azure { role, scope }),
    ]
}

/// Whether a refusal tells the user what to type: every message names the usage or a format.
fn says_what_to_type(error: &ParseError) -> bool {
    let message = error.to_string();
    ["Usage: ", "Try `help`", ": use "]
        .iter()
        .any(|hint| message.contains(hint))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_text_parses_or_gets_a_usage_message(text in text_with(GRAMMAR_WORDS)) {
        if let Err(error) = command::parse(&text) {
            prop_assert!(says_what_to_type(&error), "{error:?} for {text:?}");
        }
    }

    #[test]
    fn arbitrary_unicode_never_panics_the_grammar(text in any::<String>()) {
        if let Err(error) = command::parse(&text) {
            prop_assert!(says_what_to_type(&error), "{error:?} for {text:?}");
        }
    }

    #[test]
    fn a_well_formed_request_keeps_every_part(
        name in "[a-z][a-z0-9-]{0,20}",
        minutes in 1u32..=(31 * 24 * 60),
        ticket in "[A-Z]{2,5}-[0-9]{1,6}",
        reason in proptest::collection::vec("[a-zA-Z0-9.,'!?é🔥]{1,12}", 1..6),
    ) {
        prop_assume!(!["for", "ticket"].contains(&name.as_str()));
        let duration = ElevationDuration::from_minutes(minutes).expect("in range");
        let reason = reason.join(" ");
        let text = format!("request {name} for {duration} ticket {ticket} {reason}");
        prop_assert_eq!(
            command::parse(&text),
            Ok(Command::Request(RequestArgs {
                target: Some(TargetRef::Named(name)),
                duration: Some(duration),
                ticket: Some(ticket),
                reason: Some(reason),
            }))
        );
    }

    #[test]
    fn quoted_role_names_and_scopes_come_back_whole(
        role in "[A-Za-z][A-Za-z ]{0,30}[A-Za-z]",
        scope in "[A-Za-z0-9][A-Za-z0-9 -]{0,20}",
    ) {
        let text = format!("request \"role:{role}@{scope}\" for 1h");
        let parsed = command::parse(&text);
        let Ok(Command::Request(args)) = parsed else {
            return Err(TestCaseError::fail(format!("{text:?} gave {parsed:?}")));
        };
        prop_assert_eq!(
            args.target,
            Some(TargetRef::Role { role: role.trim().to_owned(), scope: Some(scope.trim().to_owned()) })
        );
    }

    #[test]
    fn a_quoted_reason_is_never_read_as_a_keyword(
        reason in prop_oneof![
            Just("for".to_owned()), Just("TICKET".to_owned()), Just("for 2h".to_owned()),
            "[^\"\u{201c}\u{201d}]*[^\"\u{201c}\u{201d}\\s][^\"\u{201c}\u{201d}]*",
        ],
    ) {
        let text = format!("request app1-secrets for 1h ticket INC-1 \"{reason}\"");
        let parsed = command::parse(&text);
        let Ok(Command::Request(args)) = parsed else {
            return Err(TestCaseError::fail(format!("{text:?} gave {parsed:?}")));
        };
        prop_assert_eq!(args.reason, Some(reason));
    }

    #[test]
    fn a_target_word_parses_or_names_the_forms(word in any::<String>()) {
        if let Err(error) = TargetRef::parse(&word) {
            prop_assert!(error.to_string().contains("use a configured name"));
        }
    }

    #[test]
    fn a_request_id_parses_or_shows_an_example(word in any::<String>()) {
        match ShortId::parse(&word) {
            Ok(id) => prop_assert_eq!(ShortId::parse(&id.to_string()), Ok(id)),
            Err(error) => prop_assert!(error.to_string().contains("like PIM-1042")),
        }
    }

    #[test]
    fn a_duration_parses_or_shows_the_formats(text in any::<String>()) {
        if let Err(error) = ElevationDuration::parse(&text) {
            prop_assert!(error.to_string().contains("use 30m, 2h"));
        }
        let _ = Timeout::parse(&text);
    }

    #[test]
    fn durations_read_back_as_written(minutes in 1u32..=(31 * 24 * 60)) {
        let duration = ElevationDuration::from_minutes(minutes).expect("in range");
        prop_assert_eq!(ElevationDuration::parse(&duration.to_string()), Ok(duration));
        prop_assert_eq!(ElevationDuration::parse(&duration.to_iso8601()), Ok(duration));
    }

    #[test]
    fn timeouts_read_back_as_written(seconds in 1u32..=(31 * 24 * 3600)) {
        let timeout = Timeout::from_secs(seconds);
        prop_assert_eq!(Timeout::parse(&timeout.to_string()), Ok(timeout));
    }

    #[test]
    fn a_command_read_from_text_is_written_so_that_it_reads_back(text in text_with(GRAMMAR_WORDS)) {
        if let Ok(command) = command::parse(&text) {
            let written = command.to_string();
            prop_assert_eq!(command::parse(&written), Ok(command), "{:?} written as {:?}", text, written);
        }
    }

    #[test]
    fn a_built_request_without_quotes_is_written_so_that_it_reads_back(
        target in target(),
        minutes in proptest::option::of(1u32..=(31 * 24 * 60)),
        ticket in proptest::option::of(quote_free()),
        reason in proptest::option::of(quote_free()),
    ) {
        let command = Command::Request(RequestArgs {
            target: Some(target),
            duration: minutes.and_then(ElevationDuration::from_minutes),
            ticket,
            reason,
        });
        let written = command.to_string();
        prop_assert_eq!(command::parse(&written), Ok(command), "written as {:?}", written);
    }

    #[test]
    fn a_target_key_parses_or_names_the_forms(key in text_with(GRAMMAR_WORDS)) {
        if let Err(error) = command::parse_target(&key) {
            prop_assert!(error.to_string().contains("use a configured name"));
        }
    }

    #[test]
    fn a_target_reads_back_from_its_key(target in target()) {
        let key = Command::Request(RequestArgs { target: Some(target.clone()), ..RequestArgs::default() })
            .to_string()
            .trim_start_matches("request ")
            .to_owned();
        prop_assert_eq!(command::parse_target(&key), Ok(target));
    }

    #[test]
    fn form_fields_never_panic_and_free_text_is_kept_as_written(
        target in proptest::option::of(text_with(GRAMMAR_WORDS)),
        duration in proptest::option::of(text_with(GRAMMAR_WORDS)),
        ticket in proptest::option::of(text_with(GRAMMAR_WORDS)),
        justification in proptest::option::of(text_with(GRAMMAR_WORDS)),
    ) {
        let fields = RequestFields { target, duration, ticket, justification };
        let (args, errors) = fields.read_each();
        prop_assert_eq!(&args.ticket, &fields.ticket);
        prop_assert_eq!(&args.reason, &fields.justification);
        prop_assert_eq!(args.target.is_none(), errors.contains_key(&command::Field::Target));
        let bad_duration = fields.duration.is_some() && args.duration.is_none();
        prop_assert_eq!(bad_duration, errors.contains_key(&command::Field::Duration));
        prop_assert_eq!(fields.read().is_ok(), errors.is_empty());
        prop_assert!(fields.text().starts_with("request"));
    }
}
