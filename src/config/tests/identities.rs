//! `[[identities]]` and `slack.allowed_teams`.

use super::*;

const SLACK: &str = "[slack]\nsigning_secrets = [\"s\"]\nbot_token = \"b\"\n";

fn mapping(slack: &str, entra: &str) -> String {
    format!("[[identities]]\nslack = \"{slack}\"\nentra = \"{entra}\"\n")
}

#[test]
fn identities_map_slack_users_by_object_id_or_upn_into_the_settings() {
    let toml = format!(
        "{}{}",
        mapping("U0123ABC", "alice@contoso.example"),
        mapping("W0456DEF", "90ea226b-db03-48c5-a5c4-7d42c40e0145")
    );
    let config = parse(&toml).expect("loads");
    assert_eq!(
        config.identities[0],
        IdentityConfig {
            slack: "U0123ABC".into(),
            entra: "alice@contoso.example".into()
        }
    );
    let settings = config.service_settings();
    assert_eq!(settings.identities.len(), 2);
    assert_eq!(settings.identities[1].platform, Platform::Slack);
    assert_eq!(settings.identities[1].chat_id, "W0456DEF");
    assert!(parse("").expect("loads").identities.is_empty());
    let example = Config::parse(EXAMPLE, &[]).expect("the example loads");
    assert_eq!(example.identities.len(), 1, "the example shows one");
}

#[test]
fn a_slack_user_or_an_entra_user_mapped_twice_names_both_entries() {
    let twice_slack = format!(
        "{}{}{}",
        mapping("U1", "a@contoso.example"),
        mapping("U2", "b@contoso.example"),
        mapping("U1", "c@contoso.example")
    );
    let message = error(parse(&twice_slack));
    assert!(
        message.starts_with("config key `identities[2].slack`"),
        "{message}"
    );
    assert!(
        message.contains("identities[0] and identities[2]"),
        "{message}"
    );
    let twice_entra = format!(
        "{}{}",
        mapping("U1", "a@contoso.example"),
        mapping("U2", "A@Contoso.example")
    );
    let message = error(parse(&twice_entra));
    assert!(
        message.starts_with("config key `identities[1].entra`")
            && message.contains("identities[0] and identities[1]"),
        "{message}"
    );
}

#[test]
fn an_identity_needs_a_slack_user_id_and_an_entra_account() {
    let cases = [
        ("entra = \"a@contoso.example\"", "identities[0].slack"),
        ("slack = \"U1\"", "identities[0].entra"),
        (
            "slack = \"alice\"\nentra = \"a@contoso.example\"",
            "identities[0].slack",
        ),
        ("slack = \"U1\"\nentra = \"alice\"", "identities[0].entra"),
    ];
    for (body, key) in cases {
        let message = error(parse(&format!("[[identities]]\n{body}")));
        assert!(
            message.starts_with(&format!("config key `{key}`")),
            "{body}: {message}"
        );
    }
    let unknown = "[[identities]]\nslack = \"U1\"\nentra = \"a@x\"\nteams = \"29:x\"";
    let message = error(parse(unknown));
    assert!(
        message.starts_with("unknown config key `identities[0].teams`"),
        "{message}"
    );
    let message = error(parse_env("", &[("PIMBOT_IDENTITIES__SLACK", "U1")]));
    assert!(
        message.contains("only be set in the config file"),
        "{message}"
    );
}

#[test]
fn allowed_teams_default_to_the_bot_tokens_own_and_must_be_team_ids() {
    let slack = |extra: &str| parse(&format!("{SLACK}{extra}")).map(|c| c.slack);
    let default = slack("").expect("loads").expect("slack");
    assert_eq!(default.allowed_teams, None, "asked of auth.test at startup");
    let listed = slack("allowed_teams = [\"T0123\", \" E0456 \"]").expect("loads");
    assert_eq!(
        listed.expect("slack").allowed_teams,
        Some(vec!["T0123".to_owned(), "E0456".to_owned()])
    );
    for bad in ["[]", "[\"contoso\"]", "[\"\"]"] {
        let message = error(parse(&format!("{SLACK}allowed_teams = {bad}")));
        assert!(
            message.starts_with("config key `slack.allowed_teams`"),
            "{bad}: {message}"
        );
    }
    let from_env = parse_env(SLACK, &[("PIMBOT_SLACK__ALLOWED_TEAMS", "T1,T2")]).expect("loads");
    assert_eq!(
        from_env.slack.expect("slack").allowed_teams,
        Some(vec!["T1".to_owned(), "T2".to_owned()])
    );
}
