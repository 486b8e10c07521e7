use std::io::Write;

use super::*;

mod identities;
mod limits;

/// The least a config needs: pimbot's Azure identity.
const MINIMAL: &str = r#"
[azure]
tenant_id = "tenant"
client_id = "client"
client_secret = "azure-secret-value"
"#;

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn parse(extra: &str) -> Result<Config, ConfigError> {
    Config::parse(&format!("{MINIMAL}\n{extra}"), &[])
}

fn parse_env(extra: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
    Config::parse(&format!("{MINIMAL}\n{extra}"), &vars(env))
}

/// The error's message, for a config that must fail.
fn error(result: Result<Config, ConfigError>) -> String {
    match result {
        Ok(config) => panic!("expected an error, got {config:?}"),
        Err(e) => e.to_string(),
    }
}

fn hours(h: u32) -> ElevationDuration {
    ElevationDuration::from_minutes(h * 60).expect("a valid duration")
}

#[test]
fn the_example_loads_and_is_ready_to_serve() {
    let config = Config::parse(EXAMPLE, &[]).expect("the example loads");
    config.validate_for_serve().expect("the example can serve");
    assert_eq!(config.targets.len(), 3);
    assert_eq!(config.targets[0].max_duration, Some(hours(2)));
    assert_eq!(config.targets[1].kind, TargetKind::Group);
    assert_eq!(config.targets[2].approvals_required, Some(2));
    assert_eq!(
        config.slack.as_ref().map(|s| s.signing_secrets.len()),
        Some(1)
    );
    assert_eq!(
        config.teams.as_ref().map(|t| t.service_url.as_str()),
        Some("https://smba.trafficmanager.net/teams/")
    );
}

#[test]
fn the_example_file_loads_from_disk() {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(EXAMPLE.as_bytes()).expect("write");
    let config = Config::load(Some(file.path()), &[]).expect("loads");
    assert_eq!(config.database.url, "sqlite://pimbot.db");
}

#[test]
fn a_missing_explicit_file_is_an_error_naming_it() {
    let message = error(Config::load(
        Some(Path::new("/nonexistent/pimbot.toml")),
        &[],
    ));
    assert!(message.contains("/nonexistent/pimbot.toml"), "{message}");
}

#[test]
fn a_minimal_config_gets_every_default() {
    let config = parse("").expect("loads");
    assert_eq!(config.server.listen, "0.0.0.0:3000".parse().expect("addr"));
    assert_eq!(config.server.public_url, None);
    assert_eq!(config.database.url, "sqlite://pimbot.db");
    assert_eq!(config.azure.credential, AzureCredential::ClientSecret);
    assert_eq!(config.azure.cloud, AzureCloud::Public);
    assert!(config.slack.is_none() && config.teams.is_none());
    let d = &config.defaults;
    assert_eq!(d.duration, hours(1));
    assert_eq!(d.max_duration, hours(8));
    assert_eq!(
        d.approval_timeout,
        crate::domain::duration::Timeout::from_secs(3600)
    );
    assert_eq!(d.approvals_required, 1);
    assert!(d.require_justification);
    assert!(!d.require_ticket);
    assert!(d.approvers.is_empty());
    assert!(config.targets.is_empty());
}

#[test]
fn slack_and_teams_sections_get_their_default_urls() {
    let config = parse(
        r#"
        [slack]
        signing_secrets = ["s"]
        bot_token = "xoxb-1"
        [teams]
        app_id = "app"
        app_secret = "secret"
        "#,
    )
    .expect("loads");
    let slack = config.slack.expect("slack");
    assert_eq!(slack.api_url, "https://slack.com/api");
    let teams = config.teams.expect("teams");
    assert_eq!(
        teams.openid_metadata_url,
        "https://login.botframework.com/v1/.well-known/openidconfiguration"
    );
    assert_eq!(teams.service_url, "https://smba.trafficmanager.net/teams/");
}

