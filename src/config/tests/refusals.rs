//! Invalid files and values: each error names its key.

use super::*;

#[test]
fn an_unknown_key_in_the_file_is_named_with_a_suggestion() {
    let message = error(parse(
        "[slack]\nsigning_secret = [\"x\"]\nbot_token = \"b\"",
    ));
    assert_eq!(
        message,
        "unknown config key `slack.signing_secret` (did you mean `signing_secrets`?)"
    );

    let message = error(parse("[sever]\nlisten = \"0.0.0.0:1\""));
    assert_eq!(
        message,
        "unknown config key `sever` (did you mean `server`?)"
    );

    let message = error(parse(
        "[[targets]]\nname = \"a\"\nkind = \"group\"\ngroup = \"g\"\napproval_channel = { slak = \"C1\" }",
    ));
    assert_eq!(
        message,
        "unknown config key `targets[0].approval_channel.slak` (did you mean `slack`?)"
    );
}

#[test]
fn an_unknown_pimbot_variable_is_named() {
    let message = error(parse_env("", &[("PIMBOT_SLACK__BOT_TOKN", "x")]));
    assert_eq!(
        message,
        "unknown environment variable `PIMBOT_SLACK__BOT_TOKN` (did you mean `PIMBOT_SLACK__BOT_TOKEN`?)"
    );
    let message = error(parse_env("", &[("PIMBOT_NOPE", "x")]));
    assert!(message.contains("`PIMBOT_NOPE`"), "{message}");
    let message = error(parse_env("", &[("PIMBOT_TARGETS__NAME", "x")]));
    assert!(message.contains("`PIMBOT_TARGETS__NAME`"), "{message}");
}

#[test]
fn a_bad_duration_names_its_key() {
    let message = error(parse("[defaults]\nmax_duration = \"soon\""));
    assert!(
        message.starts_with("config key `defaults.max_duration`: `soon` is not a duration"),
        "{message}"
    );
    let message = error(parse(
        "[[targets]]\nname = \"a\"\nkind = \"role\"\nrole = \"r\"\nmax_duration = \"2x\"",
    ));
    assert!(
        message.starts_with("config key `targets[0].max_duration`"),
        "{message}"
    );
}

#[test]
fn a_bad_value_from_the_environment_names_the_key_and_the_variable() {
    let message = error(parse_env("", &[("PIMBOT_DEFAULTS__DURATION", "soon")]));
    assert!(
        message.starts_with(
            "config key `defaults.duration` (set by PIMBOT_DEFAULTS__DURATION): `soon` is not a duration"
        ),
        "{message}"
    );
}

#[test]
fn a_wrong_type_names_its_key() {
    let message = error(parse("[defaults]\nrequire_ticket = \"maybe\""));
    assert!(
        message.starts_with("config key `defaults.require_ticket`"),
        "{message}"
    );
    let message = error(parse_env("", &[("PIMBOT_AZURE__CLOUD", "mars")]));
    assert!(
        message.starts_with(
            "config key `azure.cloud` (set by PIMBOT_AZURE__CLOUD): unknown variant `mars`"
        ),
        "{message}"
    );
    let message = error(Config::parse(
        "[azure]\ntenant_id = \"t\"\nclient_id = \"c\"\ncredential = \"password\"",
        &[],
    ));
    assert!(
        message.starts_with("config key `azure.credential`"),
        "{message}"
    );
}

#[test]
fn approvals_required_must_be_at_least_one() {
    let message = error(parse("[defaults]\napprovals_required = 0"));
    assert_eq!(
        message,
        "config key `defaults.approvals_required`: must be at least 1"
    );
    let message = error(parse(
        "[[targets]]\nname = \"a\"\nkind = \"role\"\nrole = \"r\"\napprovals_required = 0",
    ));
    assert_eq!(
        message,
        "config key `targets[0].approvals_required`: must be at least 1"
    );
}

#[test]
fn the_default_duration_may_not_exceed_the_maximum() {
    let message = error(parse("[defaults]\nduration = \"9h\""));
    assert!(
        message.starts_with("config key `defaults.duration`"),
        "{message}"
    );
    assert!(message.contains("8h"), "{message}");
}

