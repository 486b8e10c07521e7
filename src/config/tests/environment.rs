//! `PIMBOT_…` variables over the file.

use super::*;

#[test]
fn environment_variables_override_the_file_and_are_case_insensitive() {
    let config = parse_env(
        "[defaults]\napprovals_required = 1\nrequire_ticket = false",
        &[
            ("PIMBOT_DEFAULTS__APPROVALS_REQUIRED", "3"),
            ("pimbot_defaults__require_ticket", "true"),
            ("PIMBOT_Defaults__Duration", "2h"),
            ("PIMBOT_SERVER__LISTEN", "127.0.0.1:8080"),
            ("PIMBOT_AZURE__CLIENT_SECRET", "12345"),
            ("UNRELATED", "ignored"),
        ],
    )
    .expect("loads");
    assert_eq!(config.defaults.approvals_required, 3);
    assert!(config.defaults.require_ticket);
    assert_eq!(config.defaults.duration, hours(2));
    assert_eq!(
        config.server.listen,
        "127.0.0.1:8080".parse().expect("addr")
    );
    // A secret that looks like a number stays text.
    assert_eq!(
        config.azure.client_secret.as_ref().map(Secret::expose),
        Some("12345")
    );
}

#[test]
fn an_environment_variable_creates_an_absent_section() {
    let config = Config::parse(
        "",
        &vars(&[
            ("PIMBOT_AZURE__TENANT_ID", "t"),
            ("PIMBOT_AZURE__CLIENT_ID", "c"),
            ("PIMBOT_AZURE__CREDENTIAL", "managed_identity"),
            ("PIMBOT_SLACK__BOT_TOKEN", "xoxb-env"),
            ("PIMBOT_SLACK__SIGNING_SECRETS", "first,second"),
        ]),
    )
    .expect("loads");
    assert_eq!(config.azure.credential, AzureCredential::ManagedIdentity);
    let slack = config.slack.expect("slack enabled by the environment");
    assert_eq!(slack.bot_token.expose(), "xoxb-env");
    let secrets: Vec<&str> = slack.signing_secrets.iter().map(Secret::expose).collect();
    assert_eq!(secrets, ["first", "second"]);
}

#[test]
fn lists_from_the_environment_may_be_toml_arrays_or_single_items() {
    let config = parse_env(
        "",
        &[
            ("PIMBOT_DEFAULTS__APPROVERS", r#"["user:u1", "group:g1"]"#),
            ("PIMBOT_AZURE__ARM_SCOPES", "/subscriptions/one"),
        ],
    )
    .expect("loads");
    assert_eq!(
        config.defaults.approvers,
        [
            ApproverRef::User("u1".to_owned()),
            ApproverRef::Group("g1".to_owned())
        ]
    );
    assert_eq!(config.azure.arm_scopes, ["/subscriptions/one"]);
}

#[test]
fn the_singular_slack_signing_secret_variable_sets_the_list() {
    let config = parse_env(
        "",
        &[
            ("PIMBOT_SLACK__SIGNING_SECRET", "only"),
            ("PIMBOT_SLACK__BOT_TOKEN", "xoxb"),
        ],
    )
    .expect("loads");
    let slack = config.slack.expect("slack");
    assert_eq!(slack.signing_secrets, [Secret::new("only")]);

    let both = parse_env(
        "",
        &[
            ("PIMBOT_SLACK__SIGNING_SECRET", "a"),
            ("PIMBOT_SLACK__SIGNING_SECRETS", "b"),
            ("PIMBOT_SLACK__BOT_TOKEN", "xoxb"),
        ],
    );
    let message = error(both);
    assert!(
        message.contains("PIMBOT_SLACK__SIGNING_SECRET"),
        "{message}"
    );
}

#[test]
fn database_url_falls_back_to_plain_database_url() {
    let config = parse_env("", &[("DATABASE_URL", "postgres://pim@db/pimbot")]).expect("loads");
    assert_eq!(config.database.url, "postgres://pim@db/pimbot");

    let file_wins = parse_env(
        "[database]\nurl = \"sqlite://file.db\"",
        &[("DATABASE_URL", "postgres://pim@db/pimbot")],
    )
    .expect("loads");
    assert_eq!(file_wins.database.url, "sqlite://file.db");

    let pimbot_var_wins = parse_env(
        "",
        &[
            ("DATABASE_URL", "postgres://pim@db/pimbot"),
            ("PIMBOT_DATABASE__URL", "postgresql://other/db"),
        ],
    )
    .expect("loads");
    assert_eq!(pimbot_var_wins.database.url, "postgresql://other/db");
}

#[test]
fn the_log_format_variable_is_the_binarys_not_an_unknown_key() {
    let config = parse_env("", &[("PIMBOT_LOG_FORMAT", "json")]).expect("loads");
    assert_eq!(config.server.listen, "0.0.0.0:3000".parse().expect("addr"));
    let message = error(parse_env("", &[("PIMBOT_LOG_FORMATS", "json")]));
    assert!(message.contains("unknown environment variable `PIMBOT_LOG_FORMATS`"));
}