#[test]
fn each_cloud_presets_its_three_hosts() {
    for (cloud, authority, graph, arm) in [
        (
            "public",
            "https://login.microsoftonline.com",
            "https://graph.microsoft.com",
            "https://management.azure.com",
        ),
        (
            "usgov",
            "https://login.microsoftonline.us",
            "https://graph.microsoft.us",
            "https://management.usgovcloudapi.net",
        ),
        (
            "usgov-dod",
            "https://login.microsoftonline.us",
            "https://dod-graph.microsoft.us",
            "https://management.usgovcloudapi.net",
        ),
        (
            "china",
            "https://login.chinacloudapi.cn",
            "https://microsoftgraph.chinacloudapi.cn",
            "https://management.chinacloudapi.cn",
        ),
    ] {
        let config = parse_env("", &[("PIMBOT_AZURE__CLOUD", cloud)]).expect(cloud);
        assert_eq!(config.azure.authority_host, authority, "{cloud}");
        assert_eq!(config.azure.graph_url, graph, "{cloud}");
        assert_eq!(config.azure.arm_url, arm, "{cloud}");
    }
}

#[test]
fn an_explicit_host_overrides_the_clouds_preset() {
    let text = r#"
        [azure]
        tenant_id = "t"
        client_id = "c"
        client_secret = "s"
        cloud = "china"
        graph_url = "http://127.0.0.1:8080/"
    "#;
    let config = Config::parse(text, &[]).expect("loads");
    assert_eq!(config.azure.graph_url, "http://127.0.0.1:8080");
    assert_eq!(
        config.azure.authority_host,
        "https://login.chinacloudapi.cn"
    );
    assert_eq!(config.azure.arm_url, "https://management.chinacloudapi.cn");
}

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

#[test]
fn the_client_secret_credential_needs_a_client_secret_to_serve() {
    let slack = "[slack]\nsigning_secrets = [\"s\"]\nbot_token = \"b\"";
    let config = Config::parse(
        &format!("[azure]\ntenant_id = \"t\"\nclient_id = \"c\"\n{slack}"),
        &[],
    )
    .expect("loads: audit and migrate need no secret");
    let message = config
        .validate_for_serve()
        .map_err(|e| e.to_string())
        .expect_err("serve needs it");
    assert!(
        message.starts_with("config key `azure.client_secret`"),
        "{message}"
    );
    assert!(message.contains("PIMBOT_AZURE__CLIENT_SECRET"), "{message}");
    let config = Config::parse(
        &format!("[azure]\ntenant_id = \"t\"\nclient_id = \"c\"\ncredential = \"workload_identity\"\n{slack}"),
        &[],
    )
    .expect("no secret needed for workload identity");
    assert_eq!(config.azure.client_secret, None);
    assert!(config.validate_for_serve().is_ok());
}

#[test]
fn the_azure_identity_is_required_to_serve_but_not_for_audit_commands() {
    let config = Config::parse("", &[]).expect("an empty file is enough for `audit verify`");
    assert_eq!(config.database.url, "sqlite://pimbot.db");
    let message = config
        .validate_for_serve()
        .map_err(|e| e.to_string())
        .expect_err("serve needs a tenant");
    assert!(
        message.starts_with("config key `azure.tenant_id`"),
        "{message}"
    );
}

#[test]
fn slack_needs_a_signing_secret_and_a_bot_token() {
    let message = error(parse("[slack]\nbot_token = \"b\""));
    assert!(
        message.starts_with("config key `slack.signing_secrets`"),
        "{message}"
    );
    let message = error(parse("[slack]\nsigning_secrets = []\nbot_token = \"b\""));
    assert!(
        message.starts_with("config key `slack.signing_secrets`"),
        "{message}"
    );
    let message = error(parse("[slack]\nsigning_secrets = [\"s\"]"));
    assert!(
        message.starts_with("config key `slack.bot_token`"),
        "{message}"
    );
}

#[test]
fn teams_needs_an_app_id_and_secret() {
    let message = error(parse("[teams]\napp_secret = \"s\""));
    assert!(
        message.starts_with("config key `teams.app_id`"),
        "{message}"
    );
    let message = error(parse("[teams]\napp_id = \"a\""));
    assert!(
        message.starts_with("config key `teams.app_secret`"),
        "{message}"
    );
}

