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
    let opens = |text| parse(text).is_ok_and(|c| c.opens_form());
    assert!(opens("request"));
    assert!(opens("  request  "));
    assert!(opens("request for 1h"));
    assert!(!opens("request app1-secrets for 1h"));
    assert!(!opens(""));
    assert!(!opens("list"));
    assert!(!opens("request \"unclosed"));
}

#[test]
fn commands_are_written_back_in_the_grammars_words() {
    let cases = [
        ("help", "help"),
        ("status", "status"),
        ("status 7", "status PIM-7"),
        ("cancel pim-7", "cancel PIM-7"),
        ("approve 7 looks fine", "approve PIM-7 looks fine"),
        ("deny 7 \"no  ticket\"", "deny PIM-7 \"no  ticket\""),
        (
            "request app1-secrets for 2h ticket INC-1234 rotating the cert",
            "request app1-secrets for 2h ticket INC-1234 rotating the cert",
        ),
        (
            r#"request role:"Application Secret Manager"@App1 for 30m "for" "#,
            r#"request "role:Application Secret Manager@App1" for 30m "for""#,
        ),
        (
            "request for 1h ticket \"CHG 7\" x",
            "request for 1h ticket \"CHG 7\" x",
        ),
        (
            "request \"ticket\" ticket for",
            "request \"ticket\" ticket \"for\"",
        ),
    ];
    for (typed, written) in cases {
        let command = parse(typed).expect(typed);
        assert_eq!(command.to_string(), written, "{typed}");
        assert_eq!(parse(written), Ok(command), "{written} reads back");
    }
}

#[test]
fn a_target_key_is_one_word_of_the_grammar() {
    assert_eq!(
        parse_target(r#"role:"Security Reader"@/"#),
        Ok(TargetRef::Role {
            role: "Security Reader".into(),
            scope: Some("/".into())
        })
    );
    assert_eq!(
        parse_target("for"),
        Ok(TargetRef::Named("for".into())),
        "a key is never a keyword"
    );
    for bad in ["app1 for 2h", "\"open", "", "role:"] {
        let error = parse_target(bad).expect_err(bad);
        assert!(
            error.to_string().contains("is not a target"),
            "{bad}: {error}"
        );
    }
}

#[test]
fn form_fields_are_taken_as_written_and_never_read_as_grammar() {
    let fields = RequestFields {
        target: Some("app1-secrets".into()),
        duration: Some("90m".into()),
        ticket: Some("INC \"42\"".into()),
        justification: Some("for".into()),
    };
    let args = fields.read().expect("valid");
    assert_eq!(args.target, Some(TargetRef::Named("app1-secrets".into())));
    assert_eq!(args.duration, minutes(90));
    assert_eq!(args.ticket.as_deref(), Some("INC \"42\""));
    assert_eq!(args.reason.as_deref(), Some("for"));
    let written = Command::Request(args).to_string();
    assert_eq!(
        written, "request app1-secrets for 1h30m ticket \"INC \"42\"\" \"for\"",
        "for the audit trail: a quote cannot be written so that it reads back"
    );
}

#[test]
fn each_unreadable_field_gets_its_own_error() {
    let fields = RequestFields {
        target: Some("two words".into()),
        duration: Some("soon".into()),
        ticket: None,
        justification: Some("ticket".into()),
    };
    let errors = fields.read().expect_err("invalid");
    assert_eq!(
        errors.keys().copied().collect::<Vec<_>>(),
        [Field::Target, Field::Duration]
    );
    assert!(errors[&Field::Target].contains("`two words` is not a target"));
    assert!(errors[&Field::Duration].contains("use 30m, 2h"));
    let (args, _) = fields.read_each();
    assert_eq!(
        args.reason.as_deref(),
        Some("ticket"),
        "what could be read is kept"
    );
    assert_eq!(
        fields.text(),
        "request \"two words\" for soon \"ticket\"",
        "the audit trail's view of it"
    );
    let nothing = RequestFields::default().read().expect_err("no target");
    assert_eq!(nothing[&Field::Target], "Choose what you need.");
}

#[test]
fn commands_are_stored_as_tagged_json() {
    let command =
        parse("request role:\"Security Reader\"@/ for 2h ticket INC-1 fix").expect("parses");
    let json = serde_json::to_value(&command).expect("serialises");
    assert_eq!(
        json,
        serde_json::json!({
            "name": "request",
            "target": {"role": {"role": "Security Reader", "scope": "/"}},
            "duration": "PT2H",
            "ticket": "INC-1",
            "reason": "fix",
        })
    );
    assert_eq!(serde_json::from_value::<Command>(json).ok(), Some(command));
    let deny = serde_json::json!({"name": "deny", "id": 7, "reason": "no"});
    assert_eq!(
        serde_json::from_value::<Command>(deny).ok(),
        Some(Command::Deny {
            id: ShortId::new(7),
            reason: "no".into()
        })
    );
}