#[test]
fn urls_must_be_absolute_and_https_except_on_localhost() {
    for (key, value) in [
        ("graph_url", "graph.microsoft.com"),
        ("arm_url", "ftp://management.azure.com"),
        ("authority_host", "http://login.example.com"),
    ] {
        let message = error(parse_env(
            "",
            &[(&format!("PIMBOT_AZURE__{}", key.to_uppercase()), value)],
        ));
        assert!(
            message.starts_with(&format!("config key `azure.{key}`")),
            "{message}"
        );
    }
    let message = error(parse("[server]\npublic_url = \"/relative\""));
    assert!(
        message.starts_with("config key `server.public_url`"),
        "{message}"
    );
    let message = error(parse(
        "[slack]\nsigning_secrets = [\"s\"]\nbot_token = \"b\"\napi_url = \"http://slack.example.com/api\"",
    ));
    assert!(
        message.starts_with("config key `slack.api_url`"),
        "{message}"
    );

    let local = parse_env(
        "",
        &[
            ("PIMBOT_AZURE__GRAPH_URL", "http://localhost:9000"),
            ("PIMBOT_AZURE__ARM_URL", "http://127.0.0.1:9001/"),
        ],
    )
    .expect("http is fine on the local machine");
    assert_eq!(local.azure.graph_url, "http://localhost:9000");
    assert_eq!(local.azure.arm_url, "http://127.0.0.1:9001");
}

#[test]
fn the_database_url_must_be_sqlite_or_postgres() {
    let message = error(parse("[database]\nurl = \"mysql://db/pimbot\""));
    assert!(
        message.starts_with("config key `database.url`"),
        "{message}"
    );
    for url in [
        "sqlite:///var/lib/pimbot/pimbot.db",
        "postgres://u@h/db",
        "postgresql://u@h/db",
    ] {
        let config = parse_env("", &[("PIMBOT_DATABASE__URL", url)]).expect(url);
        assert_eq!(config.database.url, url);
    }
}

#[test]
fn target_names_must_be_unique_and_simple() {
    let message = error(parse(
        "[[targets]]\nname = \"a\"\nkind = \"role\"\nrole = \"r\"\n[[targets]]\nname = \"a\"\nkind = \"group\"\ngroup = \"g\"",
    ));
    assert!(
        message.starts_with("config key `targets[1].name`"),
        "{message}"
    );
    assert!(message.contains("twice"), "{message}");
    let message = error(parse(
        "[[targets]]\nname = \"has space\"\nkind = \"role\"\nrole = \"r\"",
    ));
    assert!(
        message.starts_with("config key `targets[0].name`"),
        "{message}"
    );
}

#[test]
fn each_kind_needs_its_own_fields() {
    let cases = [
        ("kind = \"role\"", "targets[0].role"),
        ("kind = \"azure\"\nrole = \"Reader\"", "targets[0].scope"),
        (
            "kind = \"azure\"\nscope = \"/subscriptions/1\"",
            "targets[0].role",
        ),
        ("kind = \"group\"", "targets[0].group"),
        (
            "kind = \"group\"\ngroup = \"g\"\nrole = \"r\"",
            "targets[0].role",
        ),
        ("role = \"r\"", "targets[0].kind"),
    ];
    for (body, key) in cases {
        let message = error(parse(&format!("[[targets]]\nname = \"t\"\n{body}")));
        assert!(
            message.starts_with(&format!("config key `{key}`")),
            "{body}: {message}"
        );
    }
}

#[test]
fn approvers_must_be_user_or_group_references() {
    let message = error(parse("[defaults]\napprovers = [\"alice@example.com\"]"));
    assert!(
        message.starts_with("config key `defaults.approvers`"),
        "{message}"
    );
    assert!(message.contains("alice@example.com"), "{message}");
    let message = error(parse(
        "[[targets]]\nname = \"a\"\nkind = \"role\"\nrole = \"r\"\napprovers = [\"user:\"]",
    ));
    assert!(
        message.starts_with("config key `targets[0].approvers`"),
        "{message}"
    );
}