#[test]
fn teams_allowed_callers_default_to_the_channel_service_and_refuse_an_empty_list() {
    let teams = "[teams]\napp_id = \"a\"\napp_secret = \"s\"\n";
    let config = parse(teams).expect("loads");
    assert_eq!(
        config.teams.map(|t| t.allowed_callers),
        Some(vec![crate::config::DEFAULT_ALLOWED_CALLER.to_owned()])
    );
    let config = parse(&format!(
        "{teams}allowed_callers = [\" app-1 \", \"app-2\"]"
    ))
    .expect("loads");
    assert_eq!(
        config.teams.map(|t| t.allowed_callers),
        Some(vec!["app-1".to_owned(), "app-2".to_owned()])
    );
    for empty in ["[]", "[\"\"]"] {
        let message = error(parse(&format!("{teams}allowed_callers = {empty}")));
        assert!(message.contains("teams.allowed_callers"), "{message}");
    }
    let example = Config::parse(EXAMPLE, &[]).expect("the example loads");
    assert_eq!(
        example.teams.map(|t| t.allowed_callers),
        Some(vec![crate::config::DEFAULT_ALLOWED_CALLER.to_owned()])
    );
}

#[test]
fn serving_needs_a_chat_platform_but_loading_does_not() {
    let config = parse("").expect("audit commands need no chat");
    let message = config
        .validate_for_serve()
        .expect_err("no chat platform")
        .to_string();
    assert!(
        message.contains("[slack]") && message.contains("[teams]"),
        "{message}"
    );

    let teams_only = parse("[teams]\napp_id = \"a\"\napp_secret = \"s\"").expect("loads");
    assert!(teams_only.validate_for_serve().is_ok());
}

#[test]
fn debug_output_never_shows_a_secret() {
    let config = parse_env(
        "[slack]\nsigning_secrets = [\"slack-signing-value\"]\nbot_token = \"xoxb-token-value\"\n\
         [teams]\napp_id = \"a\"\napp_secret = \"teams-secret-value\"",
        &[(
            "PIMBOT_SLACK__SIGNING_SECRETS",
            "rotated-signing-value,slack-signing-value",
        )],
    )
    .expect("loads");
    let shown = format!("{config:?} {config:#?}");
    for secret in [
        "azure-secret-value",
        "slack-signing-value",
        "rotated-signing-value",
        "xoxb-token-value",
        "teams-secret-value",
    ] {
        assert!(!shown.contains(secret), "{secret} leaked");
    }
    assert!(shown.contains("[redacted]"));
}

#[test]
fn errors_never_show_a_secret_either() {
    let message = error(parse_env(
        "",
        &[("PIMBOT_SLACK__BOT_TOKEN", "xoxb-leak-me")],
    ));
    assert!(
        message.starts_with("config key `slack.signing_secrets`"),
        "{message}"
    );
    assert!(!message.contains("xoxb-leak-me"), "{message}");
}

#[test]
fn service_settings_carry_defaults_targets_and_channels() {
    let settings = Config::parse(EXAMPLE, &[])
        .expect("loads")
        .service_settings();
    assert_eq!(settings.identity_ttl, chrono::Duration::hours(1));
    assert_eq!(
        settings.defaults.approval_timeout,
        chrono::Duration::hours(1)
    );
    assert_eq!(settings.defaults.max_duration, hours(8));
    assert_eq!(
        settings.defaults.approvers,
        [ApproverRef::Group(
            "00000000-0000-0000-0000-000000000000".to_owned()
        )]
    );
    assert_eq!(
        settings
            .audit_conversation
            .get(&Platform::Slack)
            .map(String::as_str),
        Some("C0123456789")
    );
    assert_eq!(
        settings
            .audit_conversation
            .get(&Platform::Teams)
            .map(String::as_str),
        Some("19:audit@thread.tacv2")
    );

    let role = &settings.targets[0];
    assert_eq!(role.name, "app1-secrets");
    assert_eq!(role.resource, "Application Secret Manager");
    assert_eq!(role.require_ticket, Some(true));
    assert_eq!(
        role.approval_channel
            .get(&Platform::Slack)
            .map(String::as_str),
        Some("C0123")
    );
    let group = &settings.targets[1];
    assert_eq!(group.resource, "KeyVault Readers");
    assert_eq!(group.access, GroupAccess::Member);
    assert_eq!(group.scope, None);
    assert_eq!(
        group.approvers,
        [ApproverRef::User(
            "00000000-0000-0000-0000-000000000000".to_owned()
        )]
    );
    let azure = &settings.targets[2];
    assert_eq!(azure.kind, TargetKind::Azure);
    assert_eq!(
        azure.scope.as_deref(),
        Some("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/pim-rg")
    );
}

