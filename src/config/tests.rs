use std::io::Write;

use super::*;
use crate::domain::request::Platform;
use crate::secret::Secret;

mod auth;
mod environment;
mod identities;
mod limits;
mod refusals;
mod serving;

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
        config.targets[1].mode,
        Some(crate::domain::mode::ActivationMode::Activate)
    );
    assert_eq!(
        config.auth.as_ref().map(|a| a.redirect_url.as_str()),
        Some("https://pimbot.example.com/auth/callback")
    );
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
