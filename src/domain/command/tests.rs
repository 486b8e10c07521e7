use super::*;
use crate::domain::target::TargetRef;

fn minutes(m: u32) -> Option<ElevationDuration> {
    ElevationDuration::from_minutes(m)
}

#[test]
fn the_full_request_form_parses_every_part() {
    let parsed = parse("request app1-secrets for 2h ticket INC-1234 rotating the cert");
    assert_eq!(
        parsed,
        Ok(Command::Request(RequestArgs {
            target: Some(TargetRef::Named("app1-secrets".into())),
            duration: minutes(120),
            ticket: Some("INC-1234".into()),
            reason: Some("rotating the cert".into()),
        }))
    );
}

#[test]
fn quoted_role_names_with_a_scope_parse() {
    let parsed = parse(r#"request role:"Application Secret Manager"@App1 for 30m fix"#);
    assert_eq!(
        parsed,
        Ok(Command::Request(RequestArgs {
            target: Some(TargetRef::Role {
                role: "Application Secret Manager".into(),
                scope: Some("App1".into()),
            }),
            duration: minutes(30),
            ticket: None,
            reason: Some("fix".into()),
        }))
    );
}

#[test]
fn request_without_target_is_the_form() {
    assert_eq!(
        parse("request"),
        Ok(Command::Request(RequestArgs::default()))
    );
    let with_duration = parse("request for 1h");
    assert!(matches!(
        with_duration,
        Ok(Command::Request(RequestArgs {
            target: None,
            duration: Some(_),
            ..
        }))
    ));
}

#[test]
fn table_of_simple_commands() {
    let id = |n| ShortId::parse(n).map_err(|_| ());
    let cases: Vec<(&str, Command)> = vec![
        ("", Command::Help),
        ("help", Command::Help),
        ("LIST", Command::List),
        ("status", Command::Status { id: None }),
        (
            "status PIM-7",
            Command::Status {
                id: id("PIM-7").ok(),
            },
        ),
        (
            "cancel pim-7",
            Command::Cancel {
                id: id("7").expect("id"),
            },
        ),
        (
            "end 7",
            Command::End {
                id: id("7").expect("id"),
            },
        ),
        (
            "extend PIM-7",
            Command::Extend {
                id: id("7").expect("id"),
            },
        ),
        ("approvals", Command::Approvals),
        (
            "approve PIM-7",
            Command::Approve {
                id: id("7").expect("id"),
                reason: None,
            },
        ),
        (
            "approve PIM-7 looks fine",
            Command::Approve {
                id: id("7").expect("id"),
                reason: Some("looks fine".into()),
            },
        ),
        (
            "deny PIM-7 no ticket",
            Command::Deny {
                id: id("7").expect("id"),
                reason: "no ticket".into(),
            },
        ),
    ];
    for (text, command) in cases {
        assert_eq!(parse(text), Ok(command), "{text}");
    }
}

#[test]
fn bad_input_gets_a_message_that_says_what_to_do() {
    let message = |text| {
        parse(text)
            .map(|_| ())
            .map_err(|e| e.to_string())
            .err()
            .unwrap_or_default()
    };
    assert!(message("frobnicate").contains("I don't know `frobnicate`"));
    assert!(message("deny PIM-7").contains("deny ID REASON"));
    assert!(message("cancel").contains("request id"));
    assert!(message("request x for soon").contains("not a duration"));
    assert!(message("request x ticket").contains("ticket id"));
    assert!(message("request \"unclosed").contains("quote"));
    assert!(message("cancel banana").contains("banana"));
}

#[test]
fn mutating_commands_are_marked() {
    assert!(!Command::List.is_mutating());
    assert!(
        Command::Cancel {
            id: ShortId::parse("1").expect("id")
        }
        .is_mutating()
    );
}

#[test]
fn request_without_a_target_opens_the_form() {
    assert!(opens_form("request"));
    assert!(opens_form("  request  "));
    assert!(opens_form("request for 1h"));
    assert!(!opens_form("request app1-secrets for 1h"));
    assert!(!opens_form(""));
    assert!(!opens_form("list"));
    assert!(!opens_form("request \"unclosed"));
}