#[test]
fn a_syntax_error_is_reported_with_its_position() {
    let message = error(Config::parse("[server\nlisten = 1", &[]));
    assert!(message.contains("not valid TOML"), "{message}");
    assert!(message.contains("line 1"), "{message}");
}

#[test]
fn a_section_that_is_not_a_table_is_named() {
    let message = error(Config::parse(&format!("slack = \"yes\"\n{MINIMAL}"), &[]));
    assert!(message.starts_with("config key `slack`"), "{message}");
}

#[test]
fn a_database_password_is_neither_shown_by_debug_nor_in_errors() {
    let config = parse_env(
        "",
        &[("DATABASE_URL", "postgres://pim:hunter2@db:5432/pimbot")],
    )
    .expect("loads");
    assert_eq!(config.database.url, "postgres://pim:hunter2@db:5432/pimbot");
    let shown = format!("{config:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(
        shown.contains("postgres://pim:[redacted]@db:5432/pimbot"),
        "{shown}"
    );

    let message = error(parse_env(
        "",
        &[("DATABASE_URL", "mysql://pim:hunter2@db/pimbot")],
    ));
    assert!(
        message.starts_with("config key `database.url` (set by DATABASE_URL)"),
        "{message}"
    );
    assert!(!message.contains("hunter2"), "{message}");
}

#[test]
fn the_policy_cache_defaults_to_five_minutes_and_takes_a_duration() {
    let base = "[azure]\ntenant_id = \"t\"\nclient_id = \"c\"\n";
    let config = Config::parse(base, &[]).expect("valid");
    assert_eq!(
        config.azure.policy_cache.as_std(),
        std::time::Duration::from_secs(300)
    );
    let set = format!("{base}policy_cache = \"90s\"\narm_scopes = [\"/subscriptions/1/\"]\n");
    let config = Config::parse(&set, &[]).expect("valid");
    assert_eq!(
        config.azure.policy_cache.as_std(),
        std::time::Duration::from_secs(90)
    );
    assert_eq!(
        config.azure.arm_scopes,
        vec!["/subscriptions/1"],
        "trailing slash dropped"
    );
    let bad = format!("{base}policy_cache = \"soon\"\n");
    let error = Config::parse(&bad, &[]).expect_err("not a duration");
    assert!(error.to_string().contains("policy_cache"), "{error}");
}

#[test]
fn the_anchor_interval_defaults_to_an_hour_and_takes_a_duration() {
    let config = parse("").expect("valid");
    assert_eq!(
        config.audit.anchor_interval.as_std(),
        std::time::Duration::from_secs(3600)
    );
    let config = parse("[audit]\nanchor_interval = \"15m\"\n").expect("valid");
    assert_eq!(
        config.audit.anchor_interval.as_std(),
        std::time::Duration::from_secs(900)
    );
    let config = parse_env("", &[("PIMBOT_AUDIT__ANCHOR_INTERVAL", "30s")]).expect("valid");
    assert_eq!(
        config.audit.anchor_interval.as_std(),
        std::time::Duration::from_secs(30)
    );
    for bad in ["soon", "0s"] {
        let error = error(parse(&format!("[audit]\nanchor_interval = \"{bad}\"\n")));
        assert!(error.contains("audit.anchor_interval"), "{bad}: {error}");
    }
    let error = error(parse("[audit]\nanchor_every = \"1h\"\n"));
    assert!(error.contains("audit.anchor_every"), "{error}");
}
